"""Backing up the whole console into one file and restoring it: ``jiceng backup`` / ``restore``.

Everything the console keeps is in its database, photos and attachments included
(``attachment.data``), so a backup is the database and nothing else.  The file is a tar archive
of two members: ``manifest.json`` (which kind of database it came from, its Alembic revisions,
when, by which console version) and the dump itself, a SQLite database made with SQLite's online
backup API (consistent while the console keeps writing) or a ``pg_dump -Fc`` archive.

Restore refuses a file from the other kind of database, or from a console whose schema this one
does not know (a newer version), and a database that other processes are using unless told to
go ahead anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa

from console.database import schema
from console.foundation import clock
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db

FORMAT = "jiceng-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
KIND_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(ConsoleError):
    status = 400


@dataclass
class Manifest:
    database: str
    heads: list[str]
    created_at: str
    console_version: str
    sha256: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def dump_name(self) -> str:
        return DUMPS[self.database]


# -- the database the console uses ------------------------------------------------------------


def _engine():
    return db.engine


def database_kind(engine=None) -> str:
    name = (engine or _engine()).dialect.name
    if name not in DUMPS:
        raise BackupError(f"不支持备份 {name} 数据库，只支持 SQLite 和 PostgreSQL")
    return name


def _release_connections() -> None:
    """Our own pooled connections would count as users of the database (and, on SQLite, keep
    the file's WAL locks in this process)."""
    db.session.remove()
    db.engine.dispose()


def _heads(conn) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    return sorted(MigrationContext.configure(conn).get_current_heads())


def _sqlite_path(engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    return Path(database)


def _pg_env(engine) -> dict[str, str]:
    """libpq reads these: the password never appears on a command line."""
    url = engine.url
    env = {**os.environ, "PGDATABASE": url.database or ""}
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGSSLMODE", url.query.get("sslmode"))):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端工具（主版本不低于数据库服务器的版本），"
                          "并确保它在 PATH 中")
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what}失败：" + ("；".join(detail[-3:]) or f"退出码 {done.returncode}"))


# -- backup -----------------------------------------------------------------------------------


