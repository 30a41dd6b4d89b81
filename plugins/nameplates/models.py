"""Tables of the nameplates module: the registers its owner keeps, inspections and what they
found, rectification orders, scheduled re-inspections and the per-village ledger row."""

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

from console.models import Audited, Region, utcnow
from console.timefmt import today as local_today

POSITIONS = {"outside": "门外", "inside": "门内"}
# What the inspector says must happen to a plaque found on the wall.
ACTIONS = {"keep": "保留", "merge": "合并", "remove": "摘除"}
DUTY_LISTS = {
    "party": ("村级党组织履行职责事项", 29),
    "autonomy": ("村级群众性自治组织依法履行职责事项", 23),
    "assist": ("村级组织协助服务事项", 53),
}
INSPECTION_STATES = {"submitted": "待审核", "accepted": "已通过", "rejected": "已退回"}
FINDING_TYPES = {"plaque": "滥挂牌", "certificate": "出具已取消证明", "wallboard": "上墙内容不规范"}
ORDER_STATES = {"open": "整改中", "rectified": "待复查", "closed": "已销号"}
REINSPECTION_STATES = {"scheduled": "待复查", "done": "已复查"}
VILLAGE_STATES = {
    "uninspected": "未检查",
    "clean": "合格",
    "rectifying": "整改中",
    "rectified": "已整改销号",
    "rebound": "反弹待复查",
}


def _example_title(flag: bool) -> str:
    return "示例" if flag else ""


# -- registers ------------------------------------------------------------------------------


class WhitelistVersion(Audited, Model):
    """One issue of the plaque whitelist; an inspection is checked against the version in force
    on its date and keeps a reference to it."""
    __audit_title__ = "挂牌清单版本"

    __tablename__ = "nameplates_whitelist_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    items: Mapped[list[WhitelistItem]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="WhitelistItem.position.desc(), WhitelistItem.sort"
    )

    def __repr__(self) -> str:
        return f"第{self.number}版（{self.effective_on.isoformat()}起）"

    __str__ = __repr__


