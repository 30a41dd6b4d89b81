"""cProfile of the console's slowest endpoints, in a process of its own on the same database.

The child builds the console, signs in as the admin through the login form (Flask's test
client: no network, the same views and queries), warms each path up, then profiles a few
requests and writes the top of the profile, by cumulative and by own time, as text.

    python -m bench.profiles OUT_DIR PREFIX KEY=PATH [KEY=PATH ...]
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import subprocess
import sys
from pathlib import Path

from . import data, servers

REQUESTS = 10


def profile_slowest(db: data.Database, result, count: int, out_dir: Path) -> list[str]:
    ranked = sorted(((runs["console"].percentile(95) or 0, ep) for ep, runs, _ in result.rows),
                    key=lambda pair: -pair[0])[:count]
    out_dir = Path(out_dir) / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [f"{ep.key}{'@api' if ep.api else ''}={ep.console}" for _, ep in ranked]
    proc = subprocess.run([sys.executable, "-m", "bench.profiles", str(out_dir), result.kind, *args],
                          cwd=servers.ROOT, env=db.env, capture_output=True, text=True)
    if proc.returncode != 0:
        # A profile is a diagnosis, not a measurement: its failure is kept, the run goes on.
        failure = out_dir / f"{result.kind}-failed.txt"
        failure.write_text(proc.stdout + "\n" + proc.stderr)
        print(f"profiling failed, see {failure}", file=sys.stderr)
        return [str(failure)]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child(out_dir: str, prefix: str, targets: list[str]) -> None:
    from console.app import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    browser = app.test_client()
    response = browser.post("/login/", data={"username": data.ADMIN_USER,
                                             "password": data.ADMIN_PASSWORD})
    if response.status_code != 302:
        sys.exit(f"login failed: {response.status_code}")
    api = app.test_client()
    token = api.post("/api/v1/security/login", json={
        "username": data.ADMIN_USER, "password": data.ADMIN_PASSWORD, "provider": "db"}).json["access_token"]
    written = []
    for target in targets:
        key, path = target.split("=", 1)
        is_api = key.endswith("@api")
        key = key.removesuffix("@api")

        def get(path=path, is_api=is_api):
            if is_api:
                return api.get(path, headers={"Authorization": f"Bearer {token}"})
            return browser.get(path)

        for _ in range(3):
            assert get().status_code == 200, path
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(REQUESTS):
            get()
        profiler.disable()
        text = io.StringIO()
        text.write(f"GET {path}  ({REQUESTS} requests, console, {prefix})\n\n")
        stats = pstats.Stats(profiler, stream=text)
        stats.strip_dirs().sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        target_file = Path(out_dir) / f"{prefix}-{key}.txt"
        target_file.write_text(text.getvalue())
        written.append(str(target_file))
    print(json.dumps(written))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3:])
