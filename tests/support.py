"""What many tests need, written once: the accounts' passwords, signing in, a console served by
gunicorn, real photos with the EXIF a phone writes, and real Excel files.

Fixtures stay in the conftest files; these are plain functions so that a test, a fixture or a
helper module can call them alike.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

ADMIN_PASSWORD = "Admin-Pass-2025!"
DEMO_PASSWORD = "Demo-Pass-2025!"


def password_of(username: str) -> str:
    """The password the test template gives ``username`` (admin, or one of the demo accounts)."""
    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD


# -- signing in -------------------------------------------------------------------------------


def login(client, username: str = "admin", password: str | None = None, *, follow_redirects: bool = True):
    """Sign ``client`` in through the login form, as a person does; returns the response."""
    return client.post("/login/", data={"username": username, "password": password or password_of(username)},
                       follow_redirects=follow_redirects)


EXPORT_REASON = "报送县委社会工作部季度核查"


def export(client, path: str, reason: str = EXPORT_REASON):
    """Download an export the way its page does: an export of personal information asks for a
    reason first (a form posted back to the same address), the others answer the GET."""
    response = client.get(path)
    if response.status_code == 200 and response.get_data()[:2] != b"PK" and b'name="reason"' in response.get_data():
        response = client.post(path, data={"reason": reason})
    return response


def logout(client, *, follow_redirects: bool = True):
    """Sign ``client`` out as a person does: the confirmation page's form, a POST carrying its
    CSRF token (GET /logout/ only asks).  Returns the response."""
    page = client.get("/logout/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return client.post("/logout/", data={"csrf_token": found[1]} if found else {},
                       follow_redirects=follow_redirects)


def jwt_headers(client, username: str) -> dict[str, str]:
    """The Authorization header of a REST API session for ``username``."""
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": password_of(username), "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": "Bearer " + response.get_json()["access_token"]}


def logout_in_browser(page, base_url: str) -> None:
    """Sign out in a browser as a person does from a link: the confirmation page's button."""
    page.goto(base_url + "/logout/")
    if "/login" not in page.url:
        with page.expect_navigation():
            page.get_by_role("button", name="确认退出登录").click()


def login_in_browser(page, base_url: str, username: str = "admin", password: str | None = None) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or password_of(username))
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")


# -- the console under gunicorn ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving the console; knows its master's pid and reads its workers' from /proc."""

    proc: subprocess.Popen
    url: str
    log_path: Path

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


def start_server(database_url: str, instance: Path, *, secret_key: str, workers: int = 2,
                 timeout: int = 120, extra_env: dict | None = None) -> Server:
    """Start ``gunicorn console.wsgi:app`` on a free port, the way production starts it, and wait
    until it answers and all its workers are up."""
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JICENG_DATABASE_URL": database_url, "JICENG_INSTANCE_PATH": str(instance),
           "JICENG_SECRET_KEY": secret_key, "JICENG_LOGIN_RATE_LIMIT": "10000 per minute",
           **(extra_env or {})}
    log_path = instance / "gunicorn.log"
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", str(timeout), "--graceful-timeout", "5", "--no-control-socket", "console.wsgi:app"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
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


# -- photos -----------------------------------------------------------------------------------


def _dms(value: float):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def photo(size: tuple[int, int] = (64, 48), *, taken: str | None = None, offset: str | None = None,
          lat: float | None = None, lon: float | None = None, orientation: int | None = None,
          fmt: str = "JPEG", mode: str = "RGB", colour=(200, 30, 30), noise: bool = False,
          exif: bytes | None = None) -> bytes:
    """A real image file, by default a small JPEG, with the EXIF a phone camera writes: capture
    time (``taken``, ``offset``), position (``lat``, ``lon``) and ``orientation``.  ``noise``
    fills it with random pixels, which do not compress; ``exif`` writes a raw EXIF block as is."""
    if noise:
        img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        img = Image.new(mode, size, colour)
    tags = Image.Exif()
    if orientation:
        tags[0x0112] = orientation
    if taken or offset:
        sub = tags.get_ifd(0x8769)
        if taken:
            sub[0x9003] = taken
        if offset:
            sub[0x9011] = offset
    if lat is not None:
        gps = tags.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(abs(lat))
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(abs(lon))
    options = {}
    if fmt == "JPEG":
        options["quality"] = 95 if noise else 75
        if exif is not None or orientation or taken or offset or lat is not None:
            options["exif"] = exif if exif is not None else tags
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, colour=(200, 30, 30), **exif) -> bytes:
    """A plain JPEG of ``width`` x ``height``; keyword arguments as for ``photo``."""
    return photo((width, height), colour=colour, **exif)


# -- Excel files ------------------------------------------------------------------------------


def xlsx_bytes(rows: Iterable[Iterable], sheet: str | None = None) -> bytes:
    """A real .xlsx holding ``rows`` on its first sheet."""
    wb = Workbook()
    ws = wb.active
    if sheet:
        ws.title = sheet
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_xlsx(path, rows: Iterable[Iterable], sheet: str | None = None) -> str:
    Path(path).write_bytes(xlsx_bytes(rows, sheet))
    return str(path)


def read_xlsx(data: bytes, sheet: int = 0) -> list[tuple]:
    """The rows of a sheet of an .xlsx, as values."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


@contextlib.contextmanager
def statements(app):
    """The SQL statements ``app``'s engine runs inside the block, in order."""
    from sqlalchemy import event

    from console.foundation.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
