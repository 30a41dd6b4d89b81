"""Home-page cards of the module, counted inside the user's region, and the user's tasks and
shortcut."""

from __future__ import annotations

import datetime as dt

from console import Card, Shortcut, Task, clock, db

from . import stats
from .services import ledger


def cards(region) -> list[Card]:
    session = db.session
    start, end = stats.year_span()
    inspected = stats.villages_inspected(session, region, start, end)
    rate = stats.compliance_rate(session, region, start, end)
    open_orders = stats.open_orders(session, region)
    overdue = stats.overdue_orders(session, region)
    rebounds = stats.rebounds(session, region, start, end)
    ledger = "/nameplates/ledger/"
    return [
        Card("今年已检查村(社区)", inspected, "个", note=f"{start.year} 年已通过审核的检查", link=ledger),
        Card("挂牌合规率", "—" if rate is None else f"{rate * 100:.1f}", "" if rate is None else "%",
             note="今年最近一次检查合格的村占比", link=ledger + "?status=clean",
             level="success" if rate is not None and rate >= 0.95 else "default"),
        Card("未销号整改", open_orders, "项", note=f"其中逾期 {overdue} 项",
             link="/nameplates/order_list/list/", level="warning" if open_orders else "default"),
        Card("逾期整改", overdue, "项", link=ledger + "?status=overdue", level="danger" if overdue else "default"),
        Card("反弹（倒查）", rebounds, "次", note="今年发现的滥挂牌、奇葩证明反弹",
             link=ledger + "?status=rebound", level="danger" if rebounds else "default"),
    ]


SOON_DAYS = 7


def tasks(user) -> list[Task]:
    """The inspections waiting for ``user`` in their area: villages never inspected, and the
    open rectification orders whose deadline has passed or falls within a week."""
    session = db.session
    region = getattr(user, "scope_region", None)
    day = clock.today()
    _rows, uninspected = ledger.page(session, region=region, size=1, day=day, status="uninspected")
    due, overdue = stats.orders_due(session, region, day + dt.timedelta(days=SOON_DAYS), day)
    return [
        Task("待检查村(社区)", uninspected, "/nameplates/ledger/?status=uninspected"),
        Task(f"{SOON_DAYS} 天内到期的整改", due, "/nameplates/order_list/list/",
             urgency="overdue" if overdue else "soon" if due else "normal"),
    ]


def shortcuts() -> list[Shortcut]:
    return [Shortcut("录入检查", "/nameplates/inspections/new", icon="fa-clipboard")]
