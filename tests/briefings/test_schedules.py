"""Schedules: recurrence, the next five run times, validation in Chinese, the due slot and
the catch-up of missed slots (once, not once per slot)."""

import datetime as dt

import pytest

from console.briefings import runs, schedules
from console.briefings.models import BriefingRun, BriefingSchedule
from console.briefings.schedules import ScheduleError

UTC = dt.UTC


def _data(world, **changes):
    data = {"name": "月度简报", "recurrence": "monthly", "day_of_month": "1", "time_of_day": "08:00",
            "timezone": "Asia/Shanghai", "period_kind": "month",
            "region_id": str(world.region("530600").id), "sections": ["visits"],
            "recipient_roles": ["领导"], "recipient_users": []}
    data.update(changes)
    return data


def _save(world, **changes):
    schedule = schedules.save(world.session, _data(world, **changes))
    world.session.commit()
    return schedule


def test_monthly_schedule_next_five_runs_in_its_time_zone(world):
    schedule = _save(world)
    now = dt.datetime(2025, 12, 15, 3, 0, tzinfo=UTC)
    times = schedules.next_times(schedule, 5, now)
    assert [t.strftime("%Y-%m-%d %H:%M %Z") for t in times] == [
        "2026-01-01 08:00 CST", "2026-02-01 08:00 CST", "2026-03-01 08:00 CST",
        "2026-04-01 08:00 CST", "2026-05-01 08:00 CST"]
    assert times[0].astimezone(UTC).hour == 0  # 08:00 in Shanghai is midnight UTC
    assert schedule.recurrence_title == "每月 1 日 08:00"


def test_weekly_daily_and_cron_recurrences(world):
    now = dt.datetime(2025, 12, 3, 12, 0, tzinfo=UTC)  # a Wednesday, 20:00 in Shanghai
    weekly = _save(world, recurrence="weekly", weekday="0", time_of_day="7:30", period_kind="week")
    assert [t.strftime("%m-%d %a %H:%M") for t in schedules.next_times(weekly, 2, now)] == [
        "12-08 Mon 07:30", "12-15 Mon 07:30"]
    daily = _save(world, recurrence="daily", time_of_day="21:05", period_kind="day")
    assert [t.strftime("%m-%d %H:%M") for t in schedules.next_times(daily, 2, now)] == [
        "12-03 21:05", "12-04 21:05"]
    cron = _save(world, recurrence="cron", cron="0 9 1 */3 *", period_kind="quarter",
                 timezone="UTC")
    assert [t.strftime("%Y-%m-%d %H:%M") for t in schedules.next_times(cron, 2, now)] == [
        "2026-01-01 09:00", "2026-04-01 09:00"]


@pytest.mark.parametrize("changes, words", [
    ({"recurrence": "cron", "cron": "0 8 * *"}, "自定义时间规则“0 8 \\* \\*”无效"),
    ({"recurrence": "cron", "cron": "61 8 * * *"}, "无效"),
    ({"recurrence": "cron", "cron": "0 8 30 2 *"}, "永远不会触发"),
    ({"recipient_roles": [], "recipient_users": []}, "至少选择一位收件人"),
    ({"sections": []}, "至少选择一个简报内容"),
    ({"sections": ["nosuch"]}, "没有提供简报内容的模块"),
    ({"time_of_day": "25:00"}, "时间“25:00”无效"),
    ({"timezone": "Mars/Olympus"}, "没有“Mars/Olympus”这个时区"),
    ({"name": " "}, "请填写简报计划的名称"),
    ({"recurrence": "monthly", "day_of_month": "31"}, "1—28"),
    ({"recipient_roles": ["无此角色"]}, "没有角色“无此角色”"),
])
def test_bad_schedules_are_refused_in_chinese(world, changes, words):
    with pytest.raises(ScheduleError, match=words):
        schedules.save(world.session, _data(world, **changes))


def test_a_switched_off_plugins_section_is_refused(world):
    from console.plugins import manager as plugins

    plugins.set_enabled("visits", False)
    with pytest.raises(ScheduleError, match="模块“三送三进”已停用"):
        schedules.save(world.session, _data(world))


def test_a_scope_outside_the_users_is_refused(world):
    zhenxiong = world.user("zhenxiong")
    with pytest.raises(ScheduleError, match="不在您的管辖范围内"):
        schedules.save(world.session, _data(world), actor=zhenxiong)
    own = schedules.save(world.session, _data(world, region_id=str(world.region("530627").id)),
                         actor=zhenxiong)
    assert own.region.name == "镇雄县"


def _backdate(world, schedule, when):
    schedule.created_at = when.astimezone(UTC).replace(tzinfo=None)
    world.session.commit()


def test_due_slot_is_the_latest_within_the_grace_window(world):
    schedule = _save(world, recurrence="daily", time_of_day="08:00", period_kind="day")
    _backdate(world, schedule, dt.datetime(2025, 11, 1, tzinfo=UTC))
    now = dt.datetime(2025, 12, 10, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert schedules.due_slot(schedule, now, 3600) is None  # 08:00 is 90 minutes ago
    assert schedules.due_slot(schedule, now, 2 * 3600) == dt.datetime(2025, 12, 10, 0, 0)
    assert schedules.due_slot(schedule, now, 5 * 86400) == dt.datetime(2025, 12, 10, 0, 0)


def test_no_slot_before_the_schedule_existed(world):
    schedule = _save(world, recurrence="daily", time_of_day="08:00", period_kind="day")
    _backdate(world, schedule, dt.datetime(2025, 12, 10, 0, 30, tzinfo=UTC))
    assert schedules.due_slot(schedule, dt.datetime(2025, 12, 10, 1, 0, tzinfo=UTC), 86400) is None


def test_missed_slots_are_caught_up_once(world, app):
    """The scheduler was down for three days: one run for the latest slot, then nothing more."""
    app.config["BRIEFING_GRACE_SECONDS"] = 5 * 86400
    schedule = _save(world, recurrence="daily", time_of_day="08:00", period_kind="day",
                     recipient_roles=[], recipient_users=[str(world.user("admin").id)])
    _backdate(world, schedule, dt.datetime(2025, 11, 1, tzinfo=UTC))
    back = dt.datetime(2025, 12, 10, 2, 0, tzinfo=UTC)
    won = runs.claim_due_slots(back)
    assert len(won) == 1
    run = world.session.get(BriefingRun, won[0])
    assert (run.slot_time, run.period, run.state) == (dt.datetime(2025, 12, 10), "2025-12-09", "queued")
    assert runs.claim_due_slots(back + dt.timedelta(minutes=1)) == []
    assert runs.claim_due_slots(back + dt.timedelta(hours=12)) == []
    assert world.session.query(BriefingRun).count() == 1
    # The next day's slot is a new one.
    assert len(runs.claim_due_slots(back + dt.timedelta(days=1))) == 1


def test_a_disabled_schedule_claims_nothing(world):
    schedule = _save(world, recurrence="cron", cron="* * * * *", period_kind="day")
    _backdate(world, schedule, dt.datetime(2025, 11, 1, tzinfo=UTC))
    schedule.enabled = False
    world.session.commit()
    assert runs.claim_due_slots(dt.datetime(2025, 12, 10, 2, 0, tzinfo=UTC)) == []
    assert world.session.query(BriefingSchedule).count() == 1
