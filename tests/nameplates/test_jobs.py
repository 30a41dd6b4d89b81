"""The scheduled jobs: their declaration, the overdue reminder once a day, the reverse check's safety net."""

from __future__ import annotations

import datetime as dt

from .conftest import CLEAN, ZHAOYANG, accept, submit, user, village_in
from console import clock

TODAY = clock.today()


def test_the_scheduled_jobs_are_declared(ctx):
    from jiceng.plugins.nameplates import hooks

    jobs = {job.id: job for job in hooks.scheduled_jobs()}
    assert set(jobs) == {"overdue_reminders", "reinspections"}
    assert jobs["overdue_reminders"].trigger == "cron"


def test_the_overdue_reminder_notifies_once_a_day(session):
    from console.notifications.models import Notification
    from jiceng.plugins.nameplates import jobs
    from jiceng.plugins.nameplates.models import RectificationOrder

    accept(submit(village_in(ZHAOYANG), plaques=[("老年人协会", "outside")]))
    order = session.query(RectificationOrder).one()
    assert jobs.remind_overdue(order.deadline) == 0
    late = order.deadline + dt.timedelta(days=2)
    assert jobs.remind_overdue(late) == 1
    assert jobs.remind_overdue(late) == 0
    notes = session.query(Notification).filter_by(source="nameplates").all()
    recipients = {n.user_id for n in notes}
    assert user("zhaoyang").id in recipients and user("zhenxiong").id not in recipients
    assert "已逾期 2 天" in notes[0].body and notes[0].link == f"/nameplates/orders/{order.id}"


def test_the_daily_job_schedules_a_reinspection_a_rebound_lacks(session):
    from jiceng.plugins.nameplates.services import rectification
    from jiceng.plugins.nameplates.models import Reinspection

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=30)))
    accept(submit(village, plaques=[("计划生育协会", "inside")]))
    session.query(Reinspection).delete()
    session.commit()
    assert rectification.schedule_missing_reinspections(session) == 1
    assert rectification.schedule_missing_reinspections(session) == 0
    assert session.query(Reinspection).filter_by(region_id=village.id, status="scheduled").count() == 1
