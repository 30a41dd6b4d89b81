"""Every hook implementation of 社会工作人才 (the ``console.plugins`` entry point names this module)."""

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
        version="0.2.0",
        description="持证社工人员、证书与登记、继续教育、督导、到期提醒、证书公开核验",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
        settings=SETTINGS,
    )


@hookimpl
def register_views(appbuilder):
    from .views import register

    register(appbuilder)


@hookimpl
def attachment_owners():
    from .models import EducationEntry
    from .services.education import PROOF_OWNER

    # A proof is seen by whoever may open the ledger line it proves.
    return [AttachmentOwner(PROOF_OWNER, EducationEntry, ("can_show", "talent_education"))]


@hookimpl
def role_permissions():
    # Grants for the core roles (the module owner gets every talent_* permission already).
    return {
        "检查员": [
            ("can_(list|show|add|edit|export)$", "talent_person$"),
            ("can_(list|show|add|edit|revoke)$", "talent_certificate$"),
            ("can_(list|show|add|edit|delete|transition)$", "talent_registration$"),
            ("can_(list|show|add|edit|delete)$", "talent_education$"),
            ("can_(list|show|add|edit)$", "talent_supervision$"),
            ("can_(list|show|add|edit|delete)$", "talent_supervision_session$"),
            ("can_list$", "talent_expiring$"),
            ("can_(get|info)$", "talent_(people|certificates|registrations)$"),
            ("menu_access$", "talent(_.*)?$"),
        ],
        "领导": [
            ("can_(list|show)$",
             "talent_(person|certificate|registration|education|supervision|supervision_session)$"),
            ("can_list$", "talent_expiring$"),
            ("can_(get|info)$", "talent_(people|certificates|registrations)$"),
            ("menu_access$", "talent(_.*)?$"),
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
def briefing_sections(period, region, appendix):
    from .briefing import sections

    return sections(period, region, appendix)


@hookimpl
def scheduled_jobs():
    from console import Job

    from .jobs import daily_reminders

    return [Job("reminders", "社工登记到期提醒", daily_reminders, "cron", {"hour": 8, "minute": 0})]


@hookimpl
def importers():
    from .data_import import all_importers

    return all_importers()


@hookimpl
def demo_data(session, scale):
    from .demo import load

    load(session, scale)


@hookimpl
def protected_columns():
    from .services import idnumber

    return [idnumber.protected()]
