"""The signed-in user's inbox, and the unread count the navbar shows on every page."""

from __future__ import annotations

import logging

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from sqlalchemy.exc import SQLAlchemyError

from console.foundation.extensions import db
from console.notifications import service as notifications
from console.plugins.manager import registry

log = logging.getLogger(__name__)

PAGE_SIZE = 50


def _unread_badge():
    """The navbar's count: one COUNT query per request, only when a page draws the navbar."""
    if "inbox_unread" not in g:
        user = getattr(g, "user", None)
        g.inbox_unread = None
        if getattr(user, "is_authenticated", False):
            try:
                g.inbox_unread = notifications.unread_count(user.id)
            except SQLAlchemyError:
                # An error page drawn after a failed transaction still gets its navbar.
                log.warning("unread count unavailable", exc_info=True)
    return g.inbox_unread


# The core's own senders; a plugin sends as its name, or as "<name>.<what>".
CORE_SOURCES = {"briefings": "工作简报", "security": "账号安全", "imports": "数据导入", "audit": "审计日志"}


def _source_title(source: str | None) -> str | None:
    """What a user reads for the sender that ``source`` names: never the code itself."""
    if not source:
        return None
    if source in CORE_SOURCES:
        return CORE_SOURCES[source]
    info = registry().infos.get(source.split(".")[0])
    return info.title if info else "系统"


class InboxView(BaseView):
    route_base = "/console/inbox"
    class_permission_name = "console_inbox"
    default_view = "list"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        # The navbar is drawn on every page, not just this view's: an app-wide template global.
        blueprint.app_context_processor(lambda: {"inbox_unread": _unread_badge})
        return blueprint

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        unread_only = request.args.get("unread") == "1"
        page = request.args.get("page", 0, type=int) or 0
        rows, total = notifications.inbox(g.user.id, unread_only=unread_only, page=page,
                                          page_size=PAGE_SIZE)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        return self.render_template("console/inbox.html", rows=rows, total=total, page=page,
                                    pages=pages, unread_only=unread_only,
                                    source_title=_source_title)

    @expose("/<int:ident>/read", methods=["POST"])
    @has_access
    @permission_name("read")
    def read(self, ident: int):
        self._own(ident)
        notifications.mark_read(g.user.id, [ident])
        return redirect(self._back())

    @expose("/<int:ident>/open", methods=["POST"])
    @has_access
    @permission_name("read")
    def open(self, ident: int):
        row = self._own(ident)
        link = row.link
        notifications.mark_read(g.user.id, [ident])
        return redirect(link or url_for("InboxView.list"))

    @expose("/read-all", methods=["POST"])
    @has_access
    @permission_name("read")
    def read_all(self):
        count = notifications.mark_read(g.user.id, "all")
        flash(f"已将 {count} 条消息标为已读" if count else "没有未读消息", "success")
        return redirect(self._back())

    def _own(self, ident: int):
        row = notifications.get_own(g.user.id, ident)
        if row is None:
            abort(404)
        return row

    @staticmethod
    def _back() -> str:
        return url_for("InboxView.list", unread=request.form.get("unread") or None,
                       page=request.form.get("page", type=int) or None)
