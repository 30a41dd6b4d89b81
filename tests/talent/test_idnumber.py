"""Identity numbers: GB 11643 check digit, birth date, masking, protection at rest."""

import datetime as dt

import pytest
import sqlalchemy as sa

from console.foundation.extensions import db
from console.audit.models import AuditLog
from jiceng.plugins.talent.services import common, idnumber, people
from jiceng.plugins.talent.errors import TalentError
from jiceng.plugins.talent.models import Person

from .conftest import TODAY, make_id, village_in


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
