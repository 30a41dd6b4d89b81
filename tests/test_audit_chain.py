"""The audit log's hash chain: `jiceng audit verify` names what was changed behind the console's
back, the head outside the database shows a truncated table, and archives keep the chain whole.

Runs on SQLite and, with JICENG_TEST_DATABASE=postgres, on PostgreSQL (the two concurrent
writers there)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from console.audit import log as audit
from console.audit.models import AuditChain, AuditLog
from console.foundation import clock
from console.foundation.extensions import db
from tests.conftest import BACKEND


@pytest.fixture
def chain_app(make_app):
    """A console with an instance folder of its own, so its head file starts with this test."""
    return make_app()


def _verify(app, *args):
    result = app.test_cli_runner().invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


def _write(app, count=5, at=None):
    """Entries written through the console; returns their ids."""
    with app.app_context():
        audit.set_actor("测试员")
        for n in range(count):
            if at is None:
                audit.record("settings", entity="plugin", entity_id="visits", summary=f"第 {n} 次")
            else:
                db.session.add(AuditLog(at=at + dt.timedelta(minutes=n), username="测试员", action="settings",
                                        entity="plugin", entity_id="visits", summary=f"旧记录 {n}"))
            db.session.commit()
        return [row.id for row in db.session.query(AuditLog).order_by(AuditLog.seq.desc()).limit(count)][::-1]


def _sql(app, statement, **params):
    """Plain SQL on the database, as someone with database access and no console would run it."""
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text(statement), params)


def test_an_untouched_log_verifies(chain_app):
    _write(chain_app)
    code, output = _verify(chain_app)
    assert code == 0, output
    assert "审计日志完整" in output
    with chain_app.app_context():
        seqs = [s for (s,) in db.session.query(AuditLog.seq).filter(AuditLog.seq.isnot(None)).order_by(AuditLog.seq)]
        head = db.session.get(AuditChain, 1)
        # The template's own entries (jiceng init, the demo users) are on the chain from the first.
        assert seqs == list(range(1, len(seqs) + 1)) and head.seq == seqs[-1]
        assert db.session.query(AuditLog).filter(AuditLog.seq.is_(None)).count() == 0
        last = db.session.query(AuditLog).order_by(AuditLog.seq.desc()).first()
        assert last.chain.startswith("hs256.1:") and last.chain == head.chain


def test_a_row_updated_with_plain_sql_is_named(chain_app):
    ids = _write(chain_app)
    _sql(chain_app, "UPDATE audit_log SET summary = '什么也没发生' WHERE id = :id", id=ids[2])
    code, output = _verify(chain_app)
    assert code == 1
    assert f"记录 #{ids[2]}" in output and "被改动过" in output
    # One altered row is one problem: the rows after it still link to its stored seal.
    assert output.count("与哈希链不符") == 1


def test_a_row_deleted_with_plain_sql_is_named(chain_app):
    ids = _write(chain_app)
    with chain_app.app_context():
        seq = db.session.get(AuditLog, ids[1]).seq
    _sql(chain_app, "DELETE FROM audit_log WHERE id = :id", id=ids[1])
    code, output = _verify(chain_app)
    assert code == 1
    assert f"序号 {seq}–{seq} 的 1 条记录被删除（在记录 #{ids[2]}" in output


def test_the_last_rows_deleted_with_plain_sql_show_against_the_head(chain_app):
    ids = _write(chain_app)
    _sql(chain_app, "DELETE FROM audit_log WHERE id >= :id", id=ids[3])
    code, output = _verify(chain_app)
    assert code == 1 and "最后 2 条记录被删除" in output


@pytest.mark.parametrize("forged", ["unchained", "next number"])
def test_a_row_inserted_with_plain_sql_is_named(chain_app, forged):
    _write(chain_app)
    with chain_app.app_context():
        head = db.session.get(AuditChain, 1)
        seq, chain = (None, None) if forged == "unchained" else (head.seq + 1, head.chain)
    _sql(chain_app, "INSERT INTO audit_log (at, username, action, entity, summary, seq, chain) "
                    "VALUES (:at, '张三', 'login', 'ab_user', '登录成功', :seq, :chain)",
         at=clock.utcnow(), seq=seq, chain=chain)
    with chain_app.app_context():
        new_id = db.session.query(sa.func.max(AuditLog.id)).scalar()
    code, output = _verify(chain_app)
    assert code == 1
    assert f"记录 #{new_id}" in output and "绕过控制台插入" in output


def test_a_truncated_table_shows_against_the_head_file(chain_app):
    _write(chain_app)
    _sql(chain_app, "DELETE FROM audit_log")
    code, output = _verify(chain_app)
    assert code == 1 and "审计日志表被清空" in output
    # Rewriting the head row as well leaves the file outside the database.
    _sql(chain_app, "UPDATE audit_chain SET seq = 0, chain = ''")
    code, output = _verify(chain_app)
    assert code == 1 and "外部链头文件记到序号" in output and "截断或清空" in output


def test_the_head_file_follows_commits_and_ignores_rollbacks(chain_app):
    _write(chain_app, 2)
    with chain_app.app_context():
        path = Path(chain_app.instance_path) / "audit_head.log"
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        head = db.session.get(AuditChain, 1)
        assert lines[-1] == {"seq": head.seq, "chain": head.chain}
        audit.record("settings", summary="不会提交")
        db.session.flush()
        db.session.rollback()
        assert [json.loads(line) for line in path.read_text().splitlines()] == lines
        assert db.session.get(AuditChain, 1, populate_existing=True).seq == head.seq


def test_entries_made_by_changes_and_by_record_share_one_chain(chain_app):
    from console.regions.models import Region

    with chain_app.app_context():
        county = db.session.query(Region).filter_by(code="530602").one()
        county.name = "昭阳区（改）"
        audit.record("settings", summary="同一事务")
        db.session.commit()
    code, output = _verify(chain_app)
    assert code == 0, output


# -- archives ---------------------------------------------------------------------------------


def _old(days):
    return clock.utcnow() - dt.timedelta(days=days)


def test_archive_moves_old_rows_into_a_signed_file_and_the_chain_still_verifies(chain_app, tmp_path):
    old_ids = _write(chain_app, 4, at=_old(400))
    _write(chain_app, 3)
    before = (clock.today() - dt.timedelta(days=200)).isoformat()
    out = tmp_path / "archive.jsonl"
    result = chain_app.test_cli_runner().invoke(args=["audit", "archive", "--before", before, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已归档" in result.output
    with chain_app.app_context():
        assert db.session.query(AuditLog).filter(AuditLog.id.in_(old_ids)).count() == 0
        assert db.session.query(AuditLog).filter_by(action="audit_archive").count() == 1
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "jiceng-audit-archive/1" and "signature" in json.loads(lines[-1])
    assert {json.loads(line)["id"] for line in lines[1:-1]} >= set(old_ids)

    code, output = _verify(chain_app)
    assert code == 0, output
    code, output = _verify(chain_app, "--archive", str(out))
    assert code == 0, output and "归档文件：核验" in output

    # An archive changed afterwards fails its signature and its chain.
    text = out.read_text().replace("旧记录 1", "旧记录 9")
    forged = tmp_path / "forged.jsonl"
    forged.write_text(text)
    code, output = _verify(chain_app, "--archive", str(forged))
    assert code == 1 and "签名不符" in output and "与哈希链不符" in output

    # A second archive continues the first; both together verify with the table.
    _write(chain_app, 2, at=_old(300))
    second = tmp_path / "second.jsonl"
    assert chain_app.test_cli_runner().invoke(
        args=["audit", "archive", "--before", before, "--out", str(second)]).exit_code == 0
    code, output = _verify(chain_app, "--archive", str(second), "--archive", str(out))
    assert code == 0, output
    code, output = _verify(chain_app, "--archive", str(second))
    assert code == 1 and "不衔接" in output


def test_archive_refuses_rows_younger_than_the_retention(chain_app, tmp_path):
    _write(chain_app, 2, at=_old(30))
    too_new = (clock.today() - dt.timedelta(days=10)).isoformat()
    result = chain_app.test_cli_runner().invoke(args=["audit", "archive", "--before", too_new])
    assert result.exit_code == 1
    assert "网络安全法第二十一条" in result.output and "180 天" in result.output
    with chain_app.app_context():
        assert db.session.query(AuditLog).filter(AuditLog.summary.like("旧记录%")).count() == 2
    assert not (tmp_path / "instance" / "audit-archive").exists()


def test_a_retention_below_six_months_is_refused(make_app):
    app = make_app(AUDIT_RETENTION_DAYS=90)
    before = (clock.today() - dt.timedelta(days=400)).isoformat()
    result = app.test_cli_runner().invoke(args=["audit", "archive", "--before", before])
    assert result.exit_code == 1 and "少于法定的 180 天" in result.output


def test_archive_refuses_a_broken_chain(chain_app):
    ids = _write(chain_app, 3, at=_old(400))
    _sql(chain_app, "UPDATE audit_log SET username = '李四' WHERE id = :id", id=ids[0])
    before = (clock.today() - dt.timedelta(days=200)).isoformat()
    result = chain_app.test_cli_runner().invoke(args=["audit", "archive", "--before", before])
    assert result.exit_code == 1 and "审计链已被破坏" in result.output
    with chain_app.app_context():
        assert db.session.query(AuditLog).filter(AuditLog.id.in_(ids)).count() == 3


# -- two writers at once ------------------------------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgres", reason="concurrent writers are PostgreSQL's case")
def test_two_concurrent_writers_do_not_fork_the_chain(chain_app):
    per_writer = 40
    start = threading.Barrier(2)
    errors = []

    def writer(name):
        try:
            with chain_app.app_context():
                audit.set_actor(name)
                start.wait()
                for n in range(per_writer):
                    audit.record("settings", entity="plugin", summary=f"{name} {n}")
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below: an assertion in a thread is lost
            errors.append(error)

    with chain_app.app_context():
        before = db.session.get(AuditChain, 1).seq
    threads = [threading.Thread(target=writer, args=(f"写入者{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with chain_app.app_context():
        seqs = [s for (s,) in db.session.query(AuditLog.seq).filter(AuditLog.seq > before).order_by(AuditLog.seq)]
        assert seqs == list(range(before + 1, before + 2 * per_writer + 1))
        writers = [u for (u,) in db.session.query(AuditLog.username).filter(AuditLog.seq > before).order_by(AuditLog.seq)]
        assert {"写入者1", "写入者2"} == set(writers)
    code, output = _verify(chain_app)
    assert code == 0, output
