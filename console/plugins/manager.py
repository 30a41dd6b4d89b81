"""The plugin manager and the registry of installed plugins.

Plugins are found through the entry-point group ``console.plugins``; the built-in modules under
``plugins/`` are registered by the same route as a third party's.  Each installed plugin's views
are registered at start-up (Flask cannot add routes later); whether a plugin is switched on lives
in the database, so a switch is seen by every worker on its next request.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import logging
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app, request
from pluggy import HookimplMarker, PluginManager

from console.audit import log as audit
from console.database import copies as worker_cache
from console.database import schema
from console.foundation import clock
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.plugins import hookspecs
from console.plugins.models import PluginState

log = logging.getLogger(__name__)

PROJECT = "console"
ENTRY_POINT_GROUP = "console.plugins"
hookimpl = HookimplMarker(PROJECT)


class PluginError(ConsoleError):
    """A plugin switch or setting that the rules refuse."""


@dataclass(frozen=True)
class Setting:
    """A setting a plugin declares; its module owner edits it on the plugins page."""

    key: str
    title: str
    type: str = "str"  # str | int | bool | choice | lines
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    # A further rule on the parsed value: returns None or a Chinese message saying what is wrong.
    check: Callable[[Any], str | None] | None = None

    def parse(self, raw: Any) -> Any:
        """Turn a submitted value into the stored one, or raise :class:`PluginError`."""
        value = self._parse(raw)
        problem = self.check(value) if self.check else None
        if problem:
            raise PluginError(f"“{self.title}”{problem}")
        return value

    def _parse(self, raw: Any) -> Any:
        if self.type == "bool":
            return raw in (True, "on", "1", "true", "y", 1)
        text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
        if self.type == "int":
            try:
                value = int(text.strip())
            except ValueError:
                raise PluginError(f"“{self.title}”须为整数") from None
            if self.min is not None and value < self.min:
                raise PluginError(f"“{self.title}”不能小于 {self.min}")
            if self.max is not None and value > self.max:
                raise PluginError(f"“{self.title}”不能大于 {self.max}")
            return value
        if self.type == "choice":
            if text not in self.choices:
                raise PluginError(f"“{self.title}”须为以下之一：{'、'.join(self.choices)}")
            return text
        if self.type == "lines":
            items = raw if isinstance(raw, list) else text.splitlines()
            items = [line.strip() for line in items if line.strip()]
            if not items:
                raise PluginError(f"“{self.title}”至少要有一项")
            return items
        text = text.strip()
        if not text:
            raise PluginError(f"“{self.title}”不能为空")
        return text


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin says about itself through ``plugin_info``."""

    name: str
    title: str
    version: str = "0"
    requires: tuple[str, ...] = ()
    description: str = ""
    # Folder of the plugin's Alembic revisions; its first revision carries ``branch_label=name``.
    migrations: str | None = None
    settings: tuple[Setting, ...] = ()

    @property
    def owner_role(self) -> str:
        """The 模块负责人 role generated for this plugin."""
        return f"模块负责人·{self.title}"


@dataclass
class Registry:
    """Everything known about the installed plugins in this process."""

    pm: PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)
    # Failures while loading or registering: the same in every worker, so kept in memory.
    load_errors: dict[str, str] = field(default_factory=dict)
    blueprints: dict[str, str] = field(default_factory=dict)  # blueprint name -> plugin
    menu_names: dict[str, str] = field(default_factory=dict)  # menu item/category -> plugin
    distributions: dict[str, str] = field(default_factory=dict)  # plugin -> dist version

    def names(self) -> list[str]:
        return sorted(set(self.infos) | set(self.load_errors))

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])


def registry(app=None) -> Registry:
    return (app or current_app).extensions["console.plugins"]


# -- loading --------------------------------------------------------------------------------


def _fail(reg: Registry, name: str, stage: str) -> None:
    reg.load_errors[name] = f"{stage}：\n{traceback.format_exc()}"
    log.error('Error %s plugin "%s"', stage, name, exc_info=True)
    plugin = reg.pm.get_plugin(name)
    if plugin is not None:
        reg.pm.unregister(plugin)


