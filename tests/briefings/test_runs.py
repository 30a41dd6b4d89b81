"""Runs: one per slot under a race, state transitions, partial on a failing section, stuck runs,
retries with backoff, the renderer's time and memory limits, scope and snapshots."""

import datetime as dt
import json
import threading


from console import clock
from console.notifications import service as notifications
from console.briefings import document, runs, schedules
from console.briefings.models import BriefingDelivery, BriefingRun
from console.notifications.models import Notification
from console.plugins.models import PluginState
from console.foundation.clock import utcnow

from .conftest import ZHENXIONG, pdf_links, pdf_text, requires_poppler

UTC = dt.UTC


def _schedule(world, **changes):
    data = {"name": "月度简报", "recurrence": "cron", "cron": "* * * * *", "timezone": "Asia/Shanghai",
            "period_kind": "month", "region_id": str(world.region("530600").id), "sections": ["visits"],
            "recipient_roles": [], "recipient_users": [str(world.user("lingdao").id)]}
    data.update(changes)
    schedule = schedules.save(world.session, data)
    schedule.created_at = dt.datetime(2025, 1, 1)
    world.session.commit()
    return schedule


SLOT = dt.datetime(2025, 12, 10, 0, 0)


def test_a_slot_is_claimed_once_by_racing_threads(world, app):
    schedule = _schedule(world)
    schedule_id, model = schedule.id, type(schedule)  # read here: the threads have sessions of their own
    barrier = threading.Barrier(4, timeout=60)
    won, errors = [], []

    def claim():
        try:
            with app.app_context():
                from console.foundation.extensions import db

                sched = db.session.get(model, schedule_id)
                barrier.wait()
                won.append(runs.claim_slot(sched, SLOT))
                db.session.remove()
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(ids) for ids in won) == [0, 0, 0, 1]
    assert world.session.query(BriefingRun).filter_by(schedule_id=schedule_id, slot_time=SLOT).count() == 1


def test_one_run_executes_a_queued_run_once(world, activity, month, tmp_path):
    run = runs.create(world.region("530600"), month)
    assert run.state == "queued"
    done = runs.execute(run.id)
    assert done.state == "succeeded", done.error
    assert done.pages >= 3 and done.size == len(done.pdf) and done.pdf.startswith(b"%PDF")
    assert done.started_at <= done.finished_at and done.progress == "已完成"
    assert runs.execute(run.id) is None  # finished: nobody takes it again
    snapshot = json.loads(done.snapshot)
    assert snapshot["id"] == done.snapshot_id


def test_states_queued_running_succeeded_seen_by_another_connection(world, activity, month, app):
    run = runs.create(world.region("530600"), month)
    seen = []
    original = runs.render.render_pdf

    def watching(html, **kw):
        from console.foundation.extensions import db

        with db.engine.connect() as conn:
            seen.append(conn.execute(BriefingRun.__table__.select().where(BriefingRun.id == run.id)).one().state)
        return original(html, **kw)

    runs.render.render_pdf = watching
    try:
        runs.execute(run.id)
    finally:
        runs.render.render_pdf = original
    assert seen == ["running"]


@requires_poppler
def test_county_briefing_counts_only_its_county(world, activity, month, tmp_path):
    city = document.gather(world.region("530600"), month, ["visits"])
    county = document.gather(world.region(ZHENXIONG), month, ["visits"])
    figure = {s["title"]: s for s in county["sections"]}["三送三进走访服务"]["figures"][0]
    assert (figure["label"], figure["value"]) == ("走访企业次数", 2)
    assert city["sections"][0]["figures"][0]["value"] == 5
    assert city["sections"][0]["figures"][0]["previous"] == 1
    [table] = county["sections"][0]["tables"]
    assert [row[0]["text"] for row in table["rows"]] == ["镇雄县"]
    county_id = world.region(ZHENXIONG).id
    assert f"county={county_id}" in figure["link"]


class Broken:
    """A plugin whose briefing section raises."""

    __plugin_name__ = "broken"

    from console import hookimpl

    @hookimpl
    def plugin_info(self):
        from console import PluginInfo

        return PluginInfo(name="broken", title="出错模块")

    @hookimpl
    def briefing_sections(self, period, region):
        raise RuntimeError("统计表不存在")


@requires_poppler
def test_a_failing_section_is_a_note_and_the_run_partial(make_app, world, activity, month, tmp_path):
    app = make_app(EXTRA_PLUGINS=[Broken()], BASE_URL="https://jiceng.example.cn")
    with app.app_context():
        from console.plugins import manager as plugins
        from console.foundation.extensions import db
        from console.regions.models import Region

        plugins.set_enabled("broken", True)
        city = db.session.query(Region).filter_by(code="530600").one()
        run = runs.create(city, month, sections=["visits", "broken"])
        done = runs.execute(run.id)
        assert done.state == "partial"
        assert "出错模块" in done.error
        text = pdf_text(done.pdf, tmp_path)
        assert "三送三进走访服务" in text and "“出错模块”模块的这一部分生成失败" in text
        assert "统计表不存在" in db.session.get(PluginState, "broken").error


