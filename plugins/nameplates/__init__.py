"""村级挂牌规范: a module of the console, registered through the ``console.plugins`` entry point."""

from pathlib import Path

from console import PluginInfo, hookimpl

NAME = "nameplates"


@hookimpl
def plugin_info():
    return PluginInfo(
        name=NAME,
        title="村级挂牌规范",
        version="0.1.0",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
    )
