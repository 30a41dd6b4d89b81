"""The 村级挂牌 section of the leadership briefing: counted through stats inside the briefing's
region, each number linked to the list that shows exactly as many rows, and on request the
ledger of every village as an appendix."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from console import WITHIN_ARG, Cell, Chart, Figure, Section, Table, db

from . import stats
from .services import ledger, rectification

LEDGER = "/nameplates/ledger/"
INSPECTIONS = "/nameplates/inspection_list/list/"
ORDERS = "/nameplates/order_list/list/"
# Flask-AppBuilder's filter numbers (see console.scope.WITHIN_ARG): string 3 equal, 7 not equal;
# date 1 later than, 2 earlier than; boolean 0 equal ("y" is true).
NOT_CLOSED = {"_flt_7_status": "closed"}
ACCEPTED = {"_flt_3_status": "accepted"}
DAY = dt.timedelta(days=1)


def _link(base: str, **args) -> str:
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return base + ("?" + urlencode(args) if args else "")


def _lists(county_id: int | None, start: dt.date, end: dt.date, as_of: dt.date) -> dict[str, str]:
    """The list behind each number for a county (None: the whole region), ``[start, end)`` and
    orders overdue on ``as_of``."""
    where = {WITHIN_ARG: county_id}
    return {
        "inspected": _link(LEDGER, county=county_id, **{"from": start.isoformat(), "to": (end - DAY).isoformat()}),
        "open": _link(ORDERS, **NOT_CLOSED, **where),
        "overdue": _link(ORDERS, **NOT_CLOSED, _flt_2_deadline=as_of.isoformat(), **where),
        "rebounds": _link(INSPECTIONS, **ACCEPTED, _flt_0_rebound="y",
                          _flt_1_inspected_on=(start - DAY).isoformat(),
                          _flt_2_inspected_on=end.isoformat(), **where),
    }


def sections(period, region, appendix: bool = False) -> list[Section]:
    session = db.session
    # stats counts inspection dates in [start, last]; a period ends the day before ``end``.
    start, last = period.start, period.end - DAY
    prev = period.previous()
    # Orders are counted as they stand now; "overdue" as of the period's end, or today while
    # the period runs (a deadline still ahead is not overdue yet).
    as_of = min(period.end, rectification.today())
    county = region.id if region.level == "county" else None
    lists = _lists(county, period.start, period.end, as_of)

    def both(fn):
        return fn(session, region, start, last), fn(session, region, prev.start, prev.end - DAY)

    inspected, inspected_before = both(stats.villages_inspected)
    compliance, compliance_before = both(stats.compliance_rate)
    rebounds, rebounds_before = both(stats.rebounds)
    open_orders = stats.open_orders(session, region)
    overdue = stats.overdue_orders(session, region, as_of)
    figures = [
        Figure("检查村(社区)", inspected, "个", inspected_before, lists["inspected"],
               note="本期有审核通过的检查",
               definition="本期内有审核通过检查的村(社区)个数，每村只计一次"),
        Figure("合规率", compliance, previous=compliance_before, percent=True,
               note="本期检查的村中最近一次检查合格的比例",
               definition="分母为本期内有审核通过检查的村，分子为其中本期最后一次检查合格的村；"
                          "首页“挂牌合规率”按今年全年计算，两者期间不同，数值可能相差较大"),
        Figure("未销号整改", open_orders, "件", link=lists["open"], note="当前", higher_is_better=False,
               definition="生成简报时尚未销号的整改单件数，不分期间"),
        Figure("逾期整改", overdue, "件", link=lists["overdue"], note="截至期末未销号且已过期限",
               higher_is_better=False, definition="期末（或今天，取较早者）仍未销号且已过整改期限的整改单件数"),
        Figure("倒查反弹", rebounds, "次", rebounds_before, lists["rebounds"], higher_is_better=False,
               definition="本期审核通过的检查中发现滥挂牌、奇葩证明反弹的次数"),
    ]
    rows = stats.by_county(session, region, start, last, as_of)
    table_rows = []
    for r in rows:
        links = _lists(r.county.id, period.start, period.end, as_of)
        table_rows.append([
            r.county.name, r.villages, Cell(r.inspected, links["inspected"]),
            "—" if r.compliance_rate is None else f"{r.compliance_rate * 100:.1f}%",
            Cell(r.open_orders, links["open"]), Cell(r.overdue_orders, links["overdue"]),
            Cell(r.rebounds, links["rebounds"]),
        ])
    total = None
    if len(rows) > 1:
        total = ["合计", sum(r.villages for r in rows), Cell(inspected, lists["inspected"]),
                 "—" if compliance is None else f"{compliance * 100:.1f}%",
                 Cell(open_orders, lists["open"]), Cell(overdue, lists["overdue"]),
                 Cell(rebounds, lists["rebounds"])]
    table = Table("分县(市、区)情况", ["县(市、区)", "村(社区)", "本期检查", "合规率", "未销号整改",
                                   "逾期整改", "倒查反弹"],
                  table_rows, widths=[20, 12, 13, 13, 14, 14, 14], total=total)
    charts = []
    if len(rows) > 1:
        charts.append(Chart("各县(市、区)本期检查与反弹", [r.county.name for r in rows],
                            {"检查村(社区)(个)": [r.inspected for r in rows],
                             "倒查反弹(次)": [r.rebounds for r in rows]}))
    rate = "—" if compliance is None else f"{compliance * 100:.1f}%"
    text = (f"{period.title}，{region.name}检查村(社区) {inspected} 个，合规率 {rate}，"
            f"倒查发现反弹 {rebounds} 次；目前未销号整改 {open_orders} 件，截至期末逾期 {overdue} 件。")
    return [Section("村级组织挂牌整治", figures=figures, charts=charts, tables=[table], text=text,
                    links=[("村级挂牌台账", _link(LEDGER, county=county)),
                           ("整改台账", lists["open"])],
                    appendix=[ledger_table(session, region, as_of)] if appendix else [])]


def ledger_table(session, region, day: dt.date) -> Table:
    """Every village of the region with its ledger entry, in region order."""
    rows = []
    for row in ledger.all_rows(session, region=region, day=day):
        e = row.entry
        # The village's own ledger page lists the inspections and orders behind its numbers.
        page = f"/nameplates/ledger/village/{row.village.id}"
        rows.append([row.county, row.township, Cell(row.village.name, page), row.status_title,
                     e.last_inspected_on.isoformat() if e and e.last_inspected_on else "—",
                     Cell(e.open_orders if e else 0, page), Cell(e.rebounds if e else 0, page),
                     "是" if row.overdue else ""])
    # The ledger as it stands when the briefing is made: it keeps no history of past states.
    return Table(f"{region.name}村级挂牌台账（{len(rows)} 个村(社区)，生成时状态）",
                 ["县(市、区)", "乡镇(街道)", "村(社区)", "台账状态", "最近检查", "未销号整改", "反弹", "逾期"],
                 rows, widths=[10, 14, 20, 14, 13, 12, 8, 9])
