"""The plugin contract: discovery, run-time switching, requirements, settings, isolation."""

import re

import pytest
from flask_appbuilder import BaseView, expose

from console import PluginInfo, Setting, hookimpl
from console.plugins import manager as plugins_service
from console.foundation.extensions import db
from console.audit.models import AuditLog
from console.plugins.models import PluginState
from console.regions.models import Region


def _enable(app, name, enabled=True):
    with app.app_context():
        plugins_service.set_enabled(name, enabled, actor="测试")


def _add_note(app, title="测试记录", region_code="530602"):
    from jiceng_example.models import ExampleNote

    with app.app_context():
        region = db.session.query(Region).filter_by(code=region_code).one()
        note = ExampleNote(title=title, region=region)
        db.session.add(note)
        db.session.commit()
        return note.id


# -- discovery ------------------------------------------------------------------------------


def test_external_plugin_is_found_through_its_entry_point(app):
    reg = app.extensions["console.plugins"]
    assert reg.infos["example"].title == "示例插件"
    assert reg.distributions["example"] == "1.2.0"
    assert {"plugin_info", "register_views", "dashboard_cards", "role_permissions"} <= set(
        reg.hooks_of("example"))


@pytest.mark.parametrize("name", ["visits", "nameplates", "talent"])
def test_builtin_plugins_are_registered_like_external_ones(app, name):
    import importlib.metadata

    reg = app.extensions["console.plugins"]
    entry_points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="console.plugins")}
    assert entry_points[name] == f"jiceng.plugins.{name}.hooks"
    assert reg.pm.get_plugin(name).__name__ == entry_points[name]


@pytest.mark.parametrize("name", ["visits", "nameplates", "talent"])
def test_no_submodule_of_a_plugin_hides_one_of_its_hooks(make_app, name):
    # A module plugin's hook named like one of its submodules is replaced by that submodule once
    # anything imports it (the hook itself, often): an app made later in the same process
    # (tests, a second app in one worker) would register the plugin without that hook.
    import importlib
    import inspect
    import pkgutil

    from console.plugins import hookspecs

    registered = make_app().extensions["console.plugins"].pm.get_plugin(name)
    package = importlib.import_module(f"jiceng.plugins.{name}")
    for info in pkgutil.walk_packages(package.__path__, f"jiceng.plugins.{name}."):
        importlib.import_module(info.name)
    hooks = [h for h, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, "console_spec")]
    hidden = [h for h in hooks if inspect.ismodule(getattr(registered, h, None))]
    assert hidden == []
    later = make_app().extensions["console.plugins"]
    assert {"plugin_info", "importers", "demo_data"} <= set(later.hooks_of(name))


def test_core_never_names_a_plugin():
    from pathlib import Path

    core = Path(__file__).parent.parent / "console"
    for path in core.rglob("*.py"):
        text = path.read_text()
        for name in ("plugins.visits", "plugins.nameplates", "plugins.talent", "jiceng_example"):
            assert name not in text, f"{path} names {name}"


def test_plugins_page_lists_title_version_state_and_what_it_provides(client, auth):
    auth.login()
    page = client.get("/console/plugins/").get_data(as_text=True)
    row = re.search(r'<tr id="plugin-example">(.*?)</tr>', page, re.S).group(1)
    assert "示例插件" in row and "1.2.0" in row and "已启用" in row and "首页卡片" in row
    # The hooks by what they give, not by their names in the code.
    assert "dashboard_cards" not in row and "<code>" not in row


def test_cli_lists_plugins(runner):
    result = runner.invoke(args=["plugins", "list"])
    assert result.exit_code == 0
    assert "example" in result.output and "示例插件" in result.output and "已启用" in result.output


# -- switching at run time ------------------------------------------------------------------


def test_switched_off_plugin_answers_404_hides_menu_skips_hooks_and_keeps_data(app, client, auth):
    note_id = _add_note(app)
    auth.login()
    assert client.get("/example/notes/list/").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "示例记录" in home

    _enable(app, "example", False)
    assert client.get("/example/notes/list/").status_code == 404
    assert client.get(f"/example/notes/show/{note_id}").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "示例记录" not in home  # neither the menu entry nor the card
    assert "示例插件" not in home

    _enable(app, "example", True)
    page = client.get("/example/notes/list/").get_data(as_text=True)
    assert "测试记录" in page  # the data survived


