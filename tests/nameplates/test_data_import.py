"""The importers: cancelled certificates (all or nothing) and whitelist plaques into a new version."""

from __future__ import annotations

import datetime as dt


def test_cancelled_certificates_import_from_csv_all_or_nothing(session, tmp_path):
    from console.imports import pipeline as imports
    from jiceng.plugins.nameplates.data_import import certificate_importer
    from jiceng.plugins.nameplates.models import CancelledCertificate

    good = tmp_path / "证明.csv"
    good.write_text("证明名称,说明,示例\n开具收入证明,新增,否\n开具居住证明,,是\n", encoding="utf-8")
    result = imports.run(certificate_importer(), str(good), plugin="nameplates")
    assert result.state == "succeeded" and result.rows_written == 2
    added = session.query(CancelledCertificate).filter(CancelledCertificate.number > 34).order_by(CancelledCertificate.number).all()
    assert [(c.number, c.name, c.example) for c in added] == [(35, "开具收入证明", False), (36, "开具居住证明", True)]
    bad = tmp_path / "重复.csv"
    bad.write_text("证明名称\n亲属关系证明\n新的证明\n", encoding="utf-8")
    rejected = imports.run(certificate_importer(), str(bad), plugin="nameplates")
    assert rejected.state == "rejected" and rejected.problems[0].reason == "该证明已在清单中"
    assert session.query(CancelledCertificate).count() == 36


def test_whitelist_plaques_import_into_a_new_version(session, tmp_path):
    from openpyxl import Workbook

    from console.imports import pipeline as imports
    from jiceng.plugins.nameplates.services import registers
    from jiceng.plugins.nameplates.data_import import whitelist_importer

    wb = Workbook()
    ws = wb.active
    ws.append(["版本号", "牌子名称", "位置", "生效日期"])
    ws.append([2, "村党组织", "门外", "2020-01-01"])
    ws.append([2, "老年人协会", "门内", None])
    path = tmp_path / "白名单.xlsx"
    wb.save(path)
    result = imports.run(whitelist_importer(), str(path), plugin="nameplates")
    assert result.state == "succeeded", result.problems
    version = registers.version_on(session, dt.date(2020, 6, 1))
    assert version.number == 2 and [(i.name, i.position) for i in version.items] == [
        ("村党组织", "outside"), ("老年人协会", "inside")]
