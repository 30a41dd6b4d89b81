"""``jiceng audit verify``: the chain walked from its first archived row to the head file."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

from console.audit.chain import ARCHIVE_FORMAT, ARCHIVE_PURPOSE, AT_FORMAT, ChainMissing, read_head_file, walk
from console.audit.models import ACTIONS, AuditChain, AuditLog
from console.foundation import crypto
from console.foundation.clock import localtime

_BATCH = 2000


@dataclass
class Archive:
    name: str
    first_seq: int = 0
    last_seq: int = 0
    previous: str = ""
    last_chain: str = ""
    rows: int = 0
    legacy: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: int = 0                 # chained rows checked in the table
    archived_rows: int = 0        # chained rows checked in archive files
    first_seq: int | None = None
    last_seq: int | None = None
    legacy: int = 0               # rows from before the chain, which prove nothing
    base_seq: int = 0             # rows up to this number were archived
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _table_rows(session):
    table = AuditLog.__table__
    after = None
    while True:
        query = sa.select(table).where(table.c.seq.is_not(None)).order_by(table.c.seq).limit(_BATCH)
        if after is not None:
            query = query.where(table.c.seq > after)
        batch = session.execute(query).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].seq


def verify(session, archives: Iterable[Path] = ()) -> Report:
    """Walk the archives given (oldest first), then the table, then compare the head row and the
    head file: every problem found, in chain order, each naming its row in Chinese."""
    report = Report()
    problems = report.problems
    head = session.get(AuditChain, 1, populate_existing=True)
    if head is None:
        raise ChainMissing("审计链头缺失：请先运行 jiceng db upgrade")
    report.base_seq = head.base_seq
    file_top, marks = read_head_file()

    seq, previous = 0, ""
    for archive in sorted((read_archive(Path(p)) for p in archives), key=lambda a: a.first_seq):
        problems.extend(archive.problems)
        if (archive.first_seq, archive.previous) != (seq + 1, previous):
            problems.append(f"归档文件 {archive.name} 与前一段不衔接：应从序号 {seq + 1} 接起，实为 {archive.first_seq}")
        seq, previous = archive.last_seq, archive.last_chain
        report.archived_rows += archive.rows
    if archives and (seq, previous) != (head.base_seq, head.base_chain):
        problems.append(f"归档文件止于序号 {seq}，而数据库从序号 {head.base_seq + 1} 接起：缺少归档文件，或归档基点被改写")
    if not archives and head.base_seq:
        if not any(m.get("archived") == head.base_seq and m.get("chain") == head.base_chain for m in marks):
            problems.append(f"归档基点（序号 {head.base_seq}）在外部链头记录中找不到：最早的记录可能被删除而基点被改写"
                            f"（用 --archive 核对归档文件）")
    seq, previous = head.base_seq, head.base_chain

    last, last_chain, count, broken = walk(_table_rows(session), seq, previous, problems, head.seq)
    report.rows = count
    if count:
        report.first_seq, report.last_seq = seq + 1, last
    if count > 1 and broken == count:
        problems.append("所有记录都与哈希链不符：数据密钥多半不是写入这些记录时的密钥（instance/data_key 或 JICENG_DATA_KEY）")

    if last < head.seq:
        if count == 0:
            problems.append(f"审计日志表被清空：控制台已写到序号 {head.seq}，表中一条带链的记录也没有")
        else:
            problems.append(f"序号 {last + 1}–{head.seq} 的最后 {head.seq - last} 条记录被删除")
    elif last == head.seq and last_chain != head.chain:
        problems.append(f"链头（序号 {head.seq}）与最后一条记录的哈希不符：链头被改写")
    if file_top is not None:
        if file_top["seq"] > max(head.seq, last):
            problems.append(f"外部链头文件记到序号 {file_top['seq']}，数据库只到序号 {max(head.seq, last)}："
                            f"审计日志被截断或清空，链头被改写")
        else:
            row = session.execute(sa.select(AuditLog.__table__.c.chain, AuditLog.__table__.c.id)
                                  .where(AuditLog.__table__.c.seq == file_top["seq"])).first()
            if row is not None and row.chain != file_top["chain"]:
                problems.append(f"记录 #{row.id}（序号 {file_top['seq']}）的哈希与外部链头文件不符：被改写过")

    table = AuditLog.__table__
    report.legacy = session.execute(sa.select(sa.func.count()).select_from(table).where(
        table.c.seq.is_(None), table.c.id <= head.legacy_max_id)).scalar()
    for row in session.execute(sa.select(table.c.id, table.c.at, table.c.username, table.c.action)
                               .where(table.c.seq.is_(None), table.c.id > head.legacy_max_id)
                               .order_by(table.c.id)):
        action = ACTIONS.get(row.action, row.action)
        problems.append(f"记录 #{row.id}（{localtime(row.at, '%Y-%m-%d %H:%M:%S')}，{row.username or ''}·{action}）"
                        f"不在哈希链上：是绕过控制台插入的")
    return report


class _Malformed(Exception):
    pass


def _last_line(path: Path) -> bytes:
    last = b""
    with path.open("rb") as fh:
        for line in fh:
            last = line
    return last


def read_archive(path: Path) -> Archive:
    """An archive file checked on its own, read line by line: its seal over every byte before
    the signature line, and each row's link."""
    result = Archive(path.name)
    bad_format = f"归档文件 {path.name} 格式不正确：不是本系统写出的审计归档，或已损坏"
    try:
        signature = json.loads(_last_line(path))["signature"]
        sealer = crypto.Sealer(ARCHIVE_PURPOSE, signature)
    except OSError as error:
        result.problems.append(f"归档文件 {path} 无法读取：{error.strerror}")
        return result
    except (KeyError, TypeError, ValueError, crypto.CryptoError):
        result.problems.append(bad_format)
        return result

    def chained_rows(fh):
        previous = None
        for line in fh:
            if previous is not None:
                sealer.update(previous)
                record = json.loads(previous)
                if not isinstance(record, dict) or "seq" not in record:
                    raise _Malformed
                record["at"] = dt.datetime.strptime(record["at"], AT_FORMAT) if record.get("at") else None
                if record["seq"] is None:
                    result.legacy += 1
                else:
                    yield SimpleNamespace(**record)
            previous = line

    with path.open("rb") as fh:
        try:
            first = fh.readline()
            header = json.loads(first)
            if not isinstance(header, dict) or header.get("format") != ARCHIVE_FORMAT:
                raise _Malformed
            sealer.update(first)
            result.first_seq, result.last_seq = header["first_seq"], header["last_seq"]
            result.previous, result.last_chain = header["previous"], header["last_chain"]
            last, last_chain, count, _ = walk(chained_rows(fh), result.first_seq - 1, result.previous,
                                              result.problems, header["last_seq"], where=f"归档文件 {path.name}：")
        except (_Malformed, KeyError, TypeError, ValueError):
            result.problems.append(bad_format)
            return result
    if not hmac.compare_digest(sealer.seal(), signature):
        result.problems.insert(0, f"归档文件 {path.name} 的签名不符：文件在归档后被改动过")
    result.rows = count
    if (last, last_chain) != (header["last_seq"], header["last_chain"]):
        result.problems.append(f"归档文件 {path.name} 的行止于序号 {last}，与文件头所记的 {header['last_seq']} 不符")
    return result
