"""Field work without signal: nameplate inspections captured on a phone with no network, kept in
the device's outbox, and sent exactly once when the connection is back.  Real Chromium, the
console under gunicorn, and a link between them that the test cuts.

``context.set_offline(True)`` does not cut a service worker's own requests, so the browser
reaches gunicorn through :class:`Link`, a TCP relay: cut, it drops every connection, the page's
and the service worker's alike.
"""

from __future__ import annotations

import random
import socket
import threading

import pytest
import sqlalchemy as sa

from tests.support import login_in_browser, photo

FORM = "/nameplates/inspections/new"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


class Link:
    """The phone's connection to the console: a relay to gunicorn that can be cut and restored."""

    def __init__(self, target: str):
        host, port = target.rsplit("//", 1)[1].split(":")
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with self.lock:
                    self.open.discard(s)
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up = False
        with self.lock:
            dropped, self.open = list(self.open), set()
        for s in dropped:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def link(live_server):
    relay = Link(live_server)
    yield relay
    relay.close()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def open_form_and_keep_it(page, base):
    page.goto(base + FORM)
    assert page.evaluate("window.jicengField.kept") is True, "the form was not kept on the device"


def go_offline(context, link):
    link.cut()
    context.set_offline(True)


def go_online(context, link):
    link.restore()
    context.set_offline(False)


def log_out(page):
    """As a user does it on a phone: open the menu, open the account's dropdown, 退出登录."""
    toggle = page.locator(".navbar-toggle")
    if toggle.is_visible():
        toggle.click()
        # Bootstrap's collapse animates; a click on the dropdown while it still runs is lost.
        page.locator(".navbar-collapse.in").wait_for()
        page.wait_for_function("!document.querySelector('.navbar-collapse.collapsing')")
    logout = page.locator("button.console-logout", has_text="退出登录")
    page.locator("a.dropdown-toggle", has=page.locator(".fa-user")).click()
    logout.wait_for(state="visible")
    logout.click()
    page.wait_for_url(lambda url: "/nameplates/" not in url)
    page.wait_for_load_state()
    assert page.locator("meta[name=jiceng-user]").count() == 0


def outbox_count(page) -> int:
    return int(page.inner_text("[data-outbox-count]"))


def wait_for_outbox(page, count: int, timeout=30_000):
    # A function, not an expression: the console's CSP forbids eval, which an expression needs.
    page.wait_for_function("(n) => document.querySelector('[data-outbox-count]').textContent === n",
                           arg=str(count), timeout=timeout)


def test_five_inspections_captured_offline_survive_the_tab_and_arrive_once_with_their_photos(
        chromium, link, db, tmp_path):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    login_in_browser(page, link.url, "zhaoyang")
    open_form_and_keep_it(page, link.url)

    go_offline(context, link)
    page.reload()  # served by the service worker: the link is cut
    assert page.locator("h2").inner_text().strip() == "录入挂牌检查"
    villages = page.locator("#village_id option:not([value=''])")
    captured = []
    for i in range(5):
        picture = tmp_path / f"现场{i}.jpg"
        # Larger than the console keeps (1600 px): the page downscales it, which drops the EXIF.
        picture.write_bytes(photo((2400, 1800), taken=f"2026:11:2{i} 09:1{i}:00", lat=27.3 + i / 100, lon=103.7,
                                  colour=(40 * i, 90, 160)))
        value = villages.nth(i).get_attribute("value")
        page.select_option("#village_id", value)
        page.locator("label.np-check", has_text="村党组织").click()
        page.set_input_files("#photos", str(picture))
        page.click("#np-submit")
        wait_for_outbox(page, i + 1)
        assert "已存入本机" in page.inner_text("#np-offline-note")
        captured.append(int(value))
    assert page.inner_text("#field-outbox h3").split() == ["待上传", "5", "条"]
    stored = page.evaluate("""async () => {
        const items = await jicengOutbox.list(jicengField.owner);
        return Promise.all(items.map(async (item) => {
            const bitmap = await createImageBitmap(item.photos[0].blob);
            return {id: item.id, owner: item.owner, captured_at: item.captured_at, width: bitmap.width,
                    taken_at: item.photos[0].taken_at, latitude: item.photos[0].latitude};
        }));
    }""")
    assert len({s["id"] for s in stored}) == 5
    assert all(s["width"] == 1600 and s["captured_at"] for s in stored)
    assert sorted(s["taken_at"] for s in stored) == [f"2026-11-2{i}T09:1{i}:00" for i in range(5)]

    # Close the tab; a new one opens the form with no network at all.
    page.close()
    page = context.new_page()
    page.goto(link.url + FORM)
    assert page.locator("h2").inner_text().strip() == "录入挂牌检查"
    wait_for_outbox(page, 5)
    assert page.locator("#field-outbox li[data-state=waiting]").count() == 5
    assert rows(db, "select count(*) from nameplates_inspection")[0][0] == 0

    go_online(context, link)
    wait_for_outbox(page, 0)
    received = rows(db, """
        select i.client_id, i.region_id, u.username, a.taken_at, a.latitude, a.width, i.captured_at
        from nameplates_inspection i join ab_user u on u.id = i.inspector_id
        left join attachment a on a.owner = 'nameplates.inspection' and a.owner_id = i.id
        order by a.taken_at""")
    assert len(received) == 5
    assert {r.client_id for r in received} == {s["id"] for s in stored}
    assert sorted(r.region_id for r in received) == sorted(captured)
    assert {r.username for r in received} == {"zhaoyang"}
    # EXIF 09:1i Beijing time is 01:1i UTC, read on the phone before the photo was downscaled.
    assert [str(r.taken_at)[:19] for r in received] == [f"2026-11-2{i} 01:1{i}:00" for i in range(5)]
    assert [round(r.latitude, 2) for r in received] == [round(27.3 + i / 100, 2) for i in range(5)]
    assert all(r.width == 1600 for r in received)
    # Each record says when it was saved on the phone (UTC), not only when it arrived.
    when = {s["id"]: s["captured_at"][:19].replace("T", " ") for s in stored}
    assert {r.client_id: str(r.captured_at)[:19] for r in received} == when
    context.close()


