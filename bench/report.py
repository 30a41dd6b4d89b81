"""The one table of a run, the issue's targets marked met or not, and the machine it ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

from console import clock

MIB = 1024 * 1024
LIST_PAGES = ("list", "deep", "county", "search")
HALF_OF_BARE = ("list", "deep", "county", "search", "rest_list")


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return {"date": clock.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
            "cores": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(a, b) -> str:
    if a is None or b is None or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def _mib(value) -> str:
    return "-" if not value else f"{value / MIB:.0f}"


def _cells(t, rss):
    if t is None:
        return ["n/a"] * 5
    return [_ms(t.percentile(50)), _ms(t.percentile(95)), _ms(t.rps), str(t.median_queries
            if t.median_queries is not None else "-"), _mib(rss)]


HEAD = ["endpoint", "p50", "p95", "req/s", "SQL", "RSS", "p50", "p95", "req/s", "SQL", "RSS",
        "p50", "p95", "req/s", "SQL", "RSS"]


def table(result) -> list[str]:
    rows = []
    for ep, runs, peaks in result.rows:
        c, b = runs.get("console"), runs.get("bare")
        rows.append([ep.title] + _cells(c, peaks.get("console")) + _cells(b, peaks.get("bare"))
                    + _ratios(c, b, peaks))
    for title, runs in result.concurrent.items():
        c, b = runs["console"], runs.get("bare")
        peaks = result.concurrent_rss[title]
        rows.append([title] + _cells(c, peaks.get("console")) + _cells(b, peaks.get("bare"))
                    + _ratios(c, b, peaks))
    widths = [max(len(str(r[i])) for r in rows + [HEAD]) for i in range(len(HEAD))]
    widths[0] = max(widths[0], 18)

    def line(cells):
        parts = [str(cells[0]).ljust(widths[0])]
        for group in range(3):
            chunk = cells[1 + group * 5: 6 + group * 5]
            parts.append(" ".join(str(v).rjust(widths[1 + group * 5 + i]) for i, v in enumerate(chunk)))
        return " | ".join(parts)

    group_titles = ["", "console", "bare FAB", "console / bare"]
    spans = [widths[0]] + [sum(widths[1 + g * 5: 6 + g * 5]) + 4 for g in range(3)]
    out = [" | ".join(t.center(w) for t, w in zip(group_titles, spans)), line(HEAD)]
    out.append("-" * len(out[1]))
    out.extend(line(r) for r in rows)
    return out


def _ratios(c, b, peaks):
    if c is None or b is None:
        return ["n/a"] * 5
    qc, qb = c.median_queries, b.median_queries
    return [_ratio(c.percentile(50), b.percentile(50)), _ratio(c.percentile(95), b.percentile(95)),
            _ratio(c.rps, b.rps), _ratio(qc, qb), _ratio(peaks.get("console"), peaks.get("bare"))]


def targets(result) -> list[tuple[str, str, str]]:
    """(target, measured, met / not met) for each of the issue's targets."""
    runs = {ep.key: r for ep, r, _ in result.rows}
    out = []

    def p95(key, app="console"):
        r = runs.get(key, {}).get(app)
        return r.percentile(95) if r else None

    for key in HALF_OF_BARE:
        c, b = p95(key), p95(key, "bare")
        if c is None or b is None:
            continue
        title = next(ep.title for ep, _, _ in result.rows if ep.key == key)
        out.append((f"{title}: p95 <= 0.5x bare", f"{c / b:.2f}x", _met(c / b <= 0.5)))
    if p95("deep") and p95("list"):
        ratio = p95("deep") / p95("list")
        out.append(("deep page p95 within 1.2x of page 1", f"{ratio:.2f}x", _met(ratio <= 1.2)))
    for key in LIST_PAGES:
        r = runs.get(key, {}).get("console")
        if r and r.median_queries is not None:
            b = runs[key].get("bare")
            bare_q = f" (bare {b.median_queries})" if b and b.median_queries is not None else ""
            out.append((f"{key} page: <= 6 SQL queries", f"{r.median_queries}{bare_q}",
                        _met(r.median_queries <= 6)))
    if p95("dashboard") and p95("list"):
        ratio = p95("dashboard") / p95("list")
        out.append(("dashboard p95 <= 2x list page", f"{ratio:.2f}x", _met(ratio <= 2)))
    for title, runs in result.concurrent.items():
        c, b = runs["console"], runs["bare"]
        ratio = c.rps / b.rps
        out.append((f"{title}: throughput >= 1.5x bare, no errors",
                    f"{ratio:.2f}x, {c.errors} errors", _met(ratio >= 1.5 and c.errors == 0)))
    exports = result.io.get("export") or []
    if len(exports) >= 2:
        small, big = exports[0], exports[-1]
        ratio = big["peak"] / small["peak"]
        out.append((f"export peak memory at {big['rows']:,} rows within 1.5x of {small['rows']:,}",
                    f"{ratio:.2f}x", _met(ratio <= 1.5)))
    imp = result.io.get("import")
    if imp:
        ratio = imp["raw_seconds"] / imp["console_seconds"]
        out.append(("CSV import >= 0.5x the raw reference's rate", f"{ratio:.2f}x", _met(ratio >= 0.5)))
    if "console" in result.memory:
        after_10, after_n, n = result.memory["console"]
        ratio = after_n / after_10
        out.append((f"worker memory after {n:,} requests within 1.2x of after 10", f"{ratio:.2f}x",
                    _met(ratio <= 1.2)))
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def io_lines(result) -> list[str]:
    out = []
    for key, form, reader in (("import", "CSV", "csv"), ("import_xlsx", ".xlsx", "openpyxl read-only")):
        imp = result.io.get(key)
        if not imp:
            continue
        c_rate = imp["rows"] / imp["console_seconds"]
        r_rate = imp["rows"] / imp["raw_seconds"]
        out.append(f"{form} import of {imp['rows']:,} enterprises: jiceng import {c_rate:,.0f} rows/s "
                   f"({imp['console_seconds']:.1f} s, peak {_mib(imp['console_peak'])} MiB); raw {reader} + one "
                   f"batched insert {r_rate:,.0f} rows/s ({imp['raw_seconds']:.1f} s, peak "
                   f"{_mib(imp['raw_peak'])} MiB); ratio {c_rate / r_rate:.2f}x")
    for e in result.io.get("export") or []:
        out.append(f".xlsx export of {e['rows']:,} rows: {e['rows'] / e['seconds']:,.0f} rows/s "
                   f"({e['seconds']:.1f} s, {e['bytes'] / MIB:.1f} MiB file), process peak "
                   f"{_mib(e['peak'])} MiB (app alone {_mib(e['baseline'])} MiB)")
    for app, (after_10, after_n, n) in result.memory.items():
        out.append(f"{app} worker RSS after 10 requests {_mib(after_10)} MiB, after {n:,} "
                   f"{_mib(after_n)} MiB ({after_n / after_10:.2f}x)")
    return out


