from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console import ScopedInterface, ScopedModelView, db, refused

from ..errors import VisitsError
from ..models import Visit
from ..services import enterprises as enterprise_service
from ..services import problems as problem_service
from ..services import visits as service
from ..services.common import setting, today
from .common import TEMPLATES, Page, counties, form_data
from .exporting import VISIT_COLUMNS, export


def _filters() -> dict:
    return {"county_id": request.args.get("county", ""), "team_id": request.args.get("team", ""),
            "start": request.args.get("start", ""), "end": request.args.get("end", "")}


class VisitView(ScopedModelView):
    datamodel = ScopedInterface(Visit)
    route_base = "/visits/visits"
    class_permission_name = "visits_visits"
    template_folder = TEMPLATES

    def _query(self):
        try:
            return service.search(db.session, **_filters())
        except (VisitsError, ValueError) as exc:
            refused(exc if isinstance(exc, VisitsError) else VisitsError("筛选条件无效"))
            return service.search(db.session)

    @expose("/list/")
    @has_access
    def list(self):
        return self.render_template("visits/visit_list.html", page=Page(self._query()),
                                    filters=_filters(), counties=counties(),
                                    teams=service.teams_for(db.session))

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        return export(self._query(), VISIT_COLUMNS, "走访记录")

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        visit = service.get_visit(db.session, pk)
        problems = problem_service.search(db.session).filter_by(visit_id=visit.id).all()
        return self.render_template("visits/visit_show.html", v=visit, problems=problems,
                                    photos=service.photos_of(db.session, visit))

    def _form(self, enterprise, visit=None, data=None):
        if data is None:
            data = {"visit_date": (visit.visit_date if visit else today()).isoformat(),
                    "send_items": visit.send_item_list if visit else [],
                    "enter_target": visit.enter_target if visit else "",
                    "team_id": str(visit.team_id or "") if visit else "",
                    "notes": visit.notes if visit else "", "location": visit.location if visit else ""}
        elif isinstance(data.get("send_items"), str):
            data["send_items"] = [data["send_items"]]
        return self.render_template(
            "visits/visit_form.html", enterprise=enterprise, v=visit, values=data,
            teams=service.teams_for(db.session, enterprise), send_items=setting("send_items"),
            enter_targets=setting("enter_targets"), today=today(),
            photos=service.photos_of(db.session, visit) if visit else [])

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        ident = request.values.get("enterprise")
        if not ident:
            q = request.args.get("q", "").strip()
            found = enterprise_service.search(db.session, q=q).limit(20).all() if q else []
            return self.render_template("visits/visit_pick.html", q=q, found=found)
        enterprise = enterprise_service.get_enterprise(db.session, ident)
        if request.method == "POST":
            data = form_data()
            try:
                visit = service.save_visit(db.session, data, enterprise=enterprise,
                                           photos=request.files.getlist("photos"), user=g.user)
            except VisitsError as exc:
                refused(exc)
                return self._form(enterprise, data=data)
            return redirect(url_for(".show", pk=visit.id))
        return self._form(enterprise)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        visit = service.get_visit(db.session, pk)
        if request.method == "POST":
            data = form_data()
            try:
                service.save_visit(db.session, data, visit=visit,
                                   photos=request.files.getlist("photos"), user=g.user)
            except VisitsError as exc:
                refused(exc)
                return self._form(visit.enterprise, visit, data)
            return redirect(url_for(".show", pk=visit.id))
        return self._form(visit.enterprise, visit)

    @expose("/photos/<pk>/remove", methods=["POST"])
    @has_access
    @permission_name("edit")
    def remove_photo(self, pk):
        """Whoever may edit the visit may take a photo off it (a wrong or blurred shot)."""
        visit = service.get_visit(db.session, pk)
        try:
            service.remove_photo(db.session, visit, request.form.get("photo", ""))
            flash("照片已删除", "success")
        except VisitsError as exc:
            refused(exc)
        return redirect(url_for(".edit" if request.form.get("back") == "edit" else ".show", pk=visit.id))

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        visit = service.get_visit(db.session, pk)
        enterprise_id = visit.enterprise_id
        try:
            service.delete_visit(db.session, visit)
        except VisitsError as exc:
            refused(exc)
            return redirect(url_for(".show", pk=pk))
        return redirect(url_for("EnterpriseView.show", pk=enterprise_id))
