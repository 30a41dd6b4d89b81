"""Regions: the city -> county -> township -> village tree every row and user hangs off."""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.database import copies as worker_cache
from console.foundation.errors import ConsoleError
from console.regions.models import REGION_LEVELS, Region

LEVELS = ["city", "county", "township", "village"]
CODE_RE = re.compile(r"^[0-9A-Za-z]{2,20}$")


class RegionError(ConsoleError):
    pass


def child_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def prepare(session, region: Region) -> Region:
    """Check a new or edited region against the tree's rules and fill its path."""
    code = (region.code or "").strip()
    if not CODE_RE.match(code):
        raise RegionError("区划代码须为 2 到 20 位字母或数字")
    region.code = code
    region.name = (region.name or "").strip()
    if not region.name:
        raise RegionError("名称不能为空")
    parent = region.parent or (session.get(Region, region.parent_id) if region.parent_id else None)
    if parent is None:
        if region.level != "city":
            raise RegionError("只有“市”一级可以没有上级区划")
        region.path = code + "."
    else:
        expected = child_level(parent.level)
        if region.level != expected:
            raise RegionError(f"“{parent.name}”的下级应为{_title(expected)}，不是{_title(region.level)}")
        region.path = parent.path + code + "."
    clash = session.query(Region.id).filter(Region.code == code, Region.id != region.id).first()
    if clash:
        raise RegionError(f"区划代码 {code} 已存在")
    return region


def _title(level: str | None) -> str:
    return REGION_LEVELS.get(level or "", "（无）")


def find(session, name_or_code: str) -> Region | None:
    """A region by its code, or by its name when the name is unambiguous."""
    key = (name_or_code or "").strip()
    region = session.query(Region).filter(Region.code == key).one_or_none()
    if region is None:
        matches = session.query(Region).filter(Region.name == key).limit(2).all()
        region = matches[0] if len(matches) == 1 else None
    return region


def city(session) -> Region | None:
    return session.query(Region).filter(Region.level == "city").order_by(Region.id).first()


@dataclass(frozen=True)
class County:
    """A county as the filters show it: plain data, kept by the worker between requests."""

    id: int
    code: str
    name: str
    path: str


def counties(session, within: Region | None = None) -> list[County]:
    """The counties (inside ``within``) by code, from this worker's copy (see worker_cache):
    every list page's county filter reads them."""
    def read():
        q = session.query(Region.id, Region.code, Region.name, Region.path).filter(Region.level == "county")
        return tuple(County(*row) for row in q.order_by(Region.code))

    every = worker_cache.cached("counties", read)
    return [c for c in every if within is None or c.path.startswith(within.path)]


def full_name(session, region: Region | None) -> str:
    """The region with its ancestors below the city, "镇雄县 / 某镇 / 某村": 125 village names
    repeat across the city, so a name alone does not say which one is meant.  The city is its
    own name; None is the whole city."""
    if region is None:
        return "全市"
    def read():
        return dict(session.query(Region.code, Region.name).all())

    names = worker_cache.cached("region_names", read)
    codes = [code for code in region.path.split(".") if code]
    if len(codes) <= 1:
        return region.name
    return " / ".join(names.get(code, code) for code in codes[1:])
