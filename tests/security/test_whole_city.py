"""A user's scope is widened to the whole city only on purpose (the form, ``jiceng users add``
and the service underneath refuse an empty region without the 全市 confirmation), the picker
names each region by its full path, and every change of a user's roles or region is in the
audit log with before and after."""

from __future__ import annotations

import json

import pytest

from console.audit.models import AuditLog
from console.foundation.extensions import db
from console.regions.models import Region
from console.security import provisioning, roles
from console.security.users import ConsoleUser
from tests.support import DEMO_PASSWORD, login

PASSWORD = "Field-Pass-2025!"


def _entries(username=None, action=None):
    q = db.session.query(AuditLog).filter(AuditLog.entity == "ab_user")
    if action:
        q = q.filter(AuditLog.action == action)
    rows = q.order_by(AuditLog.id).all()
    if username:
        user = db.session.query(ConsoleUser).filter_by(username=username).one()
        rows = [r for r in rows if r.entity_id == str(user.id)]
    return rows


def _village(code_prefix="530627"):
    return (db.session.query(Region).filter(Region.level == "village", Region.path.contains(code_prefix + "."))
            .order_by(Region.code).first())


def _create(**extra):
    sm_roles = [db.session.query(__import__("flask_appbuilder").security.sqla.models.Role)
                .filter_by(name=roles.INSPECTOR).one()]
    args = {"username": "jianchayuan", "last_name": "李", "first_name": "四", "email": "li@zt.test",
            "roles": sm_roles, "region": None, "password": PASSWORD}
    return provisioning.create_user(db.session, **{**args, **extra})


def test_the_service_refuses_the_whole_city_unless_confirmed(app):
    with app.app_context():
        with pytest.raises(provisioning.ScopeRefused, match="确认该用户可查看全市数据"):
            _create()
        city = db.session.query(Region).filter_by(level="city").one()
        with pytest.raises(provisioning.ScopeRefused, match="全市"):
            _create(region=city)
        county = db.session.query(Region).filter_by(code="530627").one()
        with pytest.raises(provisioning.ScopeRefused, match="不能同时勾选"):
            _create(region=county, whole_city=True)
        assert db.session.query(ConsoleUser).filter_by(username="jianchayuan").first() is None
        user = _create(whole_city=True)
        assert user.id and user.scope_region is None


def test_the_create_entry_records_roles_and_region_and_a_move_records_before_and_after(app):
    with app.app_context():
        village = _village()
        user = _create(region=village)
        [insert] = _entries("jianchayuan", "insert")
        changes = json.loads(insert.changes)
        assert changes["roles"] == [None, [roles.INSPECTOR]]
        assert changes["scope_region"] == [None, f"{village.name}（{village.code}）"]

        county = db.session.query(Region).filter_by(code="530602").one()
        provisioning.change_scope(db.session, user, county)
        db.session.expire_all()
        user = db.session.get(ConsoleUser, user.id)
        provisioning.change_scope(db.session, user, None, whole_city=True)
        first, second = _entries("jianchayuan", "update")[-2:]
        assert json.loads(first.changes)["scope_region"] == [f"{village.name}（{village.code}）", "昭阳区（530602）"]
        assert json.loads(second.changes)["scope_region"] == ["昭阳区（530602）", "全市"]
        with pytest.raises(provisioning.ScopeRefused):
            provisioning.change_scope(db.session, db.session.get(ConsoleUser, user.id), county.parent)


def _form(**extra):
    with_role = db.session.query(__import__("flask_appbuilder").security.sqla.models.Role).filter_by(
        name=roles.INSPECTOR).one()
    return {"last_name": "王", "first_name": "五", "username": "wangwu", "active": "y", "email": "w@zt.test",
            "roles": str(with_role.id), "password": PASSWORD, "conf_password": PASSWORD, **extra}


def test_the_users_form_refuses_an_empty_region_without_the_confirmation(app, client):
    login(client)
    with app.app_context():
        data = _form()
    page = client.post("/users/add", data=data, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "未选择管辖区域即表示全市" in text
    with app.app_context():
        assert db.session.query(ConsoleUser).filter_by(username="wangwu").first() is None
    page = client.post("/users/add", data={**data, "whole_city": "y"}, follow_redirects=True)
    assert page.status_code == 200
    with app.app_context():
        user = db.session.query(ConsoleUser).filter_by(username="wangwu").one()
        assert user.scope_region is None
        [insert] = _entries("wangwu", "insert")
        assert json.loads(insert.changes)["scope_region"] == [None, "全市"]
        assert json.loads(insert.changes)["roles"] == [None, [roles.INSPECTOR]]


def test_a_region_change_in_the_form_is_audited_before_and_after(app, client):
    login(client)
    with app.app_context():
        user = db.session.query(ConsoleUser).filter_by(username="zhenxiong").one()
        before = user.scope_region
        village = _village("530627")
        uid, data = user.id, {"last_name": user.last_name or "镇", "first_name": user.first_name or "",
                              "username": user.username, "active": "y", "email": user.email,
                              "scope_region": str(village.id),
                              "roles": [str(r.id) for r in user.roles]}
        expected = [f"{before.name}（{before.code}）", f"{village.name}（{village.code}）"]
    page = client.post(f"/users/edit/{uid}", data=data, follow_redirects=True)
    assert page.status_code == 200
    with app.app_context():
        [update] = _entries("zhenxiong", "update")[-1:]
        assert json.loads(update.changes)["scope_region"] == expected
        assert update.username == "admin"


def test_the_picker_names_each_region_by_its_full_path(app, client):
    login(client)
    text = client.get("/users/add").get_data(as_text=True)
    with app.app_context():
        village = _village("530627")
        township = village.parent
        expected = f"镇雄县 / {township.name} / {village.name}"
    assert f">{expected}</option>" in text
    assert "region-picker" in text and "确认该用户可查看全市数据" in text


def test_the_command_line_refuses_an_empty_region_without_whole_city(app, runner):
    result = runner.invoke(args=["users", "add", "cli_user", "--name", "赵六", "--role", roles.INSPECTOR])
    assert result.exit_code == 1 and "--whole-city" not in result.output  # the rule's words, not the option's
    assert "确认该用户可查看全市数据" in result.output
    result = runner.invoke(args=["users", "add", "cli_user", "--name", "赵六", "--role", roles.INSPECTOR,
                                 "--region", "530627"])
    assert result.exit_code == 0, result.output
    assert "管辖区域：镇雄县" in result.output and "初始密码" in result.output
    with app.app_context():
        [insert] = _entries("cli_user", "insert")
        assert json.loads(insert.changes)["scope_region"] == [None, "镇雄县（530627）"]
        assert insert.username.startswith("命令行")
    result = runner.invoke(args=["users", "add", "cli_city", "--name", "钱七", "--role", roles.LEADER,
                                 "--whole-city"])
    assert result.exit_code == 0, result.output
    assert "管辖区域：全市" in result.output
