"""An inspector's phone (390x844, Debian's Chromium, gunicorn): the home page starts with the
day's tasks of their county and the two field forms, the statistics folded below; the visit and
inspection lists are cards.  A module owner's home page holds no other module's figures."""

import re
import uuid
from pathlib import Path

import pytest

from tests.support import login_in_browser

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parent.parent / "_artifacts"
ZHAOYANG, ZHENXIONG = "530602", "530627"


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    return context.new_page()


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.fixture
def county_work(app):
    """In 昭阳区: three enterprises (one visited this year), a problem handed to the inspector's
    department, one village inspected and accepted; in 镇雄县 an enterprise and a handed problem
    too, which 昭阳区's inspector must not count."""
    from console.foundation import clock
    from console.foundation.extensions import db
    from console.regions.models import Region
    from console.security.users import ConsoleUser
    from jiceng.plugins.nameplates.services import inspections
    from jiceng.plugins.nameplates.services.inspections import InspectionInput, PlaqueInput
    from jiceng.plugins.visits.models import Department
    from jiceng.plugins.visits.services import creditcode, enterprises, problems, visits

    with app.app_context():
        session = db.session

        def user(name):
            return session.query(ConsoleUser).filter_by(username=name).one()

        def region(code):
            return session.query(Region).filter_by(code=code).one()

        def township(code):
            return session.query(Region).filter_by(parent_id=region(code).id).order_by(Region.code).first()

        def villages(code):
            return (session.query(Region).filter(Region.level == "village",
                                                 Region.path.startswith(region(code).path)).order_by(Region.path))

        def enterprise(n, code, name):
            e = enterprises.save_enterprise(session, {
                "name": name, "credit_code": creditcode.make("91", code, f"MA{n:06d}"),
                "region_id": township(code).id, "industry": "制造业"})
            session.commit()
            return e

        admin = user("admin")
        visited = enterprise(1, ZHAOYANG, "昭阳区已走访种植合作社")
        enterprise(2, ZHAOYANG, "昭阳区苹果加工有限公司")
        enterprise(3, ZHAOYANG, "昭阳区天麻专业合作社")
        far = enterprise(4, ZHENXIONG, "镇雄县煤炭运销有限公司")
        visits.save_visit(session, {"visit_date": clock.today().isoformat(), "send_items": ["送政策"],
                                    "enter_target": "进企业"}, enterprise=visited)
        for county, member, e in ((ZHAOYANG, "zhaoyang", visited), (ZHENXIONG, "zhenxiong", far)):
            department = Department(name=f"{region(county).name}工信局", region_id=region(county).id)
            department.members.append(user(member))
            session.add(department)
            session.commit()
            problem = problems.raise_problem(session, e, {"category": "融资信贷", "description": "流动资金不足",
                                                          "department_id": department.id}, admin)
            problems.transition(problem, problems.ASSIGNED, admin, "交办")
        inspection, _ = inspections.submit(session, InspectionInput(
            client_id=str(uuid.uuid4()), village_id=villages(ZHAOYANG).first().id, level="乡镇全面复核",
            inspected_on=clock.today(),
            plaques=[PlaqueInput(*p) for p in (("村党组织", "outside"), ("村民委员会", "outside"),
                                               ("综治中心", "inside"))], certificates=[]), user("zhaoyang"), ())
        inspections.review(session, inspection.id, user("nameplates_owner"), True)
        session.commit()
        return {"villages": villages(ZHAOYANG).count()}


def _tasks(page) -> dict[str, int]:
    out = {}
    for item in page.locator(".console-task").all():
        out[item.locator(".console-task-title").inner_text().strip()] = int(item.locator(".console-task-count").inner_text())
    return out


