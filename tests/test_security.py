"""Security baseline: CSRF, cookies, login rate limiting, passwords, built-in roles."""

import re

import pytest

from tests.support import ADMIN_PASSWORD


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_form_without_csrf_token_is_refused_in_chinese(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "安全令牌" in text and "Traceback" not in text


def test_plugin_switch_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!", "csrf_token": token})
    assert client.post("/console/plugins/example/switch", data={"enabled": "0"}).status_code == 400
    with csrf_app.app_context():
        from console.plugins.manager import states

        assert states()["example"] is True


def test_login_with_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login/").get_data(as_text=True))
    response = client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!",
                                            "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert client.get("/console/plugins/").status_code == 200


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_attempts_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", AUTH_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/login/", data={"username": "admin", "password": "Wrong-pass-1!"}).status_code
             for _ in range(5)]
    assert codes[:3] != [429] * 3 and codes[-1] == 429
    assert "操作太频繁" in client.post("/login/", data={"username": "admin", "password": "x"}).get_data(as_text=True)


def test_the_rest_login_counts_against_the_same_limit_as_the_form(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    wrong = {"username": "admin", "password": "Wrong-pass-1!", "provider": "db"}
    assert client.post("/api/v1/security/login", json=wrong).status_code == 401
    assert client.post("/login/", data=wrong).status_code != 429
    assert client.post("/api/v1/security/login", json=wrong).status_code == 401
    refused = client.post("/api/v1/security/login", json=dict(wrong, password=ADMIN_PASSWORD))
    assert refused.status_code == 429, "the right password after the limit is refused too"
    assert "尝试次数过多" in refused.get_json()["message"]
    assert client.post("/login/", data=wrong).status_code == 429


def test_rate_limit_storage_follows_redis_url(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:6379/0")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("password, ok", [
    ("short1A!", False), ("alllowercaseletters", False), ("Longer-Pass-2025", True), ("长密码但只有汉字汉字汉字", False),
])
def test_password_complexity(app, password, ok):
    from console.security.passwords import problems

    with app.app_context():
        assert (not problems(password)) is ok


def test_weak_password_for_a_new_user_is_refused_in_chinese(app, client, auth):
    auth.login()
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("检查员").id
    response = client.post("/users/add", data={
        "first_name": "三", "last_name": "张", "username": "zhangsan", "email": "z@example.invalid",
        "active": "y", "roles": str(role_id), "password": "abc", "conf_password": "abc",
    }, follow_redirects=True)
    assert "密码太弱" in response.get_data(as_text=True)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="zhangsan") is None


def test_builtin_roles_cannot_be_edited_in_the_ui(app, client, auth):
    auth.login()
    with app.app_context():
        role = app.appbuilder.sm.find_role("检查员")
        role_id = role.id
    response = client.post(f"/roles/edit/{role_id}", data={"name": "检查员X"}, follow_redirects=True)
    assert "系统内置角色" in response.get_data(as_text=True)
    with app.app_context():
        assert app.appbuilder.sm.find_role("检查员") is not None


def test_a_new_session_id_is_issued_at_login(client):
    client.get("/login/")
    before = client.get_cookie("session")
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    after = client.get_cookie("session")
    assert after is not None and (before is None or before.value != after.value)


def test_an_expired_session_leads_to_the_login_page_in_chinese(make_app):
    import time

    app = make_app(PERMANENT_SESSION_LIFETIME=1)
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    assert client.get("/console/plugins/").status_code == 200
    time.sleep(2.1)  # the signed session cookie carries its age; past the lifetime it is void
    response = client.get("/console/plugins/", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.request.path == "/login/"
    assert "登录已过期" in text and "Traceback" not in text


def test_a_forged_session_cookie_is_ignored(client):
    client.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
    response = client.get("/console/plugins/", follow_redirects=True)
    assert response.request.path == "/login/"
