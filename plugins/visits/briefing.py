"""The 三送三进 section of the leadership briefing: counted through stats inside the
briefing's region, each number linked to the list behind it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from console import Cell, Chart, Figure, Section, Table, db

from . import stats

VISITS = "/visits/visits/list/"
PROBLEMS = "/visits/problems/list/"
ENTERPRISES = "/visits/enterprises/list/"


def _link(base: str, **args) -> str:
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return base + ("?" + urlencode(args) if args else "")


def sections(period, region) -> list[Section]:
    session = db.session
    start, end = period.start, period.end
    prev = period.previous()
    county = region.id if region.level == "county" else None
    # The period is [start, end); the lists take the inclusive last day, as a person reads it.
    last = (end - dt.timedelta(days=1)).isoformat()
    window = {"start": start.isoformat(), "end": last}
    visited_window = {"visited_start": start.isoformat(), "visited_end": last}
    solved_window = {"solved_start": start.isoformat(), "solved_end": last}
    late = {"overdue": 1, "as_of": end.isoformat()}

    def both(fn):
        return fn(session, region, start, end), fn(session, region, prev.start, prev.end)

    visits, visits_before = both(stats.visits)
    covered, covered_before = both(stats.enterprises_covered)
    raised, raised_before = both(stats.problems_raised)
    solved, solved_before = both(stats.problems_solved)
    solve, solve_before = both(stats.solve_rate)
    satisfied, satisfied_before = both(stats.satisfaction_rate)
    overdue = stats.problems_overdue(session, region, as_of=end)
    figures = [
        Figure("走访企业次数", visits, "次", visits_before, _link(VISITS, county=county, **window),
               definition="本期内登记的走访次数，同一企业多次走访分别计"),
        Figure("覆盖企业", covered, "家", covered_before, _link(ENTERPRISES, county=county, **visited_window),
               definition="本期内至少走访过一次的企业家数"),
        Figure("收集诉求", raised, "个", raised_before, _link(PROBLEMS, county=county, **window),
               definition="本期内走访中登记的诉求个数"),
        Figure("办结诉求", solved, "个", solved_before, _link(PROBLEMS, county=county, **solved_window),
               definition="本期内办结的诉求个数，不论何时收集"),
        Figure("诉求办结率", solve, previous=solve_before, percent=True,
               note="本期收集的诉求中已办结的比例",
               definition="分母为本期收集的诉求，分子为其中已办结的"),
        Figure("满意率", satisfied, previous=satisfied_before, percent=True,
               note="满意与基本满意占已评价诉求的比例",
               definition="分母为本期已评价的诉求，分子为评价满意或基本满意的"),
        Figure("逾期未办结诉求", overdue, "个", link=_link(PROBLEMS, county=county, **late),
               note="截至期末", higher_is_better=False,
               definition="期末仍未办结且已过办理期限的诉求个数"),
    ]
    rows = stats.by_county(session, region, start, end, as_of=end)
    table_rows = [[
        r.county,
        Cell(r.visits, _link(VISITS, county=r.county_id, **window)),
        Cell(r.enterprises_covered, _link(ENTERPRISES, county=r.county_id, **visited_window)),
        Cell(r.problems_raised, _link(PROBLEMS, county=r.county_id, **window)),
        Cell(r.problems_solved, _link(PROBLEMS, county=r.county_id, **solved_window)),
        Cell(r.problems_overdue, _link(PROBLEMS, county=r.county_id, **late)),
        stats.percent(r.solve_rate),
        stats.percent(r.satisfaction_rate),
    ] for r in rows]
    total = ["合计", Cell(visits, _link(VISITS, county=county, **window)),
             Cell(sum(r.enterprises_covered for r in rows), _link(ENTERPRISES, county=county, **visited_window)),
             Cell(sum(r.problems_raised for r in rows), _link(PROBLEMS, county=county, **window)),
             Cell(sum(r.problems_solved for r in rows), _link(PROBLEMS, county=county, **solved_window)),
             Cell(overdue, _link(PROBLEMS, county=county, **late)),
             stats.percent(solve), stats.percent(satisfied)] if len(rows) > 1 else None
    table = Table("分县(市、区)情况", ["县(市、区)", "走访(次)", "覆盖企业(家)", "收集诉求", "办结诉求",
                                   "逾期诉求", "办结率", "满意率"],
                  table_rows, widths=[17, 11, 13, 11, 11, 11, 13, 13], total=total)
    charts = []
    if len(rows) > 1:
        charts.append(Chart("各县(市、区)走访与诉求", [r.county for r in rows],
                            {"走访(次)": [r.visits for r in rows],
                             "收集诉求(个)": [r.problems_raised for r in rows]}))
    text = (f"{period.title}，{region.name}党建惠企服务团走访企业 {visits} 次，覆盖企业 {covered} 家，"
            f"收集诉求 {raised} 个，办结 {solved} 个；截至期末仍有 {overdue} 个诉求逾期未办结。")
    return [Section("三送三进走访服务", figures=figures, charts=charts, tables=[table], text=text,
                    links=[("走访记录", _link(VISITS, county=county, **window)),
                           ("诉求看板", "/visits/problems/board/")])]
