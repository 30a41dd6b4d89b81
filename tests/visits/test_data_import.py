"""Importing the enterprise registry: CSV in GBK, .xlsx with townships, bad rows reported with
their row and column, and the statistics refreshed after a large import."""

import io

from openpyxl import Workbook
from sqlalchemy import text

from console.imports import pipeline as imports
from jiceng.plugins.visits.data_import import enterprise_importer
from jiceng.plugins.visits.models import Enterprise
from tests.visits.conftest import code_for


HEADER = "企业名称,统一社会信用代码,县(市、区),乡镇(街道),行业\n"


def _run(world, tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return imports.run(enterprise_importer(), str(path), filename=name)


def test_gbk_csv_imports(world, tmp_path):
    body = HEADER + f"昭通甲公司,{code_for(1)},昭阳区,,制造业\n镇雄乙公司,{code_for(2, '530627')},530627,,\n"
    result = _run(world, tmp_path, "企业.csv", body.encode("gbk"))
    assert result.state == "succeeded", result.problems
    names = {e.name: e.county.name for e in world.session.query(Enterprise)}
    assert names == {"昭通甲公司": "昭阳区", "镇雄乙公司": "镇雄县"}


def test_xlsx_imports_with_township(world, tmp_path):
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "县(市、区)", "乡镇(街道)"])
    township = world.township("530602")
    wb.active.append(["昭通丙公司", code_for(3), "昭阳区", township.name])
    buf = io.BytesIO()
    wb.save(buf)
    result = _run(world, tmp_path, "企业.xlsx", buf.getvalue())
    assert result.state == "succeeded", result.problems
    assert world.session.query(Enterprise).one().region_id == township.id


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_written(world, tmp_path):
    world.enterprise(7)
    body = HEADER + "\n".join([
        f"甲,{code_for(1)},昭阳区,,",        # row 2: fine
        f"乙,{code_for(1)},昭阳区,,",        # row 3: duplicate of row 2
        f"丙,{code_for(7)},昭阳区,,",        # row 4: already in the registry
        f"丁,{code_for(4)},火星县,,",        # row 5: unknown county
        "戊,91350100M000100Y44,昭阳区,,",    # row 6: bad check character
    ]) + "\n"
    result = _run(world, tmp_path, "企业.csv", body.encode("utf-8"))
    assert result.state == "rejected"
    found = {(p.row, p.column): p.reason for p in result.problems}
    assert "第 2 行" in found[(3, "统一社会信用代码")]
    assert "已在企业名录中" in found[(4, "统一社会信用代码")]
    assert "未知的县(市、区)" in found[(5, "县(市、区)")]
    assert "校验位" in found[(6, "统一社会信用代码")]
    assert world.session.query(Enterprise).count() == 1


def test_a_large_import_refreshes_the_statistics(world, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "REFRESH_STATISTICS_AFTER", 3)
    body = "企业名称,统一社会信用代码,县(市、区),乡镇(街道),行业\n" + "".join(
        f"统计企业{n},{code_for(n)},昭阳区,,制造业\n" for n in range(5))
    path = tmp_path / "企业.csv"
    path.write_text(body, encoding="utf-8")
    assert imports.run(enterprise_importer(), str(path)).state == "succeeded"
    session = world.session
    if session.get_bind().dialect.name == "postgresql":
        # VACUUM marked the table's pages all-visible: count(*) can skip the heap.
        visible = session.execute(text("SELECT relallvisible FROM pg_class "
                                       "WHERE relname = 'visits_enterprise'")).scalar()
        assert visible > 0
    else:
        stats = session.execute(text("SELECT count(*) FROM sqlite_stat1 "
                                     "WHERE tbl = 'visits_enterprise'")).scalar()
        assert stats > 0
