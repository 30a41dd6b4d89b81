"""One benchmark run on one database: data, both servers, the request phases, import/export."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import bare_app, client, data, endpoints, io_bench, servers


@dataclass
class Options:
    scale: str = "city"
    requests: int = 60  # per endpoint and app, sequential
    concurrent_requests: int = 400  # per app, shared by the clients
    clients: int = 8
    duration: float = 30.0  # seconds at most per endpoint and app, and per concurrent phase
    memory_requests: int = 1000
    io: bool = True
    import_rows: int | None = None  # None: every enterprise
    export_sizes: tuple[int, ...] = (10_000, 0)  # 0: every row
    profiles: int = 3  # slowest console endpoints profiled
    results_dir: Path | None = None  # where profiles go
    workers: int = 2
    write_rates: tuple[float, ...] = (0, 2, 10)  # the mixed phase's writes per second
    mixed_seconds: float = 30.0  # per rate and app
    mixed_only: bool = False  # only the mixed phase (no memory, sequential, profiles, I/O)


@dataclass
class Result:
    kind: str
    version: str
    facts: dict
    timings: dict
    rows: list = field(default_factory=list)  # (endpoint, {"console": Timings, "bare": Timings}, {app: peak rss})
    concurrent: dict = field(default_factory=dict)  # title -> app -> Timings
    concurrent_rss: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)  # app -> (rss after 10, rss after N)
    io: dict = field(default_factory=dict)
    profiles: list = field(default_factory=list)
    mixed: list = field(default_factory=list)  # mixed.Phase


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class _Apps:
    """Both servers, signed in: a session cookie and a JWT for each."""

    def __init__(self, db: data.Database, workdir: Path, workers: int):
        env = db.env
        self.servers = {name: servers.Server(name, env, workdir, workers) for name in ("console", "bare")}
        self.auth = {}

    def start(self):
        for server in self.servers.values():
            server.wait_ready()
        accounts = {"console": (data.ADMIN_USER, data.ADMIN_PASSWORD),
                    "bare": (bare_app.ADMIN_USER, bare_app.ADMIN_PASSWORD)}
        for name, server in self.servers.items():
            user, password = accounts[name]
            self.auth[name] = (client.login(server.port, user, password),
                               client.jwt(server.port, user, password))

    def client(self, app: str, api: bool = False) -> client.Client:
        cookies, token = self.auth[app]
        port = self.servers[app].port
        return client.Client(port, token=token) if api else client.Client(port, cookies=cookies)

    def stop(self):
        servers.stop_all(self.servers.values())


def _check(status: int, body: bytes, app: str, path: str, server=None):
    if status != 200:
        tail = server.log_tail() if server is not None else ""
        raise RuntimeError(f"{app} answered {status} for {path}: {body[:200]!r}\n{tail}")


def _memory_phase(apps: _Apps, eps, opts: Options, result: Result):
    """A worker's memory after 10 requests and after ``memory_requests``: fresh servers."""
    mix = endpoints.shared(eps)
    for app in ("console", "bare"):
        server = apps.servers[app]
        c = apps.client(app)
        for i in range(10):
            ep = mix[i % len(mix)]
            if ep.api:
                continue
            client.timed(c, ep.console if app == "console" else ep.bare, client.Timings())
        after_10 = max(server.worker_rss().values())
        pages = [ep.console if app == "console" else ep.bare for ep in mix if not ep.api]
        client.concurrent(lambda app=app: apps.client(app), pages, opts.memory_requests - 10,
                          opts.clients, opts.duration * 4)
        after_n = max(server.worker_rss().values())
        result.memory[app] = (after_10, after_n, opts.memory_requests)
        c.close()


def _sequential(apps: _Apps, eps, opts: Options, result: Result, sampler):
    """Every endpoint of both apps in rounds, one request to each per round: a change in the
    shared machine's load during the phase falls on every endpoint and both apps alike, so the
    ratios (console / bare, page 10,000 / page 1, dashboard / list page) compare like with like.
    An endpoint and app leaves the rounds after ``opts.requests`` requests or ``opts.duration``
    seconds of its own."""
    clients = {}
    pairs = []  # (endpoint, app, path, client)
    for ep in eps:
        for app in ("console", "bare"):
            path = ep.console if app == "console" else ep.bare
            if path is None:
                continue
            if (app, ep.api) not in clients:
                clients[app, ep.api] = apps.client(app, ep.api)
            pairs.append((ep, app, path, clients[app, ep.api]))
    for _, app, path, c in pairs:
        for _ in range(3):  # warm-up: caches, connections, the first compile of templates
            status, _, body = c.request("GET", path)
            _check(status, body, app, path, apps.servers[app])
    sampler.window()
    timings = {(ep.key, app): client.Timings() for ep, app, _, _ in pairs}
    active = list(pairs)
    while active:
        for ep, app, path, c in list(active):
            t = timings[ep.key, app]
            status, body = client.timed(c, path, t)
            _check(status, body, app, path, apps.servers[app])
            if len(t.seconds) >= opts.requests or sum(t.seconds) >= opts.duration:
                active.remove((ep, app, path, c))
    peaks = sampler.window()
    for c in clients.values():
        c.close()
    for ep in eps:
        runs = {app: timings[ep.key, app] for app in ("console", "bare") if (ep.key, app) in timings}
        for t in runs.values():
            t.wall = sum(t.seconds)
        result.rows.append((ep, runs, {app: peaks[app] for app in runs}))
        c95 = runs["console"].percentile(95)
        b95 = runs["bare"].percentile(95) if "bare" in runs else None
        _say(f"  {ep.title}: console p95 {c95:.1f} ms" + (f", bare p95 {b95:.1f} ms" if b95 else ""))


