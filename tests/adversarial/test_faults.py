"""Injected faults, nothing lost: a worker killed in the middle of an import, the briefing
renderer killed in the middle of a briefing, the database going away and coming back, a full
disk while saving a photo.  Afterwards the data is as before or as after, never in between; the
run history tells the truth; the service recovers without a restart.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from console.foundation.extensions import db
from tests.conftest import BACKEND, SECRET_KEY
from tests.support import photo

from .conftest import CHINESE, ZHAOYANG, Browser, login, multipart, start_server, stop_server
from console import clock

# The heavy part of the campaign: `make stress` (CI runs it after `make test`).
pytestmark = pytest.mark.stress

WAIT = 180  # seconds: a generous bound for a shared 2-core machine, not a timing assertion


def _until(condition, what: str, timeout: float = WAIT, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"gave up waiting for {what}")


# -- a worker killed in the middle of an import ---------------------------------------------

ROWS = 60_000


def _enterprises_csv(rows: int) -> bytes:
    from jiceng.plugins.visits.services import creditcode

    lines = ["企业名称,统一社会信用代码,县(市、区)"]
    lines += [f"断电测试企业{n},{creditcode.make('91', ZHAOYANG, f'KD{n:06d}')},昭阳区" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _enterprise_count(app) -> int:
    from jiceng.plugins.visits.models import Enterprise

    with app.app_context():
        db.session.remove()
        return db.session.query(Enterprise).count()


def _parent(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _worker_reading(server, directory: Path) -> int | None:
    """The worker running the import: the file is read by a parsing child the worker started
    (through its fork server), so the worker is the holder's nearest ancestor among them."""
    workers = set(server.workers())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            holds = any(str(directory) in os.readlink(fd) for fd in (proc / "fd").iterdir())
        except OSError:
            continue
        if not holds:
            continue
        pid = int(proc.name)
        while pid and pid > 1:
            if pid in workers:
                return pid
            pid = _parent(pid)
    return None


def test_a_worker_killed_during_an_import_leaves_the_table_as_before_and_the_job_failed(app, database_url, tmp_path):
    instance = tmp_path / "live"
    instance.mkdir()
    # A job whose worker stopped beating is reported failed after this long.
    (instance / "config.py").write_text("IMPORTS_STALE_SECONDS = 4\n")
    server = start_server(database_url, instance, secret_key=SECRET_KEY, workers=2)
    try:
        before = _enterprise_count(app)
        browser = Browser(server.url).login("admin")
        token = browser.csrf("/console/imports/")
        body, content_type = multipart({"csrf_token": token, "plugin": "visits", "kind": "enterprises",
                                        "mode": "all"}, {"file": ("企业名录.csv", _enterprises_csv(ROWS))})
        status, headers, text = browser.request("/console/imports/upload", body=body, content_type=content_type)
        assert status == 302, text[:500]
        job_url = headers["Location"].replace(server.url, "")

        def job():
            return __import__("json").loads(browser.get(job_url + "/status")[2])

        # The worker is found once it reads the file, so it is killed with the import under way.
        victim = _until(lambda: _worker_reading(server, instance / "imports") or (job()["finished"] and -1),
                        "the import to start", step=0.05)
        killed = victim > 0
        if killed:
            os.kill(victim, signal.SIGKILL)
        final = _until(lambda: (lambda j: j if j["finished"] else None)(job()), "the job to end", step=0.5)
        after = _enterprise_count(app)
        if killed and final["state"] != "succeeded":
            assert final["state"] == "failed" and CHINESE.search(final["error"] or ""), final
            assert after == before  # as before: nothing of the 60,000 rows
        else:
            assert final["state"] == "succeeded" and after == before + ROWS  # as after
        assert killed, "the import ended before its worker could be killed"

        # The master replaced the worker; the service answers and imports again, unrestarted.
        server.wait_for_workers(2)
        token = browser.csrf("/console/imports/")
        body, content_type = multipart({"csrf_token": token, "plugin": "visits", "kind": "enterprises",
                                        "mode": "all"}, {"file": ("再次导入.csv", _enterprises_csv(3))})
        status, headers, _ = browser.request("/console/imports/upload", body=body, content_type=content_type)
        assert status == 302
        job_url = headers["Location"].replace(server.url, "")
        again = _until(lambda: (lambda j: j if j["finished"] else None)(job()), "the second import")
        assert again["state"] == "succeeded" and _enterprise_count(app) == before + 3
    finally:
        stop_server(server)


# -- the briefing renderer killed in the middle of a briefing -------------------------------


