"""What the module's pages share: the template folder, paging, the county filter, forms."""

from __future__ import annotations

import math
from pathlib import Path

from flask import request

from console import Region, count_rows, db, page_rows, regions, scope

TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")
PAGE_SIZE = 25


class Page:
    """One page of a query: its rows, the total and links to its neighbours.  The query's
    order must end with its primary key (``console.page_rows``)."""

    def __init__(self, query, size: int = PAGE_SIZE):
        try:
            self.number = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            self.number = 1
        self.size = size
        self.total = count_rows(query)
        self.pages = max(math.ceil(self.total / size), 1)
        self.number = min(self.number, self.pages)
        self.items = page_rows(query, size, (self.number - 1) * size)

    def args(self, number: int) -> dict:
        out = request.args.to_dict()
        out["page"] = number
        return out


def counties():
    """The county filter: the counties inside the user's scope (11 at most), never the
    1,586-region tree."""
    region = scope.current_region()
    if region is not None and region.level in ("township", "village"):
        return []
    return regions.counties(db.session, within=region)


def enterprise_regions():
    """Counties and townships inside the scope, grouped by county, for the enterprise form."""
    query = scope.restrict(db.session.query(Region).filter(Region.level.in_(("county", "township"))),
                           Region, column="id").order_by(Region.path)
    groups: list[tuple[Region, list[Region]]] = []
    for region in query:
        if region.level == "county":
            groups.append((region, []))
        elif groups and region.parent_id == groups[-1][0].id:
            groups[-1][1].append(region)
        else:
            groups.append((region, []))
    return groups


def form_data() -> dict:
    """The submitted form, lists kept for repeated fields."""
    data = {key: request.form.get(key) for key in request.form}
    for key in request.form:
        values = request.form.getlist(key)
        if len(values) > 1:
            data[key] = values
    return data

