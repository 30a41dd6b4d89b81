"""The region list as a file: the core's importer of regions (``jiceng import console regions``)
and the export that round-trips with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response
from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from console.files.exports import Columns, query_rows, stream_xlsx
from console.imports.pipeline import Column, Importer, RowError, parse_bool
from console.regions import rules as regions
from console.regions.models import REGION_LEVELS, Region

REGION_HEADERS = ("区划代码", "名称", "层级", "上级区划代码", "示例数据")

_LEVEL_WORDS = {
    **{key: key for key in REGION_LEVELS},
    **{title: key for key, title in REGION_LEVELS.items()},
    "县": "county", "区": "county", "县级": "county", "县(市)": "county", "县(区)": "county",
    "乡": "township", "镇": "township", "乡镇": "township", "街道": "township",
    "村": "village", "社区": "village",
}


def _parse_level(text: str) -> str:
    key = text.replace("（", "(").replace("）", ")").replace("，", "、").replace(" ", "")
    if key in _LEVEL_WORDS:
        return _LEVEL_WORDS[key]
    raise RowError(f"“{text}”不是有效的层级，应为：{'、'.join(REGION_LEVELS.values())}")


@dataclass
class _RegionContext:
    # code -> (id or None while only in the file, level, path, name)
    known: dict[str, list]
    seen_in_file: dict[str, int] = field(default_factory=dict)


def _prepare_regions(session) -> _RegionContext:
    rows = session.query(Region.code, Region.id, Region.level, Region.path, Region.name)
    return _RegionContext({code: [rid, level, path, name] for code, rid, level, path, name in rows})


def _validate_region(row: dict, ctx: _RegionContext) -> dict:
    code = row["code"]
    if code in ctx.seen_in_file:
        raise RowError(f"区划代码 {code} 与第 {ctx.seen_in_file[code]} 行重复", "code")
    if code in ctx.known:
        raise RowError(f"区划代码 {code} 已存在", "code")
    parent = None
    if row["parent_code"]:
        found = ctx.known.get(row["parent_code"])
        if found is None:
            raise RowError(f"上级区划代码 {row['parent_code']} 不存在（上级须已在系统中，或在本文件中更靠前的行）",
                           "parent_code")
        parent = Region(code=row["parent_code"], level=found[1], path=found[2], name=found[3])
    region = Region(code=code, name=row["name"], level=row["level"], parent=parent)
    try:
        # The tree's rules live in console.regions; the code clash it checks is already known.
        _prepare_without_queries(regions, region, parent)
    except regions.RegionError as exc:
        raise RowError(exc.message, _region_rule_column(exc.message)) from None
    ctx.seen_in_file[code] = row["_row"]
    ctx.known[code] = [None, region.level, region.path, region.name]
    row["path"] = region.path
    row["name"] = region.name
    return row


def _region_rule_column(message: str) -> str | None:
    for start, column in (("区划代码", "code"), ("名称", "name"), ("只有", "parent_code")):
        if message.startswith(start):
            return column
    return "level" if "下级应为" in message else None


class _NoQuerySession:
    """Stands in for the session in ``regions.prepare``: the parent is given, and clashes are
    checked against the context already, so no query per row."""

    def get(self, model, ident):
        return None

    def query(self, *args):
        return self

    def filter(self, *args):
        return self

    def first(self):
        return None


def _prepare_without_queries(regions, region, parent):
    region.parent = parent
    regions.prepare(_NoQuerySession(), region)


def _write_regions(session, rows: list[dict], ctx: _RegionContext) -> int:
    # One statement per row: a child in the same batch needs its parent's new id.
    for row in rows:
        parent_id = ctx.known[row["parent_code"]][0] if row["parent_code"] else None
        result = session.execute(insert(Region).values(
            code=row["code"], name=row["name"], level=row["level"], parent_id=parent_id,
            path=row["path"], example=bool(row.get("example")),
        ))
        ctx.known[row["code"]][0] = result.inserted_primary_key[0]
    return len(rows)


def region_importer() -> Importer:
    return Importer(
        kind="regions",
        title="行政区划",
        columns=(
            Column("区划代码", "code", help="2 到 20 位字母或数字，不能重复"),
            Column("名称", "name"),
            Column("层级", "level", parse=_parse_level,
                   help="市、县(市、区)、乡镇(街道)、村(社区) 之一"),
            Column("上级区划代码", "parent_code", required=False,
                   help="只有“市”一级可以留空；上级须已在系统中，或在本文件中更靠前的行"),
            Column("示例数据", "example", required=False, parse=parse_bool,
                   help="是：演示用的示例区划；否或留空：真实区划"),
        ),
        prepare=_prepare_regions,
        validate=_validate_region,
        table=Region,
        write=_write_regions,
        template_rows=(
            ("530600", "昭通市", "市", "", "否"),
            ("530602", "昭阳区", "县(市、区)", "530600", "否"),
            ("530602001", "示例街道", "乡镇(街道)", "530602", "是"),
            ("530602001001", "示例社区", "村(社区)", "530602001", "是"),
        ),
        description="新增区划；已有的区划代码会被拒绝。上级区划可以在同一文件中更靠前的行。",
        batch_size=500,
    )


# -- the export -----------------------------------------------------------------------------


def region_columns() -> Columns:
    """The columns of the region list, the same the region importer reads back."""
    return [
        ("区划代码", lambda r: r.code),
        ("名称", lambda r: r.name),
        ("层级", lambda r: REGION_LEVELS.get(r.level, r.level)),
        ("上级区划代码", lambda r: r.parent_code or ""),
        ("示例数据", lambda r: "是" if r.example else "否"),
    ]


def region_rows(session=None, within=None):
    """Every region (inside ``within`` when given), parents before their children."""
    parent = aliased(Region)
    stmt = (
        select(Region.code, Region.name, Region.level, Region.example,
               parent.code.label("parent_code"))
        .outerjoin(parent, parent.id == Region.parent_id)
        .order_by(Region.path)
    )
    if within is not None:
        stmt = stmt.where(Region.path.startswith(within.path))
    return query_rows(stmt, session=session)


def export_regions(within=None) -> Response:
    return stream_xlsx(region_rows(within=within), region_columns(), "行政区划.xlsx",
                       sheet_title="行政区划")
