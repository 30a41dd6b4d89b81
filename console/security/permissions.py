"""Flask-AppBuilder's permission and view names in the words of the console's pages.

A permission is stored as ``can_edit`` on ``console_regions`` (or on a class name such as
``ConsoleUserView``), and a built-in role as regular expressions over those names; a user reads
"编辑 行政区划".  This is the one mapping from the stored names to Chinese: the role list, show and
edit pages, the permission pages and the role form's choices all go through it.
"""

from __future__ import annotations

import re

from flask import current_app, g, has_request_context

# What each permission lets a user do, as the verb put before the page's title.
PERMISSION_TITLES = {
    "can_list": "查看列表", "can_show": "查看", "can_add": "新增", "can_edit": "编辑",
    "can_delete": "删除", "menu_access": "菜单显示", "can_download": "下载", "can_export": "导出",
    "can_get": "接口读取", "can_post": "接口新增", "can_put": "接口修改", "can_info": "接口说明",
    "can_userinfo": "查看个人信息", "can_this_form_get": "打开", "can_this_form_post": "提交",
    "can_chart": "查看图表", "can_read": "标为已读", "can_read_all": "全部标为已读",
    "can_write": "写入", "can_switch": "启用或停用", "can_settings": "修改设置",
    "can_upload": "上传", "can_template": "下载模板", "can_job": "查看导入进度",
    "can_report": "下载不合格行报告", "can_status": "查看进度", "can_generate": "生成",
    "can_review": "审核", "can_reinspect": "安排复查", "can_revoke": "注销", "can_transition": "办理",
    "can_board": "查看看板", "can_mine": "查看本人事项", "can_act": "办理", "can_photo": "查看照片",
    "can_copyrole": "复制", "can_unlock": "解除锁定", "can_resetpasswords": "重置密码",
    "can_resetmypassword": "修改密码", "can_userinfoedit": "编辑个人信息", "can_delete_all": "全部删除",
    "copyrole": "复制", "unlock": "解除锁定", "resetpasswords": "重置密码",
    "resetmypassword": "修改密码", "userinfoedit": "编辑个人信息",
}

# Flask-AppBuilder's views that have no menu entry to borrow a title from.
VIEW_TITLES = {
    "UserInfoEditView": "个人信息", "ResetPasswordView": "他人密码", "ResetMyPasswordView": "本人密码",
    "LocaleView": "界面语言", "AuthDBView": "登录", "SwaggerView": "接口文档", "MenuApi": "菜单接口",
    "SecurityApi": "登录接口", "OpenApi": "接口说明", "UtilView": "返回上一页", "HomeView": "首页",
    "HealthView": "运行状态", "FieldAppView": "手机端", "ConsoleUserView": "用户",
    "ConsoleRoleView": "角色", "UserGroupModelView": "用户组", "PermissionModelView": "权限名称",
    "ViewMenuModelView": "页面名称", "PermissionViewModelView": "页面权限",
    "UserStatsChartView": "用户统计", "RegisterUserModelView": "注册用户",
    "console_inbox": "消息", "console_attachments": "附件", "console_dashboard": "首页卡片",
    "console_admin": "系统管理", "Security": "安全", "console_briefing_files": "简报文件",
}


def _labels() -> dict[str, str]:
    labels = current_app.extensions.get("console.view_labels")
    if labels is None:
        labels = current_app.extensions["console.view_labels"] = _menu_labels(current_app.appbuilder)
    return labels


def _menu_labels(appbuilder) -> dict[str, str]:
    from flask_babel import gettext

    labels = dict(VIEW_TITLES)
    for item in appbuilder.menu.get_list():
        labels[item.name] = str(item.label or item.name)
        for child in item.childs or ():
            labels[child.name] = str(child.label or child.name)
            if child.baseview is not None:
                labels.setdefault(child.baseview.class_permission_name, labels[child.name])
                labels.setdefault(type(child.baseview).__name__, labels[child.name])
    from flask_appbuilder.api import BaseApi

    for view in appbuilder.baseviews:
        if isinstance(view, BaseApi):
            continue  # its list_title is Flask-AppBuilder's English default
        title = getattr(view, "list_title", None) or getattr(view, "form_title", None)
        if title:
            labels.setdefault(view.class_permission_name, str(title))
            labels.setdefault(type(view).__name__, str(title))
    return {name: gettext(label) for name, label in labels.items()}


def view_title(name: str) -> str:
    """A view's (or menu entry's) Chinese title; its stored name only if nothing names it."""
    labels = _labels()
    if name in labels:
        return labels[name]
    # A plugin's REST API (visits_visit_api) is the module's data interface.
    if name.endswith("_api"):
        return labels.get(name.split("_")[0], "") + "数据接口"
    return labels.get(name.split("_")[0], name)


def permission_title(name: str) -> str:
    return PERMISSION_TITLES.get(name) or PERMISSION_TITLES.get(f"can_{name}") or "使用"


def permission_label(pv) -> str:
    """“编辑 行政区划” instead of Flask-AppBuilder's “can edit on console_regions”."""
    return f"{permission_title(pv.permission.name)} {view_title(pv.view_menu.name)}"


def _all_pairs() -> list[tuple[str, str]]:
    """Every (permission, view) name pair the console has, read once per request."""
    from flask_appbuilder.security.sqla.models import PermissionView

    if has_request_context() and "console_permission_pairs" in g:
        return g.console_permission_pairs
    session = current_app.appbuilder.session
    pairs = sorted({(pv.permission.name, pv.view_menu.name) for pv in session.query(PermissionView)})
    if has_request_context():
        g.console_permission_pairs = pairs
    return pairs


def grants_text(grants) -> str:
    """What a role may do, page by page: “行政区划：查看列表、查看；消息：标为已读 …”.

    ``grants`` is a role's permission rows, or a built-in role's [view, permission] patterns
    (matched from the start, as Flask-AppBuilder matches them)."""
    if not grants:
        return "无"
    if isinstance(grants[0], (list, tuple)):
        if any(view == ".*" and perm == ".*" for view, perm in grants):
            return "全部页面的全部权限"
        compiled = [(re.compile(view), re.compile(perm)) for view, perm in grants]
        pairs = [(perm, view) for perm, view in _all_pairs()
                 if any(v.match(view) and p.match(perm) for v, p in compiled)]
    else:
        pairs = [(pv.permission.name, pv.view_menu.name) for pv in grants]
    by_page: dict[str, list[str]] = {}
    for perm, view in pairs:
        verbs = by_page.setdefault(view_title(view), [])
        verb = permission_title(perm)
        if verb not in verbs:
            verbs.append(verb)
    return "；".join(f"{page}：{'、'.join(verbs)}" for page, verbs in sorted(by_page.items()))


def install(app) -> None:
    app.jinja_env.globals["role_grants"] = lambda role_name, value: grants_text(
        app.appbuilder.sm.builtin_roles.get(role_name) or value)
