"""Every hook implementation of 社会工作人才 (the ``console.plugins`` entry point names this module)."""

from __future__ import annotations

from pathlib import Path

from console import PluginInfo, hookimpl

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
def role_permissions():
    from .views import ROLE_PERMISSIONS

    return ROLE_PERMISSIONS


@hookimpl
def dashboard_cards(user, region):
    from .dashboard import cards

    return cards(region)


@hookimpl
def briefing_sections(period, region, appendix):
    from .briefing import sections

    return sections(period, region, appendix)


@hookimpl
def scheduled_jobs():
    from console import Job

    from .reminders import run_daily

    return [Job("reminders", "社工登记到期提醒", run_daily, "cron", {"hour": 8, "minute": 0})]


@hookimpl
def importers():
    from .data_import import all_importers

    return all_importers()


@hookimpl
def demo_data(session, scale):
    from .demo import load

    load(session, scale)
