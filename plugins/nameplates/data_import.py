"""Registers the module owner can load from .xlsx/.csv: cancelled certificates and whitelist
plaques (a new version, or more plaques for an existing one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, insert

from console import (
    Column,
    Importer,
    RowError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
)

from .models import CancelledCertificate, WhitelistItem, WhitelistVersion
from .services.registers import normalize

POSITION_CHOICES = {"门外": "outside", "门内": "inside", "outside": "outside", "inside": "inside"}


# -- cancelled certificates -----------------------------------------------------------------


@dataclass
class _CertContext:
    names: set[str]
    numbers: set[int]
    next_number: int
    seen: set[str] = field(default_factory=set)


def _prepare_certificates(session) -> _CertContext:
    rows = session.query(CancelledCertificate.name, CancelledCertificate.number).all()
    numbers = {n for _, n in rows}
    return _CertContext({normalize(n) for n, _ in rows}, numbers, max(numbers, default=0) + 1)


def _validate_certificate(row: dict, ctx: _CertContext) -> dict:
    key = normalize(row["name"])
    if key in ctx.names:
        raise RowError("该证明已在清单中", "name")
    if key in ctx.seen:
        raise RowError("文件中重复", "name")
    ctx.seen.add(key)
    if row.get("number") is None:
        while ctx.next_number in ctx.numbers:
            ctx.next_number += 1
        row["number"] = ctx.next_number
    elif row["number"] in ctx.numbers:
        raise RowError(f"序号 {row['number']} 已被占用", "number")
    ctx.numbers.add(row["number"])
    row["name"] = " ".join(row["name"].split())
    row["example"] = bool(row.get("example"))
    return row


def _write_certificates(session, rows, ctx) -> int:
    session.execute(insert(CancelledCertificate), rows)
    return len(rows)


def certificate_importer() -> Importer:
    return Importer(
        kind="cancelled_certificates",
        title="取消不应出具证明事项",
        columns=(
            Column("证明名称", "name", aliases=("名称",)),
            Column("序号", "number", required=False, parse=lambda t: parse_int(t, min=1)),
            Column("说明", "note", required=False),
            Column("示例", "example", required=False, parse=parse_bool, help="措辞未核对原文时填“是”"),
        ),
        prepare=_prepare_certificates,
        validate=_validate_certificate,
        write=_write_certificates,
        table=CancelledCertificate,
        template_rows=(("出具亲属关系证明", 35, "按文件取消", "否"),),
        description="逐行导入取消不应出具的证明；已在清单中的名称会被拒绝。",
    )


# -- whitelist plaques ----------------------------------------------------------------------


@dataclass
class _WhitelistContext:
    versions: dict[int, int]  # number -> id
    existing: set[tuple[int, str]]  # (version number, name)
    new_versions: dict[int, object] = field(default_factory=dict)  # number -> effective date
    seen: set[tuple[int, str]] = field(default_factory=set)


def _prepare_whitelist(session) -> _WhitelistContext:
    versions = dict(session.query(WhitelistVersion.number, WhitelistVersion.id).all())
    existing = {
        (number, normalize(name))
        for number, name in session.query(WhitelistVersion.number, WhitelistItem.name).join(WhitelistItem.version)
    }
    return _WhitelistContext(versions, existing)


def _validate_whitelist(row: dict, ctx: _WhitelistContext) -> dict:
    number, name = row["version"], normalize(row["name"])
    if not name:
        raise RowError("牌子名称不能为空", "name")
    if number not in ctx.versions:
        if row.get("effective_on") is None and number not in ctx.new_versions:
            raise RowError(f"第 {number} 版尚不存在，新版本须填写生效日期", "effective_on")
        ctx.new_versions.setdefault(number, row.get("effective_on"))
    if (number, name) in ctx.existing or (number, name) in ctx.seen:
        raise RowError(f"第 {number} 版已有“{name}”", "name")
    ctx.seen.add((number, name))
    row["name"] = name
    return row


def _write_whitelist(session, rows, ctx: _WhitelistContext) -> int:
    for number, effective_on in ctx.new_versions.items():
        if number not in ctx.versions:
            version = WhitelistVersion(number=number, effective_on=effective_on, note="由导入新建")
            session.add(version)
            session.flush()
            ctx.versions[number] = version.id
    sort = dict(
        session.query(WhitelistItem.version_id, func.max(WhitelistItem.sort)).group_by(WhitelistItem.version_id).all()
    )
    values = []
    for row in rows:
        version_id = ctx.versions[row["version"]]
        sort[version_id] = (sort.get(version_id) or 0) + 1
        values.append({"version_id": version_id, "name": row["name"], "position": row["position"],
                       "sort": sort[version_id]})
    session.execute(insert(WhitelistItem), values)
    return len(values)


def whitelist_importer() -> Importer:
    return Importer(
        kind="whitelist_items",
        title="挂牌白名单牌子",
        columns=(
            Column("版本号", "version", parse=lambda t: parse_int(t, min=1)),
            Column("牌子名称", "name", aliases=("名称",)),
            Column("位置", "position", parse=parse_choice(POSITION_CHOICES), help="门外或门内"),
            Column("生效日期", "effective_on", required=False, parse=parse_date, help="新版本必填"),
        ),
        prepare=_prepare_whitelist,
        validate=_validate_whitelist,
        write=_write_whitelist,
        table=WhitelistItem,
        template_rows=((2, "村党组织", "门外", "2026-01-01"), (2, "综治中心", "门内", "2026-01-01")),
        description="导入白名单牌子；版本号不存在时按生效日期新建该版本。",
    )


def all_importers() -> list[Importer]:
    return [certificate_importer(), whitelist_importer()]
