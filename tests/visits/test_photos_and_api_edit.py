"""Taking a photo off a visit (scope, CSRF, audit log) and editing problems through
``PUT /api/v1/visits_problems/<pk>`` with the workflow's rules."""

from __future__ import annotations

import io
import json
import re

import pytest
from werkzeug.datastructures import FileStorage

from tests.visits.conftest import ZHENXIONG
from tests.visits.test_scope_and_pages import _jwt


def _jpeg(colour="red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _visit_with_photos(world, county=None, n=2, number=700):
    from plugins.visits.services import visits

    e = world.enterprise(number, **({"county": county} if county else {}))
    v = world.visit(e)
    visits.add_photos(world.session, v, [FileStorage(io.BytesIO(_jpeg(c)), filename=f"现场{i}.jpg")
                                         for i, c in enumerate(("red", "blue", "green")[:n])])
    world.session.commit()
    return v, [a.id for a in visits.photos_of(world.session, v)]


def _photo_ids(world, visit_id):
    from console.files.models import Attachment

    world.session.expire_all()
    return [a.id for a in world.session.query(Attachment).filter_by(owner="visits.visit", owner_id=visit_id)
            .order_by(Attachment.id)]


# -- removing a photo --------------------------------------------------------------------------


def test_the_inspector_removes_one_photo_and_the_log_says_so(client, auth, world):
    from console.audit.models import AuditLog

    visit, photos = _visit_with_photos(world)
    auth.login("zhaoyang")
    page = client.get(f"/visits/visits/show/{visit.id}").get_data(as_text=True)
    assert page.count('name="photo"') == 2 and "删除照片" in page
    assert 'name="photo"' in client.get(f"/visits/visits/edit/{visit.id}").get_data(as_text=True)

    response = client.post(f"/visits/visits/photos/{visit.id}/remove",
                           data={"photo": photos[0], "back": "edit"}, follow_redirects=True)
    assert response.status_code == 200 and "照片已删除" in response.get_data(as_text=True)
    assert response.request.path == f"/visits/visits/edit/{visit.id}"
    assert _photo_ids(world, visit.id) == photos[1:]
    entry = world.session.query(AuditLog).filter_by(entity="attachment", entity_id=str(photos[0])).one()
    assert entry.action == "delete" and entry.username == "zhaoyang" and "现场0.jpg" in entry.summary
    assert json.loads(entry.changes)["owner_id"] == [visit.id, None]
    assert client.get(f"/console/attachments/{photos[0]}").status_code == 404
    assert client.get(f"/console/attachments/{photos[1]}").status_code == 200


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


# -- PUT on the problems API ---------------------------------------------------------------------


@pytest.fixture
def problem(world):
    return world.problem(world.enterprise(1), world.department())


def _put(client, headers, pk, body):
    from flask import g

    # The request runs in the ``world`` fixture's app context, so ``g`` (the signed-in user
    # Flask-Login and the JWT loader keep there) would carry over from the previous request;
    # a server starts every request with an empty one.
    for key in list(g):
        g.pop(key)
    return client.put(f"/api/v1/visits_problems/{pk}", json=body, headers=headers)


def test_put_edits_the_content_and_moves_through_the_workflow(client, world, problem, days):
    from console.audit.models import AuditLog
    from plugins.visits.models import Problem

    headers = _jwt(client, "zhaoyang")
    r = _put(client, headers, problem.id, {"description": "贷款审批慢", "due_date": days(20).isoformat(),
                                           "version": problem.version})
    assert r.status_code == 200, r.json
    assert r.json["result"]["description"] == "贷款审批慢" and r.json["result"]["status"] == "新建"
    version = r.json["result"]["version"]
    for body in ({"status": "已交办", "note": "请工信局办理"}, {"status": "办理中"},
                 {"result": "已协调银行放贷", "status": "待企业确认"},
                 {"satisfaction": "满意", "status": "已办结"}):
        r = _put(client, headers, problem.id, {**body, "version": version})
        assert r.status_code == 200, (body, r.json)
        version = r.json["result"]["version"]
    world.session.expire_all()
    p = world.session.get(Problem, problem.id)
    assert (p.status, p.satisfaction, p.result, p.closed_by_name) == ("已办结", "满意", "已协调银行放贷", "zhaoyang")
    assert [s.to_status for s in p.steps] == ["新建", "已交办", "办理中", "待企业确认", "已办结"]
    assert p.steps[1].note == "请工信局办理"
    assert world.session.query(AuditLog).filter_by(entity="visits_problem", entity_id=str(p.id),
                                                   action="update").count() >= 5


@pytest.mark.parametrize("body, status, words", [
    ({"status": "已办结"}, 400, "不能改为“已办结”"),
    ({"status": "办结了"}, 400, "没有“办结了”这个状态"),
    ({"status": "退回"}, 400, "不能改为“退回”"),
    ({"due_date": "明天"}, 400, "不是有效的日期"),
    ({"due_date": "2000-01-01"}, 400, "不能早于提出日期"),
    ({"category": "无此类别"}, 400, "不是可选的诉求类别"),
    ({"description": ""}, 400, "请填写诉求内容"),
    ({"department_id": "abc"}, 400, "责任单位不存在"),
    ({"satisfaction": "满意"}, 400, "待企业确认或已办结后才能评价"),
    ({"county_id": 1}, 400, "不能修改的字段：county_id"),
    ({"description": "新内容", "version": 99}, 409, "已被他人修改"),
    (["status", "已交办"], 400, "JSON 对象"),
])
def test_put_refuses_bad_input_in_chinese_and_changes_nothing(client, world, problem, body, status, words):
    from plugins.visits.models import Problem

    before = (problem.status, problem.description, problem.due_date, problem.category, problem.version)
    r = _put(client, _jwt(client, "zhaoyang"), problem.id, body)
    assert r.status_code == status and words in r.json["message"], r.json
    world.session.expire_all()
    p = world.session.get(Problem, problem.id)
    assert (p.status, p.description, p.due_date, p.category, p.version) == before


def test_put_on_a_closed_problem_refuses_content_but_reopens(client, world, problem):
    from plugins.visits.services import problems

    user = world.user("admin")
    for to in ("已交办", "办理中"):
        problems.transition(problem, to, user)
    problem.result = "已解决"
    problems.transition(problem, "待企业确认", user)
    problems.record_satisfaction(problem, "基本满意", user)
    problems.transition(problem, "已办结", user)
    world.session.commit()
    headers = _jwt(client, "zhaoyang")
    r = _put(client, headers, problem.id, {"measures": "补充措施"})
    assert r.status_code == 400 and "“已办结”的诉求不能修改" in r.json["message"]
    # The whole record sent back unchanged, but for the status: only the move happens.
    shown = client.get(f"/api/v1/visits_problems/{problem.id}", headers=headers).json["result"]
    body = {k: shown[k] for k in ("category", "description", "department_id", "due_date", "measures",
                                   "result", "satisfaction", "version")}
    r = _put(client, headers, problem.id, {**body, "status": "办理中", "note": "企业反映问题复发"})
    assert r.status_code == 200 and r.json["result"]["status"] == "办理中", r.json
    assert r.json["result"]["reopen_count"] == 1 and r.json["result"]["closed_at"] is None


def test_put_applies_the_scope_and_the_role(client, world):
    other = world.problem(world.enterprise(900, county=ZHENXIONG), world.department(ZHENXIONG))
    r = _put(client, _jwt(client, "zhaoyang"), other.id, {"status": "已交办"})
    assert r.status_code == 404
    assert _put(client, _jwt(client, "lingdao"), other.id, {"status": "已交办"}).status_code == 403
    world.session.expire_all()
    assert world.session.get(type(other), other.id).status == "新建"


def test_put_is_documented_in_the_openapi_spec(client):
    spec = client.get("/api/v1/_openapi", headers=_jwt(client, "admin")).json
    put = spec["paths"]["/api/v1/visits_problems/{pk}"]["put"]
    assert "状态" in put["summary"] and "409" in put["responses"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][ref]["properties"]
    assert {"status", "satisfaction", "description", "due_date", "version", "note"} <= set(properties)
    assert "county_id" not in properties
    result = put["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["result"]
    assert result["$ref"].rsplit("/", 1)[-1] in spec["components"]["schemas"]
