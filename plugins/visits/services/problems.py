"""Problems (诉求): raising, editing with a version check, the status workflow, the
enterprise's satisfaction and the close-off (销号).

Every status change goes through :func:`transition`, which checks :data:`TRANSITIONS` and the
conditions of the target status, and writes a step of the handling record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import object_session

from console import clock, scope, unit_of_work

from ..errors import StaleEdit, VisitsError
from ..models import (
    Department,
    Enterprise,
    Problem,
    ProblemStep,
    Visit,
    department_member,
)
from .common import get_scoped, parse_date, setting, text, today

NEW, ASSIGNED, IN_PROGRESS, CONFIRMING, CLOSED, RETURNED, DUPLICATE = (
    "新建", "已交办", "办理中", "待企业确认", "已办结", "退回", "重复")
STATUSES = (NEW, ASSIGNED, IN_PROGRESS, CONFIRMING, CLOSED, RETURNED, DUPLICATE)
#: Statuses in which a problem still waits for someone: these can be overdue.
OPEN = (NEW, ASSIGNED, IN_PROGRESS, CONFIRMING, RETURNED)

#: from status -> the statuses it may move to.  Anything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ASSIGNED, DUPLICATE),
    ASSIGNED: (IN_PROGRESS, RETURNED),
    IN_PROGRESS: (CONFIRMING, RETURNED),
    CONFIRMING: (CLOSED, IN_PROGRESS),
    RETURNED: (ASSIGNED, DUPLICATE),
    CLOSED: (IN_PROGRESS,),
    DUPLICATE: (),
}

#: What the button for each move says.
ACTIONS = {
    ASSIGNED: "交办", IN_PROGRESS: "开始办理", CONFIRMING: "提交企业确认", CLOSED: "销号办结",
    RETURNED: "退回", DUPLICATE: "标记为重复",
}

SATISFIED, FAIRLY_SATISFIED, DISSATISFIED = "满意", "基本满意", "不满意"
SATISFACTION = (SATISFIED, FAIRLY_SATISFIED, DISSATISFIED)


def allowed(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def _check_version(problem: Problem, version) -> None:
    if version in (None, ""):
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise StaleEdit() from None
    if version != problem.version:
        raise StaleEdit()


def _department(session, department_id) -> Department | None:
    if department_id in (None, ""):
        return None
    try:
        department = session.get(Department, int(department_id))
    except (TypeError, ValueError):
        department = None
    if department is None:
        raise VisitsError("所选责任单位不存在")
    return department


def _category(value) -> str:
    value = text(value, 50, "诉求类别")
    if not value:
        raise VisitsError("请选择诉求类别")
    allowed_ = setting("problem_categories")
    if value not in allowed_:
        raise VisitsError(f"“{value}”不是可选的诉求类别（可选：{'、'.join(allowed_)}）")
    return value


def default_due_date(start: dt.date | None = None) -> dt.date:
    return (start or today()) + dt.timedelta(days=int(setting("default_deadline_days")))


@unit_of_work
def raise_problem(session, enterprise: Enterprise, data: dict, user=None,
                  visit: Visit | None = None, problem: Problem | None = None) -> Problem:
    """Record a problem an enterprise raised (status 新建); one unit of work."""
    scope.require(enterprise.region_id)
    if visit is not None and visit.enterprise_id != enterprise.id:
        raise VisitsError("该次走访不是对这家企业的走访")
    description = text(data.get("description"), 5000, "诉求内容")
    if not description:
        raise VisitsError("请填写诉求内容")
    raised_on = parse_date(data.get("raised_on"), "提出日期") or (visit.visit_date if visit else today())
    if raised_on > today():
        raise VisitsError("提出日期不能晚于今天")
    due = parse_date(data.get("due_date"), "办理时限") or default_due_date(raised_on)
    if due < raised_on:
        raise VisitsError("办理时限不能早于提出日期")
    problem = problem if problem is not None else Problem()
    problem.enterprise, problem.visit = enterprise, visit
    problem.region_id, problem.county_id = enterprise.region_id, enterprise.county_id
    problem.category = _category(data.get("category"))
    problem.description = description
    problem.department = _department(session, data.get("department_id"))
    problem.due_date, problem.raised_on = due, raised_on
    problem.status, problem.reopen_count = NEW, 0
    problem.created_by_id = getattr(user, "id", None)
    session.add(problem)
    _step(problem, None, NEW, user, text(data.get("note"), 2000, "说明"))
    session.flush()
    return problem


@unit_of_work
def update_problem(problem: Problem, data: dict, user=None, version=None) -> Problem:
    """Edit a problem's content; refused when someone saved it since ``version`` was read."""
    session = object_session(problem)
    _check_version(problem, version)
    scope.require(problem.region_id)
    if problem.status in (CLOSED, DUPLICATE):
        raise VisitsError(f"“{problem.status}”的诉求不能修改")
    description = text(data.get("description"), 5000, "诉求内容")
    if not description:
        raise VisitsError("请填写诉求内容")
    problem.category = _category(data.get("category"))
    problem.description = description
    problem.department = _department(session, data.get("department_id"))
    due = parse_date(data.get("due_date"), "办理时限")
    if due is None:
        raise VisitsError("请填写办理时限")
    if due < problem.raised_on:
        raise VisitsError("办理时限不能早于提出日期")
    problem.due_date = due
    problem.measures = text(data.get("measures"), 5000, "对策措施")
    problem.result = text(data.get("result"), 5000, "办理成效")
    session.flush()
    return problem


