"""Inspections: submission (idempotent by the form's client id), editing and review.

Every function here that writes is one unit of work (``console.unit_of_work``): it validates
everything first and writes, committed when it returns, or rolled back when it raises a
:class:`NameplatesError` with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from console import Region, clock, roles, scope, unit_of_work

from .. import NAME
from ..errors import Conflict, Forbidden, NameplatesError, NotFound
from ..models import CertificateFinding, Inspection, PlaqueFinding
from . import ledger, photos, rectification, registers

CLIENT_ID_RE = re.compile(r"^[0-9A-Za-z-]{8,64}$")


@dataclass
class PlaqueInput:
    name: str
    position: str = "outside"
    action: str | None = None  # keep | merge | remove; None: keep if whitelisted, else remove


@dataclass
class InspectionInput:
    """What the form (or the API) submits."""

    client_id: str
    village_id: int
    level: str
    inspected_on: dt.date | str
    plaques: list[PlaqueInput] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    wall_boards: int = 0
    wall_boards_ok: bool = True
    wall_boards_note: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    responsible_person: str | None = None
    note: str | None = None
    # When the record was saved on the device, for one that waited in the phone's outbox.
    captured_at: dt.datetime | None = None


@dataclass
class PhotoFacts:
    """What the phone read from a photo's EXIF before it downscaled it in the page (a canvas
    re-encodes the image and drops the EXIF block, so the facts travel beside the file)."""

    taken_at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


today = clock.today


# -- reading --------------------------------------------------------------------------------


def get(session, inspection_id, user=None) -> Inspection:
    """An inspection inside the user's scope; anything else is answered as not found."""
    try:
        ident = int(inspection_id)
    except (TypeError, ValueError):
        raise NotFound("记录不存在，或不在您的管辖范围内") from None
    row = session.get(Inspection, ident)
    if row is None or not scope.contains(row.region_id, _scope_of(user)):
        raise NotFound("记录不存在，或不在您的管辖范围内")
    return row


def _scope_of(user):
    return getattr(user, "scope_region", None) if user is not None else scope.current_region()


def villages_for(session, user, query: str | None = None, limit: int = 50) -> list[Region]:
    """Villages the user may inspect, for the form's picker."""
    q = session.query(Region).filter(Region.level == "village")
    q = scope.restrict(q, Region, region=_scope_of(user), column="id")
    if query:
        q = q.filter(Region.name.contains(query.strip()))
    return q.order_by(Region.path).limit(limit).all()


# -- validation -----------------------------------------------------------------------------


def _village(session, village_id, user) -> Region:
    try:
        ident = int(village_id)
    except (TypeError, ValueError):
        raise NameplatesError("请选择村(社区)") from None
    village = session.get(Region, ident)
    if village is None or not scope.contains(village.id, _scope_of(user)):
        raise NotFound("所选村(社区)不存在，或不在您的管辖范围内")
    if village.level != "village":
        raise NameplatesError("检查对象须为村(社区)")
    return village


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise NameplatesError("检查日期格式不正确（例如 2025-03-01）") from None
    if not isinstance(value, dt.date):
        raise NameplatesError("请填写检查日期")
    if value > today():
        raise NameplatesError("检查日期不能晚于今天")
    if value.year < 2000:
        raise NameplatesError("检查日期不正确")
    return value


def _coordinate(value, low, high, title):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NameplatesError(f"{title}须为数字") from None
    if not low <= number <= high:
        raise NameplatesError(f"{title}超出范围")
    return number


