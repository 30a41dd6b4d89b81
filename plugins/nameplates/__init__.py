"""村级挂牌规范: village nameplate-standardization inspections with rectification and the
reverse check, a module of the console registered through the ``console.plugins`` entry point."""

NAME = "nameplates"
TITLE = "村级挂牌规范"