QUEUE = """async ({villages, count}) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 48;
    canvas.getContext('2d').fillRect(0, 0, 64, 48);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
    const today = document.getElementById('inspected_on').value;
    for (let i = 0; i < count; i++) {
        await jicengOutbox.capture({
            owner: jicengField.owner, kind: 'nameplates.inspection', endpoint: '/api/v1/nameplates_inspections/',
            title: '第' + (i + 1) + '条',
            payload: {village_id: villages[i % villages.length], level: '村自查', inspected_on: today,
                      plaques: [{name: '村党组织', position: 'outside', action: null}]},
            photos: i % 3 === 0 ? [{blob, name: 'p' + i + '.jpg', taken_at: null, latitude: null, longitude: null}] : [],
        });
    }
}"""


def queue_offline(context, page, link, count: int) -> None:
    """zhaoyang keeps the form, loses the signal and has ``count`` records waiting in the outbox
    (over their villages in turn, every third with a photo)."""
    login_in_browser(page, link.url, "zhaoyang")
    open_form_and_keep_it(page, link.url)
    villages = [int(v) for v in page.eval_on_selector_all("#village_id option:not([value=''])",
                                                          "options => options.map(o => o.value)")]
    go_offline(context, link)
    page.reload()
    page.evaluate(QUEUE, {"villages": villages, "count": count})
    wait_for_outbox(page, count)


def test_thirty_records_sent_through_a_flaky_link_arrive_exactly_once(chromium, link, db):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    queue_offline(context, page, link, 30)

    chance = random.Random(20261207)
    faults = {"before": 0, "after": 0, "through": 0}

    def flaky(route):
        draw = chance.random()
        if draw < 0.15:
            faults["before"] += 1
            route.abort("connectionreset")
        elif draw < 0.30:
            # The server has the record; its answer is lost on the way back.
            route.fetch()
            faults["after"] += 1
            route.abort("connectionreset")
        else:
            faults["through"] += 1
            route.continue_()

    page.route("**/api/v1/nameplates_inspections/", flaky)
    go_online(context, link)
    wait_for_outbox(page, 0, timeout=60_000)
    assert faults["before"] and faults["after"], faults
    received = rows(db, "select client_id from nameplates_inspection")
    assert len(received) == 30
    assert len({r.client_id for r in received}) == 30
    photos = rows(db, "select owner_id, count(*) from attachment where owner = 'nameplates.inspection' "
                      "group by owner_id")
    assert len(photos) == 10 and all(n == 1 for _, n in photos)
    context.close()