def test_a_switch_reaches_every_worker_on_its_next_request(make_app, auth):
    worker_a, worker_b = make_app(), make_app()
    client_b = worker_b.test_client()
    client_b.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    assert client_b.get("/example/notes/list/").status_code == 200
    _enable(worker_a, "example", False)
    assert client_b.get("/example/notes/list/").status_code == 404
    _enable(worker_a, "example", True)
    assert client_b.get("/example/notes/list/").status_code == 200


def test_switching_is_audited_with_who_did_it(app, client, auth):
    auth.login()
    response = client.post("/console/plugins/example/switch", data={"enabled": "0"},
                           follow_redirects=True)
    assert "已停用插件“示例插件”" in response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.query(AuditLog).filter_by(action="plugin_disable").one()
        assert entry.username == "admin" and entry.entity_id == "example"
        assert db.session.get(PluginState, "example").changed_by == "admin"


def test_module_owner_switches_only_their_own_plugin(app, client, auth):
    auth.login("example_owner")
    assert client.post("/console/plugins/visits/switch", data={"enabled": "0"}).status_code == 403
    response = client.post("/console/plugins/example/switch", data={"enabled": "0"},
                           follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert not plugins_service.states()["example"]
        assert plugins_service.states()["visits"]


def test_inspector_cannot_switch_plugins(client, auth):
    auth.login("zhaoyang")
    response = client.post("/console/plugins/example/switch", data={"enabled": "0"})
    assert response.status_code in (302, 403)


def test_unknown_plugin_name_is_refused_clearly(app, runner, client, auth):
    result = runner.invoke(args=["plugins", "enable", "nosuch"])
    assert result.exit_code == 1
    assert "没有名为“nosuch”的插件" in result.output
    auth.login()
    assert client.post("/console/plugins/nosuch/switch", data={"enabled": "1"}).status_code in (302, 404)


def test_cli_switches_and_audits(app, runner):
    result = runner.invoke(args=["plugins", "disable", "example"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.query(AuditLog).filter_by(action="plugin_disable").one()
        assert entry.username.startswith("命令行")


# -- requirements ---------------------------------------------------------------------------


class Base:
    __plugin_name__ = "base_dep"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="base_dep", title="基础模块")


class Dependant:
    __plugin_name__ = "dependant"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="dependant", title="依赖模块", requires=("base_dep",))


def test_requirements_are_enforced_both_ways(make_app):
    app = make_app(EXTRA_PLUGINS=[Base(), Dependant()])
    with app.app_context():
        with pytest.raises(plugins_service.PluginError, match="需要先启用：基础模块"):
            plugins_service.set_enabled("dependant", True)
        assert "dependant" not in plugins_service.states()  # nothing half written
        plugins_service.set_enabled("base_dep", True)
        plugins_service.set_enabled("dependant", True)
        with pytest.raises(plugins_service.PluginError, match="被以下已启用的插件依赖.*依赖模块"):
            plugins_service.set_enabled("base_dep", False)
        assert plugins_service.states()["base_dep"] is True


def test_enabling_a_plugin_whose_schema_is_behind_says_what_to_run(app, runner):
    _enable(app, "example", False)
    result = runner.invoke(args=["db", "downgrade", "example@base"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["plugins", "enable", "example"])
    assert result.exit_code == 1
    assert "jiceng db upgrade" in result.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["plugins", "enable", "example"]).exit_code == 0


# -- settings -------------------------------------------------------------------------------


def test_settings_are_validated_saved_and_audited(app, client, auth):
    from console.plugins import settings as plugin_settings

    auth.login("example_owner")
    page = client.post("/console/plugins/example/settings",
                       data={"greeting": "您好", "limit": "500"}, follow_redirects=True)
    assert "“上限”不能大于 100" in page.get_data(as_text=True)
    with app.app_context():
        assert plugin_settings.get("example", "limit") == 10  # nothing half written
        assert plugin_settings.get("example", "greeting") == "你好"
    client.post("/console/plugins/example/settings", data={"greeting": "您好", "limit": "20"})
    with app.app_context():
        assert plugin_settings.values("example") == {"greeting": "您好", "limit": 20}
        entry = db.session.query(AuditLog).filter_by(action="settings").one()
        assert '"limit": [10, 20]' in entry.changes


def test_owner_cannot_change_another_plugins_settings(client, auth):
    auth.login("example_owner")
    assert client.post("/console/plugins/visits/settings", data={}).status_code in (403, 404)


@pytest.mark.parametrize(
    "setting, raw, expected",
    [
        (Setting("n", "数量", type="int", min=0), " 7 ", 7),
        (Setting("b", "开关", type="bool"), "on", True),
        (Setting("b", "开关", type="bool"), None, False),
        (Setting("c", "选项", type="choice", choices=("甲", "乙")), "乙", "乙"),
        (Setting("l", "清单", type="lines"), "送政策\n\n 送服务 \n", ["送政策", "送服务"]),
    ],
)
def test_setting_parse(setting, raw, expected):
    assert setting.parse(raw) == expected


@pytest.mark.parametrize(
    "setting, raw, message",
    [
        (Setting("n", "数量", type="int"), "七", "须为整数"),
        (Setting("c", "选项", type="choice", choices=("甲", "乙")), "丙", "须为以下之一"),
        (Setting("l", "清单", type="lines"), "\n", "至少要有一项"),
        (Setting("s", "名称"), "  ", "不能为空"),
        (Setting("l", "学时", type="lines", check=lambda v: None if all("=" in x for x in v) else "格式不对"),
         "社会工作师", "“学时”格式不对"),
    ],
)
def test_setting_parse_refuses(setting, raw, message):
    with pytest.raises(plugins_service.PluginError, match=message):
        setting.parse(raw)


# -- isolation of failing plugins -----------------------------------------------------------


class BrokenInfo:
    __plugin_name__ = "broken_info"

    @hookimpl
    def plugin_info(self):
        raise RuntimeError("身份信息坏了")


class BrokenViews:
    __plugin_name__ = "broken_views"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="broken_views", title="页面坏了")

    @hookimpl
    def register_views(self, appbuilder):
        raise RuntimeError("页面注册失败")


