"""Importing the enterprise registry from .xlsx or .csv through the core's import pipeline.

Validation reads the counties, townships and existing credit codes once (``prepare``); each
row is then checked without a query, and valid rows are written with one bulk insert per batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from console import Column, Importer, Region, RowError, clock, insert_rows, scope

from .models import Enterprise
from .services import creditcode


def _credit_code(text: str) -> str:
    try:
        return creditcode.validate(text)
    except creditcode.CreditCodeError as exc:
        raise RowError(exc.message) from None


COLUMNS = (
    Column("企业名称", "name", aliases=("名称", "单位名称")),
    Column("统一社会信用代码", "credit_code", parse=_credit_code, aliases=("信用代码", "社会信用代码")),
    Column("县(市、区)", "county", aliases=("县市区", "县区", "所在县", "县(市,区)"),
           help="县(市、区)名称或区划代码，例如 昭阳区 或 530602"),
    Column("乡镇(街道)", "township", required=False, aliases=("乡镇", "街道", "乡镇街道")),
    Column("行业", "industry", required=False),
    Column("规模", "size", required=False, aliases=("企业规模",)),
    Column("地址", "address", required=False),
    Column("联系人", "contact_person", required=False),
    Column("联系电话", "contact_phone", required=False, aliases=("电话",)),
)


@dataclass
class _Context:
    counties: dict[str, tuple[int, str]]  # name or code -> (id, path)
    townships: dict[tuple[int, str], tuple[int, str]]  # (county id, name or code) -> (id, path)
    codes: set[str]
    scope_path: str | None
    seen: dict[str, int] = field(default_factory=dict)  # code -> row number in this file
    # The rows of one import are created at one moment (and a clock read per row is not free).
    now: dt.datetime = field(default_factory=clock.utcnow)


def prepare(session) -> _Context:
    counties, paths = {}, {}
    for rid, code, name, path in session.query(Region.id, Region.code, Region.name, Region.path).filter(
            Region.level == "county"):
        counties[code] = counties[name] = (rid, path)
        paths[rid] = path
    townships = {}
    for rid, code, name, parent_id, path in session.query(
            Region.id, Region.code, Region.name, Region.parent_id, Region.path).filter(
            Region.level == "township"):
        townships[(parent_id, name)] = townships[(parent_id, code)] = (rid, path)
    codes = {c for (c,) in session.query(Enterprise.credit_code).yield_per(50_000)}
    region = scope.current_region()
    return _Context(counties, townships, codes, region.path if region else None)


def validate(row: dict, ctx: _Context) -> dict:
    code = row["credit_code"]
    if code in ctx.codes:
        raise RowError(f"统一社会信用代码 {code} 已在企业名录中", "credit_code")
    if code in ctx.seen:
        raise RowError(f"与第 {ctx.seen[code]} 行的统一社会信用代码重复", "credit_code")
    county = ctx.counties.get(row["county"])
    if county is None:
        raise RowError(f"未知的县(市、区)：“{row['county']}”", "county")
    county_id, path = county
    region_id = county_id
    if row.get("township"):
        township = ctx.townships.get((county_id, row["township"]))
        if township is None:
            raise RowError(f"“{row['county']}”下没有乡镇(街道)“{row['township']}”", "township")
        region_id, path = township
    if ctx.scope_path and not path.startswith(ctx.scope_path):
        raise RowError("不在您的管辖范围内", "township" if region_id != county_id else "county")
    ctx.seen[code] = row["_row"]
    return {
        "_row": row["_row"], "name": row["name"], "credit_code": code, "region_id": region_id,
        "county_id": county_id, "industry": row.get("industry"), "size": row.get("size"),
        "address": row.get("address"), "contact_person": row.get("contact_person"),
        "contact_phone": row.get("contact_phone"), "created_at": ctx.now,
    }


def write(session, rows: list[dict], ctx: _Context) -> int:
    return insert_rows(session, Enterprise.__table__, rows)


def enterprise_importer() -> Importer:
    return Importer(
        kind="enterprises",
        title="企业名录",
        columns=COLUMNS,
        prepare=prepare,
        validate=validate,
        write=write,
        table=Enterprise.__table__,
        template_rows=(("昭通示例食品有限公司", creditcode.make("91", "530602", "MA6K0001"), "昭阳区", "",
                        "制造业", "小型", "昭阳区示例路 1 号", "张三", "0870-0000000"),),
        description="统一社会信用代码按 GB 32100-2015 校验；与名录或文件内其他行重复的代码、未知的县(市、区)均列入不合格行。",
    )
