"""The audit log's table and the marker of audited models."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from console.foundation.clock import utcnow

ACTIONS = {
    "insert": "新增", "update": "修改", "delete": "删除", "login": "登录成功",
    "login_failed": "登录失败", "plugin_enable": "启用插件", "plugin_disable": "停用插件",
    "settings": "修改设置", "password_reset": "重置密码", "import": "导入",
    "audit_archive": "归档审计日志",
    "account_locked": "锁定账号", "account_unlocked": "解除锁定", "view_id_number": "查看身份证号",
}

# Flask-AppBuilder's own models, which cannot carry the marker attributes, and the entities of
# events that are not a row of an audited table.
FAB_TITLES = {"ab_user": "用户", "ab_role": "角色", "ab_user_role": "用户角色",
              "audit_log": "审计日志", "attachment": "附件", "plugin": "插件"}

# Titles the higher layers know and this one cannot import: ``(entity, entity_id) -> (title,
# shown id) or None``, e.g. an import's "nameplates.whitelist_items" -> ("村名牌 · 挂牌白名单", the
# job's number), a plugin's "nameplates" -> ("插件", "村名牌") (registered by console.app).
_resolvers: list = []


def register_titles(resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def entity_titles() -> dict[str, str]:
    """Table name -> what its rows are called, for the log's pages."""
    titles = dict(FAB_TITLES)
    for mapper in Model.registry.mappers:
        title = getattr(mapper.class_, "__audit_title__", None)
        if title and hasattr(mapper.class_, "__table__"):
            titles[mapper.class_.__table__.name] = title
    return titles


class Audited:
    """Marker: inserts, updates and deletes of this model are written to the audit log."""

    # Columns whose values never reach the audit log (personal data, secrets).
    __audit_masked__: tuple[str, ...] = ()
    # What a row is, in words a user reads in the log (the table name otherwise).
    __audit_title__: str | None = None


class AuditLog(Model):
    """Append-only: written in the same transaction as the change it records."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str | None] = mapped_column(String(64), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[str | None] = mapped_column(Text)  # JSON: {field: [before, after]}
    ip: Mapped[str | None] = mapped_column(String(64))
    # The row's place in the hash chain and its keyed hash over the row and the previous row's
    # hash (console.audit.chain).  Null only on rows written before the chain existed.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    chain: Mapped[str | None] = mapped_column(String(96))

    @property
    def action_title(self) -> str:
        return ACTIONS.get(self.action, self.action)

    def _entity_words(self) -> tuple[str, str]:
        for resolver in _resolvers:
            found = resolver(self.entity, self.entity_id)
            if found:
                return found
        return entity_titles().get(self.entity) or ("其他" if self.entity else ""), self.entity_id or ""

    @property
    def entity_title(self) -> str:
        """What the row is about, in words: never a table or code name."""
        return self._entity_words()[0]

    @property
    def entity_ref(self) -> str:
        """Which one: the record's number, or a plugin's title rather than its code."""
        return self._entity_words()[1]


class AuditChain(Model):
    """The chain's one head row: the last link, and where the rows still in the table begin.

    Every audited transaction updates this row before it writes its links, so concurrent writers
    queue on its row lock (PostgreSQL) or on the database lock (SQLite) and never fork the chain.
    """

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    chain: Mapped[str] = mapped_column(String(96), default="")
    # The last archived link: the table's first row follows it.
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    base_chain: Mapped[str] = mapped_column(String(96), default="")
    # Rows up to this id were written before the chain existed (they carry no link).
    legacy_max_id: Mapped[int] = mapped_column(BigInteger, default=0)
