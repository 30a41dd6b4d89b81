"""Every page a demo role reaches from its menu speaks Chinese: no internal name (a hook, a
plugin code, a table, a permission pattern) and no time outside Beijing time.

The crawl signs in as each demo role with Flask-AppBuilder's test client (Chromium would take
minutes for a few hundred pages), starts from the navbar and follows the console's own links,
a bounded number of pages per role.  The pages whose text JavaScript builds are read in Chromium
by the tests of each item (tests/browser/test_ui_names.py)."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support import login

PAGES_PER_ROLE = 40

# What an internal name looks like on screen: snake_case, CamelCase, a dotted path, a FAB
# permission (can_xxx), a view name with FAB's "$" anchor, a cron expression.
IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9_./@:-])("
    r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"             # snake_case: briefing_schedule, can_edit
    r"|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\$?"      # CamelCase: ConsoleUserView, ConsoleUserView$
    r"|[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+"     # dotted: visits.reminders, console.regions
    r"|[A-Za-z]+/[A-Z][a-z]+"                    # a time zone: Asia/Shanghai
    r")(?![A-Za-z0-9_@-])"
)
# Lower-case words that are only ever internal names when they stand alone on a page.
INTERNAL_WORDS = re.compile(r"(?<![A-Za-z0-9_./@:-])(visits|nameplates|talent|example|briefings|console|cron|UTC)(?![A-Za-z0-9_@.-])")
# Text a user may see in Latin letters: data values and units are not identifiers, and a few
# words are the accepted names of formats and standards.
ACCEPTED = {"PDF", "Excel", "API", "ID", "URL", "CSV", "xlsx", "UUID", "HTTP", "SM3", "SM4", "IP"}
# Data written by users or the demo that may contain Latin text (e-mail addresses, file names).
DATA_ATTRS = ("data-value",)

SKIP = re.compile(r"/(logout|delete|download|export|report|template|pdf|api|static|swagger|"
                  r"_exports|action|mulaction|lang|read|read_all)\b|\.(pdf|xlsx|csv|png|jpg|js|css)$|"
                  r"/users/userinfo|/resetmypassword|/resetpasswords|/field/|/offline|/m/|/verify/")


class _Text(HTMLParser):
    """The page as a user reads it: visible text, link targets, and option labels."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template", "code-hidden"):
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label", "data-label"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def internal_names(text: str, data_values: set[str] = frozenset()) -> list[str]:
    """The Latin identifiers in ``text`` that are neither accepted words nor data values."""
    found = []
    for pattern in (IDENTIFIER, INTERNAL_WORDS):
        for match in pattern.finditer(text):
            word = match.group(1)
            if word in ACCEPTED or word in data_values or "@" in text[max(0, match.start() - 40):match.end() + 40]:
                continue
            found.append(word)
    return found


def test_the_identifier_pattern_catches_what_users_met_and_spares_data():
    met = ("对象 briefing_schedule", "can_edit on ConsoleUserView$", "来自briefings", "时区 Asia/Shanghai",
           "（村名牌 · nameplates whitelist_items）", "来源 visits.reminders", "cron 表达式", "开始时间(UTC)")
    for text in met:
        assert internal_names(text), text
    for text in ("下载 PDF", "导出 Excel（.xlsx）", "IP 地址 127.0.0.1", "user@example.invalid", "版本 1.0.0",
                 "文件 报表.xlsx", "SM3/SM4 国密", "ID 12"):
        assert not internal_names(text), text


def _page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _stored_utc_times(app) -> set[str]:
    """The stored (UTC) times of known records, as a page would show them if it forgot the zone;
    only those whose Beijing time differs (always, eight hours apart)."""
    from console.audit.models import AuditLog
    from console.foundation.extensions import db
    from console.imports.models import ImportJob
    from console.notifications.models import Notification
    from jiceng.plugins.nameplates.models import Inspection
    from jiceng.plugins.visits.models import Problem, ProblemStep

    times = set()
    with app.app_context():
        for model, column in ((AuditLog, AuditLog.at), (ImportJob, ImportJob.created_at),
                              (Notification, Notification.created_at), (ProblemStep, ProblemStep.at),
                              (Problem, Problem.closed_at), (Inspection, Inspection.created_at)):
            for (value,) in db.session.query(column).order_by(column.desc()).limit(30):
                if value is not None:
                    times.add(value.strftime("%Y-%m-%d %H:%M"))
        db.session.remove()
    return times


