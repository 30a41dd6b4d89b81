"""Reading the spreadsheets users bring: .xlsx (streamed, read-only) and .csv in UTF-8 or GBK.

Every cell comes out as the text a user sees, so the same data read from .xlsx and from .csv
is identical for the rules that validate it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from openpyxl import load_workbook

from console.foundation.errors import ImportRefused


def norm_header(text) -> str:
    return re.sub(r"\s+", "", cell_text(text)).lstrip("\ufeff")


def cell_text(value) -> str:
    """A cell as the text a user sees, so an .xlsx and the same data as .csv read alike."""
    if type(value) is str:  # most cells: tested first, an import calls this for every cell
        return _text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return _text(str(value))


def _text(value: str) -> str:
    # An ideographic space inside becomes a plain one; strip() removes either kind at the ends.
    return value.replace("\u3000", " ").strip()


@dataclass
class Sheet:
    rows: Iterator[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)
    estimated_rows: int
    close: Callable[[], None]


def _sniff_csv_encoding(path: str) -> tuple[str, int]:
    """UTF-8 (BOM or not) when the whole file decodes strictly as UTF-8, else GB18030 (a
    superset of GBK).  Returns the codec and the number of lines, an estimate of the rows."""
    lines = 0
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        lines = 0
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    if b"\x00" in chunk:
                        raise ImportRefused("文件不是 .xlsx 或 .csv 表格，无法读取")
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
            return encoding, lines
        except UnicodeDecodeError:
            continue
    raise ImportRefused("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx")


def _open_csv(path: str) -> Sheet:
    encoding, lines = _sniff_csv_encoding(path)
    fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by Sheet.close
    sample = fh.read(8192)
    fh.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","

    def rows():
        number = 0
        try:
            # CSV cells are already text: _text's treatment, but per line and without a call
            # per cell (an import reads millions of cells).
            lines = (line.replace("\u3000", " ") for line in fh)
            for number, record in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
                yield number, list(map(str.strip, record))
        except csv.Error:
            raise ImportRefused(f"CSV 文件第 {number + 1} 行附近格式有误（引号不成对，或单元格超过 "
                                f"{csv.field_size_limit() // 1024} KB），请检查后重新导入") from None

    return Sheet(rows(), lines, fh.close)


def _open_xlsx(path: str) -> Sheet:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise ImportRefused("文件不是有效的 .xlsx 表格（可能已损坏，或只是改了扩展名）") from None
    ws = wb.worksheets[0] if wb.worksheets else None
    if ws is None:
        wb.close()
        raise ImportRefused("表格中没有工作表")
    try:
        estimated = (ws.max_row or 0) - 1
    except Exception:
        estimated = 0

    def rows():
        for number, record in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in record]

    return Sheet(rows(), max(estimated, 0), wb.close)


def open_sheet(path: str, filename: str) -> Sheet:
    if os.path.getsize(path) == 0:
        raise ImportRefused("文件是空的")
    with open(path, "rb") as fh:
        head = fh.read(8)
    ext = os.path.splitext(filename or path)[1].lower()
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        return _open_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 .csv 后再导入")
    if ext not in (".csv", ".txt", ""):
        raise ImportRefused(f"文件不是 .xlsx 或 .csv 表格（扩展名 {ext} 与内容不符或不受支持）")
    return _open_csv(path)
