"""The rules through the services: inspections (whitelist checks, findings, idempotent submission,
review rules, refusals that leave nothing behind); findings become rectification orders that are
worked, re-inspected and closed off; the reverse check catches a rebound and schedules a
re-inspection."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.conftest import BACKEND

from tests.support import jpeg

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, form, submit, upload, user, village_in
from console import clock

TODAY = clock.today()


def _ledger(session, village):
    from jiceng.plugins.nameplates.models import VillageLedger

    return session.query(VillageLedger).filter_by(region_id=village.id).one()


def _orders(session, village):
    from jiceng.plugins.nameplates.models import RectificationOrder

    return session.query(RectificationOrder).filter_by(region_id=village.id).order_by(RectificationOrder.id).all()


def _close(session, order):
    from jiceng.plugins.nameplates.services import rectification

    rectification.update(session, order.id, user("zhaoyang"), responsible_person="张支书",
                         after_files=[jpeg()], rectified_on=TODAY)
    return rectification.reinspect(session, order.id, user("nameplates_owner"), True)


def test_plaques_are_checked_against_the_whitelist_version_in_force(session):
    from jiceng.plugins.nameplates.models import WhitelistVersion

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN + [("老年人协会", "outside"), ("综治中心", "outside")])
    found = {(p.name, p.position): p for p in inspection.plaques}
    assert found[("村党组织", "outside")].on_whitelist
    assert found[("综治中心", "inside")].on_whitelist
    # on the whitelist, but inside the door: hung outside it is a finding
    assert not found[("综治中心", "outside")].on_whitelist
    assert not found[("老年人协会", "outside")].on_whitelist
    assert found[("老年人协会", "outside")].action == "remove"
    assert inspection.whitelist_version_id == session.query(WhitelistVersion).filter_by(number=1).one().id


def test_a_newer_whitelist_version_applies_from_its_date(session):
    from jiceng.plugins.nameplates.services import registers

    registers.add_version(session, clock.today(), [("村党组织", "outside"), ("老年人协会", "inside")])
    session.commit()
    old = submit(village_in(ZHAOYANG), plaques=[("老年人协会", "inside")], day=clock.today() - dt.timedelta(days=1))
    new = submit(village_in(ZHAOYANG, 1), plaques=[("老年人协会", "inside")])
    assert not old.plaques[0].on_whitelist and old.whitelist_version.number == 1
    assert new.plaques[0].on_whitelist and new.whitelist_version.number == 2


def test_a_plaque_in_no_register_is_accepted_and_flagged(session):
    inspection = submit(village_in(ZHAOYANG), plaques=[("星际旅行服务站", "inside"), ("老年人协会", "outside")])
    flags = {p.name: p.unregistered for p in inspection.plaques}
    assert flags == {"星际旅行服务站": True, "老年人协会": False}


def test_a_cancelled_certificate_is_found(session):
    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN, certificates=["亲属关系证明", "村务公开回执"])
    found = {c.name: c for c in inspection.certificates}
    assert found["亲属关系证明"].cancelled and found["亲属关系证明"].cancelled_id
    assert not found["村务公开回执"].cancelled


def test_the_same_client_id_twice_gives_one_inspection(session):
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.models import Inspection

    data = form(village_in(ZHAOYANG), plaques=CLEAN)
    first, created = inspections.submit(session, data, user("zhaoyang"))
    again, created_again = inspections.submit(session, data, user("zhaoyang"))
    assert created and not created_again
    assert again.id == first.id
    assert session.query(Inspection).count() == 1


def test_an_inspection_dated_in_the_future_is_refused(session):
    from jiceng.plugins.nameplates.errors import NameplatesError
    from jiceng.plugins.nameplates.models import Inspection

    with pytest.raises(NameplatesError, match="不能晚于今天"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, day=clock.today() + dt.timedelta(days=1))
    assert session.query(Inspection).count() == 0


def test_an_inspector_cannot_create_one_outside_their_county(session):
    from console.foundation.errors import NotFound
    from jiceng.plugins.nameplates.models import Inspection

    with pytest.raises(NotFound):
        submit(village_in(ZHENXIONG), inspector="zhaoyang", plaques=CLEAN)
    assert session.query(Inspection).count() == 0


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(session):
    from console.files.attachments import NotAnImage
    from console.files.models import Attachment
    from jiceng.plugins.nameplates.models import Inspection, PlaqueFinding

    with pytest.raises(NotAnImage, match="坏照片.jpg"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, files=[jpeg(), upload(b"%PDF-1.4 not a photo", "坏照片.jpg")])
    assert session.query(Inspection).count() == 0
    assert session.query(PlaqueFinding).count() == 0
    assert session.query(Attachment).count() == 0


def test_photos_are_saved_with_the_inspection(session):
    from jiceng.plugins.nameplates.services import photos

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN, files=[jpeg(), jpeg(30, 30)])
    saved = photos.of(session, photos.INSPECTION, inspection.id)
    assert [p.content_type for p in saved] == ["image/jpeg", "image/jpeg"]


def test_a_photo_over_the_size_limit_is_refused(session):
    from console.plugins import settings as plugin_settings
    from console.files.attachments import FileTooLarge
    from jiceng.plugins.nameplates.models import Inspection

    plugin_settings.save("nameplates", {**plugin_settings.values("nameplates"), "photo_max_mb": "1",
                                        "levels": "\n".join(plugin_settings.get("nameplates", "levels")),
                                        "removed_plaques": "\n".join(plugin_settings.get("nameplates", "removed_plaques"))})
    with pytest.raises(FileTooLarge, match="1 MB"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, files=[b"\xff\xd8" + b"0" * (1024 * 1024 + 10)])
    assert session.query(Inspection).count() == 0


def test_an_inspector_cannot_review_their_own_inspection(session):
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.errors import Forbidden

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(Forbidden, match="不能审核自己"):
        inspections.review(session, inspection.id, user("zhaoyang"), True)
    assert inspection.status == "submitted"


def test_a_rejection_needs_a_comment(session):
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.errors import NameplatesError

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(NameplatesError, match="退回意见"):
        inspections.review(session, inspection.id, user("nameplates_owner"), False, "  ")
    rejected = inspections.review(session, inspection.id, user("nameplates_owner"), False, "照片不清楚")
    assert rejected.status == "rejected" and rejected.review_comment == "照片不清楚"


def test_a_returned_inspection_can_be_corrected_and_goes_back_to_review(session):
    from jiceng.plugins.nameplates.services import inspections

    village = village_in(ZHAOYANG)
    inspection = submit(village, plaques=CLEAN)
    inspections.review(session, inspection.id, user("nameplates_owner"), False, "漏填门内牌子")
    corrected = inspections.update(session, inspection.id, form(village, plaques=CLEAN + [("民兵连", "outside")]),
                                   user("zhaoyang"))
    assert corrected.status == "submitted"
    assert [p.name for p in corrected.plaques][-1] == "民兵连"


def test_an_accepted_inspection_can_no_longer_be_edited(session):
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.errors import Forbidden

    village = village_in(ZHAOYANG)
    inspection = accept(submit(village, plaques=CLEAN))
    with pytest.raises(Forbidden, match="不能再修改"):
        inspections.update(session, inspection.id, form(village, plaques=[("老年人协会", "outside")]), user("zhaoyang"))
    session.refresh(inspection)
    assert [p.name for p in inspection.plaques] == [n for n, _ in CLEAN]


def test_a_reviewer_of_another_county_cannot_review(session):
    from console.foundation.errors import NotFound
    from jiceng.plugins.nameplates.services import inspections

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(NotFound):
        inspections.review(session, inspection.id, user("zhenxiong"), True)


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite lets one writer in at a time, so the two "
                    "transactions this race needs cannot overlap there; tests/adversarial covers SQLite "
                    "through gunicorn")
def test_two_concurrent_submissions_of_one_form_make_one_inspection(app):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.models import Inspection

    with app.app_context():
        data = form(village_in(ZHAOYANG), plaques=CLEAN)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                inspector = user("zhaoyang")
                barrier.wait()
                inspection, created = inspections.submit(db.session, data, inspector)
                results.append((inspection.id, created))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({ident for ident, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
    with app.app_context():
        assert db.session.query(Inspection).count() == 1


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
    from jiceng.plugins.nameplates import stats
    from jiceng.plugins.nameplates.services import rectification

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=[("老年人协会", "outside")]))
    order = _orders(session, village)[0]
    later = order.deadline + dt.timedelta(days=1)
    assert not order.is_overdue(order.deadline) and order.is_overdue(later)
    assert rectification.overdue_query(session, later).count() == 1
    assert stats.overdue_orders(session, None, later) == 1
    assert stats.overdue_orders(session, None, order.deadline) == 0


def test_reporting_done_needs_a_responsible_person_and_an_after_photo(session):
    from jiceng.plugins.nameplates.services import rectification
    from jiceng.plugins.nameplates.errors import NameplatesError

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
    from jiceng.plugins.nameplates.services import photos, rectification
    from jiceng.plugins.nameplates.errors import NameplatesError

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
    from jiceng.plugins.nameplates.models import Reinspection

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
    from jiceng.plugins.nameplates.models import Reinspection

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=30)))
    accept(submit(village, plaques=[("计划生育协会", "inside")], day=TODAY - dt.timedelta(days=10)))
    follow_up = accept(submit(village, plaques=CLEAN))
    scheduled = session.query(Reinspection).filter_by(region_id=village.id).one()
    assert (scheduled.status, scheduled.done_inspection_id) == ("done", follow_up.id)
    assert _ledger(session, village).status == "rectifying"  # the rebound's order is still open
