"""The daily notice to responsible departments: problems due within a few days, and overdue
ones.  Run twice on one day, it notifies nobody twice."""

from __future__ import annotations

import datetime as dt

from console import notifications, unit_of_work

from ..models import Problem
from .common import setting, today
from .problems import OPEN

SOURCE = "visits.reminders"


def link_of(problem: Problem) -> str:
    return f"/visits/problems/show/{problem.id}"


def due_problems(session, as_of: dt.date, days: int) -> list[Problem]:
    """Open problems assigned to a department and due by ``as_of + days`` (overdue included)."""
    return (session.query(Problem)
            .filter(Problem.status.in_(OPEN), Problem.department_id.isnot(None),
                    Problem.due_date.isnot(None),
                    Problem.due_date <= as_of + dt.timedelta(days=days))
            .order_by(Problem.due_date, Problem.id).all())


@unit_of_work
def send_reminders(session, as_of: dt.date | None = None) -> int:
    """Notify each member of the responsible department, as one unit of work; returns the
    notices added."""
    as_of = as_of or today()
    days = int(setting("reminder_days"))
    added = 0
    for problem in due_problems(session, as_of, days):
        link = link_of(problem)
        left = (problem.due_date - as_of).days
        if left < 0:
            title = f"诉求已逾期 {-left} 天：{problem.enterprise.name}（{problem.category}）"
        elif left == 0:
            title = f"诉求今天到期：{problem.enterprise.name}（{problem.category}）"
        else:
            title = f"诉求 {left} 天后到期：{problem.enterprise.name}（{problem.category}）"
        body = (f"责任单位：{problem.department.name}；办理时限：{problem.due_date.isoformat()}；"
                f"当前状态：{problem.status}。\n{problem.description[:200]}")
        sent = notifications.notify(session, [u.id for u in problem.department.members], title, body,
                                    link, source=SOURCE, once=f"{SOURCE}:{problem.id}:{as_of.isoformat()}")
        added += len(sent)
    return added
