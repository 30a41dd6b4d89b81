"""The walk-through's findings, in Debian's Chromium as the user who met each: one clock (Beijing
time), the rectification orders' ledger, switching a module off, and Chinese instead of internal
names, including the text that JavaScript builds (the role list's filter)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support import login_in_browser

pytestmark = pytest.mark.browser


def _demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


# -- 5. one clock ------------------------------------------------------------------------------


def test_problem_history_and_import_jobs_are_in_beijing_time(app, page, live_server):
    from console.foundation import clock
    from console.foundation.extensions import db
    from jiceng.plugins.visits.models import ProblemStep

    _demo(app)
    with app.app_context():
        step = db.session.query(ProblemStep).order_by(ProblemStep.id.desc()).first()
        problem_id, stored, shown = step.problem_id, step.at.strftime("%Y-%m-%d %H:%M"), clock.localtime(step.at)
        db.session.remove()
    assert stored != shown  # eight hours apart: the test can tell them

    login_in_browser(page, live_server)
    page.goto(f"{live_server}/visits/problems/show/{problem_id}")
    text = page.locator("body").inner_text()
    assert shown in text and stored not in text and "UTC" not in text

    page.goto(live_server + "/console/imports/")
    jobs = page.locator("table.console-import-jobs thead").inner_text()
    assert "开始时间" in jobs and "UTC" not in jobs


# -- 9. rectification orders -------------------------------------------------------------------


def test_orders_ledger_urgent_first_with_county_filter_export_and_way_back(app, page, live_server):
    _demo(app)
    login_in_browser(page, live_server, "lingdao")
    page.goto(live_server + "/nameplates/order_list/list/")
    table = page.locator("table.console-list, table.table").last
    headers = table.locator("thead").inner_text()
    assert "县(市、区)" in headers
    statuses = [row.inner_text() for row in table.locator("tbody tr").all()]
    assert statuses, "the demo has orders"
    # Open ones before closed ones: no 已销号 row above a row still open.
    closed_at = [i for i, text in enumerate(statuses) if "已销号" in text]
    still_open = [i for i, text in enumerate(statuses) if "已销号" not in text]
    assert not closed_at or not still_open or max(still_open) < min(closed_at)

    page.select_option("#order-county", label="镇雄县")
    page.click("#order-county-filter button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.table").last.locator("tbody tr")
    counties = {r.locator("td[data-label='县(市、区)']").inner_text().strip() for r in rows.all()}
    assert counties <= {"镇雄县"}

    with page.expect_download() as download_info:
        page.click("#order-export")
    data = Path(download_info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "县(市、区)" and "整改期限" in values[0]
    assert {row[0] for row in values[1:]} <= {"镇雄县"}
    assert len(values) - 1 == max(rows.count(), 0) or len(values) - 1 >= rows.count()

    page.goto(live_server + "/nameplates/order_list/list/")
    page.locator("a[href*='/nameplates/order_list/show/']").first.click()
    page.wait_for_load_state("networkidle")
    detail = page.locator("body").inner_text()
    assert "县(市、区)" in detail
    page.click("text=返回整改台账")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/nameplates/order_list/list/")


# -- 10. switching a module off; the owners' menu ----------------------------------------------


def test_owner_reaches_their_pages_from_the_menu_and_switching_off_asks_first(page, live_server):
    login_in_browser(page, live_server, "visits_owner")
    navbar = page.locator(".navbar")
    navbar.get_by_text("系统管理").click()
    navbar.get_by_role("link", name="插件管理").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/plugins/")
    assert page.locator("#plugin-visits").count() == 1 and page.locator("#plugin-nameplates").count() == 0

    page.locator("#plugin-visits").get_by_role("link", name="停用").click()
    page.wait_for_load_state("networkidle")
    stops = page.locator(".console-plugin-off").inner_text()
    assert "停用“三送三进”？" in stops
    assert "页面" in stops and "工作简报" in stops and "定时任务" in stops and "诉求清单" in stops
    # Nothing has been switched off yet.
    assert page.goto(live_server + "/visits/problems/list/").status == 200

    page.goto(live_server + "/console/plugins/visits/off")
    page.get_by_role("button", name="确认停用").click()
    page.wait_for_load_state("networkidle")
    assert "已停用插件“三送三进”" in page.content()

    answer = page.goto(live_server + "/visits/problems/list/")
    assert answer.status == 404
    text = page.locator("body").inner_text()
    assert "模块已停用" in text and "模块负责人·三送三进" in text
    assert "页面不存在" not in text and "不在您的管辖范围内" not in text

    page.goto(live_server + "/")
    page.locator(".navbar").get_by_text("系统管理").click()
    page.locator(".navbar").get_by_role("link", name="数据导入").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/imports/")

    page.goto(live_server + "/console/plugins/")
    page.locator("#plugin-visits").get_by_role("button", name="启用").click()
    page.wait_for_load_state("networkidle")
    assert page.goto(live_server + "/visits/problems/list/").status == 200


# -- 11. Chinese instead of internal names -----------------------------------------------------

LATIN_NAME = re.compile(r"\b(can_[a-z_]+|[A-Z][a-z]+(?:[A-Z][a-z]+)+View\$?|[a-z]+_[a-z_]+)\b")


def test_role_and_permission_pages_speak_chinese_even_their_filter(page, live_server):
    login_in_browser(page, live_server)
    page.goto(live_server + "/roles/list/")
    body = page.locator("body").inner_text()
    assert not LATIN_NAME.findall(body), LATIN_NAME.findall(body)[:10]
    assert "行政区划：查看列表" in body
    # The role's name stays on one line beside its long list of permissions.
    name = page.locator("td.console-role-name span", has_text="检查员").first
    box = name.bounding_box()
    assert box["width"] > box["height"]

    # The filter's choices are built by JavaScript when a filter is added.
    page.click("#accordion1 a.accordion-toggle")
    page.get_by_role("button", name="添加查询条件").click()
    page.click("a.filter[name=permissions]")
    page.locator("table.filters select option").first.wait_for(state="attached")
    options = page.locator("table.filters select option").all_inner_texts()
    assert options and not any(LATIN_NAME.search(o) or " on " in o for o in options), options[:5]

    for path in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        page.goto(live_server + path)
        text = page.locator(".panel-body, .table-responsive").first.inner_text()
        assert not LATIN_NAME.findall(text), (path, LATIN_NAME.findall(text)[:10])


def test_plugins_imports_audit_inbox_and_briefings_show_titles(app, page, live_server):
    from console.foundation.extensions import db
    from console.notifications.service import notify
    from console.security.users import ConsoleUser

    with app.app_context():
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        notify(db.session, admin, "简报已生成", link="/console/inbox/", source="briefings")
        db.session.commit()
        db.session.remove()

    login_in_browser(page, live_server)
    page.goto(live_server + "/console/plugins/")
    text = page.locator(".console-plugins").inner_text()
    assert "首页卡片" in text and "工作简报内容" in text
    assert not re.search(r"briefing_sections|dashboard_cards|plugin_info|\bnameplates\b|\bvisits\b", text)

    page.goto(live_server + "/console/imports/")
    text = page.locator(".console-imports").inner_text()
    assert "挂牌白名单" in text or "白名单" in text
    assert not re.search(r"whitelist_items|\bnameplates\b|\bconsole regions\b", text)

    page.goto(live_server + "/console/inbox/")
    text = page.locator("body").inner_text()
    assert "来自工作简报" in text and "briefings" not in text

    # A schedule saved through its form: the log names it 简报计划; the list says 北京时间.
    page.goto(live_server + "/console/briefings/schedules/new")
    form_text = page.locator("#schedule-form").inner_text()
    assert "cron" not in form_text and "Asia/Shanghai" not in form_text and "高级设置" in form_text
    page.fill("#name", "月度简报")
    page.select_option("#recurrence", "monthly")
    page.select_option("#recipient_roles", index=0)
    page.click("#schedule-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已保存简报计划" in page.content()
    upcoming = page.locator("body").inner_text()
    assert "北京时间" in upcoming and "Asia/Shanghai" not in upcoming
    page.goto(live_server + "/console/briefings/")
    row = page.locator("#briefing-schedules tbody tr", has_text="月度简报").inner_text()
    assert "每月 1 日 08:00" in row and "北京时间" in row

    page.goto(live_server + "/auditlogview/list/")
    text = page.locator("body").inner_text()
    assert "简报计划" in text and "briefing_schedule" not in text
