"""村级挂牌规范: village nameplate-standardization inspections with rectification and the
reverse check, a module of the console registered through the ``console.plugins`` entry point."""

from pathlib import Path

from console import PluginInfo, Setting, hookimpl

from . import models  # noqa: F401 - the metadata must know the tables at start-up
from .seeds import REMOVED_PLAQUES

NAME = "nameplates"
TITLE = "村级挂牌规范"

SETTINGS = (
    Setting("levels", "检查层级", "lines",
            default=["村自查", "乡镇全面复核", "县级二次复核", "县级随机抽查"],
            help="每行一个；检查表单中可选的检查层级"),
    Setting("deadline_plaque", "整改期限（滥挂牌，天）", "int", default=15, min=1, max=365),
    Setting("deadline_certificate", "整改期限（出具已取消证明，天）", "int", default=7, min=1, max=365),
    Setting("deadline_wallboard", "整改期限（上墙内容不规范，天）", "int", default=30, min=1, max=365),
    Setting("reinspection_days", "反弹后复查期限（天）", "int", default=30, min=1, max=365,
            help="倒查发现反弹后，自动安排复查的期限"),
    Setting("removed_plaques", "已清理牌子名录", "lines", default=list(REMOVED_PLAQUES),
            help="规范时已摘除或合并的牌子名称，每行一个；既不在白名单也不在此名录的名称会被标记为“未登记”"),
    Setting("photo_max_mb", "单张照片大小上限（MB）", "int", default=10, min=1, max=20),
    Setting("photos_max", "每次最多照片张数", "int", default=12, min=1, max=50),
)


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
def role_permissions():
    inspector_and_leader_menus = ("menu_access$", "nameplates(_ledger|_inspections|_rectifications|_reinspections)?$")
    return {
        "检查员": [
            ("can_(list|show|add|edit|review)$", "nameplates_inspections$"),
            ("can_(list|show|edit|reinspect)$", "nameplates_rectifications$"),
            ("can_(list|show)$", "nameplates_(reinspections|whitelist|whitelist_items|duties|certificates)$"),
            ("can_(list|show|export)$", "nameplates_ledger$"),
            ("menu_access$", "nameplates(_.*)?$"),
        ],
        "领导": [
            ("can_(list|show|export)$", "nameplates_ledger$"),
            ("can_(list|show)$", "nameplates_(inspections|rectifications|reinspections)$"),
            inspector_and_leader_menus,
        ],
    }


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
