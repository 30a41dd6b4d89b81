"""Deep pages of the enterprise list and its REST API (a deferred join and a page map, ``console.paging``):
every page holds exactly the rows of a plain ``ORDER BY name, id`` read at that moment, sliced
in Python; the total stays exact; the scope still applies; statistics after a bulk load.

Expected values come from plain SQL over the table, never from the code under test.  Requests
run outside any app context of the test's own: one held open would be shared by every request
(and with it ``g``, where the signed-in user is kept)."""

import json
import re

import pytest
import prison
from sqlalchemy import event, text

from console.imports import pipeline as imports
from console.database import paging
from console.foundation.extensions import db
from plugins.visits.data_import import enterprise_importer
from plugins.visits.models import Enterprise
from tests.visits.conftest import ZHAOYANG, ZHENXIONG, World, code_for

SIZE = 25


@pytest.fixture
def registry(app):
    """70 enterprises over two counties; names repeat (ties broken by id) and interleave the
    counties, so a page boundary falls inside a run of equal names."""
    for n in range(70):
        county = ZHAOYANG if n % 3 else ZHENXIONG
        _add(app, n, f"企业{n % 9}号" if n % 4 else f"同名企业{n % 2}", county)
    return app


def _add(app, n, name, county=ZHAOYANG):
    from plugins.visits.services import enterprises

    with app.app_context():
        world = World(app)
        enterprises.save_enterprise(world.session, {
            "name": name, "credit_code": code_for(n, county),
            "region_id": world.township(county).id, "industry": "制造业" if n % 2 else "批发和零售业"})
        world.session.commit()


def _sql(app, sql, **params) -> list:
    with app.app_context():
        return [tuple(row) for row in World(app).session.execute(text(sql), params)]


def _county(app, code) -> int:
    return _sql(app, "SELECT id FROM region WHERE code = :c", c=code)[0][0]


def _expected(app, where="1 = 1", **params) -> list[int]:
    return [r[0] for r in _sql(app, f"SELECT id FROM visits_enterprise WHERE {where} ORDER BY name, id",
                               **params)]


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
    ids, total = _page(client, 1, q="企业1")
    assert ids == _expected(registry, "name LIKE '企业1%'") and total == len(ids)


IN_ZHAOYANG = "region_id IN (SELECT id FROM region WHERE path LIKE '530600.530602.%')"


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
    from tests.visits.test_scope_and_pages import _jwt

    size, page = q.get("page_size", 20), q.get("page", 0)
    ids = [r[0] for r in _sql(registry, f"SELECT id FROM visits_enterprise WHERE {where} ORDER BY {order}")]
    body = _api(client, _jwt(client, "admin"), **q)
    expected = ids[page * size:(page + 1) * size]
    assert body["count"] == len(ids)
    assert body["ids"] == expected
    assert json.dumps(body["result"], sort_keys=True, ensure_ascii=False) == \
        json.dumps(_rows(registry, expected), sort_keys=True, ensure_ascii=False)
    assert body["list_columns"] == ["id", "name", "credit_code", "region_id", "county_id",
                                    "county.name", "industry", "size"]


def test_rest_list_of_a_county_user_is_scoped_and_paged(client, registry):
    from tests.visits.test_scope_and_pages import _jwt

    expected = _expected(registry, IN_ZHAOYANG)
    headers = _jwt(client, "zhaoyang")
    got = []
    for page in range(3):
        body = _api(client, headers, page=page, page_size=20)
        assert body["count"] == len(expected)
        got += body["ids"]
    assert got == expected


def test_a_large_import_refreshes_the_statistics(world, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "REFRESH_STATISTICS_AFTER", 3)
    body = "企业名称,统一社会信用代码,县(市、区),乡镇(街道),行业\n" + "".join(
        f"统计企业{n},{code_for(n)},昭阳区,,制造业\n" for n in range(5))
    path = tmp_path / "企业.csv"
    path.write_text(body, encoding="utf-8")
    assert imports.run(enterprise_importer(), str(path)).state == "succeeded"
    session = world.session
    if session.get_bind().dialect.name == "postgresql":
        # VACUUM marked the table's pages all-visible: count(*) can skip the heap.
        visible = session.execute(text("SELECT relallvisible FROM pg_class "
                                       "WHERE relname = 'visits_enterprise'")).scalar()
        assert visible > 0
    else:
        stats = session.execute(text("SELECT count(*) FROM sqlite_stat1 "
                                     "WHERE tbl = 'visits_enterprise'")).scalar()
        assert stats > 0
