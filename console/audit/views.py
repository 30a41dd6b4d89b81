from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from console.audit.models import AuditLog
from console.foundation.clock import localtime


class AuditLogView(ModelView):
    """Read only: the log has no add, edit or delete route at all."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "console_audit"
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = "审计日志"
    list_columns = ["at", "username", "action_title", "entity_title", "entity_ref", "summary", "ip"]
    show_columns = ["at", "username", "user_id", "action_title", "entity_title", "entity_ref",
                    "summary", "changes", "ip"]
    search_columns = ["at", "username", "action", "entity", "entity_id", "summary"]
    order_columns = ["at", "username", "action", "entity"]
    base_order = ("id", "desc")
    page_size = 50
    formatters_columns = {"at": lambda value: localtime(value, "%Y-%m-%d %H:%M:%S")}
    label_columns = {
        "at": "时间", "username": "操作人", "user_id": "用户编号", "action": "操作",
        "action_title": "操作", "entity": "对象", "entity_title": "对象", "entity_id": "对象编号", "entity_ref": "对象编号",
        "summary": "摘要",
        "changes": "变更(前→后)", "ip": "IP 地址",
    }
