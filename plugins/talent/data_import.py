"""Imports of the register from .xlsx/.csv through the core's pipeline (row-by-row report,
all-or-nothing): people, certificates, continuing-education hours.

Rows are checked by the same rules as the forms (identity number check digit, levels, hours
limits); people are matched by identity number through its keyed hash, never by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import insert

from console import (
    Column,
    Importer,
    Region,
    RowError,
    clock,
    parse_bool,
    parse_date,
    parse_int,
)

from .services import certificates, common, education, idnumber
from .errors import TalentError
from .models import Certificate, EducationEntry, Person

ID_HEADER = "身份证号"


def _example_id(prefix17: str) -> str:
    return prefix17 + idnumber.check_char(prefix17)


@dataclass
class _Ctx:
    today: dt.date
    regions: dict[str, int] = field(default_factory=dict)
    people: dict[str, tuple[int, int]] = field(default_factory=dict)  # hash -> (id, region_id)
    seen: set = field(default_factory=set)
    numbers: set = field(default_factory=set)


def _ctx(session, *, regions=False, people=False, numbers=False) -> _Ctx:
    ctx = _Ctx(today=common.today())
    if regions:
        ctx.regions = dict(session.query(Region.code, Region.id))
    if people:
        ctx.people = {h: (pid, rid) for h, pid, rid in
                      session.query(Person.id_number_hash, Person.id, Person.region_id)}
    if numbers:
        ctx.numbers = {n for (n,) in session.query(Certificate.management_number)}
    return ctx


def _id_number(text: str, ctx: _Ctx) -> str:
    try:
        return idnumber.validate(text, ctx.today)
    except TalentError as exc:
        raise RowError(exc.message, ID_HEADER) from None


def _known(number: str, ctx: _Ctx) -> tuple[int, int] | None:
    # Any hash the number may be stored under: rows written before a change of mode or key are
    # found too until they are migrated.
    return next((ctx.people[h] for h in idnumber.lookup_hashes(number) if h in ctx.people), None)


def _holder(row: dict, ctx: _Ctx) -> tuple[int, int]:
    number = _id_number(row["id_number"], ctx)
    found = _known(number, ctx)
    if found is None:
        raise RowError("人才库中没有此身份证号的人员，请先导入人员", ID_HEADER)
    return found


# -- people ---------------------------------------------------------------------------------


def _validate_person(row: dict, ctx: _Ctx) -> dict:
    number = _id_number(row.pop("id_number"), ctx)
    digest = idnumber.lookup_hash(number)
    if _known(number, ctx) is not None:
        raise RowError("该身份证号已在人才库中登记", ID_HEADER)
    if digest in ctx.seen:
        raise RowError("该身份证号在文件中重复出现", ID_HEADER)
    region_id = ctx.regions.get(row.pop("region_code"))
    if region_id is None:
        raise RowError("没有这个区划代码", "区划代码")
    ctx.seen.add(digest)
    return {**row, "region_id": region_id, "id_number_enc": idnumber.encrypt(number),
            "id_number_hash": digest, "id_number_masked": idnumber.mask(number),
            "community_worker": bool(row.get("community_worker")), "demo": False}


def _write_people(session, rows, ctx) -> int:
    now = clock.utcnow()
    session.execute(insert(Person.__table__), [{**r, "created_at": now} for r in rows])
    return len(rows)


def people_importer() -> Importer:
    return Importer(
        kind="people", title="社会工作人才（人员）",
        description="每行一人；身份证号校验后加密保存，重复的身份证号不导入。",
        columns=(
            Column("姓名", "name"),
            Column(ID_HEADER, "id_number", aliases=("公民身份号码", "身份证号码"), sensitive=True),
            Column("区划代码", "region_code", aliases=("所在区域代码",),
                   help="所在村(社区)、乡镇或县的区划代码"),
            Column("工作单位", "employer", required=False),
            Column("持证社区工作者", "community_worker", required=False, parse=parse_bool),
            Column("联系方式", "contact", required=False),
        ),
        prepare=lambda s: _ctx(s, regions=True, people=True),
        validate=_validate_person, write=_write_people, table=Person,
        template_rows=(("示例张三", _example_id("53060219900101001"), "530602001001", "示例社工站",
                        "是", "13800000000"),),
    )


# -- certificates ---------------------------------------------------------------------------


def _validate_certificate(row: dict, ctx: _Ctx) -> dict:
    person_id, region_id = _holder(row, ctx)
    row.pop("id_number")
    if row["level"] not in common.level_hours():
        raise RowError(f"等级须为以下之一：{'、'.join(common.levels())}", "职业水平等级")
    if row["route"] not in common.routes():
        raise RowError(f"取得方式须为以下之一：{'、'.join(common.routes())}", "取得方式")
    if not common.FIRST_EXAM_YEAR <= row["year_obtained"] <= ctx.today.year:
        raise RowError(f"取得年份须在 {common.FIRST_EXAM_YEAR} 年至 {ctx.today.year} 年之间", "取得年份")
    number = row["management_number"]
    if number in ctx.numbers:
        raise RowError(f"管理号“{number}”已存在或在文件中重复", "管理号")
    ctx.numbers.add(number)
    return {**row, "person_id": person_id, "region_id": region_id, "revoked": False}


def _write_certificates(session, rows, ctx) -> int:
    session.execute(insert(Certificate.__table__),
                    [{**r, "token": certificates.new_token()} for r in rows])
    return len(rows)


def certificates_importer() -> Importer:
    return Importer(
        kind="certificates", title="社会工作者职业水平证书",
        description="持证人须已在人才库中（按身份证号匹配）；管理号不能重复。",
        columns=(
            Column(ID_HEADER, "id_number", aliases=("持证人身份证号",), sensitive=True),
            Column("职业水平等级", "level", aliases=("等级",)),
            Column("管理号", "management_number", aliases=("证书管理号",)),
            Column("取得年份", "year_obtained", parse=lambda t: parse_int(t, min=1900, max=2200)),
            Column("取得方式", "route"),
        ),
        prepare=lambda s: _ctx(s, people=True, numbers=True),
        validate=_validate_certificate, write=_write_certificates, table=Certificate,
        template_rows=((_example_id("53060219900101001"), "社会工作师", "示例2020530602000001",
                        2020, "考试"),),
    )


# -- continuing education hours -------------------------------------------------------------


def _validate_hours(row: dict, ctx: _Ctx) -> dict:
    person_id, region_id = _holder(row, ctx)
    row.pop("id_number")
    if row["source"] not in common.education_sources():
        raise RowError(f"来源须为以下之一：{'、'.join(common.education_sources())}", "来源")
    try:
        row["hours"] = education.parse_hours(row["hours"])
    except TalentError as exc:
        raise RowError(exc.message, "学时") from None
    if row["taken_on"] > ctx.today:
        raise RowError("学习日期不能晚于今天", "学习日期")
    if row["taken_on"].year < common.FIRST_EXAM_YEAR:
        raise RowError(f"学习日期不能早于 {common.FIRST_EXAM_YEAR} 年", "学习日期")
    return {**row, "person_id": person_id, "region_id": region_id}


def _write_hours(session, rows, ctx) -> int:
    session.execute(insert(EducationEntry.__table__), rows)
    return len(rows)


def hours_importer() -> Importer:
    return Importer(
        kind="hours", title="继续教育学时",
        description="每行一条学时记录；人员按身份证号匹配。",
        columns=(
            Column(ID_HEADER, "id_number", sensitive=True),
            Column("来源", "source", aliases=("继续教育来源",)),
            Column("学时", "hours"),
            Column("学习日期", "taken_on", parse=parse_date, aliases=("日期",)),
            Column("内容", "title", required=False),
        ),
        prepare=lambda s: _ctx(s, people=True),
        validate=_validate_hours, write=_write_hours, table=EducationEntry,
        template_rows=((_example_id("53060219900101001"), "集中培训", 8, "2025-03-01", "示例：个案管理培训"),),
    )


def all_importers() -> list[Importer]:
    return [people_importer(), certificates_importer(), hours_importer()]
