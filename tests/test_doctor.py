"""`jiceng doctor`: one line per part the host needs, the fix for each one missing, exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.foundation import fonts
from console.operations import doctor

pytestmark = pytest.mark.postgres


def _lines(output: str) -> dict[str, str]:
    """Finding lines by their title."""
    found = {}
    for line in output.splitlines():
        if line.startswith("["):
            title = line.split("]", 1)[1].split("：", 1)[0].strip()
            found[title] = line
    return found


def test_a_healthy_host_passes_every_check(runner):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert set(lines) == {"Python", "Pango（PDF 排版）", "HarfBuzz-Subset（字体子集）", f"简体中文字体（{fonts.CJK_FONT}）", "数据库",
                          "会话密钥（SECRET_KEY）", "数据加密密钥", "受保护数据加密", "时区", "对外访问地址（BASE_URL）", "磁盘空间"}
    assert all(line.startswith("[正常]") for line in lines.values())
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in lines["Python"]
    assert "全部正常" in result.output


def test_an_unreachable_database_and_an_unknown_zone_fail_with_their_fixes(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg2://nobody@127.0.0.1:1/none", TIMEZONE="Mars/Base")
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    lines = _lines(result.output)
    assert lines["数据库"].startswith("[缺少]") and "无法连接" in lines["数据库"]
    assert "修复：检查 JICENG_DATABASE_URL" in lines["数据库"]
    assert lines["时区"].startswith("[缺少]") and "Mars/Base" in lines["时区"]
    assert "修复：" in lines["时区"]
    assert lines["Python"].startswith("[正常]")
    assert "Traceback" not in result.output


def test_an_old_schema_is_reported_with_jiceng_init(make_app):
    app = make_app()
    from console.foundation.extensions import db

    with app.app_context():
        db.session.execute(db.text("DELETE FROM alembic_version"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "修复：运行 jiceng init" in _lines(result.output)["数据库"]


def test_a_short_or_readable_secret_key_is_refused(tmp_path):
    short = doctor.secret_key({"SECRET_KEY": "abc"}, str(tmp_path))
    assert not short.ok and "太短" in short.detail and "JICENG_SECRET_KEY" in short.fix
    key = "k" * 64
    (tmp_path / "secret_key").write_text(key)
    os.chmod(tmp_path / "secret_key", 0o644)
    env = os.environ.pop("JICENG_SECRET_KEY", None)
    try:
        readable = doctor.secret_key({"SECRET_KEY": key}, str(tmp_path))
        assert not readable.ok and f"chmod 600 {tmp_path / 'secret_key'}" in readable.fix
        os.chmod(tmp_path / "secret_key", 0o600)
        assert doctor.secret_key({"SECRET_KEY": key}, str(tmp_path)).ok
    finally:
        if env is not None:
            os.environ["JICENG_SECRET_KEY"] = env
    keys = tmp_path / "keys"
    keys.mkdir()
    missing = doctor.data_key({}, str(keys))
    assert not missing.ok and "jiceng init" in missing.fix
    assert not doctor.data_key({"DATA_KEY": "x"}, str(keys)).ok
    assert doctor.data_key({"DATA_KEY": "2:" + "ab" * 32}, str(keys)).ok
    (keys / "data_key").write_text("1:" + "cd" * 32 + "\n")
    os.chmod(keys / "data_key", 0o644)
    readable = doctor.data_key({}, str(keys))
    assert not readable.ok and "chmod 600" in readable.fix
    os.chmod(keys / "data_key", 0o600)
    assert doctor.data_key({}, str(keys)).ok


def test_old_python_and_little_disk_say_what_to_do(tmp_path):
    old = doctor.python_version((3, 9, 2))
    assert not old.ok and "3.9.2" in old.detail and "3.11" in old.fix
    assert doctor.python_version((3, 12, 0)).ok
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    full = doctor.free_disk(str(tmp_path), minimum_mb=free_mb + 1024)
    assert not full.ok and "修复：" in full.line()
    assert doctor.free_disk(str(tmp_path), minimum_mb=1).ok


def test_the_shipped_font_is_preferred_to_the_hosts(tmp_path, monkeypatch):
    system = fonts.cjk_font_face()[0]
    shutil.copyfile(system, tmp_path / fonts.SHIPPED_FILES[False])
    monkeypatch.setenv("JICENG_FONT_DIR", str(tmp_path))
    fonts.cjk_font.cache_clear()
    try:
        found = doctor.cjk_font()
        assert found.ok and "随控制台安装" in found.detail and str(tmp_path) in found.detail
        assert fonts.cjk_font_face() == (str(tmp_path / fonts.SHIPPED_FILES[False]), 0)
        assert [face["url"] for face in fonts.shipped_faces()] == [
            (tmp_path / fonts.SHIPPED_FILES[False]).as_uri()]
    finally:
        fonts.cjk_font.cache_clear()


def test_no_cjk_font_at_all_fails_with_the_fix(tmp_path):
    """A host whose fontconfig sees no CJK face (here: a configuration with no font folder)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "JICENG_FONT_DIR": str(tmp_path / "none")}
    code = ("from console.operations import doctor; f = doctor.cjk_font(); "
            "print(f.line()); raise SystemExit(0 if f.ok else 1)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("[缺少]") and "apt-get install fonts-noto-cjk" in result.stdout
