"""Service teams and responsible departments: edited by the module owner with FAB's forms."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter

from console import Region, ScopedInterface, ScopedModelView, current_region

from ..models import Department, ServiceTeam
from .common import TEMPLATES


class FilterCityOrCounty(BaseFilter):
    """Teams and departments belong to the city or a county: offer those inside the scope."""

    name = "市或县"
    arg_name = "city_county"

    def apply(self, query, value):
        query = query.filter(Region.level.in_(("city", "county")))
        region = current_region()
        return query if region is None else query.filter(Region.path.startswith(region.path))


_PICKER = {"region": [["id", FilterCityOrCounty, None]]}
_LABELS = {"name": "名称", "region": "所属区域", "members": "成员"}


class TeamView(ScopedModelView):
    datamodel = ScopedInterface(ServiceTeam)
    route_base = "/visits/teams"
    class_permission_name = "visits_teams"
    template_folder = TEMPLATES
    list_title = "服务团"
    show_title = "服务团详情"
    add_title = "新增服务团"
    edit_title = "编辑服务团"
    list_columns = ["name", "region", "members"]
    add_columns = edit_columns = show_columns = ["name", "region", "members"]
    search_columns = ["name"]
    label_columns = _LABELS
    description_columns = {"members": "服务团成员（控制台用户），可登记走访和诉求"}
    add_form_query_rel_fields = edit_form_query_rel_fields = _PICKER


class DepartmentView(ScopedModelView):
    datamodel = ScopedInterface(Department)
    route_base = "/visits/departments"
    class_permission_name = "visits_departments"
    template_folder = TEMPLATES
    list_title = "责任单位"
    show_title = "责任单位详情"
    add_title = "新增责任单位"
    edit_title = "编辑责任单位"
    list_columns = ["name", "region", "members"]
    add_columns = edit_columns = show_columns = ["name", "region", "members"]
    search_columns = ["name"]
    label_columns = _LABELS
    description_columns = {"members": "该单位负责办理诉求的人员：在“本单位诉求”中看到交办给本单位的诉求，并收到到期提醒"}
    add_form_query_rel_fields = edit_form_query_rel_fields = _PICKER
