"""Error answers: a Chinese page for people, JSON for APIs, never a stack trace."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from console.foundation.errors import ConsoleError
from console.foundation.extensions import db

log = logging.getLogger(__name__)
csrf = CSRFProtect()

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "您没有访问此页面的权限。"),
    404: ("页面不存在", "您要找的页面或记录不存在，或不在您的管辖范围内。"),
    405: ("请求方式不被允许", "此地址不支持这种请求方式。"),
    409: ("记录已被修改", "该记录已被他人修改，您看到的是旧版本；请刷新页面后重新填写。"),
    410: ("已撤销", "该记录已被撤销。"),
    413: ("文件太大", "上传的文件超过了允许的大小。"),
    429: ("操作太频繁", "尝试次数过多，请稍后再试。"),
    500: ("服务器内部错误", "处理请求时出错，已记录日志，请稍后重试或联系管理员。"),
    503: ("服务暂不可用", "服务暂时不可用，请稍后重试。"),
}
DATABASE_AWAY = "数据库暂时无法连接，本次操作未完成，请稍后重试。"
DISK_FULL = "服务器存储空间已满，本次提交未保存。请联系管理员清理存储空间后重试。"
# SQLite's and PostgreSQL's words for a full disk (PostgreSQL's SQLSTATE class 53 too).
_FULL_WORDS = ("database or disk is full", "No space left on device", "could not extend file")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(code: int, message: str | None = None, title: str | None = None):
    default_title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    title = title or default_title
    message = message or default
    if _wants_json():
        return jsonify({"message": message}), code
    try:
        from flask import current_app

        return render_template("console/error.html", title=title, message=message,
                               appbuilder=current_app.appbuilder), code
    except Exception:  # the page itself failed (e.g. the database is away): plain text
        log.exception("error page could not be rendered")
        return f"{title}：{message}", code, {"Content-Type": "text/plain; charset=utf-8"}


def install(app) -> None:
    csrf.init_app(app)
    # REST APIs authenticate with a JWT header, not the session cookie, so CSRF does not apply.
    from flask_appbuilder.api import BaseApi

    for view in app.appbuilder.baseviews:
        if isinstance(view, BaseApi) and getattr(view, "blueprint", None) is not None:
            csrf.exempt(view.blueprint)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _answer(400, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(ConsoleError)
    def _console(exc):
        # A refusal may name itself ("模块已停用") rather than take its status's title.
        return _answer(exc.status, exc.message, getattr(exc, "title", None))

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        # Two people saved the same versioned record at once (the version check passed for both
        # before either committed): the database kept the first, the second is told so.

        db.session.rollback()
        return _answer(409)

    @app.errorhandler(OperationalError)
    def _database(exc):
        # The database went away, or its disk is full: nothing was saved (the transaction is
        # rolled back), and the person is told which, not shown a bare 500.

        log.exception("database error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:
            log.warning("rollback after a database error failed", exc_info=True)
        cause = str(getattr(exc, "orig", exc))
        code = getattr(getattr(exc, "orig", None), "pgcode", None) or ""
        full = code.startswith("53") or any(word in cause for word in _FULL_WORDS)
        return _answer(503, DISK_FULL if full else DATABASE_AWAY)

    @app.errorhandler(HTTPException)
    def _http(exc):
        if exc.code is None or exc.code < 400:  # routing redirects are not errors
            return exc
        return _answer(exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _answer(500)
