"""The benchmark harness works: a tiny run prints the table with both apps and the ratios.

Not a timed test: the numbers are whatever this machine gives; only their presence and the
shape of the table are checked.  The harness makes and drops its own databases.
"""

import os
import re
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
         "--import-rows", "300", "--profiles", "1", "--write-rates", "0,2", "--mixed-seconds", "3",
         "--results", str(results),
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


def test_bench_runs_the_mixed_phase_against_both_apps(bench_run):
    stdout, results = bench_run
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("writes/s |"))
    rows = [line.split("|") for line in lines[head + 2:head + 4]]
    assert [r[0].strip() for r in rows] == ["0", "2"]
    for cells in rows:
        assert float(cells[1].split()[0]) > 0 and float(cells[2].split()[0]) > 0  # both apps read
        assert cells[3].split()[0].endswith("x") and cells[4].split()[0].endswith("x")  # issue's figures
    done, _, refused = rows[1][6].split(",")
    assert int(done) > 0 and int(refused) == 0  # the writer's visits were accepted
    assert "mixed phase" in (results / "latest.txt").read_text()


# -- the briefing benchmark (bench/briefing.py) -----------------------------------------------


@pytest.fixture(scope="module")
def briefing_run(tmp_path_factory):
    """The briefing benchmark on a database the harness fills at demo scale itself."""
    pdfs = tmp_path_factory.mktemp("briefing-pdfs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.briefing", "--scale", "demo", "--rounds", "1", "--pdf-dir", str(pdfs),
         "--workdir", str(tmp_path_factory.mktemp("briefing-work"))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout, pdfs


def _pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def test_briefing_bench_prints_both_briefings_beside_the_plain_call(briefing_run):
    stdout, _ = briefing_run
    lines = stdout.splitlines()
    assert any(line.startswith("== briefing: 昭通市") for line in lines)
    rows = [line for line in lines if line.startswith(("summary", "with appendix", "  plain WeasyPrint"))]
    assert [r.split()[0] for r in rows] == ["summary", "plain", "with", "plain", "plain"]
    assert "briefing HTML" in rows[3] and "own print HTML" in rows[4]
    assert "1,424 rows" in rows[2]  # every village of the city
    assert len([line for line in lines if line.startswith("  ratio to plain")]) == 2
    verdicts = lines[lines.index("targets (issue 6):") + 1:][:2]
    assert [v.split()[0] in ("met", "NOT") for v in verdicts] == [True, True]
    assert "summary end to end" in verdicts[0] and "with appendix end to end" in verdicts[1]


def test_briefing_bench_pdf_has_right_page_numbers_and_links(briefing_run):
    stdout, pdfs = briefing_run
    row = next(line for line in stdout.splitlines() if line.startswith("with appendix"))
    reported = int(row.split(")")[1].split()[4])  # gather render store total pages ...
    pages = _pdf_pages(pdfs / "appendix.pdf")
    assert len(pages) == reported > 30
    info = subprocess.run(["pdfinfo", str(pdfs / "appendix.pdf")], capture_output=True, text=True).stdout
    assert f"Pages:           {reported}" in info
    for number, page in enumerate(pages[1:], start=2):  # the cover carries no number
        assert f"第 {number} 页 / 共 {reported} 页" in page, number
    # The same pages, text and links as one plain call on the same HTML ...
    assert pages == _pdf_pages(pdfs / "plain-own-appendix.pdf")
    assert _links(pdfs / "appendix.pdf") == _links(pdfs / "plain-own-appendix.pdf")
    # ... and every page the reference, the ledger printed as an HTML table, links to is still
    # linked: a village's row is one link to its page, where the table linked the village, its
    # open orders and its rebounds to that page one by one.
    external = [link for link in _links(pdfs / "appendix.pdf") if link.startswith("http")]
    villages = {link for link in external if "/nameplates/ledger/village/" in link}
    assert len(villages) == 1424
    assert set(external) == {link for link in _links(pdfs / "plain-appendix.pdf") if link.startswith("http")}


def _links(path) -> list[str]:
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(path)], capture_output=True, text=True,
                         check=True).stdout
    # pdftohtml names internal links after the file: "<file>.html#3" becomes "#3".
    return sorted(re.sub(r"^[^:#]*\.html#", "#", h) for h in re.findall(r'<a href="([^"]*)"', xml))
