"""Pages: scope (404 outside the region, whatever id), the form, the ledger and its export, who may
do what."""

from __future__ import annotations

import io
import uuid

import pytest

from tests.support import jpeg, read_xlsx

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, submit, village_in
from console import clock


@pytest.fixture
def zhenxiong_record(app):
    """An accepted inspection with an open order in a 镇雄县 village."""
    with app.app_context():
        village = village_in(ZHENXIONG)
        inspection = accept(submit(village, inspector="zhenxiong", plaques=[("老年人协会", "outside")]))
        from console.foundation.extensions import db
        from jiceng.plugins.nameplates.models import RectificationOrder

        order = db.session.query(RectificationOrder).filter_by(inspection_id=inspection.id).one()
        return {"inspection": inspection.id, "village": village.id, "order": order.id}


def _form(village_id, **extra):
    data = {"client_id": str(uuid.uuid4()), "village_id": str(village_id), "level": "村自查",
            "inspected_on": clock.today().isoformat(),
            "found": ["村党组织|outside", "综治中心|inside"], "extra_name": ["老年人协会"],
            "extra_position": ["outside"], "extra_action": ["remove"], "certificates": "亲属关系证明",
            "wall_boards": "5", "wall_boards_ok": "1"}
    data.update(extra)
    return data


