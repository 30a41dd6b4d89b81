"""The home page's contents, plain data that plugins return: cards (``dashboard_cards``), the
tasks of the day (``dashboard_tasks``) and shortcuts to the forms used in the field
(``dashboard_shortcuts``).

Which of them a reader sees is decided here, by the same Flask-AppBuilder permission that guards
the page each one leads to: a module's figures are shown only to a reader who may open that
module's pages, so a module owner's home page does not show another module's city-wide numbers
behind links that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from console.database import copies as worker_cache
from console.foundation import clock
from console.plugins.manager import call, registry


@dataclass(frozen=True)
class Card:
    title: str
    value: str | int | float
    unit: str = ""
    note: str = ""
    link: str | None = None  # the filtered list behind the number
    level: str = "default"  # default | warning | danger | success


URGENCIES = ("normal", "soon", "overdue")


@dataclass(frozen=True)
class Task:
    """Work waiting for the reader: ``count`` things behind ``link`` (their filtered list)."""

    title: str
    count: int
    link: str
    urgency: str = "normal"  # normal | soon (due within days) | overdue

    def __post_init__(self):
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}, not {self.urgency!r}")


@dataclass(frozen=True)
class Shortcut:
    """A big button on a phone's home page to a form used in the field."""

    title: str
    link: str
    icon: str = "fa-pencil"  # a Font Awesome 4 class


# -- who may see what -------------------------------------------------------------------------


def _page_permission(path: str):
    """``(permission, view)`` that guards the page at ``path``, or None when no view of
    Flask-AppBuilder's answers it.  Resolved the way ``has_access`` checks a request."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path.split("?", 1)[0], method="GET")
    except RequestRedirect as redirect:  # a path without its trailing slash
        return _page_permission(redirect.new_url.split("localhost", 1)[-1])
    except HTTPException:
        return None
    view_name, _, method = endpoint.partition(".")
    view = _views().get(view_name)
    func = getattr(view, method, None) if view is not None else None
    name = getattr(func, "_permission_name", None)
    if name is None:
        return None
    name = (view.method_permission_name or {}).get(func.__name__) or name
    return f"can_{name}", view


def _views() -> dict:
    appbuilder = current_app.appbuilder
    return {view.endpoint: view for view in appbuilder.baseviews}


def may_open(path: str | None) -> bool:
    """Whether the signed-in user may open the page at ``path``; a path no permission guards
    (an anchor, another site, a plain blueprint) is left to that page."""
    if not path or not path.startswith("/"):
        return True
    guard = _page_permission(path)
    if guard is None:
        return True
    permission, view = guard
    return (permission, view.class_permission_name) in _granted()[1]


def readable_plugins() -> set[str]:
    """The plugins of which the signed-in user may open some page: their figures are the
    user's to see.  A plugin's pages are the views its ``register_views`` added (the registry's
    record), each guarded by the permissions the view declares."""
    return set(_granted()[0])


def _granted() -> tuple[frozenset, frozenset]:
    """(the readable plugins, every ``(permission, view name)`` the user holds), worked out once
    per worker for each set of roles, as the navbar's menu is (console.web.navigation): a role
    kept in the database would otherwise cost a query for each permission of each view on every
    home page.  Kept under the tokens of the permission tables it reads."""
    sm = current_app.appbuilder.sm
    roles = sorted({role.name for role in sm.get_user_roles(current_user) if role})

    def work_out():
        reg = registry()
        readable, held = set(), set()
        for view in current_app.appbuilder.baseviews:
            if not view.class_permission_name:
                continue
            plugin = reg.blueprints.get(getattr(view.blueprint, "name", ""))
            for permission in view.base_permissions or ():
                if sm.has_access(permission, view.class_permission_name):
                    held.add((permission, view.class_permission_name))
                    if plugin is not None:
                        readable.add(plugin)
        return frozenset(readable), frozenset(held)

    return worker_cache.cached(f"dashboard_granted:{'|'.join(roles)}", work_out)


# -- what the home page shows -------------------------------------------------------------------


def _kept(hook: str, holder: str, **kwargs) -> list[tuple[str, object]]:
    """``hook``'s items from every enabled plugin, kept by this worker for ``holder`` (a region,
    a reader) and the day until a table the hook read is written through the console
    (worker_cache's table tokens): exactly what a fresh count would give.  What a reader may
    open is decided afterwards, per reader, from the permissions."""
    def count():
        out = []
        for name, items in call(hook, **kwargs):
            out.extend((name, item) for item in items or ())
        return tuple(out)

    items = worker_cache.cached(f"{hook}:{holder}:{clock.today().isoformat()}", count, data=True)
    readable = readable_plugins()
    return [(name, item) for name, item in items if name in readable and may_open(item.link)]


def cards_for(user, region) -> list[tuple[str, Card]]:
    """Every enabled plugin's cards for ``region`` that ``user`` may read.  Counted at city scale
    they take far longer than a list page, and every reader of a region sees the same ones:
    kept per region."""
    return _kept("dashboard_cards", region.id if region else "", user=user, region=region)


def tasks_for(user) -> list[tuple[str, Task]]:
    """Every enabled plugin's tasks for ``user`` in the modules the user may read: the reader's
    own (their area, their department), counted over whole tables at city scale (432,000
    enterprises against the year's visits), so kept per reader."""
    return _kept("dashboard_tasks", user.id, user=user)


def shortcuts_for(user) -> list[tuple[str, Shortcut]]:
    """The plugins' shortcuts whose form ``user`` may open."""
    out = []
    for name, shortcuts in call("dashboard_shortcuts", user=user):
        out.extend((name, s) for s in shortcuts or () if may_open(s.link) and _guarded(s.link))
    return out


def _guarded(path: str) -> bool:
    """A shortcut leads to a form; one that no permission guards is a mistake, never shown."""
    return _page_permission(path) is not None
