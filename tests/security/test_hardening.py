"""Hardening: security headers on every kind of answer, sessions that end at logout, password
hashes made with a modern method."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.support import ADMIN_PASSWORD, login, login_in_browser, logout, password_of

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _assert_hardened(response):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    csp = response.headers["Content-Security-Policy"]
    policy = _directives(csp)
    assert "'unsafe-eval'" not in csp
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    return policy


def test_a_page_carries_every_security_header(client):
    response = client.get("/login/")
    assert response.status_code == 200
    _assert_hardened(response)


def test_an_api_answer_carries_every_security_header(client, auth):
    auth.login()
    response = client.get("/api/v1/_openapi")
    assert response.status_code == 200 and response.is_json
    _assert_hardened(response)
    refused = client.application.test_client().get("/api/v1/_openapi")
    assert refused.status_code == 401
    _assert_hardened(refused)


def test_an_error_page_carries_every_security_header(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
    _assert_hardened(response)


@pytest.mark.parametrize("path", ["/static/console.css", "/static/appbuilder/js/ab.js"])
def test_a_static_file_carries_every_security_header(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_hardened(response)
    response.close()


def test_inline_scripts_run_only_with_this_requests_nonce(client, auth):
    auth.login()
    first = client.get("/console/plugins/")
    second = client.get("/console/plugins/")
    nonces = []
    for response in (first, second):
        policy = _directives(response.headers["Content-Security-Policy"])
        nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-")).removeprefix("'nonce-")[:-1]
        page = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert len(nonces[0]) >= 16


def test_a_static_inline_handler_is_allowed_by_its_exact_hash_only(app, client):
    policy = _directives(client.get("/login/").headers["Content-Security-Policy"])
    handler = "return confirm('确定删除该企业？');"  # visits' enterprise page
    digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-hashes'" in policy["script-src"]
    injected = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert f"'sha256-{injected}'" not in policy["script-src"]


# -- sessions -------------------------------------------------------------------------------


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed_in(client) -> bool:
    return client.get("/console/plugins/").status_code == 200


def test_nothing_from_before_login_survives_in_the_session(client):
    client.get("/login/")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    before = _session_cookie(client)
    login(client, "admin", follow_redirects=False)
    assert _session_cookie(client) != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] and sess["_sid"]
    assert _signed_in(client)


def test_a_copied_session_cookie_stops_working_at_logout(app, client, auth):
    auth.login()
    stolen = _session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert _signed_in(thief)

    auth.logout()
    assert not _signed_in(client)
    thief.set_cookie("session", stolen)
    response = thief.get("/console/plugins/")
    assert response.status_code in (302, 401, 403) and "/login" in response.headers.get("Location", "/login")
    assert not _signed_in(thief)


def test_logging_out_ends_the_users_sessions_on_every_device_and_a_new_login_works(app, client, auth):
    other_device = app.test_client()
    login(other_device, "zhaoyang", follow_redirects=False)
    auth.login("zhaoyang")
    assert _signed_in_as(other_device, "zhaoyang")
    auth.logout()
    assert not _signed_in_as(other_device, "zhaoyang")
    auth.login("zhaoyang")
    assert _signed_in_as(client, "zhaoyang")


def test_a_get_of_logout_only_asks_and_signs_nobody_out(app, client, auth):
    other_device = app.test_client()
    login(other_device, "zhaoyang", follow_redirects=False)
    auth.login("zhaoyang")
    page = client.get("/logout/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "确认退出登录" in text and 'method="post"' in text and 'name="csrf_token"' in text
    assert _signed_in_as(client, "zhaoyang") and _signed_in_as(other_device, "zhaoyang")
    # Not signed in: the page has nothing to ask.
    response = app.test_client().get("/logout/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_logout_without_the_csrf_token_is_refused_in_chinese(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    client.post("/login/", data={"username": "zhaoyang", "password": password_of("zhaoyang"),
                                 "csrf_token": token[1] or token[2]})
    assert _signed_in_as(client, "zhaoyang")
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post("/logout/", data=data)
        assert refused.status_code == 400
        assert "安全令牌" in refused.get_data(as_text=True)
        assert _signed_in_as(client, "zhaoyang")
    # The page's own form signs out.
    response = logout(client)
    assert response.status_code == 200 and not _signed_in_as(client, "zhaoyang")


def test_one_users_logout_leaves_other_users_signed_in(app, client, auth):
    admin = app.test_client()
    login(admin, "admin", follow_redirects=False)
    auth.login("zhaoyang")
    auth.logout()
    assert _signed_in(admin)


def test_a_new_password_ends_the_other_sessions_but_keeps_the_one_that_set_it(app, client, auth):
    stolen = app.test_client()
    login(stolen, "zhaoyang", follow_redirects=False)
    auth.login("zhaoyang")
    new = "Another-Pass-2026!"
    response = client.post("/resetmypassword/form", data={"password": new, "conf_password": new},
                           follow_redirects=True)
    assert response.status_code == 200
    assert _signed_in_as(client, "zhaoyang")
    assert not _signed_in_as(stolen, "zhaoyang")


def test_a_password_reset_by_an_admin_ends_the_users_sessions(app, client, auth):
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    user_device = app.test_client()
    login(user_device, "zhaoyang", follow_redirects=False)
    assert _signed_in_as(user_device, "zhaoyang")
    with app.app_context():
        pk = db.session.query(ConsoleUser.id).filter_by(username="zhaoyang").scalar()
    auth.login()
    new = "Reset-By-Admin-2026!"
    client.post(f"/resetpassword/form?pk={pk}", data={"password": new, "conf_password": new})
    assert not _signed_in_as(user_device, "zhaoyang")
    assert _signed_in(client)
    user_device.post("/login/", data={"username": "zhaoyang", "password": new})
    # Signed in with the new password, and sent to change it first (console.security.accounts).
    assert "/resetmypassword/form" in user_device.get("/users/userinfo/").location


def _signed_in_as(client, username) -> bool:
    response = client.get("/users/userinfo/")
    return response.status_code == 200 and username in response.get_data(as_text=True)


def test_the_api_token_login_still_works(client):
    response = client.post("/api/v1/security/login", json={
        "username": "admin", "password": ADMIN_PASSWORD, "provider": "db"})
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    answer = client.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def _api_tokens(app, username):
    body = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password_of(username), "provider": "db", "refresh": True}).get_json()
    return ({"Authorization": f"Bearer {body['access_token']}"},
            {"Authorization": f"Bearer {body['refresh_token']}"})


def _api_ok(client, headers) -> bool:
    return client.get("/api/v1/visits_enterprises/", headers=headers).status_code == 200


def test_logging_out_in_the_browser_also_ends_the_users_api_tokens(app, client, auth):
    access, refresh = _api_tokens(app, "zhaoyang")
    others, _ = _api_tokens(app, "zhenxiong")
    assert _api_ok(client, access) and _api_ok(client, others)
    auth.login("zhaoyang")
    auth.logout()
    answer = client.get("/api/v1/visits_enterprises/", headers=access)
    assert answer.status_code == 401
    assert "登录凭证已失效" in answer.get_json()["message"]
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401
    assert _api_ok(client, others)  # another user's token is untouched
    fresh, _ = _api_tokens(app, "zhaoyang")
    assert _api_ok(client, fresh)


def test_a_new_password_or_a_disabled_account_ends_the_api_tokens(app, client):
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    access, _ = _api_tokens(app, "zhaoyang")
    theirs, _ = _api_tokens(app, "zhenxiong")
    with app.app_context():
        user = db.session.query(ConsoleUser).filter_by(username="zhaoyang").one()
        app.appbuilder.sm.reset_password(user.id, "Another-Pass-2026!")
    assert not _api_ok(client, access)
    with app.app_context():
        user = db.session.query(ConsoleUser).filter_by(username="zhenxiong").one()
        user.active = False
        db.session.commit()
    assert client.get("/api/v1/visits_enterprises/", headers=theirs).status_code == 401


# -- passwords ------------------------------------------------------------------------------


def _assert_modern(hashed: str) -> None:
    method = hashed.split("$", 1)[0]
    if method.startswith("scrypt:"):
        n, r, p = (int(x) for x in method.split(":")[1:])
        assert n >= 2 ** 15 and r >= 8 and p >= 1, method
    else:
        name, algorithm, iterations = method.split(":")
        assert name == "pbkdf2" and algorithm == "sha256" and int(iterations) >= 600_000, method


def test_stored_passwords_are_hashed_with_scrypt(app):
    from console.security.users import ConsoleUser
    from console.foundation.extensions import db

    with app.app_context():
        hashes = [u.password for u in db.session.query(ConsoleUser)]
    assert len(hashes) >= 5
    for hashed in hashes:
        assert hashed.startswith("scrypt:"), hashed[:20]
        _assert_modern(hashed)


def test_a_password_set_in_the_console_is_hashed_with_scrypt(app, client, auth):
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    auth.login()
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("检查员").id
    response = client.post("/users/add", data={
        "first_name": "新", "last_name": "用户", "username": "xinyonghu", "email": "x@example.invalid",
        "active": "y", "roles": [role_id], "password": "Strong-Pass-2026!", "conf_password": "Strong-Pass-2026!",
        "whole_city": "y",
    }, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        user = db.session.query(ConsoleUser).filter_by(username="xinyonghu").one()
        _assert_modern(user.password)
        assert user.password.startswith("scrypt:")


# -- the policy in a real browser ------------------------------------------------------------

BROWSER_PAGES = [
    "/", "/console/plugins/", "/regionview/list/", "/regionview/add", "/users/list/",
    "/auditlogview/list/", "/swagger/v1",
]


@pytest.mark.browser
def test_no_page_breaks_under_the_policy_in_chromium(world, page, live_server):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_in_browser(page, live_server)
    for path in BROWSER_PAGES:
        response = page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
    # Swagger UI drew the console's operations, so its inline start-up script ran.
    page.goto(live_server + "/swagger/v1")
    page.wait_for_selector(".opblock", timeout=15000)
    # select2 turned the region picker into its own widget: FAB's scripts ran.
    page.goto(live_server + "/regionview/add")
    page.wait_for_selector(".select2-container", timeout=15000)
    # A template's inline confirm() handler runs (allowed by its hash): dismissing it keeps the record.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.goto(live_server + f"/visits/enterprises/show/{world['zhaoyang']['enterprise']}")
    page.get_by_role("button", name="删除该企业").click()
    page.wait_for_load_state("networkidle")
    assert asked == ["确定删除该企业？"]
    assert page.goto(live_server + f"/visits/enterprises/show/{world['zhaoyang']['enterprise']}").status == 200
    assert violations == [] and errors == [], violations + errors
