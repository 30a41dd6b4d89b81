"""示例插件: a model, a page with a menu entry, a dashboard card, settings and a permission.

It lives outside plugins/ as a distribution of its own, laid out in the one plugin skeleton
(docs/plugins.md) with only the parts it needs, to prove a third party installs a module
without changing the console.
"""

NAME = "example"
TITLE = "示例插件"
