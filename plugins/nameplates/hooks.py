"""Every hook implementation of the module (the ``console.plugins`` entry point names this module)."""

from pathlib import Path

from console import AttachmentOwner, PluginInfo, hookimpl

from . import NAME, TITLE
from . import models  # noqa: F401 - the metadata must know the tables at start-up
from .settings import SETTINGS


@hookimpl
def plugin_info():
    return PluginInfo(
        name=NAME,
        title=TITLE,
        version="0.1.0",
        description="村(社区)机构挂牌规范检查、整改销号与倒查反弹",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
        settings=SETTINGS,
    )


@hookimpl
def register_views(appbuilder):
    from .views import register

    register(appbuilder, TITLE)


@hookimpl
def attachment_owners():
    from .models import Inspection, RectificationOrder
    from .services import photos

    # Photos are seen by whoever may open the inspection or the order they were taken for.
    inspection = ("can_show", "nameplates_inspections")
    order = ("can_show", "nameplates_rectifications")
    return [AttachmentOwner(photos.INSPECTION, Inspection, inspection),
            AttachmentOwner(photos.ORDER_BEFORE, RectificationOrder, order),
            AttachmentOwner(photos.ORDER_AFTER, RectificationOrder, order)]


@hookimpl
def role_permissions():
    inspector_and_leader_menus = ("menu_access$", "nameplates(_ledger|_inspections|_rectifications|_reinspections)?$")
    return {
        "检查员": [
            ("can_(list|show|add|edit|review)$", "nameplates_inspections$"),
            ("can_(list|show|edit|reinspect|export)$", "nameplates_rectifications$"),
            ("can_(list|show)$", "nameplates_(reinspections|whitelist|whitelist_items|duties|certificates)$"),
            ("can_(list|show|export)$", "nameplates_ledger$"),
            ("menu_access$", "nameplates(_.*)?$"),
        ],
        "领导": [
            ("can_(list|show|export)$", "nameplates_ledger$"),
            ("can_(list|show)$", "nameplates_(inspections|rectifications|reinspections)$"),
            ("can_export$", "nameplates_rectifications$"),
            inspector_and_leader_menus,
        ],
    }


@hookimpl
def dashboard_cards(user, region):
    from .dashboard import cards

    return cards(region)


@hookimpl
def dashboard_tasks(user):
    from .dashboard import tasks

    return tasks(user)


@hookimpl
def dashboard_shortcuts(user):
    from .dashboard import shortcuts

    return shortcuts()


@hookimpl
def briefing_sections(period, region, appendix):
    from .briefing import sections

    return sections(period, region, appendix)


@hookimpl
def scheduled_jobs():
    from console import Job

    from .jobs import remind_overdue, schedule_reinspections

    return [
        Job("overdue_reminders", "逾期整改提醒", remind_overdue, "cron", {"hour": 8, "minute": 30}),
        Job("reinspections", "倒查复查安排", schedule_reinspections, "cron", {"hour": 2, "minute": 15}),
    ]


@hookimpl
def importers():
    from .data_import import all_importers

    return all_importers()


@hookimpl
def demo_data(session, scale):
    from .demo import load

    load(session, scale)
