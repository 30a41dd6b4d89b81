"""Reading the spreadsheets users bring: .xlsx (streamed, read-only) and .csv in UTF-8 or GBK.

Every cell comes out as the text a user sees, so the same data read from .xlsx and from .csv
is identical for the rules that validate it.

A file is held to :class:`SheetLimits` before and while it is read: an .xlsx is inspected
with zipfile first (declared sizes, compression ratios, the size of its styles and shared
strings, the first sheet's declared dimension), since openpyxl loads styles.xml and
sharedStrings.xml whole; a CSV's longest line is measured while its encoding is sniffed, since
the csv module reads a line whole before it looks at it.  A file over a limit is refused with
:class:`ImportRefused`, its message naming the limit.
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
from dataclasses import dataclass, fields

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


MB = 1024 * 1024
# Excel's own maxima.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class SheetLimits:
    """What an imported file may be; the defaults are config.py's ``IMPORTS_*`` settings."""

    xlsx_max_uncompressed_mb: float = 300
    xlsx_max_ratio: float = 100
    xlsx_ratio_above_mb: float = 1
    xlsx_max_styles_mb: float = 5
    xlsx_max_shared_strings_mb: float = 64
    max_rows: int = 600_000
    max_columns: int = 1_024
    csv_max_line_kb: int = 1_024

    _SETTINGS = {
        "xlsx_max_uncompressed_mb": "IMPORTS_XLSX_MAX_UNCOMPRESSED_MB",
        "xlsx_max_ratio": "IMPORTS_XLSX_MAX_RATIO",
        "xlsx_ratio_above_mb": "IMPORTS_XLSX_RATIO_ABOVE_MB",
        "xlsx_max_styles_mb": "IMPORTS_XLSX_MAX_STYLES_MB",
        "xlsx_max_shared_strings_mb": "IMPORTS_XLSX_MAX_SHARED_STRINGS_MB",
        "max_rows": "IMPORTS_MAX_ROWS",
        "max_columns": "IMPORTS_MAX_COLUMNS",
        "csv_max_line_kb": "IMPORTS_CSV_MAX_LINE_KB",
    }

    @classmethod
    def from_config(cls, config) -> SheetLimits:
        values = {}
        for f in fields(cls):
            setting = cls._SETTINGS[f.name]
            if config.get(setting) is not None:
                values[f.name] = (float if f.type in ("float", float) else int)(config[setting])
        return cls(**values)