def _validate(session, data: InspectionInput, user):
    village = _village(session, data.village_id, user)
    if data.level not in registers.levels():
        raise NameplatesError(f"检查层级须为以下之一：{'、'.join(registers.levels())}")
    day = _date(data.inspected_on)
    version = registers.version_on(session, day)
    if version is None:
        raise NameplatesError("检查日期之前没有生效的挂牌白名单，请先由模块负责人维护白名单")
    try:
        wall_boards = int(data.wall_boards or 0)
    except (TypeError, ValueError):
        raise NameplatesError("上墙牌板数量须为整数") from None
    if wall_boards < 0 or wall_boards > 500:
        raise NameplatesError("上墙牌板数量不正确")
    check = registers.checker(session, version)
    plaques, seen = [], set()
    for p in data.plaques:
        name = " ".join((p.name or "").split())
        if not name:
            continue
        if len(name) > 100:
            raise NameplatesError(f"牌子名称过长：{name[:20]}…")
        if p.position not in ("outside", "inside"):
            raise NameplatesError(f"牌子“{name}”的位置须为门外或门内")
        key = (registers.normalize(name), p.position)
        if key in seen:
            raise NameplatesError(f"牌子“{name}”重复填写了")
        seen.add(key)
        result = check(name, p.position)
        action = p.action or ("keep" if result.on_whitelist else "remove")
        if action not in ("keep", "merge", "remove"):
            raise NameplatesError(f"牌子“{name}”的处理方式须为保留、合并或摘除")
        if not result.on_whitelist and action == "keep":
            # Anything not on the whitelist is taken down or merged; keeping it is not an option.
            action = "remove"
        if result.on_whitelist:
            action = "keep"
        plaques.append(PlaqueFinding(name=name, position=p.position, on_whitelist=result.on_whitelist,
                                     unregistered=result.unregistered, action=action))
    lookup = registers.cancelled_lookup(session)
    certificates, seen = [], set()
    for raw in data.certificates:
        name = " ".join((raw or "").split())
        if not name or registers.normalize(name) in seen:
            continue
        if len(name) > 200:
            raise NameplatesError(f"证明名称过长：{name[:20]}…")
        seen.add(registers.normalize(name))
        match = lookup(name)
        certificates.append(CertificateFinding(name=name, cancelled=match is not None,
                                               cancelled_id=match.id if match else None))
    return {
        "region_id": village.id,
        "level": data.level,
        "inspected_on": day,
        "whitelist_version_id": version.id,
        "wall_boards": wall_boards,
        "wall_boards_ok": bool(data.wall_boards_ok),
        "wall_boards_note": (data.wall_boards_note or "").strip()[:500] or None,
        "latitude": _coordinate(data.latitude, -90, 90, "纬度"),
        "longitude": _coordinate(data.longitude, -180, 180, "经度"),
        "responsible_person": (data.responsible_person or "").strip()[:100] or None,
        "note": (data.note or "").strip() or None,
        "captured_at": _captured_at(data.captured_at, day),
    }, plaques, certificates


# A phone's clock may run a little ahead of the server's; more than this is a wrong clock.
CLOCK_SKEW = dt.timedelta(minutes=10)


