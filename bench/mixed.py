"""The mixed phase: the same reading clients and mix as the concurrent phase, while a writer logs
visits through the console's REST API at a steady rate, against each app in turn.

The writes go to the database both apps read (the visits of the console's enterprises), so the
bare app is measured under the same writes as the console; its reads pay for them only in the
database, the console's also in the copies its workers drop.  The issue's figures (before the
per-table tokens, SQLite, 432,000 enterprises) are printed beside the run's.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field

from . import client, endpoints

# Issue 19's table: writes per second -> (console throughput / bare, console read p95 / bare).
BEFORE = {0: (18.2, 0.03), 2: (4.6, 0.44), 10: (2.0, 0.49)}


@dataclass
class Phase:
    rate: float
    app: str
    reads: client.Timings
    by_path: dict  # path -> Timings
    writes: client.Timings
    write_errors: list = field(default_factory=list)


class Writer(threading.Thread):
    """POSTs a visit every 1/rate seconds (on a fixed schedule, not after the last answer)."""

    def __init__(self, port: int, token: str, rate: float, enterprise_ids: list[int], day: str):
        super().__init__(daemon=True)
        self.rate = rate
        self.client = client.Client(port, token=token)
        self.ids = enterprise_ids
        self.day = day
        self.timings = client.Timings()
        self.errors: list[str] = []
        self.halt = threading.Event()

    def run(self):
        if not self.rate:
            return
        rng = random.Random(19)
        step = 1.0 / self.rate
        due = time.perf_counter()
        while not self.halt.is_set():
            body = json.dumps({"enterprise_id": rng.choice(self.ids), "visit_date": self.day,
                               "send_items": "送政策", "enter_target": "进企业",
                               "notes": "基准测试写入"}).encode()
            start = time.perf_counter()
            status, _, answer = self.client.request("POST", "/api/v1/visits_visits/", body,
                                                    {"Content-Type": "application/json"})
            self.timings.add(time.perf_counter() - start, status, {})
            if status != 201 and len(self.errors) < 5:
                self.errors.append(f"{status}: {answer[:200]!r}")
            due += step
            wait = due - time.perf_counter()
            if wait > 0:
                self.halt.wait(wait)
            else:
                due = time.perf_counter()  # behind: do not burst to catch up
        self.client.close()


def _read(make_client, paths: list[str], total: int, threads: int, max_seconds: float):
    """Like client.concurrent, with the times kept per path as well."""
    overall = client.Timings()
    by_path = {p: client.Timings() for p in paths}
    lock = threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + max_seconds

    def work():
        c = make_client()
        own = {p: client.Timings() for p in paths}
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= total:
                    break
                n = issued[0]
                issued[0] += 1
            path = paths[n % len(paths)]
            client.timed(c, path, own[path])
        c.close()
        with lock:
            for p, t in own.items():
                by_path[p].seconds.extend(t.seconds)
                by_path[p].errors += t.errors
                overall.seconds.extend(t.seconds)
                overall.queries.extend(t.queries)
                overall.errors += t.errors

    overall.wall = client.run_threads(work, threads)
    return overall, by_path


def run(apps, eps, opts, facts: dict, say) -> list[Phase]:
    """Each rate, each app: the writer started, the readers' requests, the writer stopped."""
    mix = endpoints.shared(eps)
    ids = facts["write_ids"]
    console_token = apps.auth["console"][1]
    out = []
    for rate in opts.write_rates:
        for app in ("console", "bare"):
            writer = Writer(apps.servers["console"].port, console_token, rate, ids, facts["today"])
            writer.start()
            time.sleep(min(2.0, 2 / rate) if rate else 0)  # the writes under way before the reads
            paths = [ep.console if app == "console" else ep.bare for ep in mix]

            def make(app=app):
                from .run import _Both

                return _Both(apps, app)

            # For a fixed time rather than a number of requests: the same writes fall on both apps.
            reads, by_path = _read(make, paths, 10**9, opts.clients, opts.mixed_seconds)
            writer.halt.set()
            writer.join()
            phase = Phase(rate, app, reads, {ep.key: by_path[p] for ep, p in zip(mix, paths)},
                          writer.timings, writer.errors)
            out.append(phase)
            w95 = writer.timings.percentile(95)
            say(f"  {rate:g} writes/s, {app}: {reads.rps:.1f} req/s, p95 {reads.percentile(95):.1f} ms, "
                f"{reads.errors} read errors; {len(writer.timings.seconds)} writes"
                + (f", p95 {w95:.1f} ms" if w95 else "") + f", {len(writer.errors)} refused")
    return out


def _ms(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _x(a, b) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}x"


def lines(phases: list[Phase], eps) -> list[str]:
    by = {(p.rate, p.app): p for p in phases}
    rates = sorted({p.rate for p in phases})
    keys = [ep for ep in endpoints.shared(eps)]
    out = ["mixed phase: the concurrent mix while a writer logs visits through the console's REST API "
           "(POST /api/v1/visits_visits/) at the given rate; same writes under both apps.",
           "writes/s | console req/s  p95 | bare req/s    p95 | throughput vs bare  read p95 vs bare | "
           "before (issue 19): throughput  p95 | deep p95 / page-1 p95 | writes done, p95 ms, refused",
           "-" * 160]
    for rate in rates:
        c, b = by.get((rate, "console")), by.get((rate, "bare"))
        if not c or not b:
            continue
        before = BEFORE.get(int(rate)) if float(rate).is_integer() else None
        deep = c.by_path["deep"].percentile(95)
        page1 = c.by_path["list"].percentile(95)
        writes = len(c.writes.seconds) + len(b.writes.seconds)
        refused = len(c.write_errors) + len(b.write_errors)
        w95 = c.writes.percentile(95)
        out.append(
            f"{rate:>8g} | {c.reads.rps:>13.1f} {_ms(c.reads.percentile(95)):>5} | "
            f"{b.reads.rps:>10.1f} {_ms(b.reads.percentile(95)):>6} | "
            f"{c.reads.rps / b.reads.rps:>17.2f}x {_x(c.reads.percentile(95), b.reads.percentile(95)):>17} | "
            + (f"{before[0]:>28.1f}x {before[1]:>4.2f}x" if before else f"{'n/a':>29} {'n/a':>5}")
            + f" | {_x(deep, page1):>21} | {writes:>5}, {_ms(w95)}, {refused}"
            + (f"  ({c.reads.errors + b.reads.errors} read errors)" if c.reads.errors + b.reads.errors else ""))
    out.append("read p95 per endpoint, console / bare (ms):")
    for rate in rates:
        c, b = by.get((rate, "console")), by.get((rate, "bare"))
        if not c or not b:
            continue
        cells = [f"{ep.title} {_ms(c.by_path[ep.key].percentile(95))}/{_ms(b.by_path[ep.key].percentile(95))}"
                 f" ({_x(c.by_path[ep.key].percentile(95), b.by_path[ep.key].percentile(95))})" for ep in keys]
        out.append(f"  {rate:g} writes/s: " + "; ".join(cells))
    for p in phases:
        if p.write_errors:
            out.append(f"  refused writes at {p.rate:g}/s ({p.app} phase): {p.write_errors[0]}")
    return out
