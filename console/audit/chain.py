"""The audit log's hash chain: each row sealed together with the previous row's seal.

Every row gets the next sequence number and ``chain = seal(previous chain + canonical row)``, a
keyed hash (HMAC-SM3 under national cryptography, HMAC-SHA-256 otherwise, ``crypto.seal``)
that names its algorithm and key version, so rows written before a switch of mode or key still
check.  Without the data key nobody can write a row, or change one, that checks.

Writers take the next numbers by updating the one head row (``audit_chain``) first: on
PostgreSQL its row lock queues concurrent transactions until the holder commits or rolls back,
on SQLite the database lock does, so two writers never take the same number or fork the chain.

After each commit the new head is appended to a file outside the database (and, if configured,
to syslog): a table truncated, or its last rows deleted together with the head row rewritten,
then shows against that file.  ``verify`` walks the chain and names each row altered, deleted
or inserted behind the console's back; archives (``console.audit.archive``) carry the chain
across the rows moved out of the table.
"""

from __future__ import annotations

import json
import logging
import os
import syslog
from collections.abc import Iterable, Mapping
from pathlib import Path

from flask import current_app, has_app_context

from console.audit.models import ACTIONS, AuditChain
from console.database import copies
from console.foundation import crypto
from console.foundation.clock import localtime

log = logging.getLogger(__name__)

PURPOSE = "audit.chain"
# Archives of the chain (console.audit.archive writes them, console.audit.verify reads them).
ARCHIVE_PURPOSE = "audit.archive"
ARCHIVE_FORMAT = "jiceng-audit-archive/1"
AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
# What a row's seal covers, in this order (with its sequence number in front).
FIELDS = ("at", "user_id", "username", "action", "entity", "entity_id", "summary", "changes", "ip")
_FORMAT = 1


class ChainMissing(Exception):
    """The head row is missing: the schema is older than the chain (``jiceng db upgrade``)."""


def _at_text(value) -> str | None:
    # A fixed form, microseconds always written: isoformat() drops ".000000" when they are zero.
    return value.strftime(AT_FORMAT) if value is not None else None


def canonical(seq: int, row: Mapping) -> bytes:
    """The bytes a row's seal covers: a JSON array in a fixed order, compact, UTF-8."""
    values = [_FORMAT, seq, _at_text(row["at"])] + [row.get(name) for name in FIELDS[1:]]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous: str, seq: int, row: Mapping) -> str:
    return crypto.seal(previous.encode() + b"\n" + canonical(seq, row), PURPOSE)


def links(previous: str, seq: int, row: Mapping, chain: str | None) -> bool:
    return bool(chain) and crypto.check_seal(previous.encode() + b"\n" + canonical(seq, row),
                                             PURPOSE, chain)


def extend(connection, info: dict, rows: list[dict]) -> None:
    """Give ``rows`` (dicts of :data:`FIELDS`) their ``seq`` and ``chain``, in order, in the
    caller's transaction; the head row stays locked until that transaction ends."""
    if not rows:
        return
    head = AuditChain.__table__
    # Updating first takes the lock before the head is read; a writer that waits here then
    # reads the head its predecessor committed (READ COMMITTED re-reads the updated row).
    got = connection.execute(
        head.update().where(head.c.id == 1).values(seq=head.c.seq + len(rows))
        .returning(head.c.seq, head.c.chain)
    ).first()
    if got is None:
        raise ChainMissing("审计链头缺失：请先运行 jiceng db upgrade")
    seq, previous = got.seq - len(rows), got.chain
    for row in rows:
        seq += 1
        row["seq"] = seq
        row["chain"] = previous = link(previous, seq, row)
    connection.execute(head.update().where(head.c.id == 1).values(chain=previous))
    info["audit_head"] = (seq, previous)
    info[copies.QUEUE_HELD] = True


# -- the head outside the database ----------------------------------------------------------


def head_file() -> Path:
    configured = current_app.config.get("AUDIT_HEAD_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_head.log"


def publish(entry: dict) -> None:
    """Append one head entry (after a commit): a JSON line, and to syslog when configured."""
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    try:
        # O_APPEND: lines from several workers land whole, one after another.
        fd = os.open(head_file(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError:
        log.exception("could not append the audit chain head to %s", head_file())
    if current_app.config.get("AUDIT_HEAD_SYSLOG"):
        syslog.openlog("jiceng", 0, syslog.LOG_AUTHPRIV)
        syslog.syslog(syslog.LOG_INFO, "audit chain head " + line)


def after_commit(info: dict) -> None:
    head = info.pop("audit_head", None)
    mark = info.pop("audit_archive_mark", None)
    if not has_app_context():
        return
    if mark:
        publish(mark)
    if head:
        publish({"seq": head[0], "chain": head[1]})


def forget(info: dict) -> None:
    """A rolled-back transaction's head never existed."""
    info.pop("audit_head", None)
    info.pop("audit_archive_mark", None)


def read_head_file(path: Path | None = None) -> tuple[dict | None, list[dict]]:
    """The highest head written, and the archive marks, from the head file."""
    path = path or head_file()
    top, marks = None, []
    if not path.exists():
        return None, []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if "archived" in entry:
                marks.append(entry)
            elif "seq" in entry and (top is None or entry["seq"] > top["seq"]):
                top = entry
    return top, marks


# -- verification ---------------------------------------------------------------------------


def _fields(row) -> Mapping:
    return row._mapping if hasattr(row, "_mapping") else vars(row)


def _describe(row) -> str:
    action = ACTIONS.get(row.action, row.action)
    return f"记录 #{row.id}（序号 {row.seq}，{localtime(row.at, '%Y-%m-%d %H:%M:%S')}，{row.username or ''}·{action}）"


def walk(rows: Iterable, seq: int, previous: str, problems: list[str], head_seq: int | None = None,
         where: str = "") -> tuple[int, str, int, int]:
    """Check each row's link to the one before; returns (last seq, last chain, rows, broken).

    A row is judged against its own predecessor's stored seal, so one altered row is one problem
    and not every row after it."""
    count = broken = 0
    for row in rows:
        count += 1
        if head_seq is not None and row.seq > head_seq:
            problems.append(f"{where}{_describe(row)} 排在控制台最后写入的序号 {head_seq} 之后：是绕过控制台插入的")
        elif row.seq != seq + 1:
            lost = row.seq - seq - 1
            problems.append(f"{where}序号 {seq + 1}–{row.seq - 1} 的 {lost} 条记录被删除（在{_describe(row)}之前）")
        elif not links(previous, row.seq, _fields(row), row.chain):
            broken += 1
            problems.append(f"{where}{_describe(row)} 的内容与哈希链不符：被改动过，或是伪造后插入的")
        seq, previous = row.seq, row.chain or ""
    return seq, previous, count, broken
