"""Continuing education: the hours ledger and its proof files."""

from __future__ import annotations

import datetime as dt
import math

from console import attachments, db, unit_of_work

from ..errors import TalentError
from ..models import EducationEntry, Person
from .common import FIRST_EXAM_YEAR, education_sources, no_autoflush, person_of, setting, text, today


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


@no_autoflush
def check_education(entry: EducationEntry, on: dt.date | None = None) -> None:
    on = on or today()
    person = person_of(entry, "请选择人员")
    if entry.source not in education_sources():
        raise TalentError(f"继续教育来源须为以下之一：{'、'.join(education_sources())}")
    entry.hours = parse_hours(entry.hours)
    if not isinstance(entry.taken_on, dt.date):
        raise TalentError("请填写学习日期")
    if entry.taken_on > on:
        raise TalentError("学习日期不能晚于今天")
    if entry.taken_on.year < FIRST_EXAM_YEAR:
        raise TalentError(f"学习日期不能早于 {FIRST_EXAM_YEAR} 年")
    entry.title = text(entry.title, "内容", 200)
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
    saved = attachments.save(db.session, proof, owner=PROOF_OWNER, owner_id=entry.id,
                             filename=filename, kind="document")
    db.session.flush()
    return saved


def save_upload(upload):
    """The proof file a form uploaded, saved before its ledger line has an id (``store_entry``
    links the two); None when no file was chosen."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return attachments.save(db.session, upload, owner=PROOF_OWNER, owner_id=None, filename=None,
                            kind="document")


@unit_of_work
def store_entry(entry: EducationEntry, proof=None) -> EducationEntry:
    """A ledger line a form has filled in and ``check_education`` has passed, stored with the
    proof ``save_upload`` kept for it, as one unit of work."""
    db.session.add(entry)
    db.session.flush()
    if proof is not None:
        attachments.attach(db.session, [proof], entry.id)
    return entry