def test_the_inspectors_phone_home_starts_with_the_days_tasks_and_the_field_forms(browser, live_server, county_work):
    page = phone(browser)
    login_in_browser(page, live_server, "zhaoyang")
    page.goto(live_server + "/")
    shot(page, "phone-home-inspector")
    no_sideways_scroll(page)
    assert _tasks(page) == {
        "待检查村(社区)": county_work["villages"] - 1,
        "7 天内到期的整改": 0,
        "待走访企业": 2,
        "待我单位答复诉求": 1,
        "90 天内登记到期": 0,
    }
    # Shortcuts first, then the tasks, then the statistics folded away.
    inspect, visit = page.get_by_role("link", name="录入检查"), page.get_by_role("link", name="登记走访")
    tasks, stats = page.locator(".console-tasks"), page.locator(".console-stats")
    for button in (inspect, visit):
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300  # a full-width button for a thumb
    assert inspect.bounding_box()["y"] < tasks.bounding_box()["y"] < stats.bounding_box()["y"]
    assert tasks.bounding_box()["y"] < 844  # in sight without scrolling
    assert stats.get_attribute("open") is None
    assert page.locator(".console-card").first.is_hidden()
    page.locator(".console-stats-summary").click()
    assert page.locator(".console-card").first.is_visible()
    no_sideways_scroll(page)

    inspect.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/nameplates/inspections/new")
    assert page.locator("h2", has_text="录入挂牌检查").is_visible()
    page.goto(live_server + "/")
    page.get_by_role("link", name="登记走访").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/visits/visits/add")
    assert page.locator("h2", has_text="登记走访").is_visible()

    # A task leads to its list, holding the counted records.
    page.goto(live_server + "/")
    page.locator(".console-task", has_text="待走访企业").click()
    page.wait_for_load_state("networkidle")
    listed = page.locator("table.console-list tbody tr").all_inner_texts()
    assert len(listed) == 2 and not any("已走访" in row for row in listed)
    no_sideways_scroll(page)


def test_the_visit_and_inspection_lists_are_cards_on_a_phone(browser, live_server, county_work):
    page = phone(browser)
    login_in_browser(page, live_server, "zhaoyang")
    for path, first in (("/visits/visits/list/", "昭阳区已走访种植合作社"),
                        ("/nameplates/inspection_list/list/", None)):
        page.goto(live_server + path)
        no_sideways_scroll(page)
        table = page.locator("table.console-list")
        assert page.locator("table.console-list thead").is_hidden()
        rows = table.locator("tbody tr")
        assert rows.count() == 1
        card = rows.first
        assert card.evaluate("tr => getComputedStyle(tr).display") == "block"
        # One field under another, each with its Chinese label before it.
        cells = card.locator("td[data-label]").all()
        assert len(cells) >= 3
        tops = [c.bounding_box()["y"] for c in cells]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)
        for cell in cells:
            label = cell.get_attribute("data-label")
            assert re.search(r"[\u4e00-\u9fff]", label)
            assert label in cell.evaluate("td => getComputedStyle(td, '::before').content")
        if first:
            assert card.locator("td").first.inner_text().strip() == first
        shot(page, "phone-list" + path.replace("/", "-").rstrip("-"))
    labels = set(page.locator("table.console-list td[data-label]").evaluate_all(
        "tds => tds.map(td => td.dataset.label)"))
    assert {"村(社区)", "检查日期", "审核状态"} <= labels
    page.goto(live_server + "/visits/visits/list/")
    labels = set(page.locator("table.console-list td[data-label]").evaluate_all(
        "tds => tds.map(td => td.dataset.label)"))
    assert {"走访日期", "县(市、区)"} <= labels


def test_a_module_owner_sees_no_other_modules_cards(browser, live_server, county_work):
    page = phone(browser)
    login_in_browser(page, live_server, "visits_owner")
    page.goto(live_server + "/")
    page.locator(".console-stats-summary").click()
    plugins = set(page.locator(".console-card").evaluate_all("cards => cards.map(c => c.dataset.plugin)"))
    assert plugins == {"visits"}
    assert "挂牌合规率" not in page.content() and "持证社工" not in page.content()
    assert page.get_by_role("link", name="登记走访").is_visible()
    assert page.get_by_role("link", name="录入检查").count() == 0
    # Every figure left opens for them.
    for link in page.locator(".console-card a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.goto(live_server + link).status == 200, link
    shot(page, "phone-home-visits-owner")
