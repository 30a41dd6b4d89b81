"""Copies dropped as narrowly as the change: a write renews the tokens of the tables (row sets,
columns) it wrote, and a worker keeps every copy read from other ones.  Each narrowed case
checks both sides: the copy is kept (no statement reads it again) and what is shown equals a
plain query of the database at that moment."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text, update

from console.database import copies, paging
from console.foundation.extensions import db
from jiceng.plugins.visits.models import Enterprise
from tests.support import statements
from tests.visits.conftest import ZHAOYANG, ZHENXIONG, World, _add, _expected

SIZE = 25


@pytest.fixture
def registry(app):
    for n in range(70):
        _add(app, n, f"企业{n % 9}号", ZHAOYANG if n % 3 else ZHENXIONG)
    return app


@pytest.fixture
def stride(monkeypatch):
    monkeypatch.setattr(paging, "STRIDE", 7)  # page 3 of 25 rows starts from a mapped key




def _signed_in(app):
    client = app.test_client()
    assert client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"}).status_code == 302
    return client


def _page(client, number):
    html = client.get("/visits/enterprises/list/", query_string={"page": number}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'/visits/enterprises/show/(\d+)"', html)]
    return ids, int(re.search(r"共 (\d+) 条", html).group(1)), html


def _rebuilt(seen) -> bool:
    """The list's map or total was read again (not taken from the worker's copy)."""
    return any("row_number" in s or ("count(" in s.lower() and "visits_enterprise" in s) for s in seen)


def _check_pages(client, registry):
    expected = _expected(registry)
    for number in (1, 2, 3):
        ids, total, _ = _page(client, number)
        assert total == len(expected)
        assert ids == expected[(number - 1) * SIZE:number * SIZE]


def _commit(app, change):
    with app.app_context():
        change(World(app))
        db.session.commit()


def test_a_visit_logged_elsewhere_keeps_the_enterprise_lists_map(registry, make_app, stride):
    worker = make_app()
    reader = _signed_in(worker)
    _check_pages(reader, registry)

    def log_visit(world):
        enterprise = world.session.query(Enterprise).order_by(Enterprise.id).first()
        world.visit(enterprise)

    _commit(registry, log_visit)
    with statements(worker) as seen:
        _check_pages(reader, registry)
    assert not _rebuilt(seen), "\n".join(seen)


def test_an_update_of_a_column_the_list_neither_sorts_nor_filters_on_keeps_the_map(registry, make_app, stride):
    worker = make_app()
    reader = _signed_in(worker)
    _check_pages(reader, registry)
    target = _expected(registry)[2 * SIZE + 3]  # on page 3

    def new_address(world):
        world.session.get(Enterprise, target).address = "昭阳区新地址 1 号"

    _commit(registry, new_address)
    with statements(worker) as seen:
        ids, _, html = _page(reader, 3)
    assert not _rebuilt(seen), "\n".join(seen)
    assert target in ids
    # The rows themselves are read anew: the page shows the list's columns as they are now.
    with registry.app_context():
        assert db.session.get(Enterprise, target).address == "昭阳区新地址 1 号"

    def rename(world):
        world.session.get(Enterprise, target).name = "一号企业"  # sorts before every other name

    _commit(registry, rename)
    with statements(worker) as seen:
        _check_pages(reader, registry)
    assert _rebuilt(seen)
    assert _page(reader, 1)[0][0] == target


def test_an_update_statement_renews_only_the_columns_it_sets(registry, make_app, stride):
    worker = make_app()
    reader = _signed_in(worker)
    _check_pages(reader, registry)
    _commit(registry, lambda world: world.session.execute(
        update(Enterprise).where(Enterprise.id < 10).values(contact_phone="0870-1234567")))
    with statements(worker) as seen:
        _check_pages(reader, registry)
    assert not _rebuilt(seen)
    # Names set by a statement: the list sorts on them.
    _commit(registry, lambda world: world.session.execute(
        update(Enterprise).where(Enterprise.id < 10).values(name="一号企业")))
    with statements(worker) as seen:
        _check_pages(reader, registry)
    assert _rebuilt(seen)


def test_rows_deleted_elsewhere_shorten_the_total_and_the_pages(registry, make_app, stride):
    worker = make_app()
    reader = _signed_in(worker)
    _check_pages(reader, registry)
    gone = _expected(registry)[:5]
    _commit(registry, lambda world: [world.session.delete(world.session.get(Enterprise, i)) for i in gone])
    _check_pages(reader, registry)
    assert _page(reader, 1)[1] == 65


def test_a_copy_of_a_table_this_transaction_wrote_is_neither_used_nor_kept(app):
    from jiceng_example.models import ExampleNote

    def count():
        return db.session.execute(text("SELECT count(*) FROM example_note")).scalar()

    with app.test_request_context("/"):
        app.preprocess_request()
        region = World(app).region(ZHAOYANG)
        before = copies.cached("notes", count)
        assert copies.cached("notes", lambda: "kept") == before
        db.session.add(ExampleNote(title="未提交", region_id=region.id))
        db.session.flush()
        # Read inside the writing transaction: the fresh count, not the copy, and not kept.
        assert copies.cached("notes", count) == before + 1
        db.session.rollback()
        assert copies.cached("notes", count) == before


def test_a_copy_read_from_one_table_survives_a_write_to_another(app):
    from jiceng_example.models import ExampleNote

    reads = []

    def notes():
        reads.append(1)
        return db.session.query(ExampleNote).count()

    def in_request(func):
        with app.test_request_context("/"):
            app.preprocess_request()
            return func()

    first = in_request(lambda: copies.cached("notes", notes))
    _add(app, 500, "另一张表的记录")  # an enterprise (and its audit entry)
    assert in_request(lambda: copies.cached("notes", notes)) == first and len(reads) == 1
    with app.app_context():
        db.session.add(ExampleNote(title="新", region_id=World(app).region(ZHAOYANG).id))
        db.session.commit()
    assert in_request(lambda: copies.cached("notes", notes)) == first + 1 and len(reads) == 2


def test_a_write_renews_only_the_tokens_of_what_it_wrote(app):
    with app.app_context():
        def tokens():
            return {name for (name,) in db.session.execute(text("SELECT DISTINCT name FROM table_token"))}

        db.session.execute(text("DELETE FROM table_token"))
        db.session.commit()
        _add(app, 600, "新企业")
        written = tokens()
        assert {"visits_enterprise", "visits_enterprise+"} <= written
        assert not [n for n in written if n.startswith("visits_enterprise.")]  # an insert: no column
        db.session.execute(text("DELETE FROM table_token"))
        db.session.commit()
        enterprise = db.session.query(Enterprise).filter_by(name="新企业").one()
        enterprise.address = "新地址"
        db.session.commit()
        assert {n for n in tokens() if n.startswith("visits_enterprise")} == \
            {"visits_enterprise", "visits_enterprise.address"}


# -- across gunicorn's workers ----------------------------------------------------------------


def test_every_gunicorn_worker_shows_a_committed_write_on_its_next_request(app, live_server):
    """Two sync workers, each with its own copies: after a visit (another table) and after a new
    enterprise (the list's own), every answer holds the database's total."""
    import http.cookiejar
    import json
    import urllib.parse
    import urllib.request

    from tests.support import ADMIN_PASSWORD
    from tests.visits.conftest import code_for

    # urllib opens a new connection per request: the kernel hands them to both workers.
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(live_server + "/login/").read().decode()
    form = {"username": "admin", "password": ADMIN_PASSWORD}
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if csrf:
        form["csrf_token"] = csrf.group(1)
    browser.open(live_server + "/login/", urllib.parse.urlencode(form).encode()).read()
    answer = urllib.request.urlopen(urllib.request.Request(
        live_server + "/api/v1/security/login", json.dumps(
            {"username": "admin", "password": ADMIN_PASSWORD, "provider": "db"}).encode(),
        {"Content-Type": "application/json"}))
    token = json.loads(answer.read())["access_token"]

    def totals():
        out = set()
        for _ in range(10):
            body = browser.open(live_server + "/visits/enterprises/list/").read().decode()
            out.add(int(re.search(r"共 (\d+) 条", body).group(1)))
        return out

    def in_database():
        with app.app_context():
            return db.session.query(Enterprise).count()

    def post(path, data):
        request = urllib.request.Request(live_server + path, json.dumps(data).encode(), {
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
            return json.loads(response.read())

    with app.app_context():
        township = World(app).township(ZHAOYANG).id
    first = post("/api/v1/visits_enterprises/", {"name": "甲企业", "credit_code": code_for(900, ZHAOYANG),
                                                 "region_id": township})
    assert totals() == {in_database()}
    post("/api/v1/visits_visits/", {"enterprise_id": first["id"], "visit_date": "2026-01-05",
                                    "send_items": "送政策", "enter_target": "进企业"})
    assert totals() == {in_database()}
    post("/api/v1/visits_enterprises/", {"name": "乙企业", "credit_code": code_for(901, ZHAOYANG),
                                         "region_id": township})
    assert totals() == {in_database()}


# -- where in the transaction the tokens are written --------------------------------------------


def _positions(seen):
    tokens = [i for i, s in enumerate(seen) if "INSERT INTO table_token" in s]
    chain = [i for i, s in enumerate(seen) if s.lstrip().startswith("UPDATE audit_chain")]
    return tokens, chain


def test_a_flushs_tokens_are_written_before_the_audit_chain_is_taken(registry):
    """The chain's head row queues every writer until it commits: the tokens' statement runs
    ahead of it, so the queue holds only the audit entries and the commit."""
    with statements(registry) as seen:
        _add(registry, 700, "排队企业")  # an enterprise and its audit entry, one transaction
    tokens, chain = _positions(seen)
    assert len(tokens) == 1 and chain, "\n".join(seen)
    assert tokens[0] < chain[0], "\n".join(seen)


def test_tokens_of_a_second_flush_after_the_chain_is_held_take_the_holders_slot(registry):
    slots = copies.SLOTS.get(_dialect(registry), 1)
    with registry.app_context():
        session = db.session
        first = session.query(Enterprise).order_by(Enterprise.id).first()
        first.address = "第一次写入"
        session.flush()  # tokens on the thread's slot, then the chain's head row
        assert session.info.get(copies.QUEUE_HELD)
        first.name = "第二次写入"
        session.flush()
        session.commit()
        rows = dict(session.execute(text(
            "SELECT slot, count(*) FROM table_token WHERE name = 'visits_enterprise.name' GROUP BY slot")).all())
        assert not session.info.get(copies.QUEUE_HELD)
    # After the chain: the one slot kept for its holders (SQLite has a single slot).
    assert set(rows) == ({slots} if slots > 1 else {0})


def test_a_savepoint_rolled_back_keeps_the_tokens_of_what_the_transaction_wrote_before_it(registry, make_app, stride):
    worker = make_app()
    reader = _signed_in(worker)
    _check_pages(reader, registry)
    first, last = _expected(registry)[-2:]
    with registry.app_context():
        session = db.session
        # A statement before the savepoint: its tokens wait for the commit.
        session.execute(update(Enterprise).where(Enterprise.id == first).values(name="一号企业"))
        nested = session.begin_nested()
        session.get(Enterprise, last).name = "二号企业"
        session.flush()  # the name's tokens, written inside the savepoint
        nested.rollback()
        session.commit()
    _check_pages(reader, registry)
    assert _page(reader, 1)[0][0] == first


def _dialect(app):
    with app.app_context():
        return db.engine.dialect.name
