"""HTTP clients for the benchmark: a signed-in browser session or a JWT, over keep-alive
connections to loopback only, and the drivers that time requests (sequential, N threads)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Client:
    """One connection (re-opened when the server closes it, as gunicorn's sync worker does)."""

    def __init__(self, port: int, cookies: dict | None = None, token: str | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for raw in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, dict(response.headers.items()), data

    def close(self):
        self.conn.close()


def login(port: int, username: str, password: str) -> dict:
    """Sign in through the app's own /login/ form; returns the session cookies."""
    client = Client(port)
    status, _, page = client.request("GET", "/login/")
    match = _CSRF.search(page.decode("utf-8", "replace"))
    form = {"username": username, "password": password}
    if match:
        form["csrf_token"] = match.group(1) or match.group(2)
    status, headers, _ = client.request(
        "POST", "/login/", urllib.parse.urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    location = headers.get("Location", "")
    if status != 302 or "login" in location:
        raise RuntimeError(f"login of {username} on port {port} failed: {status} {location}")
    client.close()
    return client.cookies


def jwt(port: int, username: str, password: str) -> str:
    client = Client(port)
    body = json.dumps({"username": username, "password": password, "provider": "db"}).encode()
    status, _, data = client.request("POST", "/api/v1/security/login", body,
                                     {"Content-Type": "application/json"})
    client.close()
    if status != 200:
        raise RuntimeError(f"JWT login on port {port} failed: {status} {data[:200]!r}")
    return json.loads(data)["access_token"]


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    def add(self, seconds: float, status: int, headers: dict):
        self.seconds.append(seconds)
        if status != 200:
            self.errors += 1
        q = headers.get("X-SQL-Queries")
        if q is not None:
            self.queries.append(int(q))

    def percentile(self, p: float) -> float | None:
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def rps(self) -> float | None:
        return len(self.seconds) / self.wall if self.wall else None

    @property
    def median_queries(self) -> int | None:
        return sorted(self.queries)[len(self.queries) // 2] if self.queries else None


def timed(client: Client, path: str, timings: Timings) -> tuple[int, bytes]:
    start = time.perf_counter()
    status, headers, body = client.request("GET", path)
    timings.add(time.perf_counter() - start, status, headers)
    return status, body


def concurrent(make_client, paths: list[str], total: int, threads: int, max_seconds: float) -> Timings:
    """``threads`` clients share ``total`` requests, cycling through ``paths``; stops early
    when ``max_seconds`` have passed."""
    timings = Timings()
    lock = threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + max_seconds

    def work():
        client = make_client()
        own = Timings()
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= total:
                    break
                n = issued[0]
                issued[0] += 1
            timed(client, paths[n % len(paths)], own)
        client.close()
        with lock:
            timings.seconds.extend(own.seconds)
            timings.queries.extend(own.queries)
            timings.errors += own.errors

    timings.wall = run_threads(work, threads)
    return timings


def run_threads(work, threads: int) -> float:
    """Run ``work`` in ``threads`` threads at once; the wall-clock seconds until the last ends."""
    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start