def test_a_switched_off_plugin_contributes_nothing(world, activity, month):
    from console.plugins import manager as plugins

    plugins.set_enabled("visits", False)
    snapshot = document.gather(world.region("530600"), month)
    assert "visits" not in {s["plugin"] for s in snapshot["sections"]}


def test_stuck_run_is_failed_retried_with_backoff_up_to_the_limit(world, app, month):
    app.config["BRIEFING_RETRY_LIMIT"] = 1
    run = runs.create(world.region("530600"), month)
    long_ago = utcnow() - dt.timedelta(minutes=10)
    world.session.execute(BriefingRun.__table__.update().where(BriefingRun.id == run.id).values(
        state="running", heartbeat_at=long_ago, host="web-2", pid=4242, started_at=long_ago))
    world.session.commit()

    assert runs.reap_stuck() == [run.id]
    world.session.refresh(run)
    assert run.state == "failed" and "生成进程已中断" in run.error and "web-2 进程 4242" in run.error
    assert run.next_retry_at is not None
    waited = run.next_retry_at - run.finished_at
    assert dt.timedelta(seconds=55) < waited < dt.timedelta(seconds=65)
    assert runs.reap_stuck() == []  # already failed: reaped once
    admin_notes = world.session.query(Notification).filter_by(user_id=world.user("admin").id,
                                                              source="briefings").all()
    assert len(admin_notes) == 1 and "简报生成失败" in admin_notes[0].title

    assert runs.take_retries(now=utcnow()) == []  # not yet
    assert runs.take_retries(now=run.next_retry_at) == [run.id]
    world.session.refresh(run)
    assert (run.state, run.attempt) == ("queued", 2)
    assert runs.take_retries(now=run.created_at + dt.timedelta(days=1)) == []

    # The second attempt dies too: the limit of one retry is reached, no more retries.
    world.session.execute(BriefingRun.__table__.update().where(BriefingRun.id == run.id).values(
        state="running", heartbeat_at=long_ago))
    world.session.commit()
    assert runs.reap_stuck() == [run.id]
    world.session.refresh(run)
    assert run.state == "failed" and run.next_retry_at is None and run.finished


def test_a_live_run_is_not_reaped(world, month):
    run = runs.create(world.region("530600"), month)
    world.session.execute(BriefingRun.__table__.update().where(BriefingRun.id == run.id).values(
        state="running", heartbeat_at=utcnow()))
    world.session.commit()
    assert runs.reap_stuck() == []


def test_the_render_time_limit_kills_a_runaway_render(world, app, month):
    app.config["BRIEFING_RENDER_TIMEOUT"] = 0.3
    done = runs.execute(runs.create(world.region("530600"), month).id)
    assert done.state == "failed"
    assert "排版超过时限（0.3 秒）仍未完成，已终止排版进程" == done.error
    assert done.pdf is None and done.next_retry_at is not None


def test_the_render_memory_limit_fails_the_run_with_a_message(world, app, month):
    app.config["BRIEFING_RENDER_MEMORY_MB"] = 60
    done = runs.execute(runs.create(world.region("530600"), month).id)
    assert done.state == "failed"
    assert "内存超过上限（60 MB）" in done.error, done.error
    # The limit is on the layout only: the machine's font cache is as it was.
    from console.foundation.fonts import _match

    assert "Noto Sans CJK SC" in _match("Noto Sans CJK SC:lang=zh-cn", "%{family}")


def test_no_cjk_font_refuses_to_render(world, month, tmp_path, monkeypatch):
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    done = runs.execute(runs.create(world.region("530600"), month).id)
    assert done.state == "failed" and "没有安装简体中文字体“Noto Sans CJK SC”" in done.error


def test_scheduled_slot_goes_to_each_reader_in_their_own_scope(world, activity, month):
    """One city schedule to the leader (whole city) and the two county inspectors: three
    distinct scopes, three PDFs, each delivered to its readers only."""
    schedule = _schedule(world, recipient_users=[str(world.user(u).id) for u in ("lingdao", "zhaoyang", "zhenxiong")])
    ids = runs.claim_slot(schedule, SLOT)
    assert len(ids) == 3
    for run_id in ids:
        done = runs.execute(run_id)
        assert done.state == "succeeded", done.error
    delivered = {(d.user_id, world.session.get(BriefingRun, d.run_id).region.name)
                 for d in world.session.query(BriefingDelivery)}
    assert delivered == {(world.user("lingdao").id, "昭通市"), (world.user("zhaoyang").id, "昭阳区"),
                         (world.user("zhenxiong").id, "镇雄县")}
    note = notifications.inbox(world.user("zhenxiong").id)[0][0]
    assert "镇雄县" in note.title and note.link.startswith("/briefings/") and note.link.endswith(".pdf")


