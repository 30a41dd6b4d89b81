"""The list arguments Flask-AppBuilder reads by hand, checked before any view sees them.

Every HTML page reads ``page_<view>`` and ``psize_<view>`` with a bare ``int()`` (for the lists
it shows and the related lists of a record), so a wrong value anywhere in the query string was a
500 and any page size was served (a list of 100,000 rows, 15 MB).  They are refused here with a
Chinese 400 instead, and the page size is capped as the REST API's is.

The REST lists' ``q`` is rison, whose parser recurses without a bound (four opening brackets
exhaust it) and whose page number is passed on to the database as it is: both are checked here
the same way.
"""

from __future__ import annotations

import prison
from flask import current_app, request

from console.foundation.errors import ConsoleError

MAX_Q = 4096
# Flask-AppBuilder's own ceiling on the page number it offers; far past the last page of any list.
MAX_PAGE = 10 ** 8
DIRECTIONS = ("asc", "desc")


class BadListArgument(ConsoleError):
    status = 400


def max_page_size() -> int:
    return int(current_app.config.get("FAB_API_MAX_PAGE_SIZE") or 100)


def _integer(value: str, low: int, high: int) -> int | None:
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    number = int(value)
    return number if low <= number <= high else None


def check() -> None:
    """Refuse a malformed list argument of the current request (Flask-AppBuilder matches the
    prefixes anywhere in a name, so this does too)."""
    if request.path.startswith("/api/"):
        _check_rison(request.args.get("q"))
        return
    for name, value in request.args.items(multi=True):
        if "psize_" in name:
            if _integer(value, 1, max_page_size()) is None:
                raise BadListArgument(f"每页条数须为 1 到 {max_page_size()} 之间的整数")
        elif "page_" in name:
            if _integer(value, 0, MAX_PAGE) is None:
                raise BadListArgument("页码须为非负整数")
        elif name.startswith("_od_") and value not in DIRECTIONS:
            raise BadListArgument("排序方向须为 asc 或 desc")


def _check_rison(q: str | None) -> None:
    if q is None:
        return
    if len(q) > MAX_Q:
        raise BadListArgument(f"查询参数 q 过长（上限 {MAX_Q} 个字符）")
    try:
        value = prison.loads(q)
    except Exception:  # RecursionError and the parser's own errors alike
        raise BadListArgument("查询参数 q 不是有效的 rison 表达式") from None
    if isinstance(value, dict) and "page" in value:
        page = value["page"]
        if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page <= MAX_PAGE:
            raise BadListArgument("页码须为非负整数")


def install(app) -> None:
    app.before_request(check)
