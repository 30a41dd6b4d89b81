"""Users created and their reach changed: the rule that the whole city is only ever granted on
purpose.  A user without a scope region (or with the city itself) sees every county's data, so an
empty region picker must never mean "everything" by accident: the form, ``jiceng users add``
and anything else that creates users or changes a region go through ``require_explicit_scope``.
"""

from __future__ import annotations

from flask import current_app
from werkzeug.security import generate_password_hash

from console.database.transaction import unit_of_work
from console.foundation.errors import ConsoleError
from console.regions.models import Region
from console.security.passwords import problems

WHOLE_CITY_TITLE = "全市"
WHOLE_CITY_CONFIRMATION = "确认该用户可查看全市数据"


class ScopeRefused(ConsoleError):
    pass


def is_whole_city(region: Region | None) -> bool:
    return region is None or region.level == "city"


def require_explicit_scope(region: Region | None, whole_city: bool) -> None:
    """Refuse a whole-city scope that was not confirmed, and a confirmation that contradicts
    the chosen region."""
    if is_whole_city(region) and not whole_city:
        raise ScopeRefused(f"未选择管辖区域即表示{WHOLE_CITY_TITLE}：请选择该用户的管辖区域，"
                           f"或勾选“{WHOLE_CITY_CONFIRMATION}”")
    if whole_city and not is_whole_city(region):
        raise ScopeRefused(f"已选择管辖区域“{region.name}”，不能同时勾选“{WHOLE_CITY_CONFIRMATION}”")


@unit_of_work
def create_user(session, *, username: str, last_name: str, first_name: str, email: str, roles: list,
                region: Region | None, whole_city: bool = False, password: str):
    """A new user with their roles and scope in one unit of work, so the audit entry of the
    insert carries both."""
    # The security manager's user model (console.security.users.ConsoleUser), which imports this
    # module for its form.
    ConsoleUser = current_app.appbuilder.sm.user_model

    require_explicit_scope(region, whole_city)
    if not roles:
        raise ScopeRefused("请至少选择一个角色")
    if session.query(ConsoleUser.id).filter(ConsoleUser.username == username).first():
        raise ScopeRefused(f"用户名“{username}”已存在")
    found = problems(password)
    if found:
        raise ScopeRefused("密码不符合要求：" + "；".join(found))
    cfg = current_app.config
    user = ConsoleUser(username=username, last_name=last_name, first_name=first_name, email=email,
                       active=True, roles=list(roles), scope_region=None if region is None else region)
    user.password = generate_password_hash(password, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                           salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    session.add(user)
    # The password policy notes a new password when the user is flushed (a change is forced at
    # the first login); the caller may then record that its holder chose it.
    session.flush()
    return user


@unit_of_work
def change_scope(session, user, region: Region | None, whole_city: bool = False):
    """Move ``user``'s scope to ``region`` (None: the whole city, confirmed by ``whole_city``)."""
    require_explicit_scope(region, whole_city)
    user.scope_region = region
    return user
