"""The module's hooks: settings, cards, jobs, importers, demo data; and the counting
functions a briefing section will call."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.conftest import BACKEND

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, form, submit, user, village_in
from console import clock

TODAY = clock.today()


def test_plugin_info_declares_the_settings_with_their_defaults(ctx):
    from console.plugins import settings as plugin_settings

    values = plugin_settings.values("nameplates")
    assert values["levels"] == ["村自查", "乡镇全面复核", "县级二次复核", "县级随机抽查"]
    assert (values["deadline_plaque"], values["deadline_certificate"], values["deadline_wallboard"]) == (15, 7, 30)


def test_the_registers_are_seeded(session):
    from plugins.nameplates.models import CancelledCertificate, DutyItem, WhitelistVersion

    version = session.query(WhitelistVersion).one()
    assert [(i.name, i.position) for i in version.items if i.position == "outside"] == [
        ("村党组织", "outside"), ("村民委员会", "outside"), ("民兵连", "outside"), ("村党群服务中心", "outside")]
    assert {i.name for i in version.items if i.position == "inside"} == {
        "新时代文明实践站", "综治中心", "集体经济组织", "退役军人服务站"}
    counts = {k: session.query(DutyItem).filter_by(list_kind=k).count() for k in ("party", "autonomy", "assist")}
    assert counts == {"party": 29, "autonomy": 23, "assist": 53}
    assert session.query(CancelledCertificate).count() == 34
    assert session.query(CancelledCertificate).filter_by(example=False).count() == 0  # wording unverified


def test_dashboard_cards_count_only_the_users_region(session):
    from console.regions.models import Region
    from plugins.nameplates.dashboard import cards

    accept(submit(village_in(ZHAOYANG), plaques=CLEAN))
    accept(submit(village_in(ZHENXIONG), inspector="zhenxiong", plaques=[("老年人协会", "outside")]))
    zhaoyang = session.query(Region).filter_by(code=ZHAOYANG).one()
    mine = {c.title: c.value for c in cards(zhaoyang)}
    city = {c.title: c.value for c in cards(None)}
    assert mine["今年已检查村(社区)"] == 1 and mine["挂牌合规率"] == "100.0" and mine["未销号整改"] == 0
    assert city["今年已检查村(社区)"] == 2 and city["挂牌合规率"] == "50.0" and city["未销号整改"] == 1


def test_the_counting_functions_by_county(session):
    from console.regions.models import Region
    from plugins.nameplates import stats

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=20)))
    accept(submit(village, plaques=[("计划生育协会", "inside")]))
    accept(submit(village_in(ZHAOYANG, 1), plaques=CLEAN))
    start, end = stats.year_span()
    if TODAY - dt.timedelta(days=20) < start:
        start = TODAY - dt.timedelta(days=30)
    rows = {r.county.code: r for r in stats.by_county(session, None, start, end)}
    assert len(rows) == 11
    row = rows[ZHAOYANG]
    assert (row.villages, row.inspected, row.open_orders, row.rebounds) == (206, 2, 1, 1)
    assert row.compliance_rate == 0.5
    assert rows[ZHENXIONG].inspected == 0 and rows[ZHENXIONG].compliance_rate is None
    county = session.query(Region).filter_by(code=ZHAOYANG).one()
    assert [r.county.code for r in stats.by_county(session, county, start, end)] == [ZHAOYANG]


def test_the_overdue_reminder_notifies_once_a_day(session):
    from console.notifications.models import Notification
    from plugins.nameplates import jobs
    from plugins.nameplates.models import RectificationOrder

    accept(submit(village_in(ZHAOYANG), plaques=[("老年人协会", "outside")]))
    order = session.query(RectificationOrder).one()
    assert jobs.remind_overdue(order.deadline) == 0
    late = order.deadline + dt.timedelta(days=2)
    assert jobs.remind_overdue(late) == 1
    assert jobs.remind_overdue(late) == 0
    notes = session.query(Notification).filter_by(source="nameplates").all()
    recipients = {n.user_id for n in notes}
    assert user("zhaoyang").id in recipients and user("zhenxiong").id not in recipients
    assert "已逾期 2 天" in notes[0].body and notes[0].link == f"/nameplates/orders/{order.id}"


def test_the_scheduled_jobs_are_declared(ctx):
    from plugins.nameplates import hooks

    jobs = {job.id: job for job in hooks.scheduled_jobs()}
    assert set(jobs) == {"overdue_reminders", "reinspections"}
    assert jobs["overdue_reminders"].trigger == "cron"


def test_cancelled_certificates_import_from_csv_all_or_nothing(session, tmp_path):
    from console.imports import pipeline as imports
    from plugins.nameplates.data_import import certificate_importer
    from plugins.nameplates.models import CancelledCertificate

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
    from plugins.nameplates.services import registers
    from plugins.nameplates.data_import import whitelist_importer

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


def test_demo_data_covers_every_village_with_a_realistic_mix_and_runs_once(session):
    from plugins.nameplates import demo
    from plugins.nameplates.models import Inspection, VillageLedger

    added = demo.load(session)
    session.commit()
    counts = demo.counts(session)
    assert sum(counts.values()) + 0 == session.query(VillageLedger).count()
    inspected = session.query(VillageLedger).count()
    assert 1350 <= inspected <= 1424
    assert counts["clean"] > 1000 and counts["rectified"] > 100 and 10 <= counts["rebound"] <= 80
    assert counts["rectifying"] > 10
    assert demo.load(session) == 0
    assert session.query(Inspection).count() == added
    # deterministic: the same village always gets the same story
    first = {(i.region_id, i.inspected_on - clock.today()) for i in session.query(Inspection)}
    session.query(VillageLedger).delete()
    for model in ("Reinspection", "RectificationOrder", "PlaqueFinding", "CertificateFinding", "Inspection"):
        from plugins.nameplates import models

        session.query(getattr(models, model)).delete()
    session.commit()
    demo.load(session)
    again = {(i.region_id, i.inspected_on - clock.today()) for i in session.query(Inspection)}
    assert again == first


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite lets one writer in at a time, so the two "
                    "transactions this race needs cannot overlap there; tests/adversarial covers SQLite "
                    "through gunicorn")
def test_two_concurrent_submissions_of_one_form_make_one_inspection(app):
    from console.foundation.extensions import db
    from plugins.nameplates.services import inspections
    from plugins.nameplates.models import Inspection

    with app.app_context():
        data = form(village_in(ZHAOYANG), plaques=CLEAN)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                inspector = user("zhaoyang")
                barrier.wait()
                inspection, created = inspections.submit(db.session, data, inspector)
                results.append((inspection.id, created))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({ident for ident, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
    with app.app_context():
        assert db.session.query(Inspection).count() == 1
