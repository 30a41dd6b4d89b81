"""Every reader of a briefing can open it: 我的简报 lists what was delivered to them, with
download, and makes one of their own scope on demand; "generate now" on a plan delivers to the
plan's readers and says to whom."""

from __future__ import annotations

from console.briefings import runs, schedules
from console.briefings.models import BriefingDelivery, BriefingRun
from console.notifications import service as notifications
from tests.support import login


def _logout(client):
    # POST where logout asks for it; GET where it still answers GET.
    if client.post("/logout/").status_code == 405:
        client.get("/logout/")


def _leader_plan(world):
    schedule = schedules.save(world.session, {
        "name": "领导月报", "recurrence": "cron", "cron": "0 8 1 * *", "timezone": "Asia/Shanghai",
        "period_kind": "month", "region_id": str(world.region("530600").id), "sections": ["visits"],
        "recipient_roles": ["领导"], "recipient_users": []})
    world.session.commit()
    return schedule


def test_generate_now_on_a_plan_delivers_to_its_readers_and_says_to_whom(world, activity, client):
    schedule = _leader_plan(world)
    login(client)
    page = client.post(f"/console/briefings/schedules/{schedule.id}/generate", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "完成后送达：领导（昭通市）" in text
    leader, admin = world.user("lingdao"), world.user("admin")
    world.session.expire_all()
    [run] = world.session.query(BriefingRun).filter_by(schedule_id=schedule.id).all()
    assert run.state == "succeeded", run.error
    delivered = {d.user_id for d in world.session.query(BriefingDelivery).filter_by(run_id=run.id)}
    assert delivered == {leader.id}
    assert admin.id not in delivered
    assert notifications.unread_count(leader.id) == 1


def test_the_leader_opens_and_downloads_what_was_delivered_to_them(world, activity, client):
    schedule = _leader_plan(world)
    login(client)
    client.post(f"/console/briefings/schedules/{schedule.id}/generate")
    _logout(client)
    login(client, "lingdao")
    page = client.get("/briefings/mine").get_data(as_text=True)
    [run] = world.session.query(BriefingRun).filter_by(schedule_id=schedule.id).all()
    assert "我的简报" in page and f"/briefings/{run.id}.pdf?download=1" in page and "领导月报" in page
    pdf = client.get(f"/briefings/{run.id}.pdf?download=1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_a_reader_gets_a_briefing_of_their_own_scope_on_demand(world, activity, client):
    login(client, "zhenxiong")
    page = client.post("/briefings/mine/generate", data={"period_kind": "month"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "已开始生成" in text
    inspector = world.user("zhenxiong")
    [run] = world.session.query(BriefingRun).filter_by(requested_by_id=inspector.id).all()
    assert run.region.name == "镇雄县" and run.state == "succeeded" and run.schedule_id is None
    assert [d.user_id for d in world.session.query(BriefingDelivery).filter_by(run_id=run.id)] == [inspector.id]
    assert f"/briefings/{run.id}.pdf" in text
    # Another reader does not see it.
    _logout(client)
    login(client, "zhaoyang")
    assert f"/briefings/{run.id}.pdf" not in client.get("/briefings/mine").get_data(as_text=True)
    assert client.get(f"/briefings/{run.id}.pdf").status_code == 404


def test_a_bad_period_or_a_pending_request_is_refused_in_chinese(world, client):
    login(client, "lingdao")
    page = client.post("/briefings/mine/generate", data={"period_kind": "century"}, follow_redirects=True)
    assert "请选择简报期间" in page.get_data(as_text=True)
    leader = world.user("lingdao")
    runs.create(world.region("530600"), runs.periods.last_complete("month", runs.clock.today()), user=leader)
    page = client.post("/briefings/mine/generate", data={"period_kind": "month"}, follow_redirects=True)
    assert page.status_code == 200 and "还在生成" in page.get_data(as_text=True)
