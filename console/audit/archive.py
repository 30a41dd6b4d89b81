"""``jiceng audit archive``: rows past the retention moved into a signed file, chain unbroken.

The file is JSON lines: a header (the range, the link the first row follows, the last link), one
line per row with its sequence number and seal exactly as stored, and a last line with a seal
(``crypto.seal``, purpose ``audit.archive``) over every byte before it.  The table then starts
from the archived range's last link (``audit_chain.base_seq`` / ``base_chain``), and the cut is
written to the head file too, so ``jiceng audit verify`` checks the table alone against it, or
the archives and the table as one chain (``--archive FILE``).

网络安全法 article 21 asks for network logs to be kept no less than six months: rows younger
than the retention (``AUDIT_RETENTION_DAYS``, at least 180) are never archived.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from console.audit import log as audit
from console.audit.chain import ARCHIVE_FORMAT, ARCHIVE_PURPOSE, AT_FORMAT, FIELDS
from console.audit.models import AuditChain, AuditLog
from console.audit.verify import Archive, verify
from console.database.transaction import transaction
from console.foundation import crypto
from console.foundation.clock import day_start, today, utcnow
from console.foundation.errors import ConsoleError

# 网络安全法 第二十一条: 留存相关的网络日志不少于六个月.
MINIMUM_RETENTION_DAYS = 180
_BATCH = 2000


class ArchiveRefused(ConsoleError):
    pass


def latest_day() -> dt.date:
    """The last day whose rows may be archived today: rows from ``before`` on are kept."""
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    if days < MINIMUM_RETENTION_DAYS:
        raise ArchiveRefused(f"审计日志保留期设为 {days} 天，少于法定的 {MINIMUM_RETENTION_DAYS} 天"
                             f"（网络安全法第二十一条：网络日志留存不少于六个月），拒绝归档")
    return today() - dt.timedelta(days=days)


def _row_json(row) -> dict:
    out = {"id": row.id, "seq": row.seq, "chain": row.chain}
    for name in FIELDS:
        value = getattr(row, name)
        out[name] = value.strftime(AT_FORMAT) if isinstance(value, dt.datetime) else value
    return out


def _line(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def archive(before: dt.date, out: Path | None = None) -> Archive:
    """Move every row written before ``before`` (local midnight) into a signed file, in one
    transaction: the file is in place before the rows go, and removed if the commit fails."""
    last_allowed = latest_day()
    if before > last_allowed:
        raise ArchiveRefused(f"只能归档 {last_allowed:%Y-%m-%d} 及以前的日期：较新的记录须在库中保留 "
                             f"{current_app.config['AUDIT_RETENTION_DAYS']} 天（网络安全法第二十一条）")
    written: list[Path] = []
    try:
        return _archive(before, out, written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _archive(before: dt.date, out: Path | None, written: list[Path]) -> Archive:
    with transaction() as session:
        head = AuditChain.__table__
        table = AuditLog.__table__
        # The head's lock first: no writer adds a link while the cut is made.
        locked = session.execute(head.update().where(head.c.id == 1).values(seq=head.c.seq)
                                 .returning(head.c.base_seq, head.c.base_chain, head.c.legacy_max_id)).first()
        report = verify(session)
        if not report.ok:
            raise ArchiveRefused("审计链已被破坏，不能归档；先用 jiceng audit verify 查明：" + report.problems[0])
        cutoff = day_start(before)
        cut = session.execute(sa.select(sa.func.max(table.c.seq)).where(
            table.c.seq.is_not(None), table.c.at < cutoff)).scalar()
        legacy_ids = session.execute(sa.select(table.c.id).where(
            table.c.seq.is_(None), table.c.id <= locked.legacy_max_id, table.c.at < cutoff)).scalars().all()
        if cut is None and not legacy_ids:
            raise ArchiveRefused(f"{before:%Y-%m-%d} 之前没有可归档的记录")
        cut = cut or locked.base_seq
        first = locked.base_seq + 1
        directory = Path(current_app.instance_path) / "audit-archive"
        path = Path(out) if out else directory / f"audit-{first:010d}-{cut:010d}.jsonl"
        if path.exists():
            raise ArchiveRefused(f"归档文件 {path} 已存在，不覆盖")
        path.parent.mkdir(parents=True, exist_ok=True)

        legacy = session.execute(sa.select(table).where(table.c.id.in_(legacy_ids)).order_by(table.c.id)).all() \
            if legacy_ids else []
        last_chain = session.execute(sa.select(table.c.chain).where(table.c.seq == cut)).scalar() \
            if cut > locked.base_seq else locked.base_chain
        rows = cut - locked.base_seq  # the chain was verified whole just above: no gaps
        sealer = crypto.Sealer(ARCHIVE_PURPOSE)
        digest = hashlib.sha256()
        partial = path.with_name(path.name + ".part")
        written.append(partial)
        with open(partial, "wb") as fh:
            def put(line: bytes) -> None:
                fh.write(line)
                sealer.update(line)
                digest.update(line)

            put(_line({"format": ARCHIVE_FORMAT, "first_seq": first, "last_seq": cut, "previous": locked.base_chain,
                       "last_chain": last_chain, "rows": rows, "legacy": len(legacy),
                       "before": before.isoformat(), "written": utcnow().strftime(AT_FORMAT)}))
            for row in legacy:
                put(_line(_row_json(row)))
            # In batches by sequence number: half a year of a city's log does not fit in memory.
            after = locked.base_seq
            while after < cut:
                batch = session.execute(sa.select(table).where(table.c.seq > after, table.c.seq <= cut)
                                        .order_by(table.c.seq).limit(_BATCH)).all()
                for row in batch:
                    put(_line(_row_json(row)))
                after = batch[-1].seq
            signature = _line({"signature": sealer.seal()})
            fh.write(signature)
            digest.update(signature)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        written.append(path)
        session.execute(table.delete().where(table.c.seq <= cut))
        if legacy_ids:
            session.execute(table.delete().where(table.c.id.in_(legacy_ids)))
        session.execute(head.update().where(head.c.id == 1).values(base_seq=cut, base_chain=last_chain))
        session.info["audit_archive_mark"] = {"archived": cut, "chain": last_chain, "file": path.name}
        audit.record("audit_archive", entity="audit_log", session=session,
                     summary=f"归档 {rows + len(legacy)} 条审计记录（序号 {first}–{cut}，"
                             f"{before:%Y-%m-%d} 之前）到 {path.name}",
                     changes={"file": str(path), "sha256": digest.hexdigest(),
                              "first_seq": first, "last_seq": cut})
        session.flush()
    return Archive(str(path), first, cut, locked.base_chain, last_chain, rows, len(legacy))
