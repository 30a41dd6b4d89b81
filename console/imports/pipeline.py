"""The import pipeline every module reuses: .xlsx and .csv rows, validated one by one through
the plugin's rules, written in batches in one transaction, with a report of the rejected rows.

A plugin declares what it accepts through the ``importers`` hook: an :class:`Importer` with its
:class:`Column` list and its rules.  The core's own importers (the region list) are named under
the plugin name ``"console"``.

Two passes keep memory flat and the database untouched by a bad file: the first streams the
file, validates every row and spools the valid ones to a temporary file in batches; only when
the file is acceptable does the second pass write the spooled batches in one transaction.  The
job's progress goes through a connection of its own so other requests see it meanwhile.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import pickle
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import String, insert

from console.audit import log as audit
from console.database.bulk import bulk_page_cache
from console.files.exports import neutralize
from console.files.isolated import ChildUsage, ParseBudget, open_isolated
from console.files.spreadsheets import EXCEL_MAX_COLUMNS, Sheet, SheetLimits, norm_header
from console.foundation.clock import localtime, utcnow
from console.foundation.errors import ConsoleError, ImportRefused
from console.foundation.extensions import db
from console.imports.models import IMPORT_STATES, ImportJob
from console.jobs import durable

__all__ = [
    "CORE", "Column", "Importer", "ImportRefused", "ImportResult", "Problem", "RowError",
    "run", "create_job", "job_view", "template_xlsx", "parse_date",
    "parse_int", "parse_choice", "parse_bool", "refresh_statistics",
]

log = logging.getLogger(__name__)

#: The plugin name under which the core's own importers are listed.
CORE = "console"
BATCH = 2000
# How many problems an ImportResult keeps for display; the report has all of them.
SHOWN_PROBLEMS = 200
# How many of them the job's stored summary keeps, for its page (which never reads the report).
SUMMARY_PROBLEMS = 50
PROGRESS_EVERY_SECONDS = 1.0
# An import that writes at least this many rows refreshes the database's statistics when done,
# rather than leaving the planner (and PostgreSQL's counts) to wait for autovacuum.
REFRESH_STATISTICS_AFTER = 10_000


# -- declarations ---------------------------------------------------------------------------


class RowError(ConsoleError):
    """A row that breaks a rule.  ``column`` is the column's header or field name (None when
    the problem concerns the row as a whole); ``message`` is the reason, in Chinese."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Column:
    """One column of the file.

    ``parse`` receives the cell's text (stripped, never empty) and returns the value stored
    under ``field``, or raises :class:`RowError`.  A required column must be present in the
    header and filled in every row; an optional one may be absent or empty (value None).
    ``max_length`` is the longest text the value may be; an importer that names its ``table``
    takes it from the table's column of the same name.
    """

    header: str
    field: str
    required: bool = True
    parse: Callable[[str], Any] | None = None
    aliases: tuple[str, ...] = ()
    help: str = ""
    # Personal data (an ID number): shown masked in the rejected-rows report.
    sensitive: bool = False
    max_length: int | None = None


def mask(text: str) -> str:
    """Keep the first 4 and last 4 characters of personal data, enough to find the row."""
    text = str(text)
    return text if len(text) <= 8 else text[:4] + "*" * (len(text) - 8) + text[-4:]


