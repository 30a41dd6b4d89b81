"""Every hook of the contract has a test here and a section in docs/plugins.md."""

import inspect
import re
from pathlib import Path

import pytest

from console import PluginInfo, hookimpl
from console.plugins import hookspecs
from console.plugins import manager as plugins_service
from console.web.dashboard import Card, Shortcut, Task
from console.foundation.extensions import db
from console.regions.models import Region
from tests.support import logout

HOOKS = sorted(name for name, fn in vars(hookspecs).items()
               if inspect.isfunction(fn) and hasattr(fn, "console_spec"))


def test_plugin_hooks_have_tests():
    defined = {name for name in globals() if name.startswith("test_hook_")}
    missing = [hook for hook in HOOKS if f"test_hook_{hook}" not in defined]
    assert not missing, f"hooks without a test: {missing}"


def test_plugin_hooks_are_documented():
    doc = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    missing = [hook for hook in HOOKS if not re.search(rf"^### `{hook}\(", doc, re.M)]
    assert not missing, f"hooks not documented in docs/plugins.md: {missing}"


def test_every_hook_has_a_docstring():
    for hook in HOOKS:
        assert getattr(hookspecs, hook).__doc__, hook


class Recorder:
    """A plugin implementing every hook, recording how it was called."""

    __plugin_name__ = "recorder"

    def __init__(self):
        self.calls = []

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="recorder", title="记录插件", version="9.9")

    @hookimpl
    def register_views(self, appbuilder):
        from flask_appbuilder import BaseView, expose, has_access

        class RecorderView(BaseView):
            route_base = "/recorder"
            class_permission_name = "recorder_page"
            default_view = "page"

            @expose("/")
            @has_access
            def page(self):
                return "记录插件页面"

        self.calls.append("register_views")
        appbuilder.add_view(RecorderView, "recorder_page", label="记录页", category="recorder",
                            category_label="记录插件")

    @hookimpl
    def role_permissions(self):
        return {"领导": [("can_page$", "recorder_page$")]}

    @hookimpl
    def dashboard_cards(self, user, region):
        self.calls.append(("dashboard_cards", user.username if user else None, region.name if region else None))
        return [Card(title="记录卡片", value=42, unit="项")]

    @hookimpl
    def dashboard_tasks(self, user):
        self.calls.append(("dashboard_tasks", user.username))
        return [Task("记录待办", 3, "/recorder/", urgency="overdue")]

    @hookimpl
    def dashboard_shortcuts(self, user):
        return [Shortcut("记录表单", "/recorder/", icon="fa-pencil"),
                Shortcut("无人把守的页面", "/health")]

    @hookimpl
    def scheduled_jobs(self):
        from console.operations.scheduler import Job

        return [Job("tick", "记录任务", lambda: self.calls.append("tick"), "interval", {"minutes": 5})]

    @hookimpl
    def importers(self):
        return ["recorder-importer"]

    @hookimpl
    def briefing_sections(self, period, region):
        from console.briefings import Figure, Section

        self.calls.append(("briefing_sections", period.key, region.name))
        return [Section("记录部分", figures=[Figure("记录数", 7, "条", previous=5, link="/recorder/")])]

    @hookimpl
    def demo_data(self, session, scale):
        self.calls.append(("demo_data", scale))

    @hookimpl
    def protected_columns(self):
        from console import ProtectedColumn

        return [ProtectedColumn(Region, "name", "recorder.secret", lookup="code", normalize=str.upper)]

    @hookimpl
    def attachment_owners(self):
        from console import AttachmentOwner

        return [AttachmentOwner("recorder.region", Region, ("can_page", "recorder_page"), region="id")]


@pytest.fixture
def recorder(make_app):
    plugin = Recorder()
    app = make_app(EXTRA_PLUGINS=[plugin])
    with app.app_context():
        plugins_service.set_enabled("recorder", True)
    return app, plugin


def test_hook_plugin_info(recorder):
    app, _ = recorder
    info = app.extensions["console.plugins"].infos["recorder"]
    assert (info.title, info.version, info.owner_role) == ("记录插件", "9.9", "模块负责人·记录插件")


def test_hook_register_views(recorder):
    app, plugin = recorder
    assert plugin.calls.count("register_views") == 1
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": "Admin-Pass-2025!"})
    assert client.get("/recorder/").get_data(as_text=True) == "记录插件页面"
    assert app.extensions["console.plugins"].blueprints["RecorderView"] == "recorder"


def test_hook_role_permissions(recorder):
    app, _ = recorder
    assert ["recorder_page$", "can_page$"] in app.config["FAB_ROLES"]["领导"]
    client = app.test_client()
    client.post("/login/", data={"username": "lingdao", "password": "Demo-Pass-2025!"})
    assert client.get("/recorder/").status_code == 200
    logout(client)
    client.post("/login/", data={"username": "zhaoyang", "password": "Demo-Pass-2025!"})
    assert client.get("/recorder/").status_code in (302, 403)


