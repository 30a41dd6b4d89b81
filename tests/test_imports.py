"""The import pipeline: files in every accepted form, row rules, reports, jobs, CLI and page.

A small test-only plugin (``samples``) declares an importer over a table of its own, registered
exactly as a module's would be (``EXTRA_PLUGINS``, ``importers`` hook).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from console import PluginInfo, hookimpl
from console.imports import catalog
from console.imports import pipeline as imports
from console.database import bulk
from console.plugins import manager as plugins_service
from console.security import accounts
from console.foundation.extensions import db
from console.imports.pipeline import Column, Importer, ImportRefused, RowError
from console.audit.models import AuditLog
from console.imports.models import ImportJob
from console.regions.models import Region
from console.foundation.clock import utcnow
from tests.conftest import BACKEND
from tests.support import login, logout, write_xlsx

sample_meta = sa.MetaData()
sample_items = sa.Table(
    "samples_item", sample_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(6), unique=True, nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("amount", sa.Integer),
    sa.Column("day", sa.Date),
    sa.Column("region_id", sa.Integer),
)


def _code(text: str) -> str:
    if not (len(text) == 6 and text.isdigit()):
        raise RowError("编号须为 6 位数字")
    return text


# Who the rules saw as the importing user and their scope, whichever thread ran them.
SEEN_BY_PREPARE: list[tuple] = []


def _prepare(session):
    from console.audit import log as audit
    from console.regions import scope

    region = scope.current_region()
    SEEN_BY_PREPARE.append((audit.actor_name(), region.code if region else None))
    return {
        "codes": {c for (c,) in session.execute(sa.select(sample_items.c.code))},
        "regions": {name: rid for rid, name in session.query(Region.id, Region.name)},
        "seen": {},
    }


def _validate(row, ctx):
    if row["code"] in ctx["codes"]:
        raise RowError(f"编号 {row['code']} 已存在", "code")
    if row["code"] in ctx["seen"]:
        raise RowError(f"编号 {row['code']} 与第 {ctx['seen'][row['code']]} 行重复", "编号")
    if row["amount"] is not None and row["amount"] > 100 and row["day"] is None:
        raise RowError("数量大于 100 时须填写日期", "day")
    region = row.pop("region")
    if region is not None:
        if region not in ctx["regions"]:
            raise RowError(f"没有名为“{region}”的区域", "region")
        row["region_id"] = ctx["regions"][region]
    else:
        row["region_id"] = None
    ctx["seen"][row["code"]] = row["_row"]
    return row


def _write(session, rows, ctx):
    session.execute(sa.insert(sample_items), rows)


SAMPLE_IMPORTER = Importer(
    kind="items",
    title="样例条目",
    columns=(
        Column("编号", "code", parse=_code),
        Column("名称", "name"),
        Column("数量", "amount", required=False, aliases=("数目",),
               parse=lambda t: imports.parse_int(t, min=0)),
        Column("日期", "day", required=False, parse=imports.parse_date),
        Column("所属区域", "region", required=False),
    ),
    prepare=_prepare,
    validate=_validate,
    write=_write,
    table=sample_items,
    template_rows=(("000001", "示例", 3, "2025-03-01", "昭阳区"),),
    batch_size=3,  # small, so that tests cross batch boundaries
)


class SamplesPlugin:
    __plugin_name__ = "samples"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="samples", title="样例")

    @hookimpl
    def importers(self):
        return [SAMPLE_IMPORTER]


HEADER = ["编号", "名称", "数量", "日期", "所属区域"]
GOOD = [
    ["100001", "甲", "5", "2025-03-01", "昭阳区"],
    ["100002", "乙", "", "", ""],
    ["100003", "丙丁", "200", "2025/4/2", "镇雄县"],
    ["100004", "戊", "0", "2025年5月6日", ""],
]


def write_csv(path, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


@pytest.fixture
def samples_app(make_app):
    app = make_app(EXTRA_PLUGINS=[SamplesPlugin()], IMPORTS_RUN_INLINE=True)
    with app.app_context():
        sample_meta.create_all(db.engine)
        plugins_service.set_enabled("samples", True)
    return app


@pytest.fixture
def ctx(samples_app):
    with samples_app.app_context():
        yield samples_app


def stored():
    rows = db.session.execute(sa.select(sample_items.c.code, sample_items.c.name,
                                        sample_items.c.amount, sample_items.c.day,
                                        sample_items.c.region_id).order_by(sample_items.c.code))
    return [tuple(r) for r in rows]


def region_id(name):
    return db.session.query(Region.id).filter(Region.name == name).scalar()


# -- reading every accepted form ------------------------------------------------------------


@pytest.mark.parametrize("form", ["utf-8", "utf-8-sig", "gbk", "gb18030", "xlsx"])
def test_utf8_bom_gbk_csv_and_xlsx_all_import_the_same_rows(ctx, tmp_path, form):
    if form == "xlsx":
        path = write_xlsx(tmp_path / "items.xlsx", [HEADER, *GOOD])
    else:
        path = write_csv(tmp_path / "items.csv", [HEADER, *GOOD], encoding=form)
    result = imports.run(SAMPLE_IMPORTER, path, plugin="samples")
    assert (result.state, result.rows_total, result.rows_written, result.rows_rejected) == (
        "succeeded", 4, 4, 0)
    assert result.report is None
    assert stored() == [
        ("100001", "甲", 5, dt.date(2025, 3, 1), region_id("昭阳区")),
        ("100002", "乙", None, None, None),
        ("100003", "丙丁", 200, dt.date(2025, 4, 2), region_id("镇雄县")),
        ("100004", "戊", 0, dt.date(2025, 5, 6), None),
    ]


def test_xlsx_typed_cells_read_like_their_text(ctx, tmp_path):
    path = write_xlsx(tmp_path / "typed.xlsx", [HEADER, [100001, "甲", 5, dt.datetime(2025, 3, 1), None]])
    result = imports.run(SAMPLE_IMPORTER, path, plugin="samples")
    assert result.state == "succeeded", result.problems
    assert stored() == [("100001", "甲", 5, dt.date(2025, 3, 1), None)]


def test_headers_tolerate_spaces_aliases_and_a_title_row_above(ctx, tmp_path):
    rows = [["样例条目清单"], [" 编号 ", "名称\u3000", "数目", "备注"], ["100001", "甲", "7", "无关的列"]]
    result = imports.run(SAMPLE_IMPORTER, write_xlsx(tmp_path / "t.xlsx", rows), plugin="samples")
    assert result.state == "succeeded", result.problems
    assert stored() == [("100001", "甲", 7, None, None)]


# -- bad rows -------------------------------------------------------------------------------


BAD = [
    ["100001", "甲", "5", "", ""],
    ["12AB", "乙", "", "", ""],  # row 3: code format
    ["100003", "", "-1", "", ""],  # row 4: name empty and amount negative
    ["100004", "丁", "300", "", ""],  # row 5: cross-field rule
    ["100001", "戊", "", "", ""],  # row 6: duplicate of row 2
    ["100006", "己", "", "2025-02-30", "火星"],  # row 7: bad date
    ["100007", "庚", "", "", "火星"],  # row 8: unknown region
    ["100008", "辛", "", "", ""],
]
BAD_PROBLEMS = [
    (3, "编号", "编号须为 6 位数字"),
    (4, "名称", "不能为空"),
    (4, "数量", "不能小于 0"),
    (5, "日期", "数量大于 100 时须填写日期"),
    (6, "编号", "编号 100001 与第 2 行重复"),
    (7, "日期", "“2025-02-30”不是有效的日期（例如 2025-03-01）"),
    (8, "所属区域", "没有名为“火星”的区域"),
]


def _seed_existing(tmp_path):
    path = write_csv(tmp_path / "seed.csv", [HEADER, ["900001", "原有", "1", "", ""]])
    assert imports.run(SAMPLE_IMPORTER, path, plugin="samples").state == "succeeded"


def test_a_bad_row_is_reported_with_row_column_and_reason(ctx, tmp_path):
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]),
                         plugin="samples")
    assert [(p.row, p.column, p.reason) for p in result.problems] == BAD_PROBLEMS
    assert result.rows_rejected == 6
    assert result.rows_total == 8


def test_all_or_nothing_leaves_the_table_exactly_as_it_was(ctx, tmp_path):
    _seed_existing(tmp_path)
    before = stored()
    # Enough good rows before the bad one that several batches were already prepared.
    rows = [[f"2000{i:02d}", f"好{i}", "", "", ""] for i in range(10)] + [["bad", "坏", "", "", ""]]
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "b.csv", [HEADER, *rows]),
                         plugin="samples")
    assert result.state == "rejected"
    assert result.rows_written == 0
    assert [(p.row, p.column) for p in result.problems] == [(12, "编号")]
    assert stored() == before
    assert "未写入任何数据" in result.message


def test_duplicates_against_the_registry_are_rejected(ctx, tmp_path):
    _seed_existing(tmp_path)
    result = imports.run(SAMPLE_IMPORTER,
                         write_csv(tmp_path / "d.csv", [HEADER, ["900001", "又一个", "", "", ""]]),
                         plugin="samples")
    assert [(p.row, p.column, p.reason) for p in result.problems] == [(2, "编号", "编号 900001 已存在")]


def test_skip_bad_rows_writes_the_good_ones(ctx, tmp_path):
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]),
                         plugin="samples", all_or_nothing=False)
    assert (result.state, result.rows_written, result.rows_rejected) == ("partial", 2, 6)
    assert [r[0] for r in stored()] == ["100001", "100008"]


def test_report_lists_every_rejected_row_with_its_original_values(ctx, tmp_path):
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]),
                         plugin="samples")
    wb = load_workbook(io.BytesIO(result.report), read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    assert rows[0] == ["行号", "列", "原因", *HEADER]
    assert [tuple(r[:3]) for r in rows[1:]] == BAD_PROBLEMS
    assert rows[1][3:5] == ["12AB", "乙"]
    assert rows[6][3:] == ["100006", "己", None, "2025-02-30", "火星"]


def test_a_formula_in_a_rejected_row_stays_text_in_the_report(ctx, tmp_path):
    rows = [HEADER, ["x", '=HYPERLINK("http://x","y")', "", "", ""]]
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "f.csv", rows), plugin="samples")
    wb = load_workbook(io.BytesIO(result.report))
    cell = wb.active.cell(2, 5)
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(\"http://x\",\"y\")"
    wb.close()


# -- files refused as a whole ---------------------------------------------------------------


def _png(path):
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(path, format="PNG")
    return str(path)


@pytest.mark.parametrize("make, message", [
    (lambda p: write_csv(p / "m.csv", [["编号", "备注"], ["100001", "x"]]), "缺少必需的列：名称"),
    (lambda p: write_xlsx(p / "m.xlsx", [["名字"], ["甲"]]), "缺少必需的列：编号、名称"),
    (lambda p: _png(p / "picture.xlsx"), "文件不是 .xlsx 或 .csv 表格"),
    (lambda p: _png(p / "picture.csv"), "文件不是 .xlsx 或 .csv 表格"),
    (lambda p: (p / "empty.csv").write_bytes(b"") and str(p / "empty.csv") or str(p / "empty.csv"),
     "文件是空的"),
    (lambda p: write_csv(p / "h.csv", [HEADER]), "只有表头，没有数据行"),
    (lambda p: write_csv(p / "blank.csv", [[], [], []]), "没有表头行"),
    (lambda p: (p / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600) and str(p / "old.xls"),
     "不支持旧版 Excel"),
    (lambda p: (p / "zip.xlsx").write_bytes(_zip_bytes()) and str(p / "zip.xlsx"),
     "不是有效的 .xlsx 表格"),
])
def test_files_that_are_not_importable_are_refused_in_chinese(ctx, tmp_path, make, message):
    path = make(tmp_path)
    before = stored()
    with pytest.raises(ImportRefused) as caught:
        imports.run(SAMPLE_IMPORTER, path, plugin="samples")
    assert message in caught.value.message
    assert stored() == before
    job = db.session.query(ImportJob).order_by(ImportJob.id.desc()).first()
    assert job.state == "failed" and message in job.error


def _zip_bytes():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "不是表格")
    return buf.getvalue()


def test_missing_column_message_names_what_the_header_needs(ctx, tmp_path):
    with pytest.raises(ImportRefused) as caught:
        imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "m.csv", [["名称"], ["甲"]]))
    assert caught.value.message == "缺少必需的列：编号。表头（第一行）应包含：编号、名称"


# -- jobs, progress, audit ------------------------------------------------------------------


def test_job_counters_and_report_are_stored(ctx, tmp_path):
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]),
                         plugin="samples", all_or_nothing=False, user_id=1)
    job = db.session.get(ImportJob, result.job_id)
    assert (job.plugin, job.kind, job.filename, job.state) == ("samples", "items", "bad.csv", "partial")
    assert (job.rows_total, job.rows_done, job.rows_written, job.rows_rejected) == (8, 8, 2, 6)
    assert job.report == result.report
    assert job.finished_at is not None and job.created_by_id == 1
    view = imports.job_view(job)
    assert view["percent"] == 100 and view["state_title"] == "部分导入"


def test_progress_is_visible_to_another_connection_while_rows_are_validated(ctx, tmp_path):
    seen = []
    original = SAMPLE_IMPORTER.validate

    def watching(row, c):
        # What another request would read at this moment, through its own connection.
        with db.engine.connect() as conn:
            seen.append(conn.execute(sa.select(ImportJob.state, ImportJob.rows_done)
                                     .order_by(ImportJob.id.desc())).first())
        return original(row, c)

    importer = dataclasses.replace(SAMPLE_IMPORTER, validate=watching)
    rows = [[f"3000{i:02d}", "x", "", "", ""] for i in range(5)]
    imports.PROGRESS_EVERY_SECONDS, saved = 0, imports.PROGRESS_EVERY_SECONDS
    try:
        imports.run(importer, write_csv(tmp_path / "p.csv", [HEADER, *rows]), plugin="samples")
    finally:
        imports.PROGRESS_EVERY_SECONDS = saved
    assert {state for state, _ in seen} == {"running"}
    assert [done for _, done in seen] == [0, 1, 2, 3, 4]


def test_a_running_job_whose_worker_stopped_beating_is_shown_as_failed(ctx):
    job_id = imports.create_job("samples", "items", "x.csv")
    imports._job_update(job_id, state="running", heartbeat_at=utcnow() - dt.timedelta(minutes=10))
    view = imports.job_view(db.session.get(ImportJob, job_id))
    assert view["state"] == "failed" and view["finished"]
    assert "导入进程已中断" in view["error"]
    imports._job_update(job_id, heartbeat_at=utcnow())
    db.session.expire_all()
    assert imports.job_view(db.session.get(ImportJob, job_id))["state"] == "running"


def test_an_import_is_audited_with_its_summary(ctx, tmp_path):
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "ok.csv", [HEADER, *GOOD]),
                         plugin="samples")
    entry = db.session.query(AuditLog).filter(AuditLog.action == "import").one()
    assert entry.entity == "samples.items" and entry.entity_id == str(result.job_id)
    assert "共 4 行" in entry.summary and "全部写入" in entry.summary


def test_a_failing_write_rolls_back_everything_and_fails_the_job(ctx, tmp_path):
    calls = []

    def write_then_break(session, rows, c):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        _write(session, rows, c)

    importer = dataclasses.replace(SAMPLE_IMPORTER, write=write_then_break)
    rows = [[f"4000{i:02d}", "x", "", "", ""] for i in range(5)] + [["bad", "x", "", "", ""]]
    result = imports.run(importer, write_csv(tmp_path / "w.csv", [HEADER, *rows]), plugin="samples",
                         all_or_nothing=False)
    assert result.state == "failed" and "已全部回滚" in result.message
    assert calls == [3, 2]
    assert stored() == []
    assert db.session.get(ImportJob, result.job_id).state == "failed"


def test_text_longer_than_its_table_column_is_a_rejected_row_not_a_failed_write(ctx, tmp_path):
    # samples_item.name is VARCHAR(50): PostgreSQL would refuse 51 characters at the write,
    # SQLite would store them.  Both reject the row, with its row and column.
    rows = [["500001", "长" * 50, "", "", ""], ["500002", "长" * 51, "", "", ""]]
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "long.csv", [HEADER, *rows]),
                         plugin="samples")
    assert result.state == "rejected"
    assert [(p.row, p.column, p.reason) for p in result.problems] == [(3, "名称", "不能超过 50 个字")]
    assert stored() == []
    result = imports.run(SAMPLE_IMPORTER, write_csv(tmp_path / "fits.csv", [HEADER, rows[0]]),
                         plugin="samples")
    assert result.state == "succeeded"
    assert stored() == [("500001", "长" * 50, None, None, None)]


def test_an_importer_holds_text_columns_to_its_tables_lengths():
    table = sa.Table("t", sa.MetaData(), sa.Column("code", sa.String(6)), sa.Column("note", sa.Text),
                     sa.Column("amount", sa.Integer), sa.Column("name", sa.String(50)))
    importer = Importer(kind="k", title="t", write=_write, table=table, columns=(
        Column("编号", "code"), Column("说明", "note"), Column("数量", "amount"),
        Column("名称", "name", max_length=20), Column("区域", "region")))
    assert [c.max_length for c in importer.columns] == [6, None, None, 20, None]
    untied = Importer(kind="k", title="t", write=_write, columns=(Column("编号", "code"),))
    assert untied.columns[0].max_length is None


def test_every_importers_text_columns_are_held_to_their_tables(ctx):
    # Each module's importer names its table, so a cell too long for it is a rejected row.
    held = {(plugin, kind): {c.field: c.max_length for c in importer.columns if c.max_length}
            for (plugin, kind), importer in catalog.available().items()}
    assert held[("visits", "enterprises")] == {
        "name": 200, "credit_code": 18, "industry": 50, "size": 20, "address": 200,
        "contact_person": 50, "contact_phone": 30}
    assert held[("talent", "people")] == {"name": 50, "employer": 200, "contact": 100}
    assert held[("talent", "certificates")] == {"level": 30, "management_number": 50, "route": 30}
    assert held[("talent", "hours")] == {"source": 50, "title": 200}
    assert held[("nameplates", "cancelled_certificates")] == {"name": 200, "note": 500}
    assert held[("nameplates", "whitelist_items")] == {"name": 100, "position": 10}
    assert held[("console", "regions")] == {"code": 20, "name": 100, "level": 10}


def test_insert_rows_processes_every_value_once_repeated_or_not(ctx):
    days = [dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1), None, dt.date(2025, 2, 1),
            dt.date(2025, 1, 1)]
    shared = dt.date(2025, 3, 1)
    days += [shared, shared, None, None, shared]
    rows = [{"code": f"60{i:04d}", "name": "x", "amount": None, "day": day, "region_id": None}
            for i, day in enumerate(days)]
    assert bulk.insert_rows(db.session, sample_items, rows) == len(rows)
    db.session.commit()
    assert [r[3] for r in stored()] == days


@pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL's page cache is the server's (shared_buffers), "
                    "not set per connection: the import leaves it alone")
def test_the_bulk_page_cache_is_the_imports_alone(ctx):
    conn = db.session.connection()
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    with bulk.bulk_page_cache(db.session):
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -bulk.BULK_PAGE_CACHE_KIB
    assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before != -bulk.BULK_PAGE_CACHE_KIB


def test_template_has_the_header_and_example_rows(ctx):
    wb = load_workbook(io.BytesIO(imports.template_xlsx(SAMPLE_IMPORTER)))
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1][:2] == ["000001", "示例"]
    assert wb.sheetnames[1] == "填写说明"


def test_find_names_the_available_kinds(ctx):
    assert catalog.find("samples", "items") is SAMPLE_IMPORTER
    assert catalog.find("console", "regions").title == "行政区划"
    with pytest.raises(Exception, match="可用：items"):
        catalog.find("samples", "nothing")
    plugins_service.set_enabled("samples", False)
    with pytest.raises(Exception, match="未安装或未启用"):
        catalog.find("samples", "items")


# -- regions --------------------------------------------------------------------------------


REGION_HEADER = ["区划代码", "名称", "层级", "上级区划代码"]


def test_region_list_imports_new_regions_with_parents_earlier_in_the_file(ctx, tmp_path):
    rows = [REGION_HEADER,
            ["530602901", "新街道", "乡镇(街道)", "530602"],
            ["530602901001", "新社区", "村(社区)", "530602901"],
            ["530602901002", "新村", "village", "530602901"]]
    result = imports.run(catalog.find("console", "regions"), write_xlsx(tmp_path / "r.xlsx", rows),
                         plugin="console")
    assert result.state == "succeeded", result.problems
    village = db.session.query(Region).filter_by(code="530602901002").one()
    assert village.level == "village" and village.parent.code == "530602901"
    assert village.path == "530600.530602.530602901.530602901002."


def test_region_rules_reject_bad_rows(ctx, tmp_path):
    rows = [REGION_HEADER,
            ["530602", "昭阳区", "县(市、区)", "530600"],
            ["530602902", "新乡", "村", "530602"],
            ["530602903", "某镇", "省", "530602"],
            ["5306029041", "孤村", "村(社区)", "999999"],
            ["x", "坏代码", "乡镇(街道)", "530602"],
            ["530699", "又一市", "县", ""]]
    result = imports.run(catalog.find("console", "regions"), write_csv(tmp_path / "r.csv", rows))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "区划代码"), (3, "层级"), (4, "层级"), (5, "上级区划代码"), (6, "区划代码"),
        (7, "上级区划代码")]
    assert result.problems[1].reason == "“昭阳区”的下级应为乡镇(街道)，不是村(社区)"
    assert result.problems[5].reason == "只有“市”一级可以没有上级区划"
    assert result.state == "rejected"


def _tree():
    rows = db.session.query(Region.code, Region.name, Region.level, Region.path, Region.example)
    parents = dict(db.session.query(Region.id, Region.code))
    by_code = {r.code: r for r in db.session.query(Region)}
    return sorted((*r, parents.get(by_code[r.code].parent_id)) for r in rows)


def test_region_list_round_trips_through_export_and_import_into_an_empty_database(ctx, tmp_path):
    from console.imports import regions as region_io
    from console.security.users import ConsoleUser

    before = _tree()
    assert len(before) == 1 + 11 + 150 + 1424
    path = tmp_path / "regions.xlsx"
    with ctx.test_request_context():
        response = region_io.export_regions()
        response.direct_passthrough = False
        path.write_bytes(response.get_data())
        response.close()
    db.session.query(ConsoleUser).update({ConsoleUser.scope_region_id: None})
    db.session.query(Region).update({Region.parent_id: None})
    db.session.query(Region).delete()
    db.session.commit()
    assert db.session.query(Region).count() == 0
    result = imports.run(catalog.find("console", "regions"), str(path), plugin="console")
    assert result.state == "succeeded", result.problems[:3]
    assert result.rows_written == len(before)
    assert _tree() == before


# -- the command line -----------------------------------------------------------------------


def test_cli_imports_and_says_so(samples_app, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [HEADER, *GOOD])
    result = samples_app.test_cli_runner().invoke(args=["import", "samples", "items", path])
    assert result.exit_code == 0, result.output
    assert "全部写入（4 行）" in result.output


def test_cli_rejects_a_bad_file_with_exit_code_and_report(samples_app, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [HEADER, *BAD])
    report = tmp_path / "report.xlsx"
    runner = samples_app.test_cli_runner()
    result = runner.invoke(args=["import", "samples", "items", path, "--report", str(report)])
    assert result.exit_code == 1
    assert "第 3 行“编号”：编号须为 6 位数字" in result.output
    assert "未写入任何数据" in result.output
    wb = load_workbook(report, read_only=True)
    assert len(list(wb.worksheets[0].iter_rows())) == 1 + len(BAD_PROBLEMS)
    wb.close()
    with samples_app.app_context():
        assert stored() == []

    result = runner.invoke(args=["import", "samples", "items", path, "--skip-bad-rows"])
    assert result.exit_code == 0
    assert "写入 2 行，跳过不合格的 6 行" in result.output


@pytest.mark.parametrize("args, message", [
    (["import", "samples", "nothing", "x.csv"], "可用：items"),
    (["import", "nosuch", "items", "x.csv"], "未安装或未启用"),
    (["import", "samples", "items", "/no/such/file.csv"], "文件不存在"),
])
def test_cli_refusals_exit_non_zero_in_chinese(samples_app, tmp_path, args, message):
    if args[-1] == "x.csv":
        args[-1] = write_csv(tmp_path / "x.csv", [HEADER, *GOOD])
    result = samples_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert message in result.output


def test_cli_refuses_a_file_that_is_not_a_spreadsheet(samples_app, tmp_path):
    result = samples_app.test_cli_runner().invoke(
        args=["import", "samples", "items", _png(tmp_path / "p.xlsx")])
    assert result.exit_code == 1 and "文件不是 .xlsx 或 .csv 表格" in result.output


def test_cli_help_is_chinese(samples_app):
    result = samples_app.test_cli_runner().invoke(args=["import", "--help"])
    assert result.exit_code == 0 and "--skip-bad-rows" in result.output and "不合格" in result.output


# -- the page -------------------------------------------------------------------------------


def _upload(client, path, mode="all", plugin="samples", kind="items"):
    with open(path, "rb") as fh:
        return client.post("/console/imports/upload", data={
            "plugin": plugin, "kind": kind, "mode": mode, "file": (fh, path.rsplit("/", 1)[-1]),
        }, content_type="multipart/form-data")


def test_admin_sees_every_importer_and_the_region_export(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client)
    page = client.get("/console/imports/").get_data(as_text=True)
    assert "样例条目" in page and "行政区划" in page and "导出当前区划" in page
    template = client.get("/console/imports/template/samples/items")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.data)).active["A1"].value == "编号"


def test_upload_as_admin_imports_and_shows_the_result(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client)
    response = _upload(client, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "已拒绝" in page and "编号须为 6 位数字" in page and "下载不合格行报告" in page
    status = client.get(job_url + "/status").get_json()
    assert status["state"] == "rejected" and status["rows_rejected"] == 6 and status["has_report"]
    report = client.get(job_url + "/report")
    assert report.status_code == 200
    assert load_workbook(io.BytesIO(report.data)).active["C2"].value == "编号须为 6 位数字"
    with samples_app.app_context():
        assert stored() == []

    response = _upload(client, write_csv(tmp_path / "bad.csv", [HEADER, *BAD]), mode="skip")
    status = client.get(response.headers["Location"] + "/status").get_json()
    assert (status["state"], status["rows_written"]) == ("partial", 2)


def test_the_job_page_shows_the_stored_summary_and_never_reads_the_report(samples_app, tmp_path):
    from sqlalchemy import event

    client = samples_app.test_client()
    login(client)
    job_url = _upload(client, write_csv(tmp_path / "bad.csv", [HEADER, *BAD])).headers["Location"]
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[-1])
    with samples_app.app_context():
        job = db.session.get(ImportJob, job_id)
        summary = json.loads(job.summary)
        db.session.remove()
    assert (summary["rows_total"], summary["rows_rejected"], summary["report"]) == (8, 6, True)
    assert summary["problems"][0][1:] == ["编号", "编号须为 6 位数字"] and summary["problems"][0][0] >= 2
    read = []

    def spy(conn, cursor, statement, *args):
        if "report" in statement.lower() and "import_job" in statement.lower():
            read.append(statement)

    with samples_app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
        try:
            page = client.get(job_url).get_data(as_text=True)
            listing = client.get("/console/imports/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", spy)
    assert "编号须为 6 位数字" in page and "下载不合格行报告" in page
    assert "bad.csv" in listing
    assert read == [], read
    assert client.get(job_url + "/report").status_code == 200  # the full report stays


def test_a_job_finished_before_summaries_were_kept_still_shows_its_page(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client)
    job_url = _upload(client, write_csv(tmp_path / "bad.csv", [HEADER, *BAD])).headers["Location"]
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[-1])
    with samples_app.app_context():
        db.session.get(ImportJob, job_id).summary = None
        db.session.commit()
    response = client.get(job_url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已拒绝" in page and "升级之前" in page
    assert "下载不合格行报告" in page and "编号须为 6 位数字" not in page
    assert client.get("/console/imports/").status_code == 200


def test_upload_refused_file_shows_the_chinese_reason(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client)
    response = _upload(client, _png(tmp_path / "p.xlsx"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "失败" in page and "文件不是 .xlsx 或 .csv 表格" in page


def test_the_threaded_import_is_followed_by_polling(make_app, tmp_path):
    from console.security.users import ConsoleUser

    app = make_app(EXTRA_PLUGINS=[SamplesPlugin()])
    with app.app_context():
        sample_meta.create_all(db.engine)
        plugins_service.set_enabled("samples", True)
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        admin.scope_region_id = region_id("昭阳区")
        db.session.commit()
    SEEN_BY_PREPARE.clear()
    client = app.test_client()
    login(client)
    response = _upload(client, write_csv(tmp_path / "ok.csv", [HEADER, *GOOD]))
    status_url = response.headers["Location"] + "/status"
    status = client.get(status_url).get_json()
    for _ in range(400):  # a wait for the thread, not a timing assertion
        if status["finished"]:
            break
        time.sleep(0.05)
        status = client.get(status_url).get_json()
    assert (status["state"], status["rows_written"], status["percent"]) == ("succeeded", 4, 100)
    assert SEEN_BY_PREPARE == [("admin", "530602")]  # the rules ran as the uploading user
    with app.app_context():
        assert len(stored()) == 4
        entry = db.session.query(AuditLog).filter(AuditLog.action == "import").one()
        assert entry.username == "admin" and entry.ip == "127.0.0.1"


def test_a_job_is_seen_only_by_its_owner_and_admins(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client)
    location = _upload(client, write_csv(tmp_path / "ok.csv", [HEADER, *GOOD])).headers["Location"]
    other = samples_app.test_client()
    login(other, "lingdao")
    assert other.get(location + "/status").status_code in (302, 403, 404)
    owner = _make_owner(samples_app)
    logout(other)
    login(other, owner, "Owner-Pass-2025!")
    assert other.get(location + "/status").status_code == 404


def _make_owner(app) -> str:
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("模块负责人·样例") or sm.add_role("模块负责人·样例")
        user = sm.add_user("samples_owner", "样例", "负责人", "o@example.invalid", role, "Owner-Pass-2025!")
        # As if the owner had already chosen it: a password set by an admin must first be changed.
        accounts.password_chosen_by_holder(user)
        db.session.commit()
    return "samples_owner"


def test_a_module_owner_imports_only_their_own_plugins_kinds(samples_app, tmp_path):
    client = samples_app.test_client()
    login(client, _make_owner(samples_app), "Owner-Pass-2025!")
    page = client.get("/console/imports/").get_data(as_text=True)
    assert "样例条目" in page and "行政区划" not in page
    regions_file = write_csv(tmp_path / "r.csv", [REGION_HEADER, ["530602999", "某镇", "乡镇(街道)", "530602"]])
    assert _upload(client, regions_file, plugin="console", kind="regions").status_code == 404
    assert client.get("/console/imports/regions/export").status_code == 404
    assert client.get("/console/imports/template/console/regions").status_code == 404
    response = _upload(client, write_csv(tmp_path / "ok.csv", [HEADER, *GOOD]))
    assert client.get(response.headers["Location"] + "/status").get_json()["state"] == "succeeded"


def test_inspectors_cannot_reach_the_import_page(samples_app):
    client = samples_app.test_client()
    login(client, "zhaoyang")
    assert client.get("/console/imports/").status_code in (302, 403)


def test_a_malformed_csv_is_refused_with_the_line(ctx, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("编号,名称\n100001,甲\n100002," + "长" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="CSV 文件第 3 行附近格式有误"):
        imports.run(SAMPLE_IMPORTER, str(path))
    assert stored() == []


def _big_csv(path, megabytes):
    rows = [HEADER]
    row = ["100001", "名" * 40, "", "", ""]
    # One valid row, then rows that are rejected quickly: the size is what matters here.
    rows += [row] + [["bad", "名" * 40, "", "", ""]] * int(megabytes * 1024 * 1024 / 130)
    return write_csv(path, rows)


def test_import_uploads_may_exceed_the_general_upload_limit_up_to_their_own(make_app, tmp_path):
    # Kept under 500 KB: larger test bodies go through a temporary file the test client leaks.
    path = _big_csv(tmp_path / "big.csv", 0.3)
    assert 300_000 < os.path.getsize(path) < 400_000
    app = make_app(EXTRA_PLUGINS=[SamplesPlugin()], IMPORTS_RUN_INLINE=True,
                   IMPORTS_MAX_UPLOAD_MB=0.5)
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    with app.app_context():
        sample_meta.create_all(db.engine)
        plugins_service.set_enabled("samples", True)
    client = app.test_client()
    login(client)
    response = _upload(client, path, mode="skip")
    assert response.status_code == 302
    assert client.get(response.headers["Location"] + "/status").get_json()["rows_written"] == 1

    app.config["IMPORTS_MAX_UPLOAD_MB"] = 0.2
    response = _upload(client, path)
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)
