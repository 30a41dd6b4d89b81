"""The reminder job: department members are told of due and overdue problems, once a day."""

from jiceng.plugins.visits.services import problems as P


def test_reminders_notify_department_members_once_a_day(world, days):
    from console.notifications.models import Notification
    from jiceng.plugins.visits.services.reminders import send_reminders

    department = world.department(members=["zhaoyang"])
    e = world.enterprise(1)
    soon = world.problem(e, department, due=days(2))
    late = world.problem(e, department, due=days(-1), raised_on=days(-9).isoformat())
    world.problem(e, department, due=days(20))
    for p in (soon, late):
        P.transition(p, P.ASSIGNED, world.user("admin"))
    world.session.commit()
    assert send_reminders(world.session) == 2
    world.session.commit()
    assert send_reminders(world.session) == 0
    world.session.commit()
    titles = [n.title for n in world.session.query(Notification).filter_by(user_id=world.user("zhaoyang").id)]
    assert len(titles) == 2 and any("已逾期" in t for t in titles) and any("2 天后到期" in t for t in titles)
