"""The example's hook implementations (the entry point names this module)."""

from pathlib import Path

from console import PluginInfo, hookimpl

from . import NAME, TITLE, dashboard
from .settings import SETTINGS
from .views import ExampleNoteView


@hookimpl
def plugin_info():
    return PluginInfo(
        name=NAME,
        title=TITLE,
        version="1.2.0",
        description="证明第三方插件的安装方式",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
        settings=SETTINGS,
    )


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(ExampleNoteView, "example_notes", label="示例记录", icon="fa-sticky-note",
                        category=NAME, category_label=TITLE)


@hookimpl
def role_permissions():
    return {"检查员": [("can_(list|show)$", "example_notes$"), ("menu_access$", "example(_notes)?$")]}


@hookimpl
def dashboard_cards(user, region):
    return dashboard.cards(region)