def _step(problem: Problem, before: str | None, after: str, user, note: str | None) -> None:
    problem.steps.append(ProblemStep(
        region_id=problem.region_id, from_status=before, to_status=after, note=note,
        user_id=getattr(user, "id", None), username=getattr(user, "username", None) or "系统",
        at=clock.utcnow()))


@unit_of_work
def transition(problem: Problem, to_status: str, user, note: str | None = None, *, version=None,
               department_id=None, due_date=None, duplicate_of_id=None) -> Problem:
    """Move ``problem`` to ``to_status`` if the workflow allows it; one unit of work."""
    session = object_session(problem)
    _check_version(problem, version)
    scope.require(problem.region_id)
    before = problem.status
    if to_status not in STATUSES:
        raise VisitsError(f"没有“{to_status}”这个状态")
    if to_status not in allowed(before):
        possible = "、".join(allowed(before)) or "无（已是最终状态）"
        raise VisitsError(f"诉求当前为“{before}”，不能改为“{to_status}”。可改为：{possible}")
    note = text(note, 2000, "说明")

    if to_status == ASSIGNED:
        department = _department(session, department_id) or problem.department
        if department is None:
            raise VisitsError("交办前请选择责任单位")
        problem.department = department
        due = parse_date(due_date, "办理时限")
        if due is not None:
            if due < problem.raised_on:
                raise VisitsError("办理时限不能早于提出日期")
            problem.due_date = due
        elif problem.due_date is None:
            problem.due_date = default_due_date()
    elif to_status == CONFIRMING:
        if not problem.result:
            raise VisitsError("提交企业确认前请先填写“办理成效”")
    elif to_status == CLOSED:
        if problem.satisfaction not in (SATISFIED, FAIRLY_SATISFIED):
            raise VisitsError("企业评价为“满意”或“基本满意”后才能销号办结")
        problem.closed_at = clock.utcnow()
        problem.closed_by_id = getattr(user, "id", None)
        problem.closed_by_name = getattr(user, "username", None) or "系统"
    elif to_status in (RETURNED, DUPLICATE) and not note:
        raise VisitsError(f"“{ACTIONS[to_status]}”时请填写原因")
    if to_status == DUPLICATE and duplicate_of_id not in (None, ""):
        original = get_scoped(session, Problem, duplicate_of_id)
        if original.id == problem.id:
            raise VisitsError("诉求不能与自己重复")
        problem.duplicate_of_id = original.id

    if before == CLOSED:  # reopened: the close-off no longer holds
        problem.closed_at = problem.closed_by_id = problem.closed_by_name = None
        problem.reopen_count = (problem.reopen_count or 0) + 1
    if before == CONFIRMING and to_status == IN_PROGRESS:
        problem.reopen_count = (problem.reopen_count or 0) + 1
    problem.status = to_status
    _step(problem, before, to_status, user, note)
    session.flush()
    return problem


