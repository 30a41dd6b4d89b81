"""The talent module's rules.  Views, the REST API, imports, the reminder job and the demo data
all go through these functions.  They flush but never commit: the caller owns the transaction,
so an import or a form either writes everything or nothing."""

from __future__ import annotations

import datetime as dt
import math
import secrets

from flask import current_app, has_request_context

from console import Region, audit, clock, db, plugin_settings, scope

from . import idnumber
from .errors import NotFound, TalentError
from .models import (
    FINAL_NO,
    FINAL_OK,
    FIRST,
    FIRST_NO,
    FIRST_OK,
    ISSUED,
    PENDING,
    RENEWAL,
    UNAPPLIED,
    Certificate,
    EducationEntry,
    Person,
    Registration,
    Supervision,
    SupervisionSession,
)

NAME = "talent"


def _no_autoflush(func):
    """Rules run on objects a form or a constructor has just linked to loaded rows; their
    lookups must not flush those half-built objects first."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return func(*args, **kwargs)

    return wrapper
FIRST_EXAM_YEAR = 2008  # the national social-work qualification exam started in 2008

# -- settings -------------------------------------------------------------------------------


def setting(key: str):
    return plugin_settings.get(NAME, key)


def level_hours() -> dict[str, int]:
    """Level -> hours of continuing education required per registration period."""
    out = {}
    for line in setting("levels"):
        name, _, hours = line.partition("=")
        name = name.strip()
        if not name:
            continue
        try:
            out[name] = int(hours.strip())
        except ValueError:
            out[name] = 90  # a line without a number still names a level; the usual figure
    return out


def levels() -> list[str]:
    return list(level_hours())


def routes() -> list[str]:
    return list(setting("routes"))


def education_sources() -> list[str]:
    return list(setting("education_sources"))


def reminder_days() -> list[int]:
    days = set()
    for line in setting("reminder_days"):
        try:
            value = int(str(line).strip())
        except ValueError:
            continue
        if value > 0:
            days.add(value)
    return sorted(days)


today = clock.today


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for dd in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- identity numbers -----------------------------------------------------------------------

ID_PERMISSION = ("can_view_id_number", "talent_person")


def may_view_id_number() -> bool:
    """Whether the signed-in user holds ``can_view_id_number`` on ``talent_person``."""
    if not has_request_context():
        return False
    try:
        return bool(current_app.appbuilder.sm.has_access(*ID_PERMISSION))
    except Exception:
        return False


def reveal_id_number(person: Person) -> str:
    """The whole number, for a user who may see it; the look is written to the audit log."""
    if not may_view_id_number():
        raise TalentError("您没有查看完整身份证号的权限")
    audit.record("view_id_number", entity="talent_person", entity_id=person.id,
                 summary=f"查看完整身份证号：{person.name}")
    return idnumber.decrypt(person.id_number_enc)


@_no_autoflush
def set_id_number(person: Person, raw, on: dt.date | None = None) -> None:
    number = idnumber.validate(raw, on or today())
    digest = idnumber.lookup_hash(number)
    q = db.session.query(Person.id).filter(Person.id_number_hash == digest)
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
    q = db.session.query(Person).filter(Person.id_number_hash == idnumber.lookup_hash(number))
    return scope.restrict(q, Person).first()


# -- people ---------------------------------------------------------------------------------


def _region(region_id) -> Region:
    region = db.session.get(Region, region_id) if region_id else None
    if region is None:
        raise TalentError("请选择所在社区或单位所属区域")
    scope.require(region.id)
    return region


def _text(value, title: str, limit: int, required: bool = False) -> str | None:
    text = ("" if value is None else str(value)).strip()
    if not text:
        if required:
            raise TalentError(f"请填写{title}")
        return None
    if len(text) > limit:
        raise TalentError(f"{title}不能超过 {limit} 个字")
    return text


@_no_autoflush
def check_person(person: Person) -> None:
    """Rules on the plain fields of a person (the identity number has its own)."""
    person.name = _text(person.name, "姓名", 50, required=True)
    person.employer = _text(person.employer, "工作单位", 200)
    person.contact = _text(person.contact, "联系方式", 100)
    region = _region(person.region_id or (person.region.id if person.region else None))
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


def get(model, pk):
    """A row by id inside the user's scope, or :class:`NotFound` (outside looks the same)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("记录不存在") from None
    row = scope.restrict(db.session.query(model).filter(model.id == pk), model).first()
    if row is None:
        raise NotFound("记录不存在，或不在您的管辖范围内")
    return row


# -- certificates ---------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


