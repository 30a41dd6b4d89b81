"""The ledgers: the city ledger of every village (paged, filtered, exported) and one village's."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter

from flask import flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console import NotFound, Region, clock, db, exports, regions, scope

from .. import stats
from ..services import ledger, photos
from .common import TEMPLATES


def _filters() -> dict:
    return {
        "county_id": request.args.get("county", type=int),
        "status": request.args.get("status") or None,
        "name": (request.args.get("name") or "").strip() or None,
        "inspected_from": _date_arg("from", "检查日期起"),
        "inspected_to": _date_arg("to", "检查日期止"),
    }


def _date_arg(name: str, title: str) -> dt.date | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        flash(f"{title}“{text}”不是有效日期（例如 2025-12-01），已忽略", "warning")
        return None


class NameplatesLedgerView(BaseView):
    route_base = "/nameplates/ledger"
    class_permission_name = "nameplates_ledger"
    template_folder = TEMPLATES
    default_view = "city"

    @expose("/")
    @has_access
    @permission_name("list")
    def city(self):
        filters = _filters()
        number = request.args.get("page", 1, type=int)
        rows, total = ledger.page(db.session, region=scope.current_region(), number=number, **filters)
        start, end = stats.year_span()
        return self.render_template(
            "nameplates/ledger.html", rows=rows, total=total, page=max(number, 1),
            pages=max((total + ledger.PAGE_SIZE - 1) // ledger.PAGE_SIZE, 1), filters=filters,
            counties=regions.counties(db.session, within=_county_scope()), statuses=ledger.STATUS_FILTERS,
            summary=_summary(scope.current_region(), start, end), year=start.year,
        )

    @expose("/export")
    @has_access
    @permission_name("export")
    def export(self):
        rows = (ledger.export_values(row)
                for row in ledger.all_rows(db.session, region=scope.current_region(), **_filters()))
        columns = [(header, itemgetter(i)) for i, header in enumerate(ledger.EXPORT_HEADERS)]
        name = f"村级挂牌台账-{clock.today().isoformat()}.xlsx"
        return exports.stream_xlsx(rows, columns, name, sheet_title="挂牌台账")

    @expose("/village/<int:ident>")
    @has_access
    @permission_name("show")
    def village(self, ident):
        village = db.session.get(Region, ident)
        if village is None or village.level != "village" or not scope.contains(village.id):
            raise NotFound("记录不存在，或不在您的管辖范围内")
        detail = ledger.village_detail(db.session, village)
        return self.render_template("nameplates/village.html", village=village, today=clock.today(),
                                    photo_count=lambda i: len(photos.of(db.session, photos.INSPECTION, i.id)),
                                    **detail)


def _summary(region, start: dt.date, end: dt.date) -> tuple:
    """The year's figures by county: six counts for each county (66 statements for the city),
    kept by the worker until a record changes through the console, like the home page's cards.
    The counties as plain values: what is kept outlives this request's session."""
    from dataclasses import replace

    from console import cached, clock

    def count():
        return tuple(replace(r, county=regions.County(r.county.id, r.county.code, r.county.name, r.county.path))
                     for r in stats.by_county(db.session, region, start, end))

    key = f"nameplates:by_county:{region.id if region else ''}:{start}:{end}:{clock.today()}"
    return cached(key, count, data=True)


def _county_scope():
    region = scope.current_region()
    if region is None or region.level == "city":
        return None
    return region
