"""Start and stop the two apps under gunicorn, and read their workers' memory from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = str(Path(__file__).resolve().parent / "gunicorn_conf.py")
APPS = {"console": "console.wsgi:app", "bare": "bench.bare_app:app"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master with ``workers`` sync workers, as ``jiceng serve`` runs it."""

    def __init__(self, name: str, env: dict, log_dir: Path, workers: int = 2):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
             f"127.0.0.1:{self.port}", "--timeout", "600", "--no-control-socket", "-c", CONF,
             APPS[name]],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) >= 1:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def worker_rss(self) -> dict[int, int]:
        """Resident memory of each worker, in bytes."""
        out = {}
        for pid in self.worker_pids():
            rss = rss_of(pid)
            if rss:
                out[pid] = rss
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the workers of some servers in the background; ``window()`` gives the peak of
    the largest worker per server since the last call."""

    def __init__(self, servers: list[Server], every: float = 0.2):
        self.servers = servers
        self.every = every
        self._peak = {s.name: 0 for s in servers}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self):
        for server in self.servers:
            biggest = max(server.worker_rss().values(), default=0)
            with self._lock:
                self._peak[server.name] = max(self._peak[server.name], biggest)

    def window(self) -> dict[str, int]:
        self.sample()
        with self._lock:
            peak = dict(self._peak)
            self._peak = {name: 0 for name in self._peak}
        return peak


def stop_all(servers) -> None:
    for server in servers:
        try:
            server.stop()
        except Exception as exc:  # noqa: BLE001 - one server failing to stop must not hide another
            print(f"could not stop {server.name}: {exc}", file=sys.stderr)


def environment(database_url: str, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_")}
    env.update({
        "JICENG_DATABASE_URL": database_url, "BENCH_DATABASE_URL": database_url,
        "JICENG_INSTANCE_PATH": str(instance),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    })
    return env
