"""Hostile spreadsheets through the upload page's own import path (``views._run_job``): each is
refused with its Chinese reason or imported, leaves the data as it was when refused, and costs
the importing process little memory whatever it costs to read.

The corpus is made here: a zip bomb (a valid .xlsx whose sheet is hundreds of MB of repeated
rows compressing to a few hundred KB), a style bomb, huge shared strings, a sheet declaring
1,048,576 rows, a CSV with one 100 MB line, mixed encodings, a rejected row wider than any
.xlsx.  The importing (parent) process's resident memory may grow by at most
``PARENT_RSS_BOUND_MB`` per file: generous, as the allocator keeps what it once had, and far
below what these files cost before they were limited (4.4 GB, 1.35 GB, 362 MB, 2.5 GB).
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from openpyxl import load_workbook

from console.foundation.extensions import db
from console.imports import catalog
from console.imports import pipeline as imports
from console.imports import views
from console.imports.models import ImportJob
from console.regions.models import Region
from console.security.users import ConsoleUser

from tests.support import write_xlsx

from .conftest import CHINESE

PARENT_RSS_BOUND_MB = 300
HEADER = ["区划代码", "名称", "层级", "上级区划代码"]
MB = 1024 * 1024


def vm_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- the corpus -------------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '{extra}</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '{extra}</Relationships>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '{dimension}<sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def _inline_row(cells) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


def raw_xlsx(path, *, rows=(), repeat_row=None, repeat_mb: float = 0, dimension: str | None = None,
             styles: bytes | None = None, shared_strings: int = 0) -> str:
    """An .xlsx written part by part: ``rows`` as inline strings, then ``repeat_row`` repeated
    to ``repeat_mb`` MB of sheet xml (streamed into the zip), an optional styles.xml and
    ``shared_strings`` distinct shared strings."""
    extra_types = extra_rels = ""
    if styles is not None:
        extra_types += ('<Override PartName="/xl/styles.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
        extra_rels += ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                       'officeDocument/2006/relationships/styles" Target="styles.xml"/>')
    if shared_strings:
        extra_types += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        extra_rels += ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/'
                       'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(extra=extra_types))
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(extra=extra_rels))
        if styles is not None:
            zf.writestr("xl/styles.xml", styles)
        if shared_strings:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                         b'openxmlformats.org/spreadsheetml/2006/main">')
                step = 100_000
                for start in range(0, shared_strings, step):
                    fh.write("".join(f"<si><t>共享文本{i:09d}</t></si>"
                                     for i in range(start, min(start + step, shared_strings))).encode())
                fh.write(b"</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            fh.write(_SHEET_HEAD.format(dimension=dim).encode())
            fh.write("".join(_inline_row(r) for r in rows).encode())
            if repeat_row is not None:
                chunk = _inline_row(repeat_row).encode() * 4096
                for _ in range(int(repeat_mb * MB / len(chunk)) + 1):
                    fh.write(chunk)
            fh.write(_SHEET_TAIL.encode())
    return str(path)


def zip_bomb(path, megabytes: float = 400) -> str:
    return raw_xlsx(path, rows=[HEADER], repeat_row=["bad", "x", "村(社区)", "530602"],
                    repeat_mb=megabytes)


def ratio_bomb(path) -> str:
    """Under the total size limit, but a thousand to one."""
    return zip_bomb(path, 200)


def style_bomb(path) -> str:
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    count = 6 * MB // len(xf) + 1
    styles = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts>'
              b'<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              b'<cellStyleXfs count="1"><xf/></cellStyleXfs>'
              + f'<cellXfs count="{count}">'.encode() + xf * count + b"</cellXfs></styleSheet>")
    return raw_xlsx(path, rows=[HEADER, ["530602999", "甲", "村(社区)", "530602"]], styles=styles)


def shared_strings_bomb(path) -> str:
    return raw_xlsx(path, rows=[HEADER, ["530602999", "甲", "村(社区)", "530602"]],
                    shared_strings=2_500_000)


def declares_a_million_rows(path) -> str:
    return raw_xlsx(path, rows=[HEADER, ["530602999", "甲", "村(社区)", "530602"]],
                    dimension="A1:D1048576")


def csv_long_line(path) -> str:
    with open(path, "wb") as fh:
        fh.write(",".join(HEADER).encode() + b"\n530602998,")
        chunk = "长".encode() * (MB // 3)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b",\xe6\x9d\x91(\xe7\xa4\xbe\xe5\x8c\xba),530602\n")
    return str(path)


def csv_mixed_encodings(path) -> str:
    with open(path, "wb") as fh:
        fh.write(",".join(HEADER).encode("utf-8") + b"\n")
        fh.write("530602997,甲村,村(社区),530602\n".encode("utf-8"))
        fh.write("530602996,乙村,村(社区),530602\n".encode("gbk"))
    return str(path)


# -- the import path --------------------------------------------------------------------------


def _regions() -> list[tuple]:
    return sorted(db.session.query(Region.code, Region.name).all())


def upload(app, path, filename=None) -> ImportJob:
    """What the upload page does once the file is saved: a job, then ``_run_job`` (which
    deletes the file when done, as after an upload)."""
    filename = filename or os.path.basename(path)
    with app.app_context():
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        job_id = imports.create_job("console", "regions", filename, user_id=admin.id)
        admin_id = admin.id
        db.session.remove()
    views._run_job(app, job_id, str(path), "console", "regions", filename, True, admin_id, None)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        db.session.remove()
    return job


REFUSED = [
    ("zip-bomb.xlsx", zip_bomb, "超过上限 300 MB"),
    ("ratio-bomb.xlsx", ratio_bomb, "压缩比"),
    ("style-bomb.xlsx", style_bomb, "样式信息"),
    ("strings.xlsx", shared_strings_bomb, "文本内容"),
    ("million.xlsx", declares_a_million_rows, "1,048,576 行"),
    ("long-line.csv", csv_long_line, "单行长度上限"),
]


@pytest.mark.parametrize(("name", "make", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_hostile_file_is_refused_in_chinese_and_costs_the_importer_little(app, tmp_path, name, make, reason):
    path = make(tmp_path / name)
    with app.app_context():
        before = _regions()
        db.session.remove()
    rss = vm_rss_mb()
    job = upload(app, path, name)
    grown = vm_rss_mb() - rss
    assert job.state == "failed", (job.state, job.error)
    assert reason in job.error and CHINESE.search(job.error), job.error
    assert grown < PARENT_RSS_BOUND_MB, f"{name}: the importing process grew by {grown:.0f} MB"
    with app.app_context():
        assert _regions() == before


def test_mixed_encodings_are_read_as_one_or_refused_in_chinese(app, tmp_path):
    job = upload(app, csv_mixed_encodings(tmp_path / "mixed.csv"))
    assert job.state in ("failed", "succeeded", "rejected"), job.state
    assert CHINESE.search(job.error or "成功")


def test_a_refused_header_costs_nothing_of_the_rows_below_it(app, tmp_path):
    # No header among the first ten lines (where a title row may stand above it); the
    # eleventh line is 100 MB: it is never read, the header is refused.
    path = tmp_path / "bad-header.csv"
    with open(path, "wb") as fh:
        fh.write("名字,备注\n".encode() + "甲,乙\n".encode() * 9 + b"x," + "长".encode() * (100 * MB // 3) + b"\n")
    job = upload(app, path)
    assert job.state == "failed" and "缺少必需的列" in job.error, job.error


@pytest.fixture
def limited(app):
    saved = dict(app.config)
    app.config.update(IMPORTS_MAX_ROWS=5)
    yield app
    app.config.clear()
    app.config.update(saved)


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_rows_beyond_the_limit_are_refused_while_streaming(limited, tmp_path, form):
    rows = [HEADER] + [[f"5306029{i:02d}", f"村{i}", "村(社区)", "530602"] for i in range(10)]
    if form == "csv":
        path = tmp_path / "many.csv"
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        path = write_xlsx(tmp_path / "many.xlsx", rows)
    with limited.app_context():
        before = _regions()
        db.session.remove()
    job = upload(limited, path)
    assert job.state == "failed" and "上限 5 行" in job.error, job.error
    with limited.app_context():
        assert _regions() == before