@_no_autoflush
def check_certificate(cert: Certificate, on: dt.date | None = None) -> None:
    on = on or today()
    person = cert.person or (db.session.get(Person, cert.person_id) if cert.person_id else None)
    if person is None:
        raise TalentError("请选择持证人")
    scope.require(person.region_id)
    if cert.level not in level_hours():
        raise TalentError(f"职业水平等级须为以下之一：{'、'.join(levels())}")
    if cert.route not in routes():
        raise TalentError(f"取得方式须为以下之一：{'、'.join(routes())}")
    cert.management_number = _text(cert.management_number, "管理号", 50, required=True)
    try:
        year = int(cert.year_obtained)
    except (TypeError, ValueError):
        raise TalentError("取得年份须为四位年份") from None
    if not FIRST_EXAM_YEAR <= year <= on.year:
        raise TalentError(f"取得年份须在 {FIRST_EXAM_YEAR} 年至 {on.year} 年之间")
    cert.year_obtained = year
    q = db.session.query(Certificate.id).filter(Certificate.management_number == cert.management_number)
    if cert.id is not None:
        q = q.filter(Certificate.id != cert.id)
    if q.first():
        raise TalentError(f"管理号“{cert.management_number}”已存在，不能重复登记")
    if not cert.token:
        cert.token = new_token()
    cert.person = person
    cert.region_id = person.region_id


def add_certificate(person: Person, *, level, management_number, year_obtained, route,
                    on: dt.date | None = None) -> Certificate:
    cert = Certificate(person_id=person.id, level=level, management_number=management_number,
                       year_obtained=year_obtained, route=route, revoked=False)
    check_certificate(cert, on)
    db.session.add(cert)
    db.session.flush()
    return cert


def revoke_certificate(cert: Certificate, reason, on: dt.date | None = None) -> None:
    if cert.revoked:
        raise TalentError("该证书已撤销")
    cert.revoked_reason = _text(reason, "撤销原因", 500, required=True)
    cert.revoked = True
    cert.revoked_on = on or today()
    db.session.flush()


# -- registrations --------------------------------------------------------------------------

TRANSITIONS = {
    UNAPPLIED: (PENDING,),
    PENDING: (FIRST_OK, FIRST_NO),
    FIRST_NO: (PENDING,),  # corrected and submitted again
    FIRST_OK: (FINAL_OK, FINAL_NO),
    FINAL_OK: (ISSUED,),
}
ACTION_TITLES = {PENDING: "提交审核", FIRST_OK: "初审通过", FIRST_NO: "初审不通过",
                 FINAL_OK: "终审通过", FINAL_NO: "终审不通过", ISSUED: "出证"}
# From 初审通过 on the application is under review or decided: its content is frozen.
LOCKED = (FIRST_OK, FINAL_OK, FINAL_NO, ISSUED)
OPEN = (UNAPPLIED, PENDING, FIRST_NO, FIRST_OK, FINAL_OK)


def period_start_of(expires_on: dt.date) -> dt.date:
    """First day of the registration period that ends on ``expires_on``."""
    return add_years(expires_on + dt.timedelta(days=1), -setting("registration_years"))


def period_start(reg: Registration) -> dt.date:
    return period_start_of(reg.expires_on)


def window_opens(reg: Registration) -> dt.date:
    """The first day a renewal of ``reg`` is accepted."""
    return add_months(reg.expires_on, -setting("renewal_window_months"))


def current_registration(cert: Certificate) -> Registration | None:
    """The certificate's latest issued registration."""
    return (db.session.query(Registration)
            .filter(Registration.certificate_id == cert.id, Registration.status == ISSUED)
            .order_by(Registration.expires_on.desc(), Registration.id.desc()).first())


def hours_between(person_id: int, start: dt.date, end: dt.date) -> float:
    from sqlalchemy import func

    total = (db.session.query(func.coalesce(func.sum(EducationEntry.hours), 0.0))
             .filter(EducationEntry.person_id == person_id, EducationEntry.taken_on >= start,
                     EducationEntry.taken_on <= end).scalar())
    return round(float(total or 0), 1)


def education_status(cert: Certificate, reg: Registration | None = None) -> dict | None:
    """Hours required, done and missing in the period of ``reg`` (default: the current one)."""
    reg = reg or current_registration(cert)
    if reg is None or reg.expires_on is None:
        return None
    required = level_hours().get(cert.level, 90)
    start = period_start(reg)
    done = hours_between(cert.person_id, start, reg.expires_on)
    return {"required": required, "done": done, "short": max(0.0, round(required - done, 1)),
            "start": start, "end": reg.expires_on}


