"""Expiry reminders: 90, 60, 30 and 7 days before, once each, and the expired listed."""

import datetime as dt

import pytest

from console.foundation.extensions import db
from console.notifications.models import Notification
from console.security.users import ConsoleUser
from jiceng.plugins.talent import jobs
from jiceng.plugins.talent.models import Registration
from jiceng.plugins.talent.services import reminders


def _inbox(username):
    user = db.session.query(ConsoleUser).filter_by(username=username).one()
    return [n.title for n in db.session.query(Notification).filter_by(user_id=user.id).order_by(Notification.id)]


@pytest.mark.parametrize("left,due", [(120, None), (90, 90), (61, 90), (60, 60), (45, 60), (30, 30),
                                      (8, 30), (7, 7), (0, 7), (-1, 0)])
def test_threshold(left, due):
    assert reminders.threshold(left, [7, 30, 60, 90]) == due


def test_each_reminder_goes_out_once_to_the_county_manager(app, workers):
    with app.app_context():
        expires = db.session.get(Registration, workers["zreg"]).expires_on
        other = db.session.get(Registration, workers["lreg"]).expires_on
        assert expires == other  # both workers were registered on the same day
        for days in (90, 60, 30, 7):
            day = expires - dt.timedelta(days=days)
            first = jobs.daily_reminders(day)
            again = jobs.daily_reminders(day)
            assert {(r.id, d) for r, d in first["reminded"]} == {(workers["zreg"], days), (workers["lreg"], days)}
            assert again["reminded"] == [] and again["newly_expired"] == []
        # Days between thresholds send nothing new.
        assert jobs.daily_reminders(expires - dt.timedelta(days=20))["reminded"] == []
        zhaoyang, zhenxiong = _inbox("zhaoyang"), _inbox("zhenxiong")
        assert [t for t in zhaoyang if "张小三" in t] == [
            "社工登记 90 天内到期：张小三", "社工登记 60 天内到期：张小三",
            "社工登记 30 天内到期：张小三", "社工登记 7 天内到期：张小三"]
        assert not any("李四" in t for t in zhaoyang)
        assert len([t for t in zhenxiong if "李四" in t]) == 4
        owner = _inbox("talent_owner")
        assert len(owner) == 4 and all(t.startswith("社工登记到期提醒") for t in owner)
        # "Once" is the core's: each notice carries the registration, its expiry and the threshold.
        keys = [n.once_key for n in db.session.query(Notification).filter(
            Notification.once_key.like(f"talent.registration:{workers['zreg']}:%"))]
        assert sorted(int(k.rsplit(":", 1)[1]) for k in keys) == [7, 30, 60, 90]
        assert all(k.split(":")[2] == expires.isoformat() for k in keys)


def test_expired_registrations_are_listed_and_told_once(app, workers):
    with app.app_context():
        expires = db.session.get(Registration, workers["zreg"]).expires_on
        after = expires + dt.timedelta(days=3)
        first = jobs.daily_reminders(after)
        assert {r.id for r in first["newly_expired"]} == {workers["zreg"], workers["lreg"]}
        assert {r.id for r in first["expired"]} == {workers["zreg"], workers["lreg"]}
        second = jobs.daily_reminders(after + dt.timedelta(days=1))
        assert second["newly_expired"] == [] and len(second["expired"]) == 2
        assert _inbox("zhaoyang").count("社工登记已过期：张小三") == 1


def test_a_missed_week_sends_only_the_current_threshold(app, workers):
    with app.app_context():
        expires = db.session.get(Registration, workers["zreg"]).expires_on
        result = jobs.daily_reminders(expires - dt.timedelta(days=25))
        assert {d for _, d in result["reminded"]} == {30}


def test_the_job_is_declared_for_the_scheduler(app):
    from console.operations import scheduler

    with app.app_context():
        jobs = {f"{p}.{j.id}": j for p, j in scheduler.jobs(app)}
    assert jobs["talent.reminders"].trigger == "cron"
