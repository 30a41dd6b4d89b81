"""The console loads nothing from outside the server: no CDN, no web fonts, no remote charts.

Every page is walked for the addresses it references (src, href, inline styles), every
stylesheet it loads for its url() and @import (following them), and then a real Chromium
opens the pages and every request it makes is recorded.
"""

from __future__ import annotations

import os
import re
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from console.web import i18n

pytestmark = [
    pytest.mark.filterwarnings("ignore:The Query.get\\(\\) method:sqlalchemy.exc.LegacyAPIWarning"),
    pytest.mark.filterwarnings("ignore:'DateTimeField' renders:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning"),
]

LOCAL = "localhost"
# Pages beyond the menu: forms, record pages, the API explorer, the login page.
EXTRA_PAGES = [
    "/login/", "/regionview/add", "/regionview/show/1", "/regionview/edit/1", "/users/add",
    "/users/userinfo/", "/resetmypassword/form", "/userinfoeditview/form", "/roles/add",
    "/userstatschartview/chart/", "/swagger/v1",
]
URL_ATTRS = ("src", "href", "action", "poster", "data", "background", "formaction")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.S)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    i18n.compile_catalogs()


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.stylesheets: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in URL_ATTRS:
            if attrs.get(name):
                self.urls.append(attrs[name])
        if attrs.get("srcset"):
            self.urls.extend(part.split()[0] for part in attrs["srcset"].split(",") if part.strip())
        if attrs.get("style"):
            self.inline_css.append(attrs["style"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.stylesheets.append(attrs["href"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


def references(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


def css_references(css: str) -> list[str]:
    """Addresses a stylesheet loads (comments, where licence banners name web sites, are not)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]


def external(url: str) -> bool:
    """True for an address on another host: absolute, protocol-relative (//cdn...), or not http."""
    url = url.strip()
    if url.startswith(("data:", "#", "javascript:", "mailto:")):
        return False
    parts = urlsplit(url)
    if url.startswith("//") or parts.scheme in ("http", "https"):
        return parts.hostname not in (LOCAL, None)
    return bool(parts.scheme)


def test_detector_recognises_external_addresses():
    for url in ("https://cdn.jsdelivr.net/x.js", "//fonts.googleapis.com/css?family=Lato",
                "http://www.google-analytics.com/ga.js", "ftp://example.org/f"):
        assert external(url), url
    for url in ("/static/appbuilder/css/ab.css", "../webfonts/fa.woff2", "data:image/png;base64,AA",
                "#top", "http://localhost/x"):
        assert not external(url), url
    css = '/* https://getbootstrap.com */ @import url("//fonts.googleapis.com/css?family=X"); a{background:url(../img/a.png)}'
    assert css_references(css) == ["//fonts.googleapis.com/css?family=X", "../img/a.png"]


def _pages(client, auth) -> dict[str, str]:
    pages = {"/login/": client.get("/login/").get_data(as_text=True)}
    assert auth.login().status_code == 200
    home = client.get("/").get_data(as_text=True)
    pages["/"] = home
    menu = [u for u in references(home).urls
            if u.startswith("/") and not u.startswith(("/logout", "/lang/", "/static/"))]
    for path in dict.fromkeys(menu + EXTRA_PAGES):
        response = client.get(path, follow_redirects=True)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[path] = response.get_data(as_text=True)
        response.close()
    return pages


def test_pages_and_their_stylesheets_reference_no_other_host(client, auth):
    pages = _pages(client, auth)
    assert {"/", "/login/", "/regionview/list/", "/swagger/v1"} <= set(pages)
    offenders: dict[str, list[str]] = {}
    stylesheets: dict[str, str] = {}  # url -> the page that loads it
    for path, html in pages.items():
        refs = references(html)
        bad = [u for u in refs.urls if external(u)]
        bad += [u for css in refs.inline_css for u in css_references(css) if external(u)]
        if bad:
            offenders[path] = bad
        for href in refs.stylesheets:
            stylesheets.setdefault(urljoin("http://localhost" + path, href), path)

    seen: set[str] = set()
    queue = list(stylesheets)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        if external(url):
            offenders.setdefault(stylesheets.get(url, url), []).append(url)
            continue
        response = client.get(urlsplit(url).path)
        body = response.get_data(as_text=url.split("?")[0].endswith(".css"))
        response.close()
        assert response.status_code == 200, url  # a font or image the CSS names must exist
        if isinstance(body, str):
            for ref in css_references(body):
                if not ref.startswith("data:"):
                    queue.append(urljoin(url, ref))
    assert any(u.endswith("fontawesome.min.css") for u in seen)
    assert any(".woff2" in u for u in seen)  # url() inside the CSS was followed
    assert offenders == {}


def test_no_page_loads_a_script_that_fetches_from_outside(client, auth):
    """Local files can still pull remote code: FAB's google_charts.js fetches gstatic.com."""
    pages = _pages(client, auth)
    loaders = {"js/google_charts.js"}
    for path, html in pages.items():
        scripts = [u for u in references(html).urls if u.endswith(".js")]
        assert not [s for s in scripts if any(s.endswith(name) for name in loaders)], path
    swagger = pages["/swagger/v1"]
    assert "validatorUrl: null" in swagger  # Swagger UI would load a badge from validator.swagger.io


# --- a real browser, every request recorded ---------------------------------------------------


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.mark.browser
def test_browser_requests_stay_on_the_server(live_server):
    from playwright.sync_api import sync_playwright

    host = urlsplit(live_server).netloc
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        try:
            page = browser.new_page()

            def guard(route):
                url = route.request.url
                if urlsplit(url).netloc != host and not url.startswith("data:"):
                    outside.append(url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", guard)
            page.goto(live_server + "/login/")
            page.fill("#username", "admin")
            page.fill("#password", os.environ["JICENG_ADMIN_PASSWORD"])  # set by conftest
            page.click("input[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "/login" not in page.url
            for path in ("/", "/regionview/list/", "/regionview/add", "/users/list/",
                         "/userstatschartview/chart/", "/auditlogview/list/", "/swagger/v1"):
                page.goto(live_server + path)
                page.wait_for_load_state("networkidle")
            # JavaScript-built parts in Chinese: a search filter's operators and select2's text.
            page.goto(live_server + "/regionview/list/")
            page.click("text=查询")
            page.click("text=添加查询条件")
            page.click("#filter_form a.filter[name=name]")
            operators = page.locator("#filter_form select.filter-op option").all_inner_texts()
            assert "开头是" in operators and "Starts with" not in operators
        finally:
            browser.close()
    assert outside == []