def render(results, info: dict, opts) -> str:
    lines = [
        "City-scale benchmark: the console beside a bare Flask-AppBuilder app (python -m bench)",
        f"date: {info['date']}",
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}; "
        f"load average at start {info['load']}",
        "note: a shared 2-core machine (other test runs may be running): absolute times are noise, "
        "ratios within one run are what counts.",
        f"requests: {opts.requests} sequential per endpoint and app (after 3 warm-up), taken in rounds "
        "of one request to each endpoint of both apps so that a change of load falls on all alike, then "
        f"{opts.concurrent_requests} per app from {opts.clients} concurrent clients; gunicorn "
        f"{opts.workers} sync workers each; times in ms, RSS = peak of the largest worker in MiB "
        "(over the whole sequential phase), "
        "SQL = median statements per request (X-SQL-Queries).",
        "bare FAB: default ModelView and ModelRestApi, FAB templates, database roles, no scope; "
        "25 rows per page and ordered by name like the console.",
        "",
    ]
    for result in results:
        lines.append(f"== {result.version}: {result.facts['enterprises']:,} enterprises "
                     f"(jiceng init {result.timings['init']:.1f} s, jiceng demo --scale {opts.scale} "
                     f"{result.timings['demo']:.1f} s)")
        if result.rows:
            lines.extend(table(result))
            lines.append("")
            lines.extend(io_lines(result))
            lines.append("")
            lines.append("targets (issue 7):")
            for title, measured, verdict in targets(result):
                lines.append(f"  {verdict:<8} {title}: {measured}")
        if result.mixed:
            from . import endpoints, mixed

            eps = endpoints.build(result.facts["county_id"], result.facts["show_id"])
            lines.extend(mixed.lines(result.mixed, eps))
        if result.profiles:
            lines.append("profiles: " + ", ".join(Path(p).name for p in result.profiles))
        lines.append("")
    lines.append(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines) + "\n"


