"""REST API of inspections: /api/v1/nameplates_inspections/ (list and read in scope; submit
through the same idempotent service the phone form uses).

A submission is JSON, or multipart/form-data with the JSON in a ``payload`` field and the photos
as ``photos`` files: the phone's outbox sends a record and its photos in one request, so they
land in one transaction or not at all."""

from __future__ import annotations

import json

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from marshmallow import Schema, ValidationError, fields, validate

from console import (
    ConsoleError,
    ScopedInterface,
    ScopedModelRestApi,
    db,
    field_errors_text,
)

from ..models import Inspection
from ..services import inspections

_REQUIRED = {"required": "必填", "null": "不能为空", "invalid": "格式不正确"}
_BODY = {"type": "须为 JSON 对象", "unknown": "未知字段"}


def _field(kind, **kw):
    return kind(error_messages=_REQUIRED, **kw)


class PlaqueSchema(Schema):
    error_messages = _BODY
    name = _field(fields.String, required=True, validate=validate.Length(min=1, max=100))
    position = _field(fields.String, load_default="outside",
                      validate=validate.OneOf(["outside", "inside"], error="须为 outside（门外）或 inside（门内）"))
    action = _field(fields.String, load_default=None, allow_none=True,
                    validate=validate.OneOf(["keep", "merge", "remove"], error="须为 keep、merge 或 remove"))


class PhotoFactsSchema(Schema):
    error_messages = _BODY
    taken_at = _field(fields.DateTime, load_default=None, allow_none=True,
                      metadata={"description": "拍摄时间（ISO 8601；不带时区时按本系统时区）"})
    latitude = _field(fields.Float, load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = _field(fields.Float, load_default=None, allow_none=True, validate=validate.Range(-180, 180))


class InspectionSubmitSchema(Schema):
    error_messages = _BODY
    client_id = _field(fields.String, required=True, metadata={"label": "客户端编号", "description": "客户端生成的唯一编号（UUID），重复提交返回同一条检查"})
    village_id = _field(fields.Integer, required=True, metadata={"label": "村(社区)", "description": "村(社区)的区划 id"})
    level = _field(fields.String, required=True, metadata={"label": "检查层级", "description": "检查层级，取自模块设置"})
    inspected_on = _field(fields.Date, required=True, metadata={"label": "检查日期", "description": "检查日期，不能晚于今天"})
    plaques = _field(fields.List, cls_or_instance=fields.Nested(PlaqueSchema), load_default=list, metadata={"label": "牌子"})
    certificates = _field(fields.List, cls_or_instance=fields.String(), load_default=list,
                          metadata={"label": "证明事项", "description": "村里仍在出具的证明名称"})
    wall_boards = _field(fields.Integer, load_default=0, metadata={"label": "上墙制度牌数"})
    wall_boards_ok = _field(fields.Boolean, load_default=True, metadata={"label": "上墙制度规范"})
    wall_boards_note = _field(fields.String, load_default=None, allow_none=True, metadata={"label": "上墙制度说明"})
    latitude = _field(fields.Float, load_default=None, allow_none=True, metadata={"label": "纬度"})
    longitude = _field(fields.Float, load_default=None, allow_none=True, metadata={"label": "经度"})
    responsible_person = _field(fields.String, load_default=None, allow_none=True, metadata={"label": "责任人"})
    note = _field(fields.String, load_default=None, allow_none=True, metadata={"label": "备注"})
    captured_at = _field(fields.DateTime, load_default=None, allow_none=True,
                         metadata={"label": "采集时间", "description": "在设备上保存这条记录的时间（ISO 8601；不带时区时按本系统时区）"})
    photos = _field(fields.List, cls_or_instance=fields.Nested(PhotoFactsSchema), load_default=list,
                    metadata={"label": "照片", "description": "照片缩小前读出的 EXIF 拍摄时间与位置，顺序与上传的 photos 文件一致"})


class NameplatesInspectionApi(ScopedModelRestApi):
    resource_name = "nameplates_inspections"
    datamodel = ScopedInterface(Inspection)
    class_permission_name = "nameplates_inspections"
    method_permission_name = {"get": "show", "get_list": "list", "info": "list", "post": "add"}
    include_route_methods = {"get", "get_list", "info", "post"}
    allow_browser_login = True
    openapi_spec_tag = "村级挂牌规范：检查"
    # PhotoFactsSchema is nested in it and enters the spec with it (named twice, apispec warns).
    openapi_spec_component_schemas = (InspectionSubmitSchema,)
    submit_schema = InspectionSubmitSchema
    label_columns = {"client_id": "客户端编号"}
    list_columns = ["id", "client_id", "region_id", "region.name", "level", "inspected_on", "status",
                    "compliant", "rebound", "inspector.username"]
    show_columns = list_columns + ["whitelist_version_id", "wall_boards", "wall_boards_ok", "latitude",
                                   "longitude", "review_comment", "reviewed_at", "created_at", "captured_at"]
    order_columns = ["inspected_on", "id"]
    search_columns = ["region_id", "status", "inspected_on", "level", "compliant", "rebound"]

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Submit an inspection (idempotent by client_id).
        ---
        post:
          summary: 提交一次挂牌检查（按 client_id 幂等）
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/InspectionSubmitSchema'
              multipart/form-data:
                schema:
                  type: object
                  required: [payload]
                  properties:
                    payload:
                      type: string
                      description: InspectionSubmitSchema 的 JSON 文本
                    photos:
                      type: array
                      items: {type: string, format: binary}
          responses:
            201:
              description: 已新建检查
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      created: {type: boolean}
            200:
              description: 该 client_id 已提交过，返回原检查，未新建
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        if request.is_json:
            body, files = request.get_json(silent=True) or {}, []
        elif request.mimetype == "multipart/form-data":
            try:
                body = json.loads(request.form.get("payload") or "{}")
            except ValueError:
                return self.response_400(message="payload 须为 JSON 文本")
            files = request.files.getlist("photos")
        else:
            return self.response_400(message="请求体须为 JSON，或带 payload 字段的 multipart/form-data")
        try:
            payload = InspectionSubmitSchema().load(body)
        except ValidationError as err:
            return self.response(400, message=field_errors_text(err.messages), errors=err.messages)
        payload["plaques"] = [inspections.PlaqueInput(**p) for p in payload["plaques"]]
        facts = [inspections.PhotoFacts(**f) for f in payload.pop("photos")]
        try:
            inspection, created = inspections.submit(db.session, inspections.InspectionInput(**payload), g.user,
                                                     files, facts)
        except ConsoleError as exc:
            return self.response(exc.status, message=exc.message)
        body = {"id": inspection.id, "created": created, "status": inspection.status,
                "findings": inspection.findings_count}
        return self.response(201 if created else 200, **body)
