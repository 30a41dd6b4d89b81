"""Certificates, registrations, renewals, continuing education and supervision rules."""

import datetime as dt

import pytest

from console.plugins import settings as plugin_settings
from console.foundation.extensions import db
from jiceng.plugins.talent import stats
from jiceng.plugins.talent.services import certificates, education, registrations, supervision
from jiceng.plugins.talent.errors import TalentError
from jiceng.plugins.talent.models import Certificate, EducationEntry, Registration

from .conftest import TODAY, add_worker, issue


def test_duplicate_management_number_is_refused(ctx):
    add_worker("甲", "530602", 301, number="ZT-0001")
    db.session.commit()
    with pytest.raises(TalentError, match="管理号“ZT-0001”已存在"):
        add_worker("乙", "530602", 302, number="ZT-0001")
    db.session.rollback()
    assert db.session.query(Certificate).filter_by(management_number="ZT-0001").count() == 1


def test_certificate_token_is_random_and_not_the_number(ctx):
    _, a = add_worker("甲", "530602", 303, number="ZT-0002")
    _, b = add_worker("乙", "530602", 304, number="ZT-0003")
    assert len(a.token) == 32 and a.token != b.token
    assert "0002" not in a.token


def test_unknown_level_is_refused(ctx):
    with pytest.raises(TalentError, match="职业水平等级须为"):
        add_worker("甲", "530602", 305, level="社工大师")


@pytest.mark.parametrize("hours,message", [(-4, "大于 0"), (0, "大于 0"), (201, "不能超过 200"),
                                           (1e9, "不能超过"), ("abc", "须为数字"), ("nan", "大于 0")])
def test_absurd_hours_are_refused(ctx, hours, message):
    person, _ = add_worker("甲", "530602", 306)
    with pytest.raises(TalentError, match=message):
        education.add_education(person, source="集中培训", hours=hours, taken_on=TODAY, on=TODAY)
    db.session.rollback()
    assert db.session.query(EducationEntry).count() == 0


def test_education_in_the_future_is_refused(ctx):
    person, _ = add_worker("甲", "530602", 307)
    with pytest.raises(TalentError, match="不能晚于今天"):
        education.add_education(person, source="集中培训", hours=8, taken_on=TODAY + dt.timedelta(days=1),
                               on=TODAY)


def test_registration_walks_the_workflow_and_gets_three_years(ctx):
    _, cert = add_worker("甲", "530602", 308)
    reg = issue(cert, TODAY)
    assert reg.status == "已出证"
    assert reg.issued_on == TODAY
    assert reg.expires_on == dt.date(2029, 5, 31)


@pytest.mark.parametrize("path,refused", [
    ((), "初审通过"),  # 未申请 cannot jump to 初审通过
    (("待审核",), "已出证"),
    (("待审核", "初审通过"), "待审核"),
    (("待审核", "初审通过", "终审未通过"), "已出证"),
])
def test_transitions_not_in_the_workflow_are_refused(ctx, path, refused):
    _, cert = add_worker("甲", "530602", 309)
    reg = registrations.apply_registration(cert, "首次登记", on=TODAY)
    for to in path:
        registrations.transition(reg, to, on=TODAY)
    before = reg.status
    with pytest.raises(TalentError, match=f"不能从“{before}”变为“{refused}”"):
        registrations.transition(reg, refused, on=TODAY)
    assert reg.status == before


def test_rejected_first_review_can_be_resubmitted(ctx):
    _, cert = add_worker("甲", "530602", 310)
    reg = registrations.apply_registration(cert, "首次登记", on=TODAY)
    for to in ("待审核", "初审未通过", "待审核", "初审通过"):
        registrations.transition(reg, to, on=TODAY)
    assert reg.status == "初审通过"


def test_no_edit_after_first_review_passes(ctx):
    _, cert = add_worker("甲", "530602", 311)
    reg = registrations.apply_registration(cert, "首次登记", on=TODAY)
    registrations.update_registration(reg, note="补充材料", on=TODAY)
    registrations.transition(reg, "待审核", on=TODAY)
    registrations.update_registration(reg, note="再补充", on=TODAY)
    registrations.transition(reg, "初审通过", on=TODAY)
    with pytest.raises(TalentError, match="登记已初审通过，不能再修改"):
        registrations.update_registration(reg, note="偷偷改", on=TODAY)
    assert reg.note == "再补充"


def test_second_application_while_one_is_open_is_refused(ctx):
    _, cert = add_worker("甲", "530602", 312)
    registrations.apply_registration(cert, "首次登记", on=TODAY)
    with pytest.raises(TalentError, match="正在办理"):
        registrations.apply_registration(cert, "首次登记", on=TODAY)