def _check_renewal(cert: Certificate, on: dt.date) -> None:
    reg = current_registration(cert)
    if reg is None:
        raise TalentError("该证书还没有已出证的登记，请办理首次登记")
    opens = window_opens(reg)
    if on < opens:
        raise TalentError(f"登记有效期至 {reg.expires_on:%Y-%m-%d}，"
                          f"延续登记自 {opens:%Y-%m-%d} 起受理")
    status = education_status(cert, reg)
    if status["short"] > 0:
        raise TalentError(
            f"继续教育学时不足，不能延续登记：本登记周期（{status['start']:%Y-%m-%d} 至 "
            f"{status['end']:%Y-%m-%d}）须完成 {status['required']:g} 学时，"
            f"已完成 {status['done']:g} 学时，还差 {status['short']:g} 学时")


@_no_autoflush
def check_new_registration(reg: Registration, on: dt.date | None = None) -> None:
    """Rules for a new application: certificate valid, nothing else in progress, a first
    registration only once, a renewal inside its window and with its hours complete."""
    on = on or today()
    cert = reg.certificate or (db.session.get(Certificate, reg.certificate_id) if reg.certificate_id else None)
    if cert is None:
        raise TalentError("请选择证书")
    scope.require(cert.region_id)
    if cert.revoked:
        raise TalentError("该证书已撤销，不能办理登记")
    if reg.kind not in (FIRST, RENEWAL):
        raise TalentError(f"登记类型须为“{FIRST}”或“{RENEWAL}”")
    busy = (db.session.query(Registration.id)
            .filter(Registration.certificate_id == cert.id, Registration.status.in_(OPEN)))
    if reg.id is not None:
        busy = busy.filter(Registration.id != reg.id)
    if busy.first():
        raise TalentError("该证书已有一份正在办理的登记申请，请办结后再申请")
    if reg.kind == FIRST:
        if current_registration(cert) is not None:
            raise TalentError("该证书已办理过登记，请申请延续登记")
    else:
        _check_renewal(cert, on)
    if reg.applied_on and reg.applied_on > on:
        raise TalentError("申请日期不能晚于今天")
    reg.certificate = cert
    reg.region_id = cert.region_id
    reg.status = UNAPPLIED
    reg.applied_on = reg.applied_on or on
    reg.issued_on = reg.expires_on = None
    reg.note = _text(reg.note, "备注", 2000)


def apply_registration(cert: Certificate, kind: str, *, applied_on: dt.date | None = None,
                       note=None, on: dt.date | None = None) -> Registration:
    # Linked by id: a refused application must leave nothing in the certificate's collection.
    reg = Registration(certificate_id=cert.id, kind=kind, applied_on=applied_on, note=note)
    check_new_registration(reg, on)
    db.session.add(reg)
    db.session.flush()
    return reg


def check_deletable(reg: Registration) -> None:
    if reg.status != UNAPPLIED:
        raise TalentError(f"登记已{reg.status}，不能删除")


def check_editable(reg: Registration) -> None:
    if reg.status in LOCKED:
        raise TalentError(f"登记已{reg.status}，不能再修改")


def update_registration(reg: Registration, *, applied_on=None, note=None,
                        on: dt.date | None = None) -> None:
    check_editable(reg)
    if applied_on is not None:
        if applied_on > (on or today()):
            raise TalentError("申请日期不能晚于今天")
        reg.applied_on = applied_on
    reg.note = _text(note, "备注", 2000)
    db.session.flush()


def allowed_next(reg: Registration) -> tuple[str, ...]:
    return TRANSITIONS.get(reg.status, ())


def transition(reg: Registration, to_status: str, *, note=None, on: dt.date | None = None) -> None:
    """Move ``reg`` along the workflow; any other move is refused with what is allowed."""
    on = on or today()
    scope.require(reg.region_id)
    allowed = allowed_next(reg)
    if to_status not in allowed:
        hint = "、".join(allowed) if allowed else "无（流程已结束）"
        raise TalentError(f"登记状态不能从“{reg.status}”变为“{to_status}”；可变为：{hint}")
    cert = reg.certificate
    if cert.revoked:
        raise TalentError("该证书已撤销，不能办理登记")
    if reg.kind == RENEWAL and to_status in (PENDING, ISSUED):
        _check_renewal(cert, on)
    if to_status == ISSUED:
        years = setting("registration_years")
        previous = current_registration(cert)
        # A renewal continues the running period rather than shortening it.
        if reg.kind == RENEWAL and previous is not None and previous.expires_on >= on:
            start = previous.expires_on + dt.timedelta(days=1)
        else:
            start = on
        reg.issued_on = on
        reg.expires_on = add_years(start, years) - dt.timedelta(days=1)
    reg.status = to_status
    reg.review_note = _text(note, "审核意见", 500) or reg.review_note
    db.session.flush()


# -- continuing education -------------------------------------------------------------------


