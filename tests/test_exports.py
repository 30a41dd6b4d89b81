"""Exports: streamed .xlsx downloads in which no cell is a formula; the region list export."""

from __future__ import annotations

import datetime as dt
import io
import json
import os

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from console.files import exports
from console.foundation.extensions import db
from console.regions.models import Region


def _download(response) -> list[list]:
    response.direct_passthrough = False
    data = response.get_data()
    response.close()
    wb = load_workbook(io.BytesIO(data))
    rows = [[c.value for c in row] for row in wb.active.iter_rows()]
    cells = {(c.row, c.column): c for row in wb.active.iter_rows() for c in row}
    wb.close()
    return rows, cells


@pytest.mark.parametrize("text, expected", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("普通文字", "普通文字"),
    ("a=1", "a=1"),
    ("", ""),
])
def test_neutralize_quotes_what_a_spreadsheet_would_run(text, expected):
    assert exports.neutralize(text) == expected


def test_stream_xlsx_writes_formulas_as_text_and_keeps_types():
    app = Flask(__name__)
    rows = [
        {"name": '=HYPERLINK("http://x","y")', "n": 5, "day": dt.date(2025, 3, 1), "ok": True},
        {"name": "@cmd", "n": -3, "day": None, "ok": False},
        {"name": "昭阳区\x07", "n": 2.5, "day": None, "ok": None},
    ]
    columns = [("名称", lambda r: r["name"]), ("数量", lambda r: r["n"]),
               ("日期", lambda r: r["day"]), ("是否", lambda r: r["ok"])]
    with app.test_request_context():
        response = exports.stream_xlsx(iter(rows), columns, "导出")
        assert response.mimetype == exports.XLSX_MIMETYPE
        assert "filename*=UTF-8''%E5%AF%BC%E5%87%BA.xlsx" in response.headers["Content-Disposition"]
        values, cells = _download(response)
    assert values[0] == ["名称", "数量", "日期", "是否"]
    assert cells[(2, 1)].data_type == "s"
    assert values[1] == ['\'=HYPERLINK("http://x","y")', 5, dt.datetime(2025, 3, 1), "是"]
    assert values[2] == ["'@cmd", -3, None, "否"]
    assert values[3] == ["昭阳区", 2.5, None, None]  # control characters dropped, not an error
    assert not any(c.data_type == "f" for c in cells.values())