def load(app) -> Registry:
    """Create the manager, load every installed plugin and read what each says about itself.

    A plugin that cannot be imported, implements a hook the contract lacks or whose
    ``plugin_info`` raises is recorded as failed; the others load regardless.
    """
    pm = PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    reg = Registry(pm=pm)

    if app.config.get("PLUGINS_FROM_ENTRY_POINTS", True):
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in app.config.get("PLUGINS_BLOCKED", ()):
                continue
            try:
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=ep.name)
                pm.check_pending()
            except Exception:
                _fail(reg, ep.name, "加载")
    # Tests and embedders add plugin objects directly; they take the very same path from here.
    for extra in app.config.get("EXTRA_PLUGINS", ()):
        obj = importlib.import_module(extra) if isinstance(extra, str) else extra
        name = getattr(obj, "__plugin_name__", None) or getattr(obj, "__name__", None)
        try:
            pm.register(obj, name=name)
            pm.check_pending()
        except Exception:
            _fail(reg, name, "加载")

    for plugin_name, plugin in list(pm.list_name_plugin()):
        if plugin is None:
            continue
        try:
            impls = [i for i in pm.hook.plugin_info.get_hookimpls() if i.plugin_name == plugin_name]
            if not impls:
                raise PluginError("插件没有实现 plugin_info")
            info = impls[0].function()
            if info.name != plugin_name:
                raise PluginError(f"插件自称“{info.name}”，但入口名为“{plugin_name}”")
            reg.infos[plugin_name] = info
        except Exception:
            _fail(reg, plugin_name, "读取插件信息")
    for dist_plugin, dist in pm.list_plugin_distinfo():
        name = pm.get_name(dist_plugin)
        if name:
            reg.distributions[name] = dist.version
    app.extensions["console.plugins"] = reg
    schema.add_locations(app, {name: info.migrations for name, info in reg.infos.items() if info.migrations})
    return reg


def register_views(app, appbuilder) -> None:
    """Let each loaded plugin add its views; remember which blueprints and menus are whose."""
    reg = registry(app)
    for impl in reg.pm.hook.register_views.get_hookimpls():
        name = impl.plugin_name
        if name not in reg.infos:
            continue
        views_before = {id(v) for v in appbuilder.baseviews}
        menus_before = _menu_names(appbuilder)
        try:
            impl.function(appbuilder=appbuilder)
        except Exception:
            _fail(reg, name, "注册页面")
            reg.infos.pop(name, None)
        for view in appbuilder.baseviews:
            if id(view) not in views_before:
                reg.blueprints[view.blueprint.name] = name
        for menu_name in _menu_names(appbuilder) - menus_before:
            reg.menu_names[menu_name] = name


def _menu_names(appbuilder) -> set[str]:
    names = set()
    for item in appbuilder.menu.get_list():
        names.add(item.name)
        for child in item.childs or ():
            names.add(child.name)
    return names


# -- state ----------------------------------------------------------------------------------


def states() -> dict[str, bool]:
    """Enabled flag of every plugin with a state row (this worker's copy, see worker_cache)."""

    return dict(worker_cache.cached("plugin_states", _read_states))


def _read_states() -> dict[str, bool]:
    return {name: bool(enabled) for name, enabled in db.session.query(PluginState.name, PluginState.enabled)}


def is_enabled(name: str) -> bool:
    reg = registry()
    return name in reg.infos and states().get(name, False)


def state_of(name: str) -> str:
    """``enabled`` / ``disabled`` / ``failed``: what the plugins page shows."""
    reg = registry()
    if name in reg.load_errors:
        return "failed"
    return "enabled" if is_enabled(name) else "disabled"


def require_known(name: str) -> PluginInfo:
    reg = registry()
    if name in reg.load_errors:
        raise PluginError(f"插件“{name}”加载失败，不能启用或停用；请查看插件页上的错误信息")
    if name not in reg.infos:
        known = "、".join(sorted(reg.infos)) or "（无）"
        raise PluginError(f"没有名为“{name}”的插件。已安装的插件：{known}")
    return reg.infos[name]


def set_enabled(name: str, enabled: bool, actor: str | None = None) -> None:
    """Switch a plugin on or off, enforcing requirements both ways; audited, committed."""

    info = require_known(name)
    reg = registry()
    current = states()
    if enabled:
        missing = [r for r in info.requires if not (r in reg.infos and current.get(r, False))]
        if missing:
            titles = "、".join(_title(r) for r in missing)
            raise PluginError(f"启用“{info.title}”需要先启用：{titles}")
        behind = schema.plugin_schema_behind(name)
        if behind:
            raise PluginError(
                f"“{info.title}”的数据库结构尚未升级，不能启用。请先运行：jiceng db upgrade"
            )
    else:
        dependants = [
            other.name
            for other in reg.infos.values()
            if name in other.requires and current.get(other.name, False)
        ]
        if dependants:
            titles = "、".join(_title(d) for d in dependants)
            raise PluginError(f"“{info.title}”被以下已启用的插件依赖，请先停用它们：{titles}")

    row = db.session.get(PluginState, name) or PluginState(name=name)
    before = bool(row.enabled)
    row.enabled = enabled
    row.changed_by = actor or audit.actor_name()
    row.changed_at = clock.utcnow()
    db.session.add(row)
    if before != enabled:
        audit.record(
            "plugin_enable" if enabled else "plugin_disable",
            entity="plugin",
            entity_id=name,
            summary=f"{'启用' if enabled else '停用'}插件“{info.title}”",
            changes={"enabled": [before, enabled]},
        )
    db.session.commit()


def _title(name: str) -> str:
    info = registry().infos.get(name)
    return info.title if info else name


def audit_title(entity: str | None, entity_id: str | None) -> tuple[str, str] | None:
    """A plugin's switch and settings rows name it by its code: shown by its title."""
    if entity != "plugin":
        return None
    return "插件", _title(entity_id or "")


