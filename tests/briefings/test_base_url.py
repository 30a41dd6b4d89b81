"""Drill-down links come from one configured address (BASE_URL), for the web and the command
line alike; a console that serves other hosts refuses to start without it, in Chinese."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from console.foundation import settings
from tests.conftest import SECRET_KEY
from tests.support import free_port

from .conftest import pdf_links, requires_poppler


def _env(database_url, instance, **extra):
    env = {**os.environ, "JICENG_DATABASE_URL": database_url, "JICENG_INSTANCE_PATH": str(instance),
           "JICENG_SECRET_KEY": SECRET_KEY, **extra}
    if "JICENG_BASE_URL" not in extra:
        env.pop("JICENG_BASE_URL", None)
    return env


def test_the_address_is_configured_or_the_local_one_on_the_demo():
    assert settings.base_url({"BASE_URL": "https://jiceng.example.cn"}) == "https://jiceng.example.cn/"
    assert settings.base_url({"BASE_URL": None, "BIND": "127.0.0.1", "PORT": 8080}) == "http://127.0.0.1:8080/"
    settings.check({"BIND": "127.0.0.1", "BASE_URL": None})  # the embedded demo needs none
    with pytest.raises(settings.ConfigurationError, match="JICENG_BASE_URL"):
        settings.check({"BIND": "0.0.0.0", "BASE_URL": None})
    with pytest.raises(settings.ConfigurationError, match="http://"):
        settings.check({"BIND": "127.0.0.1", "BASE_URL": "jiceng.example.cn"})


def test_the_command_line_refuses_to_start_in_production_without_it(database_url, tmp_path):
    done = subprocess.run([sys.executable, "-m", "console", "briefing", "run", "--scope", "昭通市",
                           "--period", "2025-11"], env=_env(database_url, tmp_path, JICENG_BIND="0.0.0.0"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "没有设置对外访问地址" in done.stderr and "JICENG_BASE_URL" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_gunicorn_refuses_to_start_in_production_without_it(database_url, tmp_path):
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                                 f"127.0.0.1:{free_port()}", "--no-control-socket", "console.wsgi:app"],
                                env=_env(database_url, tmp_path, JICENG_BIND="0.0.0.0"),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("gunicorn kept running without BASE_URL:\n" + log.read_text())
    assert proc.returncode != 0
    assert "控制台未启动" in log.read_text() and "JICENG_BASE_URL" in log.read_text()


@requires_poppler
def test_a_pdf_made_on_the_command_line_links_to_the_configured_address(world, activity, month, database_url,
                                                                          tmp_path):
    out = tmp_path / "cli.pdf"
    done = subprocess.run([sys.executable, "-m", "console", "briefing", "run", "--scope", "昭通市",
                           "--period", month.key, "--out", str(out)],
                          env=_env(database_url, tmp_path / "cli", JICENG_BIND="0.0.0.0",
                                   JICENG_BASE_URL="https://jiceng.zhaotong.example/"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    links = pdf_links(out.read_bytes(), tmp_path)
    visits = [link for link in links if "/visits/" in link]
    assert visits and all(link.startswith("https://jiceng.zhaotong.example/visits/") for link in visits)
    assert not any("127.0.0.1" in link for link in links)
