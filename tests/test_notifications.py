"""Notifications: inbox rows in the caller's transaction, e-mail after commit, the inbox page and
the navbar's unread count."""

from __future__ import annotations

import base64
import email
import email.policy
import os
import re
import socket
import socketserver
import threading

import pytest
from sqlalchemy import event

from console.notifications import service as notifications
from console.notifications.models import Notification
from console.regions.models import Region

# -- a real SMTP receiver on 127.0.0.1 ------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Speaks enough SMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self):
        server = self.server
        self.reply("220 test-smtp ready")
        envelope = {"from": None, "to": []}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test-smtp")
                self.reply("250-8BITMIME")
                self.reply("250 AUTH PLAIN")
            elif verb == "HELO":
                self.reply("250 test-smtp")
            elif verb == "AUTH":
                _, _, token = line.split(" ", 2)
                _, user, password = base64.b64decode(token).decode().split("\x00")
                server.logins.append((user, password))
                self.reply("235 ok")
            elif verb == "MAIL":
                envelope = {"from": re.search(r"<(.*?)>", line)[1], "to": []}
                self.reply("250 ok")
            elif verb == "RCPT":
                address = re.search(r"<(.*?)>", line)[1]
                if address in server.refuse:
                    self.reply("550 no such user")
                else:
                    envelope["to"].append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                server.messages.append({**envelope, "message": email.message_from_bytes(
                    b"".join(lines), policy=email.policy.default)})
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SMTPReceiver(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[dict] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse: set[str] = set()

    @property
    def port(self) -> int:
        return self.server_address[1]


@pytest.fixture
def smtp():
    server = SMTPReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def ctx(app):
    from console.foundation.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def user(session, username):
    from console.security.users import ConsoleUser

    return session.query(ConsoleUser).filter_by(username=username).one()


def rows_of(session, user_id) -> list[Notification]:
    return session.query(Notification).filter_by(user_id=user_id).order_by(Notification.id).all()


# -- the service ----------------------------------------------------------------------------


def test_notify_adds_rows_in_the_callers_transaction(ctx):
    inspector = user(ctx, "zhaoyang")
    notifications.notify(ctx, [inspector, inspector.id], "整改即将到期", body="请于 3 日内完成",
                         link="/nameplates/orders/1", source="nameplates")
    ctx.rollback()
    assert rows_of(ctx, inspector.id) == []

    made = notifications.notify(ctx, [inspector, inspector.id], "整改即将到期", source="nameplates")
    ctx.commit()
    assert len(made) == 1  # one per distinct user
    [row] = rows_of(ctx, inspector.id)
    assert (row.title, row.source, row.read_at, row.emailed) == ("整改即将到期", "nameplates", None, False)


def test_notify_takes_a_single_user_or_id(ctx):
    leader, inspector = user(ctx, "lingdao"), user(ctx, "zhaoyang")
    notifications.notify(ctx, leader, "一")
    notifications.notify(ctx, inspector.id, "二")
    ctx.commit()
    assert [r.title for r in rows_of(ctx, leader.id)] == ["一"]
    assert [r.title for r in rows_of(ctx, inspector.id)] == ["二"]


def test_a_reminder_with_a_key_reaches_each_user_once(ctx):
    leader, inspector = user(ctx, "lingdao"), user(ctx, "zhaoyang")
    first = notifications.notify(ctx, [leader], "诉求明天到期", once="visits.problem:7:2026-12-06")
    ctx.commit()
    again = notifications.notify(ctx, [leader, inspector], "诉求明天到期", once="visits.problem:7:2026-12-06")
    later = notifications.notify(ctx, [leader], "诉求今天到期", once="visits.problem:7:2026-12-07")
    ctx.commit()
    assert [len(first), len(again), len(later)] == [1, 1, 1]
    assert [r.title for r in rows_of(ctx, leader.id)] == ["诉求明天到期", "诉求今天到期"]
    assert [r.once_key for r in rows_of(ctx, inspector.id)] == ["visits.problem:7:2026-12-06"]
    # keyless notices are never held back
    notifications.notify(ctx, [leader], "诉求明天到期")
    notifications.notify(ctx, [leader], "诉求明天到期")
    ctx.commit()
    assert len(rows_of(ctx, leader.id)) == 4


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/",
                                  "relative/path"])
