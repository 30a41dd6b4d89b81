"""The audit log: every change of audited data, and the events the console records itself."""

from console.audit.log import AuditLogImmutable, actor_name, current_actor, record, set_actor

__all__ = ["AuditLogImmutable", "actor_name", "current_actor", "record", "set_actor"]