def briefing_lines(f: dict) -> list[str]:
    """The briefing benchmark's figures (bench/briefing.py) and its two targets (issue 6)."""
    head = (f"{'':<34} {'gather s':>9} {'render s':>9} {'store s':>8} {'total s':>8} {'pages':>6} "
            f"{'PDF KiB':>8} {'peak RSS MiB':>13} {'render CPU s':>13}")
    rounds = f.get("rounds", 1)
    lines = [f"== briefing: {f['region']} {f['period']}, {f['database']}, jiceng demo --scale {f['scale']}"
             + (f"; median of {rounds} rounds, the briefing and the plain calls alternately" if rounds > 1 else ""),
             head, "-" * len(head)]
    verdicts = []
    for kind, title, limit in (("summary", "summary", 1.3), ("appendix", "with appendix", 0.5)):
        b = f[kind]
        total = b["gather"] + b["render"] + b["store"]
        plain = b["plain"]
        if kind == "appendix":
            title += f" ({b['rows']:,} rows, {b['source']})"
        lines.append(f"{title:<34} {b['gather']:>9.1f} {b['render']:>9.1f} {b['store']:>8.2f} {total:>8.1f} "
                     f"{b['pages']:>6} {b['bytes'] / 1024:>8.0f} {_mib(b['rss']):>13} {b['cpu']:>13.1f}")
        for name, p in (("  plain WeasyPrint, briefing HTML", plain),
                        ("  plain WeasyPrint, own print HTML", b.get("plain_own"))):
            if p:
                lines.append(f"{name:<34} {'-':>9} {p['render']:>9.1f} {'-':>8} {p['render']:>8.1f} "
                             f"{p['pages']:>6} {p['bytes'] / 1024:>8.0f} {_mib(p['rss']):>13} {p['cpu']:>13.1f}")
        lines.append(f"{'  ratio to plain':<34} {'':>9} {b['render'] / plain['render']:>8.2f}x {'':>8} "
                     f"{total / plain['render']:>7.2f}x {'':>6} {'':>8} {b['rss'] / plain['rss']:>12.2f}x "
                     f"{b['cpu'] / plain['cpu']:>12.2f}x")
        ratio = total / plain["render"]
        verdicts.append(f"  {_met(ratio <= limit):<8} {title.split(' (')[0]} end to end (gather, render, "
                        f"store) <= {limit}x one plain WeasyPrint call: {ratio:.2f}x")
    notes = ["times are wall-clock seconds; render CPU s = user + system time of the rendering "
             "processes (what a busy machine cannot hide); ratios are to the plain call on the briefing "
             "HTML (the document the preview shows, ledgers as HTML tables); the console's renderer prints "
             "ledgers as lines of text (console/briefings/ledger.py), a row whose links all lead to one "
             "page as one link, in a process forked from a server that has WeasyPrint loaded (started "
             "before the timing, as the scheduler starts it when it starts); the plain calls are timed "
             "inside their process, after its imports; 'own print HTML' is one plain call on that "
             "renderer's HTML"]
    return lines + notes + ["", "targets (issue 6):"] + verdicts + [""]