def test_snapshot_keeps_the_figures_after_the_data_changes(world, activity, month, client):
    run = runs.execute(runs.create(world.region("530600"), month, user=world.user("admin")).id)
    world.visit(activity["zy"][1], month.start + dt.timedelta(days=5))  # new data afterwards
    from .test_views import login

    login(client)
    preview = client.get(f"/briefings/{run.id}/preview").get_data(as_text=True)
    fresh = document.gather(world.region("530600"), month, ["visits"])
    assert fresh["sections"][0]["figures"][0]["value"] == 6
    assert f"数据快照 {run.snapshot_id}" in preview
    assert ">5</a>" in preview and ">6</a>" not in preview


def test_skip_when_the_period_has_no_data(world, month):
    schedule = _schedule(world, skip_empty="on")
    [run_id] = runs.claim_slot(schedule, SLOT)
    done = runs.execute(run_id)
    assert done.state == "succeeded" and done.pdf is None and "没有数据" in done.progress
    assert world.session.query(BriefingDelivery).count() == 0


SCHEDULER_PROCESS = """
import os, sys, time
from console import create_app
from console.operations import scheduler
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": sys.argv[3], "TESTING": True,
                  "BASE_URL": "https://jiceng.example.cn"})
open(sys.argv[4], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.005)
scheduler.briefings(app)
"""


def test_two_scheduler_processes_make_one_briefing_per_slot(world, activity, database_url, tmp_path):
    """Two `jiceng scheduler` processes started by mistake run their minute at the same time."""
    import os
    import subprocess
    import sys

    from tests.conftest import SECRET_KEY

    local_now = clock.now()
    earlier = local_now - dt.timedelta(minutes=30)
    schedule = _schedule(world, recurrence="daily", time_of_day=f"{earlier:%H:%M}", period_kind="month")
    schedule_id = schedule.id
    world.session.commit()
    go = tmp_path / "go"
    env = {**os.environ, "JICENG_INSTANCE_PATH": str(tmp_path / "instance")}
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    procs = [subprocess.Popen([sys.executable, "-c", SCHEDULER_PROCESS, database_url, str(go), SECRET_KEY,
                               str(flag)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for flag in ready]
    import time

    while not all(flag.exists() for flag in ready):  # both built their app: release them together
        assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
        time.sleep(0.05)
    go.write_text("go")
    outputs = [p.communicate(timeout=180)[0].decode(errors="replace") for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    world.session.expire_all()
    made = world.session.query(BriefingRun).filter_by(schedule_id=schedule_id).all()
    assert len(made) == 1, outputs
    assert made[0].state == "succeeded" and made[0].pdf.startswith(b"%PDF")
    assert [d.user_id for d in world.session.query(BriefingDelivery)] == [world.user("lingdao").id]


class Ledger:
    """A plugin offering an appendix ledger: one row per village, each linked."""

    __plugin_name__ = "ledger"

    from console import hookimpl

    @hookimpl
    def plugin_info(self):
        from console import PluginInfo

        return PluginInfo(name="ledger", title="台账模块")

    @hookimpl
    def briefing_sections(self, period, region):
        from console.briefings import Cell, Section, Table

        rows = [[f"示例村{n:04d}", Cell("已规范", f"/ledger/{n}"), n] for n in range(1, 301)]
        return [Section("台账情况", text="各村挂牌情况见附录。",
                        appendix=[Table("各村挂牌台账", ["村(社区)", "状态", "序号"], rows, widths=[50, 30, 20])])]


@requires_poppler
def test_appendix_ledger_is_printed_at_the_end_with_links(make_app, world, month, tmp_path):
    app = make_app(EXTRA_PLUGINS=[Ledger()], BASE_URL="https://jiceng.example.cn")
    with app.app_context():
        from console.plugins import manager as plugins
        from console.foundation.extensions import db
        from console.regions.models import Region

        plugins.set_enabled("ledger", True)
        city = db.session.query(Region).filter_by(code="530600").one()
        done = runs.execute(runs.create(city, month, sections=["visits", "ledger"]).id)
        assert done.state == "succeeded", done.error
        assert done.pages >= 8
        text = pdf_text(done.pdf, tmp_path)
        assert "附录一" in text and "各村挂牌台账" in text and "示例村0300" in text
        assert text.index("示例村0001") > text.index("三、台账情况")
        links = pdf_links(done.pdf, tmp_path)
        assert "https://jiceng.example.cn/ledger/300" in links