def test_an_inspector_of_another_county_gets_404_everywhere(client, auth, zhenxiong_record):
    auth.login("zhaoyang")
    i, v, o = zhenxiong_record["inspection"], zhenxiong_record["village"], zhenxiong_record["order"]
    for url in (f"/nameplates/inspections/{i}", f"/nameplates/inspections/{i}/edit",
                f"/nameplates/inspection_list/show/{i}", f"/nameplates/ledger/village/{v}",
                f"/nameplates/orders/{o}", f"/nameplates/order_list/show/{o}",
                f"/api/v1/nameplates_inspections/{i}"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.post(f"/nameplates/inspections/{i}/review", data={"decision": "accept"}).status_code == 404
    assert client.post(f"/nameplates/orders/{o}/update", data={"measures": "x"}).status_code == 404
    listing = client.get("/api/v1/nameplates_inspections/").get_json()
    assert listing["count"] == 0


def test_the_home_county_inspector_sees_the_same_records(client, auth, zhenxiong_record):
    auth.login("zhenxiong")
    i = zhenxiong_record["inspection"]
    assert client.get(f"/nameplates/inspections/{i}").status_code == 200
    assert client.get(f"/api/v1/nameplates_inspections/{i}").get_json()["result"]["rebound"] is False


def test_an_inspection_cannot_be_created_for_a_village_outside_scope(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import Inspection

    auth.login("zhaoyang")
    with app.app_context():
        other = village_in(ZHENXIONG).id
    response = client.post("/nameplates/inspections/new", data=_form(other))
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.get_data(as_text=True)
    api = client.post("/api/v1/nameplates_inspections/", json={
        "client_id": str(uuid.uuid4()), "village_id": other, "level": "村自查",
        "inspected_on": clock.today().isoformat()})
    assert api.status_code == 404
    with app.app_context():
        assert db.session.query(Inspection).count() == 0


def test_the_form_records_an_inspection_and_a_resubmission_does_not_duplicate_it(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import Inspection

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    page = client.get("/nameplates/inspections/new").get_data(as_text=True)
    assert 'capture="environment"' in page and "录入挂牌检查" in page
    data = _form(village)
    first = client.post("/nameplates/inspections/new", data=data)
    assert first.status_code == 302
    again = client.post("/nameplates/inspections/new", data=data, follow_redirects=True)
    assert "此前已提交过" in again.get_data(as_text=True)
    with app.app_context():
        rows = db.session.query(Inspection).all()
        assert len(rows) == 1
        assert first.headers["Location"].endswith(f"/nameplates/inspections/{rows[0].id}")
        assert {p.name for p in rows[0].plaques} == {"村党组织", "综治中心", "老年人协会"}


def test_a_photo_that_is_not_an_image_is_refused_by_the_form_and_nothing_is_written(app, client, auth):
    from console.foundation.extensions import db
    from console.files.models import Attachment
    from jiceng.plugins.nameplates.models import Inspection

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    data = _form(village)
    data["photos"] = [(io.BytesIO(jpeg()), "好照片.jpg"), (io.BytesIO(b"MZ\x90\x00 not an image"), "病毒.jpg")]
    response = client.post("/nameplates/inspections/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "病毒.jpg" in text and "不是图片" in text
    assert data["client_id"] in text  # the same form id, so the retry stays idempotent
    with app.app_context():
        assert db.session.query(Inspection).count() == 0
        assert db.session.query(Attachment).count() == 0


def test_a_future_date_is_refused_by_the_form(app, client, auth):
    import datetime as dt

    auth.login("zhaoyang")
    with app.app_context():
        village = village_in(ZHAOYANG).id
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    response = client.post("/nameplates/inspections/new", data=_form(village, inspected_on=tomorrow))
    assert response.status_code == 400
    assert "检查日期不能晚于今天" in response.get_data(as_text=True)


def test_the_reviewer_page_refuses_a_self_review_and_a_bare_rejection(app, client, auth):
    with app.app_context():
        inspection = submit(village_in(ZHAOYANG), plaques=CLEAN).id
    auth.login("zhaoyang")
    page = client.get(f"/nameplates/inspections/{inspection}").get_data(as_text=True)
    assert "不能审核自己录入的检查" in page and 'value="accept"' not in page
    refused = client.post(f"/nameplates/inspections/{inspection}/review", data={"decision": "accept"},
                          follow_redirects=True)
    assert "不能审核自己录入的检查" in refused.get_data(as_text=True)
    auth.logout()
    auth.login("nameplates_owner")
    bare = client.post(f"/nameplates/inspections/{inspection}/review", data={"decision": "reject"},
                       follow_redirects=True)
    assert "退回检查须填写退回意见" in bare.get_data(as_text=True)


def test_the_city_ledger_pages_and_filters(app, client, auth):
    with app.app_context():
        accept(submit(village_in(ZHAOYANG), plaques=[("老年人协会", "outside")]))
    auth.login("lingdao")
    page = client.get("/nameplates/ledger/").get_data(as_text=True)
    assert "共 1424 个村(社区)" in page and "第 1 / 29 页" in page
    rectifying = client.get("/nameplates/ledger/?status=rectifying").get_data(as_text=True)
    assert "共 1 个村(社区)" in rectifying


def test_the_ledger_export_applies_the_scope_and_the_filters(app, client, auth):
    with app.app_context():
        accept(submit(village_in(ZHAOYANG), plaques=[("老年人协会", "outside")]))
        accept(submit(village_in(ZHENXIONG), inspector="zhenxiong", plaques=CLEAN))
    auth.login("zhaoyang")
    response = client.get("/nameplates/ledger/export")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = read_xlsx(response.data)
    assert rows[0][:5] == ("县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "台账状态")
    assert len(rows) == 1 + 206
    assert {r[0] for r in rows[1:]} == {"昭阳区"}
    filtered = read_xlsx(client.get("/nameplates/ledger/export?status=rectifying").data)
    assert len(filtered) == 2 and filtered[1][4] == "整改中"


def test_the_leader_reads_ledgers_but_cannot_record_inspections(app, client, auth):
    auth.login("lingdao")
    assert client.get("/nameplates/ledger/").status_code == 200
    response = client.get("/nameplates/inspections/new")
    assert response.status_code in (302, 403)
    assert client.get("/nameplates/certificates/add").status_code in (302, 403)


def test_the_inspector_reads_registers_but_cannot_change_them(client, auth):
    auth.login("zhaoyang")
    page = client.get("/nameplates/certificates/list/").get_data(as_text=True)
    assert "亲属关系证明" in page and "示例" in page
    assert client.get("/nameplates/certificates/add").status_code in (302, 403)
    assert client.get("/nameplates/whitelist/list/").status_code == 200


def test_inspection_photos_are_served_only_inside_the_scope(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.services import photos

    with app.app_context():
        inspection = submit(village_in(ZHENXIONG), inspector="zhenxiong", plaques=CLEAN, files=[jpeg()])
        photo = photos.of(db.session, photos.INSPECTION, inspection.id)[0].key
    auth.login("zhenxiong")
    assert client.get(f"/console/attachments/{photo}").status_code == 200
    auth.logout()
    auth.login("zhaoyang")
    assert client.get(f"/console/attachments/{photo}").status_code == 404


def test_reviewers_find_the_inspections_waiting_for_review(app, client, auth):
    with app.app_context():
        waiting = submit(village_in(ZHAOYANG, 2), plaques=CLEAN)
        done = accept(submit(village_in(ZHAOYANG, 3), plaques=CLEAN))
        waiting_name, done_name = waiting.region.name, done.region.name
    auth.login("nameplates_owner")
    page = client.get("/nameplates/inspection_list/list/?_flt_0_status=submitted").get_data(as_text=True)
    assert waiting_name in page and done_name not in page
    assert "待审核检查" in client.get("/").get_data(as_text=True)


def test_a_returned_inspection_is_corrected_through_the_form(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.models import Inspection

    from .conftest import user

    with app.app_context():
        village = village_in(ZHAOYANG)
        ident = submit(village, plaques=CLEAN).id
        inspections.review(db.session, ident, user("nameplates_owner"), False, "缺少门内牌子")
        village_id = village.id
    auth.login("zhaoyang")
    page = client.get(f"/nameplates/inspections/{ident}/edit").get_data(as_text=True)
    assert "修改挂牌检查" in page and 'value="村党组织|outside" checked' in page
    response = client.post(f"/nameplates/inspections/{ident}/edit",
                           data=_form(village_id, found=["村党组织|outside", "集体经济组织|inside"], extra_name=[""]))
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Inspection, ident)
        assert row.status == "submitted"
        assert {p.name for p in row.plaques} == {"村党组织", "集体经济组织"}


def test_the_owner_issues_a_new_whitelist_version_as_one_table_copied_from_the_previous(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import WhitelistVersion
    from jiceng.plugins.nameplates.services import registers

    auth.login("nameplates_owner")
    with app.app_context():
        before = [(i.name, i.position) for i in registers.latest_version(db.session).items]
        count = db.session.query(WhitelistVersion).count()
    # The register's add button leads to the table, prefilled with the previous version's plaques.
    assert client.get("/nameplates/whitelist/add").headers["Location"].endswith("/nameplates/whitelist/new")
    page = client.get("/nameplates/whitelist/new").get_data(as_text=True)
    assert all(f'value="{name}"' in page for name, _ in before)
    # Remove the last one, rename none, add one: saved as a unit.
    rows = before[:-1] + [(" 村 史 馆 ", "inside")]
    today = clock.today().isoformat()
    done = client.post("/nameplates/whitelist/new", data={
        "effective_on": today, "note": "新方案", "name": [n for n, _ in rows], "position": [p for _, p in rows]})
    assert done.status_code == 302 and "/nameplates/whitelist/show/" in done.headers["Location"]
    with app.app_context():
        version = registers.version_on(db.session, clock.today())
        assert db.session.query(WhitelistVersion).count() == count + 1
        assert sorted((i.name, i.position) for i in version.items) == sorted(before[:-1] + [("村史馆", "inside")])
        assert version.note == "新方案"


def test_a_version_without_plaques_is_refused_and_nothing_is_saved(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import WhitelistVersion

    auth.login("nameplates_owner")
    with app.app_context():
        count = db.session.query(WhitelistVersion).count()
    today = clock.today().isoformat()
    page = client.post("/nameplates/whitelist/new", data={"effective_on": today, "name": ["", " "],
                                                          "position": ["outside", "inside"]})
    assert page.status_code == 200 and "白名单版本至少要有一块牌子" in page.get_data(as_text=True)
    page = client.post("/nameplates/whitelist/new", data={"effective_on": "2026-13-01", "name": ["村史馆"],
                                                          "position": ["inside"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "生效日期“2026-13-01”无效" in text and 'value="村史馆"' in text
    with app.app_context():
        assert db.session.query(WhitelistVersion).count() == count


def test_the_last_plaque_of_a_version_cannot_be_deleted(app, client, auth):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import WhitelistItem
    from jiceng.plugins.nameplates.services import registers

    with app.app_context():
        version = registers.add_version(db.session, clock.today(), [("村史馆", "inside")])
        [item_id] = [i.id for i in version.items]
    auth.login("nameplates_owner")
    page = client.post(f"/nameplates/whitelist_items/delete/{item_id}", follow_redirects=True)
    assert "最后一块牌子" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(WhitelistItem, item_id) is not None


def test_the_ledger_page_counts_by_county_once_until_a_record_changes(app, client, auth):
    """The year's table by county is six counts per county: the worker keeps it, and an accepted
    inspection shows in it on the next page.  The rows' county names need no query per row."""
    import re

    from sqlalchemy import event

    from console.foundation.extensions import db

    def zhaoyang_inspected(page):
        row = re.search(r'>昭阳区</a></td><td>\d+</td><td>(\d+)</td>', page)
        return int(row.group(1))

    auth.login("lingdao")
    before = zhaoyang_inspected(client.get("/nameplates/ledger/").get_data(as_text=True))
    seen = []
    with app.app_context():
        engine = db.engine
    listen = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert client.get("/nameplates/ledger/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(seen) <= 8, "\n".join(seen)
    with app.app_context():
        accept(submit(village_in(ZHAOYANG), plaques=CLEAN))
    assert zhaoyang_inspected(client.get("/nameplates/ledger/").get_data(as_text=True)) == before + 1


def test_the_ledgers_date_filter_explains_a_bad_date(ctx, client, auth):
    from console.plugins import manager as plugins

    plugins.set_enabled("nameplates", True)
    auth.login("admin")
    page = client.get("/nameplates/ledger/?from=2026-13-01&to=2026-12-31").get_data(as_text=True)
    assert "检查日期起“2026-13-01”不是有效日期" in page and "共 0 个村(社区)" in page
