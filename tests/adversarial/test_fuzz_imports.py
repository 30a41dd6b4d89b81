"""Every importer under hostile files: random bytes, wrong encodings, wrong columns, huge cells,
formula cells.

The property, for each importer the console offers (``console.imports.catalog.available()``): a file is
either refused (``ImportRefused``, a Chinese message) or imported to a result that says what
happened row by row; never an internal failure, and whenever the result is not "succeeded"
the database is exactly as it was.  Formula text that an import accepts comes out of every
export as text that starts with a quote.
"""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from console.imports import catalog

from console.imports import pipeline as imports
from console.foundation.extensions import db

from tests.support import export, xlsx_bytes

from .conftest import CHINESE, login

IMPORTERS = [
    ("console", "regions"),
    ("nameplates", "cancelled_certificates"),
    ("nameplates", "whitelist_items"),
    ("talent", "certificates"),
    ("talent", "hours"),
    ("talent", "people"),
    ("visits", "enterprises"),
]
EXAMPLES = 40
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)", "-2+3", "=1+1", "\t=A1", "=cmd|' /C calc'!A0"]
# Bookkeeping every import writes, whatever its outcome: the job and the audit entry.
# The job, its audit rows and the cache tokens of the tables they wrote (a token row appears the
# first time its table is written) are the import's bookkeeping, not its data.
BOOKKEEPING = {"import_job", "audit_log", "table_token"}
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def test_the_list_of_importers_is_the_one_fuzzed_here(app):
    with app.app_context():
        assert sorted(catalog.available()) == sorted(IMPORTERS)


# -- what the files are made of -------------------------------------------------------------

cell_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(FORMULAS),
    st.integers(min_value=200, max_value=40_000).map(lambda n: "长" * n),
    st.sampled_from(["", " ", "\u3000", "０", "-1", "1e309", "NaN", "2099-13-45", "99999999999999999999",
                     "'; DROP TABLE region; --", "../../etc/passwd", "\x00", "\ufeff编号"]),
)


def _header(importer) -> list[str]:
    return [c.header for c in importer.columns]


def _template_row(importer) -> list[str]:
    row = list(importer.template_rows[0]) if importer.template_rows else [""] * len(importer.columns)
    return ["" if v is None else str(v) for v in row]


def _xlsx(rows) -> bytes:
    # openpyxl refuses control characters in a cell: a real spreadsheet cannot hold them either.
    return xlsx_bytes([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row] for row in rows)


