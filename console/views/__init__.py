"""The core's views, registered explicitly in one place (never as a side effect of import)."""

from ..briefings.views import BriefingFilesView, BriefingsView
from .attachments import AttachmentView
from .audit import AuditLogView
from .health import HealthView
from .imports import ImportsView
from .inbox import InboxView
from .plugins import PluginsView
from .regions import RegionView


def register(appbuilder) -> None:
    appbuilder.add_view(PluginsView, "console_plugins", label="插件管理", icon="fa-puzzle-piece",
                        category="console_admin", category_label="系统管理", category_icon="fa-cogs")
    appbuilder.add_view(RegionView, "console_regions", label="行政区划", icon="fa-sitemap",
                        category="console_admin")
    appbuilder.add_view(AuditLogView, "console_audit", label="审计日志", icon="fa-history",
                        category="console_admin")
    appbuilder.add_view_no_menu(HealthView)
    # The inbox's menu entry is the bell in the navbar (templates/appbuilder/navbar_right.html).
    appbuilder.add_view_no_menu(InboxView)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_view(ImportsView, "console_imports", label="数据导入", icon="fa-upload",
                        category="console_admin")
    appbuilder.add_view(BriefingsView, "console_briefings", label="工作简报", icon="fa-file-pdf-o",
                        category="console_admin")
    appbuilder.add_view_no_menu(BriefingFilesView)
