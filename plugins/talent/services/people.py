"""People of the register and their identity numbers (masked, encrypted, revealed on audit)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context

from console import audit, db, scope, unit_of_work

from ..errors import TalentError
from ..models import Certificate, EducationEntry, Person, Supervision
from . import idnumber
from .common import no_autoflush, region_in_scope, text, today

ID_PERMISSION = ("can_view_id_number", "talent_person")


def may_view_id_number() -> bool:
    """Whether the signed-in user holds ``can_view_id_number`` on ``talent_person``."""
    if not has_request_context():
        return False
    try:
        return bool(current_app.appbuilder.sm.has_access(*ID_PERMISSION))
    except Exception:
        return False


@unit_of_work
def reveal_id_number(person: Person) -> str:
    """The whole number, for a user who may see it; the look is written to the audit log."""
    if not may_view_id_number():
        raise TalentError("您没有查看完整身份证号的权限")
    audit.record("view_id_number", entity="talent_person", entity_id=person.id,
                 summary=f"查看完整身份证号：{person.name}")
    return idnumber.decrypt(person.id_number_enc)


@no_autoflush
def set_id_number(person: Person, raw, on: dt.date | None = None) -> None:
    number = idnumber.validate(raw, on or today())
    digest = idnumber.lookup_hash(number)
    q = db.session.query(Person.id).filter(Person.id_number_hash.in_(idnumber.lookup_hashes(number)))
    if person.id is not None:
        q = q.filter(Person.id != person.id)
    if q.first():
        raise TalentError("该身份证号已在人才库中登记，不能重复添加")
    person.id_number_enc = idnumber.encrypt(number)
    person.id_number_hash = digest
    person.id_number_masked = idnumber.mask(number)


def find_person(raw_id_number) -> Person | None:
    """The person with this identity number inside the user's scope, if any."""
    try:
        number = idnumber.validate(raw_id_number)
    except TalentError:
        return None
    q = db.session.query(Person).filter(Person.id_number_hash.in_(idnumber.lookup_hashes(number)))
    return scope.restrict(q, Person).first()


@no_autoflush
def check_person(person: Person) -> None:
    """Rules on the plain fields of a person (the identity number has its own)."""
    person.name = text(person.name, "姓名", 50, required=True)
    person.employer = text(person.employer, "工作单位", 200)
    person.contact = text(person.contact, "联系方式", 100)
    region = region_in_scope(person.region_id or (person.region.id if person.region else None))
    person.region_id = region.id
    person.community_worker = bool(person.community_worker)


def create_person(*, name, id_number, region_id, employer=None, community_worker=False,
                  contact=None, demo=False, on: dt.date | None = None) -> Person:
    person = Person(name=name, region_id=region_id, employer=employer,
                    community_worker=community_worker, contact=contact, demo=demo)
    check_person(person)
    set_id_number(person, id_number, on)
    db.session.add(person)
    db.session.flush()
    return person


def check_person_deletable(person: Person) -> None:
    """A person with a history is kept: certificates, hours and supervision refer to them."""
    if db.session.query(Certificate.id).filter(Certificate.person_id == person.id).first():
        raise TalentError("该人员名下还有证书，不能删除；如证书无效，请撤销证书")
    if db.session.query(EducationEntry.id).filter(EducationEntry.person_id == person.id).first():
        raise TalentError("该人员有继续教育记录，不能删除")
    if db.session.query(Supervision.id).filter(
            (Supervision.supervisor_id == person.id) | (Supervision.supervisee_id == person.id)).first():
        raise TalentError("该人员有督导关系记录，不能删除")


def move_dependants(person: Person) -> None:
    """Rows that hang off a person follow it into its new region (the scope reads them)."""
    rid = person.region_id
    for model, column in ((Certificate, Certificate.person_id), (EducationEntry, EducationEntry.person_id)):
        for row in db.session.query(model).filter(column == person.id):
            row.region_id = rid
    for cert in db.session.query(Certificate).filter(Certificate.person_id == person.id):
        for reg in cert.registrations:
            reg.region_id = rid
    for sup in db.session.query(Supervision).filter(Supervision.supervisee_id == person.id):
        sup.region_id = rid
        for sess in sup.sessions:
            sess.region_id = rid

