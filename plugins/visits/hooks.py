"""Every hook implementation of 三送三进 (the ``console.plugins`` entry point names this module)."""

from __future__ import annotations

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
        description="党建惠企服务团“三送三进”：企业名录、走访记录、诉求办理与销号",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
        settings=SETTINGS,
    )


@hookimpl
def register_views(appbuilder):
    from .views import register

    register(appbuilder)


@hookimpl
def attachment_owners():
    from .models import Visit
    from .services.visits import PHOTO_OWNER

    # A visit's photos are seen by whoever may open the visit.
    return [AttachmentOwner(PHOTO_OWNER, Visit, ("can_show", "visits_visits"))]


@hookimpl
def role_permissions():
    read = "can_(list|show|export)$"
    return {
        # Service-team members: record visits and problems, look the registry up.
        "检查员": [
            ("can_(list|show|add|edit|export|photo)$", "visits_visits$"),
            ("can_(list|show|add|edit|export|board|mine|act)$", "visits_problems$"),
            (read, "visits_enterprises$"),
            ("can_(get|info)$", "visits_(enterprise|visit|problem)_api$"),
            ("can_(post|transition|put)$", "visits_(visit|problem)_api$"),
            ("menu_access$", "visits(_(enterprises|visits|problems|board|mine))?$"),
        ],
        "领导": [
            (read, "visits_(enterprises|visits|problems)$"),
            ("can_board$", "visits_problems$"),
            ("can_(get|info)$", "visits_(enterprise|visit|problem)_api$"),
            ("menu_access$", "visits(_(enterprises|visits|problems|board))?$"),
        ],
    }


@hookimpl
def dashboard_cards(user, region):
    from .dashboard import cards

    return cards(user, region)


@hookimpl
def dashboard_tasks(user):
    from .dashboard import tasks

    return tasks(user)


@hookimpl
def dashboard_shortcuts(user):
    from .dashboard import shortcuts

    return shortcuts()


@hookimpl
def briefing_sections(period, region):
    from .briefing import sections

    return sections(period, region)


@hookimpl
def scheduled_jobs():
    from console import Job

    from .jobs import daily_reminders

    return [Job("reminders", "诉求到期与逾期提醒", daily_reminders, "cron", {"hour": 8, "minute": 0})]


@hookimpl
def importers():
    from .data_import import enterprise_importer

    return [enterprise_importer()]


@hookimpl
def demo_data(session, scale):
    from .demo import load

    return load(session, scale) or "ok"
