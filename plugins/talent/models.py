"""Tables of the talent module: people, certificates, registrations, continuing education,
supervision.  Reminders already sent are the core's notifications (``once`` keys)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import Audited, Named, Region, Regional, clock

# The workflow is enforced by the server (registrations.TRANSITIONS), so it is code, not a setting.
UNAPPLIED, PENDING, FIRST_OK, FIRST_NO, FINAL_OK, FINAL_NO, ISSUED = (
    "未申请", "待审核", "初审通过", "初审未通过", "终审通过", "终审未通过", "已出证",
)
STATUSES = (UNAPPLIED, PENDING, FIRST_OK, FIRST_NO, FINAL_OK, FINAL_NO, ISSUED)
FIRST, RENEWAL = "首次登记", "延续登记"
KINDS = (FIRST, RENEWAL)


class Person(Regional, Named, Audited, Model):
    __audit_title__ = "社工人员"
    __tablename__ = "talent_person"
    # The identity number never reaches the audit log, not even encrypted.
    __audit_masked__ = ("id_number_enc", "id_number_hash", "contact")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number_enc: Mapped[str] = mapped_column(String(120))
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    employer: Mapped[str | None] = mapped_column(String(200))
    community_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str | None] = mapped_column(String(100))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow)

    certificates: Mapped[list[Certificate]] = relationship(back_populates="person",
                                                           order_by="Certificate.id")


class Certificate(Regional, Audited, Model):
    """The qualification itself: it does not expire, its registration does."""
    __region_lazy__ = "select"
    __audit_title__ = "职业水平证书"

    __tablename__ = "talent_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("talent_person.id"), index=True)
    level: Mapped[str] = mapped_column(String(30), index=True)
    management_number: Mapped[str] = mapped_column(String(50), unique=True)
    year_obtained: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(30))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    # Random, never derived from the management number: the register cannot be enumerated.
    token: Mapped[str] = mapped_column(String(64), unique=True)

    person: Mapped[Person] = relationship(back_populates="certificates", lazy="joined")
    registrations: Mapped[list[Registration]] = relationship(back_populates="certificate",
                                                             order_by="Registration.id")

    def __repr__(self) -> str:
        return f"{self.level} {self.management_number}"

    __str__ = __repr__


class Registration(Regional, Audited, Model):
    """登记: first or renewal; valid for a configurable number of years from issue."""
    __region_lazy__ = "select"
    __audit_title__ = "登记"

    __tablename__ = "talent_registration"
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("talent_certificate.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=UNAPPLIED, index=True)
    applied_on: Mapped[dt.date | None] = mapped_column(Date)
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(String(500))

    certificate: Mapped[Certificate] = relationship(back_populates="registrations", lazy="joined")

    def __repr__(self) -> str:
        return f"{self.kind} #{self.id}（{self.status}）"

    __str__ = __repr__


class EducationEntry(Regional, Audited, Model):
    """One line of the continuing-education ledger; its proof is an attachment owned by
    ``talent.education``."""
    __region_lazy__ = "select"
    __audit_title__ = "继续教育记录"

    __tablename__ = "talent_education"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("talent_person.id"), index=True)
    source: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float)
    taken_on: Mapped[dt.date] = mapped_column(Date, index=True)

    person: Mapped[Person] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"{self.source} {self.hours:g} 学时"

    __str__ = __repr__


class Supervision(Regional, Audited, Model):
    """督导 relation: a supervisor and a supervisee, both people of the register."""
    __region_lazy__ = "select"
    __audit_title__ = "督导关系"

    __tablename__ = "talent_supervision"
    __table_args__ = (UniqueConstraint("supervisor_id", "supervisee_id", "started_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("talent_person.id"), index=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("talent_person.id"), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    supervisor: Mapped[Person] = relationship(foreign_keys=[supervisor_id], lazy="joined")
    supervisee: Mapped[Person] = relationship(foreign_keys=[supervisee_id], lazy="joined")
    sessions: Mapped[list[SupervisionSession]] = relationship(back_populates="supervision")

    def __repr__(self) -> str:
        return f"{self.supervisor} 督导 {self.supervisee}"

    __str__ = __repr__


class SupervisionSession(Regional, Audited, Model):
    __region_lazy__ = "select"
    __audit_title__ = "督导记录"
    __tablename__ = "talent_supervision_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    supervision_id: Mapped[int] = mapped_column(ForeignKey("talent_supervision.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(200))

    supervision: Mapped[Supervision] = relationship(back_populates="sessions", lazy="joined")

    def __repr__(self) -> str:
        return f"{self.held_on} {self.hours:g} 小时"

    __str__ = __repr__
