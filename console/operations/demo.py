"""The demo accounts: a leader, two county inspectors and one owner per installed module."""

from __future__ import annotations

import os
import secrets

from console.plugins.manager import registry
from console.regions.models import Region
from console.database.transaction import transaction
from console.security import accounts, provisioning, roles


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
        region = session.query(Region).filter_by(code=region_code).one() if region_code else None
        with transaction():
            # The same service as the users page: the accounts without a region see the whole
            # city on purpose (the leader, the module owners).
            user = provisioning.create_user(session, username=username, last_name="", first_name=display,
                                            email=f"{username}@example.invalid", roles=[role], region=region,
                                            whole_city=region is None, password=password)
            # Demo data: a known password, printed below, not a temporary one to force a change on.
            accounts.password_chosen_by_holder(user)
        created.append((username, password))
    return created
