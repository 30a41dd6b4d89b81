"""Export any list to .xlsx, streamed, with no formula in any cell.

The scope is the caller's job: build the query with ``console.restrict(query, Model)``
(or through a ``ScopedInterface``) before handing its rows here, exactly as the list page does,
so an export never shows a row the list would not.

The workbook is written in openpyxl's write-only mode to a temporary file and sent from there
(``send_file``, which streams an open file), so memory stays flat at 432,000 rows.

An export holding personal information (full identity numbers, phone numbers: 个人信息保护法)
is made only for a stated reason (:func:`personal_export` asks for it), is written to the audit
log with that reason and its row count, and carries the reader's name and the time as a visible
watermark (page header and footer, a closing line under the data, the file's properties).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dataclasses import dataclass

from flask import Response, abort, current_app, g, make_response, render_template, request, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from console.audit import log as audit
from console.database.transaction import transaction
from console.foundation import clock
from console.foundation.extensions import db

__all__ = ["neutralize", "query_rows", "stream_xlsx", "write_xlsx", "XLSX_MIMETYPE", "Personal",
           "personal_export"]

REASON_MIN, REASON_MAX = 4, 200

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula (or starts one) to Excel and WPS.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Columns = list[tuple[str, Callable[[Any], Any]]]


def neutralize(text: str) -> str:
    """Text that no spreadsheet runs: a leading quote keeps ``=HYPERLINK(...)`` a string."""
    if text and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _cell_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        # Stored as UTC; a reader of the sheet, like one of the page, reads Beijing time.
        return clock.local(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, (int, float, dt.datetime, dt.date)):
        return value
    if isinstance(value, (list, tuple, set)):
        value = "、".join(str(v) for v in value)
    return neutralize(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


@dataclass(frozen=True)
class Personal:
    """An export of personal information: what it is, why it was asked for, by whom and when."""

    what: str
    reason: str
    reader: str
    at: dt.datetime

    @property
    def watermark(self) -> str:
        return f"含个人信息 仅限工作使用 {self.reader} {self.at:%Y-%m-%d %H:%M} 导出"


def _reader(user) -> str:
    name = (user.get_full_name() if hasattr(user, "get_full_name") else "") or ""
    return f"{name}（{user.username}）" if name.strip() else user.username


def personal_export(what: str) -> Personal:
    """The reason the signed-in user states for an export of personal information (``what``
    names it, e.g. "人才名单（含完整身份证号）").  A request without one (the export link itself)
    is answered with the page that asks for it, which posts back to the same address and
    filters; a reason too short is asked for again."""
    reason = " ".join((request.form.get("reason") or "").split())
    error = None
    if request.method == "POST":
        if len(reason) >= REASON_MIN:
            return Personal(what, reason[:REASON_MAX], _reader(g.user), clock.now())
        error = f"请写明导出原因（至少 {REASON_MIN} 个字）"
    abort(make_response(render_template("console/export_reason.html", what=what, error=error,
                                        appbuilder=current_app.appbuilder,
                                        reason=reason, reason_min=REASON_MIN, reason_max=REASON_MAX),
                        400 if error else 200))


def write_xlsx(rows: Iterable[Any], columns: Columns, fh, *, sheet_title: str = "数据",
               personal: Personal | None = None) -> int:
    """Write ``rows`` (each passed to every column's getter) to the open binary file ``fh``;
    returns the number of rows written.  ``personal`` puts its watermark on the sheet."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31] or "数据")
    if personal is not None:
        # On every printed page, and in the file's own properties.
        ws.oddHeader.center.text = ws.oddFooter.center.text = personal.watermark
        wb.properties.creator = personal.reader
        wb.properties.description = f"{personal.watermark}；原因：{personal.reason}"
    bold = Font(bold=True)
    header = []
    for title, _ in columns:
        cell = WriteOnlyCell(ws, value=_cell_value(title))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for row in rows:
        ws.append([_cell_value(getter(row)) for _, getter in columns])
        count += 1
    if personal is not None:
        # Seen on screen below the data, as the page header is seen in print.
        ws.append([])
        ws.append([_cell_value(f"{personal.watermark}；原因：{personal.reason}")])
    wb.save(fh)
    return count


def stream_xlsx(rows: Iterable[Any], columns: Columns, filename: str, *,
                sheet_title: str = "数据", personal: Personal | None = None) -> Response:
    """A download of ``rows`` as ``filename`` (.xlsx).  ``columns`` is ``[(header, getter)]``
    where ``getter(row)`` returns the cell's value.  Apply the scope to ``rows`` first.
    ``personal`` (from :func:`personal_export`) when the columns hold personal information:
    the file is watermarked and the export audited with its reason and row count."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    try:
        with os.fdopen(fd, "wb") as fh:
            count = write_xlsx(rows, columns, fh, sheet_title=sheet_title, personal=personal)
        if personal is not None:
            _audit_personal(personal, filename, count)
        handle = _ClosedAtEnd(io.FileIO(path))
        size = os.fstat(handle.fileno()).st_size
    finally:
        # Unlinked at once: the open handle keeps the data readable until it is sent.
        os.unlink(path)
    # The handle, not the path: with USE_X_SENDFILE the server would open a path already gone.
    # send_file sends it in blocks (or hands it to the server's wsgi.file_wrapper).
    response = send_file(handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename,
                         conditional=False, etag=False)
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response


def _audit_personal(personal: Personal, filename: str, count: int) -> None:
    # Written before the file leaves: an export the log does not know of is never sent.
    with transaction() as session:
        audit.record("export_personal", entity="export", session=session,
                     summary=f"导出{personal.what}：{count} 行，原因：{personal.reason}",
                     changes={"file": [None, filename], "rows": [None, count], "reason": [None, personal.reason]})


class _ClosedAtEnd(io.BufferedReader):
    """A file that closes itself once read to its end, as well as when the response is closed
    (a client that reads a response without closing it leaves no file open)."""

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data and size != 0:
            self.close()
        return data


def query_rows(query, batch: int = 2000, session=None) -> Iterator[Any]:
    """Iterate a query in batches (``yield_per``) instead of loading every row at once.

    ``query`` is a legacy ``Query`` or a ``select()``; for a select of one entity or column the
    items are those (``scalars``), otherwise rows.  Apply the scope before calling."""
    if hasattr(query, "yield_per"):
        yield from query.yield_per(batch)
        return
    session = session or db.session
    result = session.execute(query, execution_options={"yield_per": batch})
    if len(result.keys()) == 1:
        yield from result.scalars()
    else:
        yield from result
