"""Passwords under JICENG_CRYPTO=sm: PBKDF2-HMAC-SM3 for new ones, the old ones still verify."""

from console.foundation.extensions import db
from console.security import passwords
from console.security.users import ConsoleUser
from tests.support import ADMIN_PASSWORD, login

NEW_PASSWORD = "Sm3-Pass-2026!"


def test_a_password_set_under_sm_is_hashed_with_pbkdf2_sm3_and_signs_in(make_app):
    app = make_app(CRYPTO="sm")
    with app.app_context():
        sm = app.appbuilder.sm
        admin = sm.find_user(username="admin")
        user = sm.add_user("sm_user", "国密", "用户", "sm_user@localhost", admin.roles[0], NEW_PASSWORD)
        assert user.password.startswith("pbkdf2:sm3:150000$")
        assert not passwords.outdated(user.password)
    client = app.test_client()
    page = login(client, "sm_user", NEW_PASSWORD)
    assert "退出" in page.get_data(as_text=True) or page.request.path != "/login/"
    assert login(app.test_client(), "sm_user", "Wrong-Pass-2026!").request.path == "/login/"


def test_a_hash_written_before_the_switch_still_signs_in(make_app):
    app = make_app(CRYPTO="sm")
    with app.app_context():
        stored = db.session.query(ConsoleUser).filter_by(username="admin").one().password
        assert stored.startswith("scrypt:")  # written by `jiceng init` in the default mode
        assert passwords.outdated(stored)
    page = login(app.test_client(), "admin", ADMIN_PASSWORD)
    assert page.request.path != "/login/"


def test_an_outdated_hash_is_replaced_once_the_password_is_known(make_app):
    app = make_app(CRYPTO="sm")
    with app.app_context():
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        assert passwords.rehash(admin, ADMIN_PASSWORD)
        db.session.commit()
        assert admin.password.startswith("pbkdf2:sm3:")
        assert not passwords.rehash(admin, ADMIN_PASSWORD)
    assert login(app.test_client(), "admin", ADMIN_PASSWORD).request.path != "/login/"


def test_the_default_mode_keeps_flask_appbuilders_scrypt(app):
    with app.app_context():
        assert "FAB_PASSWORD_HASH_METHOD" not in app.config
        assert not passwords.outdated(db.session.query(ConsoleUser).filter_by(username="admin").one().password)


def test_signing_in_under_sm_replaces_an_older_hash(make_app):
    app = make_app(CRYPTO="sm")
    with app.app_context():
        before = db.session.query(ConsoleUser).filter_by(username="admin").one().password
    assert not before.startswith("pbkdf2:sm3:")
    assert login(app.test_client(), "admin", ADMIN_PASSWORD).request.path != "/login/"
    with app.app_context():
        after = db.session.query(ConsoleUser).filter_by(username="admin").one().password
    assert after.startswith("pbkdf2:sm3:")
    assert login(app.test_client(), "admin", ADMIN_PASSWORD).request.path != "/login/"
