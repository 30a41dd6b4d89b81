"""The module's home-page tasks (dashboard_tasks) and the enterprise search by any part of the
name, through the services and the list page."""

import datetime as dt

from jiceng.plugins.visits import dashboard
from jiceng.plugins.visits.services import enterprises
from jiceng.plugins.visits.services import problems as P
from jiceng.plugins.visits.services.common import today

from .conftest import ZHAOYANG, ZHENXIONG


def _tasks(world, username):
    return {t.title: t for t in dashboard.tasks(world.user(username))}


def test_enterprises_to_visit_are_those_of_the_users_county_not_visited_this_year(world):
    visited, waiting, _other = (world.enterprise(1), world.enterprise(2), world.enterprise(3))
    world.enterprise(4, county=ZHENXIONG)
    world.enterprise(5, county=ZHENXIONG)
    world.visit(visited)
    last_year = dt.date(today().year - 1, 6, 1)
    world.visit(waiting, day=last_year)  # a visit of last year does not count for this one
    task = _tasks(world, "zhaoyang")["待走访企业"]
    assert task.count == 2
    assert task.link == f"/visits/enterprises/list/?unvisited_since={today().year}-01-01"
    assert _tasks(world, "zhenxiong")["待走访企业"].count == 2
    assert _tasks(world, "lingdao")["待走访企业"].count == 4  # the whole city


def test_the_enterprise_list_behind_the_task_holds_the_counted_ones(client, auth, world):
    visited, waiting = world.enterprise(1, name="已走访企业"), world.enterprise(2, name="未走访企业")
    world.visit(visited)
    link = _tasks(world, "zhaoyang")["待走访企业"].link
    auth.login("zhaoyang")
    page = client.get(link).get_data(as_text=True)
    assert "未走访企业" in page and "已走访企业" not in page and "尚未走访" in page
    bad = client.get("/visits/enterprises/list/?unvisited_since=明天")
    assert bad.status_code == 200 and "不是有效的日期" in bad.get_data(as_text=True)


def test_problems_awaiting_my_reply_are_those_handed_to_my_department(world, days):
    admin = world.user("admin")
    mine = world.department(ZHAOYANG, members=["zhaoyang"], name="昭阳区工信局")
    other = world.department(ZHAOYANG, name="昭阳区商务局")
    e = world.enterprise(1)
    handed = [world.problem(e, mine, due=days(10)) for _ in range(2)]
    for problem in handed:
        P.transition(problem, P.ASSIGNED, admin, "交办")
    world.problem(e, mine, due=days(10))  # 新建: not handed over yet
    P.transition(world.problem(e, other, due=days(10)), P.ASSIGNED, admin, "交办")
    world.session.commit()
    task = _tasks(world, "zhaoyang")["待我单位答复诉求"]
    assert (task.count, task.urgency) == (2, "normal")
    assert task.link == "/visits/problems/mine/?status=已交办"
    assert _tasks(world, "zhenxiong")["待我单位答复诉求"].count == 0

    soon = world.problem(e, mine, due=days(2))
    P.transition(soon, P.ASSIGNED, admin, "交办")
    world.session.commit()
    assert _tasks(world, "zhaoyang")["待我单位答复诉求"].urgency == "soon"
    late = world.problem(e, mine, due=today())
    P.transition(late, P.ASSIGNED, admin, "交办")
    late.due_date = days(-1)
    world.session.commit()
    task = _tasks(world, "zhaoyang")["待我单位答复诉求"]
    assert (task.count, task.urgency) == (4, "overdue")


def test_the_visits_shortcut_is_the_visit_form():
    assert [(s.title, s.link) for s in dashboard.shortcuts()] == [("登记走访", "/visits/visits/add")]


def test_enterprise_search_matches_any_part_of_the_name(world):
    world.enterprise(1, name="昭通市苹果种植专业合作社")
    world.enterprise(2, name="苹果酒业有限公司")
    world.enterprise(3, name="昭阳区天麻加工厂")
    world.enterprise(4, name="100%_纯净水厂")

    def names(q):
        return sorted(e.name for e in enterprises.search(world.session, q=q))

    assert names("苹果") == ["昭通市苹果种植专业合作社", "苹果酒业有限公司"]
    assert names("合作社") == ["昭通市苹果种植专业合作社"]
    assert names(" 天麻 ") == ["昭阳区天麻加工厂"]
    # % and _ are letters of the name, not wildcards.
    assert names("%_") == ["100%_纯净水厂"]
    assert names("0_纯") == []
    assert names("不存在的企业") == []


def test_enterprise_search_by_part_of_the_name_keeps_to_the_users_county(client, auth, world):
    world.enterprise(1, name="昭阳苹果公司")
    world.enterprise(2, county=ZHENXIONG, name="镇雄苹果公司")
    auth.login("zhaoyang")
    page = client.get("/visits/enterprises/list/?q=苹果").get_data(as_text=True)
    assert "昭阳苹果公司" in page and "镇雄苹果公司" not in page
    # The visit form's enterprise picker searches the same way.
    pick = client.get("/visits/visits/add?q=苹果").get_data(as_text=True)
    assert "昭阳苹果公司" in pick and "镇雄苹果公司" not in pick


def test_the_home_pages_tasks_follow_a_visit_at_once(client, auth, world):
    """The home page keeps each reader's tasks between requests (counting them reads whole
    tables at city scale), and a visit registered in the meantime is counted at once."""
    import re

    first, second = world.enterprise(1), world.enterprise(2)

    def to_visit() -> int:
        page = client.get("/").get_data(as_text=True)
        found = re.search(r'console-task-count">(\d+)</span>\s*<span class="console-task-title">待走访企业', page)
        assert found, page[:2000]
        return int(found[1])

    auth.login("zhaoyang")
    assert to_visit() == 2
    assert to_visit() == 2  # kept, and still right
    world.visit(first)
    assert to_visit() == 1
    world.visit(second)
    assert to_visit() == 0
