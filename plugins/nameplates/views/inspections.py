"""Inspection pages: the phone form (new / edit), the detail page with review, the list."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import permission_name

from console import ConsoleError, Region, ScopedInterface, ScopedModelView, db, refused, scope

from ..models import Inspection, RectificationOrder
from ..services import inspections, photos, registers
from . import forms
from .common import TEMPLATES, me

PERMISSION = "nameplates_inspections"


def _villages():
    """The villages of the user's scope, grouped by township, for the form's picker."""
    q = db.session.query(Region).filter(Region.level == "village")
    q = scope.restrict(q, Region, column="id").order_by(Region.path)
    groups: dict[str, list[Region]] = {}
    for village in q:
        groups.setdefault(village.parent.name if village.parent else "", []).append(village)
    return groups


def _form_context(values: dict, inspection=None):
    version = registers.version_on(db.session, inspections.today())
    items = version.items if version else []
    return {
        "values": values,
        "inspection": inspection,
        "villages": _villages(),
        "levels": registers.levels(),
        "version": version,
        "outside": [i for i in items if i.position == "outside"],
        "inside": [i for i in items if i.position == "inside"],
        "known_plaques": sorted(set(registers.setting("removed_plaques"))),
        "cancelled": [c.name for c in registers.cancelled_certificates(db.session)],
        "today": inspections.today().isoformat(),
        "photo_max_mb": registers.setting("photo_max_mb"),
        "photos_max": registers.setting("photos_max"),
        # The phone downscales a photo to what the console would keep before storing it offline.
        "image_max_side": current_app.config.get("IMAGE_MAX_SIDE", 1600),
    }


class NameplatesInspectionsView(BaseView):
    route_base = "/nameplates/inspections"
    class_permission_name = PERMISSION
    template_folder = TEMPLATES
    default_view = "new"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def new(self):
        if request.method == "GET":
            values = forms.blank(registers.levels()[0])
            values["village_id"] = request.args.get("village", type=int)
            return self.render_template("nameplates/form.html", **_form_context(values))
        data = forms.from_form(request.form)
        try:
            inspection, created = inspections.submit(db.session, data, me(), request.files.getlist("photos"))
        except ConsoleError as exc:
            refused(exc)
            version = registers.version_on(db.session, inspections.today())
            keys = {f"{i.name}|{i.position}" for i in (version.items if version else [])}
            return self.render_template("nameplates/form.html",
                                        **_form_context(forms.values_of(data, keys))), exc.status
        if created:
            flash("检查已提交，等待审核", "success")
        else:
            flash("该检查此前已提交过，未重复创建", "info")
        return redirect(url_for("NameplatesInspectionsView.detail", ident=inspection.id))

    @expose("/<int:ident>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, ident):
        inspection = inspections.get(db.session, ident, me())
        if request.method == "GET":
            if inspection.status == "accepted":
                flash("该检查已审核通过，不能再修改", "warning")
                return redirect(url_for("NameplatesInspectionsView.detail", ident=ident))
            return self.render_template("nameplates/form.html",
                                        **_form_context(forms.values_from(inspection), inspection))
        data = forms.from_form(request.form)
        try:
            inspections.update(db.session, ident, data, me(), request.files.getlist("photos"))
        except ConsoleError as exc:
            refused(exc)
            if exc.status in (403, 404):
                return redirect(url_for("NameplatesInspectionsView.detail", ident=ident))
            inspection = inspections.get(db.session, ident, me())
            version = registers.version_on(db.session, inspections.today())
            keys = {f"{i.name}|{i.position}" for i in (version.items if version else [])}
            return self.render_template("nameplates/form.html",
                                        **_form_context(forms.values_of(data, keys), inspection)), exc.status
        flash("检查已修改，等待审核", "success")
        return redirect(url_for("NameplatesInspectionsView.detail", ident=ident))

    @expose("/<int:ident>")
    @has_access
    @permission_name("show")
    def detail(self, ident):
        inspection = inspections.get(db.session, ident, me())
        orders = (db.session.query(RectificationOrder)
                  .filter(RectificationOrder.inspection_id == inspection.id)
                  .order_by(RectificationOrder.id).all())
        user = me()
        return self.render_template(
            "nameplates/inspection.html", inspection=inspection, orders=orders,
            photos=photos.of(db.session, photos.INSPECTION, inspection.id),
            review_refusal=inspections.may_review(user, inspection),
            may_edit=inspection.status != "accepted" and inspection.inspector_id == getattr(user, "id", None),
        )

    @expose("/<int:ident>/review", methods=["POST"])
    @has_access
    @permission_name("review")
    def review(self, ident):
        accept = request.form.get("decision") == "accept"
        try:
            inspections.review(db.session, ident, me(), accept, request.form.get("comment"))
        except ConsoleError as exc:
            if exc.status == 404:
                raise
            refused(exc)
        else:
            flash("已审核通过" if accept else "已退回", "success")
        return redirect(url_for("NameplatesInspectionsView.detail", ident=ident))


class NameplatesInspectionListView(ScopedModelView):
    """The desktop list of inspections; a row opens the detail page."""

    datamodel = ScopedInterface(Inspection)
    route_base = "/nameplates/inspection_list"
    class_permission_name = PERMISSION
    method_permission_name = {"list": "list", "show": "show"}
    base_permissions = ["can_list", "can_show"]
    list_title = "挂牌检查"
    show_title = "检查详情"
    list_columns = ["region", "inspected_on", "level", "inspector", "status_title", "result_title"]
    show_columns = ["region", "inspected_on", "level", "inspector", "status_title", "result_title",
                    "wall_boards", "review_comment"]
    search_columns = ["region", "inspected_on", "level", "status", "compliant", "rebound"]
    order_columns = ["inspected_on"]
    base_order = ("inspected_on", "desc")
    search_form_query_rel_fields = {"region": [["level", FilterEqual, "village"]] + scope.REGION_PICKER["region"]}
    label_columns = {
        "region": "村(社区)", "inspected_on": "检查日期", "level": "检查层级", "inspector": "检查人",
        "status": "审核状态", "status_title": "审核状态", "result_title": "检查结果", "compliant": "合格",
        "rebound": "反弹", "wall_boards": "上墙牌板（块）", "review_comment": "审核意见",
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        inspections.get(db.session, pk)
        return redirect(url_for("NameplatesInspectionsView.detail", ident=int(pk)))
