"""The login policy: account lockout (form and API, whatever the client address), unlocking by
time and by the user admin, password expiry, history and the forced change, the previous login
shown after login, the idle timeout of pages and API tokens, and the second-factor hook.

Times are moved by setting stored timestamps back in the database, never by waiting."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from console.audit.models import AuditLog
from console.foundation.clock import utcnow
from console.foundation.extensions import db
from console.security.models import AccountState, LoginActivity
from console.security.users import ConsoleUser
from tests.support import jwt_headers, login, password_of

WRONG = "Wrong-Pass-2026!"
NEW = "Brand-New-Pass-2026!"


def _user(username):
    return db.session.query(ConsoleUser).filter_by(username=username).one()


def _state(app, username) -> AccountState:
    with app.app_context():
        state = _user(username).account_state
        db.session.expunge(state)
        return state


def _set_state(app, username, **values):
    with app.app_context():
        uid = _user(username).id
        db.session.execute(sa.update(AccountState).where(AccountState.user_id == uid).values(**values))
        db.session.commit()


def _audit(app, username, action):
    with app.app_context():
        return db.session.query(AuditLog).filter_by(username=username, action=action).order_by(AuditLog.id).all()


def _form_login(client, username, password, address):
    # Each attempt from another client address, as a guesser spreading over a botnet would.
    return client.post("/login/", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers={"X-Forwarded-For": address},
                       follow_redirects=True)


def _api_login(client, username, password, address="10.9.9.9"):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": address}, headers={"X-Forwarded-For": address})


def _signed_in(client) -> bool:
    return client.get("/users/userinfo/").status_code == 200


# -- lockout --------------------------------------------------------------------------------


def test_five_failures_from_rotating_addresses_lock_the_account_on_the_form(app, client):
    for i in range(4):
        page = _form_login(client, "lingdao", WRONG, f"10.0.0.{i}").get_data(as_text=True)
        assert "已被锁定" not in page
    page = _form_login(client, "lingdao", WRONG, "10.0.0.99").get_data(as_text=True)
    assert "连续 5 次登录失败已被锁定" in page
    # The right password from yet another address does not get in while the lock holds.
    page = _form_login(client, "lingdao", password_of("lingdao"), "172.16.0.1").get_data(as_text=True)
    assert "已被锁定" in page and "后可再次登录" in page
    assert not _signed_in(client)
    state = _state(app, "lingdao")
    assert state.locked_until - utcnow() > dt.timedelta(minutes=29)
    assert len(_audit(app, "lingdao", "account_locked")) == 1
    # Every failure audited, the one refused while locked included.
    assert len(_audit(app, "lingdao", "login_failed")) == 6


def test_form_and_api_failures_count_together_and_the_api_says_locked(app, client):
    for i in range(3):
        assert _api_login(client, "zhaoyang", WRONG, f"10.1.0.{i}").status_code == 401
    _form_login(client, "zhaoyang", WRONG, "10.2.0.1")
    answer = _api_login(client, "zhaoyang", WRONG, "10.3.0.1")
    assert answer.status_code == 401 and "已被锁定" in answer.get_json()["message"]
    answer = _api_login(client, "zhaoyang", password_of("zhaoyang"), "10.4.0.1")
    assert answer.status_code == 401
    assert "连续 5 次登录失败已被锁定" in answer.get_json()["message"]
    assert "access_token" not in answer.get_json()


def test_a_lock_ends_by_time_and_that_is_audited(app, client):
    for i in range(5):
        _api_login(client, "zhenxiong", WRONG, f"10.5.0.{i}")
    assert _api_login(client, "zhenxiong", password_of("zhenxiong")).status_code == 401
    _set_state(app, "zhenxiong", locked_until=utcnow() - dt.timedelta(seconds=1))
    assert _api_login(client, "zhenxiong", password_of("zhenxiong")).status_code == 200
    assert [row.summary for row in _audit(app, "zhenxiong", "account_unlocked")] == ["锁定期满，自动解锁"]


def test_the_user_admin_unlocks_from_the_user_page(app, client, auth):
    for i in range(5):
        _form_login(app.test_client(), "lingdao", WRONG, f"10.6.0.{i}")
    with app.app_context():
        pk = _user("lingdao").id
    auth.login()
    page = client.get(f"/users/show/{pk}").get_data(as_text=True)
    assert "已锁定" in page and "解除锁定" in page
    page = client.post(f"/users/action/unlock/{pk}", follow_redirects=True).get_data(as_text=True)
    assert "已解除锁定：lingdao" in page
    assert _state(app, "lingdao").locked_until is None
    with app.app_context():
        row = db.session.query(AuditLog).filter_by(action="account_unlocked").one()
        assert row.username == "admin" and row.entity_id == str(pk)
    other = app.test_client()
    login(other, "lingdao")
    assert _signed_in(other)


def test_an_inspector_cannot_unlock(app, client, auth):
    for i in range(5):
        _form_login(app.test_client(), "lingdao", WRONG, f"10.7.0.{i}")
    with app.app_context():
        pk = _user("lingdao").id
    auth.login("zhaoyang")
    client.post(f"/users/action/unlock/{pk}")
    client.post("/users/action_post", data={"action": "unlock", "rowid": [pk]})
    assert _state(app, "lingdao").locked_until is not None


# -- the previous login ---------------------------------------------------------------------


def test_the_previous_login_and_the_failures_since_are_shown(app, client):
    _form_login(app.test_client(), "lingdao", password_of("lingdao"), "192.168.1.10")
    _form_login(app.test_client(), "lingdao", WRONG, "10.8.0.1")
    _api_login(app.test_client(), "lingdao", WRONG, "10.8.0.2")
    page = _form_login(client, "lingdao", password_of("lingdao"), "192.168.1.11").get_data(as_text=True)
    assert "上次登录：" in page and "地址 192.168.1.10" in page and "此后登录失败 2 次" in page
    body = _api_login(app.test_client(), "lingdao", password_of("lingdao"), "192.168.1.12").get_json()
    assert body["last_login"]["ip"] == "192.168.1.11" and body["last_login"]["failures_since"] == 0


# -- passwords ------------------------------------------------------------------------------


def _change_own(client, password):
    return client.post("/resetmypassword/form", data={"password": password, "conf_password": password},
                       follow_redirects=True)


def test_an_expired_password_must_be_changed_first(app, client, auth):
    _set_state(app, "zhaoyang", password_changed_at=utcnow() - dt.timedelta(days=91))
    headers = jwt_headers(app.test_client(), "zhaoyang")
    answer = app.test_client().get("/api/v1/visits_enterprises/", headers=headers)
    assert answer.status_code == 403 and "已过期" in answer.get_json()["message"]
    page = auth.login("zhaoyang").get_data(as_text=True)
    assert "密码已超过 90 天未修改" in page
    for path in ("/", "/users/userinfo/", "/console/inbox/"):
        response = client.get(path)
        assert response.status_code == 302 and "/resetmypassword/form" in response.location
    _change_own(client, NEW)
    assert client.get("/").status_code == 200
    # The new password ended the tokens made with the old one (console.security.hardening).
    answer = _api_login(app.test_client(), "zhaoyang", NEW)
    headers = {"Authorization": "Bearer " + answer.get_json()["access_token"]}
    assert app.test_client().get("/api/v1/visits_enterprises/", headers=headers).status_code == 200


def test_the_last_five_passwords_cannot_be_used_again(app, client, auth):
    auth.login("zhenxiong")
    page = _change_own(client, password_of("zhenxiong")).get_data(as_text=True)
    assert "不能使用最近 5 次用过的密码" in page
    passwords = [f"Rotation-{n}-Pass!" for n in range(5)]
    for password in passwords:
        assert "密码已修改" in _change_own(client, password).get_data(as_text=True)
    # The current one and the four before it are remembered; the sixth-last is free again.
    for password in passwords:
        assert "不能使用最近 5 次" in _change_own(client, password).get_data(as_text=True)
    assert "密码已修改" in _change_own(client, password_of("zhenxiong")).get_data(as_text=True)
    with app.app_context():
        assert len(_user("zhenxiong").password_history) == 5


def test_a_password_reset_by_an_admin_must_be_changed_at_login(app, client, auth):
    with app.app_context():
        pk = _user("lingdao").id
    auth.login()
    client.post(f"/resetpassword/form?pk={pk}", data={"password": NEW, "conf_password": NEW})
    assert _state(app, "lingdao").must_change_password
    user = app.test_client()
    page = login(user, "lingdao", NEW).get_data(as_text=True)
    assert "须先修改密码" in page
    assert user.get("/visits/").status_code == 302
    token = _api_login(app.test_client(), "lingdao", NEW).get_json()["access_token"]
    answer = app.test_client().get("/api/v1/visits_enterprises/", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and "须先修改密码" in answer.get_json()["message"]
    # The admin's temporary password is in the history too.
    assert "不能使用" in _change_own(user, NEW).get_data(as_text=True)
    _change_own(user, "Chosen-By-Me-2026!")
    assert not _state(app, "lingdao").must_change_password
    assert user.get("/").status_code == 200


def test_a_user_added_by_an_admin_must_change_the_password(app, client, auth):
    auth.login()
    with app.app_context():
        from console.security.roles import LEADER
        from flask_appbuilder.security.sqla.models import Role

        role = db.session.query(Role).filter_by(name=LEADER).one().id
    client.post("/users/add", data={"first_name": "新", "last_name": "用户", "username": "xinyonghu",
                                    "active": "y", "email": "x@example.invalid", "roles": [role],
                                    "password": NEW, "conf_password": NEW, "whole_city": "y"})
    assert _state(app, "xinyonghu").must_change_password
    user = app.test_client()
    login(user, "xinyonghu", NEW)
    assert "/resetmypassword/form" in user.get("/").location


def test_the_demo_accounts_and_the_template_admin_are_not_forced(app):
    for username in ("admin", "lingdao", "zhaoyang"):
        state = _state(app, username)
        assert not state.must_change_password and state.password_changed_at is not None


def test_jiceng_init_forces_a_change_of_the_password_it_generates(app, runner, monkeypatch):
    monkeypatch.setenv("JICENG_ADMIN_USER", "admin2")
    monkeypatch.delenv("JICENG_ADMIN_PASSWORD")
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "首次登录后须修改" in result.output
    assert _state(app, "admin2").must_change_password


# -- idle timeout ---------------------------------------------------------------------------


def _set_back_activity(app, username, minutes):
    with app.app_context():
        uid = _user(username).id
        rows = db.session.execute(sa.update(LoginActivity).where(LoginActivity.user_id == uid)
                                  .values(last_seen_at=utcnow() - dt.timedelta(minutes=minutes))).rowcount
        db.session.commit()
    assert rows


def test_an_idle_page_session_is_signed_out(app, client, auth):
    auth.login("zhaoyang")
    _set_back_activity(app, "zhaoyang", 29)
    assert client.get("/").status_code == 200  # 29 minutes: still signed in, and seen again now
    _set_back_activity(app, "zhaoyang", 31)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "超过 30 分钟未操作，已自动退出" in page
    assert not _signed_in(client)


def test_the_idle_limit_is_a_setting(make_app):
    app = make_app(AUTH_IDLE_MINUTES=5)
    client = app.test_client()
    login(client, "zhaoyang")
    _set_back_activity(app, "zhaoyang", 6)
    assert not _signed_in(client)


def test_an_idle_api_token_is_refused(app):
    headers = jwt_headers(app.test_client(), "zhaoyang")
    client = app.test_client()
    assert client.get("/api/v1/visits_enterprises/", headers=headers).status_code == 200
    _set_back_activity(app, "zhaoyang", 31)
    answer = client.get("/api/v1/visits_enterprises/", headers=headers)
    assert answer.status_code == 401
    assert "超过 30 分钟未操作，登录凭证已失效" in answer.get_json()["message"]


# -- a second factor ------------------------------------------------------------------------


def test_a_plugged_in_second_factor_is_called_and_can_refuse(make_app):
    calls = []

    def one_time_code(user, request):
        calls.append(user.username)
        code = request.form.get("otp") or (request.get_json(silent=True) or {}).get("otp")
        return None if code == "246810" else "动态口令错误"

    app = make_app(AUTH_SECOND_FACTOR=one_time_code)
    client = app.test_client()
    page = login(client, "lingdao").get_data(as_text=True)
    assert calls == ["lingdao"] and "动态口令错误" in page and not _signed_in(client)
    answer = _api_login(client, "lingdao", password_of("lingdao"))
    assert answer.status_code == 401 and answer.get_json()["message"] == "动态口令错误"
    assert [r.summary for r in _audit(app, "lingdao", "login_failed")] == ["登录失败：第二重身份验证未通过"] * 2
    client.post("/login/", data={"username": "lingdao", "password": password_of("lingdao"), "otp": "246810"})
    assert _signed_in(client)
    assert calls == ["lingdao"] * 3


def test_a_broken_second_factor_refuses(make_app):
    def broken(user, request):
        raise RuntimeError("the key reader is unplugged")

    client = make_app(AUTH_SECOND_FACTOR=broken).test_client()
    assert "第二重身份验证出错" in login(client, "lingdao").get_data(as_text=True)
    assert not _signed_in(client)


@pytest.mark.parametrize("setting", ["tests.security.second_factor:always_refuse"])
def test_the_second_factor_is_named_by_a_dotted_path(make_app, setting):
    client = make_app(AUTH_SECOND_FACTOR=setting).test_client()
    assert "请插入 USB Key" in login(client, "lingdao").get_data(as_text=True)
