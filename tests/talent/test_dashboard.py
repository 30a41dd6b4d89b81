"""The module's home-page task (dashboard_tasks): registrations of the user's area expiring."""

import datetime as dt

from console import clock
from console.foundation.extensions import db
from console.security.users import ConsoleUser
from jiceng.plugins.talent import dashboard
from jiceng.plugins.talent.services.common import add_years, setting

from .conftest import add_worker, issue


def _task(username):
    user = db.session.query(ConsoleUser).filter_by(username=username).one()
    (task,) = dashboard.tasks(user)
    return task


def test_expiring_registrations_are_counted_in_the_users_county(ctx):
    today = clock.today()
    years = setting("registration_years")

    def expiring_in(days, name, county, seq):
        _person, cert = add_worker(name, county, seq)
        # A registration issued on ``on`` ends the day before ``years`` later.
        issue(cert, add_years(today + dt.timedelta(days=days + 1), -years))

    assert (_task("zhaoyang").count, _task("zhaoyang").urgency) == (0, "normal")
    expiring_in(20, "张一", "530602", 301)
    expiring_in(80, "张二", "530602", 302)
    expiring_in(200, "张三", "530602", 303)  # not yet
    expiring_in(10, "李一", "530627", 304)
    db.session.commit()
    task = _task("zhaoyang")
    assert (task.count, task.urgency, task.link) == (2, "soon", "/talent/expiring/?days=90")
    assert _task("zhenxiong").count == 1
    assert _task("lingdao").count == 3
