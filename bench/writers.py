"""Concurrent writers on PostgreSQL: do the copies' tokens make the city's writers queue?

``python -m bench.writers``: a throwaway database (``jiceng init`` and ``jiceng demo``), then 16
threads, each in its own app context and connection, logging visits through the ORM (one visit
a transaction, audit entry included) for a fixed time, in three modes within one run:

* ``off``: the token machinery switched off (no token written);
* ``one row``: every writer of a table renews the same token row (copies.SLOTS = 1);
* ``at commit``: slots, but the tokens written as the transaction's last statement, after the
  audit log's entries (as before the tokens moved to the flush): inside the audit chain's queue;
* ``slots``: the token spread over copies.SLOTS rows, a writer renewing the one of its thread,
  the tokens written with the flush, ahead of the audit chain.

Rounds alternate the modes, so a change of the shared machine's load falls on all alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import data


def _writes(app, seconds: float, threads: int, ids: list[int]) -> tuple[int, list[float]]:
    from sqlalchemy import select

    from console import clock, db
    from jiceng.plugins.visits.models import Enterprise, Visit

    done, latencies, lock = [0], [], threading.Lock()
    start = threading.Barrier(threads)

    def work(n):
        with app.app_context():
            places = {e.id: (e.region_id, e.county_id) for e in
                      db.session.execute(select(Enterprise).where(Enterprise.id.in_(ids))).scalars()}
            own, times = 0, []
            start.wait()
            deadline = time.perf_counter() + seconds
            i = n
            while time.perf_counter() < deadline:
                eid = ids[i % len(ids)]
                i += threads
                t = time.perf_counter()
                region, county = places[eid]
                db.session.add(Visit(enterprise_id=eid, region_id=region, county_id=county,
                                     visit_date=clock.today(), notes="并发写入"))
                db.session.commit()
                times.append(time.perf_counter() - t)
                own += 1
            db.session.remove()
        with lock:
            done[0] += own
            latencies.extend(times)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return done[0], latencies


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.writers", description=__doc__)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--seconds", type=float, default=8.0, help="per mode and round")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    if not data.postgres_available():
        print("PostgreSQL does not answer (BENCH_POSTGRES_URL or 127.0.0.1:5432)", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="jiceng-writers-"))
    db_ = data.create("postgres", workdir, "writers")
    try:
        data.jiceng(db_, "init", log=workdir / "commands.log")
        data.jiceng(db_, "demo", log=workdir / "commands.log")
        os.environ.update(db_.env)
        from console.app import create_app
        from console.database import copies
        from console.foundation.extensions import db

        app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.threads + 2, "max_overflow": 0}})
        with app.app_context():
            ids = [i for (i,) in db.session.execute(db.text("SELECT id FROM visits_enterprise ORDER BY id LIMIT 500"))]
        slots = copies.SLOTS["postgresql"]
        modes = {"off": None, "one row": 1, "at commit": slots, f"{slots} slots": slots}
        write_tokens, flush_tokens = copies._write_tokens, copies._flush_tokens
        results = {m: [] for m in modes}
        latency = {m: [] for m in modes}
        for _ in range(args.rounds):
            for mode, count in modes.items():
                if count is None:
                    copies._write_tokens = lambda session, connection: None
                else:
                    copies.SLOTS["postgresql"] = count
                if mode != f"{slots} slots":
                    copies._flush_tokens = lambda session: None  # only the commit's call writes
                try:
                    n, times = _writes(app, args.seconds, args.threads, ids)
                finally:
                    copies._write_tokens, copies._flush_tokens = write_tokens, flush_tokens
                    copies.SLOTS["postgresql"] = slots
                results[mode].append(n / args.seconds)
                latency[mode].extend(times)
                print(f"  {mode}: {n / args.seconds:.0f} writes/s", flush=True)
        base = statistics.median(results["off"])
        print(f"PostgreSQL, {args.threads} concurrent writers, one visit per transaction, "
              f"{args.rounds} rounds of {args.seconds:g} s per mode (median of rounds):")
        for mode in modes:
            rate = statistics.median(results[mode])
            p95 = sorted(latency[mode])[int(0.95 * (len(latency[mode]) - 1))] * 1000
            print(f"  {mode:<9} {rate:7.0f} writes/s  {rate / base:5.2f}x of off   commit p95 {p95:6.1f} ms")
    finally:
        data.drop(db_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