def test_the_outbox_belongs_to_the_account_that_captured_it(chromium, link, db):
    context = chromium.new_context(**PHONE)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page = context.new_page()
    page.on("dialog", answer)
    login_in_browser(page, link.url, "zhaoyang")
    open_form_and_keep_it(page, link.url)
    go_offline(context, link)
    page.reload()
    page.select_option("#village_id", page.locator("#village_id option:not([value=''])").first.get_attribute("value"))
    page.click("#np-submit")
    wait_for_outbox(page, 1)
    mine = page.evaluate("jicengOutbox.list(jicengField.owner).then(items => items[0].id)")

    # The session ends while offline; someone else signs in on the same phone.
    context.clear_cookies()
    go_online(context, link)
    login_in_browser(page, link.url, "zhenxiong")
    page.goto(link.url + FORM)
    assert page.evaluate("window.jicengField.kept") is True
    assert outbox_count(page) == 0 and page.locator("#field-outbox").is_hidden()
    assert rows(db, "select count(*) from nameplates_inspection")[0][0] == 0
    log_out(page)
    assert dialogs == []  # zhenxiong has nothing unsent

    # Back in, the record is sent by itself, as its owner's.
    login_in_browser(page, link.url, "zhaoyang")
    page.goto(link.url + FORM)
    wait_for_outbox(page, 0)
    assert rows(db, "select i.client_id, u.username from nameplates_inspection i "
                    "join ab_user u on u.id = i.inspector_id") == [(mine, "zhaoyang")]

    # A refusal stays on its item, in Chinese, until the user removes it or sends it again.
    other_county = rows(db, "select r.id from region r join region c on r.path like c.path || '%' "
                            "where c.code = '530627' and r.level = 'village' limit 1")[0][0]
    page.evaluate(QUEUE, {"villages": [other_county], "count": 1})
    page.click("[data-outbox-sync]")
    page.wait_for_selector("#field-outbox li[data-state=refused]")
    assert "不在您的管辖范围内" in page.inner_text("#field-outbox li")
    page.reload()
    wait_for_outbox(page, 1)
    assert page.locator("#field-outbox li[data-state=refused]").count() == 1

    # Logging out warns about it and clears the device.
    log_out(page)
    assert len(dialogs) == 1 and "1 条记录未上传" in dialogs[0]
    left = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('jiceng-field', 1);
        open.onsuccess = () => { const all = open.result.transaction('outbox').objectStore('outbox').getAll();
                                 all.onsuccess = () => resolve(all.result.length); };
    })""")
    assert left == 0
    assert page.evaluate("caches.match('/nameplates/inspections/new').then(Boolean)") is False
    assert rows(db, "select count(*) from nameplates_inspection")[0][0] == 1
    context.close()


def test_the_outbox_survives_a_browser_restart_and_is_sent_once_after_it(link, db, tmp_path):
    """The phone's browser is closed (killed to free memory, or the phone restarts) with records
    unsent and no signal; opened again, still without signal, the form and the records are there."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "profile"
    with sync_playwright() as p:
        def launch():
            return p.chromium.launch_persistent_context(str(profile), executable_path="/usr/bin/chromium",
                                                        args=ARGS, **PHONE)

        context = launch()
        page = context.new_page()
        queue_offline(context, page, link, 3)
        kept = set(page.evaluate("jicengOutbox.list(jicengField.owner).then(items => items.map(i => i.id))"))
        context.close()  # the browser process ends with the last page of its profile

        context = launch()
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(link.url + FORM)
        assert page.locator("h2").inner_text().strip() == "录入挂牌检查"
        wait_for_outbox(page, 3)
        assert page.locator("#field-outbox li[data-state=waiting]").count() == 3
        assert rows(db, "select count(*) from nameplates_inspection")[0][0] == 0

        go_online(context, link)
        page.goto(link.url + FORM)
        if page.locator("meta[name=jiceng-user]").count() == 0:
            # The browser dropped the session cookie with the process: signing in again sends them.
            login_in_browser(page, link.url, "zhaoyang")
            page.goto(link.url + FORM)
        wait_for_outbox(page, 0)
        received = rows(db, "select client_id from nameplates_inspection")
        assert {r.client_id for r in received} == kept and len(received) == 3
        context.close()


def test_a_refused_record_is_corrected_in_its_form_and_arrives_once_with_its_photo(chromium, link, db):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    login_in_browser(page, link.url, "zhaoyang")
    open_form_and_keep_it(page, link.url)
    # Captured for a village the console will not take from this inspector (another county).
    other_county = rows(db, "select r.id from region r join region c on r.path like c.path || '%' "
                            "where c.code = '530627' and r.level = 'village' limit 1")[0][0]
    page.evaluate(QUEUE, {"villages": [other_county], "count": 1})
    page.click("[data-outbox-sync]")
    page.wait_for_selector("#field-outbox li[data-state=refused]")
    refused = page.evaluate("jicengOutbox.list(jicengField.owner).then(items => items[0].id)")

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.click("#field-outbox li[data-state=refused] [data-action=edit]")
    page.wait_for_selector("#np-offline-note.alert-warning", timeout=5000)
    assert errors == []
    assert "正在修改未被接收的记录" in page.inner_text("#np-offline-note")
    assert "不在您的管辖范围内" in page.inner_text("#np-offline-note")
    assert page.locator("input[name=found][value='村党组织|outside']").is_checked()
    assert "保留原有照片 1 张" in page.inner_text("#np-photo-names")
    mine = page.locator("#village_id option:not([value=''])").first.get_attribute("value")
    page.select_option("#village_id", mine)
    page.fill("#note", "改为本县的村")
    page.click("#np-submit")
    wait_for_outbox(page, 0)
    received = rows(db, "select client_id, region_id, note from nameplates_inspection")
    assert [tuple(r) for r in received] == [(refused, int(mine), "改为本县的村")]
    assert rows(db, "select count(*) from attachment a join nameplates_inspection i on a.owner_id = i.id "
                    "where a.owner = 'nameplates.inspection'")[0][0] == 1
    # The form is a new one again afterwards.
    assert page.inner_text("#np-submit").strip() == "提交检查"
    context.close()