def _csv(rows, encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


@st.composite
def files(draw, importer):
    """(bytes, file name) of one hostile file for ``importer``."""
    kind = draw(st.sampled_from(["bytes", "zip-like", "encoding", "columns", "cells", "cells", "cells"]))
    header, base = _header(importer), _template_row(importer)
    if kind == "bytes":
        return draw(st.binary(max_size=4000)), draw(st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a.xls", "a"]))
    if kind == "zip-like":
        return b"PK\x03\x04" + draw(st.binary(max_size=2000)), "a.xlsx"
    if kind == "encoding":
        rows = [header, base]
        encoding = draw(st.sampled_from(["utf-16", "utf-32", "big5", "shift_jis", "cp1252", "euc-kr"]))
        return _csv(rows, encoding), "a.csv"
    rows = [header]
    if kind == "columns":
        order = draw(st.permutations(range(len(header))))
        keep = draw(st.integers(min_value=0, max_value=len(header)))
        junk = draw(st.lists(st.sampled_from(["", "备注", header[0], "Name", "列"]), max_size=3))
        rows = [[header[i] for i in order[:keep]] + junk, [base[i] for i in order[:keep]] + ["x"] * len(junk)]
    else:
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            row = list(base)
            for _ in range(draw(st.integers(min_value=1, max_value=len(row)))):
                row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(cell_text)
            rows.append(row)
    form = draw(st.sampled_from(["xlsx", "utf-8", "gbk"]))
    if form == "xlsx":
        return _xlsx(rows), "a.xlsx"
    return _csv(rows, form), "a.csv"


# -- the property ---------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    """Rows per table, bookkeeping aside: what "the database is unchanged" compares."""
    names = sa.inspect(db.engine).get_table_names()
    tables = sorted(n for n in names if n not in BOOKKEEPING and not n.startswith("alembic"))
    union = sa.union_all(*[sa.select(sa.literal(t).label("t"), sa.func.count().label("n"))
                           .select_from(sa.table(t)) for t in tables])
    return dict(db.session.execute(union).all())


@pytest.mark.parametrize(("plugin", "kind"), IMPORTERS, ids=[f"{p}.{k}" for p, k in IMPORTERS])
def test_a_hostile_file_is_refused_or_reported_and_leaves_nothing_half_written(app, tmp_path, plugin, kind):
    seen = {"refused": 0, "reported": 0}
    with app.app_context():
        importer = catalog.find(plugin, kind)

        @SETTINGS
        @given(data=files(importer))
        def run(data):
            content, name = data
            path = tmp_path / name
            path.write_bytes(content)
            before = _counts()
            try:
                result = imports.run(importer, str(path), plugin=plugin, filename=name)
            except imports.ImportRefused as exc:
                seen["refused"] += 1
                assert CHINESE.search(exc.message), exc.message
                db.session.rollback()
                assert _counts() == before
                return
            seen["reported"] += 1
            assert result.state in ("succeeded", "rejected"), (result.state, result.message)
            assert CHINESE.search(result.message)
            if result.state != "succeeded":
                assert result.rows_written == 0 and result.problems
                assert all(p.row > 0 and p.reason and CHINESE.search(p.reason) for p in result.problems)
                assert _counts() == before

        run()
    assert seen["refused"] and seen["reported"]


# -- formula cells through import and every export ------------------------------------------


def _valid_rows(plugin, kind, formula: str, n: int) -> tuple[list[str], list[list[str]]]:
    """A file that imports, carrying ``formula`` in the importer's free-text columns."""
    from jiceng.plugins.talent.services import idnumber
    from jiceng.plugins.visits.services import creditcode

    if (plugin, kind) == ("console", "regions"):
        return (["区划代码", "名称", "层级", "上级区划代码"],
                [[f"530602{900 + n}", formula, "乡镇(街道)", "530602"]])
    if (plugin, kind) == ("visits", "enterprises"):
        return (["企业名称", "统一社会信用代码", "县(市、区)", "地址", "联系人"],
                [[formula, creditcode.make("91", "530602", f"MA{n:06d}"), "昭阳区", formula, formula]])
    if (plugin, kind) == ("talent", "people"):
        first17 = f"530602199001{n:02d}01" + "5"
        return (["姓名", "身份证号", "区划代码", "工作单位", "联系方式"],
                [[formula, first17 + idnumber.check_char(first17), "530602", formula, formula]])
    if (plugin, kind) == ("nameplates", "cancelled_certificates"):
        return (["证明名称", "说明"], [[formula + f"证明{n}", formula]])
    raise KeyError(kind)


FREE_TEXT_IMPORTERS = [("console", "regions"), ("visits", "enterprises"), ("talent", "people"),
                       ("nameplates", "cancelled_certificates")]


def _export_endpoints(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "export" in rule.endpoint.lower() and "GET" in rule.methods and not rule.arguments})


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                yield from (c for c in row if isinstance(c, str))
    finally:
        wb.close()


def test_formula_cells_imported_as_text_come_out_of_every_export_neutralized(app, tmp_path):
    with app.app_context():
        for n, formula in enumerate(FORMULAS[:4], start=1):
            for plugin, kind in FREE_TEXT_IMPORTERS:
                header, rows = _valid_rows(plugin, kind, formula, n)
                # In .csv a formula is text as typed (in .xlsx it would be a formula cell).
                path = tmp_path / f"{kind}{n}.csv"
                path.write_bytes(_csv([header, *rows], "utf-8"))
                result = imports.run(catalog.find(plugin, kind), str(path), plugin=plugin)
                assert result.state == "succeeded", (kind, formula, result.message, result.problems)
    client = app.test_client()
    login(client, "admin")
    endpoints = _export_endpoints(app)
    assert len(endpoints) >= 4, endpoints
    found = set()
    for url in endpoints:
        response = export(client, url)  # with a reason where the file holds personal data
        assert response.status_code == 200, url
        if not response.data.startswith(b"PK"):
            continue  # an export page that asks for a choice first
        for cell in _cells(response.data):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (url, cell)
            for formula in FORMULAS[:4]:
                if cell.startswith("'" + formula):
                    found.add((url, formula))
    # The regions, the people and the enterprises each carry every formula in a free-text column.
    carriers = {url for url in endpoints if url.startswith(("/console/imports/regions", "/talent/people",
                                                               "/visits/enterprises"))}
    assert len(carriers) == 3, endpoints
    assert {(url, f) for url in carriers for f in FORMULAS[:4]} <= found
