"""The registers the module owner edits: whitelist versions and their plaques, the three duty
lists and the cancelled certificates.  Inspectors may read them."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import SelectField

from console import ConsoleError, db, refused

from ..errors import NameplatesError
from ..models import (
    DUTY_LISTS,
    POSITIONS,
    CancelledCertificate,
    DutyItem,
    WhitelistItem,
    WhitelistVersion,
)
from ..services import registers


class NameplatesWhitelistItemView(ModelView):
    route_base = "/nameplates/whitelist_items"
    datamodel = SQLAInterface(WhitelistItem)
    class_permission_name = "nameplates_whitelist_items"
    list_title = "白名单牌子"
    add_title = "新增白名单牌子"
    edit_title = "编辑白名单牌子"
    show_title = "白名单牌子"
    list_columns = ["version", "name", "position_title", "sort"]
    show_columns = ["version", "name", "position_title", "sort"]
    add_columns = edit_columns = ["version", "name", "position", "sort"]
    base_order = ("sort", "asc")
    label_columns = {"version": "白名单版本", "name": "牌子名称", "position": "位置", "position_title": "位置",
                     "sort": "排序"}
    add_form_extra_fields = edit_form_extra_fields = {
        "position": SelectField("位置", choices=list(POSITIONS.items())),
    }

    def pre_add(self, item):
        item.name = registers.normalize(item.name)
        if not item.name:
            raise NameplatesError("牌子名称不能为空")

    pre_update = pre_add

    def pre_delete(self, item):
        if len(item.version.items) <= 1:
            raise NameplatesError("这是该版本的最后一块牌子，版本不能没有牌子；请新增版本代替")


class NameplatesWhitelistView(ModelView):
    route_base = "/nameplates/whitelist"
    datamodel = SQLAInterface(WhitelistVersion)
    class_permission_name = "nameplates_whitelist"
    related_views = [NameplatesWhitelistItemView]
    list_title = "挂牌白名单版本"
    add_title = "新增白名单版本"
    edit_title = "编辑白名单版本"
    show_title = "白名单版本"
    list_columns = ["number", "effective_on", "note"]
    show_columns = ["number", "effective_on", "note"]
    add_columns = edit_columns = ["number", "effective_on", "note"]
    base_order = ("number", "desc")
    label_columns = {"number": "版本号", "effective_on": "生效日期", "note": "说明", "items": "牌子"}
    description_columns = {"effective_on": "检查按检查日期当天已生效的最新版本核对"}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        # A version is made whole, with its plaques, on the table page: never empty.
        return redirect(url_for(f"{type(self).__name__}.new"))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def new(self):
        """A new version copied from the previous one and edited as one table: rows added and
        removed in the page, saved together."""
        previous = registers.latest_version(db.session)
        if request.method == "POST":
            names, places = request.form.getlist("name"), request.form.getlist("position")
            rows = list(zip(names, places))
            effective = request.form.get("effective_on", "").strip()
            note = request.form.get("note", "").strip() or None
            try:
                try:
                    day = dt.date.fromisoformat(effective) if effective else None
                except ValueError:
                    raise NameplatesError(f"生效日期“{effective}”无效，请按 2026-01-01 的格式填写") from None
                version = registers.add_version(db.session, day, rows, note)
            except ConsoleError as exc:
                refused(exc)
                return self._table(previous, rows, effective, note or "")
            flash(f"已发布{version}，共 {len(version.items)} 块牌子", "success")
            return redirect(url_for(f"{type(self).__name__}.show", pk=version.id))
        return self._table(previous, registers.draft_from_latest(db.session), "", "")

    def _table(self, previous, rows, effective, note):
        return self.render_template("nameplates/whitelist_version.html", previous=previous, rows=rows,
                                    positions=POSITIONS, effective_on=effective, note=note)

    def pre_delete(self, item):
        from ..models import Inspection

        if db.session.query(Inspection.id).filter(Inspection.whitelist_version_id == item.id).first():
            raise NameplatesError("已有检查按该版本核对，不能删除；请新增版本")


class NameplatesDutyView(ModelView):
    route_base = "/nameplates/duties"
    datamodel = SQLAInterface(DutyItem)
    class_permission_name = "nameplates_duties"
    list_title = "村级职责清单（29+23+53）"
    add_title = "新增职责事项"
    edit_title = "编辑职责事项"
    show_title = "职责事项"
    list_columns = ["list_title", "number", "title", "example_title"]
    show_columns = ["list_title", "number", "title", "example_title"]
    add_columns = edit_columns = ["list_kind", "number", "title", "example"]
    search_columns = ["list_kind", "title", "example"]
    base_order = ("number", "asc")
    page_size = 30
    label_columns = {"list_kind": "清单", "list_title": "清单", "number": "序号", "title": "事项",
                     "example": "示例", "example_title": "示例"}
    description_columns = {"example": "措辞为演示示例、尚未核对原文的事项请勾选"}
    add_form_extra_fields = edit_form_extra_fields = {
        "list_kind": SelectField("清单", choices=[(k, v[0]) for k, v in DUTY_LISTS.items()]),
    }


class NameplatesCertificateView(ModelView):
    route_base = "/nameplates/certificates"
    datamodel = SQLAInterface(CancelledCertificate)
    class_permission_name = "nameplates_certificates"
    list_title = "取消不应出具证明事项（34项）"
    add_title = "新增取消证明事项"
    edit_title = "编辑取消证明事项"
    show_title = "取消证明事项"
    list_columns = ["number", "name", "note", "example_title"]
    show_columns = ["number", "name", "note", "example_title"]
    add_columns = edit_columns = ["number", "name", "note", "example"]
    search_columns = ["name", "example"]
    base_order = ("number", "asc")
    page_size = 40
    label_columns = {"number": "序号", "name": "证明名称", "note": "说明", "example": "示例",
                     "example_title": "示例"}
    description_columns = {"example": "名称为演示示例、尚未核对原文的事项请勾选"}
