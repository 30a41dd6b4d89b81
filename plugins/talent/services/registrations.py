"""Registrations (登记): the workflow from application to issue, periods and renewal windows,
and the continuing-education hours a renewal needs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy.orm import aliased

from console import db, scope, unit_of_work

from ..errors import TalentError
from ..models import (
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
    Registration,
)
from .common import add_months, add_years, level_hours, no_autoflush, setting, text, today

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


@no_autoflush
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
    reg.note = text(reg.note, "备注", 2000)


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
    reg.note = text(note, "备注", 2000)
    db.session.flush()


def allowed_next(reg: Registration) -> tuple[str, ...]:
    return TRANSITIONS.get(reg.status, ())


@unit_of_work
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
    reg.review_note = text(note, "审核意见", 500) or reg.review_note
    db.session.flush()


def current_registrations(region=None):
    """Query of each valid certificate's latest issued registration (superseded ones and
    those of revoked certificates left out)."""
    later = aliased(Registration)
    newer = (db.session.query(later.id)
             .filter(later.certificate_id == Registration.certificate_id, later.status == ISSUED,
                     later.expires_on > Registration.expires_on)
             .exists())
    q = (db.session.query(Registration)
         .join(Certificate, Certificate.id == Registration.certificate_id)
         .filter(Registration.status == ISSUED, Certificate.revoked.is_(False), ~newer))
    # An explicit None means "the whole city" here, whoever is signed in.
    return q if region is None else scope.restrict(q, Registration, region)