@dataclass(frozen=True)
class Importer:
    """A kind of file rows a plugin accepts.

    - ``prepare(session) -> ctx``: read once what validation needs (lookup caches), so that
      rows are not validated by a query each;
    - ``validate(row, ctx) -> row``: cross-field rules and duplicates (within the file through
      ``ctx``, against the database through what ``prepare`` read); raises :class:`RowError`.
      ``row["_row"]`` is the spreadsheet row number; keys starting with ``_`` are dropped
      before ``write``;
    - ``write(session, rows, ctx)``: insert one batch with a bulk statement (no ORM object per
      row), inside the import's one transaction; never commits;
    - ``template_rows``: example rows (tuples in column order) for the downloadable template;
    - ``table``: the table (or model) the rows are written to.  A column whose field is a text
      column of it is held to that column's length, so an over-long cell is a rejected row with
      its row and column, not a failed write (PostgreSQL refuses it) or a value longer than the
      column says (SQLite stores it).
    """

    kind: str
    title: str
    columns: tuple[Column, ...]
    write: Callable[[Any, list[dict], Any], Any]
    validate: Callable[[dict, Any], dict | None] | None = None
    prepare: Callable[[Any], Any] | None = None
    template_rows: tuple[tuple, ...] = ()
    description: str = ""
    batch_size: int = BATCH
    table: Any = None

    def __post_init__(self):
        columns = tuple(self.columns)
        if self.table is not None:
            table = getattr(self.table, "__table__", self.table)
            columns = tuple(_held_to_table(c, table) for c in columns)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "template_rows", tuple(tuple(r) for r in self.template_rows))

    def header_of(self, name: str | None) -> str:
        """The header shown for a column named by its field or its header."""
        for col in self.columns:
            if name in (col.field, col.header):
                return col.header
        return name or ""


def _held_to_table(column: Column, table) -> Column:
    target = table.c.get(column.field)
    if column.max_length is not None or target is None or not isinstance(target.type, String):
        return column
    if target.type.length is None:  # TEXT: no limit to hold to
        return column
    return replace(column, max_length=target.type.length)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    state: str  # succeeded | rejected | partial | failed (see models.IMPORT_STATES)
    rows_total: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    report: bytes | None = None  # .xlsx of the rejected rows, None when there are none
    message: str = ""
    job_id: int | None = None

    @property
    def state_title(self) -> str:
        return IMPORT_STATES.get(self.state, self.state)


# -- parsers plugins reuse ------------------------------------------------------------------

_DATE_RES = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(text: str) -> dt.date:
    """2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 or 20250301."""
    for pattern in _DATE_RES:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise RowError(f"“{text}”不是有效的日期（例如 2025-03-01）")


def parse_int(text: str, *, min: int | None = None, max: int | None = None) -> int:
    try:
        value = int(text.replace(",", ""))
    except ValueError:
        raise RowError(f"“{text}”不是整数") from None
    if min is not None and value < min:
        raise RowError(f"不能小于 {min}")
    if max is not None and value > max:
        raise RowError(f"不能大于 {max}")
    return value


def parse_choice(choices) -> Callable[[str], str]:
    """A parser accepting one of ``choices`` (a list, or a mapping of accepted text -> value)."""
    mapping = dict(choices) if isinstance(choices, dict) else {c: c for c in choices}

    def _parse(text: str):
        if text in mapping:
            return mapping[text]
        raise RowError(f"“{text}”不是可选值，应为：{'、'.join(mapping)}")

    return _parse


def parse_bool(text: str) -> bool:
    if text in ("是", "Y", "y", "yes", "true", "TRUE", "True", "1"):
        return True
    if text in ("否", "N", "n", "no", "false", "FALSE", "False", "0"):
        return False
    raise RowError(f"“{text}”应为“是”或“否”")