class WhitelistItem(Audited, Model):
    __audit_title__ = "挂牌清单项"
    __tablename__ = "nameplates_whitelist_item"
    __table_args__ = (UniqueConstraint("version_id", "name", name="uq_nameplates_whitelist_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("nameplates_whitelist_version.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(10))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[WhitelistVersion] = relationship(back_populates="items")

    @property
    def position_title(self) -> str:
        return POSITIONS.get(self.position, self.position)

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class DutyItem(Audited, Model):
    """An item of one of the three village duty lists (29 + 23 + 53)."""
    __audit_title__ = "村级职责事项"

    __tablename__ = "nameplates_duty_item"
    __table_args__ = (UniqueConstraint("list_kind", "number", name="uq_nameplates_duty_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    list_kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # The real wording is not at hand for every item: such entries are marked and shown as 示例.
    example: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def list_title(self) -> str:
        return DUTY_LISTS.get(self.list_kind, (self.list_kind,))[0]

    @property
    def example_title(self) -> str:
        return _example_title(self.example)

    def __repr__(self) -> str:
        return self.title

    __str__ = __repr__


class CancelledCertificate(Audited, Model):
    """A certificate villages must no longer issue (取消不应出具证明事项)."""
    __audit_title__ = "取消证明事项"

    __tablename__ = "nameplates_cancelled_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str | None] = mapped_column(String(500))
    example: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def example_title(self) -> str:
        return _example_title(self.example)

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


# -- inspections ----------------------------------------------------------------------------


class Inspection(Audited, Model):
    __audit_title__ = "挂牌检查"
    __tablename__ = "nameplates_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Generated by the form; a resubmission carrying the same id finds this row instead of
    # creating a second one (the unique index settles concurrent duplicates).
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    level: Mapped[str] = mapped_column(String(50))
    inspected_on: Mapped[dt.date] = mapped_column(Date, index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    whitelist_version_id: Mapped[int | None] = mapped_column(ForeignKey("nameplates_whitelist_version.id"))
    wall_boards: Mapped[int] = mapped_column(Integer, default=0)
    wall_boards_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    wall_boards_note: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # The village's person answerable for the findings, copied into its rectification orders.
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str | None] = mapped_column(String(500))
    # Filled when the inspection is accepted: no finding at all, and whether it is a rebound.
    compliant: Mapped[bool | None] = mapped_column(Boolean)
    rebound: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")
    inspector = relationship("ConsoleUser", foreign_keys=[inspector_id], lazy="joined")
    reviewer = relationship("ConsoleUser", foreign_keys=[reviewer_id])
    whitelist_version: Mapped[WhitelistVersion | None] = relationship()
    plaques: Mapped[list[PlaqueFinding]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="PlaqueFinding.id"
    )
    certificates: Mapped[list[CertificateFinding]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="CertificateFinding.id"
    )

    @property
    def status_title(self) -> str:
        return INSPECTION_STATES.get(self.status, self.status)

    @property
    def result_title(self) -> str:
        if self.compliant is None:
            return "待审核" if self.status != "rejected" else "已退回"
        return ("合格" if self.compliant else "有问题") + ("（反弹）" if self.rebound else "")

    @property
    def findings_count(self) -> int:
        count = sum(1 for p in self.plaques if not p.on_whitelist)
        count += sum(1 for c in self.certificates if c.cancelled)
        return count + (0 if self.wall_boards_ok else 1)

    __audit_masked__ = ("responsible_person",)

    def __repr__(self) -> str:
        return f"{self.region.name if self.region else ''} {self.inspected_on} {self.level}"

    __str__ = __repr__


class PlaqueFinding(Audited, Model):
    __audit_title__ = "牌子检查结果"
    __tablename__ = "nameplates_plaque"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("nameplates_inspection.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(10))
    on_whitelist: Mapped[bool] = mapped_column(Boolean, default=False)
    # A name found in no register at all: allowed, flagged for the module owner to look at.
    unregistered: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(10), default="keep")
    inspection: Mapped[Inspection] = relationship(back_populates="plaques")

    @property
    def position_title(self) -> str:
        return POSITIONS.get(self.position, self.position)

    @property
    def action_title(self) -> str:
        return ACTIONS.get(self.action, self.action)

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class CertificateFinding(Audited, Model):
    """A certificate the village says it still issues."""
    __audit_title__ = "证明检查结果"

    __tablename__ = "nameplates_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("nameplates_inspection.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    cancelled_id: Mapped[int | None] = mapped_column(ForeignKey("nameplates_cancelled_certificate.id"))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    inspection: Mapped[Inspection] = relationship(back_populates="certificates")

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


# -- rectification and reverse check --------------------------------------------------------


class RectificationOrder(Audited, Model):
    __audit_title__ = "整改单"
    __tablename__ = "nameplates_rectification"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("nameplates_inspection.id"), index=True)
    finding_type: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    measures: Mapped[str | None] = mapped_column(String(500))
    rectified_on: Mapped[dt.date | None] = mapped_column(Date)
    reinspection_note: Mapped[str | None] = mapped_column(String(500))
    reinspected_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)

    region: Mapped[Region] = relationship(lazy="joined")
    inspection: Mapped[Inspection] = relationship()

    __audit_masked__ = ("responsible_person",)

    @property
    def finding_title(self) -> str:
        return FINDING_TYPES.get(self.finding_type, self.finding_type)

    @property
    def status_title(self) -> str:
        return ORDER_STATES.get(self.status, self.status)

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or local_today()
        return self.status != "closed" and self.deadline < today

    @property
    def overdue_title(self) -> str:
        return "逾期" if self.is_overdue() else ""

    def __repr__(self) -> str:
        return f"{self.finding_title}：{self.subject}"

    __str__ = __repr__


class Reinspection(Audited, Model):
    """A re-inspection scheduled by the reverse check after a rebound."""
    __audit_title__ = "复查安排"

    __tablename__ = "nameplates_reinspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    source_inspection_id: Mapped[int] = mapped_column(ForeignKey("nameplates_inspection.id"))
    reason: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    done_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("nameplates_inspection.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def status_title(self) -> str:
        return REINSPECTION_STATES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"{self.region.name if self.region else ''} 复查（{self.due_on}前）"

    __str__ = __repr__


class VillageLedger(Model):
    """One row per inspected village, kept by the services in the same transaction as the
    change, so the city ledger of 1,424 villages pages and filters without recomputing."""

    __tablename__ = "nameplates_village"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="uninspected", index=True)
    last_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("nameplates_inspection.id"))
    last_inspected_on: Mapped[dt.date | None] = mapped_column(Date)
    inspections: Mapped[int] = mapped_column(Integer, default=0)
    open_orders: Mapped[int] = mapped_column(Integer, default=0)
    closed_orders: Mapped[int] = mapped_column(Integer, default=0)
    rebounds: Mapped[int] = mapped_column(Integer, default=0)
    # The earliest deadline among open orders: "overdue" is then next_deadline < today.
    next_deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def status_title(self) -> str:
        return VILLAGE_STATES.get(self.status, self.status)
