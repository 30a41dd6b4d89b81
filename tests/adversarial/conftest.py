"""Shared pieces of the adversarial suite: who signs in, how a server is started with several
workers, and a small HTTP session for threads that talk to it like a browser (cookies, CSRF)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, SECRET_KEY, _free_port

ZHAOYANG = "530602"
ZHENXIONG = "530627"

#: Every role of the console through one of the template's accounts.
ROLES = ("admin", "zhaoyang", "zhenxiong", "lingdao", "visits_owner", "nameplates_owner",
         "talent_owner")

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def password_of(username: str) -> str:
    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD


def jwt_headers(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": password_of(username), "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": "Bearer " + response.get_json()["access_token"]}


def login(client, username: str = "admin"):
    response = client.post("/login/", data={"username": username, "password": password_of(username)},
                           follow_redirects=True)
    assert response.status_code == 200
    return response


# -- a gunicorn server with several workers --------------------------------------------------


class Server:
    """gunicorn serving the console; knows its master's pid and reads its workers' from /proc."""

    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path):
        self.proc = proc
        self.url = url
        self.log_path = log_path

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_workers(self, count: int, timeout: float = 60) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) >= count:
                return pids
            time.sleep(0.2)
        raise AssertionError(f"gunicorn has {len(self.workers())} workers, expected {count}")


def start_server(database_url: str, instance: Path, *, workers: int = 4,
                 extra_env: dict | None = None) -> Server:
    port = _free_port()
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JICENG_DATABASE_URL": database_url, "JICENG_INSTANCE_PATH": str(instance),
           "JICENG_SECRET_KEY": SECRET_KEY, "JICENG_LOGIN_RATE_LIMIT": "10000 per minute",
           **(extra_env or {})}
    log_path = instance / "gunicorn.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the child writes to it until it stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--graceful-timeout", "5", "--no-control-socket", "console.wsgi:app"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(server.url + "/login/", timeout=5):
                break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(server)
                raise RuntimeError("gunicorn did not start:\n" + server.log()) from None
            time.sleep(0.3)
    server.wait_for_workers(workers)
    return server


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=30)


@pytest.fixture
def server4(database_url, tmp_path):
    """The console under gunicorn with 4 workers, as production runs it."""
    server = start_server(database_url, tmp_path / "live4", workers=4)
    yield server
    stop_server(server)


# -- a browser-like session for threads ------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """Cookies and the CSRF token of one signed-in user, over urllib (thread-safe per instance)."""

    def __init__(self, base_url: str, timeout: float = 120):
        self.base = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | list | None = None, *, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, dict, str]:
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=body)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            return exc.code, dict(exc.headers), text

    def get(self, path: str):
        return self.request(path)

    def csrf(self, path: str) -> str:
        status, _, text = self.get(path)
        assert status == 200, (path, status, text[:300])
        match = _CSRF.search(text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, username: str) -> Browser:
        token = self.csrf("/login/")
        status, headers, text = self.request("/login/", {
            "csrf_token": token, "username": username, "password": password_of(username)})
        assert status in (302, 303), (status, text[:500])
        return self


def multipart(fields: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body: ``files`` maps a field to (file name, content)."""
    boundary = "----jiceng" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        parts.append(head + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