class _Menu(HTMLParser):
    """The navbar's entries: the links inside its dropdown menus."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and "dropdown-menu" in (attrs.get("class") or ""):
            self._depth += 1
        elif tag == "ul" and self._depth:
            self._depth += 1
        if tag == "a" and self._depth and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "ul" and self._depth:
            self._depth -= 1


def menu_links(html: str) -> list[str]:
    parser = _Menu()
    parser.feed(html)
    return parser.links


def crawl(client, start: str = "/") -> dict[str, _Text]:
    """GET the menu's pages first, then the pages they link to within the console, at most
    PAGES_PER_ROLE in all."""
    seen: dict[str, _Text] = {}
    home = client.get(start).get_data(as_text=True)
    first = [start] + [link for link in menu_links(home) if not SKIP.search(link)]
    queue = deque(dict.fromkeys(first))
    queued = set(queue)
    # One record of each kind (a show, an edit or an add page) before more of the same kind.
    later: deque[str] = deque()
    kinds: set[str] = set()
    while (queue or later) and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft() if queue else later.popleft()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = _page_text(response.get_data(as_text=True))
        seen[path] = page
        for href in page.links:
            target = urlsplit(urljoin("http://console" + path, href))
            if target.netloc != "console" or SKIP.search(target.path):
                continue
            # A list's query string is a filter or a page of the same words: one of each list.
            link = target.path + (("?" + target.query) if target.query and "page_" not in target.query
                                  and "_od_" not in target.query and len(target.query) < 80 else "")
            if link in queued:
                continue
            queued.add(link)
            kind = re.sub(r"/\d+(/|$)", "/<id>/", target.path)
            if kind not in kinds:
                kinds.add(kind)
                queue.append(link)
            else:
                later.append(link)
    return seen


DEMO_ROLES = ["admin", "lingdao", "zhaoyang", "zhenxiong", "visits_owner", "nameplates_owner", "talent_owner",
              "example_owner"]


@pytest.fixture
def demo_app(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    # Something with a stored time on the pages every role reads: an import job, a notice.
    from console.foundation.extensions import db
    from console.notifications.service import notify
    from console.security.users import ConsoleUser

    with app.app_context():
        for user in db.session.query(ConsoleUser):
            notify(db.session, user, "爬取测试消息", link="/console/inbox/", source="briefings")
        db.session.commit()
        db.session.remove()
    return app


def _usernames(app) -> set[str]:
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    with app.app_context():
        names = {name for (name,) in db.session.query(ConsoleUser.username)}
        db.session.remove()
    return names


def test_every_page_a_demo_role_reaches_speaks_chinese_and_beijing_time(demo_app):
    started = time.monotonic()
    utc_times = _stored_utc_times(demo_app)
    usernames = _usernames(demo_app)
    problems = []
    visited = 0
    for username in DEMO_ROLES:
        client = demo_app.test_client()
        login(client, username)
        pages = crawl(client)
        visited += len(pages)
        # The pages the walk-through met them on are among those read.
        met = {"admin": {"/console/plugins/", "/console/imports/", "/console/briefings/", "/roles/list/",
                         "/permissions/list/", "/auditlogview/list/", "/console/inbox/"},
               "visits_owner": {"/console/plugins/", "/console/imports/"},
               "nameplates_owner": {"/console/plugins/", "/console/imports/"},
               "zhaoyang": {"/nameplates/order_list/list/"}}
        assert met.get(username, set()) <= set(pages), (username, sorted(pages))
        for path, page in pages.items():
            text = " ".join(page.text)
            for word in sorted(set(internal_names(text, usernames))):
                problems.append(f"{username} {path}: “{word}”")
            for stamp in sorted(t for t in utc_times if t in text):
                local = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M")
                problems.append(f"{username} {path}: 时间 {stamp} 是 UTC（北京时间 {local + dt.timedelta(hours=8)}）")
            if "UTC" in text:
                problems.append(f"{username} {path}: 标注 UTC")
    assert not problems, "\n".join(problems)
    assert visited >= 40
    assert time.monotonic() - started < 90
