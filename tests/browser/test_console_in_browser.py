"""The console in Debian's Chromium, served by gunicorn, as an admin uses it, in Chinese."""

import re
from pathlib import Path

import pytest

from tests.support import login_in_browser

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parent.parent / "_artifacts"


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_login_in_chinese(page, live_server):
    page.goto(live_server + "/login/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "用户名或密码错误" in page.content()
    login_in_browser(page, live_server)
    assert "系统管理" in page.content()
    shot(page, "home-admin")


def test_switch_a_plugin_off_and_on(page, live_server):
    login_in_browser(page, live_server)
    page.goto(live_server + "/example/notes/list/")
    assert "示例记录" in page.content()

    page.goto(live_server + "/console/plugins/")
    row = page.locator("#plugin-example")
    # 停用 first says what stops, and switches off only when confirmed.
    row.get_by_role("link", name="停用").click()
    page.wait_for_load_state("networkidle")
    assert "停用“示例插件”？" in page.content()
    page.get_by_role("button", name="确认停用").click()
    page.wait_for_load_state("networkidle")
    assert "已停用插件“示例插件”" in page.content()
    shot(page, "plugins-example-off")
    assert page.goto(live_server + "/example/notes/list/").status == 404
    assert "模块已停用" in page.content()
    page.goto(live_server + "/")
    assert "示例插件" not in page.locator(".navbar").inner_text()

    page.goto(live_server + "/console/plugins/")
    page.locator("#plugin-example").get_by_role("button", name="启用").click()
    page.wait_for_load_state("networkidle")
    assert page.goto(live_server + "/example/notes/list/").status == 200


def test_region_crud_round_trip(page, live_server):
    login_in_browser(page, live_server)
    page.goto(live_server + "/regionview/add")
    page.fill("input[name=code]", "530602990")
    page.fill("input[name=name]", "浏览器测试乡")
    page.select_option("select[name=level]", "township")
    # Flask-AppBuilder renders the parent picker as a select2 box over a plain <select>.
    parent = page.locator("select[name=parent]")
    value = parent.locator("option", has_text=re.compile("^昭阳区$")).get_attribute("value")
    parent.select_option(value, force=True)
    shot(page, "region-add")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "添加" in page.content() or "已" in page.content()

    page.goto(live_server + "/regionview/list/?_flt_0_code=530602990")
    assert "浏览器测试乡" in page.content()
    href = page.locator("a[href*='/regionview/edit/']").first.get_attribute("href")
    page.goto(live_server + href)
    page.fill("input[name=name]", "浏览器测试镇")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    page.goto(live_server + "/regionview/list/?_flt_0_code=530602990")
    assert "浏览器测试镇" in page.content()
    shot(page, "region-list")

    pk = href.rstrip("/").split("/")[-1]
    page.locator(f"[id='btn-delete-/regionview/delete/{pk}']").click()
    confirm = page.locator("#modal-confirm")
    confirm.wait_for(state="visible")
    assert "确定要删除" in confirm.inner_text()
    shot(page, "region-delete-confirm")
    page.click("#modal-confirm-ok")
    page.wait_for_load_state("networkidle")
    assert "已删除" in page.content()
    page.goto(live_server + "/regionview/list/?_flt_0_code=530602990")
    assert "浏览器测试镇" not in page.content()


def test_on_a_phone_lists_are_cards_and_the_unread_count_stays_in_sight(browser, app, live_server):
    from console.foundation.extensions import db
    from console.notifications.service import notify, unread_count
    from console.security.users import ConsoleUser

    with app.app_context():
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        notify(db.session, admin, "手机端测试消息", link="/console/inbox/")
        db.session.commit()
        unread = unread_count(admin.id)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True)
    page = phone.new_page()
    login_in_browser(page, live_server)
    page.goto(live_server + "/auditlogview/list/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Each field of a row carries its Chinese label, shown before the value on a phone.
    first_cell = page.locator("table.console-list tbody tr").first.locator("td[data-label]").first
    label = first_cell.get_attribute("data-label")
    assert label and re.search(r"[\u4e00-\u9fff]", label)
    before = first_cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label in before
    assert page.locator("table.console-list thead").is_hidden()
    # The menu is collapsed, yet the bell with the unread count is beside its toggle.
    assert page.locator(".navbar-collapse").is_hidden()
    bell = page.locator(".navbar-header a.console-bell-xs")
    assert bell.is_visible()
    assert bell.locator(".badge").inner_text() == str(unread)
    shot(page, "phone-audit-list")
    bell.click()
    page.wait_for_load_state("networkidle")
    assert "手机端测试消息" in page.content()
    phone.close()
