"""What every page reads, read cheaply: the SQL statements of a list page, and the per-worker
copies of plugin switches, settings and counties that another worker's change reaches on the
next request."""


from sqlalchemy import insert

from console.plugins import settings as plugin_settings
from console.regions import rules as regions
from console.plugins import manager as plugins_service
from console.foundation.extensions import db
from console.regions.models import Region
from tests.support import logout, statements

ADMIN = {"username": "admin", "password": "Admin-Pass-2025!"}
DEMO = "Demo-Pass-2025!"




def _signed_in(app, username="admin"):
    client = app.test_client()
    password = ADMIN["password"] if username == "admin" else DEMO
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302
    return client


def _in_request(app, func):
    """``func()`` as a request of ``app`` would run it (the token is read anew per request)."""
    with app.test_request_context("/"):
        app.preprocess_request()
        return func()


def test_enterprise_list_page_runs_at_most_six_sql_statements(app):
    for username, county, other in (("admin", "昭阳区", "镇雄县"), ("zhaoyang", "昭阳区", "镇雄县")):
        client = _signed_in(app, username)
        client.get("/visits/enterprises/list/")  # this worker's copies are made
        with statements(app) as seen:
            page = client.get("/visits/enterprises/list/")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert len(seen) <= 6, "\n".join(seen)
        # The same page as before: the county filter inside the scope, the industries setting.
        assert f">{county}</option>" in text
        assert (f">{other}</option>" in text) == (username == "admin")
        industries = _in_request(app, lambda: plugin_settings.get("visits", "industries"))
        assert industries and all(f"<option >{industry}</option>" in text for industry in industries)


def test_a_signed_out_session_stays_signed_out_with_one_statement_for_the_user(app):
    client = _signed_in(app)
    with statements(app) as seen:
        assert client.get("/visits/enterprises/list/").status_code == 200
    assert len([s for s in seen if "ab_user" in s or "session_epoch" in s or "ab_role" in s]) == 1
    stolen = client.get_cookie("session").value
    logout(client)
    client.set_cookie("session", stolen)
    assert client.get("/visits/enterprises/list/").status_code == 302  # back to the login page


def test_settings_are_read_once_per_worker_until_one_changes(make_app):
    worker = make_app()
    with statements(worker) as seen:
        for _ in range(3):
            read = _in_request(worker, lambda: [plugin_settings.get("example", "limit") for _ in range(20)])
            assert read == [10] * 20
    assert len([s for s in seen if "plugin_setting" in s]) == 1
    assert len([s for s in seen if "table_token" in s]) == 3  # one per request


def test_a_setting_saved_on_one_worker_is_read_by_the_other_on_its_next_request(make_app):
    worker_a, worker_b = make_app(), make_app()
    assert _in_request(worker_b, lambda: plugin_settings.get("example", "limit")) == 10
    with worker_a.app_context():
        assert plugin_settings.save("example", {"greeting": "您好", "limit": "42"}) == {}
        # The worker that saved sees it at once, in the same app context.
        assert plugin_settings.get("example", "limit") == 42
    assert _in_request(worker_b, lambda: plugin_settings.get("example", "limit")) == 42
    assert _in_request(worker_b, lambda: plugin_settings.values("example")) == {"greeting": "您好", "limit": 42}


def test_a_switch_made_on_one_worker_is_seen_by_the_other_without_a_page_of_its_own(make_app):
    worker_a, worker_b = make_app(), make_app()
    assert _in_request(worker_b, lambda: plugins_service.is_enabled("example")) is True
    with worker_a.app_context():
        plugins_service.set_enabled("example", False, actor="测试")
    assert _in_request(worker_b, lambda: plugins_service.is_enabled("example")) is False
    with worker_a.app_context():
        plugins_service.set_enabled("example", True, actor="测试")
    assert _in_request(worker_b, lambda: plugins_service.is_enabled("example")) is True


