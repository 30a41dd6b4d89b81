"""A whole inspection at phone size through the real form, served by gunicorn, in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import login_in_browser

from tests.support import jpeg

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
def test_an_inspector_does_a_whole_inspection_on_a_phone_and_the_finding_becomes_an_order(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    photo = tmp_path / "门牌.jpg"
    photo.write_bytes(jpeg(640, 480))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page = phone.new_page()
            login_in_browser(page, live_server, "zhaoyang")
            page.goto(live_server + "/nameplates/inspections/new")
            assert page.locator("h2").inner_text().strip() == "录入挂牌检查"
            # one column at phone width: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.get_attribute("#photos", "capture") == "environment"
            assert page.get_attribute("#photos", "accept") == "image/*"
            # touch targets are large
            box = page.locator("label.np-check").first.bounding_box()
            assert box["height"] >= 44

            village = page.locator("#village_id option").nth(1)
            village_name = village.inner_text().replace("（示例）", "").strip()
            page.select_option("#village_id", village.get_attribute("value"))
            page.select_option("#level", "乡镇全面复核")
            for name in ("村党组织", "村民委员会", "综治中心"):
                page.locator("label.np-check", has_text=name).click()
            page.fill("input[name=extra_name]", "老年人协会")
            page.fill("#certificates", "亲属关系证明")
            page.fill("#responsible_person", "王书记")
            page.set_input_files("#photos", str(photo))
            assert "已选 1 张" in page.inner_text("#np-photo-names")
            page.click("#np-submit")
            page.wait_for_load_state()

            assert "检查已提交，等待审核" in page.content()
            assert village_name in page.locator("h2").inner_text()
            assert "待审核" in page.locator("h2").inner_text()
            rows = page.locator("tr.np-plaque")
            assert rows.count() == 4
            assert "不在白名单" in rows.filter(has_text="老年人协会").inner_text()
            assert "已取消，不应出具" in page.content()
            assert page.locator(".np-photos img").count() == 1
            assert page.evaluate("document.querySelector('.np-photos img').naturalWidth") > 0
            detail_url = page.url
            page.screenshot(path=str(tmp_path / "phone-detail.png"), full_page=True)

            # the township reviewer accepts it on a desktop
            desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            login_in_browser(desk, live_server, "nameplates_owner")
            desk.goto(detail_url)
            desk.click("button[value=accept]")
            desk.wait_for_load_state()
            assert "已审核通过" in desk.content()
            orders = desk.locator("a", has_text="滥挂牌：老年人协会")
            assert orders.count() == 1
            assert desk.locator("a", has_text="出具已取消证明").count() == 1

            # the inspector can no longer change it
            page.goto(detail_url)
            assert page.locator("a", has_text="修改").count() == 0
            page.goto(detail_url + "/edit")
            assert "不能再修改" in page.content()
        finally:
            browser.close()
