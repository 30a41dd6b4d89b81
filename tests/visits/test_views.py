"""The module's pages: the regional scope on every page and export (a 昭阳区 inspector never
reaches a 镇雄县 record, whichever way is tried), the forms, taking a photo off a visit (scope,
CSRF, audit log), teams and departments, exports and deep pages of the enterprise list."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, text
from werkzeug.datastructures import FileStorage

from console.database import paging
from console.foundation.extensions import db
from jiceng.plugins.visits.models import Enterprise
from jiceng.plugins.visits.services import problems as P
from tests.support import DEMO_PASSWORD, export, jpeg
from tests.visits.conftest import IN_ZHAOYANG, ZHAOYANG, ZHENXIONG, World, _add, _county, _expected


# -- the regional scope ------------------------------------------------------------------------


PAGES = [
    ("get", "/visits/enterprises/show/{enterprise}"), ("get", "/visits/enterprises/edit/{enterprise}"),
    ("post", "/visits/enterprises/edit/{enterprise}"), ("post", "/visits/enterprises/delete/{enterprise}"),
    ("get", "/visits/visits/show/{visit}"), ("get", "/visits/visits/edit/{visit}"),
    ("post", "/visits/visits/delete/{visit}"), ("get", "/visits/visits/add?enterprise={enterprise}"),
    ("get", "/visits/problems/show/{problem}"), ("get", "/visits/problems/edit/{problem}"),
    ("post", "/visits/problems/act/{problem}"), ("post", "/visits/problems/delete/{problem}"),
    ("get", "/visits/problems/add?enterprise={enterprise}"),
]


@pytest.fixture
def zhaoyang_owner(world):
    """The module owner, narrowed to 昭阳区: every permission, so only the scope can refuse."""
    owner = world.user("visits_owner")
    owner.scope_region = world.region("530602")
    world.session.commit()
    return "visits_owner"


@pytest.mark.parametrize("method,path", PAGES)
def test_other_county_records_are_404_on_every_page(client, auth, other_county, zhaoyang_owner,
                                                    method, path):
    auth.login(zhaoyang_owner)
    response = getattr(client, method)(path.format(**other_county), data={"to": "已交办"})
    assert response.status_code == 404
    assert "镇雄测试企业" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method,path", [p for p in PAGES if "enterprises/" not in p[1] and "delete" not in p[1]])
def test_other_county_visits_and_problems_are_404_for_the_inspector(client, auth, other_county,
                                                                    method, path):
    auth.login("zhaoyang")
    response = getattr(client, method)(path.format(**other_county), data={"to": "已交办"})
    assert response.status_code == 404


def test_inspector_cannot_edit_the_registry(client, auth, world):
    e = world.enterprise(1)
    auth.login("zhaoyang")
    assert client.get(f"/visits/enterprises/edit/{e.id}").status_code == 403


def test_the_county_user_still_sees_own_records(client, auth, world):
    e = world.enterprise(1, name="昭阳自家企业")
    auth.login("zhaoyang")
    assert "昭阳自家企业" in client.get(f"/visits/enterprises/show/{e.id}").get_data(as_text=True)


def test_lists_and_exports_leave_other_counties_out(client, auth, world, other_county):
    world.enterprise(1, name="昭阳自家企业")
    auth.login("zhaoyang")
    page = client.get("/visits/enterprises/list/").get_data(as_text=True)
    assert "昭阳自家企业" in page and "镇雄测试企业" not in page
    for path in ("/visits/enterprises/export/", "/visits/visits/export/", "/visits/problems/export/"):
        response = export(client, path)
        assert response.status_code == 200
        text = " ".join(str(c.value) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()
                        for c in row)
        assert "镇雄测试企业" not in text


def test_leader_reads_but_cannot_add(client, auth, world):
    e = world.enterprise(1)
    auth.login("lingdao")
    assert client.get(f"/visits/enterprises/show/{e.id}").status_code == 200
    assert client.get("/visits/problems/board/").status_code == 200
    response = client.get(f"/visits/visits/add?enterprise={e.id}")
    assert response.status_code in (302, 403)


# -- forms -------------------------------------------------------------------------------------


def test_visit_form_logs_a_visit_with_a_photo(client, auth, world):
    from PIL import Image

    e = world.enterprise(1)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buf, "JPEG")
    auth.login("zhaoyang")
    page = client.get(f"/visits/visits/add?enterprise={e.id}").get_data(as_text=True)
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    response = client.post(f"/visits/visits/add?enterprise={e.id}", data={
        "visit_date": "2025-05-01", "send_items": ["送政策", "送温暖"], "enter_target": "进企业",
        "notes": "座谈", "photos": (io.BytesIO(buf.getvalue()), "现场.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "送政策、送温暖" in text and "现场照片" in text


def test_visit_form_refuses_a_non_image_and_writes_nothing(client, auth, world):
    from jiceng.plugins.visits.models import Visit

    e = world.enterprise(1)
    auth.login("zhaoyang")
    response = client.post(f"/visits/visits/add?enterprise={e.id}", data={
        "visit_date": "2025-05-01", "send_items": "送政策",
        "photos": (io.BytesIO(b"not an image at all"), "a.jpg")}, content_type="multipart/form-data")
    assert "不是图片" in response.get_data(as_text=True)
    world.session.expire_all()
    assert world.session.query(Visit).count() == 0


def test_future_visit_date_is_refused_on_the_form(client, auth, world, days):
    e = world.enterprise(1)
    auth.login("zhaoyang")
    response = client.post(f"/visits/visits/add?enterprise={e.id}", data={
        "visit_date": days(2).isoformat(), "send_items": "送政策"})
    assert "走访日期不能晚于今天" in response.get_data(as_text=True)


def test_problem_pages_render_for_the_inspector(client, auth, world, days):
    e = world.enterprise(1)
    p = world.problem(e, world.department(members=["zhaoyang"]), due=days(-1),
                      raised_on=days(-5).isoformat())
    from jiceng.plugins.visits.services import problems as P

    P.transition(p, P.ASSIGNED, world.user("admin"))
    world.session.commit()
    auth.login("zhaoyang")
    for path in ("/visits/problems/board/", "/visits/problems/list/", "/visits/problems/mine/",
                 f"/visits/problems/show/{p.id}", "/visits/problems/list/?overdue=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "逾期" in response.get_data(as_text=True), path


# -- removing a photo --------------------------------------------------------------------------



def _visit_with_photos(world, county=None, n=2, number=700):
    from jiceng.plugins.visits.services import visits

    e = world.enterprise(number, **({"county": county} if county else {}))
    v = world.visit(e)
    visits.add_photos(world.session, v, [FileStorage(io.BytesIO(jpeg(64, 48, colour=c)), filename=f"现场{i}.jpg")
                                         for i, c in enumerate(("red", "blue", "green")[:n])])
    world.session.commit()
    return v, [a.id for a in visits.photos_of(world.session, v)]


def _photo_url(world, photo_id):
    from console.files.models import Attachment

    return f"/console/attachments/{world.session.get(Attachment, photo_id).key}"


def _photo_ids(world, visit_id):
    from console.files.models import Attachment

    world.session.expire_all()
    return [a.id for a in world.session.query(Attachment).filter_by(owner="visits.visit", owner_id=visit_id)
            .order_by(Attachment.id)]


def test_the_inspector_removes_one_photo_and_the_log_says_so(client, auth, world):
    from console.audit.models import AuditLog

    visit, photos = _visit_with_photos(world)
    addresses = [_photo_url(world, photo) for photo in photos]
    auth.login("zhaoyang")
    page = client.get(f"/visits/visits/show/{visit.id}").get_data(as_text=True)
    assert page.count('name="photo"') == 2 and "删除照片" in page
    assert all(address in page for address in addresses)
    assert 'name="photo"' in client.get(f"/visits/visits/edit/{visit.id}").get_data(as_text=True)

    response = client.post(f"/visits/visits/photos/{visit.id}/remove",
                           data={"photo": photos[0], "back": "edit"}, follow_redirects=True)
    assert response.status_code == 200 and "照片已删除" in response.get_data(as_text=True)
    assert response.request.path == f"/visits/visits/edit/{visit.id}"
    assert _photo_ids(world, visit.id) == photos[1:]
    entry = world.session.query(AuditLog).filter_by(entity="attachment", entity_id=str(photos[0])).one()
    assert entry.action == "delete" and entry.username == "zhaoyang" and "现场0.jpg" in entry.summary
    assert json.loads(entry.changes)["owner_id"] == [visit.id, None]
    assert client.get(addresses[0]).status_code == 404
    assert client.get(addresses[1]).status_code == 200


def test_a_photo_of_another_visit_or_a_missing_one_is_refused_in_chinese(client, auth, world):
    visit, photos = _visit_with_photos(world)
    other, other_photos = _visit_with_photos(world, n=1, number=701)
    auth.login("zhaoyang")
    for photo in (other_photos[0], 999999, "abc", ""):
        response = client.post(f"/visits/visits/photos/{visit.id}/remove", data={"photo": photo},
                               follow_redirects=True)
        assert "这张照片不存在，或已被删除" in response.get_data(as_text=True)
    assert _photo_ids(world, visit.id) == photos and _photo_ids(world, other.id) == other_photos


def test_another_countys_user_cannot_remove_a_photo(client, auth, world):
    visit, photos = _visit_with_photos(world, county=ZHENXIONG)
    auth.login("zhaoyang")
    response = client.post(f"/visits/visits/photos/{visit.id}/remove", data={"photo": photos[0]})
    assert response.status_code == 404
    auth.logout()
    auth.login("lingdao")  # reads every county, edits none
    response = client.post(f"/visits/visits/photos/{visit.id}/remove", data={"photo": photos[0]},
                           follow_redirects=True)
    assert "删除照片" not in client.get(f"/visits/visits/show/{visit.id}").get_data(as_text=True)
    assert _photo_ids(world, visit.id) == photos


def test_removing_needs_a_post_with_the_csrf_token(make_app, world):
    from tests.conftest import DEMO_PASSWORD

    visit, photos = _visit_with_photos(world)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/login/", data={"username": "zhaoyang", "password": DEMO_PASSWORD, "csrf_token": token})
    url = f"/visits/visits/photos/{visit.id}/remove"
    assert client.get(url, query_string={"photo": photos[0]}).status_code == 405
    assert client.post(url, data={"photo": photos[0]}).status_code == 400
    assert _photo_ids(world, visit.id) == photos
    page = client.get(f"/visits/visits/show/{visit.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(url, data={"photo": photos[0], "csrf_token": token})
    assert _photo_ids(world, visit.id) == photos[1:]


# -- teams and departments ---------------------------------------------------------------------
# A record still referenced is not deleted, and the user is told why.


def test_a_department_with_problems_is_not_deleted(world, client, auth):
    from jiceng.plugins.visits.models import Department

    department = world.department(members=("zhaoyang",))
    world.problem(world.enterprise(), department=department)
    auth.login()
    page = client.post(f"/visits/departments/delete/{department.id}", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "仍被其他记录引用" in text and "Traceback" not in text
    world.session.expire_all()
    assert world.session.get(Department, department.id) is not None


def test_an_unused_department_is_deleted(world, client, auth):
    from jiceng.plugins.visits.models import Department

    department = world.department(name="待撤销单位")
    auth.login()
    client.post(f"/visits/departments/delete/{department.id}", follow_redirects=True)
    world.session.expire_all()
    assert world.session.get(Department, department.id) is None


# -- exports -----------------------------------------------------------------------------------


def test_export_neutralizes_formulas(client, auth, world):
    world.enterprise(1, name="=HYPERLINK(\"http://x\",\"点我\")")
    auth.login("admin")
    sheet = load_workbook(io.BytesIO(export(client, "/visits/enterprises/export/").data)).active
    assert sheet.cell(2, 1).value.startswith("'=")


# -- deep pages of the enterprise list ---------------------------------------------------------
# Deep pages (a deferred join and a page map, ``console.paging``): every page holds exactly the
# rows of a plain ``ORDER BY name, id`` read at that moment, sliced in Python; the total stays
# exact; the scope still applies.  Expected values come from plain SQL over the table, never
# from the code under test.  Requests run outside any app context of the test's own: one held
# open would be shared by every request (and with it ``g``, where the signed-in user is kept).


SIZE = 25


def _page(client, number, **args):
    html = client.get("/visits/enterprises/list/", query_string={"page": number, **args}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'/visits/enterprises/show/(\d+)"', html)]
    total = int(re.search(r"共 (\d+) 条", html).group(1))
    return ids, total


def test_every_page_equals_the_plain_query(client, auth, registry):
    expected = _expected(registry)
    auth.login()
    for number in (1, 2, 3):
        ids, total = _page(client, number)
        assert total == len(expected) == 70
        assert ids == expected[(number - 1) * SIZE:number * SIZE]
    # A page past the end shows the last one, as before.
    assert _page(client, 99)[0] == expected[50:]


def test_filtered_pages_equal_the_plain_query(client, auth, registry):
    county = _county(registry, ZHAOYANG)
    expected = _expected(registry, "county_id = :c AND industry = :i", c=county, i="制造业")
    auth.login()
    ids, total = _page(client, 1, county=county, industry="制造业")
    assert total == len(expected) and ids == expected[:SIZE]
    # Any part of the name: 同名企业1 as well as 企业1号.
    ids, total = _page(client, 1, q="企业1")
    assert ids == _expected(registry, "name LIKE '%企业1%'") and total == len(ids)
    assert set(_expected(registry, "name LIKE '同名企业1%'")) <= set(ids)


def test_a_county_users_deep_page_holds_only_the_county(client, auth, registry):
    expected = _expected(registry, IN_ZHAOYANG)
    assert len(expected) > SIZE  # a second page exists
    auth.login("zhaoyang")
    seen = []
    for number in (1, 2):
        ids, total = _page(client, number)
        assert total == len(expected)
        seen += ids
    assert seen == expected


def test_page_rows_matches_offset_for_every_page_and_order(registry):
    """The deferred join gives the rows of LIMIT/OFFSET, for ascending and descending orders and
    a filtered query, on every page including a partial last one and one past the end."""
    with registry.app_context():
        _compare_with_offset(World(registry).session)


def _compare_with_offset(session):
    for query in (session.query(Enterprise).order_by(Enterprise.name, Enterprise.id),
                  session.query(Enterprise).order_by(Enterprise.name.desc(), Enterprise.id.desc()),
                  session.query(Enterprise).filter(Enterprise.industry == "制造业")
                  .order_by(Enterprise.name, Enterprise.id)):
        all_ids = [e.id for e in query]
        assert paging.count_rows(query) == len(all_ids)
        for offset in range(0, 80, 7):
            assert [e.id for e in paging.page_rows(query, 10, offset)] == all_ids[offset:offset + 10]


def test_pages_started_from_the_page_map_match_offset(registry, monkeypatch):
    """With a mapped key every 7 rows, every page but the first few starts from a key of the
    map (a keyset condition): still exactly the rows of LIMIT/OFFSET, ties in names included."""
    monkeypatch.setattr(paging, "STRIDE", 7)
    with registry.app_context():
        session = World(registry).session
        _compare_with_offset(session)
        # Page 6 of 10 rows starts after the 7th mapped key (row 49) and skips 1 row, not 50.
        seen = []
        listen = lambda conn, cursor, statement, params, *rest: seen.append((statement, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            paging.page_rows(session.query(Enterprise).order_by(Enterprise.name, Enterprise.id), 10, 50)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        statement, params = seen[-1]
        assert "(visits_enterprise.name, visits_enterprise.id) >" in statement, statement
        values = tuple(params.values()) if isinstance(params, dict) else tuple(params)
        assert 50 not in values and 1 in values, params


def test_the_page_map_follows_rows_added_on_another_worker(registry, make_app, monkeypatch):
    """The map is kept by each worker until a record changes through any of them."""
    monkeypatch.setattr(paging, "STRIDE", 7)
    worker = make_app()
    client = worker.test_client()
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    for rounds in range(3):
        expected = _expected(registry)
        for number in (1, 2, 3):
            ids, total = _page(client, number)
            assert total == len(expected)
            assert ids == expected[(number - 1) * SIZE:number * SIZE]
        _add(registry, 2000 + rounds, "企业1号")  # on the shared app: sorts into the middle


def test_walking_the_pages_while_rows_are_inserted(client, auth, registry):
    """What paging by (name, id) guarantees while others insert.

    Rows inserted that sort after the page being read shift nothing already read: walking the
    pages then shows every row that was there at the start exactly once, in order, and the new
    ones in their place.  Rows inserted that sort before it shift the later pages by one each:
    a row at a page boundary shows twice, but none is skipped."""
    auth.login()
    start = _expected(registry)
    seen, n = [], 1000
    for number in (1, 2, 3):
        seen += _page(client, number)[0]
        _add(registry, n, "龢企业")  # sorts after every name so far
        n += 1
    later = [i for i in _expected(registry) if i not in start]
    assert seen == start + later[:len(seen) - len(start)]

    before = _expected(registry)
    seen = []
    for number in range(1, 5):
        seen += _page(client, number)[0]
        _add(registry, n, "一号企业")  # sorts before every name so far
        n += 1
    assert set(before) <= set(seen)
    assert len(seen) - len(set(seen)) <= 3  # one repeat at most per insert


@pytest.mark.parametrize("county", ["١٢", "99999999999999999999", "abc", "-1"])
def test_the_board_ignores_a_county_that_is_not_an_id_from_its_picker(client, auth, county):
    auth.login()
    response = client.get("/visits/problems/board/", query_string={"county": county})
    assert response.status_code == 200
