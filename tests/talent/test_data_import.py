"""Imports of people, certificates and hours: real .xlsx and GBK .csv files, row-by-row report,
all-or-nothing."""

import datetime as dt

import pytest

from console.foundation.extensions import db
from console.imports import catalog, pipeline as imports
from jiceng.plugins.talent.models import Certificate, EducationEntry, Person
from jiceng.plugins.talent.services import idnumber
from tests.support import write_xlsx

from .conftest import make_id


def _csv(path, rows, encoding="gbk"):
    path.write_bytes("\r\n".join(",".join(str(c) for c in r) for r in rows).encode(encoding))
    return str(path)


PEOPLE_HEADER = ("姓名", "身份证号", "区划代码", "工作单位", "持证社区工作者", "联系方式")


def test_people_import_encrypts_and_matches_regions(app, tmp_path):
    path = write_xlsx(tmp_path / "people.xlsx", [
        PEOPLE_HEADER,
        ("王一", make_id(seq=11), "530602", "社工站", "是", "13800000001"),
        ("王二", make_id("530627", seq=12).lower(), "530627", "", "否", ""),
    ])
    with app.app_context():
        result = imports.run(catalog.find("talent", "people"), path, plugin="talent")
        assert result.state == "succeeded" and result.rows_written == 2, result.message
        wang = db.session.query(Person).filter_by(name="王一").one()
        assert idnumber.decrypt(wang.id_number_enc) == make_id(seq=11)
        assert wang.community_worker is True and wang.region.name == "昭阳区"
        assert make_id(seq=11) not in wang.id_number_enc


def test_people_import_is_all_or_nothing_with_a_report(app, tmp_path):
    path = _csv(tmp_path / "people.csv", [
        PEOPLE_HEADER,
        ("好人", make_id(seq=21), "530602", "", "", ""),
        ("错号", make_id(seq=22)[:-1] + ("1" if make_id(seq=22)[-1] != "1" else "2"), "530602", "", "", ""),
        ("重复", make_id(seq=21), "530602", "", "", ""),
        ("无区", make_id(seq=23), "999999", "", "", ""),
    ])
    with app.app_context():
        result = imports.run(catalog.find("talent", "people"), path, plugin="talent")
        assert result.state == "rejected" and result.rows_written == 0
        reasons = {(p.row, p.column): p.reason for p in result.problems}
        assert "校验位" in reasons[(3, "身份证号")]
        assert "重复" in reasons[(4, "身份证号")]
        assert "区划代码" in reasons[(5, "区划代码")]
        assert result.report  # the rejected rows as .xlsx
        assert db.session.query(Person).count() == 0
    # The report names the rows but never carries a whole ID number.
    import io

    from openpyxl import load_workbook

    cells = [str(c) for row in load_workbook(io.BytesIO(result.report)).active.iter_rows(values_only=True)
             for c in row if c]
    assert make_id(seq=21) not in cells and make_id(seq=23) not in cells
    assert any(c.startswith(make_id(seq=21)[:4]) and c.endswith(make_id(seq=21)[-4:]) and "*" in c
               for c in cells)


def test_certificates_and_hours_import(app, tmp_path, workers):
    certs = write_xlsx(tmp_path / "certs.xlsx", [
        ("身份证号", "职业水平等级", "管理号", "取得年份", "取得方式"),
        (workers["zhang_id_number"], "高级社会工作师", "ZT-IMP-1", 2022, "考试+评审"),
    ])
    hours = write_xlsx(tmp_path / "hours.xlsx", [
        ("身份证号", "来源", "学时", "学习日期", "内容"),
        (workers["zhang_id_number"], "集中培训", 12.5, dt.date(2025, 5, 1), "培训"),
        (workers["li_id_number"], "网络学习", "8", "2025/6/1", ""),
    ])
    with app.app_context():
        result = imports.run(catalog.find("talent", "certificates"), certs, plugin="talent")
        assert result.state == "succeeded", result.message
        cert = db.session.query(Certificate).filter_by(management_number="ZT-IMP-1").one()
        assert cert.person_id == workers["zhang"] and len(cert.token) == 32
        result = imports.run(catalog.find("talent", "hours"), hours, plugin="talent")
        assert result.state == "succeeded", result.message
        assert db.session.query(EducationEntry).count() == 2


@pytest.mark.parametrize("row,column,reason", [
    (("张", "集中培训", -3, "2025-01-01", ""), "学时", "大于 0"),
    (("张", "集中培训", 5000, "2025-01-01", ""), "学时", "不能超过"),
    (("张", "集中培训", 8, "2099-01-01", ""), "学习日期", "晚于今天"),
    (("张", "打麻将", 8, "2025-01-01", ""), "来源", "来源须为"),
    (("nobody", "集中培训", 8, "2025-01-01", ""), "身份证号", "18 位"),
    ((make_id(seq=999), "集中培训", 8, "2025-01-01", ""), "身份证号", "没有此身份证号"),
])
def test_bad_hours_rows_are_refused(app, tmp_path, workers, row, column, reason):
    row = (workers["zhang_id_number"] if row[0] == "张" else row[0],) + row[1:]
    path = write_xlsx(tmp_path / "hours.xlsx", [("身份证号", "来源", "学时", "学习日期", "内容"), row])
    with app.app_context():
        result = imports.run(catalog.find("talent", "hours"), path, plugin="talent")
        assert result.state == "rejected"
        assert any(p.column == column and reason in p.reason for p in result.problems), result.problems
        assert db.session.query(EducationEntry).count() == 0


def test_duplicate_management_number_in_import(app, tmp_path, workers):
    path = write_xlsx(tmp_path / "certs.xlsx", [
        ("身份证号", "职业水平等级", "管理号", "取得年份", "取得方式"),
        (workers["zhang_id_number"], "社会工作师", "M530602101", 2020, "考试"),
    ])
    with app.app_context():
        result = imports.run(catalog.find("talent", "certificates"), path, plugin="talent")
        assert result.state == "rejected" and "已存在" in result.problems[0].reason


def test_templates_are_valid_workbooks(app):
    with app.app_context():
        for kind in ("people", "certificates", "hours"):
            assert imports.template_xlsx(catalog.find("talent", kind))[:2] == b"PK"
