"""The lockout message and the forced password change in Chromium, against gunicorn, in Chinese."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.support import login_in_browser, password_of

pytestmark = pytest.mark.browser


def _must_change(database_url: str, username: str) -> None:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE account_state SET must_change_password = :yes WHERE user_id = "
                             "(SELECT id FROM ab_user WHERE username = :name)"), {"yes": True, "name": username})
    engine.dispose()


def test_the_lockout_is_explained_in_chinese(page, live_server):
    for _ in range(5):
        login_in_browser(page, live_server, "lingdao", "Not-The-Pass-1!")
    login_in_browser(page, live_server, "lingdao", password_of("lingdao"))
    text = page.locator("body").inner_text()
    assert "账号因连续 5 次登录失败已被锁定" in text and "后可再次登录" in text
    page.goto(live_server + "/users/userinfo/")
    assert "/login/" in page.url


def test_a_forced_password_change_comes_before_everything(page, live_server, database_url):
    _must_change(database_url, "zhaoyang")
    login_in_browser(page, live_server, "zhaoyang")
    assert "/resetmypassword/form" in page.url
    assert "须先修改密码" in page.locator("body").inner_text()
    page.goto(live_server + "/visits/")
    assert "/resetmypassword/form" in page.url
    page.fill("input[name=password]", "Chosen-In-Browser-2026!")
    page.fill("input[name=conf_password]", "Chosen-In-Browser-2026!")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "密码已修改" in page.locator("body").inner_text()
    page.goto(live_server + "/users/userinfo/")
    assert "/users/userinfo/" in page.url
