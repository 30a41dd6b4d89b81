"""Export any list to .xlsx, streamed, with no formula in any cell.

The scope is the caller's job: build the query with ``console.restrict(query, Model)``
(or through a ``ScopedInterface``) before handing its rows here, exactly as the list page does,
so an export never shows a row the list would not.

The workbook is written in openpyxl's write-only mode to a temporary file and sent from there
(``send_file``, which streams an open file), so memory stays flat at 432,000 rows.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from console.foundation import clock
from console.foundation.extensions import db

__all__ = ["neutralize", "query_rows", "stream_xlsx", "write_xlsx", "XLSX_MIMETYPE"]

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


def write_xlsx(rows: Iterable[Any], columns: Columns, fh, *, sheet_title: str = "数据") -> int:
    """Write ``rows`` (each passed to every column's getter) to the open binary file ``fh``;
    returns the number of rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31] or "数据")
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
    wb.save(fh)
    return count


def stream_xlsx(rows: Iterable[Any], columns: Columns, filename: str, *,
                sheet_title: str = "数据") -> Response:
    """A download of ``rows`` as ``filename`` (.xlsx).  ``columns`` is ``[(header, getter)]``
    where ``getter(row)`` returns the cell's value.  Apply the scope to ``rows`` first."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_xlsx(rows, columns, fh, sheet_title=sheet_title)
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
