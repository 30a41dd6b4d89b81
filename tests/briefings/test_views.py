"""The briefing pages: schedules in the UI, generate now with progress, download rights."""

import datetime as dt
import re

from console.briefings.models import BriefingRun, BriefingSchedule
from tests import support


def login(client, username="admin"):
    """Sign in as ``username``, whoever was signed in before."""
    support.logout(client)
    support.login(client, username, follow_redirects=False)


def test_admin_sets_a_schedule_in_the_ui_and_sees_the_next_five_runs(world, client):
    login(client)
    page = client.post("/console/briefings/schedules/new", data={
        "name": "县级周报", "recurrence": "weekly", "weekday": "0", "time_of_day": "08:30",
        "timezone": "Asia/Shanghai", "period_kind": "week", "region_id": str(world.region("530627").id),
        "sections": ["visits"], "recipient_roles": ["领导"], "enabled": "on"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "已保存简报计划“县级周报”" in html
    assert len(re.findall(r"08:30（北京时间）", html)) == 5
    schedule = world.session.query(BriefingSchedule).one()
    assert (schedule.weekday, schedule.region.name, schedule.role_names) == (0, "镇雄县", ["领导"])
    listing = client.get("/console/briefings/").get_data(as_text=True)
    assert "县级周报" in listing and "每周一 08:30" in listing


def test_a_bad_schedule_is_explained_and_nothing_saved(world, client):
    login(client)
    html = client.post("/console/briefings/schedules/new", data={
        "name": "坏计划", "recurrence": "cron", "cron": "0 8 30 2 *", "period_kind": "month",
        "region_id": str(world.region("530600").id), "sections": ["visits"],
        "recipient_roles": ["领导"]}).get_data(as_text=True)
    assert "永远不会触发" in html and 'value="坏计划"' in html
    assert world.session.query(BriefingSchedule).count() == 0


def test_generate_now_shows_progress_then_the_pdf(world, activity, month, client):
    login(client)
    page = client.post("/console/briefings/generate", data={
        "region_id": str(world.region("530600").id), "period": month.key, "sections": ["visits"]},
        follow_redirects=True)
    html = page.get_data(as_text=True)
    run = world.session.query(BriefingRun).one()
    assert f"简报 #{run.id}" in html
    status = client.get(f"/console/briefings/runs/{run.id}/status").get_json()
    assert status["state"] == "succeeded" and status["finished"] and status["pages"] >= 3
    pdf = client.get(status["pdf_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_generate_now_refuses_a_future_period(world, client):
    login(client)
    html = client.post("/console/briefings/generate", data={
        "region_id": str(world.region("530600").id), "period": "2999-01"},
        follow_redirects=True).get_data(as_text=True)
    assert "尚未开始" in html
    assert world.session.query(BriefingRun).count() == 0


def test_preview_links_every_number_to_its_list(world, activity, month, client):
    login(client)
    html = client.get(f"/console/briefings/preview?region_id={world.region('530600').id}"
                      f"&period={month.key}").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "Noto Sans CJK SC" in html
    last = month.end - dt.timedelta(days=1)  # the lists take the period's last day, inclusive
    assert f'href="/visits/visits/list/?start={month.start}&amp;end={last}"' in html
    assert "昭通市社会工作简报" in html


def test_pdf_is_for_its_readers_only(world, activity, month, client):
    from console.briefings import runs

    run = runs.execute(runs.create(world.region("530600"), month, user=world.user("admin")).id)
    login(client, "zhenxiong")
    assert client.get(f"/briefings/{run.id}.pdf").status_code == 404
    assert client.get("/console/briefings/").status_code in (302, 403)
    support.logout(client)
    assert client.get(f"/briefings/{run.id}.pdf").status_code == 302  # to the login page
    login(client)
    assert client.get(f"/briefings/{run.id}.pdf").status_code == 200
