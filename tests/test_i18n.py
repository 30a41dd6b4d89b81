"""The console speaks Simplified Chinese wherever a user looks, and English on request.

The English phrases looked for are not hand-picked: they are every msgid Flask-AppBuilder
passes to gettext in its code and templates, extracted from the installed package.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from console.web import i18n

# Warnings Flask-AppBuilder 5.3 raises on pages it renders; pytest turns them into 500s here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The Query.get\\(\\) method:sqlalchemy.exc.LegacyAPIWarning"),
    pytest.mark.filterwarnings("ignore:'DateTimeField' renders:DeprecationWarning"),
    # console/views/regions.py passes SelectField choices as tuples (reported to its owner).
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning"),
]

ZH_PO = i18n.TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
FAB_ZH_PO = i18n.fab_dir() / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The .mo files are build products: a stale or missing one is rebuilt before any page."""
    i18n.compile_catalogs()


def _read(path):
    with path.open("rb") as fh:
        return read_po(fh)


FAB_MSGIDS = sorted({m.id for m in i18n.fab_messages() if isinstance(m.id, str) and m.id.strip()})
# Phrases a page could show verbatim: placeholders are filled in, single letters are noise.
_PHRASES = sorted((m for m in FAB_MSGIDS if "%" not in m and len(m.strip()) > 1), key=len, reverse=True)
FAB_ENGLISH = re.compile(
    "|".join(rf"(?<![A-Za-z]){re.escape(m.strip())}(?![A-Za-z])" for m in _PHRASES)
)


class _Visible(HTMLParser):
    """What a person sees: text outside scripts and styles, and tooltips, placeholders, buttons."""

    SHOWN_ATTRS = ("title", "placeholder", "alt", "aria-label", "data-original-title")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attrs = dict(attrs)
        for name in self.SHOWN_ATTRS:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


_FILTER_ARGS = re.compile(r"new AdminFilters\(\s*'#filter_form',\s*(.*?)\);", re.S)


def script_shown_text(html: str) -> str:
    """Labels and operators FAB's search form hands to its JavaScript, which shows them."""
    import json

    shown = []
    for match in _FILTER_ARGS.finditer(html):
        labels, _form, filters, _active = json.JSONDecoder().decode("[" + match.group(1) + "]")
        shown.extend(labels.values())
        shown.extend(op for ops in filters.values() for op in ops)
    return "\n".join(shown)


def english_on(html: str) -> list[str]:
    return sorted(set(FAB_ENGLISH.findall(visible_text(html) + "\n" + script_shown_text(html))))


# --- the pages --------------------------------------------------------------------------------


def _ids(app):
    """Ids of real rows to open show and edit pages on."""
    from console.foundation.extensions import db
    from console.audit.models import AuditLog
    from console.regions.models import Region

    with app.app_context():
        sm = app.appbuilder.sm
        role = db.session.query(sm.role_model).filter_by(name="检查员").one()
        ids = {
            "region": db.session.query(Region.id).filter(Region.level == "county").first()[0],
            "user": sm.find_user(username="zhenxiong").id,
            "role": role.id,
            "audit": db.session.query(AuditLog.id).order_by(AuditLog.id.desc()).first()[0],
        }
        db.session.remove()
        return ids


PAGES = [
    "/",
    "/regionview/list/",
    "/regionview/show/{region}",
    "/regionview/add",
    "/regionview/edit/{region}",
    "/regionview/list/?_flt_0_name=昭阳",
    "/regionview/list/?_flt_0_name=no-such-region",
    "/users/list/",
    "/users/show/{user}",
    "/users/add",
    "/users/edit/{user}",
    "/users/userinfo/",
    "/userinfoeditview/form",
    "/resetmypassword/form",
    "/resetpassword/form?pk={user}",
    "/roles/list/",
    "/roles/show/{role}",
    "/roles/add",
    "/roles/edit/{role}",
    "/groups/list/",
    "/permissions/list/",
    "/viewmenus/list/",
    "/permissionviews/list/",
    "/userstatschartview/chart/",
    "/auditlogview/list/",
    "/auditlogview/show/{audit}",
    "/console/plugins/",
    "/swagger/v1",
]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self._in_nav = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "navbar" in (attrs.get("class") or "").split():
            self._in_nav = 1
        if self._in_nav and tag == "a" and (attrs.get("href") or "#") != "#":
            self.hrefs.append(attrs["href"])