def test_notify_refuses_links_outside_the_console(ctx, link):
    with pytest.raises(ValueError):
        notifications.notify(ctx, user(ctx, "lingdao"), "标题", link=link)


def test_unread_count_and_mark_read(ctx):
    me, other = user(ctx, "zhaoyang"), user(ctx, "zhenxiong")
    mine = notifications.notify(ctx, [me], "一") + notifications.notify(ctx, [me], "二") \
        + notifications.notify(ctx, [me], "三")
    theirs = notifications.notify(ctx, [other], "别人的")
    ctx.commit()
    assert notifications.unread_count(me.id) == 3

    assert notifications.mark_read(me.id, [mine[0].id, theirs[0].id]) == 1  # not someone else's
    ctx.commit()
    assert notifications.unread_count(me.id) == 2
    assert notifications.unread_count(other.id) == 1
    assert notifications.mark_read(me.id, "all") == 2
    ctx.commit()
    assert notifications.unread_count(me.id) == 0
    assert notifications.unread_count(other.id) == 1
    assert notifications.mark_read(me.id, []) == 0


def test_users_with_role_by_region(ctx):
    from console.security import roles

    zhaoyang, zhenxiong = user(ctx, "zhaoyang"), user(ctx, "zhenxiong")
    village = (ctx.query(Region).filter(Region.level == "village", Region.code.startswith("530602"))
               .first())
    county = ctx.query(Region).filter_by(code="530602").one()

    everyone = notifications.users_with_role(ctx, roles.INSPECTOR)
    assert {zhaoyang.id, zhenxiong.id} <= {u.id for u in everyone}
    assert [u.username for u in notifications.users_with_role(ctx, roles.INSPECTOR, village)] == ["zhaoyang"]
    assert [u.username for u in notifications.users_with_role(ctx, roles.INSPECTOR, county.id,
                                                              exact=True)] == ["zhaoyang"]
    assert notifications.users_with_role(ctx, roles.INSPECTOR, village, exact=True) == []
    # The whole city's admin covers every village.
    assert "admin" in {u.username for u in notifications.users_with_role(ctx, roles.ADMIN, village)}
    assert notifications.users_with_role(ctx, "没有这个角色") == []


def test_inactive_users_are_not_recipients(ctx):
    from console.security import roles

    inspector = user(ctx, "zhenxiong")
    inspector.active = False
    ctx.commit()
    assert "zhenxiong" not in {u.username for u in notifications.users_with_role(ctx, roles.INSPECTOR)}


# -- e-mail ---------------------------------------------------------------------------------


@pytest.fixture
def mail_app(make_app, smtp):
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="jiceng@zhaotong.test",
                    MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret")


def _with_email(session, username, address):
    account = user(session, username)
    account.email = address
    session.commit()
    return account


def test_email_is_sent_after_commit_with_a_chinese_subject(mail_app, smtp):
    from console.foundation.extensions import db

    with mail_app.app_context():
        inspector = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        notifications.notify(db.session, inspector, "门牌整改单已逾期：凤凰街道某社区", body="请尽快整改",
                             link="/nameplates/orders/7", source="nameplates")
        db.session.flush()
        assert smtp.messages == []  # nothing leaves before the commit
        db.session.commit()
        [row] = rows_of(db.session, inspector.id)
        assert row.emailed is True

    [sent] = smtp.messages
    assert sent["to"] == ["zhaoyang@zhaotong.test"]
    assert sent["from"] == "jiceng@zhaotong.test"
    message = sent["message"]
    assert message["Subject"] == "门牌整改单已逾期：凤凰街道某社区"
    assert "=?utf-8?" in message.as_string().lower()  # encoded on the wire, decoded above
    text = message.get_content()
    assert "请尽快整改" in text and "/nameplates/orders/7" in text
    assert smtp.logins == [("mailer", "s3cret")]


def test_rolled_back_notification_sends_no_email(mail_app, smtp):
    from console.foundation.extensions import db

    with mail_app.app_context():
        inspector = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        notifications.notify(db.session, inspector, "不会发出")
        db.session.flush()
        db.session.rollback()
        notifications.notify(db.session, inspector, "会发出")
        db.session.commit()
    assert [m["message"]["Subject"] for m in smtp.messages] == ["会发出"]


