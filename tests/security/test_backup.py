"""``jiceng backup`` and ``jiceng restore``: a populated console survives the round trip whole,
and a file that does not fit the database here is refused in Chinese with nothing changed."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import conftest
from tests.security import records
from tests.security.records import snapshot
from tests.support import login


def _populate(app):
    from console.plugins import manager as plugins
    from console.foundation.extensions import db

    with app.app_context():
        records.build(records.ZHAOYANG, 1)
        records.build(records.ZHENXIONG, 2)
        plugins.set_enabled("example", False)
        db.session.remove()


def _mutate(app):
    """Changes of every kind made after the backup, which a restore has to undo."""
    from console.files import attachments
    from console.plugins import manager as plugins
    from console.foundation.extensions import db
    from console.files.models import Attachment
    from console.regions.models import Region

    with app.app_context():
        plugins.set_enabled("example", True)
        photo = db.session.query(Attachment).first()
        attachments.delete_for(db.session, photo.owner, photo.owner_id)
        db.session.query(Region).filter_by(code=records.ZHAOYANG).one().name = "改名区"
        records.build(records.ZHAOYANG, 3)
        # as a later migration would: the restore must not leave it behind
        db.session.execute(sa.text("CREATE TABLE newer_revision_table (id INTEGER PRIMARY KEY)"))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def populated(app, database_url):
    _populate(app)
    return database_url


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the kind under test, and a console built on it."""
    made = []

    def _make(name: str):
        if conftest.BACKEND == "postgres":
            dbname = f"jiceng_restore_{conftest.RUN_ID}_{name}"
            conftest._pg_create(dbname)
            url = conftest._pg_url(dbname)
            made.append(dbname)
        else:
            url = "sqlite:///" + str(tmp_path / f"{name}.db")
        app = conftest.build_app(url, tmp_path / f"{name}-instance")
        made.append(app)
        return url, app

    yield _make
    for item in made:
        if isinstance(item, str):
            conftest._pg_drop(item)
        else:
            conftest._dispose(item)


def _ok(result):
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _refused(result) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result.output


def test_round_trip_restores_every_row_of_every_table(app, runner, populated, tmp_path):
    before = snapshot(populated)
    assert before["attachment"] and all(len(row["data"]) > 100 for row in before["attachment"])
    for table in ("region", "ab_user", "plugin_state", "audit_log", "notification", "import_job",
                  "visits_enterprise", "visits_problem", "nameplates_inspection", "nameplates_rectification",
                  "talent_person", "talent_certificate", "example_note", "briefing_run"):
        assert before[table], f"{table} is empty: the round trip would prove nothing about it"

    file = tmp_path / "控制台备份.tar.gz"
    output = _ok(runner.invoke(args=["backup", str(file)]))
    assert "已备份" in output and file.stat().st_mode & 0o077 == 0

    _mutate(app)
    assert snapshot(populated) != before

    output = _ok(runner.invoke(args=["restore", "--yes", str(file)]))
    assert "已从" in output
    assert snapshot(populated) == before
    # Sequences came back too: new records get ids of their own.
    with app.app_context():
        from console.foundation.extensions import db

        records.build(records.ZHAOYANG, 4)
        db.session.remove()


def test_a_backup_restores_into_an_empty_database(app, runner, populated, tmp_path, fresh_database):
    before = snapshot(populated)
    file = tmp_path / "backup.tar.gz"
    _ok(runner.invoke(args=["backup", str(file)]))
    url, other = fresh_database("empty")
    _ok(other.test_cli_runner().invoke(args=["restore", "--yes", str(file)]))
    assert snapshot(url) == before
    # and the console works on it
    client = other.test_client()
    login(client, "zhaoyang", follow_redirects=False)
    assert client.get("/visits/enterprises/list/").status_code == 200


def test_a_write_in_progress_is_not_in_the_backup_and_does_not_block_it(app, runner, populated, tmp_path,
                                                                     fresh_database):
    engine = sa.create_engine(populated, poolclass=sa.pool.NullPool)
    file = tmp_path / "online.tar.gz"
    with engine.connect() as writer:
        writer.begin()
        writer.execute(sa.text("INSERT INTO plugin_setting (plugin, key, value) VALUES ('visits', 'x', '1')"))
        _ok(runner.invoke(args=["backup", str(file)]))
        writer.rollback()
    engine.dispose()
    url, other = fresh_database("online")
    _ok(other.test_cli_runner().invoke(args=["restore", "--yes", str(file)]))
    assert snapshot(url) == snapshot(populated)


def test_the_manifest_says_where_the_backup_came_from(app, runner, populated, tmp_path):
    from console.database import schema

    file = tmp_path / "b.tar.gz"
    _ok(runner.invoke(args=["backup", str(file)]))
    with tarfile.open(file) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        dump = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}[manifest["database"]]
        assert sorted(tar.getnames()) == sorted(["manifest.json", dump])
    assert manifest["database"] == ("postgresql" if conftest.BACKEND == "postgres" else "sqlite")
    assert manifest["format"] == "jiceng-backup" and manifest["console_version"] == "0.1.0"
    with app.app_context():
        assert set(manifest["heads"]) == {r.revision for r in schema.script_directory().get_revisions("heads")}
    assert manifest["created_at"][:4].isdigit() and len(manifest["sha256"]) == 64


