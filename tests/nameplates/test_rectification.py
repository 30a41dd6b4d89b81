"""Findings become rectification orders; orders are worked, re-inspected and closed off;
the reverse check catches a rebound and schedules a re-inspection."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import CLEAN, ZHAOYANG, accept, jpeg, submit, user, village_in
from console import clock

TODAY = clock.today()


def _ledger(session, village):
    from plugins.nameplates.models import VillageLedger

    return session.query(VillageLedger).filter_by(region_id=village.id).one()


def _orders(session, village):
    from plugins.nameplates.models import RectificationOrder

    return session.query(RectificationOrder).filter_by(region_id=village.id).order_by(RectificationOrder.id).all()


def _close(session, order):
    from plugins.nameplates.services import rectification

    rectification.update(session, order.id, user("zhaoyang"), responsible_person="张支书",
                         after_files=[jpeg()], rectified_on=TODAY)
    return rectification.reinspect(session, order.id, user("nameplates_owner"), True)


def test_each_finding_opens_an_order_with_the_deadline_of_its_type(session):
    village = village_in(ZHAOYANG)
    inspection = accept(submit(village, plaques=CLEAN + [("老年人协会", "outside")],
                               certificates=["亲属关系证明"], wall_boards=12, wall_boards_ok=False,
                               responsible_person="李主任"))
    orders = {o.finding_type: o for o in _orders(session, village)}
    assert set(orders) == {"plaque", "certificate", "wallboard"}
    assert orders["plaque"].deadline == TODAY + dt.timedelta(days=15)
    assert orders["certificate"].deadline == TODAY + dt.timedelta(days=7)
    assert orders["wallboard"].deadline == TODAY + dt.timedelta(days=30)
    assert orders["plaque"].responsible_person == "李主任"
    assert "老年人协会" in orders["plaque"].subject
    assert inspection.compliant is False
    assert _ledger(session, village).status == "rectifying"


def test_deadlines_follow_the_settings(session):
    from console.plugins import settings as plugin_settings

    values = plugin_settings.values("nameplates")
    values = {k: "\n".join(v) if isinstance(v, list) else v for k, v in values.items()}
    assert plugin_settings.save("nameplates", {**values, "deadline_plaque": "3"}) == {}
    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    assert _orders(session, village)[0].deadline == TODAY + dt.timedelta(days=3)


def test_a_compliant_inspection_opens_nothing(session):
    village = village_in(ZHAOYANG)
    inspection = accept(submit(village, plaques=CLEAN, certificates=["村务公开回执"]))
    assert inspection.compliant is True and _orders(session, village) == []
    assert _ledger(session, village).status == "clean"


def test_an_order_past_its_deadline_is_overdue(session):
    from plugins.nameplates import stats
    from plugins.nameplates.services import rectification

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    order = _orders(session, village)[0]
    later = order.deadline + dt.timedelta(days=1)
    assert not order.is_overdue(order.deadline) and order.is_overdue(later)
    assert rectification.overdue_query(session, later).count() == 1
    assert stats.overdue_orders(session, None, later) == 1
    assert stats.overdue_orders(session, None, order.deadline) == 0


def test_reporting_done_needs_a_responsible_person_and_an_after_photo(session):
    from plugins.nameplates.services import rectification
    from plugins.nameplates.errors import NameplatesError

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    order = _orders(session, village)[0]
    with pytest.raises(NameplatesError, match="责任人"):
        rectification.update(session, order.id, user("zhaoyang"), after_files=[jpeg()], rectified_on=TODAY)
    with pytest.raises(NameplatesError, match="整改后照片"):
        rectification.update(session, order.id, user("zhaoyang"), responsible_person="张支书", rectified_on=TODAY)
    session.refresh(order)
    assert order.status == "open" and order.responsible_person is None


def test_an_order_is_closed_off_after_a_passed_reinspection(session):
    from plugins.nameplates.services import photos, rectification
    from plugins.nameplates.errors import NameplatesError

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    order = _orders(session, village)[0]
    rectification.update(session, order.id, user("zhaoyang"), responsible_person="张支书",
                         before_files=[jpeg()], after_files=[jpeg()], rectified_on=TODAY)
    assert order.status == "rectified"
    with pytest.raises(NameplatesError, match="原因"):
        rectification.reinspect(session, order.id, user("nameplates_owner"), False)
    rectification.reinspect(session, order.id, user("nameplates_owner"), False, "牌子仍在")
    assert order.status == "open"
    closed = _close(session, order)
    assert closed.status == "closed" and closed.closed_on == TODAY
    assert len(photos.of(session, photos.ORDER_AFTER, order.id)) == 2
    assert len(photos.of(session, photos.ORDER_BEFORE, order.id)) == 1
    entry = _ledger(session, village)
    assert (entry.status, entry.open_orders, entry.closed_orders) == ("rectified", 0, 1)


def test_a_clean_village_showing_a_removed_plaque_again_is_a_rebound(session):
    from plugins.nameplates.models import Reinspection

    village = village_in(ZHAOYANG)
    first = accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=30)))
    assert not first.rebound
    second = accept(submit(village, plaques=CLEAN + [("计划生育协会", "inside")]))
    assert second.rebound and second.compliant is False
    scheduled = session.query(Reinspection).filter_by(region_id=village.id).one()
    assert scheduled.status == "scheduled" and scheduled.source_inspection_id == second.id
    assert scheduled.due_on == TODAY + dt.timedelta(days=30)
    assert "计划生育协会" in scheduled.reason
    entry = _ledger(session, village)
    assert (entry.status, entry.rebounds) == ("rebound", 1)
    from console.notifications.models import Notification

    told = session.query(Notification).filter_by(source="nameplates").all()
    assert {n.user_id for n in told} == {user("zhaoyang").id}
    assert "倒查发现反弹" in told[0].title


def test_a_rectified_village_issuing_a_cancelled_certificate_again_is_a_rebound(session):
    village = village_in(ZHAOYANG)
    accept(submit(village, certificates=["亲属关系证明"], plaques=CLEAN))
    _close(session, _orders(session, village)[0])
    again = accept(submit(village, plaques=CLEAN, certificates=["亲属关系证明"]))
    assert again.rebound


def test_a_village_with_open_orders_is_not_a_rebound(session):
    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    again = accept(submit(village, plaques=[("老年人协会", "outside")]))
    assert not again.rebound


def test_a_first_inspection_with_findings_is_not_a_rebound(session):
    inspection = accept(submit(village_in(ZHAOYANG), plaques=[("老年人协会", "outside")]))
    assert not inspection.rebound


def test_the_next_accepted_inspection_completes_the_scheduled_reinspection(session):
    from plugins.nameplates.models import Reinspection

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=30)))
    accept(submit(village, plaques=[("计划生育协会", "inside")], day=TODAY - dt.timedelta(days=10)))
    follow_up = accept(submit(village, plaques=CLEAN))
    scheduled = session.query(Reinspection).filter_by(region_id=village.id).one()
    assert (scheduled.status, scheduled.done_inspection_id) == ("done", follow_up.id)
    assert _ledger(session, village).status == "rectifying"  # the rebound's order is still open


def test_the_daily_job_schedules_a_reinspection_a_rebound_lacks(session):
    from plugins.nameplates.services import rectification
    from plugins.nameplates.models import Reinspection

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=30)))
    accept(submit(village, plaques=[("计划生育协会", "inside")]))
    session.query(Reinspection).delete()
    session.commit()
    assert rectification.schedule_missing_reinspections(session) == 1
    assert rectification.schedule_missing_reinspections(session) == 0
    assert session.query(Reinspection).filter_by(region_id=village.id, status="scheduled").count() == 1
