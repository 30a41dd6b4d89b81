"""The 社会工作人才 section of the leadership briefing: certified workers by level and county,
registrations expiring or expired at the period's end and continuing-education compliance,
counted through stats inside the briefing's region, each number linked to the list behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from console import WITHIN_ARG, Cell, Chart, Figure, Region, Section, Table, db

from . import stats

CERTIFICATES = "/talent/certificates/list/"
EXPIRING = "/talent/expiring/"
DAYS = 90
# Flask-AppBuilder's filter numbers (see console.scope.WITHIN_ARG): string 3 equal; boolean
# 1 not equal ("y" is true), so revoked != true.
VALID = {"_flt_1_revoked": "y"}


def _link(base: str, **args) -> str:
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return base + ("?" + urlencode(args) if args else "")


def _certificates(county_id: int | None, level: str | None = None) -> str:
    return _link(CERTIFICATES, **VALID, _flt_3_level=level, **{WITHIN_ARG: county_id})


def _expiry(county_id: int | None, on) -> str:
    return _link(EXPIRING, on=on.isoformat(), days=DAYS, county=county_id)


def sections(period, region, appendix: bool = False) -> list[Section]:
    # Registrations are judged on the day after the period: one that ran out on its last day
    # has expired by then.
    on, before = period.end, period.previous().end
    county = region.id if region.level == "county" else None
    by_level = stats.certified_by_level(region)
    levels = list(by_level)
    expiring = len(stats.expiring_registrations(on, DAYS, region))
    expiring_before = len(stats.expiring_registrations(before, DAYS, region))
    expired = len(stats.expired_registrations(on, region))
    expired_before = len(stats.expired_registrations(before, region))
    education = stats.education_compliance(on, region)
    rate = education["compliant"] / education["total"] if education["total"] else None

    figures = [Figure(f"持证{level}", count, "人", link=_certificates(county, level), note="证书有效",
                      definition=f"期末持有有效{level}证书的人数")
               for level, count in by_level.items()]
    figures += [
        Figure(f"{DAYS} 天内登记到期", expiring, "人", expiring_before, _expiry(county, on),
               note="自期末起", higher_is_better=False,
               definition=f"登记有效期在期末起 {DAYS} 天内届满、尚未延续的人数"),
        Figure("登记已过期未延续", expired, "人", expired_before, _expiry(county, on), note="截至期末",
               higher_is_better=False, definition="期末登记已过有效期且未办理延续的人数"),
        Figure("继续教育达标率", rate, percent=True,
               note=f"在有效期内的登记 {education['total']} 人中学时已满 {education['compliant']} 人",
               definition="分母为期末在有效期内的登记人数，分子为其中继续教育学时已满的"),
    ]

    counts: dict[str, dict[str, int]] = {}
    for row in stats.certified_by_level_and_county(region):
        counts.setdefault(row["county"], {})[row["level"]] = row["count"]
        if row["level"] not in levels:
            levels.append(row["level"])
    counties = _counties(region)
    table_rows = []
    for c in counties:
        mine = counts.get(c.name, {})
        table_rows.append([c.name] + [Cell(mine.get(level, 0), _certificates(c.id, level)) for level in levels]
                          + [Cell(sum(mine.values()), _certificates(c.id))])
    total = None
    if len(counties) > 1:
        total = ["合计"] + [Cell(sum(counts.get(c.name, {}).get(level, 0) for c in counties),
                                _certificates(county, level)) for level in levels]
        total.append(Cell(sum(sum(m.values()) for m in counts.values()), _certificates(county)))
    share = round(80 / (len(levels) + 1), 1)
    table = Table("分县(市、区)持证情况（张）", ["县(市、区)"] + levels + ["合计"], table_rows,
                  widths=[20] + [share] * (len(levels) + 1), total=total)
    charts = []
    if len(counties) > 1:
        charts.append(Chart("各县(市、区)持证社工", [c.name for c in counties],
                            {level: [counts.get(c.name, {}).get(level, 0) for c in counties]
                             for level in levels}, unit="张"))
    percent = "—" if rate is None else f"{rate * 100:.1f}%"
    text = (f"截至{period.title}末，{region.name}持证社会工作者：" +
            "，".join(f"{level} {n} 人" for level, n in by_level.items()) +
            f"。{DAYS} 天内登记到期 {expiring} 人，已过期未延续 {expired} 人；继续教育达标率 {percent}。")
    return [Section("社会工作人才", figures=figures, charts=charts, tables=[table], text=text,
                    links=[("证书", _certificates(county)), ("登记到期情况", _expiry(county, on))])]


def _counties(region) -> list[Region]:
    if region.level == "county":
        return [region]
    return (db.session.query(Region).filter(Region.level == "county", Region.path.startswith(region.path))
            .order_by(Region.code).all())


