"""The audit log: every change recorded in its own transaction, and nobody can alter it."""

import json

import pytest

from console.audit import log as audit
from console.audit.log import AuditLogImmutable
from console.foundation.extensions import db
from console.audit.models import AuditLog
from console.regions.models import Region


def _entries(action=None, entity="region"):
    q = db.session.query(AuditLog).filter(AuditLog.entity == entity)
    if action:
        q = q.filter(AuditLog.action == action)
    return q.order_by(AuditLog.id).all()


def test_insert_update_delete_are_recorded_with_before_and_after(app):
    with app.app_context():
        audit.set_actor("测试员", 7)
        county = db.session.query(Region).filter_by(code="530602").one()
        region = Region(code="530602999", name="测试乡", level="township", parent=county,
                        path=county.path + "530602999.")
        db.session.add(region)
        db.session.commit()
        region.name = "测试镇"
        db.session.commit()
        db.session.delete(region)
        db.session.commit()

        insert, update, delete = _entries()[-3:]
        assert (insert.action, update.action, delete.action) == ("insert", "update", "delete")
        assert insert.username == "测试员" and insert.user_id == 7
        assert json.loads(insert.changes)["name"] == [None, "测试乡"]
        assert json.loads(update.changes) == {"name": ["测试乡", "测试镇"]}
        assert json.loads(delete.changes)["name"] == ["测试镇", None]
        assert insert.entity_id == update.entity_id == delete.entity_id == str(region.id)


def test_a_rolled_back_change_leaves_no_audit_entry(app):
    with app.app_context():
        before = db.session.query(AuditLog).count()
        county = db.session.query(Region).filter_by(code="530602").one()
        county.name = "改名"
        db.session.flush()
        db.session.rollback()
        assert db.session.query(AuditLog).count() == before
        assert db.session.query(Region).filter_by(code="530602").one().name == "昭阳区"


def test_audit_rows_cannot_be_changed_or_deleted(app):
    with app.app_context():
        audit.record("login", entity="ab_user", summary="测试")
        db.session.commit()
        entry = db.session.query(AuditLog).order_by(AuditLog.id.desc()).first()
        entry.summary = "篡改"
        with pytest.raises(AuditLogImmutable):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditLog, entry.id))
        with pytest.raises(AuditLogImmutable):
            db.session.commit()


@pytest.mark.parametrize("method, path", [
    ("get", "/auditlogview/add"),
    ("get", "/auditlogview/edit/1"),
    ("get", "/auditlogview/delete/1"),
    ("post", "/auditlogview/delete/1"),
])
def test_audit_log_has_no_write_routes_even_for_admin(client, auth, method, path):
    auth.login()
    assert getattr(client, method)(path).status_code in (403, 404, 405, 302)


def test_logins_are_recorded_success_and_failure(app, client, auth):
    auth.login("admin", "wrong-Password-1")
    auth.login("nobody-here", "wrong-Password-1")
    auth.login()
    with app.app_context():
        rows = db.session.query(AuditLog).filter(AuditLog.action.in_(["login", "login_failed"])).all()
        seen = [(r.action, r.username) for r in rows]
    assert ("login_failed", "admin") in seen
    assert ("login_failed", "nobody-here") in seen
    assert ("login", "admin") in seen


def test_web_changes_name_the_signed_in_user(app, client, auth):
    auth.login()
    response = client.post("/regionview/edit/2", data={"code": "530602", "name": "昭阳区", "level": "county",
                                                       "parent": "1"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        db.session.query(Region).filter_by(code="530602").one().name = "昭阳区（改）"
        audit.set_actor("命令行:测试")
        db.session.commit()
        entry = _entries("update")[-1]
        assert entry.username == "命令行:测试"


def test_role_permission_changes_are_audited(app):
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("领导")
        perm = sm.find_permission_view_menu("can_list", "console_audit")
        if perm is None:
            perm = sm.add_permission_view_menu("can_list", "console_audit")
        role.permissions.append(perm)
        db.session.commit()
        entry = _entries("update", entity="ab_role")[-1]
        assert "permissions" in json.loads(entry.changes)


def test_audit_log_page_lists_and_filters(client, auth):
    auth.login("admin", "wrong-Password-1")
    auth.login()
    page = client.get("/auditlogview/list/?_flt_0_action=login_failed").get_data(as_text=True)
    assert "登录失败" in page


def test_a_login_is_one_entry_not_an_anonymous_user_update(app, client, auth):
    auth.login()
    with app.app_context():
        updates = db.session.query(AuditLog).filter_by(entity="ab_user", action="update").all()
        assert updates == []
        assert db.session.query(AuditLog).filter_by(action="login", username="admin").count() == 1


def test_summaries_name_what_changed_in_words(app):
    with app.app_context():
        county = db.session.query(Region).filter_by(code="530602").one()
        county.name = "昭阳区（测试）"
        db.session.commit()
        entry = _entries("update")[-1]
        assert entry.summary == f"修改行政区划 #{county.id}：昭阳区（测试）"