def _county_names(app):
    return _in_request(app, lambda: [c.name for c in regions.counties(db.session)])


def test_county_list_follows_regions_changed_on_another_worker(make_app):
    worker_a, worker_b = make_app(), make_app()
    before = _county_names(worker_b)
    assert "昭阳区" in before and len(before) == 11
    with worker_a.app_context():
        county = db.session.query(Region).filter_by(code="530602").one()
        county.name = "昭阳新区"
        db.session.commit()
    assert "昭阳新区" in _county_names(worker_b) and "昭阳区" not in _county_names(worker_b)
    with worker_a.app_context():  # a statement, not an object: region imports insert this way
        city = db.session.query(Region).filter_by(level="city").one()
        db.session.execute(insert(Region).values(code="530699", name="测试新县", level="county",
                                                 parent_id=city.id, path=city.path + "530699."))
        db.session.commit()
    assert _county_names(worker_b)[-1] == "测试新县"


def test_county_list_inside_a_scope_is_the_databases(app):
    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        township = db.session.query(Region).filter_by(parent_id=zhaoyang.id).first()
        expected = [(r.id, r.name) for r in db.session.query(Region).filter(Region.level == "county")
                    .filter(Region.path.startswith(zhaoyang.path)).order_by(Region.code)]
    got = _in_request(app, lambda: [(c.id, c.name) for c in regions.counties(db.session, within=zhaoyang)])
    assert got == expected == [(zhaoyang.id, "昭阳区")]
    assert _in_request(app, lambda: regions.counties(db.session, within=township)) == []


def test_a_rolled_back_change_leaves_every_worker_as_it_was(make_app):
    worker_a, worker_b = make_app(), make_app()
    assert "昭阳区" in _county_names(worker_b)
    with worker_a.app_context():
        db.session.query(Region).filter_by(code="530602").one().name = "不会保存"
        db.session.flush()
        db.session.rollback()
    assert "不会保存" not in _county_names(worker_a) and "昭阳区" in _county_names(worker_b)


# -- the home page's cards ------------------------------------------------------------------


def _card_value(page: str, title: str) -> str:
    import re

    match = re.search(re.escape(title) + r'</div>\s*<div class="panel-body">\s*(?:<a[^>]*>)?\s*'
                      r'<span class="console-card-value">([^<]*)</span>', page)
    assert match, title
    return match.group(1)


def _add_note(app, title: str, county_code: str) -> None:
    from jiceng_example.models import ExampleNote

    with app.app_context():
        county = db.session.query(Region).filter_by(code=county_code).one()
        db.session.add(ExampleNote(title=title, region_id=county.id))
        db.session.commit()


def test_dashboard_cards_are_counted_once_until_a_record_changes_on_any_worker(make_app):
    worker_a, worker_b = make_app(), make_app()
    leader, inspector = _signed_in(worker_b), _signed_in(worker_b, "zhaoyang")
    before = {who: int(_card_value(c.get("/").get_data(as_text=True), "示例记录"))
              for who, c in (("city", leader), ("county", inspector))}
    with statements(worker_b) as seen:
        again = leader.get("/").get_data(as_text=True)
    assert not [s for s in seen if "example_note" in s], "\n".join(seen)  # from this worker's copy
    assert int(_card_value(again, "示例记录")) == before["city"]
    # A record added on the other worker: the next page on this one counts it, in its region.
    _add_note(worker_a, "新记录", "530602")  # 昭阳区
    assert int(_card_value(leader.get("/").get_data(as_text=True), "示例记录")) == before["city"] + 1
    assert int(_card_value(inspector.get("/").get_data(as_text=True), "示例记录")) == before["county"] + 1
    _add_note(worker_a, "镇雄的记录", "530627")  # 镇雄县: not in the inspector's county
    assert int(_card_value(leader.get("/").get_data(as_text=True), "示例记录")) == before["city"] + 2
    assert int(_card_value(inspector.get("/").get_data(as_text=True), "示例记录")) == before["county"] + 1


