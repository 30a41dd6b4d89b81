"""The benchmark harness works: a tiny run prints the table with both apps and the ratios.

Not a timed test: the numbers are whatever this machine gives; only their presence and the
shape of the table are checked.  The harness makes and drops its own databases.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parent.parent
# The harness's own check; its PostgreSQL path is the same code with another URL, and the suite's
# PostgreSQL pass leaves it out (`make test`), keeping the run short.
pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench-results")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_")}
    if BACKEND == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ.get(
            "JICENG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "demo", "--database", BACKEND, "--requests", "3",
         "--concurrent-requests", "24", "--clients", "4", "--memory-requests", "30", "--duration", "20",
         "--import-rows", "300", "--profiles", "1", "--results", str(results),
         "--workdir", str(tmp_path_factory.mktemp("bench-work"))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout, results


def test_bench_prints_one_table_with_both_apps_and_their_ratios(bench_run):
    stdout, _ = bench_run
    header = next(line for line in stdout.splitlines() if line.startswith("endpoint"))
    assert header.count("p95") == 3 and header.count("SQL") == 3 and header.count("RSS") == 3
    assert "console" in stdout and "bare FAB" in stdout and "console / bare" in stdout
    rows = {line.split("|")[0].strip(): line for line in stdout.splitlines() if line.count("|") == 3}
    for shared in ("list page 1", "list page 10,000", "list by county", "search by name", "show page",
                   "REST list", "REST item", "4 clients, mixed", "4 clients, list page 1"):
        cells = rows[shared].split("|")
        assert "n/a" not in cells[2], shared  # the bare app answered it too
        assert cells[3].strip().split()[1].endswith("x"), shared  # a p95 ratio
    # Pages only the console has are marked, not left out.
    assert rows["home dashboard"].split("|")[2].split() == ["n/a"] * 5


def test_bench_counts_sql_queries_per_request_in_both_apps(bench_run):
    stdout, _ = bench_run
    row = next(line for line in stdout.splitlines() if line.startswith("list page 1 "))
    console_sql = int(row.split("|")[1].split()[3])
    bare_sql = int(row.split("|")[2].split()[3])
    assert console_sql > 0 and bare_sql > 0


def test_bench_reports_targets_io_and_writes_the_results_file(bench_run):
    stdout, results = bench_run
    assert "targets (issue 7):" in stdout
    assert "CSV import of 300 enterprises" in stdout and ".xlsx export of" in stdout
    assert "worker RSS after 10 requests" in stdout
    written = (results / "latest.txt").read_text()
    assert "machine:" in written and "cores" in written and "endpoint" in written
    assert list((results / "profiles").glob("*.txt"))
