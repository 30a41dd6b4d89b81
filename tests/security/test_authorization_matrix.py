"""Every route of the live URL map and every operation of the OpenAPI spec, under every role,
against the expected outcome committed in ``authorization.tsv``; then the rules the matrix alone
cannot show: records outside a user's region are not found, an owner manages only their own
plugin, nobody reviews their own inspection, nobody alters the audit log.

Parameters of a route are filled with real records in 昭阳区 (built through the modules'
services), so the 镇雄县 inspector's column proves the regional scope route by route.  Requests
that change state are sent only where the table expects a refusal, and nothing may change.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from jiceng.plugins.talent.views.moved import MOVED
from tests.support import export, jwt_headers, login
from tests.security import records

TABLE = Path(__file__).with_name("authorization.tsv")
ROLES = ("anonymous", "admin", "visits_owner", "nameplates_owner", "talent_owner", "example_owner",
         "zhaoyang", "zhenxiong", "lingdao")
OUTCOMES = {
    "ok": "answered (2xx, or a redirect elsewhere than the login page)",
    "login": "sent to the login page (pages) or 401 (API)",
    "deny": "403",
    "gone": "404: not there, outside the user's region, or a switched-off plugin",
    "-": "a change this role may make: not sent",
}
SAFE_METHODS = {"GET"}
# What a change a role may make answers when sent without a valid form: done, or the form again.
ALLOWED_CHANGE = {"ok", "400", "422"}
# GET routes that change state: Flask-AppBuilder deletes and runs actions on GET.  They are
# treated like POST.  (GET /logout/ only asks: the sweep goes on signed in after it.)
_UNSAFE_GET = re.compile(r"/(delete|action)/")
# Public by design: the login page, the health check, certificate verification, static files.
PUBLIC = {"/login/", "/health", "/talent/verify/<path:token>", "/static/<path:filename>",
          "/static/appbuilder/<path:filename>",
          # The field app's manifest and service worker: static code, fetched by the browser before
          # (and, for the manifest, without) a session; they hold no data.
          "/field/manifest.webmanifest", "/field/sw.js"}

# Cells where the console does not yet answer what the table expects, each with the reason.
# The test fails when such a cell starts answering as expected, so that its entry is removed.
KNOWN_GAPS: dict = {}

# Which record fills a route's id, by the table of the view's model (or by endpoint).
RECORD_OF_TABLE = {
    "visits_enterprise": "enterprise", "visits_team": "team", "visits_department": "department",
    "visits_visit": "visit", "visits_problem": "problem",
    "nameplates_inspection": "inspection", "nameplates_rectification": "order",
    "nameplates_reinspection": "reinspection",
    "talent_person": "person", "talent_certificate": "certificate", "talent_registration": "registration",
    "talent_education": "education", "talent_supervision": "supervision",
    "talent_supervision_session": "supervision_session", "example_note": "example_note",
    "attachment": "attachment", "notification": "notification", "import_job": "import_job",
    "briefing_run": "briefing_run", "briefing_schedule": "briefing_schedule", "region": "county",
    "ab_user": "user",
}
RECORD_OF_ENDPOINT = {
    "NameplatesInspectionsView": "pending_inspection", "NameplatesOrderView": "order",
    "NameplatesLedgerView": "village", "AttachmentView": "attachment", "InboxView": "notification",
    "ImportsView": "import_job", "BriefingFilesView": "briefing_run",
    "BriefingsView.run": "briefing_run", "BriefingsView.status": "briefing_run",
    "BriefingsView": "briefing_schedule",
    "TalentCertificateView": "certificate", "TalentPersonView": "person",
    "TalentRegistrationView": "registration",
}
CONSTANTS = {
    "filename": "absent.txt", "version": "v1", "locale": "zh", "group_by": "0", "plugin": "visits",
    "kind": "enterprises",
}
STATIC_FILES = {"static": "console.css", "appbuilder.static": "js/ab.js"}


# -- the table --------------------------------------------------------------------------------


def read_table() -> dict[tuple[str, str], dict[str, str]]:
    table = {}
    with open(TABLE, encoding="utf-8") as fh:
        rows = [line for line in fh if line.strip() and not line.startswith("#")]
    for number, row in enumerate(csv.reader(rows, delimiter="\t"), start=1):
        method, rule, *cells = row
        assert len(cells) == len(ROLES), f"{TABLE.name}: line for {method} {rule} needs {len(ROLES)} cells"
        assert (method, rule) not in table, f"{TABLE.name}: {method} {rule} appears twice"
        for cell in cells:
            assert cell in OUTCOMES or cell.isdigit(), f"{TABLE.name}: {method} {rule}: unknown outcome {cell!r}"
        table[(method, rule)] = dict(zip(ROLES, cells))
    return table


def live_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _spec_form(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def spec_operations(app) -> set[tuple[str, str]]:
    client = app.test_client()
    _login(client, "admin")
    spec = client.get("/api/v1/_openapi").get_json()
    base = spec["servers"][0]["url"].rstrip("/") if spec.get("servers") else "/api/v1"
    base = re.sub(r"^https?://[^/]+", "", base)
    return {(method.upper(), base + path) for path, item in spec["paths"].items()
            for method in item if method.upper() in {"GET", "POST", "PUT", "DELETE", "PATCH"}}


def is_unsafe(method: str, rule: str) -> bool:
    return method not in SAFE_METHODS or bool(_UNSAFE_GET.search(rule))


# -- signing in and filling routes ----------------------------------------------------------


def _login(client, username: str) -> None:
    response = login(client, username, follow_redirects=False)
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username


def _token(client, username: str) -> str:
    return jwt_headers(client, username)["Authorization"].removeprefix("Bearer ")


def _views(app) -> dict[str, object]:
    return {view.endpoint: view for view in app.appbuilder.baseviews}


def _first_id(model) -> int:
    from sqlalchemy import inspect as sa_inspect

    from console.foundation.extensions import db

    key = sa_inspect(model).primary_key[0]
    return db.session.query(key).order_by(key).limit(1).scalar() or 0


def fill(app, rule, ids: dict) -> str:
    """A concrete URL for ``rule`` with real records of 昭阳区 in it."""
    view_name, _, method = rule.endpoint.partition(".")
    view = _views(app).get(view_name)
    values = {}
    for arg in rule.arguments:
        if arg == "filename" and rule.endpoint in STATIC_FILES:
            values[arg] = STATIC_FILES[rule.endpoint]
        elif arg == "token":
            values[arg] = ids["token"]
        elif arg == "name" and "/action/" in rule.rule:
            values[arg] = next(iter(getattr(view, "actions", {}) or {"muldelete": None}))
        elif arg == "name":
            values[arg] = "visits"
        elif arg in CONSTANTS:
            values[arg] = CONSTANTS[arg]
        else:
            values[arg] = _record_id(view, rule.endpoint, ids)
    return rule.rule if not values else _build(app, rule, values)


def _build(app, rule, values) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=next(iter(rule.methods - {"HEAD", "OPTIONS"})))


def _record_id(view, endpoint: str, ids: dict) -> int:
    kind = RECORD_OF_ENDPOINT.get(endpoint) or RECORD_OF_ENDPOINT.get(endpoint.partition(".")[0])
    if kind is None and view is not None and getattr(view, "datamodel", None) is not None:
        model = view.datamodel.obj
        kind = RECORD_OF_TABLE.get(model.__tablename__)
        if kind is None:
            return _first_id(model)
    if kind is None:
        return 0
    return ids.get(kind, 0)


# Flask-AppBuilder refuses an action by flashing this and sending the user back.
_DENIED_FLASHES = {"Access is Denied", "没有访问权限，或登录已过期：请登录后再试"}


def outcome(response, client=None) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        if "/login" in response.headers.get("Location", ""):
            return "login"
        if client is not None and _flashed_denial(client):
            return "deny"
        return "ok"
    if code == 401:
        return "login"
    if code == 403:
        return "deny"
    if code == 404:
        return "gone"
    if 200 <= code < 300:
        return "ok"
    return str(code)


def _flashed_denial(client) -> bool:
    with client.session_transaction() as sess:
        flashes = sess.pop("_flashes", [])
    return any(str(message) in _DENIED_FLASHES for _, message in flashes)


def request(client, headers, method, rule, url, ids) -> str:
    """Send one request of the matrix and name its outcome."""
    api = rule.startswith("/api/")
    kwargs = {"headers": headers} if api and headers else {}
    if api and method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    if rule.endswith("/action_post"):
        # A real action on a real row: otherwise Flask-AppBuilder answers 400 before it checks
        # who is asking.
        kwargs["data"] = {"action": ids["action_names"].get(rule, "muldelete"), "rowid": ids["action_row"]}
    _flashed_denial(client)  # forget what earlier requests flashed
    response = client.open(url, method=method, **kwargs)
    got = outcome(response, client)
    response.close()
    return got


# -- fixtures ---------------------------------------------------------------------------------


def _state(url: str):
    return records.snapshot(url)


def sweep(app, role: str, ids: dict, table, database_url: str, only_refusals: bool = True) -> list[str]:
    """Send every route of the table as ``role``; return the differences from the table."""
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        _login(client, role)
        headers = {"Authorization": "Bearer " + _token(app.test_client(), role)}
    rules = {(m, r.rule): r for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    with app.app_context():
        urls = {key: fill(app, rule, ids) for key, rule in rules.items()}
    problems = []
    unsafe = []
    for (method, rule), expected in sorted(table.items()):
        if (method, rule) not in rules:
            continue  # reported by test_every_route_has_an_entry
        if is_unsafe(method, rule):
            unsafe.append((method, rule))
            continue
        problems += _check(client, headers, method, rule, urls[(method, rule)], expected[role], role, ids)
    before = _state(database_url)
    # Deletions last, so a refused one never hides what another request would have met.
    for method, rule in sorted(unsafe, key=lambda k: ("delete" in k[1] or k[0] == "DELETE", k)):
        expected = table[(method, rule)][role]
        if expected == "-" and only_refusals:
            continue
        problems += _check(client, headers, method, rule, urls[(method, rule)], expected, role, ids)
    after = _state(database_url)
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    if only_refusals and changed:
        problems.append(f"{role}: refused requests changed the tables {changed}")
    return problems


def _check(client, headers, method, rule, url, expected, role, ids) -> list[str]:
    got = request(client, headers, method, rule, url, ids)
    if is_unsafe(method, rule) and got in ALLOWED_CHANGE and expected == "-":
        got = "-"
    gap = KNOWN_GAPS.get((role, method, rule))
    if gap and got == expected:
        return [f"{role:<16} {method:<6} {rule}: now answers {got} as expected; remove it from KNOWN_GAPS"]
    if got != expected and not gap:
        return [f"{role:<16} {method:<6} {rule}  ({url}): expected {expected}, got {got}"]
    return []


# -- the tests --------------------------------------------------------------------------------


def test_every_route_and_api_operation_has_an_entry(app):
    table = read_table()
    live = live_routes(app)
    missing = sorted(live - set(table))
    assert not missing, ("routes without an entry in tests/security/authorization.tsv; add a line "
                         "(method, rule, one outcome per role) for each:\n"
                         + "\n".join(f"  {m}\t{r}" for m, r in missing))
    stale = sorted(set(table) - live)
    assert not stale, ("entries in tests/security/authorization.tsv for routes that no longer exist; "
                       "remove:\n" + "\n".join(f"  {m}\t{r}" for m, r in stale))
    in_spec = spec_operations(app)
    assert in_spec, "the OpenAPI spec lists no operations"
    known = {(m, _spec_form(r)) for m, r in table}
    undocumented = sorted(op for op in in_spec if op not in known)
    assert not undocumented, ("API operations in the OpenAPI spec without an entry in "
                              "tests/security/authorization.tsv:\n"
                              + "\n".join(f"  {m}\t{p}" for m, p in undocumented))


def test_public_routes_are_the_only_ones_open_to_anonymous_visitors():
    table = read_table()
    # Besides the public pages: the home page (it only asks to sign in), going back, choosing
    # the language, signing out, and the API's sign-in.
    harmless = {"/", "/back", "/lang/<string:locale>", "/logout/", "/api/v1/security/login"}
    # The addresses talent's pages had before they moved under /talent/ only redirect there.
    harmless |= {rule for prefix in MOVED for rule in (prefix + "/", prefix + "/<path:rest>")}
    open_to_all = {rule for (method, rule), cells in table.items() if cells["anonymous"] in ("ok", "-")}
    assert open_to_all <= PUBLIC | harmless, sorted(open_to_all - PUBLIC - harmless)
    for rule in PUBLIC:
        assert table[("GET", rule)]["anonymous"] == "ok", rule


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(app, world, database_url, role):
    problems = sweep(app, role, world["zhaoyang"], read_table(), database_url)
    assert not problems, f"{len(problems)} cells differ from tests/security/authorization.tsv:\n" + "\n".join(problems)


# -- rules the matrix alone does not show ------------------------------------------------------

# (what, method, route with {kind} placeholders) a county inspector may use on records of their
# own county; on the other county's records every one of them answers 404.
SCOPED = [
    ("企业 查看", "GET", "/visits/enterprises/show/{enterprise}"),
    ("走访 查看", "GET", "/visits/visits/show/{visit}"),
    ("走访 编辑", "GET", "/visits/visits/edit/{visit}"),
    ("走访 编辑提交", "POST", "/visits/visits/edit/{visit}"),
    ("诉求 查看", "GET", "/visits/problems/show/{problem}"),
    ("诉求 编辑", "GET", "/visits/problems/edit/{problem}"),
    ("诉求 办理", "POST", "/visits/problems/act/{problem}"),
    ("挂牌检查 查看", "GET", "/nameplates/inspections/{inspection}"),
    ("挂牌检查 编辑", "GET", "/nameplates/inspections/{pending_inspection}/edit"),
    ("挂牌检查 编辑提交", "POST", "/nameplates/inspections/{pending_inspection}/edit"),
    ("挂牌检查 审核", "POST", "/nameplates/inspections/{inspection}/review"),
    ("挂牌检查 列表查看", "GET", "/nameplates/inspection_list/show/{inspection}"),
    ("整改单 查看", "GET", "/nameplates/orders/{order}"),
    ("整改单 更新", "POST", "/nameplates/orders/{order}/update"),
    ("村台账", "GET", "/nameplates/ledger/village/{village}"),
    ("人员 查看", "GET", "/talent/people/show/{person}"),
    ("人员 编辑", "GET", "/talent/people/edit/{person}"),
    ("人员 编辑提交", "POST", "/talent/people/edit/{person}"),
    ("证书 查看", "GET", "/talent/certificates/show/{certificate}"),
    ("证书 卡片", "GET", "/talent/certificates/card/{certificate}"),
    ("证书 二维码", "GET", "/talent/certificates/qr/{certificate}.png"),
    ("证书 撤销", "POST", "/talent/certificates/revoke/{certificate}"),
    ("登记 流转", "POST", "/talent/registrations/transition/{registration}"),
    ("继续教育 删除", "POST", "/talent/education/delete/{education}"),
    ("督导记录 删除", "POST", "/talent/supervision_sessions/delete/{supervision_session}"),
    ("示例记录 查看", "GET", "/example/notes/show/{example_note}"),
    ("附件", "GET", "/console/attachments/{attachment}"),
    ("附件 缩略图", "GET", "/console/attachments/{attachment}/thumbnail"),
    ("区划 查看", "GET", "/regionview/show/{county}"),
    ("接口 企业", "GET", "/api/v1/visits_enterprises/{enterprise}"),
    ("接口 走访", "GET", "/api/v1/visits_visits/{visit}"),
    ("接口 诉求", "GET", "/api/v1/visits_problems/{problem}"),
    ("接口 诉求流转", "POST", "/api/v1/visits_problems/{problem}/transition"),
    ("接口 挂牌检查", "GET", "/api/v1/nameplates_inspections/{inspection}"),
    ("接口 人员", "GET", "/api/v1/talent_people/{person}"),
    ("接口 证书", "GET", "/api/v1/talent_certificates/{certificate}"),
    ("接口 登记", "GET", "/api/v1/talent_registrations/{registration}"),
]
# -- files: served exactly to whoever may read the record they belong to ----------------------

FILE_ROLES = tuple(role for role in ROLES if role != "anonymous")


def test_every_kind_of_file_has_a_case(app, world):
    from console.files import attachments
    from console.plugins import manager as plugins

    with app.test_request_context():
        declared = {owner.kind for _, owners in plugins.call("attachment_owners") for owner in owners}
    assert declared == set(records.FILE_PAGES), "a kind of file without a case in records.FILE_PAGES"
    for county in ("zhaoyang", "zhenxiong"):
        assert set(world[county]["files"]) == declared, f"{county}: a kind of file without a record"
    assert attachments.AttachmentOwner  # the declarations are the core's type


@pytest.mark.parametrize("role", FILE_ROLES)
@pytest.mark.parametrize("kind", sorted(records.FILE_PAGES))
def test_a_file_is_served_exactly_to_whoever_may_read_its_record(app, world, role, kind):
    client = app.test_client()
    _login(client, role)
    for county in ("zhaoyang", "zhenxiong"):  # the other county's record, for the inspectors
        page = records.FILE_PAGES[kind].format(**world[county])
        address = f"/console/attachments/{world[county]['files'][kind]}"
        readable = client.get(page).status_code == 200
        for url in (address, address + "/thumbnail"):
            got = client.get(url).status_code
            if readable:
                assert got == 200, f"{role} reads {page} but {url} answers {got}"
            else:
                assert got in (403, 404), f"{role} may not read {page} but {url} answers {got}"


def test_a_file_is_not_found_by_its_sequential_id(app, world):
    from console.files.models import Attachment
    from console.foundation.extensions import db

    client = app.test_client()
    _login(client, "admin")
    with app.app_context():
        ids = [row.id for row in db.session.query(Attachment.id)]
        db.session.remove()
    assert ids
    for ident in ids:
        assert client.get(f"/console/attachments/{ident}").status_code == 404
        assert client.get(f"/console/attachments/{ident}/thumbnail").status_code == 404


EXPORTS = ["/visits/enterprises/export/", "/visits/visits/export/", "/visits/problems/export/",
           "/talent/people/export/", "/nameplates/ledger/export"]


def _export_text(response) -> str:
    data = response.get_data()
    if data[:2] == b"PK":  # .xlsx
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(" ".join(str(v) for v in row if v is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return data.decode("utf-8-sig", errors="replace")


@pytest.mark.parametrize("inspector, other", [("zhaoyang", "zhenxiong"), ("zhenxiong", "zhaoyang")])
def test_records_outside_an_inspectors_region_are_not_found(app, world, database_url, inspector, other):
    client = app.test_client()
    _login(client, inspector)
    headers = {"Authorization": "Bearer " + _token(app.test_client(), inspector)}
    before = records.snapshot(database_url)
    for what, method, pattern in SCOPED:
        url = pattern.format(**world[other])
        kwargs = {"headers": headers} if url.startswith("/api/") else {}
        if url.startswith("/api/") and method == "POST":
            kwargs["json"] = {"to": "办理中"}
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == 404, f"{inspector} {what} {method} {url}: {response.status_code}"
        if not url.startswith("/api/"):
            assert "不在您的管辖范围内" in response.get_data(as_text=True) or "不存在" in response.get_data(as_text=True)
    assert records.snapshot(database_url) == before, "a refused request changed the database"
    # The same addresses with the inspector's own records are answered (so 404 above means scope).
    for what, method, pattern in SCOPED:
        if method == "GET":
            url = pattern.format(**world[inspector])
            response = client.get(url, headers=headers if url.startswith("/api/") else None)
            assert outcome(response) == "ok", f"{inspector} own {what} {url}: {response.status_code}"
    with app.app_context():
        from jiceng.plugins.talent.models import Person
        from jiceng.plugins.visits.models import Enterprise

        from console.foundation.extensions import db

        theirs = [db.session.get(Enterprise, world[other]["enterprise"]).name,
                  db.session.get(Person, world[other]["person"]).name]
        mine = db.session.get(Enterprise, world[inspector]["enterprise"]).name
    for path in EXPORTS:
        response = export(client, path)
        assert response.status_code == 200, path
        text = _export_text(response)
        assert not any(name in text for name in theirs), f"{inspector}'s export {path} holds {other}'s records"
    assert mine in _export_text(export(client, "/visits/enterprises/export/"))


OWNERS = {"visits": "visits_owner", "nameplates": "nameplates_owner", "talent": "talent_owner",
          "example": "example_owner"}


def test_a_module_owner_cannot_switch_or_configure_another_plugin(app, database_url):
    from console.plugins.manager import registry

    with app.app_context():
        settings = {name: [s.key for s in info.settings] for name, info in registry().infos.items()}
    before = records.snapshot(database_url)
    for plugin, owner in OWNERS.items():
        client = app.test_client()
        _login(client, owner)
        for other in OWNERS:
            if other == plugin:
                continue
            switched = client.post(f"/console/plugins/{other}/switch", data={"enabled": "0"})
            configured = client.post(f"/console/plugins/{other}/settings",
                                     data={key: "1" for key in settings[other]})
            assert switched.status_code in (403, 404), (owner, other, switched.status_code)
            assert configured.status_code in (403, 404), (owner, other, configured.status_code)
    after = records.snapshot(database_url)
    for table in ("plugin_state", "plugin_setting"):
        assert after[table] == before[table], f"{table} changed"
    # Their own plugin they may switch.
    client = app.test_client()
    _login(client, "example_owner")
    client.post("/console/plugins/example/switch", data={"enabled": "0"})
    with app.app_context():
        from console.plugins.manager import states

        assert states()["example"] is False
    client.post("/console/plugins/example/switch", data={"enabled": "1"})
    with app.app_context():
        assert states()["example"] is True


def test_an_inspector_cannot_review_their_own_inspection(app, world):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.models import Inspection

    pending = world["zhaoyang"]["pending_inspection"]
    client = app.test_client()
    _login(client, "zhaoyang")
    response = client.post(f"/nameplates/inspections/{pending}/review", data={"decision": "accept"},
                           follow_redirects=True)
    assert "不能审核自己录入的检查" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Inspection, pending).status == "submitted"
        db.session.remove()
    reviewer = app.test_client()
    _login(reviewer, "nameplates_owner")
    reviewer.post(f"/nameplates/inspections/{pending}/review", data={"decision": "accept"})
    with app.app_context():
        assert db.session.get(Inspection, pending).status == "accepted"
        db.session.remove()


def test_nobody_can_alter_the_audit_log(app, world, database_url):
    from console.foundation.extensions import db
    from console.audit.models import AuditLog

    with app.app_context():
        # No view or API offers more than reading it.
        for view in app.appbuilder.baseviews:
            model = getattr(getattr(view, "datamodel", None), "obj", None)
            if model is AuditLog:
                assert set(view.base_permissions) <= {"can_list", "can_show"}, view
        entry = db.session.query(AuditLog.id).order_by(AuditLog.id).first()[0]
        db.session.remove()
    attempts = [
        ("POST", "/auditlogview/add", {"action": "update", "summary": "伪造"}),
        ("POST", f"/auditlogview/edit/{entry}", {"summary": "篡改"}),
        ("POST", f"/auditlogview/delete/{entry}", {}),
        ("GET", f"/auditlogview/delete/{entry}", None),
        ("POST", "/auditlogview/action_post", {"action": "muldelete", "rowid": [entry]}),
        ("POST", f"/auditlogview/action/muldelete/{entry}", {}),
    ]
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        if role != "anonymous":
            _login(clients[role], role)
    before = records.snapshot(database_url)["audit_log"]
    for role, client in clients.items():
        for method, url, data in attempts:
            response = client.open(url, method=method, data=data)
            assert response.status_code in (302, 403, 404), (role, method, url, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (role, method, url)
    assert records.snapshot(database_url)["audit_log"] == before
    audit_rules = {rule.rule for rule in app.url_map.iter_rules() if "audit" in rule.rule}
    assert not any(rule.startswith("/api/") for rule in audit_rules), audit_rules