def _captured_at(value: dt.datetime | None, day: dt.date) -> dt.datetime | None:
    """The device's capture time in UTC; refused when it is in the future or before the day the
    inspection says it took place (the phone's clock is wrong, and the record should say so)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.zone())
    value = value.astimezone(dt.UTC)
    if value > clock.now().astimezone(dt.UTC) + CLOCK_SKEW:
        raise NameplatesError("采集时间晚于当前时间：请检查手机的日期和时间设置")
    if value.astimezone(clock.zone()).date() < day:
        raise NameplatesError("采集时间早于检查日期：请核对检查日期或手机的日期和时间设置")
    return value.replace(tzinfo=None)


# -- submission -----------------------------------------------------------------------------


def by_client_id(session, client_id: str) -> Inspection | None:
    return session.query(Inspection).filter(Inspection.client_id == client_id).one_or_none()


def _same_submitter(existing: Inspection, user) -> Inspection:
    if user is not None and existing.inspector_id not in (None, user.id):
        raise Conflict("该表单编号已被其他人的检查使用，请刷新页面重新填写")
    return existing


def submit(session, data: InspectionInput, user, files=(), facts=()) -> tuple[Inspection, bool]:
    """Record an inspection with its findings and photos in one transaction.

    Returns ``(inspection, created)``.  A second submission with the same client id returns
    the first inspection untouched (``created`` False), also when two arrive at once: the
    unique index lets one insert win and the other finds the winner.
    """
    client_id = (data.client_id or "").strip()
    if not CLIENT_ID_RE.match(client_id):
        raise NameplatesError("表单编号缺失或格式不正确，请刷新页面后重新填写")
    existing = by_client_id(session, client_id)
    if existing is not None:
        return _same_submitter(existing, user), False
    try:
        inspection = _record(session, client_id, data, user, files, facts)
    except IntegrityError:
        # The unit of work has rolled back: the concurrent duplicate's winner is committed.
        existing = by_client_id(session, client_id)
        if existing is None:
            raise
        return _same_submitter(existing, user), False
    return inspection, True


@unit_of_work
def _record(session, client_id: str, data: InspectionInput, user, files, facts=()) -> Inspection:
    """The new inspection with its findings and photos: one unit of work."""
    values, plaques, certificates = _validate(session, data, user)
    inspection = Inspection(client_id=client_id, inspector_id=getattr(user, "id", None),
                            status="submitted", **values)
    session.add(inspection)
    # Insert the row first: a concurrent duplicate fails here, before any photo is processed.
    session.flush()
    inspection.plaques.extend(plaques)
    inspection.certificates.extend(certificates)
    saved = photos.save(session, files, photos.INSPECTION, inspection.id, getattr(user, "id", None))
    _apply_facts(saved, facts)
    _position_from_photos(inspection, saved)
    return inspection


def _apply_facts(saved, facts) -> None:
    """EXIF facts sent beside the photos, in the same order, fill what the file itself no longer
    says; a file that still carries its EXIF keeps its own."""
    for photo, fact in zip(saved, facts or ()):
        if fact is None:
            continue
        if photo.taken_at is None and fact.taken_at is not None:
            taken = fact.taken_at
            if taken.tzinfo is None:
                # A camera writes local time without a zone: the console's zone is assumed.
                taken = taken.replace(tzinfo=clock.zone())
            photo.taken_at = taken.astimezone(dt.UTC).replace(tzinfo=None)
        if photo.latitude is None and fact.latitude is not None and fact.longitude is not None:
            photo.latitude = _coordinate(fact.latitude, -90, 90, "照片纬度")
            photo.longitude = _coordinate(fact.longitude, -180, 180, "照片经度")


def _position_from_photos(inspection: Inspection, saved) -> None:
    """Without a position typed in, the first photo's EXIF GPS stands for the inspection's."""
    if inspection.latitude is None:
        for photo in saved:
            if photo.latitude is not None:
                inspection.latitude, inspection.longitude = photo.latitude, photo.longitude
                return


@unit_of_work
def update(session, inspection_id, data: InspectionInput, user, files=()) -> Inspection:
    """The inspector corrects an inspection that is not yet accepted (a returned one goes back
    to review)."""
    inspection = get(session, inspection_id, user)
    if inspection.status == "accepted":
        raise Forbidden("该检查已审核通过，不能再修改")
    if user is not None and inspection.inspector_id != user.id and not _is_owner(user):
        raise Forbidden("只能修改自己录入的检查")
    values, plaques, certificates = _validate(session, data, user)
    # When it was first saved on the phone stays a fact of the record, whatever is corrected.
    values.pop("captured_at")
    for key, value in values.items():
        setattr(inspection, key, value)
    inspection.plaques.clear()
    inspection.certificates.clear()
    session.flush()
    inspection.plaques.extend(plaques)
    inspection.certificates.extend(certificates)
    if inspection.status == "rejected":
        inspection.status = "submitted"
    photos.save(session, files, photos.INSPECTION, inspection.id, getattr(user, "id", None))
    return inspection


def _is_owner(user) -> bool:
    return roles.is_admin(user) or NAME in roles.owner_plugins(user)


# -- review ---------------------------------------------------------------------------------


def may_review(user, inspection: Inspection) -> str | None:
    """Why ``user`` may not review ``inspection``, or None when they may."""
    if user is None:
        return "请先登录"
    if inspection.inspector_id == user.id:
        return "不能审核自己录入的检查"
    region = getattr(user, "scope_region", None)
    if region is not None and region.level == "village":
        return "审核须由乡镇或县级人员进行"
    if not scope.contains(inspection.region_id, region):
        return "该检查不在您的管辖范围内"
    if inspection.status != "submitted":
        return f"该检查当前为“{inspection.status_title}”，不能重复审核"
    return None


@unit_of_work
def review(session, inspection_id, user, accept: bool, comment: str | None = None) -> Inspection:
    """Accept or reject; acceptance turns the findings into rectification orders and runs
    the reverse check, all in the same unit of work."""
    inspection = get(session, inspection_id, user)
    comment = (comment or "").strip()
    reason = may_review(user, inspection)
    if reason:
        raise Forbidden(reason)
    if not accept and not comment:
        raise NameplatesError("退回检查须填写退回意见")
    inspection.reviewer_id = user.id
    inspection.reviewed_at = clock.utcnow()
    inspection.review_comment = comment[:500] or None
    if accept:
        inspection.status = "accepted"
        rectification.on_accepted(session, inspection)
    else:
        inspection.status = "rejected"
    ledger.refresh(session, inspection.region_id)
    return inspection
