"""The plugin contract: every hook a module may implement.

A plugin is a module (or object) registered under the entry-point group ``console.plugins``;
its hook implementations are marked with ``console.hookimpl``.  The core calls each plugin's
implementation on its own (``console.plugins.manager.call``), so one plugin that raises is marked failed
and skipped without stopping the others, and a switched-off plugin's hooks are not called.
"""

from pluggy import HookspecMarker

hookspec = HookspecMarker("console")

# What each hook gives the console, as the plugins page says it (the hook names are code).
HOOK_TITLES = {
    "plugin_info": "模块信息", "register_views": "页面", "role_permissions": "角色权限",
    "dashboard_cards": "首页卡片", "briefing_sections": "工作简报内容", "scheduled_jobs": "定时任务",
    "importers": "数据导入", "demo_data": "演示数据", "protected_columns": "加密字段",
    "attachment_owners": "附件归属", "dashboard_tasks": "今日待办", "dashboard_shortcuts": "首页快捷入口",
}


# -- identity -------------------------------------------------------------------------------


@hookspec
def plugin_info():
    """Return the plugin's :class:`console.PluginInfo`: name, Chinese title, version,
    the plugins it requires, its Alembic version location and its settings.  Required."""


# -- web ------------------------------------------------------------------------------------


@hookspec
def register_views(appbuilder):
    """Add the plugin's views, REST APIs and menu entries to ``appbuilder``.  Called once at
    start-up for every installed plugin, enabled or not: Flask cannot add routes later, so a
    switched-off plugin's pages are answered 404 by the core instead.  Menu categories and
    permission names must start with the plugin's name."""


@hookspec
def role_permissions():
    """Return ``{role: [(permission pattern, view pattern), ...]}`` granting the core roles
    ``检查员`` (inspector) and ``领导`` (leader) access to the plugin's views.  Patterns are
    regular expressions matched from the start.  The plugin's own 模块负责人 role is generated
    by the core and needs no entry."""


@hookspec
def dashboard_cards(user, region):
    """Return a list of :class:`console.Card` for the home page, counted inside
    ``region`` (the user's scope region) only.  The cards must follow from ``region``, the
    day and the stored records alone, not from ``user`` (the reader they are first counted
    for): every reader of the region sees them, and each worker keeps them until the day ends
    or any record changes through the console (``console.web.dashboard.cards_for``).  A reader sees a
    module's cards only if they may read its pages, and a card only if they may open its ``link``."""


@hookspec
def dashboard_tasks(user):
    """Return a list of :class:`console.Task` for ``user``'s home page: the work of the day
    waiting for them (in their scope region, ``user.scope_region``, or for their department),
    each a count and the filtered list behind it.  Counted for each reader on each visit, so
    keep them to a few indexed counts.  Shown only to a reader who may read the module's pages,
    and each only when its ``link`` is a page the reader may open."""


@hookspec
def dashboard_shortcuts(user):
    """Return a list of :class:`console.Shortcut`: big buttons on a phone's home page to the
    forms used in the field.  The core shows one only to a reader whose permissions let them
    open its ``link``."""


@hookspec
def briefing_sections(period, region, appendix):
    """Return a list of :class:`console.Section` for the briefing of ``period`` (a
    :class:`console.briefings.periods.Period`: ``start``, ``end`` exclusive, ``previous()``),
    counted inside ``region`` only (the briefing's scope, never None).  Plain data: a title,
    headline figures with the previous period's value, tables, chart series, drill-down links
    to the filtered lists behind the numbers and optional appendix ledgers.  ``appendix`` is
    True when the reader asked for the appendices: leave them out otherwise (a city ledger is
    hundreds of rows in the snapshot and dozens of pages).  An implementation may leave the
    argument out of its signature.  A section that raises becomes a visible note in the PDF
    and the run is marked partial."""


@hookspec
def attachment_owners():
    """Return a list of :class:`console.AttachmentOwner`: each kind of the plugin's records
    that has files (``attachments.save(owner=kind, owner_id=record id)``), the record's model,
    the permission of the page that reads it and where its region is.  The core serves a file
    to a user exactly when that user holds the permission and the record is inside their
    region; a kind nobody declares (or one whose plugin is switched off) is never served.
    A plugin declares only kinds that start with its own name."""


# -- background work and data ---------------------------------------------------------------


@hookspec
def scheduled_jobs():
    """Return a list of :class:`console.Job` the scheduler process runs.  A job of a
    switched-off plugin is skipped at run time."""


@hookspec
def importers():
    """Return a list of :class:`console.Importer`: the kinds of file rows the plugin
    accepts, each with its columns and row rules.  Used by the import page and
    ``jiceng import PLUGIN KIND FILE``."""


@hookspec
def demo_data(session, scale):
    """Add the plugin's demo rows through ``session`` (``scale`` is ``"demo"`` or ``"city"``).
    Must be safe to run again: rows already present are left as they are."""


@hookspec
def protected_columns():
    """Return a list of :class:`console.ProtectedColumn`: each column the plugin fills with
    ``console.crypto.encrypt`` and, beside it, the lookup column it fills with
    ``console.crypto.keyed_hash`` of the same value.  Read for every installed plugin, enabled
    or not (a switched-off module's data is re-encrypted too), by the commands that move data
    from one cryptography mode or key version to another (``jiceng crypto migrate`` /
    ``rotate``)."""
