"""The offline bundle (`make bundle`, deploy/) installs and upgrades with the network cut.

Every command after the build runs inside one network namespace with no network at all
(`unshare -n`: only a loopback), so a step that reached for PyPI or Debian's mirror would fail.
The briefing is rendered with a fontconfig that sees no CJK font of the host, so a PDF whose
embedded face is Noto Sans CJK SC got it from the bundle.  `make test-bundle` runs these (as root).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from tests.support import ADMIN_PASSWORD, DEMO_PASSWORD

pytestmark = pytest.mark.bundle

ROOT = Path(__file__).resolve().parent.parent
SERVICE_USER = "jiceng-bt"
PORT = 8080
# The target host's interpreter: Debian's own, without the project's virtualenv around it.
TARGET_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
OLDER = "0.0.1"


def _version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


@pytest.fixture(scope="session", autouse=True)
def _root_and_namespaces():
    if os.geteuid() != 0:
        pytest.skip("the bundle tests install as root (make test-bundle)")
    if subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("unshare -n does not work here")


@pytest.fixture(scope="session")
def service_user():
    existed = _user_exists(SERVICE_USER)
    yield SERVICE_USER
    if not existed and _user_exists(SERVICE_USER):
        subprocess.run(["userdel", SERVICE_USER], check=False)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Offline:
    """One network namespace with no network, entered by every command of the tests."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "infinity"])
        # Until unshare has run, the child's pid is still in this namespace: entering it then would
        # bring up the host's loopback and leave the new namespace's down.
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 30
        while os.readlink(f"/proc/{self.holder.pid}/ns/net") == ours:
            assert time.monotonic() < deadline, "unshare -n did not make a namespace"
            time.sleep(0.05)
        self.run("ip", "link", "set", "lo", "up", check=True)

    def command(self, *args) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "-n", "--", *map(str, args)]

    def run(self, *args, check=False, **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.command(*args), check=check, **kwargs)

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), **kwargs)

    def close(self):
        self.holder.kill()
        self.holder.wait()


@pytest.fixture(scope="session")
def offline():
    ns = Offline()
    yield ns
    ns.close()


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dist")


def _build(version: str, out: Path) -> Path:
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "build_bundle.py"), "--version",
                             version, "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def bundle(dist) -> Path:
    return _build(_version(), dist)


def _unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (top,) = into.iterdir()
    return top


@pytest.fixture
def host(service_user):
    """A place standing for the intranet host's /opt, /var/lib, /etc: readable by the service
    user (pytest's own temporary folders are root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="jiceng-host-", dir="/var/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _settings(base: Path) -> dict:
    return {"JICENG_PREFIX": str(base / "opt"), "JICENG_INSTANCE_PATH": str(base / "var"),
            "JICENG_ETC": str(base / "etc"), "JICENG_UNIT_DIR": str(base / "units"),
            "JICENG_USER": SERVICE_USER, "JICENG_PYTHON": TARGET_PYTHON, "JICENG_BIND": "127.0.0.1",
            "JICENG_PORT": str(PORT), "JICENG_ADMIN_PASSWORD": ADMIN_PASSWORD}


def _host_env(base: Path, fontconfig: Path | None = None) -> dict:
    # Nothing of the build host's Python set-up leaks in: no virtualenv, no pip configuration.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHON", "JICENG_"))}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env.update(_settings(base))
    if fontconfig:
        env["FONTCONFIG_FILE"] = str(fontconfig)
    return env


def _install(offline: Offline, bundle_dir: Path, base: Path) -> str:
    result = offline.run("bash", bundle_dir / "install.sh", env=_host_env(base), cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _as_service(offline: Offline, base: Path, *args, fontconfig=None, **kwargs):
    """A command of the installed console as the units run it: the service user, its settings."""
    env = _host_env(base, fontconfig)
    env.update(_env_file(base))
    env["JICENG_DEMO_PASSWORD"] = DEMO_PASSWORD
    return offline.run("runuser", "-u", SERVICE_USER, "--", *args, env=env, cwd=base / "var", **kwargs)


def _env_file(base: Path) -> dict:
    pairs = {}
    for line in (base / "etc" / "jiceng.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def _exec_start(base: Path, unit: str) -> list[str]:
    text = (base / "units" / unit).read_text()
    assert f"User={SERVICE_USER}" in text and f"EnvironmentFile={base / 'etc' / 'jiceng.env'}" in text
    return re.search(r"(?m)^ExecStart=(.*)$", text).group(1).split()


def _hosts_fonts_hidden(tmp: Path) -> Path:
    """A fontconfig that knows only DejaVu: the host's Noto CJK collections are out of sight."""
    conf = tmp / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    "<dir>/usr/share/fonts/truetype/dejavu</dir>"
                    f"<cachedir>{tmp}/fc-cache</cachedir></fontconfig>")
    conf.chmod(0o644)
    return conf


