"""The console's roles, built from the core's needs and each plugin's declaration.

They are Flask-AppBuilder "builtin roles" (``FAB_ROLES``): checked against these patterns in
memory by every worker, so no worker has to write permissions at start-up (several workers
syncing at once raced into IntegrityErrors).  ``jiceng init`` creates the role rows users are
assigned to.  Patterns are ``[view pattern, permission pattern]`` matched with ``re.match``:
anchor them (``$``), or ``can_list`` would also match ``can_list_all``.
"""

from __future__ import annotations

from console.plugins.manager import call, owner_plugins

__all__ = ["ADMIN", "INSPECTOR", "LEADER", "builtin_roles", "is_admin", "owner_plugins"]

ADMIN = "系统管理员"
INSPECTOR = "检查员"
LEADER = "领导"

# What every signed-in console user needs: the home page, the inbox, their own account.
_EVERYONE = [
    ["ConsoleUserView$", "can_userinfo$"],
    ["UserInfoEditView$", "can_this_form_(get|post)$"],
    ["ResetMyPasswordView$", "can_this_form_(get|post)$"],
    ["console_inbox$", "can_.*"],
    ["console_regions$", "can_(list|show)$"],
    ["console_dashboard$", "can_.*"],
    # Whether a user may see a file is decided by its owner record (console.attachments).
    ["console_attachments$", "can_show$"],
    # 我的简报: every reader opens the briefings delivered to them and asks for one of their scope.
    ["console_briefing_files$", "can_mine$"],
    ["console_my_briefings$", "menu_access$"],
]


def builtin_roles(registry) -> dict[str, list[list[str]]]:
    """FAB_ROLES for the current set of installed plugins."""
    roles: dict[str, list[list[str]]] = {
        ADMIN: [[".*", ".*"]],
        INSPECTOR: list(_EVERYONE),
        LEADER: list(_EVERYONE),
    }
    for name, info in registry.infos.items():
        roles[info.owner_role] = _EVERYONE + [
            [f"{name}_.*", ".*"],
            [f"{name}$", "menu_access$"],
            ["console_plugins$", "can_(list|switch|settings)$"],
            ["console_imports$", "can_.*"],
            # Their own pages under 系统管理: the category too, or the navbar hides both entries.
            ["console_admin$", "menu_access$"],
            ["console_plugins$", "menu_access$"],
            ["console_imports$", "menu_access$"],
        ]
    for _name, grants in call("role_permissions", include_disabled=True):
        for role, pairs in (grants or {}).items():
            if role in (INSPECTOR, LEADER):
                roles[role].extend([[view, perm] for perm, view in pairs])
    return roles


def is_admin(user) -> bool:
    return any(r.name == ADMIN for r in getattr(user, "roles", ()))
