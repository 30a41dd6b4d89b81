"""Rectification orders and scheduled re-inspections: lists, and the page an order is worked on."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args

from console import (
    WITHIN_ARG,
    ConsoleError,
    ScopedInterface,
    ScopedModelView,
    clock,
    db,
    exports,
    refused,
    regions,
    scope,
)

from ..models import RectificationOrder, Reinspection
from ..services import photos, rectification
from .common import TEMPLATES, me

PERMISSION = "nameplates_rectifications"


class NameplatesOrderView(BaseView):
    route_base = "/nameplates/orders"
    class_permission_name = PERMISSION
    template_folder = TEMPLATES
    default_view = "detail"

    @expose("/<int:ident>")
    @has_access
    @permission_name("show")
    def detail(self, ident):
        order = rectification.get(db.session, ident, me())
        return self.render_template(
            "nameplates/order.html", order=order, today=clock.today().isoformat(),
            before=photos.of(db.session, photos.ORDER_BEFORE, order.id),
            after=photos.of(db.session, photos.ORDER_AFTER, order.id),
            inspection_photos=photos.of(db.session, photos.INSPECTION, order.inspection_id),
        )

    @expose("/<int:ident>/update", methods=["POST"])
    @has_access
    @permission_name("edit")
    def update(self, ident):
        try:
            rectification.update(
                db.session, ident, me(),
                responsible_person=request.form.get("responsible_person"),
                measures=request.form.get("measures"),
                before_files=request.files.getlist("before"),
                after_files=request.files.getlist("after"),
                rectified_on=request.form.get("rectified_on") if request.form.get("report") else None,
            )
        except ConsoleError as exc:
            if exc.status == 404:
                raise
            refused(exc)
        else:
            flash("整改信息已保存", "success")
        return redirect(url_for("NameplatesOrderView.detail", ident=ident))

    @expose("/<int:ident>/reinspect", methods=["POST"])
    @has_access
    @permission_name("reinspect")
    def reinspect(self, ident):
        passed = request.form.get("decision") == "pass"
        try:
            rectification.reinspect(db.session, ident, me(), passed, request.form.get("note"))
        except ConsoleError as exc:
            if exc.status == 404:
                raise
            refused(exc)
        else:
            flash("复查通过，已在台账销号" if passed else "复查未通过，已退回整改", "success")
        return redirect(url_for("NameplatesOrderView.detail", ident=ident))


class OrderInterface(ScopedInterface):
    """The orders' datamodel: "urgency" is an order of its own, most urgent first."""

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        if order_column == URGENCY:
            return rectification.most_urgent_first(query)
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)


URGENCY = "urgency"


class NameplatesOrderListView(ScopedModelView):
    datamodel = OrderInterface(RectificationOrder)
    route_base = "/nameplates/order_list"
    class_permission_name = PERMISSION
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "整改台账"
    template_folder = TEMPLATES
    list_template = "nameplates/order_list.html"
    list_columns = ["county_name", "region", "finding_title", "subject", "opened_on", "deadline",
                    "overdue_title", "status_title"]
    show_columns = list_columns + ["responsible_person", "measures", "rectified_on", "reinspection_note", "closed_on"]
    search_columns = ["region", "finding_type", "status", "deadline", "opened_on"]
    order_columns = ["deadline", "opened_on"]
    # Open and overdue orders first (a list that began with the oldest closed ones hid them).
    base_order = (URGENCY, "asc")
    label_columns = {
        "county_name": "县(市、区)", "region": "村(社区)", "finding_title": "问题类型", "finding_type": "问题类型", "subject": "问题",
        "opened_on": "下达日期", "deadline": "整改期限", "overdue_title": "逾期", "status_title": "状态",
        "status": "状态", "responsible_person": "责任人", "measures": "整改措施",
        "rectified_on": "整改完成日期", "reinspection_note": "复查意见", "closed_on": "销号日期",
    }
    formatters_columns = {}

    def render_template(self, template, **kwargs):
        # The county filter above the list: the counties inside the user's scope.
        region = scope.current_region()
        within = region if region is not None and region.level != "city" else None
        return super().render_template(template, counties=regions.counties(db.session, within=within),
                                       within_arg=WITHIN_ARG, **kwargs)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        rectification.get(db.session, pk)
        return redirect(url_for("NameplatesOrderView.detail", ident=int(pk)))

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        """The list as filtered on screen, in its order, scope applied by the datamodel."""
        # The view's own filters, as its list reads them: they include the county one (位于).
        get_filter_args(self._filters)
        query = rectification.most_urgent_first(
            self.datamodel.apply_filters(db.session.query(RectificationOrder), self._filters))
        return exports.stream_xlsx(exports.query_rows(query, batch=500), rectification.EXPORT_COLUMNS,
                                   f"整改台账-{clock.today().isoformat()}.xlsx", sheet_title="整改台账")


class NameplatesReinspectionView(ScopedModelView):
    datamodel = ScopedInterface(Reinspection)
    route_base = "/nameplates/reinspections"
    class_permission_name = "nameplates_reinspections"
    base_permissions = ["can_list", "can_show"]
    list_title = "倒查复查安排"
    show_title = "复查安排"
    list_columns = ["region", "reason", "due_on", "status_title", "created_at"]
    show_columns = ["region", "reason", "due_on", "status_title", "source_inspection_id", "done_inspection_id"]
    search_columns = ["region", "status", "due_on"]
    base_order = ("due_on", "asc")
    label_columns = {
        "region": "村(社区)", "reason": "原因", "due_on": "复查期限", "status_title": "状态", "status": "状态",
        "created_at": "安排时间", "source_inspection_id": "发现反弹的检查", "done_inspection_id": "完成复查的检查",
    }
