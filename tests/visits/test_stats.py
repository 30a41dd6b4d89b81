"""The counts the dashboard and the briefing share: the home page's cards inside a region, and
the local day a problem is solved on."""

from jiceng.plugins.visits.services import problems as P


def test_cards_count_inside_the_region(world, days):
    from jiceng.plugins.visits.dashboard import cards

    e1, e2 = world.enterprise(1), world.enterprise(2, county="530627")
    world.visit(e1)
    p = world.problem(e1, world.department())
    for step in (P.ASSIGNED, P.IN_PROGRESS):
        P.transition(p, step, world.user("admin"))
    p.result = "解决了"
    P.transition(p, P.CONFIRMING, world.user("admin"))
    P.record_satisfaction(p, P.SATISFIED, world.user("admin"))
    P.close_off(p, world.user("admin"))
    world.problem(e2, due=days(-1), raised_on=days(-3).isoformat())
    world.session.commit()
    zhaoyang = {c.title[4:] if c.title[:4].isdigit() else c.title: c.value
                for c in cards(None, world.region("530602"))}
    assert zhaoyang == {"企业名录": 1, "年走访": 1, "年收集诉求": 1, "年解决诉求": 1, "逾期诉求": 0,
                        "年满意率": "100.0%"}
    city = {c.title: c.value for c in cards(None, None)}
    assert city["企业名录"] == 2 and city["逾期诉求"] == 1


def test_a_problem_solved_after_midnight_in_zhaotong_counts_on_that_local_day(world):
    """closed_at is stored in UTC; periods are local days (Asia/Shanghai, UTC+8)."""
    import datetime as dt

    from jiceng.plugins.visits import stats
    from jiceng.plugins.visits.services.problems import CLOSED

    problem = world.problem(world.enterprise())
    problem.status = CLOSED
    problem.closed_at = dt.datetime(2025, 12, 31, 17, 30)  # 2026-01-01 01:30 in Zhaotong
    world.session.commit()
    december = stats.problems_solved(world.session, None, dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    january = stats.problems_solved(world.session, None, dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert (december, january) == (0, 1)
    problem.closed_at = dt.datetime(2025, 12, 31, 15, 59)  # 23:59 on 31 December there
    world.session.commit()
    assert stats.problems_solved(world.session, None, dt.date(2025, 12, 1), dt.date(2026, 1, 1)) == 1