def test_dashboard_cards_follow_rows_imported_around_the_orm(make_app):
    from jiceng_example.models import ExampleNote

    from console.database.bulk import insert_rows

    worker_a, worker_b = make_app(), make_app()
    leader = _signed_in(worker_b)
    before = int(_card_value(leader.get("/").get_data(as_text=True), "示例记录"))
    with worker_a.app_context():
        county = db.session.query(Region).filter_by(code="530602").one()
        insert_rows(db.session, ExampleNote.__table__,
                    [{"title": f"导入{i}", "region_id": county.id} for i in range(3)])
        db.session.commit()
    assert int(_card_value(leader.get("/").get_data(as_text=True), "示例记录")) == before + 3


def test_dashboard_cards_are_counted_again_on_a_new_day(make_app, monkeypatch):
    import datetime as dt

    from console.foundation import clock

    worker = make_app()
    leader = _signed_in(worker)
    leader.get("/")
    tomorrow = clock.today() + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    with statements(worker) as seen:
        leader.get("/")
    assert [s for s in seen if "example_note" in s]


def test_a_rolled_back_change_keeps_the_cards(make_app):
    from jiceng_example.models import ExampleNote

    worker = make_app()
    leader = _signed_in(worker)
    leader.get("/")
    with worker.app_context():
        county = db.session.query(Region).filter_by(code="530602").one()
        db.session.add(ExampleNote(title="未保存", region_id=county.id))
        db.session.flush()
        db.session.rollback()
    with statements(worker) as seen:
        leader.get("/")
    assert not [s for s in seen if "example_note" in s]


def test_a_worker_keeps_a_bounded_number_of_copies(app, monkeypatch):
    from console.database import copies as worker_cache

    monkeypatch.setattr(worker_cache, "MAX_ENTRIES", 5)

    def copies():
        return len(app.extensions[worker_cache._KEY])

    with app.test_request_context("/"):
        app.preprocess_request()
        for n in range(12):
            assert worker_cache.cached(f"search {n}", lambda n=n: n * 2, data=True) == n * 2
            assert copies() <= 5
        assert worker_cache.cached("search 11", lambda: "read again", data=True) == 22


# -- the navbar's menu ----------------------------------------------------------------------


def _menu_links(client) -> list[str]:
    import re

    html = client.get("/").get_data(as_text=True)
    menu = html[html.index('<ul class="nav navbar-nav">'):html.index("navbar-right")]
    return re.findall(r'href="([^"#]+)"', menu)


def test_the_menu_follows_a_role_changed_on_another_worker(make_app):
    """The menu is rendered once per worker for each set of roles: a permission taken from a
    role on one worker shows in the other's next page."""
    worker_a, worker_b = make_app(), make_app()
    assert "/example/notes/list/" not in _menu_links(_signed_in(worker_b, "lingdao"))
    with worker_a.app_context():
        sm = worker_a.appbuilder.sm
        role = sm.add_role("示例菜单")
        role.permissions = [sm.add_permission_view_menu("menu_access", name) for name in ("example", "example_notes")]
        user = sm.find_user(username="lingdao")
        user.roles.append(role)
        db.session.commit()
    leader, inspector = _signed_in(worker_b, "lingdao"), _signed_in(worker_b, "zhaoyang")
    assert "/example/notes/list/" in _menu_links(leader)
    links = _menu_links(inspector)
    assert "/example/notes/list/" in links and "/users/list/" not in links
    with statements(worker_b) as seen:
        _menu_links(leader)
    assert not [s for s in seen if "ab_permission" in s or "ab_view_menu" in s]  # this worker's copy
    with worker_a.app_context():
        role = worker_a.appbuilder.sm.find_role("示例菜单")
        role.permissions = []
        db.session.commit()
    assert "/example/notes/list/" not in _menu_links(leader)
    assert "/example/notes/list/" in _menu_links(inspector)  # its own roles are unchanged
