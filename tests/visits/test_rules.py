"""The services' rules.  Problems: the workflow table, satisfaction, close-off, stale edits;
visits: no future dates; the unified social credit code (GB 32100-2015)."""

import pytest

from console.audit.models import AuditLog
from jiceng.plugins.visits.errors import StaleEdit, VisitsError
from jiceng.plugins.visits.models import Visit
from jiceng.plugins.visits.services import creditcode
from jiceng.plugins.visits.services import problems as P


# -- problems and visits -----------------------------------------------------------------------


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


# -- the unified social credit code ------------------------------------------------------------


# Computed by hand from the standard's weights, and two published codes.
VALID = ["91350100M000100Y43", "911100001000080343", "91530602MA6K12349X"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert creditcode.validate(code) == code


@pytest.mark.parametrize("code", ["N2530602MF0000128T", "Y1530602MF0000128M", "A1530602MF0000128A"])
def test_a_letter_for_the_registration_authority_passes(code):
    # GB 32100-2015: the first two characters are digits or letters (N2 a village collective,
    # Y1 其他, A1 the army's).  stdnum.cn.uscc.validate takes them for digits and refuses these.
    assert creditcode.validate(code) == code


def test_check_character_follows_the_weights():
    first17 = "91530602MA6K12349"
    total = sum(creditcode.CHARSET.index(c) * w for c, w in zip(first17, creditcode.WEIGHTS))
    assert creditcode.check_char(first17) == creditcode.CHARSET[(31 - total % 31) % 31] == "X"


def test_a_remainder_of_zero_gives_check_zero():
    # Find a body whose weighted sum is a multiple of 31: the check is "0", not index 31.
    for n in range(10000):
        first17 = f"9153060200000{n:04d}"
        if sum(creditcode.CHARSET.index(c) * w for c, w in zip(first17, creditcode.WEIGHTS)) % 31 == 0:
            assert creditcode.check_char(first17) == "0"
            return
    pytest.fail("no body with a zero remainder found")


def test_wrong_check_character_is_refused():
    with pytest.raises(creditcode.CreditCodeError, match="第 18 位"):
        creditcode.validate("91350100M000100Y44")


def test_wrong_organization_code_check_is_refused():
    # Change the organization code's check (17th) and recompute the 18th: still refused.
    first17 = "91350100M000100Y5"
    with pytest.raises(creditcode.CreditCodeError, match="组织机构代码"):
        creditcode.validate(first17 + creditcode.check_char(first17))


@pytest.mark.parametrize("code,length", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19)])
def test_wrong_length_is_refused(code, length):
    with pytest.raises(creditcode.CreditCodeError, match=f"当前为 {length} 位"):
        creditcode.validate(code)


def test_letters_outside_the_charset_are_refused():
    with pytest.raises(creditcode.CreditCodeError, match="I"):
        creditcode.validate("91350100M000100I43")


def test_lowercase_and_full_width_input_is_normalized():
    assert creditcode.validate(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert creditcode.validate("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_empty_is_refused_in_chinese():
    with pytest.raises(creditcode.CreditCodeError, match="不能为空"):
        creditcode.validate("")
