"""The hostile-file benchmark: the hostile corpus (tests/hostile_corpus.py) through the region
list's import, one file at a time, on a SQLite database of its own.

``python -m bench.hostile_files [--memory-mb N] [--cpu-seconds N]`` prints, per file, what
became of it (the refusal's reason, or the rows read), the importing (parent) process's peak
resident memory above what it held before the file, the parsing child's peak, and the time,
beside the bounds: the tests' ``PARENT_RSS_BOUND_MB`` and the child's budget
(``IMPORTS_PARSE_MEMORY_MB``).  A child that was stopped (over its budget, or no longer needed
once the header was refused) reports no peak: "-".  SECURITY.md quotes its figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

MB = 1024 * 1024


def _status(field: str) -> int:
    """A figure of /proc/self/status, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    """Make VmHWM (the peak resident memory) start again from now (Linux 4.0 and later)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _app(workdir: Path, memory_mb: int | None, cpu_seconds: int | None):
    from console.app import create_app

    os.environ["JICENG_INSTANCE_PATH"] = str(workdir / "instance")
    config = {"DATABASE_URL": "sqlite:///" + str(workdir / "hostile.db"), "TESTING": True,
              "SECRET_KEY": "hostile-files-bench", "INSTANCE_FOR_TESTS": str(workdir / "instance")}
    if memory_mb:
        config["IMPORTS_PARSE_MEMORY_MB"] = memory_mb
    if cpu_seconds:
        config["IMPORTS_PARSE_CPU_SECONDS"] = cpu_seconds
    app = create_app(config)
    runner = app.test_cli_runner()
    for args in (["init"], ["demo", "--regions-only"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise RuntimeError(result.output)
    return app


def _import(app, path: str, name: str):
    """One file through the region list's import, as the upload page runs it; its outcome."""
    from flask import g

    from console.files.isolated import ChildUsage
    from console.foundation.errors import ImportRefused
    from console.foundation.extensions import db
    from console.imports import catalog
    from console.imports import pipeline as imports
    from console.security.users import ConsoleUser

    usage = ChildUsage()
    with app.test_request_context():
        g.user = db.session.query(ConsoleUser).filter_by(username="admin").one()
        try:
            result = imports.run(catalog.find(imports.CORE, "regions"), path, plugin=imports.CORE,
                                 user_id=g.user.id, filename=name, usage=usage)
            outcome = f"读取 {result.rows_total} 行：{result.state_title}"
        except ImportRefused as exc:
            outcome = "拒绝：" + exc.message
        finally:
            db.session.remove()
    return outcome, usage


def measure(memory_mb: int | None = None, cpu_seconds: int | None = None) -> list[dict]:
    from tests import hostile_corpus as corpus

    rows = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        workdir = Path(tmp)
        app = _app(workdir, memory_mb, cpu_seconds)
        budget = app.config["IMPORTS_PARSE_MEMORY_MB"]
        for hostile in corpus.CORPUS:
            path = hostile.build(workdir / hostile.name)
            size = os.path.getsize(path)
            before = _status("VmRSS")
            exact = _reset_peak()
            started = time.monotonic()
            outcome, usage = _import(app, path, hostile.name)
            seconds = time.monotonic() - started
            peak = _status("VmHWM") if exact else max(_status("VmRSS"), before)
            rows.append({"file": hostile.name, "size": size, "outcome": outcome,
                         "parent_mb": max(peak - before, 0) / MB, "child_mb": usage.peak_rss / MB,
                         "child_cpu": usage.cpu, "seconds": seconds, "budget_mb": budget})
            os.unlink(path)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_files", description=__doc__)
    parser.add_argument("--memory-mb", type=int, default=None,
                        help="the parsing child's address space (default: config.py's)")
    parser.add_argument("--cpu-seconds", type=int, default=None,
                        help="the parsing child's CPU time (default: config.py's)")
    args = parser.parse_args(argv)
    from tests.hostile_corpus import PARENT_RSS_BOUND_MB

    rows = measure(args.memory_mb, args.cpu_seconds)
    print(f"hostile files through the region import; parent growth bound {PARENT_RSS_BOUND_MB} MB, "
          f"child budget {rows[0]['budget_mb']} MB (RLIMIT_AS)")
    print(f"{'file':<22}{'size':>10}{'parent +MB':>12}{'child MB':>10}{'child CPU s':>12}{'time s':>8}  result")
    for r in rows:
        child = f"{r['child_mb']:.0f}" if r["child_mb"] else "-"
        print(f"{r['file']:<22}{r['size'] / MB:>8.1f}MB{r['parent_mb']:>12.0f}{child:>10}"
              f"{r['child_cpu']:>12.1f}{r['seconds']:>8.1f}  {r['outcome'][:70]}")
    worst = max(r["parent_mb"] for r in rows)
    print(f"largest parent growth {worst:.0f} MB of {PARENT_RSS_BOUND_MB} MB allowed")
    return 0 if worst < PARENT_RSS_BOUND_MB else 1


if __name__ == "__main__":
    sys.exit(main())
