"""The module's home-page tasks (dashboard_tasks) and shortcut, for the user's area."""

from __future__ import annotations

import datetime as dt

from console import clock

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, submit, user, village_in


def _tasks(username):
    from jiceng.plugins.nameplates.dashboard import tasks

    return {t.title: t for t in tasks(user(username))}


def _villages(session, code):
    from console.regions.models import Region

    county = session.query(Region).filter_by(code=code).one()
    return session.query(Region).filter(Region.level == "village", Region.path.startswith(county.path)).count()


def test_villages_to_inspect_are_the_uninspected_ones_of_the_users_county(session):
    zhaoyang, zhenxiong = _villages(session, ZHAOYANG), _villages(session, ZHENXIONG)
    assert _tasks("zhaoyang")["待检查村(社区)"].count == zhaoyang == 206
    accept(submit(village_in(ZHAOYANG), plaques=CLEAN))
    accept(submit(village_in(ZHAOYANG, 1), plaques=CLEAN))
    submit(village_in(ZHAOYANG, 2), plaques=CLEAN)  # submitted, not accepted: still to inspect
    task = _tasks("zhaoyang")["待检查村(社区)"]
    assert task.count == zhaoyang - 2
    assert task.link == "/nameplates/ledger/?status=uninspected"
    assert _tasks("zhenxiong")["待检查村(社区)"].count == zhenxiong
    # The ledger behind the link counts the same villages.
    from jiceng.plugins.nameplates.services import ledger
    from console.regions.models import Region

    county = session.query(Region).filter_by(code=ZHAOYANG).one()
    assert ledger.page(session, region=county, status="uninspected")[1] == zhaoyang - 2


def test_orders_due_count_those_due_within_a_week_and_say_when_one_is_overdue(session):
    from jiceng.plugins.nameplates.models import RectificationOrder

    today = clock.today()
    for index in range(3):
        accept(submit(village_in(ZHAOYANG, index), plaques=[("计划生育协会", "inside")]))
    accept(submit(village_in(ZHENXIONG), inspector="zhenxiong", plaques=[("计划生育协会", "inside")]))
    orders = session.query(RectificationOrder).order_by(RectificationOrder.id).all()
    assert len(orders) == 4
    for order in orders:
        order.deadline = today + dt.timedelta(days=30)
    session.commit()
    task = _tasks("zhaoyang")["7 天内到期的整改"]
    assert (task.count, task.urgency) == (0, "normal")

    orders[0].deadline = today + dt.timedelta(days=7)
    orders[3].deadline = today  # 镇雄县's
    session.commit()
    task = _tasks("zhaoyang")["7 天内到期的整改"]
    assert (task.count, task.urgency) == (1, "soon")
    orders[1].deadline = today - dt.timedelta(days=1)
    orders[2].status = "closed"
    orders[2].deadline = today - dt.timedelta(days=5)  # closed: no longer anyone's task
    session.commit()
    task = _tasks("zhaoyang")["7 天内到期的整改"]
    assert (task.count, task.urgency) == (2, "overdue")
    assert _tasks("zhenxiong")["7 天内到期的整改"].count == 1
    assert _tasks("lingdao")["7 天内到期的整改"].count == 3


def test_the_shortcut_is_the_inspection_form():
    from jiceng.plugins.nameplates.dashboard import shortcuts

    assert [(s.title, s.link) for s in shortcuts()] == [("录入检查", "/nameplates/inspections/new")]