@unit_of_work
def record_satisfaction(problem: Problem, level: str, user, note: str | None = None, *,
                        version=None) -> Problem:
    """The enterprise's verdict on the result.  不满意 sends the problem back to 办理中."""
    _check_version(problem, version)
    if level not in SATISFACTION:
        raise VisitsError(f"满意度须为：{'、'.join(SATISFACTION)}")
    if problem.status not in (CONFIRMING, CLOSED):
        raise VisitsError(f"诉求当前为“{problem.status}”，待企业确认或已办结后才能评价满意度")
    problem.satisfaction = level
    if level == DISSATISFIED:
        reason = text(note, 2000, "说明")
        return transition(problem, IN_PROGRESS, user, f"企业不满意，重新办理。{reason or ''}".strip())
    object_session(problem).flush()
    return problem


@unit_of_work
def close_off(problem: Problem, user, note: str | None = None, *, version=None) -> Problem:
    """销号: close a confirmed problem, recording who and when."""
    return transition(problem, CLOSED, user, note, version=version)


def get_problem(session, ident) -> Problem:
    return get_scoped(session, Problem, ident)


#: What an edit through the REST API may change: the content (as on the edit page) and, through
#: the workflow's own moves, the status and the enterprise's satisfaction.
CONTENT = ("category", "description", "department_id", "due_date", "measures", "result")
EDITABLE = CONTENT + ("status", "satisfaction", "note", "version", "duplicate_of_id")


def _same(value, current) -> bool:
    """Whether a submitted value leaves the stored one as it is (``"3"`` and 3, ``""`` and None)."""
    if hasattr(current, "isoformat"):
        current = current.isoformat()
    return ("" if value is None else str(value).strip()) == ("" if current is None else str(current))


@unit_of_work
def edit_problem(session, ident, body, user) -> Problem:
    """Content through :func:`update_problem`, then the satisfaction and the status through the
    workflow, in one unit of work: the same rules as the pages, never a column set directly.
    Only the fields in ``body`` (a JSON object) change."""
    if not isinstance(body, dict):
        raise VisitsError("请求体须为 JSON 对象，例如 {\"status\": \"已交办\", \"version\": 1}")
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise VisitsError(f"不能修改的字段：{'、'.join(unknown)}（可修改：{'、'.join(EDITABLE)}）")
    problem = get_problem(session, ident)
    version = body.get("version")
    if any(k in body and not _same(body[k], getattr(problem, k)) for k in CONTENT):
        data = {k: getattr(problem, k) for k in CONTENT}
        data.update({k: body[k] for k in CONTENT if k in body})
        update_problem(problem, data, user, version=version)
        version = None  # checked once: the flush above has moved it on
    if "satisfaction" in body and not _same(body["satisfaction"], problem.satisfaction):
        record_satisfaction(problem, body["satisfaction"], user, body.get("note"), version=version)
        version = None
    if "status" in body and not _same(body["status"], problem.status):
        transition(problem, body["status"], user, body.get("note"), version=version,
                   department_id=body.get("department_id"), due_date=body.get("due_date"),
                   duplicate_of_id=body.get("duplicate_of_id"))
    return problem


# -- queries ---------------------------------------------------------------------------------


def overdue_clause(as_of: dt.date | None = None):
    """SQL: still open and past its due date."""
    return and_(Problem.status.in_(OPEN), Problem.due_date < (as_of or today()))


def closed_between(start: dt.date | None = None, end: dt.date | None = None):
    """SQL: closed off (已办结) within the dates ``[start, end)``.  The briefing's count and the
    list it links to both use it, so the two cannot disagree.  The dates are local days:
    ``closed_at`` is stored in UTC, so a problem closed at 01:30 on 1 January in Zhaotong counts
    in January."""
    clauses = [Problem.status == CLOSED]
    if start:
        clauses.append(Problem.closed_at >= clock.day_start(start))
    if end:
        clauses.append(Problem.closed_at < clock.day_start(end))
    return and_(*clauses)


