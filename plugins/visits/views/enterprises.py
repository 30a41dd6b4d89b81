from __future__ import annotations

from flask import redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console import ScopedInterface, ScopedModelView, db, exports, refused

from ..errors import VisitsError
from ..models import Enterprise
from ..services import enterprises as service
from ..services import problems as problem_service
from ..services import visits as visit_service
from ..services.common import setting
from .common import TEMPLATES, Page, counties, enterprise_regions, form_data
from .exporting import ENTERPRISE_COLUMNS, export


def _filters() -> dict:
    return {"q": request.args.get("q", "").strip(), "county_id": request.args.get("county", ""),
            "industry": request.args.get("industry", ""),
            "visited_start": request.args.get("visited_start", ""),
            "visited_end": request.args.get("visited_end", ""),
            "unvisited_since": request.args.get("unvisited_since", "")}


class EnterpriseView(ScopedModelView):
    datamodel = ScopedInterface(Enterprise)
    # Contact names and phone numbers: pages carry the reader's watermark.
    personal_data = True
    route_base = "/visits/enterprises"
    class_permission_name = "visits_enterprises"
    template_folder = TEMPLATES
    list_title = "企业名录"

    @expose("/list/")
    @has_access
    def list(self):
        filters = _filters()
        try:
            query = service.search(db.session, **filters)
        except VisitsError as exc:
            refused(exc)
            query = service.search(db.session)
        return self.render_template("visits/enterprise_list.html", page=Page(query), filters=filters,
                                    counties=counties(), industries=setting("industries"))

    @expose("/export/", methods=["GET", "POST"])
    @has_access
    @permission_name("export")
    def export(self):
        # The directory carries contact phone numbers: asked for with a reason, watermarked.
        personal = exports.personal_export("企业名录（含联系电话）")
        return export(service.search(db.session, **_filters()), ENTERPRISE_COLUMNS, "企业名录",
                      personal=personal)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        enterprise = service.get_enterprise(db.session, pk)
        visits = visit_service.search(db.session, enterprise_id=enterprise.id).limit(50).all()
        problems = problem_service.search(db.session, enterprise_id=enterprise.id).all()
        return self.render_template("visits/enterprise_show.html", e=enterprise, visits=visits,
                                    problems=problems, overdue=problem_service.is_overdue)

    def _form(self, enterprise=None, data=None):
        values = data or ({k: getattr(enterprise, k) for k in service.FIELDS} if enterprise else {})
        return self.render_template("visits/enterprise_form.html", e=enterprise, values=values,
                                    groups=enterprise_regions(), industries=setting("industries"),
                                    sizes=setting("sizes"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "POST":
            data = form_data()
            try:
                enterprise = service.save_enterprise(db.session, data)
            except VisitsError as exc:
                refused(exc)
                return self._form(data=data)
            return redirect(url_for(".show", pk=enterprise.id))
        return self._form()

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        enterprise = service.get_enterprise(db.session, pk)
        if request.method == "POST":
            data = form_data()
            try:
                service.save_enterprise(db.session, data, enterprise)
            except VisitsError as exc:
                refused(exc)
                return self._form(enterprise, data)
            return redirect(url_for(".show", pk=enterprise.id))
        return self._form(enterprise)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        enterprise = service.get_enterprise(db.session, pk)
        try:
            service.delete_enterprise(db.session, enterprise)
        except VisitsError as exc:
            refused(exc)
            return redirect(url_for(".show", pk=pk))
        return redirect(url_for(".list"))