def test_stream_xlsx_leaves_no_temporary_file_behind(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app = Flask(__name__)
    with app.test_request_context():
        response = exports.stream_xlsx(({"i": i} for i in range(5000)), [("序号", lambda r: r["i"])],
                                       "many.xlsx")
        values, _ = _download(response)
    assert len(values) == 5001 and values[-1] == [4999]
    assert os.listdir(tmp_path) == []


def test_query_rows_iterates_queries_and_selects_in_batches(app):
    with app.app_context():
        query = db.session.query(Region).filter(Region.level == "county").order_by(Region.code)
        names = [r.name for r in exports.query_rows(query, batch=3)]
        assert len(names) == 11 and names[0] == "昭阳区"
        codes = list(exports.query_rows(select(Region.code).where(Region.level == "county"), batch=4))
        assert len(codes) == 11 and "530602" in codes
        pairs = list(exports.query_rows(select(Region.code, Region.name).where(Region.code == "530602")))
        assert [(p.code, p.name) for p in pairs] == [("530602", "昭阳区")]


def test_export_respects_a_scope_restricted_query(app):
    """The caller applies the scope; an export of a restricted query holds only those rows."""
    from console.regions import scope

    with app.app_context():
        county = db.session.query(Region).filter_by(code="530627").one()
        query = scope.restrict(db.session.query(Region), Region, region=county, column="id")
        rows = list(exports.query_rows(query))
        assert rows and all(r.path.startswith(county.path) for r in rows)


def test_region_list_export_as_admin(client, auth):
    auth.login()
    response = client.get("/console/imports/regions/export")
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    assert rows[0] == ("区划代码", "名称", "层级", "上级区划代码", "示例数据")
    assert rows[1] == ("530600", "昭通市", "市", None, "否")
    assert len(rows) == 1 + 1 + 11 + 150 + 1424
    # Parents come before their children, so the file imports back in one pass.
    seen = set()
    for code, _name, _level, parent, _example in rows[1:]:
        assert parent is None or parent in seen
        seen.add(code)


def test_region_list_export_is_for_admins_only(client, auth):
    auth.login("zhaoyang")
    assert client.get("/console/imports/regions/export").status_code in (302, 403, 404)


# -- personal information ----------------------------------------------------------------------


def _personal_audit(app):
    from console.audit.models import AuditLog

    with app.app_context():
        rows = db.session.query(AuditLog).filter_by(action="export_personal").all()
        return [(r.username, r.summary, json.loads(r.changes) if isinstance(r.changes, str) else r.changes)
                for r in rows]


def test_an_export_with_phone_numbers_asks_for_a_reason_first(app, client, auth):
    auth.login("zhaoyang")
    page = client.get("/visits/enterprises/export/?q=企业")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "导出原因" in text and "个人信息保护法" in text and 'name="reason"' in text
    # The form posts back to the same address, filters included.
    assert 'action="/visits/enterprises/export/?q=' in text
    too_short = client.post("/visits/enterprises/export/", data={"reason": " 看看 "})
    assert too_short.status_code == 400 and "至少 4 个字" in too_short.get_data(as_text=True)
    assert _personal_audit(app) == []


def test_an_export_of_personal_information_is_watermarked_and_audited(app, client, auth):
    auth.login("zhaoyang")
    from console.foundation import clock

    today = clock.today()
    response = client.post("/visits/enterprises/export/", data={"reason": "报送县委社会工作部季度核查"})
    assert response.status_code == 200 and response.get_data()[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    mark = sheet.oddHeader.center.text
    assert "含个人信息" in mark and "zhaoyang" in mark and mark == sheet.oddFooter.center.text
    # Beijing time, to the minute: "... zhaoyang 2026-12-07 16:30 导出"
    assert dt.datetime.strptime(" ".join(mark.split()[-3:-1]), "%Y-%m-%d %H:%M").date() in (
        today, today - dt.timedelta(days=1))
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["企业名称", "统一社会信用代码"]
    assert rows[-1][0] == f"{mark}；原因：报送县委社会工作部季度核查"
    assert "zhaoyang" in book.properties.creator
    data_rows = len(rows) - 3  # header, blank line, watermark line
    (username, summary, changes), = _personal_audit(app)
    assert username == "zhaoyang"
    assert summary == f"导出企业名录（含联系电话）：{data_rows} 行，原因：报送县委社会工作部季度核查"
    assert changes["rows"] == [None, data_rows] and changes["reason"][1] == "报送县委社会工作部季度核查"


def test_a_masked_export_needs_no_reason(app, client, auth):
    auth.login("zhaoyang")
    response = client.get("/talent/people/export/")
    assert response.status_code == 200 and response.get_data()[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert not sheet.oddHeader.center.text
    assert _personal_audit(app) == []


# -- on-screen watermark -----------------------------------------------------------------------


def test_pages_with_personal_information_carry_the_readers_watermark(client, auth):
    from urllib.parse import unquote

    auth.login("zhaoyang")
    for path in ("/visits/enterprises/list/", "/talent/people/list/"):
        page = client.get(path).get_data(as_text=True)
        assert 'class="console-watermark"' in page, path
        tile = unquote(page.split('class="console-watermark"', 1)[1].split("&quot;")[1])
        assert tile.startswith("data:image/svg+xml") and "zhaoyang" in tile, path
    # Pages without personal information have none.
    assert "console-watermark" not in client.get("/").get_data(as_text=True)
    assert "console-watermark" not in client.get("/nameplates/ledger/list/").get_data(as_text=True)
