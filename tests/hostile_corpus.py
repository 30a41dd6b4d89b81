"""The hostile corpus: spreadsheets made to cost an importer what it cannot afford, for the
hostile-file tests (tests/adversarial/test_hostile_files.py, the stress test) and the benchmark
(``python -m bench.hostile_files``).

A zip bomb (a valid .xlsx whose sheet is hundreds of MB of repeated rows compressing to a few
hundred KB), a ratio bomb, a style bomb, huge shared strings, a sheet declaring 1,048,576 rows,
a CSV with one 100 MB line, mixed encodings, a rejected row wider than any .xlsx with cells
longer than an Excel cell, and a legitimate-looking file whose shared strings cost its parser
a few hundred MB (within every declared limit: only the parsing child's budget stops it).

Each builder takes the path and, optionally, the header and one row of the importer the file
is aimed at (the region list's by default), so every importer can be fed the same corpus.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass

HEADER = ["区划代码", "名称", "层级", "上级区划代码"]
ROW = ["530602999", "甲", "村(社区)", "530602"]
BAD_ROW = ["bad", "x", "村(社区)", "530602"]
MB = 1024 * 1024
# How much the importing (parent) process's resident memory may grow per file: generous, as the
# allocator keeps what it once had, and far below what these files cost before they were
# limited (4.4 GB, 1.35 GB, 362 MB, 2.5 GB).
PARENT_RSS_BOUND_MB = 300


def _xml(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{_xml(c)}</t></is></c>' for c in cells) + "</row>"


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


def zip_bomb(path, header=HEADER, row=ROW, megabytes: float = 400) -> str:
    # Rows that each break a rule: were the file read, every one would go to the report.
    return raw_xlsx(path, rows=[header], repeat_row=_bad(row), repeat_mb=megabytes)


def ratio_bomb(path, header=HEADER, row=ROW) -> str:
    """Under the total size limit, but a thousand to one."""
    return zip_bomb(path, header, row, 200)


def style_bomb(path, header=HEADER, row=ROW) -> str:
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    count = 6 * MB // len(xf) + 1
    styles = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts>'
              b'<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              b'<cellStyleXfs count="1"><xf/></cellStyleXfs>'
              + f'<cellXfs count="{count}">'.encode() + xf * count + b"</cellXfs></styleSheet>")
    return raw_xlsx(path, rows=[header, row], styles=styles)


def shared_strings_bomb(path, header=HEADER, row=ROW) -> str:
    return raw_xlsx(path, rows=[header, row], shared_strings=2_500_000)


def hungry_strings(path, header=HEADER, row=ROW) -> str:
    """Within every declared limit (34 MB of shared strings, under 64 MB), yet openpyxl holds
    a million strings to read it: what only the parsing child's memory budget stops."""
    return raw_xlsx(path, rows=[header, row], shared_strings=1_000_000)


def declares_a_million_rows(path, header=HEADER, row=ROW) -> str:
    return raw_xlsx(path, rows=[header, row], dimension="A1:D1048576")


def csv_long_line(path, header=HEADER, row=ROW) -> str:
    with open(path, "wb") as fh:
        fh.write(",".join(header).encode() + b"\n" + _csv(row[:1]).encode() + b",")
        chunk = "长".encode() * (MB // 3)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b"," + _csv(row[2:]).encode() + b"\n")
    return str(path)


def csv_mixed_encodings(path, header=HEADER, row=ROW) -> str:
    with open(path, "wb") as fh:
        fh.write(_csv(header).encode("utf-8") + b"\n")
        fh.write((_csv(row) + "\n").encode("utf-8"))
        fh.write(("乙村," + _csv(row[1:]) + "\n").encode("gbk", "replace"))
    return str(path)


# A rejected row 20,000 cells wide (an .xlsx holds 16,384 columns, openpyxl writes 18,278), its
# first cells each 100,000 characters (an Excel cell holds 32,767; the csv module reads 128 K).
WIDE_CELLS = 20_000
LONG_CELL = 100_000


def csv_wide_row(path, header=HEADER, row=ROW) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_csv(header) + "\n")
        cells = _bad(row) + ["长" * LONG_CELL] * 3
        fh.write(_csv(cells + ["x"] * (WIDE_CELLS - len(cells))) + "\n")
    return str(path)


def _bad(row) -> list[str]:
    """``row`` with its first cell made invalid for any importer (a code, a date, a number)."""
    return ["bad-" + "x" * 300, *row[1:]]


def _csv(cells) -> str:
    return ",".join('"' + str(c).replace('"', '""') + '"' if any(ch in str(c) for ch in ',"\n') else str(c)
                    for c in cells)


@dataclass(frozen=True)
class Hostile:
    """One file of the corpus: its name, its builder and the words its refusal holds (None: it
    may be imported, or refused with any Chinese reason)."""

    name: str
    build: Callable[..., str]
    reason: str | None


# Refused by what the file declares, before its rows are parsed.
REFUSED = [
    Hostile("zip-bomb.xlsx", zip_bomb, "超过上限 300 MB"),
    Hostile("ratio-bomb.xlsx", ratio_bomb, "压缩比"),
    Hostile("style-bomb.xlsx", style_bomb, "样式信息"),
    Hostile("strings.xlsx", shared_strings_bomb, "文本内容"),
    Hostile("million.xlsx", declares_a_million_rows, "1,048,576 行"),
    Hostile("long-line.csv", csv_long_line, "单行长度上限"),
]
CORPUS = [
    *REFUSED,
    Hostile("mixed.csv", csv_mixed_encodings, None),
    Hostile("wide-row.csv", csv_wide_row, None),
    Hostile("hungry-strings.xlsx", hungry_strings, None),
]