def menu_links(html: str) -> list[str]:
    """Every page the navbar leads to, except signing out and switching language."""
    parser = _Links()
    parser.feed(html)
    keep = []
    for href in parser.hrefs:
        if href.startswith("/") and not href.startswith(("/logout", "/lang/")) and href not in keep:
            keep.append(href)
    return keep


def signed_in_pages(client, auth) -> dict[str, str]:
    """Path -> HTML of the home page and of every page the admin's menu leads to."""
    assert auth.login().status_code == 200
    paths = ["/"] + menu_links(client.get("/").get_data(as_text=True))
    pages = {}
    for path in paths:
        response = client.get(path, follow_redirects=True)
        # A menu entry that fails is another test's business; this one reads what pages say.
        if response.status_code == 200:
            pages[path] = response.get_data(as_text=True)
    return pages


# --- Chinese everywhere -----------------------------------------------------------------------


def test_fab_msgids_are_found_in_the_installed_package():
    # The list the page checks rely on: if extraction broke, every page would pass vacuously.
    assert len(FAB_MSGIDS) > 120
    for known in ("Add", "Record Count", "No records found", "List Users", "Starts with",
                  "Invalid login. Please try again.", "Are you sure you want to delete this item?"):
        assert known in FAB_MSGIDS
    assert FAB_ENGLISH.search("共 3 条 Record Count")
    assert not FAB_ENGLISH.search("Addresses")  # whole words only


