"""Shared pieces of the adversarial suite: who signs in, how a server is started with several
workers, and a small HTTP session for threads that talk to it like a browser (cookies, CSRF)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import SECRET_KEY
from tests.support import (  # noqa: F401 - shared by the suite's modules
    Server, jwt_headers, login, password_of, start_server, stop_server,
)

ZHAOYANG = "530602"
ZHENXIONG = "530627"

#: Every role of the console through one of the template's accounts.
ROLES = ("admin", "zhaoyang", "zhenxiong", "lingdao", "visits_owner", "nameplates_owner",
         "talent_owner")

CHINESE = re.compile(r"[\u4e00-\u9fff]")


# -- a gunicorn server with several workers --------------------------------------------------


@pytest.fixture
def server4(database_url, tmp_path):
    """The console under gunicorn with 4 workers, as production runs it."""
    server = start_server(database_url, tmp_path / "live4", secret_key=SECRET_KEY, workers=4)
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
