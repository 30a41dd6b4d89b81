"""Pages, exports and the REST API under the regional scope: a 昭阳区 inspector never reaches a
镇雄县 record, whichever way is tried."""

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN_PASSWORD, DEMO_PASSWORD
from tests.visits.conftest import ZHENXIONG


@pytest.fixture
def other_county(world):
    """An enterprise of 镇雄县 with a visit and a problem."""
    e = world.enterprise(900, county=ZHENXIONG, name="镇雄测试企业")
    v = world.visit(e)
    p = world.problem(e, world.department(ZHENXIONG))
    return {"enterprise": e.id, "visit": v.id, "problem": p.id}


def _jwt(client, username):
    password = ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD
    r = client.post("/api/v1/security/login",
                    json={"username": username, "password": password, "provider": "db"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {"Authorization": f"Bearer {r.json['access_token']}"}


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
        response = client.get(path)
        assert response.status_code == 200
        text = " ".join(str(c.value) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()
                        for c in row)
        assert "镇雄测试企业" not in text


@pytest.mark.parametrize("path", ["/api/v1/visits_enterprises/{enterprise}",
                                  "/api/v1/visits_visits/{visit}", "/api/v1/visits_problems/{problem}"])
def test_api_items_of_other_counties_are_404(client, other_county, path):
    headers = _jwt(client, "zhaoyang")
    assert client.get(path.format(**other_county), headers=headers).status_code == 404


def test_api_cannot_move_other_county_problems(client, other_county):
    headers = _jwt(client, "zhaoyang")
    r = client.post(f"/api/v1/visits_problems/{other_county['problem']}/transition",
                    json={"to": "已交办"}, headers=headers)
    assert r.status_code == 404


def test_api_cannot_add_visits_to_other_county_enterprises(client, other_county):
    headers = _jwt(client, "zhaoyang")
    r = client.post("/api/v1/visits_visits/", headers=headers,
                    json={"enterprise_id": other_county["enterprise"], "visit_date": "2025-03-01",
                          "send_items": "送政策"})
    assert r.status_code == 404


def test_api_lists_only_the_users_county(client, world, other_county):
    world.enterprise(1, name="昭阳自家企业")
    headers = _jwt(client, "zhaoyang")
    names = [row["name"] for row in client.get("/api/v1/visits_enterprises/", headers=headers).json["result"]]
    assert names == ["昭阳自家企业"]


def test_api_creates_enterprise_with_the_same_rules(client, world):
    headers = _jwt(client, "visits_owner")
    region = world.township("530602").id
    bad = client.post("/api/v1/visits_enterprises/", headers=headers,
                      json={"name": "坏代码企业", "credit_code": "91350100M000100Y44", "region_id": region})
    assert bad.status_code == 400 and "校验位" in bad.json["message"]
    good = client.post("/api/v1/visits_enterprises/", headers=headers,
                       json={"name": "接口企业", "credit_code": "91350100m000100y43", "region_id": region})
    assert good.status_code == 201, good.get_data(as_text=True)
    assert good.json["result"]["credit_code"] == "91350100M000100Y43"
    again = client.post("/api/v1/visits_enterprises/", headers=headers,
                        json={"name": "重复企业", "credit_code": "91350100M000100Y43", "region_id": region})
    assert again.status_code == 400 and "已被登记" in again.json["message"]


def test_api_workflow_refuses_disallowed_moves_and_stale_versions(client, world):
    e = world.enterprise(1)
    p = world.problem(e, world.department())
    headers = _jwt(client, "zhaoyang")
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition", json={"to": "已办结"}, headers=headers)
    assert r.status_code == 400 and "不能改为“已办结”" in r.json["message"]
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition",
                    json={"to": "已交办", "version": p.version}, headers=headers)
    assert r.status_code == 200 and r.json["status"] == "已交办"
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition",
                    json={"to": "办理中", "version": 1}, headers=headers)
    assert r.status_code == 409


def test_api_is_in_the_openapi_spec(client):
    headers = _jwt(client, "admin")
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    spec = response.json
    for path in ("/visits_enterprises/", "/visits_visits/", "/visits_problems/",
                 "/visits_problems/{pk}/transition"):
        assert "/api/v1" + path in spec["paths"], sorted(p for p in spec["paths"] if "visits" in p)


def test_leader_reads_but_cannot_add(client, auth, world):
    e = world.enterprise(1)
    auth.login("lingdao")
    assert client.get(f"/visits/enterprises/show/{e.id}").status_code == 200
    assert client.get("/visits/problems/board/").status_code == 200
    response = client.get(f"/visits/visits/add?enterprise={e.id}")
    assert response.status_code in (302, 403)


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
    from plugins.visits.models import Visit

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
    from plugins.visits.services import problems as P

    P.transition(p, P.ASSIGNED, world.user("admin"))
    world.session.commit()
    auth.login("zhaoyang")
    for path in ("/visits/problems/board/", "/visits/problems/list/", "/visits/problems/mine/",
                 f"/visits/problems/show/{p.id}", "/visits/problems/list/?overdue=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "逾期" in response.get_data(as_text=True), path
