"""The usability walk-through in Debian's Chromium, on gunicorn, as each user who met the
problem: the admin creating an inspector, the leader asking for a briefing, the nameplates owner
publishing a whitelist version."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import SECRET_KEY
from tests.support import login_in_browser, logout_in_browser, start_server, stop_server

pytestmark = pytest.mark.browser
BASE = "https://jiceng.zhaotong.example"


@pytest.fixture
def served(database_url, tmp_path):
    """gunicorn with the console's public address configured, as production runs it."""
    server = start_server(database_url, tmp_path / "live", secret_key=SECRET_KEY, workers=2,
                          extra_env={"JICENG_BASE_URL": BASE})
    yield server.url
    stop_server(server)


def _logout(page, base):
    logout_in_browser(page, base)


def _db(app):
    from console.foundation.extensions import db

    return db


def test_the_admin_creates_an_inspector_and_the_whole_city_takes_a_confirmation(page, served, app):
    login_in_browser(page, served)
    page.goto(served + "/users/add")
    page.fill("input[name=last_name]", "李")
    page.fill("input[name=first_name]", "四")
    page.fill("input[name=username]", "lisi")
    page.fill("input[name=email]", "lisi@zt.test")
    page.select_option("select[name=roles]", label="检查员")
    page.fill("input[name=password]", "Field-Pass-2025!")
    page.fill("input[name=conf_password]", "Field-Pass-2025!")
    # Saved with no region, as the user did: refused in the form, in Chinese.
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "未选择管辖区域即表示全市" in page.content()

    # The picker's search box takes the typing, and each village shows its county and township.
    page.fill("input[name=password]", "Field-Pass-2025!")
    page.fill("input[name=conf_password]", "Field-Pass-2025!")
    page.locator("select[name=scope_region] + .select2-container .select2-selection").click()
    focused = page.evaluate("document.activeElement.className")
    assert "select2-search__field" in focused
    page.keyboard.type("镇雄县 /")
    option = page.locator(".select2-results__option").filter(has_text=" / ").first
    label = option.inner_text()
    assert label.startswith("镇雄县 / ") and label.count(" / ") >= 1
    page.keyboard.press("Enter")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "未选择管辖区域" not in page.content()

    with app.app_context():
        from console.audit.models import AuditLog
        from console.security.users import ConsoleUser

        db = _db(app)
        user = db.session.query(ConsoleUser).filter_by(username="lisi").one()
        assert user.scope_region is not None and user.scope_region.path.startswith(
            db.session.query(type(user.scope_region)).filter_by(code="530627").one().path)
        entry = (db.session.query(AuditLog).filter_by(entity="ab_user", action="insert", entity_id=str(user.id))
                 .one())
        changes = json.loads(entry.changes)
        assert changes["roles"] == [None, ["检查员"]]
        assert changes["scope_region"][1].startswith(user.scope_region.name)


def test_the_leader_gets_the_plan_briefing_and_one_on_demand(page, served, app, tmp_path):
    with app.app_context():
        from console.briefings import schedules
        from console.regions.models import Region

        db = _db(app)
        city = db.session.query(Region).filter_by(level="city").one()
        schedule = schedules.save(db.session, {
            "name": "领导月报", "recurrence": "cron", "cron": "0 8 1 * *", "timezone": "Asia/Shanghai",
            "period_kind": "month", "region_id": str(city.id), "sections": ["visits", "nameplates"],
            "recipient_roles": ["领导"], "recipient_users": []})
        db.session.commit()
        schedule_id = schedule.id
    # The admin presses 立即生成 on the plan and is told who gets it.
    login_in_browser(page, served)
    page.goto(served + "/console/briefings/")
    page.locator(f"form[action$='/schedules/{schedule_id}/generate'] button").click()
    page.wait_for_load_state("networkidle")
    assert "完成后送达：领导（昭通市）" in page.content()
    page.wait_for_selector("#run-links", state="visible", timeout=180_000)
    _logout(page, served)

    # The leader has the briefing page and finds it there, and asks for one more.
    login_in_browser(page, served, "lingdao")
    assert "我的简报" in page.locator(".navbar").inner_text()
    page.goto(served + "/briefings/mine")
    assert page.locator("tr.my-briefing").count() == 1 and "领导月报" in page.content()
    page.select_option("select[name=period_kind]", "quarter")
    page.click("#generate-mine")
    page.wait_for_load_state("networkidle")
    assert "已开始生成" in page.content()
    # The page refreshes itself while a briefing is being made.
    page.locator("tr.my-briefing a.download").nth(1).wait_for(timeout=180_000)
    page.wait_for_load_state("networkidle")
    with page.expect_download() as got:
        page.locator("tr.my-briefing a.download").first.click()
    pdf = tmp_path / "mine.pdf"
    got.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "口径：" in text and "昭通市" in text
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    links = [h for h in __import__("re").findall(r'<a href="([^"]*)"', xml) if h.startswith("http")]
    assert links and all(h.startswith(BASE + "/") for h in links)


def test_the_nameplates_owner_publishes_a_version_as_one_table(page, served, app):
    with app.app_context():
        from jiceng.plugins.nameplates.services import registers

        db = _db(app)
        before = [(i.name, i.position) for i in registers.latest_version(db.session).items]
    login_in_browser(page, served, "nameplates_owner")
    page.goto(served + "/nameplates/whitelist/add")
    assert page.url.endswith("/nameplates/whitelist/new")
    rows = page.locator("#plaques tbody tr.plaque")
    assert rows.count() == len(before)
    # Everything removed: refused, nothing published.
    page.fill("#effective_on", "2026-12-08")
    for _ in range(len(before)):
        rows.first.locator(".remove-plaque").click()
    page.click("#publish")
    page.wait_for_load_state("networkidle")
    assert "白名单版本至少要有一块牌子" in page.content()
    # The copy again: one removed, one added, published together.
    page.goto(served + "/nameplates/whitelist/new")
    page.fill("#effective_on", "2026-12-08")
    rows.last.locator(".remove-plaque").click()
    page.click("#add-plaque")
    page.keyboard.type("村史馆")
    rows.last.locator("select[name=position]").select_option("inside")
    page.click("#publish")
    page.wait_for_load_state("networkidle")
    assert "已发布" in page.content() and "/nameplates/whitelist/show/" in page.url
    with app.app_context():
        db = _db(app)
        db.session.expire_all()
        latest = registers.latest_version(db.session)
        assert sorted((i.name, i.position) for i in latest.items) == sorted(before[:-1] + [("村史馆", "inside")])
