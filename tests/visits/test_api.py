"""The REST API: the regional scope on every item, the same rules as the pages, editing problems
through ``PUT /api/v1/visits_problems/<pk>`` with the workflow's rules, the OpenAPI spec and
deep pages of the enterprise list."""

from __future__ import annotations

import json

import prison
import pytest

from tests.support import jwt_headers
from tests.visits.conftest import IN_ZHAOYANG, ZHENXIONG, _expected, _sql


# -- the regional scope and the rules ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/visits_enterprises/{enterprise}",
                                  "/api/v1/visits_visits/{visit}", "/api/v1/visits_problems/{problem}"])
def test_api_items_of_other_counties_are_404(client, other_county, path):
    headers = jwt_headers(client, "zhaoyang")
    assert client.get(path.format(**other_county), headers=headers).status_code == 404


def test_api_cannot_move_other_county_problems(client, other_county):
    headers = jwt_headers(client, "zhaoyang")
    r = client.post(f"/api/v1/visits_problems/{other_county['problem']}/transition",
                    json={"to": "已交办"}, headers=headers)
    assert r.status_code == 404


def test_api_cannot_add_visits_to_other_county_enterprises(client, other_county):
    headers = jwt_headers(client, "zhaoyang")
    r = client.post("/api/v1/visits_visits/", headers=headers,
                    json={"enterprise_id": other_county["enterprise"], "visit_date": "2025-03-01",
                          "send_items": "送政策"})
    assert r.status_code == 404


def test_api_lists_only_the_users_county(client, world, other_county):
    world.enterprise(1, name="昭阳自家企业")
    headers = jwt_headers(client, "zhaoyang")
    names = [row["name"] for row in client.get("/api/v1/visits_enterprises/", headers=headers).json["result"]]
    assert names == ["昭阳自家企业"]


def test_api_creates_enterprise_with_the_same_rules(client, world):
    headers = jwt_headers(client, "visits_owner")
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
    headers = jwt_headers(client, "zhaoyang")
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition", json={"to": "已办结"}, headers=headers)
    assert r.status_code == 400 and "不能改为“已办结”" in r.json["message"]
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition",
                    json={"to": "已交办", "version": p.version}, headers=headers)
    assert r.status_code == 200 and r.json["status"] == "已交办"
    r = client.post(f"/api/v1/visits_problems/{p.id}/transition",
                    json={"to": "办理中", "version": 1}, headers=headers)
    assert r.status_code == 409


def test_api_is_in_the_openapi_spec(client):
    headers = jwt_headers(client, "admin")
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    spec = response.json
    for path in ("/visits_enterprises/", "/visits_visits/", "/visits_problems/",
                 "/visits_problems/{pk}/transition"):
        assert "/api/v1" + path in spec["paths"], sorted(p for p in spec["paths"] if "visits" in p)


# -- PUT on the problems API -------------------------------------------------------------------


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
    from jiceng.plugins.visits.models import Problem

    headers = jwt_headers(client, "zhaoyang")
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
    from jiceng.plugins.visits.models import Problem

    before = (problem.status, problem.description, problem.due_date, problem.category, problem.version)
    r = _put(client, jwt_headers(client, "zhaoyang"), problem.id, body)
    assert r.status_code == status and words in r.json["message"], r.json
    world.session.expire_all()
    p = world.session.get(Problem, problem.id)
    assert (p.status, p.description, p.due_date, p.category, p.version) == before


def test_put_on_a_closed_problem_refuses_content_but_reopens(client, world, problem):
    from jiceng.plugins.visits.services import problems

    user = world.user("admin")
    for to in ("已交办", "办理中"):
        problems.transition(problem, to, user)
    problem.result = "已解决"
    problems.transition(problem, "待企业确认", user)
    problems.record_satisfaction(problem, "基本满意", user)
    problems.transition(problem, "已办结", user)
    world.session.commit()
    headers = jwt_headers(client, "zhaoyang")
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
    r = _put(client, jwt_headers(client, "zhaoyang"), other.id, {"status": "已交办"})
    assert r.status_code == 404
    assert _put(client, jwt_headers(client, "lingdao"), other.id, {"status": "已交办"}).status_code == 403
    world.session.expire_all()
    assert world.session.get(type(other), other.id).status == "新建"


