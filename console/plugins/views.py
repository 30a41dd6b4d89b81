from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console.plugins import manager as plugins
from console.plugins import settings as plugin_settings
from console.plugins import switch_off
from console.plugins.manager import PluginError


def _may_manage(name: str) -> bool:
    return plugins.may_manage(g.user, name)


class PluginsView(BaseView):
    route_base = "/console/plugins"
    class_permission_name = "console_plugins"
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        rows = [r for r in plugins.info_rows() if _may_manage(r["name"])]
        return self.render_template("console/plugins.html", rows=rows, may_manage=_may_manage,
                                    settings_of=lambda name: plugin_settings.values(name))

    @expose("/<name>/off")
    @has_access
    @permission_name("switch")
    def confirm_off(self, name):
        """The step before switching a module off: what stops, and a button that does it."""
        if not _may_manage(name):
            abort(403)
        if name not in plugins.registry().infos:
            abort(404)
        return self.render_template("console/plugin_off.html", name=name,
                                    stops=switch_off.what_stops(name))

    @expose("/<name>/switch", methods=["POST"])
    @has_access
    @permission_name("switch")
    def switch(self, name):
        if not _may_manage(name):
            abort(403)
        enabled = request.form.get("enabled") == "1"
        try:
            plugins.set_enabled(name, enabled)
        except PluginError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已{'启用' if enabled else '停用'}插件“{plugins.registry().infos[name].title}”", "success")
        return redirect(url_for("PluginsView.list"))

    @expose("/<name>/settings", methods=["POST"])
    @has_access
    @permission_name("settings")
    def settings(self, name):
        if not _may_manage(name) or name not in plugins.registry().infos:
            abort(404)
        info = plugins.registry().infos[name]
        submitted = {s.key: request.form.get(s.key) for s in info.settings}
        errors = plugin_settings.save(name, submitted)
        if errors:
            for key, message in errors.items():
                flash(message, "danger")
        else:
            flash(f"已保存“{info.title}”的设置", "success")
        return redirect(url_for("PluginsView.list"))