def _match_header(importer: Importer, cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map each declared field to its column index; return it and the required headers missing."""
    names = [norm_header(c) for c in cells]
    positions: dict[str, int] = {}
    for col in importer.columns:
        accepted = {norm_header(col.header), *(norm_header(a) for a in col.aliases)}
        found = [i for i, name in enumerate(names) if name in accepted]
        if len(found) > 1:
            raise ImportRefused(f"列“{col.header}”在表头中出现了 {len(found)} 次")
        if found:
            positions[col.field] = found[0]
    missing = [c.header for c in importer.columns if c.required and c.field not in positions]
    return positions, missing


# -- the report -----------------------------------------------------------------------------


def _safe(value):
    """Text for an .xlsx cell: no control characters, no formula."""

    if isinstance(value, str):
        return neutralize(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# What one row of the report may hold: the file's cells after the report's own three columns
# (row, column, reason), within the columns an .xlsx may have (openpyxl refuses a row beyond
# column 18,278, Excel opens none beyond 16,384), each cell within what an Excel cell holds.
REPORT_MAX_CELLS = EXCEL_MAX_COLUMNS - 3
REPORT_MAX_CELL_CHARS = 32_767


def _cut(cells: list[str], width: int) -> tuple[list[str], bool]:
    """``cells`` held to ``width`` cells of at most REPORT_MAX_CELL_CHARS; whether any was cut."""
    cut = len(cells) > width
    cells = cells[:width]
    if any(len(c) > REPORT_MAX_CELL_CHARS for c in cells):
        cut = True
        cells = [c[:REPORT_MAX_CELL_CHARS] for c in cells]
    return cells, cut


class _Report:
    """The rejected rows, written as they are found (write-only workbook, flat memory).  A row
    wider than an .xlsx allows, or a cell longer than an Excel cell, is cut, and its reason
    says so."""

    def __init__(self, headers: list[str], masked: set[int] = frozenset()):
        self.headers, _ = _cut([str(h) for h in headers], REPORT_MAX_CELLS)
        self.masked = masked  # indexes of sensitive columns
        self.wb = self.ws = None
        self.count = 0

    def add(self, problem: Problem, cells: list[str]) -> None:
        if self.ws is None:  # made on the first problem: an unsaved write-only book leaks
            self.wb = Workbook(write_only=True)
            self.ws = self.wb.create_sheet("不合格的行")
            self.ws.append(["行号", "列", "原因", *[_safe(h) for h in self.headers]])
        width = len(cells)
        cells, cut = _cut(cells, REPORT_MAX_CELLS)
        shown = [mask(c) if i in self.masked and c else c for i, c in enumerate(cells)]
        reason = problem.reason[:REPORT_MAX_CELL_CHARS - 200]
        if cut:
            reason += (f"（此行共 {width:,} 列，报告中只保留前 {len(cells):,} 列、每格前 "
                       f"{REPORT_MAX_CELL_CHARS:,} 个字，其余已截断）")
        # The reason quotes the cell, control characters and all.
        self.ws.append([problem.row, _safe(problem.column[:1000] if problem.column else problem.column),
                        _safe(reason), *[_safe(c) for c in shown]])
        self.count += 1

    def finish(self) -> bytes | None:
        if self.wb is None:
            return None
        with tempfile.TemporaryFile() as fh:
            self.wb.save(fh)
            fh.seek(0)
            data = fh.read()
        self.wb = None
        return data

    def discard(self) -> None:
        """After a failure: a write-only book must be saved to release its temporary file."""
        if self.wb is not None:
            with tempfile.TemporaryFile() as fh:
                self.wb.save(fh)
            self.wb = None


# -- jobs and progress ----------------------------------------------------------------------


def _job_update(job_id: int | None, **values) -> None:
    """Progress, visible to others while the import's transaction is still open."""
    durable.update_row(ImportJob, job_id, **values)


def create_job(plugin: str, kind: str, filename: str, *, all_or_nothing: bool = True,
               user_id: int | None = None) -> int:
    """A queued job row, committed at once so every worker can see it."""
    with db.engine.begin() as conn:
        result = conn.execute(insert(ImportJob).values(
            plugin=plugin, kind=kind, filename=filename[:255], state="queued",
            all_or_nothing=all_or_nothing, rows_total=0, rows_done=0, rows_written=0,
            rows_rejected=0, created_by_id=user_id, created_at=utcnow(),
        ))
        return result.inserted_primary_key[0]


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config.get("IMPORTS_STALE_SECONDS", 300))


