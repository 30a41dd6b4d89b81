"""Protected data moved to the current cryptography mode and key version.

``jiceng crypto migrate`` rewrites every column a plugin declares (``protected_columns`` hook)
whose values are not under the current mode (``JICENG_CRYPTO``) and the newest data key: each
value is read whatever wrote it (the other mode, an older key, a plugin's own older format),
encrypted again and its lookup hash recomputed.  All of it is one transaction: a value that does
not open stops the run, names its row, and leaves every row as it was; a run that is killed does
the same, and the next run starts again where the data is.  Before the commit each rewritten
value is opened again and compared with what it was.

``jiceng crypto rotate`` adds a new version to the data key file and then migrates, so the new
key writes and reads everything; the old versions stay in the file because the audit chain's
seals and archives made under them are checked with them (console.foundation.crypto).

Rows are updated with plain UPDATE statements: the values are not an event of the records
(the audit log gets one entry for the whole run, with the counts, never a value).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from console.audit import log as audit
from console.database.transaction import transaction
from console.foundation import crypto
from console.foundation.errors import ConsoleError
from console.plugins import manager as plugins

BATCH = 1000


@dataclass
class ColumnReport:
    plugin: str
    table: str
    column: str
    rows: int = 0
    rewritten: int = 0

    @property
    def title(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class Report:
    mode: str
    version: int
    columns: list[ColumnReport] = field(default_factory=list)

    @property
    def rewritten(self) -> int:
        return sum(c.rewritten for c in self.columns)


def declared() -> list[tuple[str, crypto.ProtectedColumn]]:
    """Every protected column of every installed plugin, switched on or not (a module switched
    off keeps its data, and that data is moved too)."""
    return [(name, column)
            for name, columns in plugins.call("protected_columns", include_disabled=True)
            for column in (columns or ())]


def _rows(session, column: crypto.ProtectedColumn):
    table = column.model.__table__
    pk = table.primary_key.columns.values()[0]
    return session.execute(sa.select(pk, table.c[column.column]).order_by(pk)).yield_per(BATCH)


def pending(session) -> list[ColumnReport]:
    """How many values of each protected column are not under the current mode and key."""
    found = []
    for plugin, column in declared():
        report = ColumnReport(plugin, column.model.__table__.name, column.column)
        for _, stored in _rows(session, column):
            report.rows += 1
            if stored and not _current(column, stored):
                report.rewritten += 1
        found.append(report)
    return found


def _current(column: crypto.ProtectedColumn, stored: str) -> bool:
    return not column.is_legacy(stored) and crypto.has_prefix(stored) and crypto.is_current(stored)


def migrate() -> Report:
    """Rewrite every protected value not under the current mode and key, in one transaction."""
    ring = crypto.keyring()
    report = Report(ring.mode, ring.version)
    with transaction() as session:
        for plugin, column in declared():
            report.columns.append(_migrate_column(session, plugin, column))
        if report.rewritten:
            audit.record("crypto_migrate", entity="crypto", session=session,
                         summary=f"受保护数据改用 {ring.mode} 模式、第 {ring.version} 版数据密钥加密："
                                 + "，".join(f"{c.title} {c.rewritten} 条" for c in report.columns),
                         changes={c.title: [c.rows, c.rewritten] for c in report.columns})
    return report


def _migrate_column(session, plugin: str, column: crypto.ProtectedColumn) -> ColumnReport:
    table = column.model.__table__
    pk = table.primary_key.columns.values()[0]
    report = ColumnReport(plugin, table.name, column.column)
    values = {column.column: sa.bindparam("_value")}
    if column.lookup:
        values[column.lookup] = sa.bindparam("_lookup")
    statement = table.update().where(pk == sa.bindparam("_key")).values(values)
    batch: list[dict] = []
    # Read whole before the first UPDATE: SQLite cannot write a table under an open cursor on it.
    for key, stored in list(_rows(session, column)):
        report.rows += 1
        if not stored or _current(column, stored):
            continue
        try:
            plain = column.read(stored)
        except ConsoleError:
            raise ConsoleError(f"{report.title} 第 {key} 行的密文无法解密（已损坏，或缺少写入它的数据密钥版本），"
                               "未做任何改动") from None
        token = crypto.encrypt(plain, column.purpose)
        if crypto.decrypt(token, column.purpose) != plain:  # checked before it replaces the old one
            raise ConsoleError(f"{report.title} 第 {key} 行重新加密后核对不一致，未做任何改动")
        row = {"_key": key, "_value": token}
        if column.lookup:
            row["_lookup"] = crypto.keyed_hash(column.normalize(plain) if column.normalize else plain,
                                               column.purpose)
        batch.append(row)
        report.rewritten += 1
        if len(batch) >= BATCH:
            session.execute(statement, batch)
            batch = []
    if batch:
        session.execute(statement, batch)
    return report


def add_key_version() -> int:
    """Append a new version to the data key file (``instance/data_key``) and load it; refused
    when the key comes from ``JICENG_DATA_KEY``, which only its owner can change."""
    if current_app.config.get("DATA_KEY"):
        raise ConsoleError("数据密钥来自环境变量 JICENG_DATA_KEY：请在其中追加一行“新版本号:新密钥”"
                           "（旧版本保留），重启后运行 jiceng crypto migrate")
    path = Path(current_app.instance_path) / "data_key"
    ring = crypto.keyring()
    version = ring.version + 1
    # Appended, never rewritten: the older versions keep reading old data and the audit seals.
    with open(path, "a", encoding="ascii") as fh:
        fh.write(f"{version}:{os.urandom(32).hex()}\n")
    os.chmod(path, 0o600)
    crypto.install(current_app)
    return version


def rotate() -> tuple[int, Report]:
    version = add_key_version()
    return version, migrate()
