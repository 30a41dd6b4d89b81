"""The registers the module owner edits: whitelist versions and their plaques, the three duty
lists and the cancelled certificates.  Inspectors may read them."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import SelectField

from console import db

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
    description_columns = {"effective_on": "检查按检查日期当天已生效的最新版本核对；新版本请在下方逐项添加牌子"}

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