def job_view(job: ImportJob) -> dict:
    """What a job page shows; a running job whose worker stopped beating is shown as failed."""
    state, error = job.state, job.error
    if state in ("queued", "running"):
        if durable.is_stale(job.heartbeat_at or job.created_at, stale_after()):
            state = "failed"
            error = "导入进程已中断（工作进程可能已重启或退出），未写入任何数据，请重新导入"
    total = max(job.rows_total or 0, job.rows_done or 0)
    if state in ("succeeded", "rejected", "partial"):
        percent = 100
    else:
        percent = int(100 * (job.rows_done or 0) / total) if total else 0
    return {
        "id": job.id, "plugin": job.plugin, "kind": job.kind, "filename": job.filename,
        "state": state, "state_title": IMPORT_STATES.get(state, state),
        "finished": state not in ("queued", "running"), "all_or_nothing": job.all_or_nothing,
        "rows_total": job.rows_total, "rows_done": job.rows_done,
        "rows_written": job.rows_written, "rows_rejected": job.rows_rejected,
        "percent": min(percent, 100), "error": error,
        # Beijing time, as every page shows a time (the status JSON feeds the job page too).
        "created_at": localtime(job.created_at, "%Y-%m-%d %H:%M:%S") or None,
        "finished_at": localtime(job.finished_at, "%Y-%m-%d %H:%M:%S") or None,
        **_summary_view(job),
    }


def job_summary(result: ImportResult) -> str:
    """What a finished job's pages show, stored with the job as JSON: the counts and the first
    problems with their row and column.  Pages read this, never the report (a 26 MB report
    took 18.9 s to read back on every view)."""
    return json.dumps({
        "rows_total": result.rows_total, "rows_written": result.rows_written,
        "rows_rejected": result.rows_rejected, "report": result.report is not None,
        "problems": [[p.row, p.column, p.reason] for p in result.problems[:SUMMARY_PROBLEMS]],
        "problems_shown_of": len(result.problems),
    }, ensure_ascii=False)


def _summary_view(job: ImportJob) -> dict:
    """The stored summary's problems; a job finished before summaries were kept has none, and
    its page sends to the report instead."""
    try:
        summary = json.loads(job.summary) if job.summary else None
    except ValueError:
        summary = None
    if not isinstance(summary, dict):
        return {"problems": [], "has_summary": False}
    problems = [list(p) for p in summary.get("problems") or () if isinstance(p, (list, tuple))]
    return {"problems": problems, "has_summary": True}


# -- the pipeline ---------------------------------------------------------------------------


