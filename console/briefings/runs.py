"""Runs: claim a schedule slot once, gather, render in a child process, store, deliver.

Exactly one run per slot is the database's doing: the runner inserts the schedule's own
(schedule, slot, region) row and a second scheduler's insert fails on the unique constraint.
Moving a run from one state to the next is a conditional UPDATE (``WHERE state = ...``), so
two processes never execute, reap or retry the same run twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from console.audit import log as audit
from console.briefings import document, periods, render, schedules
from console.briefings.models import BriefingDelivery, BriefingRun, BriefingSchedule
from console.foundation import clock, settings
from console.foundation.clock import utcnow
from console.foundation.errors import ConsoleError, NotFound
from console.foundation.extensions import db
from console.jobs import durable
from console.notifications import service as notifications
from console.regions import scope
from console.regions.models import Region
from console.security import roles
from console.security.users import ConsoleUser

log = logging.getLogger(__name__)

SOURCE = "briefings"


def _cfg(key: str, default):
    return current_app.config.get(key, default)


def heartbeat_seconds() -> float:
    return float(_cfg("BRIEFING_HEARTBEAT_SECONDS", 10))


def stale_after() -> dt.timedelta:
    """A running run whose heartbeat is older than this has lost its process."""
    return dt.timedelta(seconds=heartbeat_seconds() * 6)


def backoff(attempt: int) -> dt.timedelta:
    """Pause before try ``attempt + 1``: 1, 2, 4 ... minutes (configurable base)."""
    return dt.timedelta(seconds=float(_cfg("BRIEFING_RETRY_BASE_SECONDS", 60)) * 2 ** (attempt - 1))


def _update(run_id: int, where: dict | None = None, **values) -> bool:
    """Change a run at once, visibly to every process (see console.jobs.durable)."""
    return durable.update_row(BriefingRun, run_id, where, **values)


# -- readers and their scopes ---------------------------------------------------------------


def reader_scopes(session, schedule: BriefingSchedule) -> dict[int, list]:
    """Recipients grouped by the region their copy covers: the schedule's region narrowed to
    each reader's own scope.  A reader whose scope lies outside the schedule's gets nothing."""
    from flask_appbuilder.security.sqla.models import Role


    users = {}
    if schedule.user_ids:
        for user in session.query(ConsoleUser).filter(ConsoleUser.id.in_(schedule.user_ids),
                                                      ConsoleUser.active.is_(True)):
            users[user.id] = user
    if schedule.role_names:
        query = (session.query(ConsoleUser).join(ConsoleUser.roles)
                 .filter(Role.name.in_(schedule.role_names), ConsoleUser.active.is_(True)))
        for user in query:
            users[user.id] = user
    target = schedule.region
    groups: dict[int, list] = {}
    for user in sorted(users.values(), key=lambda u: u.id):
        own = user.scope_region
        if own is None or target.path.startswith(own.path):
            region = target
        elif own.path.startswith(target.path):
            region = own
        else:
            continue
        groups.setdefault(region.id, []).append(user)
    return groups


# -- creating runs --------------------------------------------------------------------------


def period_for_slot(schedule: BriefingSchedule, slot_time: dt.datetime) -> periods.Period:
    local = slot_time.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(schedule.timezone))
    return periods.last_complete(schedule.period_kind, local.date())


def claim_slot(schedule: BriefingSchedule, slot_time: dt.datetime) -> list[int]:
    """Claim ``slot_time`` of ``schedule``: the ids of its queued runs (one per reader scope),
    or [] when another process claimed it first."""
    period = period_for_slot(schedule, slot_time)
    values = {"schedule_id": schedule.id, "slot_time": slot_time, "period": period.key,
              "sections": schedule.sections, "appendix": schedule.appendix, "state": "queued", "attempt": 1,
              "created_at": utcnow()}
    try:
        with db.engine.begin() as conn:
            first = conn.execute(insert(BriefingRun).values(region_id=schedule.region_id, **values)
                                 .returning(BriefingRun.id)).scalar_one()
    except IntegrityError:
        return []
    ids = [first]
    others = [rid for rid in reader_scopes(db.session, schedule) if rid != schedule.region_id]
    with db.engine.begin() as conn:
        for region_id in others:
            ids.append(conn.execute(insert(BriefingRun).values(region_id=region_id, **values)
                                    .returning(BriefingRun.id)).scalar_one())
    return ids


def create(region: Region, period: periods.Period, *, sections: list[str] | None = None,
           appendix: bool = False, schedule: BriefingSchedule | None = None, user=None) -> BriefingRun:
    """A run made on demand ("generate now", the command line); committed, queued."""
    if not scope.contains(region.id, getattr(user, "scope_region", None) if user else None):
        raise NotFound("所选范围不在您的管辖范围内")
    if region.level not in ("city", "county"):
        raise ConsoleError("简报范围须为全市或一个县(市、区)")
    run = BriefingRun(region_id=region.id, period=period.key, schedule_id=schedule.id if schedule else None,
                      sections=json.dumps(sections) if sections is not None else None, appendix=appendix,
                      state="queued", attempt=1, created_at=utcnow(),
                      requested_by_id=getattr(user, "id", None))
    db.session.add(run)
    db.session.commit()
    return run


def create_for_schedule(schedule: BriefingSchedule, period: periods.Period, *, user) -> list[BriefingRun]:
    """"Generate now" on a plan: one run per reader scope, like the plan's own slots, each
    delivered to the plan's readers of that scope (the first covers the plan's region)."""
    runs = [create(schedule.region, period, sections=schedule.section_names, appendix=schedule.appendix,
                   schedule=schedule, user=user)]
    for region_id in reader_scopes(db.session, schedule):
        if region_id != schedule.region_id:
            runs.append(create(db.session.get(Region, region_id), period, sections=schedule.section_names,
                               appendix=schedule.appendix, schedule=schedule, user=user))
    return runs


def readers_of(run: BriefingRun) -> list:
    """Who a run is delivered to: the plan's readers of its scope; a run made on demand outside
    a plan, or for a plan without readers, goes to whoever asked for it."""
    readers = []
    if run.schedule is not None:
        readers = reader_scopes(db.session, run.schedule).get(run.region_id, [])
    if not readers and run.requested_by_id:
        readers = [u for u in [db.session.get(ConsoleUser, run.requested_by_id)] if u]
    return readers


def request_own(user, kind: str) -> BriefingRun:
    """A reader's own briefing, now, for their scope (the city when they have none) and the
    last complete period of ``kind``; delivered to them alone."""
    from console.briefings.models import PERIOD_KINDS

    if kind not in PERIOD_KINDS:
        raise ConsoleError("请选择简报期间")
    pending = (db.session.query(BriefingRun.id)
               .filter(BriefingRun.requested_by_id == user.id, BriefingRun.schedule_id.is_(None),
                       BriefingRun.state.in_(("queued", "running"))).first())
    if pending:
        raise ConsoleError("您的上一份简报还在生成，完成后会出现在下面的列表中，请稍候")
    region = user.scope_region
    if region is None:
        from console.regions import rules

        region = rules.city(db.session)
    if region.level not in ("city", "county"):
        raise ConsoleError(f"简报按全市或县(市、区)生成，您的管辖区域“{region.name}”不能单独生成简报，请联系系统管理员")
    return create(region, periods.last_complete(kind, clock.today()), user=user)


def own_runs(user, limit: int = 50) -> list[BriefingRun]:
    """The briefings delivered to ``user`` and those they asked for, newest first."""
    delivered = select(BriefingDelivery.run_id).where(BriefingDelivery.user_id == user.id)
    return (db.session.query(BriefingRun)
            .filter((BriefingRun.id.in_(delivered)) | (BriefingRun.requested_by_id == user.id))
            .order_by(BriefingRun.id.desc()).limit(limit).all())


def find_region(session, text: str) -> Region:
    """A region by its name (昭通市, 镇雄县) or its code."""
    text = (text or "").strip()
    rows = session.query(Region).filter((Region.name == text) | (Region.code == text)).all()
    if len(rows) != 1:
        raise NotFound(f"没有名称或代码为“{text}”的区划" if not rows else f"名称“{text}”不唯一，请用区划代码")
    return rows[0]


# -- executing ------------------------------------------------------------------------------


def base_url() -> str:
    # One address for the web's "generate now" and the command line's runs alike.
    return settings.base_url(current_app.config)


def execute(run_id: int) -> BriefingRun | None:
    """Take a queued run and carry it to succeeded, partial or failed.  Returns None when
    another process had taken it already."""
    now = utcnow()
    if not _update(run_id, {"state": "queued"}, state="running", started_at=now, heartbeat_at=now,
                   finished_at=None, host=socket.gethostname(), pid=os.getpid(),
                   progress="正在汇总数据", error=None, next_retry_at=None):
        return None
    token = audit.set_actor("简报生成")
    try:
        with durable.Heartbeat(current_app._get_current_object(), BriefingRun, run_id, heartbeat_seconds()):
            _produce(run_id)
    except Exception as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, ConsoleError) else "生成简报时发生内部错误，错误已记录日志"
        if not isinstance(exc, ConsoleError):
            log.exception("briefing run %s failed", run_id)
        fail(run_id, message)
    finally:
        audit._actor.reset(token)
    db.session.expire_all()
    return db.session.get(BriefingRun, run_id)


def _produce(run_id: int) -> None:
    run = db.session.get(BriefingRun, run_id)
    period = periods.parse(run.period)
    sections = json.loads(run.sections) if run.sections else None
    snapshot = document.gather(run.region, period, sections, appendix=run.appendix)
    schedule = run.schedule
    if schedule is not None and schedule.skip_empty and run.slot_time and document.is_empty(snapshot):
        _update(run_id, state="succeeded", finished_at=utcnow(), progress="本期没有数据，按计划设置未生成简报",
                snapshot=json.dumps(snapshot, ensure_ascii=False), snapshot_id=snapshot["id"])
        return
    _update(run_id, snapshot=json.dumps(snapshot, ensure_ascii=False), snapshot_id=snapshot["id"],
            progress="正在排版 PDF")
    html = document.html(snapshot, base_url=base_url())
    result = render.render_pdf(html, base_url=base_url(), timeout=float(_cfg("BRIEFING_RENDER_TIMEOUT", 300)),
                               memory_mb=int(_cfg("BRIEFING_RENDER_MEMORY_MB", 1536)))
    failed = document.failed_sections(snapshot)
    state = "partial" if failed else "succeeded"
    error = ("以下部分生成失败，已在简报中注明：" + "、".join(s["plugin_title"] for s in failed)) if failed else None
    _update(run_id, state=state, finished_at=utcnow(), pdf=result.pdf, pages=result.pages,
            size=len(result.pdf), error=error, progress="已完成")
    deliver(run_id)


def fail(run_id: int, message: str, *, expect: str | None = None, heartbeat=None) -> bool:
    """Mark a run failed; plan a retry with backoff while attempts remain; tell the admins."""
    run = db.session.get(BriefingRun, run_id)
    db.session.refresh(run)
    retry_at = None
    if run.attempt <= int(_cfg("BRIEFING_RETRY_LIMIT", 3)):
        retry_at = utcnow() + backoff(run.attempt)
    where = {"state": expect} if expect else None
    if expect == "running":
        where["heartbeat_at"] = heartbeat
    if not _update(run_id, where, state="failed", finished_at=utcnow(), error=message[:2000],
                   next_retry_at=retry_at, progress="失败"):
        return False
    db.session.refresh(run)
    _notify_admins(run, message, retry_at)
    db.session.commit()
    return True


def _notify_admins(run: BriefingRun, message: str, retry_at) -> None:
    admins = notifications.users_with_role(db.session, roles.ADMIN)
    then = "，将于稍后自动重试" if retry_at else "，已达到重试次数上限，不再重试"
    notifications.notify(db.session, admins, f"简报生成失败：{run_title(run)}",
                         body=f"第 {run.attempt} 次尝试失败{then}。原因：{message}",
                         link=f"/console/briefings/runs/{run.id}", source=SOURCE)


def run_title(run: BriefingRun) -> str:
    city = current_app.config.get("CITY_NAME", "")
    try:
        period = periods.parse(run.period).title
    except ConsoleError:
        period = run.period
    return f"{city}社会工作简报（{run.region.name}，{period}）"


def deliver(run_id: int) -> int:
    """Notify this run's readers (in-app; e-mail too when SMTP is configured) and log it.
    A scheduled run goes to its schedule's readers of this scope; one made on demand to whoever
    asked for it."""
    run = db.session.get(BriefingRun, run_id)
    db.session.refresh(run)
    readers = readers_of(run)
    done = {uid for (uid,) in db.session.query(BriefingDelivery.user_id).filter_by(run_id=run.id)}
    readers = [u for u in readers if u.id not in done]
    partial = "（部分内容生成失败，已在简报中注明）" if run.state == "partial" else ""
    body, files = f"共 {run.pages} 页{partial}，点击下载 PDF。", ()
    if readers and notifications.mail_configured() and run.pdf:
        # A mailbox refuses large messages: past the limit the mail carries the link only.
        limit_mb = float(_cfg("BRIEFING_MAIL_MAX_MB", 10))
        if len(run.pdf) <= limit_mb * 1024 * 1024:
            files = (notifications.Attachment(f"{run_title(run)}-{run.id}.pdf", run.pdf, "application/pdf"),)
        else:
            body += f"PDF 文件 {len(run.pdf) / 1024 / 1024:.1f} MB，超过邮件附件上限 {limit_mb:g} MB，未随邮件附带，请点击链接下载。"
    for user in readers:
        [note] = notifications.notify(db.session, user, f"新简报：{run_title(run)}", body=body,
                                      link=f"/briefings/{run.id}.pdf", source=SOURCE, attachments=files)
        db.session.flush()
        db.session.add(BriefingDelivery(run_id=run.id, user_id=user.id, notification_id=note.id))
    db.session.commit()
    return len(readers)


# -- the scheduler's minute ------------------------------------------------------------------


def reap_stuck(now: dt.datetime | None = None) -> list[int]:
    """Runs whose process stopped beating: failed, with a retry planned while attempts remain."""
    now = now or utcnow()
    stale = durable.stale_rows(BriefingRun, stale_after(), now, BriefingRun.host, BriefingRun.pid)
    reaped = []
    for run_id, beat, host, pid in stale:
        when = clock.localtime(beat, "%Y-%m-%d %H:%M:%S")
        message = f"生成进程已中断（{host or '?'} 进程 {pid or '?'}，最后心跳 {when}）"
        if fail(run_id, message, expect="running", heartbeat=beat):
            reaped.append(run_id)
    return reaped


def take_retries(now: dt.datetime | None = None) -> list[int]:
    """Failed runs whose retry time has come, moved back to queued by this process only."""
    now = now or utcnow()
    due = db.session.execute(
        select(BriefingRun.id, BriefingRun.attempt)
        .where(BriefingRun.state == "failed", BriefingRun.next_retry_at <= now)
    ).all()
    taken = []
    for run_id, attempt in due:
        if _update(run_id, {"state": "failed", "attempt": attempt}, state="queued",
                   attempt=attempt + 1, next_retry_at=None):
            taken.append(run_id)
    return taken


def claim_due_slots(now: dt.datetime | None = None) -> list[int]:
    """Claim the due slot of every enabled schedule; the ids of the runs this process won."""
    now = now or clock.now(dt.UTC)
    grace = float(_cfg("BRIEFING_GRACE_SECONDS", 6 * 3600))
    won = []
    for schedule in db.session.query(BriefingSchedule).filter(BriefingSchedule.enabled.is_(True)):
        try:
            slot = schedules.due_slot(schedule, now, grace)
        except ValueError:
            log.exception("schedule %s has an unusable recurrence", schedule.id)
            continue
        if slot is None:
            continue
        taken = db.session.query(BriefingRun.id).filter_by(schedule_id=schedule.id, slot_time=slot).first()
        if taken is None:
            won.extend(claim_slot(schedule, slot))
    return won


def tick(now: dt.datetime | None = None) -> list[int]:
    """What the scheduler does every minute: reap stuck runs, retry, claim due slots, and
    execute what this process took.  Returns the ids of the runs it executed."""
    reap_stuck()
    ids = take_retries() + claim_due_slots(now)
    done = []
    for run_id in ids:
        if execute(run_id) is not None:
            done.append(run_id)
    db.session.remove()
    return done


def start_in_background(app, *run_ids: int) -> threading.Thread:
    """Execute runs, one after the other, in a thread of this worker (rendering is a child
    process anyway).  A run whose worker stops while it runs stops beating and is failed and
    retried by the scheduler (reap_stuck, take_retries)."""

    def _work():
        with app.app_context():
            try:
                for run_id in run_ids:
                    execute(run_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=_work, name=f"briefing-{run_ids[0]}", daemon=True)
    thread.start()
    return thread


def may_read(run: BriefingRun, user) -> bool:
    """Admins, whoever asked for it and the readers it was delivered to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if roles.is_admin(user) and scope.contains(run.region_id, user.scope_region):
        return True
    if run.requested_by_id == user.id:
        return True
    return db.session.query(BriefingDelivery.id).filter_by(run_id=run.id, user_id=user.id).first() is not None
