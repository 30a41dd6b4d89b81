"""The module's rules: certificates, registrations and their workflow, hours, supervision,
identity numbers, and the settings that drive them."""

import datetime as dt

import pytest
import sqlalchemy as sa

from console.audit.models import AuditLog
from console.foundation.extensions import db
from console.plugins import manager as plugins, settings as plugin_settings
from jiceng.plugins.talent import stats
from jiceng.plugins.talent.errors import TalentError
from jiceng.plugins.talent.models import Certificate, EducationEntry, Person, Registration
from jiceng.plugins.talent.services import (
    certificates,
    common,
    education,
    idnumber,
    people,
    registrations,
    supervision,
)

from .conftest import add_worker, issue, make_id, TODAY, village_in


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


# 530602 (昭阳区) dates from 2001: the address code is the county's when the number was given,
# so it is not checked against the birth year (as stdnum.cn.ric.validate does).
@pytest.mark.parametrize("number", ["11010519491231002X", "530602198503121230"])
def test_valid_numbers_pass_the_check_digit(number):
    assert idnumber.validate(number, TODAY) == number


def test_lower_case_x_and_spaces_are_normalized():
    assert idnumber.validate(" 11010519491231002x ", TODAY) == "11010519491231002X"


@pytest.mark.parametrize("number,message", [
    ("110105194912310021", "校验位"),
    ("11010519491231002", "18 位"),
    ("1101051949123100A2", "格式"),
    ("110105194913310028", "出生日期"),
    ("", "请填写"),
])
def test_invalid_numbers_are_refused_with_the_reason(number, message):
    with pytest.raises(TalentError) as exc:
        idnumber.validate(number, TODAY)
    assert message in exc.value.message


def test_an_implausible_birth_date_is_refused():
    with pytest.raises(TalentError, match="不合理"):
        idnumber.validate("440524188001010014", TODAY)  # a valid check digit, born 1880


def test_a_birth_date_in_the_future_is_refused():
    future = make_id(born="20300101")
    with pytest.raises(TalentError, match="不合理"):
        idnumber.validate(future, TODAY)


def test_mask_keeps_four_and_four():
    assert idnumber.mask("53060219850312123X") == "5306**********123X"


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("王", "王")])
def test_name_masking(name, masked):
    assert idnumber.mask_name(name) == masked


def test_number_is_encrypted_at_rest_and_hashed_with_a_key(ctx):
    number = make_id(seq=555)
    person = people.create_person(name="赵敏", id_number=number, region_id=village_in("530602").id,
                                    on=TODAY)
    db.session.commit()
    raw = db.session.execute(sa.text("SELECT * FROM talent_person WHERE id = :id"),
                             {"id": person.id}).mappings().one()
    for value in raw.values():
        assert number not in str(value)
    assert raw["id_number_masked"] == idnumber.mask(number)
    assert idnumber.decrypt(raw["id_number_enc"]) == number
    assert raw["id_number_hash"] != __import__("hashlib").sha256(number.encode()).hexdigest()
    # The same number encrypts differently each time (random nonce).
    assert idnumber.encrypt(number) != idnumber.encrypt(number)


def test_number_never_reaches_the_audit_log(ctx):
    number = make_id(seq=556)
    person = people.create_person(name="钱多", id_number=number, region_id=village_in("530602").id,
                                    contact="13700000000", on=TODAY)
    db.session.commit()
    person.name = "钱多多"
    people.set_id_number(person, make_id(seq=557), TODAY)
    db.session.commit()
    logs = " ".join(f"{r.summary} {r.changes}" for r in db.session.query(AuditLog)
                    .filter(AuditLog.entity == "talent_person"))
    assert "talent_person" in logs or "钱多" in logs
    for secret in (number, make_id(seq=557), "13700000000", person.id_number_enc, person.id_number_hash):
        assert secret not in logs


def test_duplicate_number_is_refused_and_nothing_written(ctx):
    number = make_id(seq=558)
    region = village_in("530602").id
    people.create_person(name="孙一", id_number=number, region_id=region, on=TODAY)
    db.session.commit()
    with pytest.raises(TalentError, match="已在人才库中登记"):
        people.create_person(name="孙二", id_number=number.lower(), region_id=region, on=TODAY)
    db.session.rollback()
    assert db.session.query(Person).filter(Person.name == "孙二").count() == 0


def test_find_person_by_number(ctx):
    number = make_id(seq=559)
    person = people.create_person(name="周五", id_number=number, region_id=village_in("530602").id,
                                    on=TODAY)
    db.session.commit()
    assert people.find_person(number) == person
    assert people.find_person("not a number") is None


def test_leap_day_helpers():
    assert common.add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert common.add_months(dt.date(2026, 5, 31), -3) == dt.date(2026, 2, 28)


def test_plugin_info_declares_the_settings(app):
    with app.app_context():
        info = plugins.registry().infos["talent"]
        assert info.title == "社会工作人才"
        values = plugin_settings.values("talent")
        assert values["registration_years"] == 3 and values["renewal_window_months"] == 3
        assert common.level_hours() == {"助理社会工作师": 72, "社会工作师": 90, "高级社会工作师": 90}
        assert common.reminder_days() == [7, 30, 60, 90]


def test_level_hours_are_configurable(app):
    with app.app_context():
        errors = plugin_settings.save("talent", {**plugin_settings.values("talent"),
                                                 "levels": "助理社会工作师=80\n高级社会工作师"})
        assert "格式不对" in errors["levels"]
        assert common.level_hours()["助理社会工作师"] == 72  # nothing half saved
        assert plugin_settings.save("talent", {**plugin_settings.values("talent"),
                                               "levels": "助理社会工作师=80\n社会工作师=100\n高级社会工作师=96"}) == {}
        assert common.level_hours() == {"助理社会工作师": 80, "社会工作师": 100, "高级社会工作师": 96}
