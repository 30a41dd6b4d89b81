"""Home-page cards, counted inside the user's region, and the user's tasks and shortcut."""

from __future__ import annotations

from console import Card, Shortcut, Task, db

from . import stats
from .services.common import today
from .services.problems import ASSIGNED


def cards(user, region) -> list[Card]:
    session = db.session
    start, end = stats.year_bounds()
    year = today().year
    overdue = stats.problems_overdue(session, region)
    rate = stats.satisfaction_rate(session, region, start, end)
    return [
        Card("企业名录", stats.enterprises(session, region), "家", link="/visits/enterprises/list/"),
        Card(f"{year}年走访", stats.visits(session, region, start, end), "次",
             note=f"覆盖企业 {stats.enterprises_covered(session, region, start, end)} 家",
             link=f"/visits/visits/list/?start={start}"),
        Card(f"{year}年收集诉求", stats.problems_raised(session, region, start, end), "个",
             link="/visits/problems/board/"),
        Card(f"{year}年解决诉求", stats.problems_solved(session, region, start, end), "个",
             level="success", link="/visits/problems/list/?status=已办结"),
        Card("逾期诉求", overdue, "个", level="danger" if overdue else "default",
             link="/visits/problems/list/?overdue=1"),
        Card(f"{year}年满意率", stats.percent(rate), note="满意与基本满意占已评价诉求的比例"),
    ]


def tasks(user) -> list[Task]:
    """The visits waiting for ``user``: enterprises of their area not visited yet this year, and
    the problems handed to their department that it has not taken up."""
    session = db.session
    region = getattr(user, "scope_region", None)
    start, _end = stats.year_bounds()
    to_visit = stats.enterprises_unvisited(session, region, start)
    waiting, overdue, due_soon = stats.problems_awaiting(session, user, region)
    return [
        Task("待走访企业", to_visit, f"/visits/enterprises/list/?unvisited_since={start}"),
        Task("待我单位答复诉求", waiting, f"/visits/problems/mine/?status={ASSIGNED}",
             urgency="overdue" if overdue else "soon" if due_soon else "normal"),
    ]


def shortcuts() -> list[Shortcut]:
    return [Shortcut("登记走访", "/visits/visits/add", icon="fa-handshake-o")]
