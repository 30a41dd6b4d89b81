"""Expiry reminders: 90, 60, 30 and 7 days before, once each, and the expired listed."""

import datetime as dt

import pytest
import sqlalchemy as sa

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


def test_the_reminder_table_migration_round_trips_and_keeps_reminders_sent_once(app, runner, workers):
    """0002_talent replaced the talent_reminder table with the notices' keys: down, the table is
    rebuilt from the keys; up again, the keys are put back from the table and the table dropped,
    so a reminder sent before the upgrade is not sent again after it."""
    with app.app_context():
        day = db.session.get(Registration, workers["zreg"]).expires_on - dt.timedelta(days=60)
        assert {r.id for r, _ in jobs.daily_reminders(day)["reminded"]} == {workers["zreg"], workers["lreg"]}
        told = dict(db.session.execute(sa.text(
            "SELECT once_key, count(*) FROM notification WHERE once_key LIKE 'talent.registration:%' "
            "GROUP BY once_key")).all())
    assert len(told) == 2

    result = runner.invoke(args=["db", "downgrade", "talent@0001_talent"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT registration_id, days, recipients FROM talent_reminder ORDER BY registration_id")).all()
        assert [tuple(r) for r in rows] == sorted(
            (int(key.split(":")[1]), 60, n) for key, n in told.items())
        # What the old code knew: notices without keys, and the table.
        db.session.execute(sa.text("UPDATE notification SET once_key = NULL"))
        db.session.commit()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "talent_reminder" not in sa.inspect(db.engine).get_table_names()
        again = dict(db.session.execute(sa.text(
            "SELECT once_key, count(*) FROM notification WHERE once_key LIKE 'talent.registration:%' "
            "GROUP BY once_key")).all())
        assert again == told
        assert jobs.daily_reminders(day)["reminded"] == []