def parse_hours(raw, limit: int | None = None) -> float:
    try:
        hours = float(str(raw).strip())
    except (TypeError, ValueError):
        raise TalentError("学时须为数字") from None
    if not math.isfinite(hours) or hours <= 0:
        raise TalentError("学时须大于 0")
    limit = limit if limit is not None else setting("max_hours_per_entry")
    if hours > limit:
        raise TalentError(f"单条记录的学时不能超过 {limit}")
    return round(hours, 1)


@_no_autoflush
def check_education(entry: EducationEntry, on: dt.date | None = None) -> None:
    on = on or today()
    person = entry.person or (db.session.get(Person, entry.person_id) if entry.person_id else None)
    if person is None:
        raise TalentError("请选择人员")
    scope.require(person.region_id)
    if entry.source not in education_sources():
        raise TalentError(f"继续教育来源须为以下之一：{'、'.join(education_sources())}")
    entry.hours = parse_hours(entry.hours)
    if not isinstance(entry.taken_on, dt.date):
        raise TalentError("请填写学习日期")
    if entry.taken_on > on:
        raise TalentError("学习日期不能晚于今天")
    if entry.taken_on.year < FIRST_EXAM_YEAR:
        raise TalentError(f"学习日期不能早于 {FIRST_EXAM_YEAR} 年")
    entry.title = _text(entry.title, "内容", 200)
    entry.person = person
    entry.region_id = person.region_id


PROOF_OWNER = "talent.education"


def add_education(person: Person, *, source, hours, taken_on, title=None, proof=None,
                  on: dt.date | None = None) -> EducationEntry:
    """One ledger line; ``proof`` (an uploaded file or bytes) is kept as its attachment."""
    entry = EducationEntry(person_id=person.id, source=source, hours=hours, taken_on=taken_on, title=title)
    check_education(entry, on)
    db.session.add(entry)
    db.session.flush()
    if proof is not None:
        attach_proof(entry, proof)
    return entry


def attach_proof(entry: EducationEntry, proof, filename: str | None = None):
    from console import attachments

    saved = attachments.save(db.session, proof, owner=PROOF_OWNER, owner_id=entry.id,
                             filename=filename, kind="document")
    db.session.flush()
    return saved


# -- supervision ----------------------------------------------------------------------------


@_no_autoflush
def check_supervision(sup: Supervision) -> None:
    supervisor = sup.supervisor or db.session.get(Person, sup.supervisor_id or 0)
    supervisee = sup.supervisee or db.session.get(Person, sup.supervisee_id or 0)
    if supervisor is None or supervisee is None:
        raise TalentError("请选择督导者和被督导者")
    if supervisor.id == supervisee.id:
        raise TalentError("督导者和被督导者不能是同一人")
    scope.require(supervisee.region_id)
    if not isinstance(sup.started_on, dt.date):
        raise TalentError("请填写督导开始日期")
    if sup.ended_on and sup.ended_on < sup.started_on:
        raise TalentError("督导结束日期不能早于开始日期")
    sup.supervisor, sup.supervisee = supervisor, supervisee
    sup.region_id = supervisee.region_id


def add_supervision(supervisor: Person, supervisee: Person, started_on: dt.date,
                    ended_on: dt.date | None = None) -> Supervision:
    sup = Supervision(supervisor_id=supervisor.id, supervisee_id=supervisee.id, started_on=started_on,
                      ended_on=ended_on)
    check_supervision(sup)
    db.session.add(sup)
    db.session.flush()
    return sup


@_no_autoflush
def check_session(sess: SupervisionSession, on: dt.date | None = None) -> None:
    on = on or today()
    sup = sess.supervision or db.session.get(Supervision, sess.supervision_id or 0)
    if sup is None:
        raise TalentError("请选择督导关系")
    scope.require(sup.region_id)
    sess.hours = parse_hours(sess.hours, limit=24)
    if not isinstance(sess.held_on, dt.date):
        raise TalentError("请填写督导日期")
    if sess.held_on > on:
        raise TalentError("督导日期不能晚于今天")
    if sess.held_on < sup.started_on or (sup.ended_on and sess.held_on > sup.ended_on):
        raise TalentError("督导日期不在该督导关系的起止日期内")
    sess.topic = _text(sess.topic, "督导主题", 200)
    sess.supervision = sup
    sess.region_id = sup.region_id


def log_session(sup: Supervision, *, held_on: dt.date, hours, topic=None,
                on: dt.date | None = None) -> SupervisionSession:
    sess = SupervisionSession(supervision_id=sup.id, held_on=held_on, hours=hours, topic=topic)
    check_session(sess, on)
    db.session.add(sess)
    db.session.flush()
    return sess
