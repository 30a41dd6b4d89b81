"""Certificates: their checks, revocation and the token of the public verification page."""

from __future__ import annotations

import datetime as dt
import secrets

from console import db, unit_of_work

from ..errors import TalentError
from ..models import Certificate, Person
from .common import FIRST_EXAM_YEAR, level_hours, levels, no_autoflush, person_of, routes, text, today


def new_token() -> str:
    return secrets.token_urlsafe(24)


@no_autoflush
def check_certificate(cert: Certificate, on: dt.date | None = None) -> None:
    on = on or today()
    person = person_of(cert, "请选择持证人")
    if cert.level not in level_hours():
        raise TalentError(f"职业水平等级须为以下之一：{'、'.join(levels())}")
    if cert.route not in routes():
        raise TalentError(f"取得方式须为以下之一：{'、'.join(routes())}")
    cert.management_number = text(cert.management_number, "管理号", 50, required=True)
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


@unit_of_work
def revoke_certificate(cert: Certificate, reason, on: dt.date | None = None) -> None:
    if cert.revoked:
        raise TalentError("该证书已撤销")
    cert.revoked_reason = text(reason, "撤销原因", 500, required=True)
    cert.revoked = True
    cert.revoked_on = on or today()
    db.session.flush()


def check_certificate_deletable(cert: Certificate) -> None:
    if cert.registrations:
        raise TalentError("该证书已有登记记录，不能删除；如证书无效，请撤销")