# -- refusals ---------------------------------------------------------------------------------


def _rewrite(source: Path, target: Path, corrupt: bool = False, **changes) -> Path:
    """A copy of a backup with manifest fields changed (or its dump damaged)."""
    from console.operations.backup import DUMPS

    with tarfile.open(source) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        dump = tar.extractfile(DUMPS[manifest["database"]]).read()
    manifest.update(changes)
    if corrupt:
        dump = dump[:len(dump) // 2] + b"\0" * 64 + dump[len(dump) // 2 + 64:]
    with tarfile.open(target, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), (DUMPS[manifest["database"]], dump)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def backup_file(runner, populated, tmp_path):
    file = tmp_path / "good.tar.gz"
    _ok(runner.invoke(args=["backup", str(file)]))
    return file


def test_a_backup_of_the_other_kind_of_database_is_refused(runner, populated, backup_file, tmp_path):
    here = "postgresql" if conftest.BACKEND == "postgres" else "sqlite"
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[here]
    before = snapshot(populated)
    output = _refused(runner.invoke(args=["restore", "--yes", str(_rewrite(backup_file, tmp_path / "o.tar.gz",
                                                                           database=other))]))
    assert "只能恢复到同一种数据库" in output
    assert snapshot(populated) == before


def test_a_backup_from_a_newer_console_is_refused(runner, populated, backup_file, tmp_path):
    with tarfile.open(backup_file) as tar:
        heads = json.load(tar.extractfile("manifest.json"))["heads"]
    before = snapshot(populated)
    newer = _rewrite(backup_file, tmp_path / "n.tar.gz", heads=heads + ["0099_future"], console_version="9.0.0")
    output = _refused(runner.invoke(args=["restore", "--yes", str(newer)]))
    assert "比本控制台新" in output and "0099_future" in output and "请先升级控制台" in output
    assert snapshot(populated) == before


def test_a_damaged_backup_is_refused(runner, populated, backup_file, tmp_path):
    before = snapshot(populated)
    output = _refused(runner.invoke(args=["restore", "--yes", str(_rewrite(backup_file, tmp_path / "d.tar.gz",
                                                                           corrupt=True))]))
    assert "已损坏" in output
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup at all")
    assert "不是控制台的备份文件" in _refused(runner.invoke(args=["restore", "--yes", str(junk)]))
    assert "文件不存在" in _refused(runner.invoke(args=["restore", "--yes", str(tmp_path / "none.tar.gz")]))
    assert snapshot(populated) == before


def test_a_database_in_use_is_refused_unless_forced(app, runner, populated, backup_file):
    from console.foundation.extensions import db

    with app.app_context():
        db.session.execute(sa.text("UPDATE region SET name = '使用中' WHERE code = :c"), {"c": records.ZHAOYANG})
        db.session.commit()
        db.session.remove()
    changed = snapshot(populated)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, sqlalchemy as sa\n"
         "conn = sa.create_engine(sys.argv[1]).connect()\n"
         "conn.exec_driver_sql('SELECT 1').all()\n"
         "print('ready', flush=True)\n"
         "sys.stdin.read()\n",
         populated],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        output = _refused(runner.invoke(args=["restore", "--yes", str(backup_file)]))
        assert "数据库正在被使用" in output and "--force" in output
        assert snapshot(populated) == changed
        if conftest.BACKEND != "postgres":
            # SQLite replaces pages under its own locks; PostgreSQL would wait on the other
            # session's locks, so it is forced only once that session has gone.
            _ok(runner.invoke(args=["restore", "--yes", "--force", str(backup_file)]))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    if conftest.BACKEND == "postgres":
        _ok(runner.invoke(args=["restore", "--yes", "--force", str(backup_file)]))
    assert snapshot(populated) != changed
    with app.app_context():
        name = db.session.execute(sa.text("SELECT name FROM region WHERE code = :c"),
                                  {"c": records.ZHAOYANG}).scalar()
        db.session.remove()
    assert name == "昭阳区"


def test_backup_never_overwrites_a_file(runner, populated, backup_file):
    before = backup_file.read_bytes()
    assert "文件已存在" in _refused(runner.invoke(args=["backup", str(backup_file)]))
    assert backup_file.read_bytes() == before


def test_restore_asks_first_and_a_no_changes_nothing(runner, populated, backup_file, app):
    from console.foundation.extensions import db

    with app.app_context():
        db.session.execute(sa.text("UPDATE region SET name = '未恢复' WHERE code = :c"), {"c": records.ZHAOYANG})
        db.session.commit()
        db.session.remove()
    changed = snapshot(populated)
    output = _refused(runner.invoke(args=["restore", str(backup_file)], input="n\n"))
    assert "确定恢复" in output and "已取消" in output
    assert snapshot(populated) == changed


def test_help_is_in_chinese(runner):
    assert "备份到新文件" in _ok(runner.invoke(args=["backup", "--help"]))
    output = _ok(runner.invoke(args=["restore", "--help"]))
    assert "替换当前数据库" in output and "--force" in output