class TypoHook:
    __plugin_name__ = "typo_hook"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="typo_hook", title="拼写错误")

    @hookimpl
    def dashbord_cards(self, user, region):
        return []


class BrokenCards:
    __plugin_name__ = "broken_cards"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="broken_cards", title="卡片坏了")

    @hookimpl
    def dashboard_cards(self, user, region):
        raise ZeroDivisionError("卡片计算出错")


def test_failing_plugins_are_marked_failed_and_the_rest_keeps_working(make_app):
    app = make_app(EXTRA_PLUGINS=[BrokenInfo(), BrokenViews(), TypoHook(), BrokenCards()])
    with app.app_context():
        plugins_service.set_enabled("broken_cards", True)
        states = {r["name"]: r for r in plugins_service.info_rows()}
    assert states["broken_info"]["state"] == "failed"
    assert "身份信息坏了" in states["broken_info"]["error"]
    assert states["broken_views"]["state"] == "failed"
    assert "页面注册失败" in states["broken_views"]["error"]
    assert states["typo_hook"]["state"] == "failed"
    assert "dashbord_cards" in states["typo_hook"]["error"]
    assert states["example"]["state"] == "enabled"

    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    home = client.get("/")
    assert home.status_code == 200
    assert "示例记录" in home.get_data(as_text=True)  # the healthy plugin's card is still there
    page = client.get("/console/plugins/").get_data(as_text=True)
    assert "卡片计算出错" in page and "页面注册失败" in page and "加载失败" in page
    result = app.test_cli_runner().invoke(args=["plugins", "enable", "broken_info"])
    assert result.exit_code == 1 and "加载失败" in result.output


# -- views a plugin adds --------------------------------------------------------------------


class Crashing:
    __plugin_name__ = "crashing"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="crashing", title="出错模块")

    @hookimpl
    def register_views(self, appbuilder):
        class CrashView(BaseView):
            route_base = "/crash"
            class_permission_name = "crashing_view"

            @expose("/")
            def boom(self):
                raise KeyError("secret-internal-detail")

        appbuilder.add_view_no_menu(CrashView)


def test_an_error_in_a_page_shows_no_stack_trace(make_app):
    app = make_app(EXTRA_PLUGINS=[Crashing()], PROPAGATE_EXCEPTIONS=False, TESTING=False)
    with app.app_context():
        plugins_service.set_enabled("crashing", True)
    response = app.test_client().get("/crash/")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器内部错误" in text
    assert "Traceback" not in text and "secret-internal-detail" not in text


def test_every_hook_has_a_chinese_title():
    """插件管理 shows each hook a plugin implements by its title: a new hook needs one."""
    import inspect

    from console.plugins import hookspecs

    marker = hookspecs.hookspec.project_name + "_spec"
    hooks = {name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, marker)}
    assert hooks, "no hook found in console.plugins.hookspecs"
    assert hooks <= set(hookspecs.HOOK_TITLES), sorted(hooks - set(hookspecs.HOOK_TITLES))