def test_notification_in_a_rolled_back_savepoint_sends_no_email(mail_app, smtp):
    from console.foundation.extensions import db

    with mail_app.app_context():
        inspector = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        notifications.notify(db.session, inspector, "之前的")
        savepoint = db.session.begin_nested()
        notifications.notify(db.session, inspector, "撤回的")
        savepoint.rollback()
        notifications.notify(db.session, inspector, "之后的")
        db.session.commit()
        assert [r.title for r in rows_of(db.session, inspector.id)] == ["之前的", "之后的"]
    assert [m["message"]["Subject"] for m in smtp.messages] == ["之前的", "之后的"]


def test_users_without_a_real_address_are_not_mailed(mail_app, smtp):
    from console.foundation.extensions import db

    with mail_app.app_context():
        leader = user(db.session, "lingdao")  # the demo accounts carry @example.invalid
        assert leader.email.endswith(".invalid")
        notifications.notify(db.session, leader, "仅站内")
        db.session.commit()
        assert rows_of(db.session, leader.id)[0].emailed is False
    assert smtp.messages == []


def test_refused_recipient_is_logged_and_the_others_are_mailed(mail_app, smtp, caplog):
    from console.foundation.extensions import db

    smtp.refuse.add("gone@zhaotong.test")
    with mail_app.app_context():
        good = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        gone = _with_email(db.session, "zhenxiong", "gone@zhaotong.test")
        notifications.notify(db.session, [good, gone], "通知")
        db.session.commit()
        assert rows_of(db.session, good.id)[0].emailed is True
        assert rows_of(db.session, gone.id)[0].emailed is False
    assert [m["to"] for m in smtp.messages] == [["zhaoyang@zhaotong.test"]]
    assert "gone@zhaotong.test" in caplog.text


def test_unreachable_mail_server_never_reaches_the_caller(make_app, caplog):
    from console.foundation.extensions import db

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        inspector = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        notifications.notify(db.session, inspector, "服务器不在")
        db.session.commit()  # does not raise
        [row] = rows_of(db.session, inspector.id)
        assert row.emailed is False
    assert "SMTP server 127.0.0.1" in caplog.text


def test_no_mail_server_means_in_app_only(ctx, smtp):
    inspector = _with_email(ctx, "zhaoyang", "zhaoyang@zhaotong.test")
    notifications.notify(ctx, inspector, "站内")
    ctx.commit()
    assert rows_of(ctx, inspector.id)[0].emailed is False
    assert smtp.messages == []


# -- the inbox page and the navbar ----------------------------------------------------------


def _seed(app, username, *titles, link=None):
    from console.foundation.extensions import db

    with app.app_context():
        account = user(db.session, username)
        ids = [notifications.notify(db.session, account, t, link=link)[0] for t in titles]
        db.session.commit()
        return [n.id for n in ids]


def test_inbox_lists_own_messages_newest_first_unread_bold(app, client, auth):
    first, second = _seed(app, "zhaoyang", "较早的消息", "较新的消息", link="/console/inbox/")
    with app.app_context():
        from console.foundation.extensions import db

        notifications.notify(db.session, user(db.session, "zhaoyang"), "来自模块", source="nameplates")
        db.session.commit()
    _seed(app, "zhenxiong", "别人的消息")
    auth.login("zhaoyang")
    page = client.get("/console/inbox/").get_data(as_text=True)
    assert page.index("较新的消息") < page.index("较早的消息")
    assert "<strong>较新的消息</strong>" in page
    assert "别人的消息" not in page
    assert f"/console/inbox/{first}/open" in page
    from console.plugins.manager import registry

    info = registry(app).infos.get("nameplates")  # the plugin's Chinese title when it is installed
    assert f"来自{info.title if info else 'nameplates'}" in page