def test_renewal_before_the_window_is_refused_with_the_opening_date(ctx):
    _, cert = add_worker("甲", "530602", 313)
    issue(cert, dt.date(2024, 1, 10))  # expires 2027-01-09, window opens 2026-10-09
    with pytest.raises(TalentError, match="延续登记自 2026-10-09 起受理"):
        registrations.apply_registration(cert, "延续登记", on=dt.date(2026, 10, 8))


def test_renewal_window_follows_the_setting(ctx):
    plugin_settings.save("talent", {**plugin_settings.values("talent"), "renewal_window_months": "6"})
    _, cert = add_worker("甲", "530602", 314)
    reg = issue(cert, dt.date(2024, 1, 10))
    assert registrations.window_opens(reg) == dt.date(2026, 7, 9)


def test_renewal_with_too_few_hours_is_refused_with_the_shortfall(ctx):
    person, cert = add_worker("甲", "530602", 315, level="社会工作师")
    issue(cert, dt.date(2024, 1, 10))
    education.add_education(person, source="集中培训", hours=40, taken_on=dt.date(2025, 3, 1), on=TODAY)
    education.add_education(person, source="网络学习", hours=20.5, taken_on=dt.date(2026, 3, 1), on=TODAY)
    # Hours from before the period do not count.
    education.add_education(person, source="网络学习", hours=50, taken_on=dt.date(2023, 3, 1), on=TODAY)
    with pytest.raises(TalentError) as exc:
        registrations.apply_registration(cert, "延续登记", on=dt.date(2026, 11, 1))
    assert "须完成 90 学时，已完成 60.5 学时，还差 29.5 学时" in exc.value.message
    assert db.session.query(Registration).filter_by(kind="延续登记").count() == 0


def test_assistant_level_needs_72_hours(ctx):
    person, cert = add_worker("甲", "530602", 316, level="助理社会工作师")
    issue(cert, dt.date(2024, 1, 10))
    education.add_education(person, source="集中培训", hours=72, taken_on=dt.date(2025, 3, 1), on=TODAY)
    reg = registrations.apply_registration(cert, "延续登记", on=dt.date(2026, 11, 1))
    for to in ("待审核", "初审通过", "终审通过", "已出证"):
        registrations.transition(reg, to, on=dt.date(2026, 11, 1))
    # The renewal continues the running period instead of cutting it short.
    assert reg.expires_on == dt.date(2030, 1, 9)
    assert registrations.current_registration(cert) == reg


def test_revoked_certificate_gets_no_registration(ctx):
    _, cert = add_worker("甲", "530602", 317)
    certificates.revoke_certificate(cert, "信息不实", on=TODAY)
    with pytest.raises(TalentError, match="已撤销"):
        registrations.apply_registration(cert, "首次登记", on=TODAY)


def test_supervision_relation_and_sessions(ctx):
    a, _ = add_worker("督导甲", "530602", 318, level="高级社会工作师")
    b, _ = add_worker("新人乙", "530602", 319, level="助理社会工作师")
    with pytest.raises(TalentError, match="同一人"):
        supervision.add_supervision(a, a, TODAY)
    sup = supervision.add_supervision(a, b, dt.date(2026, 1, 1))
    supervision.log_session(sup, held_on=dt.date(2026, 2, 1), hours=2, topic="个案", on=TODAY)
    with pytest.raises(TalentError, match="不在该督导关系"):
        supervision.log_session(sup, held_on=dt.date(2025, 2, 1), hours=2, on=TODAY)
    with pytest.raises(TalentError, match="不能超过 24"):
        supervision.log_session(sup, held_on=dt.date(2026, 2, 2), hours=30, on=TODAY)
    assert len(sup.sessions) == 1 and sup.region_id == b.region_id


def test_counting_functions(ctx, workers):
    by_level = stats.certified_by_level()
    assert by_level["社会工作师"] == 2 and by_level["助理社会工作师"] == 0
    rows = stats.certified_by_level_and_county()
    assert {"county": "昭阳区", "level": "社会工作师", "count": 1} in rows
    assert {"county": "镇雄县", "level": "社会工作师", "count": 1} in rows
    expiring = stats.expiring_registrations(dt.date(2028, 3, 1), 90)
    assert {r.id for r in expiring} == {workers["zreg"], workers["lreg"]}
    compliance = stats.education_compliance(TODAY)
    assert compliance["total"] == 2 and compliance["compliant"] == 0