def _renderers() -> list[int]:
    """The processes laying a briefing out for this one: forked from the renderer's fork
    server, itself this process's child (both carry the server's command line)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            procs[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]),
                                      b"console.briefings.render" in (entry / "cmdline").read_bytes())
        except (OSError, ValueError, IndexError):
            continue
    me = os.getpid()
    servers = {pid for pid, (ppid, ours) in procs.items() if ppid == me and ours}
    return [pid for pid, (ppid, ours) in procs.items() if ppid in servers and ours]


def test_a_killed_renderer_fails_the_run_truthfully_and_the_next_run_succeeds(make_app):
    from console.plugins import manager as plugins
    from console.briefings import periods, runs
    from console.briefings.models import BriefingRun
    from tests.visits.conftest import World

    app = make_app(BRIEFING_HEARTBEAT_SECONDS=1, BRIEFING_RUN_INLINE=True)
    month = periods.last_complete("month", clock.today())
    with app.app_context():
        plugins.set_enabled("visits", True)
        world = World(app)
        world.visit(world.enterprise(41), month.start + dt.timedelta(days=1))
        run_id = runs.create(world.region("530600"), month).id
    outcome = {}

    def produce():
        with app.app_context():
            outcome["run"] = runs.execute(run_id)
            db.session.remove()

    worker = threading.Thread(target=produce)
    worker.start()
    victims = _until(_renderers, "the renderer to start", step=0.05)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    worker.join(WAIT)
    assert not worker.is_alive()
    with app.app_context():
        run = db.session.get(BriefingRun, run_id)
        assert run.state == "failed" and CHINESE.search(run.error) and "排版" in run.error, run.error
        assert run.pdf is None and run.finished_at is not None
        assert run.next_retry_at is not None  # a retry is planned
        # Each briefing gets a fresh rendering process: the next run needs no restart.
        again = runs.execute(runs.create(world.region("530600"), month).id)
        assert again.state == "succeeded" and again.pdf.startswith(b"%PDF"), again.error


# -- the database going away and coming back ------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgres", reason="an embedded SQLite file cannot go away from under a server")
def test_the_console_recovers_when_the_database_drops_every_connection(app, database_url, tmp_path):
    from tests.conftest import _pg_admin

    server = start_server(database_url, tmp_path / "live", secret_key=SECRET_KEY, workers=2)
    try:
        browser = Browser(server.url).login("admin")
        assert browser.get("/visits/enterprises/list/")[0] == 200
        dbname = sa.engine.make_url(database_url).database
        for attempt in range(3):  # every worker's pooled connections, over several requests
            with _pg_admin().connect() as conn:
                ended = conn.execute(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": dbname}).scalar()
            assert attempt or ended >= 1
            answers = [browser.get("/visits/enterprises/list/") for _ in range(4)]
            for status, _, body in answers:
                assert status == 200 or (status in (500, 503) and CHINESE.search(body)), (status, body[:300])
            assert answers[-1][0] == 200
        # Writing works too, unrestarted.
        token = browser.csrf("/regionview/add")
        assert token
        assert server.proc.poll() is None
    finally:
        stop_server(server)


# -- a full disk when saving a photo ---------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A 24 MiB tmpfs: the database is copied onto it and the rest is filled up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("a full disk is simulated with a 24 MiB tmpfs, and this machine refused the mount "
                    "(it needs root): " + done.stderr.decode(errors="replace").strip())
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the PostgreSQL server's own disk is not the test's to fill")
def test_a_full_disk_refuses_the_inspection_in_chinese_and_nothing_is_half_written(
        app, database_url, make_app, tiny_disk):
    from jiceng.plugins.nameplates.models import Inspection

    from console.files.models import Attachment
    from console.regions.models import Region

    source = Path(sa.engine.make_url(database_url).database)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    target = tiny_disk / "jiceng.db"
    shutil.copy(source, target)
    full = make_app(DATABASE_URL=f"sqlite:///{target}")
    with full.app_context():
        county = db.session.query(Region).filter_by(code=ZHAOYANG).one()
        village = db.session.query(Region).filter(Region.level == "village",
                                                  Region.path.startswith(county.path)).first().id
        counts = (db.session.query(Inspection).count(), db.session.query(Attachment).count())
        db.session.remove()
    client = full.test_client()
    # Signing in writes (the last login, the audit chain): the disk fills up once the user is in.
    login(client, "zhaoyang")
    filler = tiny_disk / "filler"
    free = shutil.disk_usage(tiny_disk).free
    filler.write_bytes(b"\0" * max(free - 64 * 1024, 0))  # leave less than one photo

    def submit():
        return client.post("/nameplates/inspections/new", content_type="multipart/form-data", data={
            "client_id": str(uuid.uuid4()), "village_id": str(village), "level": "乡镇全面复核",
            "inspected_on": clock.today().isoformat(), "found": ["村党组织|outside"],
            "wall_boards": "0", "wall_boards_ok": "1",
            "photos": [(io.BytesIO(photo((360, 360), noise=True)), "现场.jpg"), (io.BytesIO(photo((360, 360), noise=True)), "门牌.jpg")]})

    refused = submit()
    page = refused.get_data(as_text=True)
    assert refused.status_code >= 400 and "存储空间" in page, (refused.status_code, page[:500])
    with full.app_context():
        assert (db.session.query(Inspection).count(), db.session.query(Attachment).count()) == counts
        db.session.remove()

    filler.unlink()  # the administrator frees space; the console goes on, unrestarted
    saved = submit()
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    with full.app_context():
        assert db.session.query(Inspection).count() == counts[0] + 1
        assert db.session.query(Attachment).count() == counts[1] + 2
        db.session.remove()
