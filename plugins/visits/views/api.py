"""REST API: /api/v1/visits_enterprises/, /api/v1/visits_visits/, /api/v1/visits_problems/.

The scope applies through ``ScopedInterface``; creating and editing go through the same service
functions as the pages, and a refusal is answered with its status and Chinese message.
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, fields

from console import ConsoleError, ScopedInterface, ScopedModelRestApi, db

from ..models import Enterprise, Problem, Visit
from ..services import enterprises as enterprise_service
from ..services import problems as problem_service
from ..services import visits as visit_service


class _Refusals:
    """Turn a service's refusal into a JSON answer (FAB's ``@safe`` would make it a 500)."""

    def _refusing(self, call, *args):
        # A refusal inside a service has been rolled back by its unit of work.
        try:
            return call(*args)
        except ConsoleError as exc:
            return self.response(exc.status, message=exc.message)

    def post_headless(self):
        return self._refusing(super().post_headless)

    def put_headless(self, pk):
        return self._refusing(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._refusing(super().delete_headless, pk)


# One label per column across the three APIs (the pages' forms use the same words).
LABELS = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "region_id": "所在区域", "county_id": "县(市、区)",
    "county.name": "县(市、区)名称", "industry": "行业", "size": "规模", "address": "地址",
    "contact_person": "联系人", "contact_phone": "联系电话", "enterprise_id": "企业", "enterprise.name": "企业名称",
    "team_id": "服务团", "visit_date": "走访日期", "send_items": "送", "enter_target": "进", "notes": "走访情况",
    "location": "地点", "latitude": "纬度", "longitude": "经度", "created_at": "录入时间", "visit_id": "走访记录",
    "category": "类别", "description": "诉求内容", "department_id": "责任单位", "department.name": "责任单位名称",
    "due_date": "办理时限", "raised_on": "提出日期", "measures": "对策措施", "result": "办理成效",
    "status": "状态", "satisfaction": "满意度", "reopen_count": "重新办理次数", "closed_at": "销号时间",
    "closed_by_name": "销号人", "version": "版本号", "enterprise": "企业", "team": "服务团", "region": "所在区域",
    "county": "县(市、区)", "department": "责任单位", "visit": "走访记录",
}


def _data(item, fields) -> dict:
    return {f: getattr(item, f, None) for f in fields}


class EnterpriseApi(_Refusals, ScopedModelRestApi):
    datamodel = ScopedInterface(Enterprise, deferred_paging=True)
    resource_name = "visits_enterprises"
    class_permission_name = "visits_enterprise_api"
    allow_browser_login = True
    openapi_spec_tag = "三送三进·企业名录"
    list_columns = ["id", "name", "credit_code", "region_id", "county_id", "county.name",
                    "industry", "size"]
    show_columns = ["id", "name", "credit_code", "region_id", "county_id",
                    "county.name", "industry", "size", "address", "contact_person", "contact_phone"]
    add_columns = edit_columns = ["name", "credit_code", "region_id", "industry", "size", "address",
                                  "contact_person", "contact_phone"]
    search_columns = ["name", "credit_code", "county_id", "industry"]
    order_columns = ["name", "id"]
    base_order = ("name", "asc")
    label_columns = LABELS

    def pre_add(self, item):
        enterprise_service.save_enterprise(db.session, _data(item, enterprise_service.FIELDS), item)

    def pre_update(self, item):
        enterprise_service.save_enterprise(db.session, _data(item, enterprise_service.FIELDS), item)

    def pre_delete(self, item):
        enterprise_service.ensure_deletable(db.session, item)


VISIT_FIELDS = ["enterprise_id", "team_id", "visit_date", "send_items", "enter_target", "notes",
                "location", "latitude", "longitude"]


class VisitApi(_Refusals, ScopedModelRestApi):
    datamodel = ScopedInterface(Visit)
    resource_name = "visits_visits"
    class_permission_name = "visits_visit_api"
    allow_browser_login = True
    openapi_spec_tag = "三送三进·走访记录"
    list_title = "走访记录"
    include_route_methods = {"get", "get_list", "info", "post"}
    list_columns = ["id", "visit_date", "enterprise_id", "enterprise.name", "county.name",
                    "team_id", "send_items", "enter_target"]
    show_columns = ["id", "visit_date", "enterprise_id", "enterprise.name", "region_id", "county_id",
                    "team_id", "send_items", "enter_target", "notes", "location", "latitude",
                    "longitude", "created_at"]
    add_columns = VISIT_FIELDS
    label_columns = LABELS
    search_columns = ["visit_date", "county_id", "enterprise_id", "team_id"]
    order_columns = ["visit_date", "id"]
    base_order = ("visit_date", "desc")

    def pre_add(self, item):
        enterprise = enterprise_service.get_enterprise(db.session, item.enterprise_id)
        data = _data(item, VISIT_FIELDS)
        visit_service.save_visit(db.session, data, enterprise=enterprise, visit=item, user=g.user)


PROBLEM_FIELDS = ["enterprise_id", "visit_id", "category", "description", "department_id",
                  "due_date", "raised_on"]
#: What a PUT may change (``problems.edit_problem``).
PROBLEM_CONTENT = problem_service.CONTENT


class ProblemEditSchema(Schema):
    """The body of ``PUT /api/v1/visits_problems/<pk>``: only the fields sent change."""

    category = fields.String(metadata={"description": "诉求类别（模块设置中的类别之一）"})
    description = fields.String(metadata={"description": "诉求内容"})
    department_id = fields.Integer(allow_none=True, metadata={"description": "责任单位"})
    due_date = fields.Date(metadata={"description": "办理时限"})
    measures = fields.String(allow_none=True, metadata={"description": "对策措施"})
    result = fields.String(allow_none=True, metadata={"description": "办理成效"})
    status = fields.String(metadata={
        "description": "目标状态，只能按流程流转（新建→已交办/重复，已交办→办理中/退回，"
                       "办理中→待企业确认/退回，待企业确认→已办结/办理中，退回→已交办/重复，"
                       "已办结→办理中）"})
    satisfaction = fields.String(metadata={"description": "企业评价：满意/基本满意/不满意（不满意将重新办理）"})
    note = fields.String(metadata={"description": "流转或评价的说明（退回、重复时必填）"})
    version = fields.Integer(metadata={"description": "读取时的版本号；已被他人修改则拒绝（409）"})
    duplicate_of_id = fields.Integer(metadata={"description": "标记为重复时，与之重复的诉求"})


class ProblemApi(_Refusals, ScopedModelRestApi):
    datamodel = ScopedInterface(Problem)
    resource_name = "visits_problems"
    class_permission_name = "visits_problem_api"
    allow_browser_login = True
    openapi_spec_tag = "三送三进·诉求"
    list_title = "诉求清单"
    include_route_methods = {"get", "get_list", "info", "post", "put", "transition"}
    edit_columns = list(PROBLEM_CONTENT)
    edit_model_schema = ProblemEditSchema()
    list_columns = ["id", "enterprise_id", "enterprise.name", "county.name", "category", "status",
                    "department_id", "due_date", "raised_on", "satisfaction", "version"]
    show_columns = ["id", "enterprise_id", "enterprise.name", "visit_id", "region_id", "county_id",
                    "category", "description", "department_id", "department.name", "due_date",
                    "raised_on", "measures", "result", "status", "satisfaction", "reopen_count",
                    "closed_at", "closed_by_name", "version"]
    add_columns = PROBLEM_FIELDS
    label_columns = LABELS
    search_columns = ["status", "county_id", "department_id", "category", "enterprise_id"]
    order_columns = ["due_date", "raised_on", "id"]
    base_order = ("id", "desc")

    def pre_add(self, item):
        enterprise = enterprise_service.get_enterprise(db.session, item.enterprise_id)
        visit = visit_service.get_visit(db.session, item.visit_id) if item.visit_id else None
        data = _data(item, PROBLEM_FIELDS)
        for key in ("due_date", "raised_on"):
            data[key] = data[key].isoformat() if data[key] else None
        problem_service.raise_problem(db.session, enterprise, data, g.user, visit, problem=item)

    def put_headless(self, pk):
        return self._refusing(self._edit, pk)

    def _edit(self, pk):
        problem = problem_service.edit_problem(db.session, pk, request.get_json(silent=True), g.user)
        return self.response(200, id=problem.id, result=self.show_model_schema.dump(problem))

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Edit a problem: its content, and its status only through the workflow's moves.
        ---
        put:
          summary: 修改诉求（内容、满意度评价与状态流转）
          description: >-
            只修改请求中给出的字段。内容字段与页面上的“编辑诉求”规则相同（已办结、重复的诉求不能修改内容）；
            status 只能按流程改为当前状态允许的下一状态（与页面及 transition 接口相同的规则），
            交办时可同时给出 department_id、due_date；satisfaction 为企业评价。
            给出 version 时，若诉求已被他人修改则拒绝（409）。不在管辖范围内的诉求答 404。
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: 修改后的诉求（result 与 GET 的字段相同）
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              description: 请求无效（中文 message 说明原因，如不允许的状态流转、无效的日期）
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              description: 诉求已被他人修改
        """
        return self.put_headless(pk)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @permission_name("transition")
    def transition(self, pk):
        """Move a problem through its workflow, record satisfaction or close it off.
        ---
        post:
          summary: 诉求状态流转、满意度评价与销号
          description: >-
            JSON 字段：to（目标状态：已交办/办理中/待企业确认/已办结/退回/重复）、note（说明）、
            version（读取时的版本号，过期则拒绝）、department_id、due_date；
            或 satisfaction（满意/基本满意/不满意，不满意将重新办理）。
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    to: {type: string}
                    note: {type: string}
                    version: {type: integer}
                    department_id: {type: integer}
                    due_date: {type: string, format: date}
                    satisfaction: {type: string}
          responses:
            200:
              description: 流转后的状态与版本号
            400:
              $ref: '#/components/responses/400'
            404:
              $ref: '#/components/responses/404'
            409:
              description: 诉求已被他人修改
        """
        body = request.get_json(silent=True) or {}

        def act():
            problem = problem_service.get_problem(db.session, pk)
            if body.get("satisfaction"):
                problem_service.record_satisfaction(problem, body["satisfaction"], g.user,
                                                    body.get("note"), version=body.get("version"))
            else:
                problem_service.transition(problem, body.get("to", ""), g.user, body.get("note"),
                                           version=body.get("version"),
                                           department_id=body.get("department_id"),
                                           due_date=body.get("due_date"))
            return self.response(200, id=problem.id, status=problem.status, version=problem.version)

        return self._refusing(act)
