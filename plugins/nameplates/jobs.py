"""The module's daily jobs: reminders about overdue orders and the reverse check's safety net."""

from __future__ import annotations

import datetime as dt

from console import clock, db, notifications

from .models import Inspection
from .services import rectification

SOURCE = "nameplates"


def remind_overdue(day: dt.date | None = None) -> int:
    """One notice a day per overdue order to the inspector who found it and to the inspectors
    whose scope covers the village; returns the number of orders reminded about."""
    session = db.session
    day = day or clock.today()
    orders = (
        rectification.overdue_query(session, day)
        .filter((rectification.RectificationOrder.reminded_on.is_(None))
                | (rectification.RectificationOrder.reminded_on < day))
        .all()
    )
    for order in orders:
        recipients = {u.id for u in notifications.users_with_role(session, "检查员", order.region_id)}
        inspector = session.get(Inspection, order.inspection_id).inspector_id
        if inspector:
            recipients.add(inspector)
        late = (day - order.deadline).days
        notifications.notify(
            session, sorted(recipients), f"整改逾期：{order.region.name} {order.subject}"[:200],
            body=f"整改期限 {order.deadline.isoformat()}，已逾期 {late} 天，请督促整改并复查销号。",
            link=f"/nameplates/orders/{order.id}", source=SOURCE,
        )
        order.reminded_on = day
    session.commit()
    return len(orders)


def schedule_reinspections() -> int:
    return rectification.schedule_missing_reinspections(db.session)
