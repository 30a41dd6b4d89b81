"""Home-page cards, counted inside the user's region, and the user's tasks."""

from __future__ import annotations

from console import Card, Task

from . import stats
from .services import common


def cards(region) -> list[Card]:
    on = common.today()
    by_level = stats.certified_by_level(region)
    total = sum(by_level.values())
    expiring = stats.expiring_count(on, 90, region)
    compliance = stats.education_compliance(on, region)
    rate = (f"{compliance['compliant'] * 100 / compliance['total']:.0f}%" if compliance["total"] else "—")
    return [
        Card("持证社工", total, unit="人",
             note="；".join(f"{level} {n}" for level, n in by_level.items()),
             link="/talent/certificates/list/"),
        Card("90 天内登记到期", expiring, unit="人", note="请提醒办理延续登记",
             link="/talent/expiring/?days=90", level="warning" if expiring else "default"),
        Card("继续教育达标率", rate,
             note=f"有效登记 {compliance['total']} 人中 {compliance['compliant']} 人已完成本周期学时",
             link="/talent/education/list/",
             level="success" if compliance["total"] and compliance["compliant"] == compliance["total"] else "default"),
    ]


def tasks(user) -> list[Task]:
    """Registrations of the user's area that expire within 90 days and want renewing."""
    on = common.today()
    region = getattr(user, "scope_region", None)
    expiring = stats.expiring_count(on, 90, region)
    return [Task("90 天内登记到期", expiring, "/talent/expiring/?days=90",
                 urgency="soon" if expiring else "normal")]
