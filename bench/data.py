"""Fresh databases for a run, filled through the console's own commands.

SQLite lives in the run's temporary folder; PostgreSQL gets throwaway databases on the local
server (``BENCH_POSTGRES_URL``, default 127.0.0.1:5432 as user postgres), dropped afterwards.
``jiceng demo --scale city`` is deterministic, so both databases hold the same rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from . import servers

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Bench-Console-2026!"


@dataclass
class Database:
    kind: str  # "sqlite" or "postgres"
    url: str
    instance: Path
    timings: dict = field(default_factory=dict)

    @property
    def env(self) -> dict:
        env = servers.environment(self.url, self.instance)
        env["JICENG_ADMIN_USER"] = ADMIN_USER
        env["JICENG_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        env["JICENG_DEMO_PASSWORD"] = ADMIN_PASSWORD
        return env


def _server_engine():
    return create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")


def postgres_available() -> bool:
    try:
        engine = _server_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def postgres_version() -> str:
    engine = _server_engine()
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return f"PostgreSQL {version}"


def create(kind: str, workdir: Path, label: str, template: str | None = None) -> Database:
    """An empty database (or a copy of ``template``'s, PostgreSQL only)."""
    instance = workdir / f"{kind}-{label}"
    instance.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return Database(kind, f"sqlite:///{instance / 'jiceng.db'}", instance)
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    engine = _server_engine()
    with engine.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    return Database(kind, POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name, instance)


def copy(db: Database, workdir: Path, label: str) -> Database:
    """A byte-for-byte copy of ``db`` (which must not be in use)."""
    if db.kind == "postgres":
        return create("postgres", workdir, label, template=db.url.rsplit("/", 1)[1])
    target = create("sqlite", workdir, label)
    import sqlite3

    source = sqlite3.connect(db.url.split("///", 1)[1])
    dest = sqlite3.connect(target.url.split("///", 1)[1])
    source.backup(dest)
    source.close()
    dest.close()
    return target


def drop(db: Database) -> None:
    if db.kind != "postgres":
        return
    name = db.url.rsplit("/", 1)[1]
    engine = _server_engine()
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def jiceng(db: Database, *args: str, log: Path | None = None) -> float:
    """Run ``jiceng ARGS`` on ``db``; returns the seconds it took."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "console", *args], cwd=servers.ROOT, env=db.env,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if log is not None:
        with open(log, "a") as fh:
            fh.write(f"$ jiceng {' '.join(args)}  ({seconds:.1f} s)\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"jiceng {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return seconds


def populate(db: Database, scale: str, log: Path) -> None:
    """``jiceng init`` then ``jiceng demo --scale SCALE``, timed; and the bare app's init."""
    db.timings["init"] = jiceng(db, "init", log=log)
    db.timings["demo"] = jiceng(db, "demo", "--scale", scale, log=log)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bench.bare_app", "init"], cwd=servers.ROOT,
                            env=db.env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"bare app init failed:\n{result.stderr[-3000:]}")
    db.timings["bare_init"] = time.perf_counter() - start


def facts(db: Database) -> dict:
    """Ids the requests need: a county with many enterprises, an enterprise to show."""
    engine = create_engine(db.url)
    with engine.connect() as conn:
        county = conn.execute(text("SELECT id FROM region WHERE code = '530602'")).scalar()
        enterprises = conn.execute(text("SELECT count(*) FROM visits_enterprise")).scalar()
        # Enterprises the mixed phase's writer logs visits for, spread over the table.
        step = max(enterprises // 1000, 1)
        write_ids = [row[0] for row in conn.execute(
            text("SELECT id FROM visits_enterprise WHERE id % :s = 0 ORDER BY id LIMIT 1000"), {"s": step})]
        show = conn.execute(text("SELECT id FROM visits_enterprise ORDER BY id LIMIT 1 OFFSET :n"),
                            {"n": min(999, enterprises - 1)}).scalar()
    engine.dispose()
    # The day the mixed phase's visits are logged on: UTC's, never ahead of the console's own.
    return {"county_id": county, "enterprises": enterprises, "show_id": show, "write_ids": write_ids,
            "today": time.strftime("%Y-%m-%d", time.gmtime())}
