"""`jiceng briefing run` on the command line, and the PDF it writes read back as text."""

import datetime as dt
import re

from console.briefings import schedules
from console.briefings.models import BriefingDelivery, BriefingRun

from .conftest import ZHENXIONG, pdf_fonts, pdf_links, requires_poppler

TOFU = re.compile("[\u25a1\ufffd\u3013]")  # □, the replacement character, 〓


@requires_poppler
def test_cli_writes_a_real_pdf_with_chinese_text_and_numbers(world, activity, month, app, tmp_path):
    out = tmp_path / "简报.pdf"
    result = app.test_cli_runner().invoke(args=["briefing", "run", "--scope", "昭通市", "--period",
                                                month.key, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已完成" in result.output and f"已写入 {out}" in result.output
    from .conftest import pdf_text

    data = out.read_bytes()
    text = pdf_text(data, tmp_path)
    assert "昭通市社会工作简报" in text and month.title in text and "范围：昭通市" in text
    for title in ("目录", "一、主要指标", "二、三送三进走访服务", "分县(市、区)情况", "第 2 页 / 共"):
        assert title.replace(" ", "") in text.replace(" ", ""), title
    # 5 visits this period against 1 the period before; 镇雄县's row shows its 2 visits.
    assert re.search(r"走访企业次数", text) and re.search(r"\b5\s*次", text)
    assert re.search(r"增加\s*4\s*次", text)
    assert re.search(r"镇雄县\s+2\s+2\b", text)
    assert not TOFU.search(text)
    # Every number links to the filtered list behind it, on the console's address.
    links = pdf_links(data, tmp_path)
    zhenxiong = world.region(ZHENXIONG).id
    last = month.end - dt.timedelta(days=1)  # the lists take the period's last day, inclusive
    assert f"https://jiceng.example.cn/visits/visits/list/?start={month.start}&end={last}" in links
    assert f"https://jiceng.example.cn/visits/visits/list/?county={zhenxiong}&start={month.start}&end={last}" in links
    # Every embedded face is the Simplified-Chinese one: no Japanese glyph shapes.
    faces = set(re.findall(r"NOTOSANSCJK(\w\w)", re.sub(r"[-\s]", "", pdf_fonts(data, tmp_path)).upper()))
    assert faces == {"SC"}


def test_cli_county_scope_by_code(world, activity, month, app, tmp_path):
    out = tmp_path / "county.pdf"
    result = app.test_cli_runner().invoke(args=["briefing", "run", "--scope", ZHENXIONG, "--period",
                                                month.key, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "（镇雄县，" in result.output and out.read_bytes().startswith(b"%PDF")


def test_cli_bad_input_is_a_chinese_message(world, app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["briefing", "run", "--scope", "火星市", "--period", "2025-12"])
    assert result.exit_code == 1 and "没有名称或代码为“火星市”的区划" in result.output
    result = runner.invoke(args=["briefing", "run", "--scope", "昭通市", "--period", "2999"])
    assert result.exit_code == 1 and "尚未开始" in result.output
    result = runner.invoke(args=["briefing", "run"])
    assert result.exit_code == 1 and "--schedule" in result.output
    result = runner.invoke(args=["briefing", "run", "--schedule", "999"])
    assert result.exit_code == 1 and "简报计划不存在" in result.output


def test_cli_runs_a_schedule_for_its_readers(world, activity, app):
    schedule = schedules.save(world.session, {
        "name": "月报", "recurrence": "monthly", "day_of_month": "1", "time_of_day": "08:00",
        "period_kind": "month", "region_id": str(world.region("530600").id), "sections": ["visits"],
        "recipient_users": [str(world.user("zhenxiong").id), str(world.user("lingdao").id)]})
    world.session.commit()
    result = app.test_cli_runner().invoke(args=["briefing", "run", "--schedule", str(schedule.id)])
    assert result.exit_code == 0, result.output
    world.session.expire_all()
    assert sorted(r.region.name for r in world.session.query(BriefingRun)) == ["昭通市", "镇雄县"]
    assert world.session.query(BriefingDelivery).count() == 2


def test_the_scheduler_runs_the_briefing_minute(world, app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from console.operations import scheduler

    schedule = schedules.save(world.session, {
        "name": "每分钟", "recurrence": "cron", "cron": "* * * * *", "period_kind": "day",
        "region_id": str(world.region("530600").id), "sections": ["visits"],
        "recipient_users": [str(world.user("admin").id)]})
    schedule.created_at = schedule.created_at - dt.timedelta(minutes=5)
    world.session.commit()
    job = scheduler.build(app, BackgroundScheduler).get_job("briefings")
    assert job.name == "工作简报"
    job.func(*job.args)
    world.session.expire_all()
    [run] = world.session.query(BriefingRun).all()
    assert run.state == "succeeded" and run.slot_time is not None
