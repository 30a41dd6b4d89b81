"""Tables of 三送三进: the enterprise registry, service teams, visits and the problems
(诉求) raised in them, with the departments that handle them.

Every row carries ``region_id`` (scope) and ``county_id`` (the county it counts for: lists
filter and statistics group by it without walking the region tree).  Visits and problems copy
both from their enterprise.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import Audited, ConsoleUser, Named, Region, Regional, clock


team_member = Table(
    "visits_team_member",
    Model.metadata,
    Column("team_id", ForeignKey("visits_team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
)


department_member = Table(
    "visits_department_member",
    Model.metadata,
    Column("department_id", ForeignKey("visits_department.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
)


class Enterprise(Named, Audited, Model):
    """A private enterprise (新经济组织) of the registry."""
    __audit_title__ = "企业"

    __tablename__ = "visits_enterprise"
    __audit_masked__ = ("contact_person", "contact_phone")
    __table_args__ = (
        Index("ix_visits_enterprise_region_id", "region_id"),
        # The list order (name, id) and a county's list in that order: a page's ids come from
        # the index alone (console.paging.page_rows).
        Index("ix_visits_enterprise_name_id", "name", "id"),
        Index("ix_visits_enterprise_county_name_id", "county_id", "name", "id"),
        # PostgreSQL only: LIKE 'x%' is served by this index whatever the database collation.
        Index("ix_visits_enterprise_name_prefix", "name",
              postgresql_ops={"name": "varchar_pattern_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    industry: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow)

    region: Mapped[Region] = relationship(foreign_keys=[region_id], lazy="joined")
    county: Mapped[Region] = relationship(foreign_keys=[county_id], lazy="joined")


class Department(Regional, Named, Audited, Model):
    """A responsible department (责任单位): problems are assigned to it, its members handle
    them and receive the reminders."""
    __audit_title__ = "责任单位"

    __tablename__ = "visits_department"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))

    members = relationship(ConsoleUser, secondary=department_member, lazy="selectin")


class ServiceTeam(Regional, Named, Audited, Model):
    """A city or county service team (党建惠企服务团) and its members."""
    __audit_title__ = "服务队"

    __tablename__ = "visits_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))

    members = relationship(ConsoleUser, secondary=team_member, lazy="selectin")


class Visit(Audited, Model):
    """One visit of a team to an enterprise."""
    __audit_title__ = "走访"

    __tablename__ = "visits_visit"
    __table_args__ = (Index("ix_visits_visit_county_date", "county_id", "visit_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("visits_enterprise.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("visits_team.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True)
    # The chosen 送 items, joined with "、": dictionary values as they were on the day.
    send_items: Mapped[str | None] = mapped_column(String(200))
    enter_target: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    team: Mapped[ServiceTeam | None] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    county: Mapped[Region] = relationship(foreign_keys=[county_id], lazy="joined")

    @property
    def send_item_list(self) -> list[str]:
        return [s for s in (self.send_items or "").split("、") if s]

    def __repr__(self) -> str:
        return f"{self.visit_date} {self.enterprise.name if self.enterprise else ''}"

    __str__ = __repr__


class Problem(Audited, Model):
    """A problem (诉求) an enterprise raised; ``version`` refuses a stale edit."""
    __audit_title__ = "诉求"

    __tablename__ = "visits_problem"
    __table_args__ = (
        Index("ix_visits_problem_county_status", "county_id", "status"),
        Index("ix_visits_problem_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("visits_enterprise.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits_visit.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    category: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("visits_department.id"), index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    measures: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="新建")
    satisfaction: Mapped[str | None] = mapped_column(String(10))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("visits_problem.id"))
    raised_on: Mapped[dt.date] = mapped_column(Date, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(Integer)
    closed_by_name: Mapped[str | None] = mapped_column(String(128))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, onupdate=clock.utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    visit: Mapped[Visit | None] = relationship()
    department: Mapped[Department | None] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    county: Mapped[Region] = relationship(foreign_keys=[county_id], lazy="joined")
    steps = relationship("ProblemStep", order_by="ProblemStep.id", back_populates="problem",
                         cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"诉求 #{self.id} {self.category}"

    __str__ = __repr__


class ProblemStep(Audited, Model):
    """One step of a problem's handling record (办理记录): a transition with its note."""
    __audit_title__ = "诉求办理记录"

    __tablename__ = "visits_problem_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("visits_problem.id", ondelete="CASCADE"),
                                            index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow)

    problem: Mapped[Problem] = relationship(back_populates="steps")
