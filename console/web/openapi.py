"""The OpenAPI description in Chinese, like the pages.

Flask-AppBuilder writes its own parts of the spec (list and item answers, ``_info``, the login,
the menu, the error answers) in English; the modules' own operations are described in Chinese
in their docstrings.  This view is Flask-AppBuilder's ``OpenApi`` (same name, so the same
permission and address) whose answer has those fixed sentences put into Chinese.  A sentence
Flask-AppBuilder adds in a later version stays English until it is added here: a test fails on
any description without Chinese.
"""

from __future__ import annotations

from flask import current_app
from flask_appbuilder.api.manager import OpenApi as _FabOpenApi
from flask_appbuilder.api.manager import SwaggerView

WORDS = {
    "A list of allowed columns to sort": "可用于排序的列",
    "A list of columns": "列",
    "A list of item ids, useful when you don't know the column id": "各条记录的编号（不知道主键列名时使用）",
    "A new refreshed access token": "新的访问令牌",
    "A title to render. Will be translated by babel": "显示用的标题",
    "API key authentication using Bearer token": "以 Bearer 令牌（JWT）认证",
    "Authenticate and get a JWT access and refresh token": "登录，取得 JWT 访问令牌与刷新令牌",
    "Authentication Successful": "登录成功",
    "Bad request": "请求有误（message 说明原因）",
    "Choose an authentication provider": "认证方式（db）",
    "Could not process entity": "提交的数据不正确（message 说明哪一项、为什么）",
    "Fatal error": "服务器内部错误",
    "Forbidden": "没有权限",
    "Get a list of models": "分页查询记录（q 参数：筛选、排序、分页，rison 格式）",
    "Get an item model": "按编号读取一条记录",
    "Get menu data": "菜单数据",
    "Get metadata information about this API resource": "本接口的元数据：可提交的字段及其中文名称、可选值、筛选条件与权限",
    "Get the OpenAPI spec for a specific API version": "取得某一版本接口的 OpenAPI 说明",
    "Get the menu data structure. Returns a forest like structure with the menu the user has access to":
        "当前用户可访问的菜单（树形结构）",
    "Icon name to show for this menu item": "菜单项图标名",
    "If true a refresh token is provided also": "为 true 时同时返回刷新令牌",
    "Item changed": "已修改",
    "Item deleted": "已删除",
    "Item from Model": "一条记录",
    "Item inserted": "已新建",
    "Items from Model": "记录列表",
    "Menu items in a forest like data structure": "菜单项（树形结构）",
    "Model schema": "记录的字段",
    "Not found": "不存在，或不在您的管辖范围内",
    "Pretty name for the menu item": "菜单项显示名称",
    "Refresh Successful": "令牌已刷新",
    "The OpenAPI spec": "OpenAPI 说明",
    "The URL for the menu item": "菜单项地址",
    "The description for the column name. Will be translated by babel": "列的说明",
    "The internal menu item name, maps to permission_name": "菜单项内部名称（对应权限名）",
    "The item id": "记录编号",
    "The label for the column name. Will be translated by babel": "列的中文名称",
    "The password for authentication": "密码",
    "The result from the get list query": "查询结果",
    "The total record count on the backend": "符合条件的记录总数",
    "The username for authentication": "用户名",
    "Unauthorized": "未登录或令牌已失效",
    "Use the refresh token to get a new JWT access token": "用刷新令牌换取新的 JWT 访问令牌",
}


def translated(node):
    """The spec with Flask-AppBuilder's descriptions and summaries in Chinese."""
    if isinstance(node, dict):
        return {key: (WORDS.get(value, value) if key in ("description", "summary") and isinstance(value, str)
                      else translated(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [translated(value) for value in node]
    return node


class OpenApi(_FabOpenApi):
    def response(self, code, **kwargs):
        return super().response(code, **(translated(kwargs) if code == 200 else kwargs))


def register(appbuilder) -> None:
    """In place of Flask-AppBuilder's own (``FAB_ADD_OPENAPI_VIEWS`` is off for this)."""
    if current_app.config.get("FAB_API_SWAGGER_UI"):
        appbuilder.add_api(OpenApi)
        appbuilder.add_view_no_menu(SwaggerView)
