"""Running the console: init, demo, health, scheduler, migrations."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from console.operations import scheduler
from console.database.schema import include_object
from console.foundation.extensions import db
from console.jobs.models import Heartbeat
from console.plugins.models import PluginState
from console.regions.models import Region
from console.foundation.clock import utcnow


def test_init_is_safe_to_run_again(app, runner):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "管理员 admin 已存在，未修改" in result.output
    with app.app_context():
        assert app.appbuilder.sm.auth_user_db("admin", "Admin-Pass-2025!") is not None


def test_init_keeps_a_plugin_switched_off(app, runner):
    assert runner.invoke(args=["plugins", "disable", "example"]).exit_code == 0
    assert runner.invoke(args=["init"]).exit_code == 0
    with app.app_context():
        assert db.session.get(PluginState, "example").enabled is False


def test_init_refuses_a_weak_admin_password(make_app, monkeypatch):
    monkeypatch.setenv("JICENG_ADMIN_USER", "admin2")
    monkeypatch.setenv("JICENG_ADMIN_PASSWORD", "weak")
    result = make_app().test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 1
    assert "JICENG_ADMIN_PASSWORD 太弱" in result.output


def test_init_prints_a_generated_password_once(make_app, monkeypatch):
    monkeypatch.setenv("JICENG_ADMIN_USER", "admin3")
    monkeypatch.delenv("JICENG_ADMIN_PASSWORD")
    runner = make_app().test_cli_runner()
    first = runner.invoke(args=["init"]).output
    assert "管理员初始密码（只显示这一次）" in first
    assert "初始密码" not in runner.invoke(args=["init"]).output


def test_region_tree_matches_zhaotong(app):
    with app.app_context():
        count = dict(db.session.query(Region.level, sa.func.count()).group_by(Region.level).all())
        assert count == {"city": 1, "county": 11, "township": 150, "village": 1424}
        names = [r.name for r in db.session.query(Region).filter_by(level="county").order_by(Region.code)]
        assert names == ["昭阳区", "鲁甸县", "巧家县", "盐津县", "大关县", "永善县", "绥江县", "镇雄县",
                         "彝良县", "威信县", "水富市"]
        kinds = [r.name[-2:] if r.name.endswith("街道") else r.name[-1]
                 for r in db.session.query(Region).filter_by(level="township")]
        assert (kinds.count("街道"), kinds.count("镇"), kinds.count("乡")) == (16, 94, 40)
        assert db.session.query(Region).filter_by(level="village", example=False).count() == 0
        by_id = {r.id: r for r in db.session.query(Region)}
        for region in by_id.values():
            parent_path = by_id[region.parent_id].path if region.parent_id else ""
            assert region.path == parent_path + region.code + "."


def test_demo_is_safe_to_run_again(app, runner):
    result = runner.invoke(args=["demo", "--regions-only"])
    assert result.exit_code == 0
    assert "已存在，未修改" in result.output
    with app.app_context():
        assert db.session.query(Region).count() == 1 + 11 + 150 + 1424


def test_demo_refuses_an_unmigrated_database(tmp_path, monkeypatch):
    from console.app import create_app

    monkeypatch.setenv("JICENG_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": "sqlite:///" + str(tmp_path / "empty.db")})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "请先运行：jiceng init" in result.output


def test_health_reports_each_part(app, client):
    body = client.get("/health").get_json()
    assert body["database"]["ok"] and body["migrations"]["ok"] and body["cjk_font"]["ok"]
    assert body["plugins"]["states"]["example"] == "enabled"
    assert body["scheduler"]["ok"] is False  # no scheduler has beaten yet
    assert client.get("/health").status_code == 503
    scheduler.beat(app)
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json()["ok"] is True


def test_health_fails_when_the_scheduler_heartbeat_is_stale(app, client):
    with app.app_context():
        db.session.add(Heartbeat(name="scheduler", at=utcnow() - dt.timedelta(minutes=10)))
        db.session.commit()
    assert client.get("/health").status_code == 503


def test_health_fails_when_migrations_are_behind(app, client, runner):
    assert runner.invoke(args=["plugins", "disable", "example"]).exit_code == 0
    assert runner.invoke(args=["db", "downgrade", "example@base"]).exit_code == 0
    scheduler.beat(app)
    body = client.get("/health").get_json()
    assert body["migrations"]["ok"] is False and body["ok"] is False


def test_health_fails_when_the_database_is_away(make_app, tmp_path):
    app = make_app(DATABASE_URL="postgresql+psycopg2://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False


def test_scheduler_skips_a_switched_off_plugins_job_and_records_failures(make_app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from console import PluginInfo, hookimpl
    from console.plugins import manager as plugins_service
    from console.operations.scheduler import Job

    ran = []

    class Jobs:
        __plugin_name__ = "jobs"

        @hookimpl
        def plugin_info(self):
            return PluginInfo(name="jobs", title="任务模块")

        @hookimpl
        def scheduled_jobs(self):
            def fails():
                raise RuntimeError("任务出错了")

            return [Job("ok", "正常任务", lambda: ran.append(1), "cron", {"hour": 8}),
                    Job("bad", "出错任务", fails, "cron", {"hour": 9})]

    app = make_app(EXTRA_PLUGINS=[Jobs()])
    sched = scheduler.build(app, BackgroundScheduler)
    ok, bad = sched.get_job("jobs.ok"), sched.get_job("jobs.bad")
    ok.func(*ok.args)
    assert ran == []  # not enabled yet
    with app.app_context():
        plugins_service.set_enabled("jobs", True)
    ok.func(*ok.args)
    bad.func(*bad.args)
    assert ran == [1]
    with app.app_context():
        assert "任务出错了" in db.session.get(PluginState, "jobs").error
    assert str(sched.timezone) == "Asia/Shanghai"


def test_models_and_migrations_agree(app):
    """Autogenerate against the migrated database finds nothing to do."""
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": include_object(conn.dialect.name)})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], json.dumps([str(d) for d in diff], ensure_ascii=False, indent=1)


def test_attachment_keys_migration_gives_each_stored_file_its_own_key(app, runner):
    def keys():
        with db.engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT id, key FROM attachment ORDER BY id")).all())

    with app.app_context():
        db.session.remove()
        result = runner.invoke(args=["db", "downgrade", "0010_table_tokens"])
        assert result.exit_code == 0, result.output
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("attachment")}
        assert "key" not in columns
        with db.engine.begin() as conn:
            for number in (1, 2, 3):
                conn.execute(sa.text(
                    "INSERT INTO attachment (owner, owner_id, filename, content_type, size, sha256, data,"
                    " created_at) VALUES ('tests.record', :n, 'a.pdf', 'application/pdf', 1, 'x', :d, :t)"),
                    {"n": number, "d": b"%", "t": utcnow()})
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        found = keys()
        assert len(found) == 3 and len(set(found.values())) == 3
        assert all(len(key) == 32 and int(key, 16) >= 0 for key in found.values())
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE attachment SET key = :k"), {"k": "0" * 32})