def record_hook_failure(name: str, hook: str) -> None:
    """Keep a hook's failure where every worker's plugins page sees it."""

    text = f"{hook}：\n{traceback.format_exc()}"
    log.error('Plugin "%s" failed in hook %s', name, hook, exc_info=True)
    # Its own connection: the caller's transaction may be the one that broke.
    try:
        with db.engine.begin() as conn:
            conn.execute(
                PluginState.__table__.update()
                .where(PluginState.name == name)
                .values(error=text[-8000:], error_at=clock.utcnow())
            )
    except Exception:
        log.exception("could not record the failure of plugin %s", name)


def call(hook: str, *, include_disabled: bool = False, **kwargs) -> list[tuple[str, Any]]:
    """Call ``hook`` on each enabled plugin on its own; a plugin that raises is recorded as
    failed and skipped.  Returns ``[(plugin name, result), ...]`` in registration order, one
    pair for each plugin whose implementation ran (its result may be None)."""
    reg = registry()
    results = []
    for impl in reversed(getattr(reg.pm.hook, hook).get_hookimpls()):
        name = impl.plugin_name
        if name not in reg.infos:
            continue
        if not include_disabled and not is_enabled(name):
            continue
        try:
            result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except Exception:
            record_hook_failure(name, hook)
            continue
        results.append((name, result))
    return results


# -- web guard ------------------------------------------------------------------------------


class PluginDisabled(ConsoleError):
    """A switched-off module's page or API: not a missing page, and who can switch it on."""

    status = 404
    title = "模块已停用"


def owner_names(name: str) -> list[str]:
    """The accounts holding the module owner's role (at most five, for a sentence)."""
    from flask_appbuilder.security.sqla.models import Role

    info = registry().infos.get(name)
    role = db.session.query(Role).filter_by(name=info.owner_role).one_or_none() if info else None
    return [f"{u.first_name}{u.last_name}".strip() or u.username for u in (role.user if role else [])[:5]]


def disabled_refusal(name: str) -> PluginDisabled:
    info = registry().infos[name]
    owners = "、".join(owner_names(name))
    who = f"系统管理员或本模块负责人（{info.owner_role}{'：' + owners if owners else ''}）"
    return PluginDisabled(f"“{info.title}”模块已停用，它的页面暂不可用，数据都保留着。"
                          f"需要使用时，请联系{who}在“系统管理 → 插件管理”中启用。")


def install_guard(app) -> None:
    """"模块已停用" (404) for a switched-off plugin's pages and APIs; its menu entries hidden."""

    reg = registry(app)
    worker_cache.install(app)

    @app.before_request
    def _plugin_guard():
        owner = reg.blueprints.get(request.blueprint or "")
        if owner and not is_enabled(owner):
            # A page that exists but is switched off says so, and who can switch it on.
            raise disabled_refusal(owner)

    # Flask-AppBuilder's navbar ignores menu_cond, so wrap the filter its templates call.
    original = app.jinja_env.filters["is_menu_visible"]

    def is_menu_visible(item):
        owner = reg.menu_names.get(item.name)
        if owner and not is_enabled(owner):
            return False
        return original(item)

    app.jinja_env.filters["is_menu_visible"] = is_menu_visible


def info_rows() -> list[dict]:
    """One row per installed plugin, for the plugins page and ``jiceng plugins list``."""

    reg = registry()
    errors = {row.name: row for row in db.session.query(PluginState).all()}
    rows = []
    for name in reg.names():
        info = reg.infos.get(name)
        state_row = errors.get(name)
        rows.append(
            {
                "name": name,
                "title": info.title if info else name,
                "version": (info.version if info else reg.distributions.get(name, "?")),
                "state": state_of(name),
                "requires": [_title(r) for r in info.requires] if info else [],
                "hooks": [hookspecs.HOOK_TITLES.get(h, h) for h in reg.hooks_of(name)
                          if h != "plugin_info"],
                "error": reg.load_errors.get(name) or (state_row.error if state_row else None),
                "error_at": state_row.error_at if state_row else None,
                "changed_by": state_row.changed_by if state_row else None,
                "changed_at": state_row.changed_at if state_row else None,
                "info": info,
            }
        )
    return rows


def as_dict(info: PluginInfo) -> dict:
    return dataclasses.asdict(info)


# -- who manages a plugin -------------------------------------------------------------------


def owner_plugins(user) -> set[str]:
    """Names of the plugins whose 模块负责人 role the user holds."""
    role_names = {r.name for r in getattr(user, "roles", ())}
    return {name for name, info in registry().infos.items() if info.owner_role in role_names}


def may_manage(user, name: str) -> bool:
    """The system administrator manages every plugin; a module owner their own."""
    admin = current_app.config["AUTH_ROLE_ADMIN"]
    return any(r.name == admin for r in getattr(user, "roles", ())) or name in owner_plugins(user)