def is_overdue(problem: Problem, as_of: dt.date | None = None) -> bool:
    return (problem.status in OPEN and problem.due_date is not None
            and problem.due_date < (as_of or today()))


def days_left(problem: Problem, as_of: dt.date | None = None) -> int | None:
    if problem.due_date is None or problem.status not in OPEN:
        return None
    return (problem.due_date - (as_of or today())).days


def departments_of(session, user) -> list[int]:
    if user is None:
        return []
    rows = session.execute(select(department_member.c.department_id)
                           .where(department_member.c.user_id == user.id))
    return [r[0] for r in rows]


def search(session, *, status=None, county_id=None, department_id=None, category=None,
           overdue: bool = False, as_of=None, mine_of=None, q=None, enterprise_id=None,
           start=None, end=None, solved_start=None, solved_end=None):
    """Problems inside the user's scope matching the list's filters; overdue first, then by
    due date.  ``mine_of``: only those assigned to a department the user belongs to.
    ``start``/``end``: raised between these days, ``solved_start``/``solved_end``: closed off
    between them (both inclusive, as a person reads a date range); ``as_of``: the day
    ``overdue`` is judged on (today by default)."""
    start, end = parse_date(start, "提出日期（起）"), parse_date(end, "提出日期（止）")
    solved_start = parse_date(solved_start, "办结日期（起）")
    solved_end = parse_date(solved_end, "办结日期（止）")
    as_of = parse_date(as_of, "逾期判断日期")
    for low, high, title in ((start, end, "提出日期"), (solved_start, solved_end, "办结日期")):
        if low and high and low > high:
            raise VisitsError(f"“{title}”的开始日期不能晚于结束日期")
    query = scope.restrict(session.query(Problem), Problem)
    if status:
        if status not in STATUSES:
            raise VisitsError(f"没有“{status}”这个状态")
        query = query.filter(Problem.status == status)
    if county_id not in (None, ""):
        query = query.filter(Problem.county_id == int(county_id))
    if department_id not in (None, ""):
        query = query.filter(Problem.department_id == int(department_id))
    if category:
        query = query.filter(Problem.category == category)
    if enterprise_id not in (None, ""):
        query = query.filter(Problem.enterprise_id == int(enterprise_id))
    if overdue:
        query = query.filter(overdue_clause(as_of))
    if start:
        query = query.filter(Problem.raised_on >= start)
    if end:
        query = query.filter(Problem.raised_on <= end)
    if solved_start or solved_end:
        query = query.filter(closed_between(solved_start, solved_end + dt.timedelta(days=1)
                                            if solved_end else None))
    if mine_of is not None:
        query = query.filter(Problem.department_id.in_(
            select(department_member.c.department_id).where(department_member.c.user_id == mine_of.id)))
    if q:
        query = query.join(Problem.enterprise).filter(or_(
            Enterprise.name.contains(q.strip(), autoescape=True),
            Problem.description.contains(q.strip(), autoescape=True)))
    return query.order_by(Problem.due_date.is_(None), Problem.due_date, Problem.id)


def visible_departments(session) -> list[Department]:
    """Departments a problem of the user's scope can be assigned to: the scope's own and those
    above it (a county problem may go to a city department)."""
    from console import Region

    region = scope.current_region()
    query = session.query(Department).join(Region, Department.region_id == Region.id)
    if region is not None:
        query = query.filter(or_(Region.path.startswith(region.path),
                                 Region.level == "city",
                                 Region.id == getattr(region.parent, "id", None)))
    return query.order_by(Region.path, Department.name).all()


@unit_of_work
def delete_problem(session, problem: Problem) -> None:
    """Only a problem nobody has acted on yet may vanish; the others keep their record."""
    if problem.status != NEW:
        raise VisitsError("只有“新建”状态的诉求可以删除；其他诉求请标记为“重复”或走完流程")
    session.delete(problem)
    session.flush()
