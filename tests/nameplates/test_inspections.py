"""Inspections through the services: whitelist checks, findings, idempotent submission,
review rules, refusals that leave nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, form, jpeg, submit, upload, user, village_in
from console import clock


def test_plaques_are_checked_against_the_whitelist_version_in_force(session):
    from plugins.nameplates.models import WhitelistVersion

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
    from plugins.nameplates.services import registers

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
    from plugins.nameplates.services import inspections
    from plugins.nameplates.models import Inspection

    data = form(village_in(ZHAOYANG), plaques=CLEAN)
    first, created = inspections.submit(session, data, user("zhaoyang"))
    again, created_again = inspections.submit(session, data, user("zhaoyang"))
    assert created and not created_again
    assert again.id == first.id
    assert session.query(Inspection).count() == 1


def test_an_inspection_dated_in_the_future_is_refused(session):
    from plugins.nameplates.errors import NameplatesError
    from plugins.nameplates.models import Inspection

    with pytest.raises(NameplatesError, match="不能晚于今天"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, day=clock.today() + dt.timedelta(days=1))
    assert session.query(Inspection).count() == 0


def test_an_inspector_cannot_create_one_outside_their_county(session):
    from console.foundation.errors import NotFound
    from plugins.nameplates.models import Inspection

    with pytest.raises(NotFound):
        submit(village_in(ZHENXIONG), inspector="zhaoyang", plaques=CLEAN)
    assert session.query(Inspection).count() == 0


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(session):
    from console.files.attachments import NotAnImage
    from console.files.models import Attachment
    from plugins.nameplates.models import Inspection, PlaqueFinding

    with pytest.raises(NotAnImage, match="坏照片.jpg"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, files=[jpeg(), upload(b"%PDF-1.4 not a photo", "坏照片.jpg")])
    assert session.query(Inspection).count() == 0
    assert session.query(PlaqueFinding).count() == 0
    assert session.query(Attachment).count() == 0


def test_photos_are_saved_with_the_inspection(session):
    from plugins.nameplates.services import photos

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN, files=[jpeg(), jpeg(30, 30)])
    saved = photos.of(session, photos.INSPECTION, inspection.id)
    assert [p.content_type for p in saved] == ["image/jpeg", "image/jpeg"]


def test_a_photo_over_the_size_limit_is_refused(session):
    from console.plugins import settings as plugin_settings
    from console.files.attachments import FileTooLarge
    from plugins.nameplates.models import Inspection

    plugin_settings.save("nameplates", {**plugin_settings.values("nameplates"), "photo_max_mb": "1",
                                        "levels": "\n".join(plugin_settings.get("nameplates", "levels")),
                                        "removed_plaques": "\n".join(plugin_settings.get("nameplates", "removed_plaques"))})
    with pytest.raises(FileTooLarge, match="1 MB"):
        submit(village_in(ZHAOYANG), plaques=CLEAN, files=[b"\xff\xd8" + b"0" * (1024 * 1024 + 10)])
    assert session.query(Inspection).count() == 0


def test_an_inspector_cannot_review_their_own_inspection(session):
    from plugins.nameplates.services import inspections
    from plugins.nameplates.errors import Forbidden

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(Forbidden, match="不能审核自己"):
        inspections.review(session, inspection.id, user("zhaoyang"), True)
    assert inspection.status == "submitted"


def test_a_rejection_needs_a_comment(session):
    from plugins.nameplates.services import inspections
    from plugins.nameplates.errors import NameplatesError

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(NameplatesError, match="退回意见"):
        inspections.review(session, inspection.id, user("nameplates_owner"), False, "  ")
    rejected = inspections.review(session, inspection.id, user("nameplates_owner"), False, "照片不清楚")
    assert rejected.status == "rejected" and rejected.review_comment == "照片不清楚"


def test_a_returned_inspection_can_be_corrected_and_goes_back_to_review(session):
    from plugins.nameplates.services import inspections

    village = village_in(ZHAOYANG)
    inspection = submit(village, plaques=CLEAN)
    inspections.review(session, inspection.id, user("nameplates_owner"), False, "漏填门内牌子")
    corrected = inspections.update(session, inspection.id, form(village, plaques=CLEAN + [("民兵连", "outside")]),
                                   user("zhaoyang"))
    assert corrected.status == "submitted"
    assert [p.name for p in corrected.plaques][-1] == "民兵连"


def test_an_accepted_inspection_can_no_longer_be_edited(session):
    from plugins.nameplates.services import inspections
    from plugins.nameplates.errors import Forbidden

    village = village_in(ZHAOYANG)
    inspection = accept(submit(village, plaques=CLEAN))
    with pytest.raises(Forbidden, match="不能再修改"):
        inspections.update(session, inspection.id, form(village, plaques=[("老年人协会", "outside")]), user("zhaoyang"))
    session.refresh(inspection)
    assert [p.name for p in inspection.plaques] == [n for n, _ in CLEAN]


def test_a_reviewer_of_another_county_cannot_review(session):
    from console.foundation.errors import NotFound
    from plugins.nameplates.services import inspections

    inspection = submit(village_in(ZHAOYANG), plaques=CLEAN)
    with pytest.raises(NotFound):
        inspections.review(session, inspection.id, user("zhenxiong"), True)