def backup(target: str | os.PathLike) -> Manifest:
    """Write a backup of the console's database to ``target`` (a new file)."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"文件已存在：{target}（为免覆盖，请换一个文件名）")
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent}")
    engine = _engine()
    kind = database_kind(engine)
    with tempfile.TemporaryDirectory(prefix="jiceng-backup-") as tmp:
        dump = Path(tmp) / DUMPS[kind]
        if kind == "sqlite":
            heads = _sqlite_dump(engine, dump)
        else:
            heads = _pg_dump(engine, dump)
        manifest = Manifest(
            database=kind, heads=heads, created_at=clock.now(dt.UTC).isoformat(timespec="seconds"),
            console_version=_console_version(), sha256=_sha256(dump),
        )
        partial = target.with_name(target.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest.__dict__, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(clock.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=manifest.dump_name)
            os.chmod(partial, 0o600)  # personal data: readable by the owner only
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _sqlite_dump(engine, dump: Path) -> list[str]:
    source = sqlite3.connect(_sqlite_path(engine))
    copy = sqlite3.connect(dump)
    try:
        # A consistent snapshot, page by page, while the console keeps reading and writing.
        source.backup(copy)
    finally:
        source.close()
    try:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        with sa.create_engine("sqlite:///" + str(dump), poolclass=sa.pool.NullPool).connect() as conn:
            return _heads(conn)
    finally:
        copy.close()


def _pg_dump(engine, dump: Path) -> list[str]:
    tool = _pg_tool("pg_dump")
    with engine.connect() as conn:
        heads = _heads(conn)
    _run([tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump)],
         _pg_env(engine), "pg_dump 导出")
    return heads


def _console_version() -> str:
    try:
        return metadata.version("jiceng-console")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- reading a backup file -------------------------------------------------------------------


def read_manifest(source: str | os.PathLike) -> Manifest:
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"文件不存在：{source}")
    try:
        with tarfile.open(source, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            raw = json.loads(member.read().decode("utf-8"))
    except (tarfile.TarError, KeyError, AttributeError, UnicodeDecodeError, json.JSONDecodeError, OSError):
        raise BackupError(f"{source} 不是控制台的备份文件（应由 jiceng backup 生成）") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{source} 不是控制台的备份文件（应由 jiceng backup 生成）")
    if raw.get("format_version") != FORMAT_VERSION or raw.get("database") not in DUMPS:
        raise BackupError("备份文件的格式版本不受支持，可能来自更新版本的控制台：请先升级控制台再恢复")
    return Manifest(**{key: raw[key] for key in Manifest.__dataclass_fields__ if key in raw})


def _extract_dump(source: Path, manifest: Manifest, into: Path) -> Path:
    with tarfile.open(source, "r:*") as tar:
        member = tar.getmember(manifest.dump_name)
        if not member.isfile():
            raise BackupError("备份文件已损坏：找不到数据库内容")
        dump = into / DUMPS[manifest.database]  # our own name, never the archive's path
        with tar.extractfile(member) as src, open(dump, "wb") as dst:
            shutil.copyfileobj(src, dst)
    if _sha256(dump) != manifest.sha256:
        raise BackupError("备份文件已损坏：数据库内容的校验值不符")
    return dump


# -- restore ----------------------------------------------------------------------------------


def check(manifest: Manifest, engine=None) -> None:
    """Refuse a backup this console cannot take: another kind of database, or a newer schema."""
    from alembic.util import CommandError


    kind = database_kind(engine)
    if manifest.database != kind:
        raise BackupError(
            f"备份文件来自 {KIND_TITLES[manifest.database]} 数据库，而当前使用的是 {KIND_TITLES[kind]} 数据库："
            "只能恢复到同一种数据库"
        )
    script = schema.script_directory()
    unknown = []
    for head in manifest.heads:
        try:
            if script.get_revision(head) is None:
                unknown.append(head)
        except CommandError:
            unknown.append(head)
    if unknown:
        raise BackupError(
            f"备份文件的数据库结构比本控制台新（本机不认识的版本：{'、'.join(unknown)}，"
            f"备份来自控制台 {manifest.console_version}）：请先升级控制台再恢复"
        )


def users_of_database(engine=None) -> list[str]:
    """Other processes using the database, in words; empty when nobody else is."""
    engine = engine or _engine()
    if database_kind(engine) == "sqlite":
        return _sqlite_users(_sqlite_path(engine))
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT coalesce(application_name, ''), coalesce(client_addr::text, '本机'), pid "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).all()
    return [f"连接 {pid}（{addr} {app}）".replace(" ）", "）") for app, addr, pid in rows]


def _sqlite_users(path: Path) -> list[str]:
    """Processes (of those this user may inspect) holding the database file open."""
    names = {str(path.resolve())} | {str(path.resolve()) + s for s in ("-wal", "-shm")}
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            targets = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue  # gone meanwhile, or another user's
        if targets & names:
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                command = ""
            found.append(f"进程 {entry.name}（{command[:80]}）")
    return found


def restore(source: str | os.PathLike, force: bool = False) -> Manifest:
    """Replace the whole database with the backup in ``source``."""
    source = Path(source)
    manifest = read_manifest(source)
    engine = _engine()
    check(manifest, engine)
    _release_connections()
    if not force:
        users = users_of_database(engine)
        if users:
            raise BackupError(
                "数据库正在被使用（" + "；".join(users[:5]) + "）：请先停止控制台和定时任务进程再恢复，"
                "或加 --force 强制恢复（正在使用的进程会看到数据被整体替换）"
            )
    with tempfile.TemporaryDirectory(prefix="jiceng-restore-") as tmp:
        dump = _extract_dump(source, manifest, Path(tmp))
        if manifest.database == "sqlite":
            _sqlite_restore(engine, dump)
        else:
            _pg_restore(engine, dump)
    _release_connections()
    return manifest


def _sqlite_restore(engine, dump: Path) -> None:
    try:
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        source.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError("备份文件已损坏：其中的 SQLite 数据库无法读取") from None
    target = sqlite3.connect(_sqlite_path(engine), timeout=30)
    try:
        # The backup API replaces every page of the live file under SQLite's own locks: other
        # connections see the old database or the restored one, never a mixture.
        source.backup(target)
    except sqlite3.OperationalError as exc:
        raise BackupError(f"恢复失败：{exc}") from None
    finally:
        source.close()
        target.close()


def _pg_restore(engine, dump: Path) -> None:
    tool = _pg_tool("pg_restore")
    env = _pg_env(engine)
    listing = subprocess.run([tool, "--list", str(dump)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError("备份文件已损坏：pg_restore 无法读取其中的数据库内容")
    in_dump = {match.group(1) for line in listing.stdout.splitlines()
               if not line.startswith(";") and (match := _TABLE_ENTRY.search(line))}
    _drop_tables_not_in(engine, in_dump)
    # Forced onto a database in use, a session holding a lock would make the restore wait
    # forever; give up after a minute instead (the single transaction leaves nothing half done).
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c lock_timeout=60000").strip()
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "--dbname", env["PGDATABASE"], str(dump)], env, "pg_restore 恢复")


_TABLE_ENTRY = re.compile(r"\bTABLE public (\S+)")


def _drop_tables_not_in(engine, keep: set[str]) -> None:
    """Tables of revisions newer than the backup would stay behind ``--clean`` and break the
    next upgrade, which would try to create them again."""
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL lock_timeout = '60s'"))
        present = set(sa.inspect(conn).get_table_names(schema="public"))
        for name in sorted(present - keep):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS public."{name}" CASCADE'))
