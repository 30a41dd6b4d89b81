"""``python -m bench`` (``make bench``): the console beside a bare Flask-AppBuilder app at city
scale, on SQLite and PostgreSQL; prints one table and writes it to bench/results/latest.txt."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from . import briefing, data, report, run

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--scale", choices=["demo", "city"], default="city",
                   help="jiceng demo --scale: demo (3,000 enterprises) or city (432,000)")
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--requests", type=int, default=60, help="sequential requests per endpoint and app")
    p.add_argument("--concurrent-requests", type=int, default=400, help="requests per app from the clients")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=30.0,
                   help="seconds at most per endpoint and app (a concurrent phase: 3x)")
    p.add_argument("--memory-requests", type=int, default=1000)
    p.add_argument("--import-rows", type=int, default=None, help="rows imported (default: all)")
    p.add_argument("--no-io", action="store_true", help="skip the import and export measurements")
    p.add_argument("--no-briefing", action="store_true", help="skip the briefing benchmark (bench/briefing.py)")
    p.add_argument("--write-rates", default="0,2,10",
                   help="the mixed phase's writes per second, comma-separated ('' skips the phase)")
    p.add_argument("--mixed-seconds", type=float, default=30.0, help="seconds of reads per write rate and app")
    p.add_argument("--mixed-only", action="store_true",
                   help="only the mixed phase (no memory, sequential, concurrent, profiles, I/O, briefing)")
    p.add_argument("--profiles", type=int, default=3, help="slowest console endpoints to profile")
    p.add_argument("--results", type=Path, default=RESULTS, help="where latest.txt and profiles/ go")
    p.add_argument("--workdir", type=Path, default=None, help="temporary files (default: a new temp dir)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in kinds and not data.postgres_available():
        if args.database == "postgres":
            print("PostgreSQL does not answer (BENCH_POSTGRES_URL or 127.0.0.1:5432)", file=sys.stderr)
            return 1
        print("PostgreSQL does not answer: SQLite only", file=sys.stderr)
        kinds = ["sqlite"]
    opts = run.Options(scale=args.scale, requests=args.requests,
                       concurrent_requests=args.concurrent_requests, clients=args.clients,
                       duration=args.duration, memory_requests=args.memory_requests,
                       io=not args.no_io, import_rows=args.import_rows, profiles=args.profiles,
                       results_dir=args.results,
                       write_rates=tuple(float(r) for r in args.write_rates.split(",") if r.strip()),
                       mixed_seconds=args.mixed_seconds, mixed_only=args.mixed_only)
    if opts.scale != "city":
        opts.export_sizes = (1_000, 0)
    info = report.machine()
    workdir = Path(tempfile.mkdtemp(prefix="jiceng-bench-", dir=args.workdir))
    args.results.mkdir(parents=True, exist_ok=True)
    results = []
    for kind in kinds:
        try:
            results.append(run.run(kind, workdir, opts))
        except Exception:
            # What was measured is still written; the logs stay for a look.
            if results:
                (args.results / "latest.txt").write_text(report.render(results, info, opts))
            print(f"the run failed; its files (server logs, commands.log) are kept in {workdir}",
                  file=sys.stderr)
            raise
        # Written after each database, so a failure later keeps what was measured.
        (args.results / "latest.txt").write_text(report.render(results, info, opts))
    text = report.render(results, info, opts)
    if not args.no_briefing and not args.mixed_only:
        print("briefing: jiceng demo on a new SQLite database, then both briefings ...", flush=True)
        figures = briefing.run(workdir, args.scale)
        text += "\n".join(report.briefing_lines(figures)) + "\n"
        (args.results / "latest.txt").write_text(text)
    shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