class _Spool:
    """Valid rows pickled batch by batch to a temporary file, read back for writing."""

    def __init__(self):
        self.fh = tempfile.TemporaryFile()
        self.batches = 0

    def add(self, rows: list[dict]) -> None:
        pickle.dump(rows, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1

    def __iter__(self):
        self.fh.seek(0)
        for _ in range(self.batches):
            yield pickle.load(self.fh)  # noqa: S301 - our own file, written just above

    def close(self):
        self.fh.close()


class _Plan:
    """What parsing a row needs, looked up once per file rather than once per cell: each
    column's (field, header, cell index, required, parse, max_length).  ``parse`` cuts or pads
    the cells to those the columns read plus one always empty, which a column absent from the
    header reads."""

    def __init__(self, importer: Importer, positions: dict[str, int]):
        self.width = max(positions.values(), default=-1) + 1
        self.padding = [""] * (self.width + 1)
        self.columns = [(c.field, c.header, positions.get(c.field, self.width), c.required,
                         c.parse, c.max_length) for c in importer.columns]

    def parse(self, cells: list[str], number: int) -> tuple[dict[str, Any], list[Problem]]:
        cells = cells[:self.width] + self.padding[min(len(cells), self.width):]
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        for field_, header, index, required, parse, limit in self.columns:
            value = cells[index]
            if not value:
                if required:
                    problems.append(Problem(number, header, "不能为空"))
                value = None
            elif parse is not None:
                try:
                    value = parse(value)
                except RowError as exc:
                    problems.append(Problem(number, header, exc.message))
                    continue
                except (ValueError, TypeError):
                    problems.append(Problem(number, header, f"“{value}”格式不正确"))
                    continue
            # The stored value's length: a parser may normalize (a credit code typed with spaces).
            if limit and type(value) is str and len(value) > limit:
                problems.append(Problem(number, header, f"不能超过 {limit} 个字"))
            row[field_] = value
        return row, problems


def run(importer: Importer, file_path: str, *, plugin: str | None = None, job: int | None = None,
        all_or_nothing: bool = True, user_id: int | None = None,
        filename: str | None = None, usage: ChildUsage | None = None) -> ImportResult:
    """Import ``file_path`` through ``importer``.

    ``job`` is the id of an :class:`ImportJob` row to report progress to (one is created when
    ``plugin`` is given and ``job`` is not).  With ``all_or_nothing`` one rejected row leaves
    the database exactly as it was; otherwise the valid rows are written and the rejected ones
    reported.  A file that cannot be read at all raises :class:`ImportRefused` (the job is
    marked failed with the same message).  The file is parsed in a child process within
    config.py's ``IMPORTS_PARSE_*`` budget (``console.files.isolated``); ``usage``, when given,
    receives what that child used.  Audited as ``import``.
    """
    filename = filename or os.path.basename(file_path)
    if job is None and plugin is not None:
        job = create_job(plugin, importer.kind, filename, all_or_nothing=all_or_nothing,
                         user_id=user_id)
    now = utcnow()
    _job_update(job, state="running", heartbeat_at=now)
    try:
        result = _run(importer, file_path, job, all_or_nothing, filename, plugin, usage)
    except ImportRefused as exc:
        db.session.rollback()
        _job_update(job, state="failed", error=exc.message, finished_at=utcnow())
        raise
    except Exception:
        db.session.rollback()
        log.exception("import %s of %s failed", importer.kind, filename)
        message = "导入时发生内部错误，已全部回滚，未写入任何数据；错误已记录日志"
        _job_update(job, state="failed", error=message, finished_at=utcnow())
        return ImportResult(state="failed", message=message, job_id=job)
    result.job_id = job
    if result.rows_written >= REFRESH_STATISTICS_AFTER:
        refresh_statistics()
    _job_update(job, state=result.state, rows_total=result.rows_total,
                rows_done=result.rows_total, rows_written=result.rows_written,
                rows_rejected=result.rows_rejected, report=result.report,
                summary=job_summary(result),
                error=None if result.state == "succeeded" else result.message,
                finished_at=utcnow(), heartbeat_at=utcnow())
    return result


def refresh_statistics() -> None:
    """ANALYZE after a bulk load; on PostgreSQL VACUUM ANALYZE, as ``count(*)`` is an
    index-only scan only over pages the visibility map knows to be all-visible (right after a
    bulk load it reads the whole table).  SQLite's from a sample of each index (what its own
    ``PRAGMA optimize`` does): a full ANALYZE reads every index of 432,000 rows again."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
            conn.exec_driver_sql("ANALYZE")


def _run(importer, file_path, job, all_or_nothing, filename, plugin, usage) -> ImportResult:
    session = db.session
    config = current_app.config
    sheet = open_isolated(file_path, filename, SheetLimits.from_config(config),
                          ParseBudget.from_config(config), usage)
    spool = _Spool()
    closers = [spool.close, sheet.close]
    try:
        header_number, header, positions = _find_header(importer, sheet)
        ctx = importer.prepare(session) if importer.prepare else None
        report = _Report(header, {positions[c.field] for c in importer.columns
                                  if c.sensitive and c.field in positions})
        closers.append(report.discard)
        plan = _Plan(importer, positions)
        problems: list[Problem] = []
        total = valid = rejected = 0
        batch: list[dict] = []
        shape: set[str] = set()  # the keys of the last valid row, and those of them to drop
        private: list[str] = []
        last_beat = time.monotonic()
        _job_update(job, rows_total=sheet.estimated_rows or 0)
        for number, cells in sheet.rows:
            if number <= header_number or not any(cells):
                continue
            total += 1
            row, row_problems = plan.parse(cells, number)
            if not row_problems and importer.validate:
                row["_row"] = number
                try:
                    checked = importer.validate(row, ctx)
                    row = row if checked is None else checked
                except RowError as exc:
                    row_problems.append(Problem(number, importer.header_of(exc.column), exc.message))
            if row_problems:
                rejected += 1
                for p in row_problems:
                    report.add(p, cells)
                    if len(problems) < SHOWN_PROBLEMS:
                        problems.append(p)
            else:
                valid += 1
                if row.keys() != shape:  # rows of one importer have the same keys: look once
                    shape = set(row)
                    private = [k for k in shape if k.startswith("_")]
                for key in private:
                    del row[key]
                batch.append(row)
                if len(batch) >= importer.batch_size:
                    spool.add(batch)
                    batch = []
            if time.monotonic() - last_beat >= PROGRESS_EVERY_SECONDS:
                last_beat = time.monotonic()
                _job_update(job, rows_done=total, rows_rejected=rejected, heartbeat_at=utcnow(),
                            rows_total=max(sheet.estimated_rows, total))
        if batch:
            spool.add(batch)
        if total == 0:
            raise ImportRefused("文件中只有表头，没有数据行")
        _job_update(job, rows_done=total, rows_total=total, rows_rejected=rejected,
                    heartbeat_at=utcnow())

        written = 0
        nothing = all_or_nothing and rejected
        if not nothing:
            written = _write(importer, session, spool, ctx, job)
        state = "succeeded" if not rejected else ("rejected" if nothing else "partial")
        message = _summary(importer, filename, total, written, rejected, state)
        audit.record("import", entity=f"{plugin or CORE}.{importer.kind}", entity_id=job,
                     summary=message, session=session,
                     changes={"rows_total": [None, total], "rows_written": [None, written],
                              "rows_rejected": [None, rejected]})
        session.commit()
        return ImportResult(state=state, rows_total=total, rows_written=written,
                            rows_rejected=rejected, problems=problems, report=report.finish(),
                            message=message)
    finally:
        for close in closers:
            close()


def _find_header(importer: Importer, sheet: Sheet):
    """The header is the first row holding every required column, among the first ten (a title
    row above it is common); row numbers stay those of the spreadsheet."""
    first = None
    for number, cells in sheet.rows:
        if not any(cells):
            if number >= 10:
                break
            continue
        positions, missing = _match_header(importer, cells)
        if first is None:
            first = missing
        if not missing:
            return number, cells, positions
        if number >= 10:
            break
    if first is None:
        raise ImportRefused("文件中没有表头行，也没有数据")
    expected = "、".join(c.header for c in importer.columns if c.required)
    raise ImportRefused(f"缺少必需的列：{'、'.join(first)}。表头（第一行）应包含：{expected}")


def _write(importer, session, spool, ctx, job) -> int:
    # SQLite allows one writer: progress updates from another connection would wait for this
    # transaction, so they are left to the end there.
    concurrent = db.engine.dialect.name != "sqlite"
    written = 0
    with bulk_page_cache(session):
        for rows in spool:
            result = importer.write(session, rows, ctx)
            written += result if isinstance(result, int) else len(rows)
            if concurrent:
                _job_update(job, rows_written=written, heartbeat_at=utcnow())
        session.flush()
    return written


def _summary(importer, filename, total, written, rejected, state) -> str:
    head = f"导入“{importer.title}”文件 {filename}：共 {total} 行"
    if state == "succeeded":
        return f"{head}，全部写入（{written} 行）"
    if state == "rejected":
        return f"{head}，其中 {rejected} 行不合格；按“全部合格才导入”的规则，未写入任何数据"
    return f"{head}，写入 {written} 行，跳过不合格的 {rejected} 行"


# -- templates ------------------------------------------------------------------------------


def template_xlsx(importer: Importer) -> bytes:
    """An .xlsx with the header row, the example rows and a sheet explaining the columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = importer.title[:31]
    ws.append([c.header for c in importer.columns])
    for row in importer.template_rows:
        ws.append([_safe(v) for v in row])
    for i, col in enumerate(importer.columns, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(col.header) * 2 + 4)
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "是否必填", "说明"])
    for col in importer.columns:
        aliases = f"（也可写作：{'、'.join(col.aliases)}）" if col.aliases else ""
        notes.append([col.header, "必填" if col.required else "选填", col.help + aliases])
    if importer.description:
        notes.append([])
        notes.append([importer.description])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