class _Both:
    """A client thread's browser session and JWT: pages and API calls interleave."""

    def __init__(self, apps: _Apps, app: str):
        self.page = apps.client(app)
        self.api = apps.client(app, api=True)

    def request(self, method, path):
        return (self.api if path.startswith("/api/") else self.page).request(method, path)

    def close(self):
        self.page.close()
        self.api.close()


def _concurrent(apps: _Apps, eps, opts: Options, result: Result, sampler):
    """The shared endpoints in turn, then list page 1 alone: the mix is dominated by the deep
    page, the list page is what most requests are."""
    mix = endpoints.shared(eps)
    phases = [(f"{opts.clients} clients, mixed", mix), (f"{opts.clients} clients, list page 1", mix[:1])]
    for title, chosen in phases:
        result.concurrent[title] = {}
        result.concurrent_rss[title] = {}
        for app in ("console", "bare"):
            sampler.window()
            paths = [ep.console if app == "console" else ep.bare for ep in chosen]
            t = client.concurrent(lambda app=app: _Both(apps, app), paths, opts.concurrent_requests,
                                  opts.clients, opts.duration * 3)
            result.concurrent[title][app] = t
            result.concurrent_rss[title][app] = sampler.window()[app]
            _say(f"  {title}, {app}: {t.rps:.1f} req/s, {t.errors} errors")


def run(kind: str, workdir: Path, opts: Options) -> Result:
    workdir = workdir / kind
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "commands.log"
    db = data.create(kind, workdir, "main")
    try:
        _say(f"{kind}: jiceng init + jiceng demo --scale {opts.scale} ...")
        data.populate(db, opts.scale, log)
        facts = data.facts(db)
        _say(f"{kind}: {facts['enterprises']:,} enterprises; init {db.timings['init']:.1f} s, "
             f"demo {db.timings['demo']:.1f} s")
        version = data.postgres_version() if kind == "postgres" else _sqlite_version()
        result = Result(kind, version, facts, dict(db.timings))
        eps = endpoints.build(facts["county_id"], facts["show_id"])
        apps = _Apps(db, workdir, opts.workers)
        try:
            apps.start()
            if not opts.mixed_only:
                _say(f"{kind}: servers up; memory after 10 and {opts.memory_requests} requests ...")
                _memory_phase(apps, eps, opts, result)
                with servers.RssSampler(list(apps.servers.values())) as sampler:
                    _say(f"{kind}: sequential, {opts.requests} requests per endpoint, endpoints in rounds ...")
                    _sequential(apps, eps, opts, result, sampler)
                    _say(f"{kind}: {opts.clients} concurrent clients ...")
                    _concurrent(apps, eps, opts, result, sampler)
            if opts.write_rates:
                from . import mixed

                _say(f"{kind}: {opts.clients} clients while a writer logs visits at "
                     f"{', '.join(f'{r:g}' for r in opts.write_rates)} writes/s ...")
                # A warm-up round: the first requests of each worker build its copies.
                for app in ("console", "bare"):
                    both = _Both(apps, app)
                    for ep in endpoints.shared(eps):
                        for _ in range(2):
                            status, _, body = both.request("GET", ep.console if app == "console" else ep.bare)
                            _check(status, body, app, ep.console, apps.servers[app])
                    both.close()
                result.mixed = mixed.run(apps, eps, opts, facts, _say)
        finally:
            apps.stop()
        if opts.mixed_only:
            return result
        if opts.profiles:
            from . import profiles

            _say(f"{kind}: profiling the slowest console endpoints ...")
            result.profiles = profiles.profile_slowest(db, result, opts.profiles,
                                                       opts.results_dir or workdir)
        if opts.io:
            _say(f"{kind}: export at {', '.join(str(n or 'all') for n in opts.export_sizes)} rows ...")
            result.io["export"] = io_bench.export_memory(db, list(opts.export_sizes))
            csv_path = workdir / "enterprises.csv"
            rows = io_bench.write_csv(db, csv_path, opts.import_rows)
            _say(f"{kind}: import of {rows:,} rows: jiceng import vs raw ...")
            result.io["import"] = io_bench.import_rates(kind, workdir, csv_path, rows, log)
            xlsx_path = workdir / "enterprises.xlsx"
            io_bench.write_xlsx(csv_path, xlsx_path)
            _say(f"{kind}: the same rows as .xlsx: jiceng import vs raw ...")
            result.io["import_xlsx"] = io_bench.import_rates(kind, workdir, xlsx_path, rows, log)
        return result
    finally:
        data.drop(db)


def _sqlite_version() -> str:
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"
