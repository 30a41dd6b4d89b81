"""What every service of the module shares: its settings, today's date, the county a region
counts for and the reading of submitted fields."""

from __future__ import annotations

import datetime as dt

from console import OutOfScope, Region, clock, plugin_settings

from .. import NAME
from ..errors import VisitsError


def setting(key: str):
    return plugin_settings.get(NAME, key)


today = clock.today  # where the console is used, not on the server's clock


def county_of(region: Region) -> Region:
    """The county a county, township or village belongs to."""
    node = region
    while node is not None and node.level not in ("county", "city"):
        node = node.parent
    if node is None or node.level != "county":
        raise VisitsError(f"“{region.name}”不属于任何县(市、区)")
    return node


def text(value, limit: int | None = None, title: str = "") -> str | None:
    """A submitted text field: stripped, None when empty, refused when too long."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if limit is not None and len(value) > limit:
        raise VisitsError(f"“{title}”不能超过 {limit} 个字")
    return value


def parse_date(value, title: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise VisitsError(f"“{title}”不是有效的日期（例如 2025-03-01）") from None


def get_scoped(session, model, ident):
    """A row by id inside the user's scope, or the same 404 as a row that does not exist."""
    from console import scope

    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise OutOfScope() from None
    query = scope.restrict(session.query(model).filter(model.id == ident), model)
    row = query.one_or_none()
    if row is None:
        raise OutOfScope()
    return row
