"""Rectification orders and scheduled re-inspections: lists, and the page an order is worked on."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console import ConsoleError, ScopedInterface, ScopedModelView, clock, db, refused

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


class NameplatesOrderListView(ScopedModelView):
    datamodel = ScopedInterface(RectificationOrder)
    route_base = "/nameplates/order_list"
    class_permission_name = PERMISSION
    base_permissions = ["can_list", "can_show"]
    list_title = "整改台账"
    list_columns = ["region", "finding_title", "subject", "opened_on", "deadline", "overdue_title", "status_title"]
    show_columns = list_columns + ["responsible_person", "measures", "rectified_on", "reinspection_note", "closed_on"]
    search_columns = ["region", "finding_type", "status", "deadline", "opened_on"]
    order_columns = ["deadline", "opened_on"]
    base_order = ("deadline", "asc")
    label_columns = {
        "region": "村(社区)", "finding_title": "问题类型", "finding_type": "问题类型", "subject": "问题",
        "opened_on": "下达日期", "deadline": "整改期限", "overdue_title": "逾期", "status_title": "状态",
        "status": "状态", "responsible_person": "责任人", "measures": "整改措施",
        "rectified_on": "整改完成日期", "reinspection_note": "复查意见", "closed_on": "销号日期",
    }
    formatters_columns = {}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        rectification.get(db.session, pk)
        return redirect(url_for("NameplatesOrderView.detail", ident=int(pk)))


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
