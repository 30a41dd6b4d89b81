"""In Chromium (Playwright, the console under gunicorn): the module's pages under /talent/ render
in Chinese, an old bookmark lands on the new page, and a printed QR code's address still opens
the public verification page."""

from __future__ import annotations

import pytest

from tests.support import login_in_browser


@pytest.mark.browser
def test_talent_pages_in_the_browser(workers, live_server, page):
    login_in_browser(page, live_server, "zhaoyang")
    for path, title in [("/talent/people/list/", "人才库"), ("/talent/certificates/list/", "证书"),
                        ("/talent/registrations/list/", "登记"), ("/talent/education/list/", "继续教育台账"),
                        ("/talent/supervision/list/", "督导关系"),
                        ("/talent/supervision_sessions/list/", "督导记录"), ("/talent/expiring/", "到期")]:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        body = page.inner_text("body")
        assert title in body, path
        assert "Traceback" not in body and "List" not in page.title(), path
    page.goto(live_server + "/talent/people/list/")
    assert "张小三" in page.inner_text("body") and "李四" not in page.inner_text("body")

    page.goto(live_server + f"/talentpersonview/show/{workers['zhang']}")
    assert page.url == live_server + f"/talent/people/show/{workers['zhang']}"
    assert "人员详情" in page.inner_text("body") and "张小三" in page.inner_text("body")

    page.context.clear_cookies()
    page.goto(live_server + f"/verify/{workers['ztoken']}")
    assert page.url == live_server + f"/talent/verify/{workers['ztoken']}"
    text = page.inner_text("body")
    assert "张*三" in text and "有效" in text
