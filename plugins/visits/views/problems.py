from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console import ScopedInterface, ScopedModelView, db, refused

from ..errors import VisitsError
from ..models import Problem
from ..services import enterprises as enterprise_service
from ..services import problems as service
from ..services import visits as visit_service
from ..services.common import setting
from .common import TEMPLATES, Page, counties, form_data
from .exporting import PROBLEM_COLUMNS, export

BOARD_LIMIT = 30


def _filters() -> dict:
    args = request.args
    return {"status": args.get("status", ""), "county_id": args.get("county", ""),
            "department_id": args.get("department", ""), "category": args.get("category", ""),
            "overdue": args.get("overdue") == "1", "as_of": args.get("as_of", ""),
            "q": args.get("q", "").strip(), "start": args.get("start", ""), "end": args.get("end", ""),
            "solved_start": args.get("solved_start", ""), "solved_end": args.get("solved_end", "")}


class ProblemView(ScopedModelView):
    datamodel = ScopedInterface(Problem)
    route_base = "/visits/problems"
    class_permission_name = "visits_problems"
    template_folder = TEMPLATES

    def _query(self, **extra):
        try:
            return service.search(db.session, **_filters(), **extra)
        except (VisitsError, ValueError) as exc:
            refused(exc if isinstance(exc, VisitsError) else VisitsError("筛选条件无效"))
            return service.search(db.session, **extra)

    def _list(self, title, mine=False):
        extra = {"mine_of": g.user} if mine else {}
        return self.render_template(
            "visits/problem_list.html", title=title, mine=mine, page=Page(self._query(**extra)),
            filters=_filters(), counties=counties(), statuses=service.STATUSES,
            categories=setting("problem_categories"),
            departments=service.visible_departments(db.session), overdue=service.is_overdue,
            days_left=service.days_left)

    @expose("/list/")
    @has_access
    def list(self):
        return self._list("诉求清单")

    @expose("/mine/")
    @has_access
    @permission_name("mine")
    def mine(self):
        return self._list("本单位诉求", mine=True)

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        extra = {"mine_of": g.user} if request.args.get("mine") == "1" else {}
        return export(self._query(**extra), PROBLEM_COLUMNS, "诉求清单")

    @expose("/board/")
    @has_access
    @permission_name("board")
    def board(self):
        county = request.args.get("county", "")
        # An id from the county picker, or no filter: int() also reads other scripts' digits, and a
        # hand-typed value longer than a database integer overflows the query.
        if not (county.isascii() and county.isdigit() and len(county) <= 9):
            county = ""
        columns = []
        for status in service.STATUSES:
            query = service.search(db.session, status=status, county_id=county)
            columns.append((status, query.order_by(None).count(), query.limit(BOARD_LIMIT).all()))
        overdue_count = service.search(db.session, overdue=True, county_id=county).order_by(None).count()
        return self.render_template("visits/problem_board.html", columns=columns, county=county,
                                    counties=counties(), overdue=service.is_overdue,
                                    overdue_count=overdue_count, limit=BOARD_LIMIT)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        problem = service.get_problem(db.session, pk)
        return self.render_template(
            "visits/problem_show.html", p=problem, moves=service.allowed(problem.status),
            actions=service.ACTIONS, overdue=service.is_overdue(problem),
            days_left=service.days_left(problem), satisfaction=service.SATISFACTION,
            departments=service.visible_departments(db.session),
            may_act=self.appbuilder.sm.has_access("can_act", "visits_problems"))

    def _form(self, enterprise, problem=None, visit=None, data=None):
        if data is None and problem is not None:
            data = {k: getattr(problem, k) for k in ("category", "description", "measures", "result")}
            data.update(department_id=str(problem.department_id or ""), version=problem.version,
                        due_date=problem.due_date.isoformat() if problem.due_date else "")
        return self.render_template(
            "visits/problem_form.html", enterprise=enterprise, p=problem, visit=visit,
            values=data or {}, categories=setting("problem_categories"),
            departments=service.visible_departments(db.session),
            default_due=service.default_due_date())

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        enterprise = enterprise_service.get_enterprise(db.session, request.values.get("enterprise"))
        visit = None
        if request.values.get("visit"):
            visit = visit_service.get_visit(db.session, request.values["visit"])
        if request.method == "POST":
            data = form_data()
            try:
                problem = service.raise_problem(db.session, enterprise, data, g.user, visit)
            except VisitsError as exc:
                refused(exc)
                return self._form(enterprise, visit=visit, data=data)
            return redirect(url_for(".show", pk=problem.id))
        return self._form(enterprise, visit=visit)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        problem = service.get_problem(db.session, pk)
        if request.method == "POST":
            data = form_data()
            try:
                service.update_problem(problem, data, g.user, version=data.get("version"))
            except VisitsError as exc:
                refused(exc)
                return self._form(problem.enterprise, problem, data=data)
            return redirect(url_for(".show", pk=problem.id))
        return self._form(problem.enterprise, problem)

    @expose("/act/<pk>", methods=["POST"])
    @has_access
    @permission_name("act")
    def act(self, pk):
        """One workflow step: a move, the enterprise's satisfaction or the close-off."""
        problem = service.get_problem(db.session, pk)
        form = request.form
        try:
            if form.get("action") == "satisfaction":
                service.record_satisfaction(problem, form.get("level", ""), g.user, form.get("note"),
                                            version=form.get("version"))
            else:
                service.transition(problem, form.get("to", ""), g.user, form.get("note"),
                                   version=form.get("version"),
                                   department_id=form.get("department_id"),
                                   due_date=form.get("due_date"),
                                   duplicate_of_id=form.get("duplicate_of"))
            flash(f"诉求 #{problem.id} 当前状态：{problem.status}", "success")
        except VisitsError as exc:
            refused(exc)
        return redirect(url_for(".show", pk=pk))

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        problem = service.get_problem(db.session, pk)
        try:
            service.delete_problem(db.session, problem)
        except VisitsError as exc:
            refused(exc)
            return redirect(url_for(".show", pk=pk))
        return redirect(url_for(".list"))
