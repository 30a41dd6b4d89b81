"""On a phone (390×844, Chromium through Playwright, the console under gunicorn): the problem
list's date filters narrow it to the problems raised or solved in the window, and an inspector
takes a wrong photo off a visit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from tests.support import jpeg, login_in_browser

PHONE = {"width": 390, "height": 844}



def _shots(tmp_path) -> Path:
    # Kept where a person can look at them after the run when JICENG_SCREENSHOTS names a folder.
    folder = os.environ.get("JICENG_SCREENSHOTS")
    return Path(folder) if folder else tmp_path


@pytest.mark.browser
def test_date_filter_and_photo_removal_on_a_phone(world, live_server, browser, tmp_path):
    from jiceng.plugins.visits.services import visits

    e = world.enterprise(1, name="乌蒙天麻有限公司")
    visit = world.visit(e)
    visits.add_photos(world.session, visit, [FileStorage(io.BytesIO(jpeg(640, 480, colour=c)), filename=f"现场{i}.jpg")
                                             for i, c in enumerate(("red", "blue"))])
    world.session.commit()
    department = world.department()
    world.problem(e, department, raised_on="2025-03-10", description="三月提出的融资诉求")
    world.problem(e, department, raised_on="2025-04-02", description="四月提出的用工诉求")
    world.problem(e, department, description="今天提出的诉求")
    shots = _shots(tmp_path)

    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    login_in_browser(page, live_server, "zhaoyang")

    page.goto(live_server + "/visits/problems/list/")
    assert "共 3 条" in page.inner_text(".visits-pager")
    page.fill("input[name=start]", "2025-03-01")
    page.fill("input[name=end]", "2025-03-31")
    page.locator("button", has_text="查询").click()
    page.wait_for_load_state()
    assert "start=2025-03-01" in page.url and "end=2025-03-31" in page.url
    assert "共 1 条" in page.inner_text(".visits-pager")
    assert "三月提出的融资诉求" in page.content() and "四月提出" not in page.content()
    assert page.input_value("input[name=start]") == "2025-03-01"  # the filter stays filled in
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("input[name=solved_start]").bounding_box()["height"] >= 44
    page.screenshot(path=str(shots / "visits-problems-filtered-phone.png"), full_page=True)

    page.goto(f"{live_server}/visits/visits/show/{visit.id}")
    assert page.locator(".visits-photo img").count() == 2
    button = page.locator(".visits-photo-remove").first
    assert button.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots / "visits-photos-before-phone.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_load_state()
    assert "照片已删除" in page.content()
    assert page.locator(".visits-photo img").count() == 1
    assert page.evaluate("document.querySelector('.visits-photo img').naturalWidth") > 0
    page.screenshot(path=str(shots / "visits-photos-after-phone.png"), full_page=True)

    # Dismissing the confirmation removes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(".visits-photo-remove").first.click()
    page.reload()
    assert page.locator(".visits-photo img").count() == 1
    context.close()
