"""`jiceng serve` as a user starts it: gunicorn workers plus the scheduler process."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from tests.support import free_port


def _health(url):
    try:
        with urllib.request.urlopen(url + "/health", timeout=3) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)
    except OSError:
        return None, None


def test_serve_runs_gunicorn_and_the_scheduler_and_stops_cleanly(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "JICENG_DATABASE_URL": database_url, "JICENG_INSTANCE_PATH": str(tmp_path),
           "JICENG_PORT": str(port), "JICENG_WORKERS": "2"}
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "console", "serve"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        status, body = None, None
        while time.time() < deadline:
            status, body = _health(url)
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, (body, (tmp_path / "serve.log").read_text(errors="replace")[-3000:])
        assert body["scheduler"]["ok"] and body["database"]["ok"]
        # serve itself, the scheduler, the gunicorn master and its two workers; and the
        # scheduler's briefing renderer: a fork server and multiprocessing's resource tracker
        running = _processes_with(f"JICENG_PORT={port}")
        renderer = [pid for pid in running if b"multiprocessing" in _cmdline(pid)]
        assert len(running) - len(renderer) == 5
        assert len(renderer) == 2 and any(b"console.briefings.render" in _cmdline(pid) for pid in renderer)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        log.close()
    assert code == 0
    assert _health(url) == (None, None)  # gunicorn is gone
    assert _processes_with(f"JICENG_PORT={port}") == []  # no worker or scheduler left behind


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (children inherit it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if marker.encode() in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found
