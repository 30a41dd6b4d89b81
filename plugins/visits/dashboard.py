"""Home-page cards, counted inside the user's region."""

from __future__ import annotations

from console import Card, db

from . import stats
from .services.common import today


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
