"""The demo accounts: a leader, two county inspectors and one owner per installed module."""

from __future__ import annotations

import os
import secrets

from console.plugins.manager import registry
from console.regions.models import Region
from console.security import accounts, roles


def demo_users(registry) -> list[tuple[str, str, str, str | None]]:
    """(username, display name, role, scope region code) of the demo accounts."""
    users = [
        ("lingdao", "领导", roles.LEADER, None),
        ("zhaoyang", "昭阳区检查员", roles.INSPECTOR, "530602"),
        ("zhenxiong", "镇雄县检查员", roles.INSPECTOR, "530627"),
    ]
    for name, info in sorted(registry.infos.items()):
        users.append((f"{name}_owner", f"{info.title}负责人", info.owner_role, None))
    return users


def load_users(session, sm) -> list[tuple[str, str]]:
    """Create the demo accounts that are missing; returns (username, password) of new ones.

    All share JICENG_DEMO_PASSWORD when it is set, otherwise each gets a random one."""
    created = []
    for username, display, role_name, region_code in demo_users(registry()):
        if sm.find_user(username=username) is not None:
            continue
        role = sm.find_role(role_name) or sm.add_role(role_name)
        password = os.environ.get("JICENG_DEMO_PASSWORD") or secrets.token_urlsafe(9) + "aA1!"
        user = sm.add_user(username, display, "", f"{username}@example.invalid", role, password)
        # Demo data: a known password, printed below, not a temporary one to force a change on.
        accounts.password_chosen_by_holder(user)
        if region_code:
            user.scope_region = session.query(Region).filter_by(code=region_code).one()
            session.commit()
        created.append((username, password))
    return created
