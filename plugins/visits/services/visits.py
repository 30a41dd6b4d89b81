"""Logging a visit: a team's visit to an enterprise, with its 送 items, 进 target and photos."""

from __future__ import annotations

from console import Region, scope, unit_of_work

from ..errors import VisitsError
from ..models import Enterprise, ServiceTeam, Visit
from .common import get_scoped, parse_date, setting, text, today

PHOTO_OWNER = "visits.visit"
MAX_PHOTOS = 9


def _coordinate(value, title: str, limit: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VisitsError(f"“{title}”须为数字") from None
    if not -limit <= number <= limit:
        raise VisitsError(f"“{title}”超出范围（-{limit:g} 至 {limit:g}）")
    return number


def _team(session, team_id, enterprise: Enterprise) -> ServiceTeam | None:
    if team_id in (None, ""):
        return None
    try:
        team = session.get(ServiceTeam, int(team_id))
    except (TypeError, ValueError):
        team = None
    if team is None:
        raise VisitsError("所选服务团不存在")
    region = session.get(Region, enterprise.region_id)
    if not region.path.startswith(team.region.path):
        raise VisitsError(f"“{team.name}”不负责“{enterprise.name}”所在的区域")
    return team


def _send_items(values) -> str | None:
    if isinstance(values, str):
        values = values.replace(",", "、").replace("，", "、").split("、")
    chosen = [v.strip() for v in (values or []) if v and v.strip()]
    allowed = setting("send_items")
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise VisitsError(f"“{'、'.join(unknown)}”不在“送”的事项中（可选：{'、'.join(allowed)}）")
    # Kept in the dictionary's order, whatever order the form sent them in.
    return "、".join(v for v in allowed if v in chosen) or None


def _enter_target(value) -> str | None:
    value = text(value, 50, "进")
    if value is None:
        return None
    allowed = setting("enter_targets")
    if value not in allowed:
        raise VisitsError(f"“{value}”不在“进”的对象中（可选：{'、'.join(allowed)}）")
    return value


@unit_of_work
def save_visit(session, data: dict, *, enterprise: Enterprise | None = None, visit: Visit | None = None,
               photos=(), user=None) -> Visit:
    """Log a visit (``visit`` None) or edit one; photos are saved in the same unit of work, so
    a refused photo leaves nothing behind."""
    if visit is None and enterprise is None:
        raise VisitsError("请选择被走访的企业")
    enterprise = enterprise or visit.enterprise
    scope.require(enterprise.region_id)
    date = parse_date(data.get("visit_date"), "走访日期")
    if date is None:
        raise VisitsError("请填写走访日期")
    if date > today():
        raise VisitsError("走访日期不能晚于今天")
    send_items = _send_items(data.get("send_items"))
    if not send_items:
        raise VisitsError("请至少选择一项“送”的内容")
    # Every value is checked before a new visit joins the session: a lookup while checking
    # (the team) would otherwise autoflush a half-filled row.
    values = {
        "team": _team(session, data.get("team_id"), enterprise),
        "visit_date": date,
        "send_items": send_items,
        "enter_target": _enter_target(data.get("enter_target")),
        "notes": text(data.get("notes"), 5000, "走访情况"),
        "location": text(data.get("location"), 200, "地点"),
        "latitude": _coordinate(data.get("latitude"), "纬度", 90),
        "longitude": _coordinate(data.get("longitude"), "经度", 180),
    }
    if visit is None:
        visit = Visit(enterprise_id=enterprise.id,
                      created_by_id=getattr(user, "id", None))
        session.add(visit)
    visit.enterprise = enterprise
    visit.region_id = enterprise.region_id
    visit.county_id = enterprise.county_id
    for name, value in values.items():
        setattr(visit, name, value)
    session.flush()
    add_photos(session, visit, photos, user)
    return visit


def add_photos(session, visit: Visit, photos, user=None) -> list:
    from console import attachments

    photos = [p for p in (photos or ()) if p is not None and getattr(p, "filename", "x")]
    if not photos:
        return []
    existing = len(attachments.for_owner(session, PHOTO_OWNER, visit.id))
    if existing + len(photos) > MAX_PHOTOS:
        raise VisitsError(f"每次走访最多 {MAX_PHOTOS} 张照片")
    saved = []
    for photo in photos:
        try:
            saved.append(attachments.save(session, photo, owner=PHOTO_OWNER, owner_id=visit.id,
                                          filename=getattr(photo, "filename", None), kind="image",
                                          user_id=getattr(user, "id", None)))
        except attachments.AttachmentError as exc:
            name = getattr(photo, "filename", "") or "照片"
            raise VisitsError(f"{name}：{exc.message}") from None
    session.flush()
    return saved


@unit_of_work
def remove_photo(session, visit: Visit, photo_id) -> None:
    """Delete one of the visit's photos (one unit of work).  ``visit`` comes from
    :func:`get_visit`, so the scope has been applied; the photo must be this visit's."""
    from console import attachments

    scope.require(visit.region_id)
    photo = next((a for a in photos_of(session, visit) if str(a.id) == str(photo_id).strip()), None)
    if photo is None:
        raise VisitsError("这张照片不存在，或已被删除")
    attachments.delete(session, photo)


def photos_of(session, visit: Visit) -> list:
    from console import attachments

    return attachments.for_owner(session, PHOTO_OWNER, visit.id)


def get_visit(session, ident) -> Visit:
    return get_scoped(session, Visit, ident)


@unit_of_work
def delete_visit(session, visit: Visit) -> None:
    from console import attachments

    from ..models import Problem

    if session.query(Problem.id).filter(Problem.visit_id == visit.id).first():
        raise VisitsError("该次走访已登记诉求，不能删除")
    attachments.delete_for(session, PHOTO_OWNER, visit.id)
    session.delete(visit)
    session.flush()


def search(session, *, county_id=None, team_id=None, start=None, end=None, enterprise_id=None):
    """Visits inside the user's scope matching the list's filters, newest first."""
    query = scope.restrict(session.query(Visit), Visit)
    if county_id not in (None, ""):
        query = query.filter(Visit.county_id == int(county_id))
    if team_id not in (None, ""):
        query = query.filter(Visit.team_id == int(team_id))
    if enterprise_id not in (None, ""):
        query = query.filter(Visit.enterprise_id == int(enterprise_id))
    start, end = parse_date(start, "开始日期"), parse_date(end, "结束日期")
    if start:
        query = query.filter(Visit.visit_date >= start)
    if end:
        query = query.filter(Visit.visit_date <= end)
    return query.order_by(Visit.visit_date.desc(), Visit.id.desc())


def teams_for(session, enterprise: Enterprise | None = None) -> list[ServiceTeam]:
    """Teams a visit form offers: those inside the scope, or responsible for the enterprise."""
    query = scope.restrict(session.query(ServiceTeam), ServiceTeam)
    teams = query.order_by(ServiceTeam.name).all()
    if enterprise is not None:
        region = session.get(Region, enterprise.region_id)
        teams = [t for t in teams if region.path.startswith(t.region.path)]
    return teams
