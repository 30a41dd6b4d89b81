from flask_appbuilder import ModelView
from flask_appbuilder.fieldwidgets import Select2Widget
from wtforms import SelectField

from console.foundation.extensions import db
from console.regions import rules as regions
from console.regions.models import REGION_LEVELS, Region
from console.regions.scope import REGION_PICKER, ScopedInterface


class RegionInterface(ScopedInterface):
    """A region is inside the scope when its path is; a new one when its parent is."""

    scope_column = "id"

    def _region_id(self, item):
        return item.parent.id if item.parent is not None else item.parent_id


class RegionView(ModelView):
    datamodel = RegionInterface(Region)
    class_permission_name = "console_regions"
    list_title = "行政区划"
    show_title = "区划详情"
    add_title = "新增区划"
    edit_title = "编辑区划"
    list_columns = ["code", "name", "level_title", "parent", "example"]
    show_columns = ["code", "name", "level_title", "parent", "path", "example"]
    add_columns = edit_columns = ["code", "name", "level", "parent"]
    search_columns = ["code", "name", "level", "parent"]
    order_columns = ["code", "name", "level"]
    base_order = ("path", "asc")
    label_columns = {
        "code": "区划代码", "name": "名称", "level": "层级", "level_title": "层级",
        "parent": "上级区划", "path": "路径", "example": "示例数据",
    }
    description_columns = {"example": "乡镇(街道)和村(社区)名称为演示用的示例，并非真实区划"}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"parent": REGION_PICKER["region"]}
    search_form_query_rel_fields = {"parent": REGION_PICKER["region"]}

    add_form_extra_fields = edit_form_extra_fields = {
        "level": SelectField("层级", choices=list(REGION_LEVELS.items()), widget=Select2Widget()),
    }

    def pre_add(self, item):
        regions.prepare(db.session, item)

    def pre_update(self, item):
        regions.prepare(db.session, item)

    def pre_delete(self, item):
        if db.session.query(Region.id).filter(Region.parent_id == item.id).first():
            raise regions.RegionError("该区划下还有下级区划，不能删除")