def test_hook_dashboard_cards(recorder):
    app, plugin = recorder
    client = app.test_client()
    client.post("/login/", data={"username": "zhaoyang", "password": "Demo-Pass-2025!"})
    page = client.get("/").get_data(as_text=True)
    assert ("dashboard_cards", "zhaoyang", "昭阳区") in plugin.calls
    # The inspector may open none of the plugin's pages: its figures are not theirs to see.
    assert "记录卡片" not in page
    client = app.test_client()
    client.post("/login/", data={"username": "lingdao", "password": "Demo-Pass-2025!"})
    page = client.get("/").get_data(as_text=True)
    assert "记录卡片" in page and "42" in page


def test_hook_dashboard_tasks(recorder):
    app, plugin = recorder
    client = app.test_client()
    client.post("/login/", data={"username": "lingdao", "password": "Demo-Pass-2025!"})
    page = client.get("/").get_data(as_text=True)
    assert ("dashboard_tasks", "lingdao") in plugin.calls
    task = re.search(r'<a class="[^"]*console-task-overdue"[^>]*data-plugin="recorder"\s+href="/recorder/">(.*?)</a>',
                     page, re.S)
    assert task and "记录待办" in task.group(1) and ">3<" in task.group(1) and "已逾期" in task.group(1)
    client = app.test_client()
    client.post("/login/", data={"username": "zhaoyang", "password": "Demo-Pass-2025!"})
    assert "记录待办" not in client.get("/").get_data(as_text=True)


def test_hook_dashboard_shortcuts(recorder):
    app, _ = recorder
    client = app.test_client()
    client.post("/login/", data={"username": "lingdao", "password": "Demo-Pass-2025!"})
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'console-shortcut" data-plugin="recorder" href="/recorder/"', page)
    assert "无人把守的页面" not in page  # a shortcut leads to a form some permission guards
    client = app.test_client()
    client.post("/login/", data={"username": "zhaoyang", "password": "Demo-Pass-2025!"})
    assert "记录表单" not in client.get("/").get_data(as_text=True)
    with pytest.raises(ValueError):
        Task("错误的紧急程度", 1, "/recorder/", urgency="urgent")


def test_hook_scheduled_jobs(recorder):
    from apscheduler.schedulers.background import BackgroundScheduler

    from console.operations import scheduler

    app, plugin = recorder
    sched = scheduler.build(app, BackgroundScheduler)
    job = sched.get_job("recorder.tick")
    assert job.name == "记录任务"
    job.func(*job.args)
    assert "tick" in plugin.calls


def test_hook_importers(recorder):
    app, _ = recorder
    with app.app_context():
        assert ("recorder", ["recorder-importer"]) in plugins_service.call("importers")


def test_hook_demo_data(recorder):
    app, plugin = recorder
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert ("demo_data", "demo") in plugin.calls
    assert "记录插件：演示数据已就绪" in result.output or "模块 记录插件" in result.output


def test_hook_briefing_sections(recorder):
    from console.briefings import document, periods

    app, plugin = recorder
    with app.app_context():
        county = db.session.query(Region).filter_by(name="镇雄县").one()
        snapshot = document.gather(county, periods.parse("2025-12"), ["recorder"])
    assert ("briefing_sections", "2025-12", "镇雄县") in plugin.calls
    [section] = snapshot["sections"]
    assert (section["plugin"], section["title"], section["failed"]) == ("recorder", "记录部分", False)
    assert section["figures"][0] | {} == {"label": "记录数", "value": 7, "unit": "条", "previous": 5,
                                          "link": "/recorder/", "percent": False, "note": "",
                                          "higher_is_better": True, "definition": ""}


def test_hook_protected_columns(recorder):
    app, _ = recorder
    with app.app_context():
        plugins_service.set_enabled("recorder", False)
        # Declared columns are read for a switched-off plugin too: its data is migrated as well.
        found = dict(plugins_service.call("protected_columns", include_disabled=True))
    [column] = found["recorder"]
    assert (column.model, column.column, column.purpose, column.lookup) == (Region, "name", "recorder.secret", "code")
    assert column.normalize("x") == "X"


def test_hook_attachment_owners(recorder):
    from console.files import attachments
    from tests.support import jpeg

    app, _ = recorder
    with app.app_context():
        county = db.session.query(Region).filter_by(name="昭阳区").one()
        photo = attachments.save(db.session, jpeg(), owner="recorder.region", owner_id=county.id,
                                 filename="记录.jpg")
        db.session.commit()
        url = f"/console/attachments/{photo.key}"
    # 领导 holds the page's permission (role_permissions above); 检查员 does not.
    leader = app.test_client()
    leader.post("/login/", data={"username": "lingdao", "password": "Demo-Pass-2025!"})
    assert leader.get(url).status_code == 200
    inspector = app.test_client()
    inspector.post("/login/", data={"username": "zhaoyang", "password": "Demo-Pass-2025!"})
    assert inspector.get(url).status_code == 404
    with app.app_context():
        plugins_service.set_enabled("recorder", False)
    assert leader.get(url).status_code == 404
