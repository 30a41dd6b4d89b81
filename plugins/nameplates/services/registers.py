"""The registers inspections are checked against: whitelist versions, removed plaques,
cancelled certificates, and the module's settings read in one place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from console import plugin_settings, unit_of_work

from .. import NAME
from ..errors import NameplatesError
from ..models import CancelledCertificate, WhitelistItem, WhitelistVersion


def setting(key: str):
    return plugin_settings.get(NAME, key)


def levels() -> list[str]:
    return list(setting("levels"))


def deadline_days(finding_type: str) -> int:
    return int(setting(f"deadline_{finding_type}"))


def normalize(name: str | None) -> str:
    """Plaque and certificate names compare without spaces (“村 民 委 员 会” is the same)."""
    return "".join((name or "").split())


def version_on(session, day: dt.date) -> WhitelistVersion | None:
    """The whitelist version in force on ``day``: the latest that took effect by then."""
    return (
        session.query(WhitelistVersion)
        .filter(WhitelistVersion.effective_on <= day)
        .order_by(WhitelistVersion.effective_on.desc(), WhitelistVersion.number.desc())
        .first()
    )


def latest_version(session) -> WhitelistVersion | None:
    """The version a new one starts from: the highest number, whatever its date."""
    return session.query(WhitelistVersion).order_by(WhitelistVersion.number.desc()).first()


def draft_from_latest(session) -> list[tuple[str, str]]:
    """A new version's plaques as the previous version has them, to be edited as a whole."""
    latest = latest_version(session)
    return [(i.name, i.position) for i in latest.items] if latest else []


@unit_of_work
def add_version(session, effective_on: dt.date | None, items: list[tuple[str, str]], note: str | None = None,
                number: int | None = None) -> WhitelistVersion:
    """A new whitelist version with all its plaques (one unit of work: all saved or none); its
    number follows the highest one unless given.  A version without plaques would make every
    plaque of every village wrong from its date on: refused."""
    if effective_on is None:
        raise NameplatesError("请填写生效日期")
    if not any(normalize(name) for name, _ in items):
        raise NameplatesError("白名单版本至少要有一块牌子")
    note_max = WhitelistVersion.__table__.c.note.type.length
    if note and len(note) > note_max:
        raise NameplatesError(f"说明最多 {note_max} 个字，现有 {len(note)} 个字")
    name_max = WhitelistItem.__table__.c.name.type.length
    for name, _ in items:
        if len(normalize(name)) > name_max:
            raise NameplatesError(f"牌子名称最多 {name_max} 个字：“{normalize(name)[:20]}…”")
    if number is None:
        latest = session.query(WhitelistVersion.number).order_by(WhitelistVersion.number.desc()).first()
        number = (latest[0] if latest else 0) + 1
    version = WhitelistVersion(number=number, effective_on=effective_on, note=note)
    seen = set()
    for sort, (name, position) in enumerate(items):
        name = normalize(name)
        if position not in ("outside", "inside"):
            raise NameplatesError(f"牌子“{name}”的位置须为门外或门内")
        if not name or name in seen:
            continue
        seen.add(name)
        version.items.append(WhitelistItem(name=name, position=position, sort=sort))
    session.add(version)
    return version


@dataclass(frozen=True)
class PlaqueCheck:
    on_whitelist: bool
    unregistered: bool
    expected_position: str | None  # where the whitelist puts a name hung on the wrong side


def checker(session, version: WhitelistVersion | None):
    """A function ``(name, position) -> PlaqueCheck`` against ``version`` and the registers."""
    allowed = {normalize(i.name): i.position for i in (version.items if version else [])}
    known = {normalize(n) for (n,) in session.query(WhitelistItem.name).distinct()}
    known |= {normalize(n) for n in setting("removed_plaques")}
    known |= set(allowed)

    def check(name: str, position: str) -> PlaqueCheck:
        key = normalize(name)
        expected = allowed.get(key)
        return PlaqueCheck(on_whitelist=expected == position, unregistered=key not in known,
                           expected_position=expected)

    return check


def cancelled_lookup(session):
    """A function ``name -> CancelledCertificate | None`` over the cancelled register."""
    rows = {normalize(c.name): c for c in session.query(CancelledCertificate)}
    return lambda name: rows.get(normalize(name))


def cancelled_certificates(session) -> list[CancelledCertificate]:
    return session.query(CancelledCertificate).order_by(CancelledCertificate.number).all()
