"""Import and export rates and their peak memory, each in a process of its own.

- Import: the enterprises, written to a CSV in the importer's own columns and the same cells
  to an .xlsx, go through ``jiceng import visits enterprises FILE`` into an empty copy of the
  database (regions only); the raw reference reads the same file (``csv``, or openpyxl
  read-only) and writes it with one batched insert into another empty copy (sqlite3
  ``executemany``; psycopg2 ``execute_values``, its batched form, since its ``executemany``
  sends one statement per row).
- Export: the enterprise registry's own .xlsx export (``console.stream_xlsx`` through
  the page's export function), at 10,000 rows and at every row, drained as a download would be.

Peak memory is each process's own high-water mark (``ru_maxrss``), which it prints when done.

    python -m bench.io_bench export N        # inside the console, env JICENG_DATABASE_URL
    python -m bench.io_bench raw FILE        # the raw import reference, env BENCH_DATABASE_URL
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from . import data, servers

HEADERS = ["企业名称", "统一社会信用代码", "县(市、区)", "乡镇(街道)", "行业", "规模", "地址", "联系人",
           "联系电话"]


def _run_measured(args: list[str], env: dict) -> tuple[float, str]:
    """Run a child; returns (seconds, stdout).  Each child prints its own peak memory: the
    parent's RUSAGE_CHILDREN is a maximum over every child it ever had.  What earlier steps
    wrote (the file just made, the other side's database) is written back to disk first, so
    that no run's time includes another's writeback (a first import after the city export
    took 17.6 s, the same import again 12.8 s)."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=servers.ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return seconds, stdout


# Runs a module as ``python -m`` would, then prints the process's memory high-water mark.
_PEAK_WRAPPER = (
    "import resource, runpy, sys, json\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "else:\n"
    "    code = 0\n"
    "print('BENCH_PEAK_RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    "sys.exit(code)\n"
)


def _peak(stdout: str) -> int:
    for line in stdout.splitlines():
        if line.startswith("BENCH_PEAK_RSS "):
            return int(line.split()[1])
    return 0


def write_csv(db: data.Database, path: Path, limit: int | None) -> int:
    """The enterprises of ``db`` as the importer reads them (county and township by code)."""
    engine = create_engine(db.url)
    sql = ("SELECT e.name, e.credit_code, c.code, CASE WHEN r.level = 'township' THEN r.code END, "
           "e.industry, e.size, e.address, e.contact_person, e.contact_phone "
           "FROM visits_enterprise e JOIN region c ON c.id = e.county_id "
           "JOIN region r ON r.id = e.region_id ORDER BY e.id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    count = 0
    with engine.connect() as conn, open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for row in conn.execution_options(stream_results=True).execute(text(sql)):
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    engine.dispose()
    return count


def write_xlsx(csv_path: Path, path: Path) -> None:
    """The CSV's cells, all as text, in an .xlsx (write-only: flat memory at any size)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for record in csv.reader(fh):
            ws.append(record)
    wb.save(path)


def _count(db: data.Database) -> int:
    engine = create_engine(db.url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM visits_enterprise")).scalar()
    engine.dispose()
    return n


def import_rates(kind: str, workdir: Path, csv_path: Path, rows: int, log: Path) -> dict:
    """Console import of ``csv_path`` (a .csv or .xlsx) vs the raw reference, each into its own
    empty copy."""
    form = csv_path.suffix.lstrip(".")  # a SQLite copy is a file named by its label: one per form
    empty = data.create(kind, workdir, f"import_{form}")
    try:
        data.jiceng(empty, "init", log=log)
        data.jiceng(empty, "demo", "--regions-only", log=log)
        raw_db = data.copy(empty, workdir, f"raw_{form}")
        try:
            env = empty.env
            seconds, out = _run_measured(
                [sys.executable, "-c", _PEAK_WRAPPER, "console", "import", "visits", "enterprises",
                 str(csv_path)], env)
            console_peak = _peak(out)
            imported = _count(empty)
            raw_seconds, raw_out = _run_measured(
                [sys.executable, "-m", "bench.io_bench", "raw", str(csv_path)], raw_db.env)
            raw = json.loads(raw_out.strip().splitlines()[-1])
            raw_imported = _count(raw_db)
        finally:
            data.drop(raw_db)
    finally:
        data.drop(empty)
    if imported != rows or raw_imported != rows:
        raise RuntimeError(f"import wrote {imported} and raw {raw_imported} of {rows} rows")
    return {"rows": rows, "console_seconds": seconds, "console_peak": console_peak,
            "raw_seconds": raw_seconds, "raw_peak": raw["peak"], "raw_inner": raw["seconds"]}


def export_memory(db: data.Database, sizes: list[int]) -> list[dict]:
    out = []
    for n in sizes:
        _, stdout = _run_measured([sys.executable, "-m", "bench.io_bench", "export", str(n)],
                                     db.env)
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


# -- the children ---------------------------------------------------------------------------


def _export_child(limit: int) -> None:
    from console.app import create_app
    from console.foundation.extensions import db
    from jiceng.plugins.visits.services import enterprises as service
    from jiceng.plugins.visits.views.exporting import ENTERPRISE_COLUMNS, export

    app = create_app()
    with app.app_context():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        query = service.search(db.session)
        if limit:
            query = query.limit(limit)
        start = time.perf_counter()
        with app.test_request_context("/visits/enterprises/export/"):
            response = export(query, ENTERPRISE_COLUMNS, "企业名录")
            size = sum(len(chunk) for chunk in response.response)
        seconds = time.perf_counter() - start
        rows = query.count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "bytes": size, "baseline": baseline,
                      "peak": peak}))


def _records(path: str):
    """The data rows of the file: csv's lists, or openpyxl read-only's tuples (None for an
    empty cell)."""
    if path.endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        yield from wb.worksheets[0].iter_rows(min_row=2, values_only=True)
        wb.close()
        return
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        yield from reader


def _raw_child(path: str) -> None:
    url = os.environ["BENCH_DATABASE_URL"]
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.connect() as conn:
        regions = {code: (rid, level) for rid, code, level in
                   conn.execute(text("SELECT id, code, level FROM region"))}
    engine.dispose()
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    rows = []
    for name, code, county, township, industry, size, address, person, phone in _records(path):
        county_id = regions[county][0]
        region_id = regions[township][0] if township else county_id
        rows.append((name, code, region_id, county_id, industry or None, size or None,
                     address or None, person or None, phone or None, now))
    sql = ("INSERT INTO visits_enterprise (name, credit_code, region_id, county_id, industry, size, "
           "address, contact_person, contact_phone, created_at) VALUES ")
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.executemany(sql + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        conn.close()
    else:
        import psycopg2
        from psycopg2.extras import execute_values

        dsn = url.replace("postgresql+psycopg2://", "postgresql://")
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:
            execute_values(cur, sql + "%s", rows, page_size=1000)
        conn.close()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": len(rows), "seconds": seconds, "peak": peak}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        _export_child(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "raw":
        _raw_child(sys.argv[2])
    else:
        sys.exit("usage: python -m bench.io_bench export N | raw FILE")
