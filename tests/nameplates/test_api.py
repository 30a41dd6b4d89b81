"""The REST API of inspections: idempotent submission, bad input explained in Chinese, its OpenAPI entry."""

from __future__ import annotations

import datetime as dt
import uuid

from .conftest import ZHAOYANG, village_in
from console import clock, db


def test_the_api_submission_is_idempotent(app, client, auth):
    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    body = {"client_id": str(uuid.uuid4()), "village_id": village, "level": "村自查",
            "inspected_on": clock.today().isoformat(),
            "plaques": [{"name": "村党组织", "position": "outside"}, {"name": "老年人协会", "position": "inside"}],
            "certificates": ["亲属关系证明"]}
    first = client.post("/api/v1/nameplates_inspections/", json=body)
    second = client.post("/api/v1/nameplates_inspections/", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["findings"] == 2
    assert client.get("/api/v1/nameplates_inspections/").get_json()["count"] == 1


def _submission(village, **extra):
    return {"client_id": str(uuid.uuid4()), "village_id": village, "level": "村自查",
            "inspected_on": clock.today().isoformat(), **extra}


def test_the_time_a_record_was_saved_on_the_phone_is_kept_apart_from_its_arrival(app, client, auth):
    from jiceng.plugins.nameplates.models import Inspection

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    saved = clock.now().replace(microsecond=0) - dt.timedelta(hours=3)
    if saved.date() < clock.today():
        # Just after midnight: the start of today is past and still the inspection's day.
        saved = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    sent = client.post("/api/v1/nameplates_inspections/",
                       json=_submission(village, captured_at=saved.isoformat()))
    assert sent.status_code == 201, sent.get_json()
    ident = sent.get_json()["id"]
    with app.app_context():
        row = db.session.get(Inspection, ident)
        assert row.captured_at == saved.astimezone(dt.UTC).replace(tzinfo=None)
        assert row.created_at > row.captured_at
    shown = client.get(f"/api/v1/nameplates_inspections/{ident}").get_json()["result"]
    assert shown["captured_at"].startswith(saved.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    page = client.get(f"/nameplates/inspections/{ident}").get_data(as_text=True)
    assert f"采集时间</th><td>{saved:%Y-%m-%d %H:%M}" in page

    # Sent without a zone, the time is the console's zone (a phone's local time).
    local = saved.replace(tzinfo=None)
    again = client.post("/api/v1/nameplates_inspections/", json=_submission(village, captured_at=local.isoformat()))
    with app.app_context():
        assert db.session.get(Inspection, again.get_json()["id"]).captured_at == \
            saved.astimezone(dt.UTC).replace(tzinfo=None)


def test_a_capture_time_the_phone_cannot_have_is_refused_in_chinese(app, client, auth):
    from jiceng.plugins.nameplates.models import Inspection

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
        before = db.session.query(Inspection).count()
    ahead = client.post("/api/v1/nameplates_inspections/", json=_submission(
        village, captured_at=(clock.now() + dt.timedelta(hours=2)).isoformat()))
    assert ahead.status_code == 400 and "晚于当前时间" in ahead.get_json()["message"]
    yesterday = clock.now() - dt.timedelta(days=1)
    early = client.post("/api/v1/nameplates_inspections/", json=_submission(
        village, captured_at=yesterday.isoformat()))
    assert early.status_code == 400 and "早于检查日期" in early.get_json()["message"]
    garbled = client.post("/api/v1/nameplates_inspections/", json=_submission(village, captured_at="昨天"))
    assert garbled.status_code == 400 and "captured_at" in garbled.get_json()["message"]
    with app.app_context():
        assert db.session.query(Inspection).count() == before


def test_the_api_explains_bad_input_in_chinese(client, auth):
    auth.login("zhaoyang")
    response = client.post("/api/v1/nameplates_inspections/",
                           json={"level": "村自查", "plaques": [{"position": "上面"}]})
    assert response.status_code == 400
    body = response.get_json()
    # The spec declares a string message (every 400 of the API); the fields are beside it.
    assert isinstance(body["message"], str)
    for part in ("client_id：必填", "village_id：必填", "plaques.0.name：必填", "plaques.0.position：须为"):
        assert part in body["message"]
    assert body["errors"]["client_id"] == ["必填"]
    not_an_object = client.post("/api/v1/nameplates_inspections/", json=["x"])
    assert not_an_object.status_code == 400
    assert not_an_object.get_json()["message"] == "请求体：须为 JSON 对象"


def test_the_api_is_in_the_openapi_spec(client, auth):
    import warnings

    auth.login("admin")
    # Other modules' APIs may warn while the spec is built; this module's must not.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = client.get("/api/v1/_openapi").get_json()
    assert not [w for w in caught if "Nameplates" in str(w.message) or "Inspection" in str(w.message)]
    paths = spec["paths"]
    assert "/api/v1/nameplates_inspections/" in paths
    ours = paths["/api/v1/nameplates_inspections/"]
    assert "post" in ours and "get" in ours
    assert ours["post"]["summary"] == "提交一次挂牌检查（按 client_id 幂等）"
    assert "InspectionSubmitSchema" in spec["components"]["schemas"]


def _multipart(client, body, photos, facts):
    import io
    import json

    data = {"payload": json.dumps({**body, "photos": facts}),
            "photos": [(io.BytesIO(content), name, "image/jpeg") for name, content in photos]}
    return client.post("/api/v1/nameplates_inspections/", data=data, content_type="multipart/form-data")


def test_a_record_and_its_photos_arrive_once_with_the_exif_the_phone_read(app, client, auth):
    """What the phone's outbox sends: the record as JSON in ``payload``, the photos downscaled in
    the page (so without EXIF) and the EXIF facts read before, in the same order."""
    from tests.support import photo

    from console.files.models import Attachment
    from console.foundation.extensions import db

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    body = {"client_id": str(uuid.uuid4()), "village_id": village, "level": "村自查",
            "inspected_on": clock.today().isoformat()}
    downscaled = photo((320, 240))
    with_exif = photo((320, 240), taken="2026:11:30 10:15:00", offset="+08:00", lat=27.5, lon=103.9)
    facts = [{"taken_at": "2026-11-30T09:30:00", "latitude": 27.338, "longitude": 103.717},
             {"taken_at": "2026-01-01T00:00:00", "latitude": 1.0, "longitude": 1.0}]
    first = _multipart(client, body, [("a.jpg", downscaled), ("b.jpg", with_exif)], facts)
    again = _multipart(client, body, [("a.jpg", downscaled), ("b.jpg", with_exif)], facts)
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    with app.app_context():
        stored = (db.session.query(Attachment).filter_by(owner="nameplates.inspection",
                                                         owner_id=first.get_json()["id"])
                  .order_by(Attachment.id).all())
        assert len(stored) == 2
        # 09:30 Beijing time is 01:30 UTC; the second photo's own EXIF wins over the facts.
        assert stored[0].taken_at.isoformat() == "2026-11-30T01:30:00"
        assert (round(stored[0].latitude, 3), round(stored[0].longitude, 3)) == (27.338, 103.717)
        assert stored[1].taken_at.isoformat() == "2026-11-30T02:15:00"
        assert round(stored[1].latitude, 1) == 27.5
        inspection = client.get(f"/api/v1/nameplates_inspections/{first.get_json()['id']}").get_json()["result"]
        assert round(inspection["latitude"], 3) == 27.338


def test_a_refused_photo_leaves_no_record_behind(app, client, auth):
    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    body = {"client_id": str(uuid.uuid4()), "village_id": village, "level": "村自查",
            "inspected_on": clock.today().isoformat()}
    response = _multipart(client, body, [("坏.jpg", b"not a picture")], [])
    assert response.status_code == 400
    assert "坏.jpg" in response.get_json()["message"]
    assert client.get("/api/v1/nameplates_inspections/").get_json()["count"] == 0
    broken = client.post("/api/v1/nameplates_inspections/", data={"payload": "{"},
                         content_type="multipart/form-data")
    assert broken.status_code == 400 and broken.get_json()["message"] == "payload 须为 JSON 文本"