def test_the_bundle_installs_serves_and_renders_with_no_network(bundle, offline, host):
    # The namespace really has no network: not even the host's own PostgreSQL answers.
    probe = offline.run(TARGET_PYTHON, "-c",
                        "import socket; socket.create_connection(('127.0.0.1', 5432), 3)")
    assert probe.returncode != 0

    top = _unpack(bundle, host / "bundle")
    assert (top / "VERSION").read_text().strip() == _version()
    names = {p.name for p in (top / "wheels").iterdir()}
    assert all(name.endswith(".whl") for name in names)
    assert any(name.startswith(f"jiceng_console-{_version()}-") for name in names)
    requirements = (top / "requirements.txt").read_text().splitlines()
    assert len(requirements) == len(names) and all("--hash=sha256:" in r for r in requirements)

    out = _install(offline, top, host)
    assert "离线包校验通过" in out and "systemd 未运行" in out
    assert f"访问地址：http://127.0.0.1:{PORT}/" in out
    assert "已创建管理员 admin" in out
    venv = host / "opt" / "current"
    shipped = venv / "share" / "jiceng" / "fonts" / "NotoSansCJKsc-Regular.otf"
    assert shipped.is_file() and (venv / "share" / "jiceng" / "fonts" / "LICENSE-OFL.txt").is_file()
    # Installed from the bundle's wheels: nothing of the build tree or its virtualenv.
    where = _as_service(offline, host, venv / "bin" / "python", "-c",
                        "import console, jiceng.plugins.visits as v; print(console.__file__, v.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.split() == [f"{venv}/lib/python3.11/site-packages/console/__init__.py",
                                    f"{venv}/lib/python3.11/site-packages/jiceng/plugins/visits/__init__.py"]

    demo = _as_service(offline, host, venv / "bin" / "jiceng", "demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr

    fontconfig = _hosts_fonts_hidden(host)
    hidden = subprocess.run(["fc-match", "-f", "%{family}", "Noto Sans CJK SC:lang=zh-cn"],
                            env={**os.environ, "FONTCONFIG_FILE": str(fontconfig)},
                            capture_output=True, text=True)
    assert "CJK" not in hidden.stdout

    env = _host_env(host, fontconfig)
    env.update(_env_file(host))
    services = [offline.popen("runuser", "-u", SERVICE_USER, "--", *_exec_start(host, unit), env=env,
                              cwd=host / "var", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for unit in ("jiceng-web.service", "jiceng-scheduler.service")]
    try:
        # Waits for start-up and the scheduler's first heartbeat, then asks once more for the code.
        health = offline.run(venv / "bin" / "python", "-c", _WAIT_FOR_HEALTH, f"http://127.0.0.1:{PORT}/health")
        assert health.returncode == 0, health.stdout + health.stderr
        assert health.stdout.split()[0] == "200", health.stdout
        assert str(shipped.resolve()) in health.stdout  # the health check's font is the shipped file
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(timeout=60)

    pdf = host / "var" / "简报.pdf"
    briefing = _as_service(offline, host, venv / "bin" / "jiceng", "briefing", "run", "--scope", "昭通市",
                           "--period", "2025-12", "--out", pdf, fontconfig=fontconfig)
    assert briefing.returncode == 0, briefing.stdout + briefing.stderr
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # Every face is the shipped one (the only CJK face this fontconfig can reach), embedded.
    faces = {line.split()[0].split("+", 1)[1]: line for line in fonts.splitlines()[2:]}
    assert set(faces) == {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}, fonts
    assert all(" yes yes yes " in line for line in faces.values()), fonts

    doctor = _as_service(offline, host, venv / "bin" / "jiceng", "doctor", fontconfig=fontconfig)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert f"随控制台安装：{shipped.resolve()}" in doctor.stdout


_WAIT_FOR_HEALTH = """
import json, sys, time, urllib.error, urllib.request
url = sys.argv[1]
for _ in range(120):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            print(r.status, json.dumps(json.load(r), ensure_ascii=False)); break
    except urllib.error.HTTPError as e:
        last = (e.code, e.read().decode())
    except OSError as e:
        last = (0, str(e))
    time.sleep(1)
else:
    print(*last)
"""


def _counts(database: Path) -> dict:
    with sqlite3.connect(database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables
                if t.startswith(("ab_user", "region", "visits_", "nameplates_", "talent_"))}


def test_a_newer_bundle_upgrades_in_place_with_a_backup_and_the_data_kept(bundle, dist, offline, host):
    older = _unpack(_build(OLDER, dist / "older"), host / "older")
    assert (older / "VERSION").read_text().strip() == OLDER
    _install(offline, older, host)
    first = (host / "opt" / "current").resolve()
    assert first.name.startswith(f"{OLDER}-")
    venv = host / "opt" / "current"
    demo = _as_service(offline, host, venv / "bin" / "jiceng", "demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    database = host / "var" / "jiceng.db"
    before = _counts(database)
    assert before["ab_user"] > 1 and any(v > 0 for k, v in before.items() if k.startswith("visits_"))
    secret = (host / "var" / "secret_key").read_text()

    out = _install(offline, _unpack(bundle, host / "newer"), host)
    assert f"检测到已安装的版本：{first.name}" in out and "已备份到" in out
    assert "管理员 admin 已存在，未修改" in out
    second = (host / "opt" / "current").resolve()
    assert second.name.startswith(f"{_version()}-") and second != first
    assert first.is_dir()  # the old release stays for the rollback the README describes
    (backup,) = (host / "var" / "backups").iterdir()
    assert backup.name.startswith(f"before-{_version()}-") and backup.stat().st_size > 0
    assert _counts(database) == before
    assert (host / "var" / "secret_key").read_text() == secret
    installed = _as_service(offline, host, venv / "bin" / "python", "-c",
                            "from importlib.metadata import version; print(version('jiceng-console'))")
    assert installed.stdout.strip() == _version()
    doctor = _as_service(offline, host, venv / "bin" / "jiceng", "doctor")
    assert "[正常] 数据库" in doctor.stdout, doctor.stdout


def test_a_changed_or_added_file_stops_the_installation_before_anything_is_installed(bundle, offline, host):
    top = _unpack(bundle, host / "bundle")
    requirements = top / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("--hash=sha256:", "--hash=sha256:0", 1))
    result = offline.run("bash", top / "install.sh", env=_host_env(host), cwd="/")
    assert result.returncode == 1 and "离线包校验失败" in result.stderr, result.stdout + result.stderr
    assert not (host / "opt").exists() and not (host / "etc").exists()

    top = _unpack(bundle, host / "again")
    (top / "wheels" / "extra-1.0-py3-none-any.whl").write_bytes(b"not listed")
    result = offline.run("bash", top / "install.sh", env=_host_env(host), cwd="/")
    assert result.returncode == 1 and "MANIFEST 未列出的文件" in result.stderr
    assert "wheels/extra-1.0-py3-none-any.whl" in result.stderr
    assert not (host / "opt").exists()
