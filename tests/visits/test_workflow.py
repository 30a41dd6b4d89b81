"""Problems: the workflow table, satisfaction, close-off, stale edits; visits: no future dates."""

import pytest

from console.audit.models import AuditLog
from plugins.visits.errors import StaleEdit, VisitsError
from plugins.visits.services import problems as P
from plugins.visits.services import visits as V  # noqa: F401
from plugins.visits.models import Visit

ALLOWED = [(a, b) for a, targets in P.TRANSITIONS.items() for b in targets]
REFUSED = [(P.NEW, P.CLOSED), (P.NEW, P.IN_PROGRESS), (P.ASSIGNED, P.CLOSED),
           (P.IN_PROGRESS, P.NEW), (P.DUPLICATE, P.ASSIGNED), (P.CONFIRMING, P.ASSIGNED),
           (P.RETURNED, P.CLOSED), (P.CLOSED, P.NEW)]


def _bring_to(world, problem, status):
    """Walk a fresh problem to ``status`` through the allowed moves."""
    admin = world.user("admin")
    paths = {
        P.NEW: [], P.ASSIGNED: [P.ASSIGNED], P.IN_PROGRESS: [P.ASSIGNED, P.IN_PROGRESS],
        P.CONFIRMING: [P.ASSIGNED, P.IN_PROGRESS, P.CONFIRMING],
        P.CLOSED: [P.ASSIGNED, P.IN_PROGRESS, P.CONFIRMING, P.CLOSED],
        P.RETURNED: [P.ASSIGNED, P.RETURNED], P.DUPLICATE: [P.DUPLICATE],
    }
    for step in paths[status]:
        if step == P.CONFIRMING:
            problem.result = "已协调银行放贷"
        if step == P.CLOSED:
            problem.satisfaction = P.SATISFIED
        P.transition(problem, step, admin, "原因说明")
    world.session.commit()
    return problem


@pytest.mark.parametrize("before,after", ALLOWED)
def test_every_allowed_transition_is_accepted(world, before, after):
    e = world.enterprise()
    problem = _bring_to(world, world.problem(e, world.department()), before)
    if after == P.CONFIRMING:
        problem.result = "已解决"
    if after == P.CLOSED:
        problem.satisfaction = P.FAIRLY_SATISFIED
    P.transition(problem, after, world.user("admin"), "说明")
    world.session.commit()
    assert problem.status == after
    assert problem.steps[-1].from_status == before and problem.steps[-1].to_status == after


@pytest.mark.parametrize("before,after", REFUSED)
def test_transitions_outside_the_table_are_refused_in_chinese(world, before, after):
    e = world.enterprise()
    problem = _bring_to(world, world.problem(e, world.department()), before)
    with pytest.raises(VisitsError, match=f"不能改为“{after}”"):
        P.transition(problem, after, world.user("admin"), "说明")
    world.session.rollback()
    assert world.session.get(type(problem), problem.id).status == before


def test_assigning_needs_a_department(world):
    problem = world.problem(world.enterprise())
    with pytest.raises(VisitsError, match="责任单位"):
        P.transition(problem, P.ASSIGNED, world.user("admin"))


def test_returning_needs_a_reason(world):
    problem = _bring_to(world, world.problem(world.enterprise(), world.department()), P.ASSIGNED)
    with pytest.raises(VisitsError, match="原因"):
        P.transition(problem, P.RETURNED, world.user("admin"), "  ")


def test_confirmation_needs_a_result(world):
    problem = _bring_to(world, world.problem(world.enterprise(), world.department()), P.IN_PROGRESS)
    with pytest.raises(VisitsError, match="办理成效"):
        P.transition(problem, P.CONFIRMING, world.user("admin"))