@pytest.mark.parametrize("path", PAGES)
def test_page_shows_no_fab_english(client, auth, app, path):
    assert auth.login().status_code == 200
    response = client.get(path.format(**_ids(app)), follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert english_on(html) == []
    assert re.search(r"[\u4e00-\u9fff]", visible_text(html))


def test_every_menu_page_shows_no_fab_english(client, auth):
    pages = signed_in_pages(client, auth)
    assert {"/regionview/list/", "/users/list/", "/console/plugins/"} <= set(pages)  # walked the menus
    offenders = {path: english_on(html) for path, html in pages.items() if english_on(html)}
    assert offenders == {}


def test_login_page_and_failed_login_are_chinese(client):
    html = client.get("/login/").get_data(as_text=True)
    assert english_on(html) == []
    assert "请输入用户名和密码" in visible_text(html)
    failed = client.post("/login/", data={"username": "admin", "password": "wrong-Pass-1!"},
                         follow_redirects=True).get_data(as_text=True)
    assert "用户名或密码错误，请重试。" in visible_text(failed)
    assert english_on(failed) == []


def test_list_page_speaks_government_console_chinese(client, auth):
    auth.login()
    text = visible_text(client.get("/regionview/list/").get_data(as_text=True))
    for phrase in ("新增记录", "查看记录", "编辑记录", "删除记录", "返回", "记录总数", "查询", "每页条数"):
        assert phrase in text, phrase
    empty = visible_text(client.get("/regionview/list/?_flt_0_name=no-such-region").get_data(as_text=True))
    assert "暂无记录" in empty
    html = client.get("/regionview/list/").get_data(as_text=True)
    assert "确定要删除这条记录吗？" in html  # the confirmation the delete button opens
    assert "开头是" in script_shown_text(html) and "等于" in script_shown_text(html)


def test_security_menu_and_its_items_are_chinese(client, auth):
    auth.login()
    html = client.get("/").get_data(as_text=True)
    nav = visible_text(html[html.index("navbar"):])
    for label in ("权限管理", "用户管理", "角色管理", "基础权限", "视图与菜单", "视图与菜单权限",
                  "个人信息", "退出登录"):
        assert label in nav, label
    assert "Security" not in nav and "List Users" not in nav


def test_flash_messages_of_add_edit_delete_are_chinese(client, auth, app):
    auth.login()
    ids = _ids(app)
    added = client.post("/regionview/add", data={
        "code": "530602999", "name": "测试乡", "level": "township", "parent": str(ids["region"]),
    }, follow_redirects=True).get_data(as_text=True)
    assert "已新增记录" in visible_text(added), visible_text(added)
    from console.foundation.extensions import db
    from console.regions.models import Region

    with app.app_context():
        new_id = db.session.query(Region.id).filter_by(code="530602999").scalar()
        db.session.remove()
    edited = client.post(f"/regionview/edit/{new_id}", data={
        "code": "530602999", "name": "测试镇", "level": "township", "parent": str(ids["region"]),
    }, follow_redirects=True).get_data(as_text=True)
    assert "已保存修改" in visible_text(edited)
    deleted = client.post(f"/regionview/delete/{new_id}", follow_redirects=True).get_data(as_text=True)
    assert "已删除记录" in visible_text(deleted)
    for html in (added, edited, deleted):
        assert english_on(html) == []


# --- English on request -----------------------------------------------------------------------


def test_switching_to_english_and_back(client, auth):
    auth.login()
    assert "记录总数" in visible_text(client.get("/regionview/list/").get_data(as_text=True))

    client.get("/lang/en", follow_redirects=True)
    english = client.get("/regionview/list/").get_data(as_text=True)
    text = visible_text(english)
    assert "Record Count" in text and "Add a new record" in text and "Search" in text
    assert "记录总数" not in text
    assert '<html lang="en"' in english

    client.get("/lang/zh", follow_redirects=True)
    chinese = client.get("/regionview/list/").get_data(as_text=True)
    assert "记录总数" in visible_text(chinese)
    assert english_on(chinese) == []


# --- the catalog itself -----------------------------------------------------------------------


def test_catalog_translates_every_msgid_of_fab_templates():
    template_ids = {
        m.id for m in i18n.fab_messages()
        if m.id and any("/templates/" in path for path, _line in m.locations)
    }
    assert {"Record Count", "Add Filter", "Sign In"} <= template_ids
    ours = _read(ZH_PO)
    untranslated = sorted(i for i in template_ids if not (ours.get(i) and ours.get(i).string))
    assert untranslated == []


def test_catalog_translates_every_msgid_fab_and_the_console_use():
    assert i18n.missing("zh") == []


def test_translations_keep_their_placeholders():
    ours = _read(ZH_PO)
    problems = [(m.id, errors) for m, errors in ours.check() if errors]
    assert problems == []
    for message in ours:
        if message.id and message.string:
            assert re.findall(r"%\(\w+\)s", message.id) == re.findall(r"%\(\w+\)s", message.string)


def test_console_catalog_wins_over_fabs_for_the_same_msgid(app):
    """FAB's catalog comes first in BABEL_TRANSLATION_DIRECTORIES; Flask-Babel lets the later win."""
    from flask_babel import gettext, refresh

    fab = _read(FAB_ZH_PO)
    ours = _read(ZH_PO)
    disputed = [m for m in ours if m.id and fab.get(m.id) and fab.get(m.id).string
                and fab.get(m.id).string != m.string]
    assert len(disputed) > 50  # e.g. "Back": FAB says 后退, the console 返回
    with app.test_request_context("/"):
        from flask import session

        session["locale"] = "zh"
        refresh()
        for message in ours:
            if message.id and message.string:
                assert gettext(message.id) == message.string


def test_stale_or_missing_mo_is_rebuilt(tmp_path):
    shutil.copytree(i18n.TRANSLATIONS, tmp_path / "t", ignore=shutil.ignore_patterns("*.mo"))
    directory = tmp_path / "t"
    assert {p.parent.parent.name for p in i18n.stale_catalogs(directory)} >= {"zh"}
    written = i18n.compile_catalogs(directory)
    assert written and all(p.exists() for p in written)
    assert i18n.stale_catalogs(directory) == []

    po = directory / "zh" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    import os

    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    assert i18n.stale_catalogs(directory) == [po]
    i18n.compile_catalogs(directory)
    assert i18n.stale_catalogs(directory) == []