def _mb(size: float) -> str:
    return f"{size / MB:,.1f} MB"


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([^\"']+)[\"']")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _declared_dimension(ref: str) -> tuple[int, int] | None:
    """(rows, columns) of a dimension such as ``A1:XFD1048576``; None when unreadable."""
    last = ref.split(":")[-1].strip()
    m = _CELL_REF.match(last)
    if not m:
        return None
    return int(m[2]), _column_number(m[1])


def _first_sheet_member(zf: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first worksheet, found as openpyxl finds it (the first
    <sheet> of xl/workbook.xml through its relationship); both files are small, and each is
    read at most 1 MB."""
    names = set(zf.namelist())
    try:
        with zf.open("xl/workbook.xml") as fh:
            workbook = fh.read(MB)
        with zf.open("xl/_rels/workbook.xml.rels") as fh:
            rels = fh.read(MB)
    except KeyError:
        workbook = rels = b""
    m = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id\s*=\s*[\"']([^\"']+)[\"']", workbook)
    if m:
        for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
            tag = rel.group(0)
            rid = re.search(rb"\bId\s*=\s*[\"']([^\"']+)[\"']", tag)
            target = re.search(rb"\bTarget\s*=\s*[\"']([^\"']+)[\"']", tag)
            if rid and target and rid[1] == m[1]:
                path = target[1].decode("utf-8", "replace")
                path = path.lstrip("/") if path.startswith("/") else "xl/" + path
                if path in names:
                    return path
    sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    return sheets[0] if sheets else None


def inspect_xlsx(path: str, limits: SheetLimits) -> None:
    """Refuse an .xlsx that would cost more to read than ``limits`` allow, from its zip
    directory and the first KB of its first sheet, before openpyxl parses any of it.

    The declared sizes are trustworthy as bounds: zipfile never inflates a member beyond its
    declared size (it stops there, and the CRC check then fails)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused("文件不是有效的 .xlsx 表格（可能已损坏，或只是改了扩展名）") from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.xlsx_max_uncompressed_mb * MB:
            raise ImportRefused(f"表格文件解压后共 {_mb(total)}，超过上限 "
                                f"{limits.xlsx_max_uncompressed_mb:g} MB，已拒绝导入；"
                                "请删除多余的工作表或拆分为几个文件")
        sizes = {i.filename: i.file_size for i in infos}
        styles = sizes.get("xl/styles.xml", 0)
        if styles > limits.xlsx_max_styles_mb * MB:
            raise ImportRefused(f"表格的样式信息（xl/styles.xml）有 {_mb(styles)}，超过上限 "
                                f"{limits.xlsx_max_styles_mb:g} MB；请清除格式后另存为新文件再导入")
        strings = sizes.get("xl/sharedStrings.xml", 0)
        if strings > limits.xlsx_max_shared_strings_mb * MB:
            raise ImportRefused(f"表格的文本内容（xl/sharedStrings.xml）有 {_mb(strings)}，超过上限 "
                                f"{limits.xlsx_max_shared_strings_mb:g} MB；请拆分为几个文件再导入")
        for info in infos:
            if info.file_size <= limits.xlsx_ratio_above_mb * MB:
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.xlsx_max_ratio:
                raise ImportRefused(f"表格文件中的 {info.filename[:100]} 压缩比为 {ratio:,.0f}:1，超过上限 "
                                    f"{limits.xlsx_max_ratio:g}:1（疑似“压缩炸弹”），已拒绝导入")
        member = _first_sheet_member(zf)
        if member is None:
            return  # openpyxl says what is wrong
        try:
            with zf.open(member) as fh:
                head = fh.read(64 * 1024)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            raise ImportRefused("文件不是有效的 .xlsx 表格（可能已损坏，或只是改了扩展名）") from None
    m = _DIMENSION.search(head)
    declared = _declared_dimension(m[1].decode("ascii", "replace")) if m else None
    if declared is None:
        return
    rows, columns = declared
    if rows > limits.max_rows:
        raise ImportRefused(f"工作表声明有 {rows:,} 行，超过每次导入的上限 {limits.max_rows:,} 行；"
                            "请拆分为几个文件，或删除表格末尾的空行后再导入")
    if columns > limits.max_columns:
        raise ImportRefused(f"工作表声明有 {columns:,} 列，超过上限 {limits.max_columns:,} 列；"
                            "请删除多余的列后再导入")


@dataclass
class Sheet:
    rows: Iterator[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)
    estimated_rows: int
    close: Callable[[], None]


# The encoding is told from the file's first MB; a later line that does not decode in it is
# refused with its line number, so the header is checked before the rest is read at all.
_SNIFF_BYTES = 1 << 20
_LONE_CR = re.compile(r"(?<=\r)(?!\n|$)")


def _sniff_csv_encoding(head: bytes, whole: bool) -> str:
    """UTF-8 (BOM or not) when the first MB decodes strictly as UTF-8, else GB18030 (a
    superset of GBK)."""
    if b"\x00" in head:
        raise ImportRefused("文件不是 .xlsx 或 .csv 表格，无法读取")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)("strict").decode(head, final=whole)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportRefused("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx")


def _csv_lines(fh, encoding: str, limit_kb: int) -> Iterator[str]:
    """The file's lines as text, each read with a bound: a line longer than ``limit_kb`` KB is
    refused before it is held whole (the csv module would read it into memory first)."""
    limit = limit_kb * 1024
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    number = 0
    while raw := fh.readline(limit + 1):
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise ImportRefused(f"CSV 文件第 {number} 行超过 {limit_kb:,} KB（单行长度上限），已拒绝导入；"
                                "请确认文件是正常的表格（每行一条记录）")
        if b"\x00" in raw:
            raise ImportRefused("文件不是 .xlsx 或 .csv 表格，无法读取")
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError:
            name = "UTF-8" if encoding.startswith("utf") else "GBK"
            raise ImportRefused(f"CSV 文件第 {number} 行不是 {name} 编码（文件前部是 {name}，"
                                "文件中混用了多种编码），请将整个文件另存为 UTF-8 编码的 CSV 后再导入") from None
        if "\r" in text[:-2]:  # old Mac line ends: a lone CR ends a line too
            yield from _LONE_CR.split(text)
        else:
            yield text


def _open_csv(path: str, limits: SheetLimits) -> Sheet:
    size = os.path.getsize(path)
    fh = open(path, "rb")  # noqa: SIM115 - closed by Sheet.close
    try:
        head = fh.read(_SNIFF_BYTES)
        encoding = _sniff_csv_encoding(head, whole=len(head) >= size)
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    # The rows, estimated from the first MB's lines (each data row one line, most often).
    lines = head.count(b"\n")
    estimated = lines if len(head) >= size else int(size * lines / max(len(head), 1))
    sample = codecs.decode(head[:8192], encoding, "ignore")
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
            lines = (line.replace("\u3000", " ") for line in _csv_lines(fh, encoding, limits.csv_max_line_kb))
            for number, record in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
                if number > limits.max_rows:
                    raise _too_many_rows(limits)
                yield number, list(map(str.strip, record))
        except csv.Error:
            raise ImportRefused(f"CSV 文件第 {number + 1} 行附近格式有误（引号不成对，或单元格超过 "
                                f"{csv.field_size_limit() // 1024} KB），请检查后重新导入") from None

    return Sheet(rows(), estimated, fh.close)


def _too_many_rows(limits: SheetLimits) -> ImportRefused:
    return ImportRefused(f"文件超过每次导入的上限 {limits.max_rows:,} 行，请拆分为几个文件后再导入")


def _open_xlsx(path: str, limits: SheetLimits) -> Sheet:
    inspect_xlsx(path, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            wb = load_workbook(path, read_only=True, data_only=True)
    except MemoryError:
        raise  # not the file's fault as such: the parsing child's budget says so
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
        # One row at a time: read-only openpyxl parses the sheet's xml as it is iterated.
        for number, record in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > limits.max_rows:
                raise _too_many_rows(limits)
            yield number, [cell_text(v) for v in record]

    return Sheet(rows(), max(estimated, 0), wb.close)


def open_sheet(path: str, filename: str, limits: SheetLimits | None = None) -> Sheet:
    limits = limits or SheetLimits()
    if os.path.getsize(path) == 0:
        raise ImportRefused("文件是空的")
    with open(path, "rb") as fh:
        head = fh.read(8)
    ext = os.path.splitext(filename or path)[1].lower()
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        return _open_xlsx(path, limits)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 .csv 后再导入")
    if ext not in (".csv", ".txt", ""):
        raise ImportRefused(f"文件不是 .xlsx 或 .csv 表格（扩展名 {ext} 与内容不符或不受支持）")
    return _open_csv(path, limits)
