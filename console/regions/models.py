"""The region tree: city -> county -> township -> village."""

from __future__ import annotations

from dataclasses import dataclass

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from console.audit.models import Audited

REGION_LEVELS = {"city": "市", "county": "县(市、区)", "township": "乡镇(街道)", "village": "村(社区)"}


class Region(Audited, Model):
    """A node of the city -> county -> township -> village tree.

    ``path`` is the codes from the root down, each followed by a dot; "everything inside a
    region" is then a prefix match that an index serves.
    """

    __tablename__ = "region"
    __audit_title__ = "行政区划"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True)
    # Township and village names are invented for the demo; marked so nobody mistakes them.
    example: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Region | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def level_title(self) -> str:
        return REGION_LEVELS.get(self.level, self.level)

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class Regional:
    """Mixin: the row hangs off a region (a village, township or county), which the regional
    scope filters on.  ``region_id`` is indexed; the region is loaded with the row unless
    ``__region_lazy__`` says otherwise (``"select"`` for rows listed without their region)."""

    __region_lazy__ = "joined"

    @declared_attr
    def region_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("region.id"), index=True)

    @declared_attr
    def region(cls) -> Mapped[Region]:
        return relationship(Region, foreign_keys=[cls.region_id], lazy=cls.__region_lazy__)


# -- how a table without its own region_id falls inside a scope ---------------------------------
# A model declares one of these as ``__scope__``; console.regions.scope.within applies it to every
# choice a form, an ``_info`` or a related-field lookup offers, and to scoped lists.  A table
# without region_id that declares nothing is offered only to users of the whole city.


@dataclass(frozen=True)
class BelongsTo:
    """The row is inside a scope when the record it belongs to is: ``relation`` names the
    many-to-one relationship to that record (a plaque finding's ``inspection``)."""

    relation: str


@dataclass(frozen=True)
class CityWide:
    """A dictionary of the whole city (a whitelist, a register): inside every scope."""


@dataclass(frozen=True)
class OfferedTo:
    """Rows that are nobody's region's data, offered whole but only to users holding
    ``permission`` on ``view`` (user accounts: to those who manage users)."""

    permission: str
    view: str