def test_marking_one_read_and_then_all(app, client, auth):
    first, second, third = _seed(app, "zhaoyang", "一", "二", "三")
    auth.login("zhaoyang")
    assert client.post(f"/console/inbox/{first}/read").status_code == 302
    page = client.get("/console/inbox/").get_data(as_text=True)
    assert "<strong>一</strong>" not in page and "<strong>二</strong>" in page
    unread = client.get("/console/inbox/?unread=1").get_data(as_text=True)
    assert f'id="notification-{first}"' not in unread and f'id="notification-{second}"' in unread
    client.post("/console/inbox/read-all")
    with app.app_context():
        assert notifications.unread_count(user_id_of(app, "zhaoyang")) == 0


def user_id_of(app, username):
    from console.foundation.extensions import db

    with app.app_context():
        return user(db.session, username).id


def test_open_marks_read_and_follows_the_link(app, client, auth):
    [ident] = _seed(app, "zhaoyang", "去看看", link="/console/inbox/?unread=1")
    auth.login("zhaoyang")
    response = client.post(f"/console/inbox/{ident}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/inbox/?unread=1")
    with app.app_context():
        assert notifications.unread_count(user_id_of(app, "zhaoyang")) == 0


def test_another_users_message_is_404(app, client, auth):
    [theirs] = _seed(app, "zhenxiong", "别人的")
    auth.login("zhaoyang")
    assert client.post(f"/console/inbox/{theirs}/read").status_code == 404
    assert client.post(f"/console/inbox/{theirs}/open").status_code == 404
    with app.app_context():
        assert notifications.unread_count(user_id_of(app, "zhenxiong")) == 1


def test_inbox_needs_a_signed_in_user(client):
    assert client.get("/console/inbox/").status_code in (302, 401, 403)
    assert client.post("/console/inbox/read-all").status_code in (302, 401, 403)


def test_marking_read_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    [ident] = _seed(app, "zhaoyang", "需要令牌")
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page)[1]
    client.post("/login/", data={"username": "zhaoyang", "password": os.environ["JICENG_DEMO_PASSWORD"],
                              "csrf_token": token})
    refused = client.post(f"/console/inbox/{ident}/read")
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    page = client.get("/console/inbox/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(f"/console/inbox/{ident}/read", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert notifications.unread_count(user_id_of(app, "zhaoyang")) == 0


def test_navbar_shows_the_unread_count_with_one_query(app, client, auth):
    from console.foundation.extensions import db

    _seed(app, "zhaoyang", "一", "二")
    auth.login("zhaoyang")
    statements = []

    def count(conn, cursor, statement, *args):
        if "notification" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert re.search(r'console-unread-badge"[^>]*>\s*2\s*<', page)
    assert len(statements) == 1 and "count(" in statements[0].lower()
    assert "退出登录" in page and "个人信息" in page


def test_navbar_has_no_badge_without_unread_messages(client, auth):
    page = auth.login("zhaoyang").get_data(as_text=True)
    assert "fa-bell" in page
    assert "console-unread-badge" not in page


def test_inbox_pages_fifty_at_a_time(app, client, auth):
    _seed(app, "zhaoyang", *[f"消息{i:02d}" for i in range(55)])
    auth.login("zhaoyang")
    first = client.get("/console/inbox/").get_data(as_text=True)
    second = client.get("/console/inbox/?page=1").get_data(as_text=True)
    assert "消息54" in first and "消息00" not in first
    assert "消息00" in second and "第 2 / 2 页" in second


def test_attachments_go_with_the_mail_only(mail_app, smtp):
    from console.foundation.extensions import db

    data = b"%PDF-1.7\n" + bytes(range(256)) * 40  # binary, survives the transfer encoding
    with mail_app.app_context():
        inspector = _with_email(db.session, "zhaoyang", "zhaoyang@zhaotong.test")
        leader = user(db.session, "lingdao")
        notifications.notify(db.session, [inspector, leader], "新简报", link="/briefings/1.pdf",
                             attachments=[notifications.Attachment("昭通市简报.pdf", data, "application/pdf")])
        db.session.commit()
        assert rows_of(db.session, leader.id)[0].emailed is False
    [sent] = smtp.messages
    message = sent["message"]
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "昭通市简报.pdf" and part.get_content_type() == "application/pdf"
    assert part.get_content() == data
    assert "附件：昭通市简报.pdf" in message.get_body(("plain",)).get_content()
