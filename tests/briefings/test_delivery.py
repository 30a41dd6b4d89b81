"""Delivery: every reader gets the in-app notice; readers with an e-mail address also get the
PDF attached (or, past BRIEFING_MAIL_MAX_MB, the link only); the delivery log names them all.
The mail goes to a real SMTP server on 127.0.0.1 started by the test."""

from __future__ import annotations

import datetime as dt

import pytest

from console.notifications import service as notifications
from console.briefings import runs, schedules
from console.briefings.models import BriefingDelivery
from console.notifications.models import Notification
from tests.test_notifications import smtp  # noqa: F401 - the real SMTP receiver fixture

SLOT = dt.datetime(2025, 12, 10, 0, 0)


@pytest.fixture
def mail_max_mb():
    return 10


@pytest.fixture
def app(make_app, smtp, mail_max_mb):  # noqa: F811
    return make_app(BRIEFING_HEARTBEAT_SECONDS=1, BRIEFING_RUN_INLINE=True,
                    BASE_URL="https://jiceng.example.cn", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                    MAIL_FROM="jiceng@zhaotong.test", BRIEFING_MAIL_MAX_MB=mail_max_mb)


def _scheduled_run(world):
    """A city schedule to the admin (given a real address) and the city leader (the demo's
    placeholder address): one run, both readers."""
    admin = world.user("admin")
    admin.email = "admin@zhaotong.test"
    world.session.commit()
    schedule = schedules.save(world.session, {
        "name": "月度简报", "recurrence": "cron", "cron": "* * * * *", "timezone": "Asia/Shanghai",
        "period_kind": "month", "region_id": str(world.region("530600").id), "sections": ["visits"],
        "recipient_roles": [], "recipient_users": [str(admin.id), str(world.user("lingdao").id)]})
    world.session.commit()
    [run_id] = runs.claim_slot(schedule, SLOT)
    done = runs.execute(run_id)
    assert done.state == "succeeded", done.error
    return done


def _notes(world, run):
    return {d.user_id: world.session.get(Notification, d.notification_id)
            for d in world.session.query(BriefingDelivery).filter_by(run_id=run.id)}


def test_mail_carries_the_pdf_and_the_log_names_every_reader(world, activity, smtp):
    run = _scheduled_run(world)
    admin, leader = world.user("admin"), world.user("lingdao")

    [sent] = smtp.messages  # the leader's placeholder address gets no mail
    assert sent["to"] == ["admin@zhaotong.test"]
    message = sent["message"]
    assert message["Subject"] == f"新简报：{runs.run_title(run)}"
    assert "=?utf-8?" in message.as_string().lower()  # encoded on the wire
    [pdf] = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"{runs.run_title(run)}-{run.id}.pdf"
    data = pdf.get_content()
    assert data.startswith(b"%PDF") and data == run.pdf
    text = message.get_body(("plain",)).get_content()
    assert f"https://jiceng.example.cn/briefings/{run.id}.pdf" in text and "附件：" in text

    notes = _notes(world, run)
    assert set(notes) == {admin.id, leader.id}  # who received which briefing
    assert notes[admin.id].emailed is True and notes[leader.id].emailed is False
    assert notes[leader.id].link == f"/briefings/{run.id}.pdf"
    assert notifications.unread_count(leader.id) == 1


@pytest.mark.parametrize("mail_max_mb", [0.001])
def test_a_pdf_over_the_mail_limit_is_sent_as_a_link(world, activity, smtp):
    run = _scheduled_run(world)
    assert run.size > 0.001 * 1024 * 1024

    [sent] = smtp.messages
    message = sent["message"]
    assert list(message.iter_attachments()) == []
    text = message.get_content()
    assert "超过邮件附件上限 0.001 MB" in text and f"/briefings/{run.id}.pdf" in text
    assert _notes(world, run)[world.user("admin").id].emailed is True


def test_without_mail_server_only_the_inbox_gets_it(make_app, smtp):  # noqa: F811
    from tests.visits.conftest import World

    app = make_app(BRIEFING_HEARTBEAT_SECONDS=1, BASE_URL="https://jiceng.example.cn")
    with app.app_context():
        from console.plugins import manager as plugins

        plugins.set_enabled("visits", True)
        world = World(app)
        run = _scheduled_run(world)
        assert set(_notes(world, run)) == {world.user("admin").id, world.user("lingdao").id}
        assert all(n.emailed is False for n in _notes(world, run).values())
    assert smtp.messages == []