def test_put_is_documented_in_the_openapi_spec(client):
    spec = client.get("/api/v1/_openapi", headers=jwt_headers(client, "admin")).json
    put = spec["paths"]["/api/v1/visits_problems/{pk}"]["put"]
    assert "状态" in put["summary"] and "409" in put["responses"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][ref]["properties"]
    assert {"status", "satisfaction", "description", "due_date", "version", "note"} <= set(properties)
    assert "county_id" not in properties
    result = put["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["result"]
    assert result["$ref"].rsplit("/", 1)[-1] in spec["components"]["schemas"]


# -- deep pages of the enterprise list ---------------------------------------------------------
# The REST list of the enterprises over the deep pages of ``console.paging``: every page holds
# exactly the rows of a plain ``ORDER BY`` read at that moment, sliced in Python; the count stays
# exact; the scope still applies.  Expected values come from plain SQL over the table, never
# from the code under test.


def _api(client, headers, **q):
    response = client.get("/api/v1/visits_enterprises/", headers=headers,
                          query_string={"q": prison.dumps(q)} if q else None)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def _rows(app, ids):
    """The API's list columns of ``ids``, from plain SQL."""
    sql = ("SELECT e.id, e.name, e.credit_code, e.region_id, e.county_id, c.name, e.industry, "
               "e.size FROM visits_enterprise e JOIN region c ON c.id = e.county_id WHERE e.id = :i")
    out = []
    for i in ids:
        r = _sql(app, sql, i=i)[0]
        out.append({"id": r[0], "name": r[1], "credit_code": r[2], "region_id": r[3],
                    "county_id": r[4], "county": {"name": r[5]}, "industry": r[6], "size": r[7]})
    return out


@pytest.mark.parametrize("q,where,order", [
    ({}, "1 = 1", "name, id"),
    ({"page": 1, "page_size": 25}, "1 = 1", "name, id"),
    ({"page": 2, "page_size": 30}, "1 = 1", "name, id"),
    ({"page": 1, "page_size": 10, "order_column": "id", "order_direction": "desc"}, "1 = 1", "id DESC"),
    ({"page": 0, "page_size": 7, "order_column": "name", "order_direction": "desc"}, "1 = 1",
     "name DESC, id DESC"),
    ({"filters": [{"col": "industry", "opr": "eq", "value": "制造业"}], "page": 1, "page_size": 10},
     "industry = '制造业'", "name, id"),
    ({"filters": [{"col": "name", "opr": "sw", "value": "同名"}]}, "name LIKE '同名%'", "name, id"),
])
def test_rest_list_equals_the_plain_query(client, registry, q, where, order):
    size, page = q.get("page_size", 20), q.get("page", 0)
    ids = [r[0] for r in _sql(registry, f"SELECT id FROM visits_enterprise WHERE {where} ORDER BY {order}")]
    body = _api(client, jwt_headers(client, "admin"), **q)
    expected = ids[page * size:(page + 1) * size]
    assert body["count"] == len(ids)
    assert body["ids"] == expected
    assert json.dumps(body["result"], sort_keys=True, ensure_ascii=False) == \
        json.dumps(_rows(registry, expected), sort_keys=True, ensure_ascii=False)
    assert body["list_columns"] == ["id", "name", "credit_code", "region_id", "county_id",
                                    "county.name", "industry", "size"]


def test_rest_list_of_a_county_user_is_scoped_and_paged(client, registry):
    expected = _expected(registry, IN_ZHAOYANG)
    headers = jwt_headers(client, "zhaoyang")
    got = []
    for page in range(3):
        body = _api(client, headers, page=page, page_size=20)
        assert body["count"] == len(expected)
        got += body["ids"]
    assert got == expected
