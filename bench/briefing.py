"""The briefing benchmark: a full-city monthly briefing with and without the village appendix,
phase by phase (gather, render, store), beside one plain WeasyPrint call on the same final HTML.

``python -m bench.briefing [--scale demo|city]`` builds its own SQLite database (or uses
``--database-url``) and prints the figures; ``python -m bench`` runs it too (``--no-briefing``
skips it).  The measuring runs in a child process (``--measure``) on the console's own app, and
every WeasyPrint layout runs in a process of its own, whose peak RSS is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import data

# The synthetic ledger stands in for the nameplates module's appendix where that module does
# not offer one: the same columns, a link on the village and on its open orders.
VILLAGE_COLUMNS = ["县(市、区)", "乡镇(街道)", "村(社区)", "台账状态", "最近检查", "未销号整改", "反弹", "逾期"]
VILLAGE_WIDTHS = [12, 16, 22, 10, 13, 10, 8, 9]


def _synthetic_ledger(session, city):
    from console.briefings.sections import Cell, Section, Table, as_data
    from console.regions.models import Region

    villages = (session.query(Region).filter(Region.level == "village", Region.path.startswith(city.path))
                .order_by(Region.path).all())
    above = {r.id: r for r in session.query(Region).filter(Region.level.in_(("county", "township")))}
    rows = []
    for i, v in enumerate(villages):
        township = above[v.parent_id]
        rows.append([above[township.parent_id].name, township.name,
                     Cell(v.name, f"/nameplates/ledger/?region={v.id}"), "已挂牌" if i % 3 else "待整改",
                     (dt.date(2025, 12, 1) + dt.timedelta(days=i % 28)).isoformat(),
                     Cell(i % 4, f"/nameplates/orders/?region={v.id}"), i % 2, "是" if i % 7 == 0 else ""])
    table = Table(f"{city.name}村级挂牌台账（{len(rows)} 个村(社区)）", VILLAGE_COLUMNS, rows, widths=VILLAGE_WIDTHS)
    return as_data(Section("", appendix=[table]))["appendix"]


def _gather(city, period, appendix: bool):
    from console.briefings import document
    from console.foundation.extensions import db

    if "appendix" in inspect.signature(document.gather).parameters:
        snapshot = document.gather(city, period, None, appendix=appendix)
        if not appendix or any(s.get("appendix") for s in snapshot["sections"]):
            return snapshot, "nameplates"
    snapshot = document.gather(city, period, None)
    if appendix:
        snapshot["sections"][-1]["appendix"] = _synthetic_ledger(db.session, city)
    return snapshot, "synthetic"


def _plain(html: str, base_url: str, tmp: Path, keep: Path | None) -> dict:
    """One plain WeasyPrint call on ``html`` in a fresh process: seconds, pages, bytes, RSS;
    its PDF kept as ``keep``."""
    source = tmp / "plain.html"
    source.write_text(html, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "bench.briefing", "--plain", str(source), base_url,
                          str(keep or "")],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _plain_child(source: str, base_url: str, keep: str) -> None:
    from console.briefings import render

    html = Path(source).read_text(encoding="utf-8")
    cpu, start = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    result = render.render_html(html, base_url)
    seconds = time.perf_counter() - start
    if keep:
        Path(keep).write_bytes(result.pdf)
    print(json.dumps({"render": seconds, "cpu": _cpu(resource.RUSAGE_SELF) - cpu, "pages": result.pages,
                      "bytes": len(result.pdf), "rss": result.peak_rss}))


def _cpu(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


ROUNDS = 3  # each briefing and each plain call this many times, alternately; medians reported


def measure(pdf_dir: Path | None = None, rounds: int = ROUNDS) -> dict:
    """In the app: both briefings of the last complete month for the whole city, timed.  Each
    measurement is taken ``rounds`` times, the briefing and its plain calls alternately, and
    the median round reported: a summary briefing takes a second or two, within the noise of a
    shared machine."""
    from console.briefings import periods, render, runs
    from console.foundation import clock
    from console.foundation.extensions import db
    from console.regions.models import Region

    city = db.session.query(Region).filter_by(level="city").one()
    period = periods.last_complete("month", clock.today())
    out = {"period": period.title, "region": city.name, "rounds": rounds}
    # As in the scheduler, which starts the renderer's fork server when it starts.
    render.start_renderer()
    with tempfile.TemporaryDirectory(prefix="bench-briefing-") as tmp:
        for kind, appendix in (("summary", False), ("appendix", True)):
            taken = {"console": [], "plain": [], "plain_own": []}
            for _ in range(rounds):
                figures, snapshot, html = _briefing(city, period, appendix, pdf_dir and pdf_dir / f"{kind}.pdf")
                taken["console"].append(figures)
                base = runs.base_url()
                # The reference: the briefing's HTML as the preview shows it, ledgers as HTML
                # tables, in one plain call.
                taken["plain"].append(_plain(document_html(snapshot, base, ledger_tables=True), base, Path(tmp),
                                             pdf_dir and pdf_dir / f"plain-{kind}.pdf"))
                if appendix:
                    # And the renderer's own HTML (ledgers as lines of text) in one plain call:
                    # what the layout change gives alone.
                    taken["plain_own"].append(_plain(html, base, Path(tmp),
                                                     pdf_dir and pdf_dir / f"plain-own-{kind}.pdf"))
            out[kind] = _median(taken["console"], lambda f: f["gather"] + f["render"] + f["store"])
            out[kind]["plain"] = _median(taken["plain"], lambda f: f["render"])
            if taken["plain_own"]:
                out[kind]["plain_own"] = _median(taken["plain_own"], lambda f: f["render"])
    return out


def _median(rounds: list[dict], key) -> dict:
    return dict(sorted(rounds, key=key)[len(rounds) // 2])


def document_html(snapshot: dict, base: str, **options) -> str:
    from console.briefings import document

    return document.html(snapshot, base_url=base, **options)


def _briefing(city, period, appendix: bool, keep: Path | None) -> tuple[dict, dict, str]:
    """One briefing end to end as a run makes it: gather, lay out, store."""
    from flask import current_app

    from console.briefings import render, runs
    from console.briefings.models import BriefingRun
    from console.foundation.clock import utcnow
    from console.foundation.extensions import db

    base = runs.base_url()
    start = time.perf_counter()
    snapshot, source = _gather(city, period, appendix)
    gathered = time.perf_counter()
    html = document_html(snapshot, base)
    # The briefing's own memory budget; time is what is measured, so no time limit that a busy
    # machine could trip.
    result = render.render_pdf(html, base_url=base, timeout=6 * 3600,
                               memory_mb=int(current_app.config.get("BRIEFING_RENDER_MEMORY_MB", 1536)))
    rendered = time.perf_counter()
    run = BriefingRun(region_id=city.id, period=period.key, state="succeeded", attempt=1,
                      created_at=utcnow(), finished_at=utcnow(), snapshot_id=snapshot["id"],
                      snapshot=json.dumps(snapshot, ensure_ascii=False), pdf=result.pdf,
                      pages=result.pages, size=len(result.pdf))
    db.session.add(run)
    db.session.commit()
    stored = time.perf_counter()
    if keep is not None:
        keep.write_bytes(result.pdf)
    rows = sum(len(t["rows"]) for s in snapshot["sections"] for t in s.get("appendix", ()))
    figures = {"gather": gathered - start, "render": rendered - gathered, "store": stored - rendered,
               "pages": result.pages, "bytes": len(result.pdf), "rss": result.peak_rss, "cpu": result.cpu,
               "rows": rows, "source": source}
    return figures, snapshot, html


def run(workdir: Path, scale: str, database_url: str | None = None, pdf_dir: Path | None = None,
        rounds: int = ROUNDS) -> dict:
    """Measure on ``database_url``, or on a new SQLite database filled by ``jiceng demo``."""
    db = data.create("sqlite", workdir, "briefing")
    if database_url:
        db.url = database_url
    else:
        log = workdir / "briefing-commands.log"
        db.timings["init"] = data.jiceng(db, "init", log=log)
        db.timings["demo"] = data.jiceng(db, "demo", "--scale", scale, log=log)
    cmd = [sys.executable, "-m", "bench.briefing", "--measure", "--rounds", str(rounds)]
    if pdf_dir is not None:
        cmd += ["--pdf-dir", str(pdf_dir)]
    proc = subprocess.run(cmd, env=db.env, cwd=data.servers.ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"briefing benchmark failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["database"] = "SQLite" if db.url.startswith("sqlite") else db.url.split(":", 1)[0]
    figures["scale"] = scale
    return figures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.briefing", description=__doc__)
    p.add_argument("--scale", choices=["demo", "city"], default="city")
    p.add_argument("--database-url", help="measure on this (filled) database instead of a new one")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--pdf-dir", type=Path, default=None,
                   help="keep the PDFs here: summary.pdf, appendix.pdf and the plain calls' plain-*.pdf")
    p.add_argument("--rounds", type=int, default=ROUNDS,
                   help=f"times each briefing and plain call is made, alternately; medians reported ({ROUNDS})")
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--plain", nargs=3, metavar=("HTML", "BASE_URL", "KEEP"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.plain:
        _plain_child(*args.plain)
        return 0
    if args.measure:
        from console.app import create_app

        with create_app().app_context():
            print(json.dumps(measure(args.pdf_dir, args.rounds)))
        return 0
    from . import report

    with tempfile.TemporaryDirectory(prefix="jiceng-bench-briefing-", dir=args.workdir) as tmp:
        figures = run(Path(tmp), args.scale, args.database_url, args.pdf_dir, args.rounds)
    print("\n".join(report.briefing_lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