def test_dissatisfied_reopens_the_problem(world):
    problem = _bring_to(world, world.problem(world.enterprise(), world.department()), P.CONFIRMING)
    P.record_satisfaction(problem, P.DISSATISFIED, world.user("admin"), "贷款额度不够")
    world.session.commit()
    assert problem.status == P.IN_PROGRESS
    assert problem.reopen_count == 1
    assert "企业不满意" in problem.steps[-1].note


def test_dissatisfied_after_close_off_reopens_and_clears_it(world):
    problem = _bring_to(world, world.problem(world.enterprise(), world.department()), P.CLOSED)
    assert problem.closed_at is not None
    P.record_satisfaction(problem, P.DISSATISFIED, world.user("admin"))
    world.session.commit()
    assert problem.status == P.IN_PROGRESS
    assert problem.closed_at is None and problem.closed_by_name is None


def test_close_off_needs_satisfaction_and_records_who_and_when(world):
    problem = _bring_to(world, world.problem(world.enterprise(), world.department()), P.CONFIRMING)
    with pytest.raises(VisitsError, match="满意"):
        P.close_off(problem, world.user("zhaoyang"))
    P.record_satisfaction(problem, P.SATISFIED, world.user("zhaoyang"))
    P.close_off(problem, world.user("zhaoyang"), "企业确认")
    world.session.commit()
    assert problem.status == P.CLOSED
    assert problem.closed_by_id == world.user("zhaoyang").id
    assert problem.closed_by_name == "zhaoyang"
    assert problem.closed_at is not None


def test_a_stale_edit_is_refused(world):
    problem = world.problem(world.enterprise(), world.department())
    read_version = problem.version
    P.update_problem(problem, {"category": "用工招聘", "description": "缺工人",
                               "due_date": problem.due_date.isoformat()}, version=read_version)
    world.session.commit()
    with pytest.raises(StaleEdit, match="已被他人修改"):
        P.update_problem(problem, {"category": "其他", "description": "旧页面提交",
                                   "due_date": problem.due_date.isoformat()}, version=read_version)
    world.session.rollback()
    assert world.session.get(type(problem), problem.id).description == "缺工人"


def test_problem_changes_go_to_the_audit_log(world):
    _bring_to(world, world.problem(world.enterprise(), world.department()), P.ASSIGNED)
    rows = world.session.query(AuditLog).filter(AuditLog.entity == "visits_problem").all()
    assert {r.action for r in rows} >= {"insert", "update"}
    assert any(r.action == "update" and "已交办" in (r.changes or "") for r in rows)


def test_unknown_category_is_refused(world):
    with pytest.raises(VisitsError, match="诉求类别"):
        world.problem(world.enterprise(), category="外星人")


def test_visit_in_the_future_is_refused(world, days):
    e = world.enterprise()
    with pytest.raises(VisitsError, match="不能晚于今天"):
        world.visit(e, days(1))
    world.session.rollback()
    assert world.session.query(Visit).count() == 0


def test_visit_copies_the_enterprise_region(world, days):
    e = world.enterprise(county="530627")
    visit = world.visit(e, days(0))
    assert (visit.region_id, visit.county_id) == (e.region_id, e.county_id)


def test_visit_needs_a_known_send_item(world):
    e = world.enterprise()
    with pytest.raises(VisitsError, match="送"):
        world.visit(e, send_items=["送钱"])


def test_overdue_is_computed_from_the_due_date(world, days):
    e = world.enterprise()
    late = world.problem(e, world.department(), due=days(-2), raised_on=days(-10).isoformat())
    on_time = world.problem(e, world.department(), due=days(5))
    assert P.is_overdue(late) and not P.is_overdue(on_time)
    assert P.search(world.session, overdue=True).all() == [late]


def test_a_problem_solved_after_midnight_in_zhaotong_counts_on_that_local_day(world):
    """closed_at is stored in UTC; periods are local days (Asia/Shanghai, UTC+8)."""
    import datetime as dt

    from plugins.visits import stats
    from plugins.visits.services.problems import CLOSED

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
