"""Notifications: an in-app inbox for every user, and e-mail too when SMTP is configured.

``notify`` adds inbox rows to the caller's transaction, so a notice about a record exists
exactly when the record does.  E-mail goes out only after that transaction commits (a rolled
back change mails nobody); a mail server that fails is logged and never reaches the caller,
whose data is already committed.  Delivered messages are marked ``emailed``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from console.database.transaction import unit_of_work
from console.foundation.clock import utcnow
from console.foundation.extensions import db
from console.notifications.models import Notification
from console.regions.models import Region
from console.security.users import ConsoleUser

__all__ = ["notify", "users_with_role", "unread_count", "mark_read", "inbox", "get_own",
           "send_pending_mail", "Attachment", "mail_configured"]

log = logging.getLogger(__name__)

_OUTBOX = "console.mail_outbox"  # session.info: notifications waiting for the commit
_READY = "console.mail_ready"  # session.info: messages built before commit, sent after it


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float
    base_url: str | None
    app_name: str

    @classmethod
    def from_app(cls, app) -> MailSettings | None:
        cfg = app.config
        if not cfg.get("MAIL_SERVER"):
            return None
        base = cfg.get("BASE_URL") or (request.host_url if has_request_context() else None)
        return cls(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), bool(cfg.get("MAIL_USE_TLS")),
                   cfg.get("MAIL_USERNAME"), cfg.get("MAIL_PASSWORD"),
                   cfg.get("MAIL_FROM") or "jiceng@localhost", float(cfg.get("MAIL_TIMEOUT", 10)),
                   base.rstrip("/") if base else None, cfg.get("APP_NAME", "基层治理控制台"))


@dataclass(frozen=True)
class Attachment:
    """A file the e-mail carries (the inbox row only links to it)."""

    filename: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class _Mail:
    notification_id: int
    to: str
    title: str
    body: str | None
    link: str | None
    attachments: tuple[Attachment, ...] = ()


def mail_configured() -> bool:
    return has_app_context() and bool(current_app.config.get("MAIL_SERVER"))


def _user_id(user) -> int:
    ident = getattr(user, "id", user)
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise TypeError(f"not a user or user id: {user!r}")
    return ident


def _check_link(link: str | None) -> str | None:
    # Links open inside the console: a relative path, never another site or a javascript: URL.
    if link is None or link == "":
        return None
    if not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500:
        raise ValueError(f"a notification link must be a path inside the console: {link!r}")
    return link


def notify(session, user_ids_or_users, title: str, body: str | None = None, link: str | None = None,
           source: str | None = None, attachments: Iterable[Attachment] = (), *,
           once: str | None = None) -> list[Notification]:
    """Add one notification per distinct user to ``session`` (the caller commits); returns the
    notifications added.

    ``once``: a key naming what the notice is about and for when (``"visits.problem:7:2026-12-06"``):
    a user who already has a notice with that key gets no second one, so a daily job run twice,
    or by two processes, reminds each user once.

    ``user_ids_or_users``: a user, a user id, or an iterable of either.  ``link``: a path inside
    the console (``/nameplates/...``) the inbox opens.  ``source``: the plugin or core part that
    sends it.  When ``MAIL_SERVER`` is configured the users with an e-mail address are also
    mailed once the transaction commits, with ``attachments`` attached.
    """
    if isinstance(user_ids_or_users, (int, str)) or hasattr(user_ids_or_users, "id"):
        user_ids_or_users = [user_ids_or_users]
    ids = list(dict.fromkeys(_user_id(u) for u in user_ids_or_users if u is not None))
    if once is not None:
        once = once[:200]
        session.flush()
        sent = {uid for (uid,) in session.query(Notification.user_id)
                .filter(Notification.once_key == once, Notification.user_id.in_(ids))} if ids else set()
        ids = [uid for uid in ids if uid not in sent]
    title = " ".join((title or "").split())[:200]
    if not title:
        raise ValueError("a notification needs a title")
    link = _check_link(link)
    now = utcnow()
    rows = [Notification(user_id=uid, title=title, body=body, link=link, source=source,
                         created_at=now, emailed=False, once_key=once) for uid in ids]
    session.add_all(rows)
    settings = MailSettings.from_app(current_app) if has_app_context() else None
    if settings and rows:
        _install()
        outbox = session.info.setdefault(_OUTBOX, {"settings": settings, "rows": []})
        attachments = tuple(attachments)
        outbox["rows"].extend((row, attachments) for row in rows)
    return rows


# -- e-mail after commit --------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    outbox = session.info.pop(_OUTBOX, None)
    if not outbox:
        return

    # Rows of a rolled-back savepoint have left the session: they mail nobody.
    rows = [(row, files) for row, files in outbox["rows"] if row in session]
    if not rows:
        return
    session.flush()  # ids for the rows added since the last flush
    emails = dict(
        session.execute(
            select(ConsoleUser.id, ConsoleUser.email).where(
                ConsoleUser.id.in_({r.user_id for r, _ in rows}), ConsoleUser.active.is_(True)
            )
        ).all()
    )
    mails = []
    for row, files in rows:
        address = (emails.get(row.user_id) or "").strip()
        # .invalid is reserved (RFC 2606): the demo accounts' placeholder addresses.
        if "@" in address and not address.lower().endswith(".invalid"):
            mails.append(_Mail(row.id, address, row.title, row.body, row.link, files))
    if mails:
        ready = session.info.setdefault(_READY, [])
        ready.append((outbox["settings"], session.get_bind(), mails))


def _after_commit(session: Session) -> None:
    batches = session.info.pop(_READY, None)
    for settings, engine, mails in batches or ():
        send_pending_mail(settings, engine, mails)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction, and what it notified, lives on
    session.info.pop(_OUTBOX, None)
    session.info.pop(_READY, None)


def _install() -> None:
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def _message(settings: MailSettings, mail: _Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = mail.title
    msg["From"] = formataddr((settings.app_name, settings.sender))
    msg["To"] = mail.to
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    lines = [mail.title, ""]
    if mail.body:
        lines += [mail.body, ""]
    if mail.link:
        lines.append("查看：" + (settings.base_url + mail.link if settings.base_url else mail.link))
    if mail.attachments:
        lines.append("附件：" + "、".join(a.filename for a in mail.attachments))
    lines += ["", f"—— {settings.app_name}（此邮件由系统自动发送，请勿回复）"]
    msg.set_content("\n".join(lines), charset="utf-8")
    for item in mail.attachments:
        maintype, _, subtype = item.mime.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=item.filename)
    return msg


def send_pending_mail(settings: MailSettings, engine, mails: list[_Mail]) -> int:
    """Send ``mails`` over one SMTP connection and mark the delivered ones ``emailed``.
    Every failure is logged and swallowed: the notifications are already in the inbox."""
    sent: list[int] = []
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            for mail in mails:
                try:
                    smtp.send_message(_message(settings, mail))
                    sent.append(mail.notification_id)
                except smtplib.SMTPException:
                    log.exception("notification %s: mail to %s refused", mail.notification_id, mail.to)
    except (OSError, smtplib.SMTPException):
        log.exception("notification mail: SMTP server %s:%s failed", settings.server, settings.port)
    if sent:
        try:
            with engine.begin() as conn:
                conn.execute(update(Notification).where(Notification.id.in_(sent)).values(emailed=True))
        except Exception:
            log.exception("could not mark notifications %s as emailed", sent)
    return len(sent)


# -- recipients -----------------------------------------------------------------------------


def users_with_role(session, role_name: str, region=None, *, exact: bool = False) -> list:
    """Active users holding ``role_name``.

    With ``region`` (a :class:`Region` or its id), only those whose scope covers it: their
    scope region is that region or one above it, or they have no scope region (the whole
    city).  ``exact=True`` keeps only users whose scope region is exactly ``region``.
    """
    from flask_appbuilder.security.sqla.models import Role


    query = (
        session.query(ConsoleUser)
        .join(ConsoleUser.roles)
        .filter(Role.name == role_name, ConsoleUser.active.is_(True))
    )
    if region is not None:
        target = region if isinstance(region, Region) else session.get(Region, region)
        if target is None:
            return []
        if exact:
            query = query.filter(ConsoleUser.scope_region_id == target.id)
        else:
            above = [target.id]
            node = target
            while node.parent_id is not None:
                above.append(node.parent_id)
                node = session.get(Region, node.parent_id)
            query = query.filter(
                ConsoleUser.scope_region_id.in_(above) | ConsoleUser.scope_region_id.is_(None)
            )
    return query.order_by(ConsoleUser.id).all()


# -- the inbox ------------------------------------------------------------------------------


def unread_count(user_id: int, session=None) -> int:
    session = session or db.session
    return session.execute(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    ).scalar_one()


def inbox(user_id: int, *, unread_only: bool = False, page: int = 0, page_size: int = 50,
          session=None) -> tuple[list[Notification], int]:
    """One page of a user's notifications, newest first, and how many there are in all."""
    session = session or db.session
    query = session.query(Notification).filter(Notification.user_id == user_id)
    if unread_only:
        query = query.filter(Notification.read_at.is_(None))
    total = query.order_by(None).count()
    rows = (
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset(max(page, 0) * page_size)
        .limit(page_size)
        .all()
    )
    return rows, total


def get_own(user_id: int, notification_id: int, session=None) -> Notification | None:
    """A notification of this user; another user's is answered like a missing one."""
    session = session or db.session
    return (
        session.query(Notification)
        .filter(Notification.id == notification_id, Notification.user_id == user_id)
        .one_or_none()
    )


@unit_of_work
def mark_read(user_id: int, ids: Iterable[int] | str = "all", session=None) -> int:
    """Mark the user's unread notifications ``ids`` (or ``"all"``) as read: one unit of work
    (joining the caller's, if any); another user's ids are ignored.  Returns how many changed."""
    session = session or db.session
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids != "all":
        wanted = [int(i) for i in ids]
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount
