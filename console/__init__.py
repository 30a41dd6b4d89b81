"""基层治理控制台: the core, and the one API a plugin imports.

A plugin imports from ``console`` and nothing deeper (an import-linter contract in
``.importlinter`` holds it to that); docs/plugins.md describes each name.  The feature packages
below are the core's own rooms and may change shape without notice.
"""

from __future__ import annotations

from console import audit, notifications, regions
from console.app import create_app
from console.audit.models import Audited
from console.briefings.sections import Cell, Chart, Figure, Section, Table
from console.database.bulk import insert_rows
from console.database.copies import cached
from console.database.mixins import Named
from console.database.paging import count_rows, page_rows
from console.database.transaction import transaction, unit_of_work
from console.files import attachments, exports
from console.files.attachments import AttachmentOwner, FileTooLarge
from console.files.exports import query_rows, stream_xlsx
from console.foundation import clock, crypto
from console.foundation.crypto import ProtectedColumn
from console.foundation.errors import (
    ConsoleError,
    NotFound,
    OutOfScope,
    field_errors_text,
)
from console.foundation.extensions import db
from console.imports.pipeline import (
    Column,
    Importer,
    RowError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
)
from console.jobs.job import Job
from console.plugins import settings as plugin_settings
from console.plugins.manager import PluginInfo, Setting, hookimpl
from console.regions import geography, scope
from console.regions.models import BelongsTo, CityWide, OfferedTo, Region, Regional
from console.regions.scope import (
    WITHIN_ARG,
    ScopedInterface,
    ScopedModelRestApi,
    ScopedModelView,
    current_region,
    restrict,
)
from console.security import roles
from console.security.users import ConsoleUser
from console.web.dashboard import Card, Shortcut, Task
from console.web.messages import refused

__all__ = [
    # the app and the plugin contract
    "create_app", "hookimpl", "PluginInfo", "Setting", "Job",
    # the database and the clock
    "db", "unit_of_work", "transaction", "Audited", "Region", "Regional", "Named", "ConsoleUser",
    "clock", "cached", "count_rows", "page_rows", "insert_rows",
    # refusals
    "ConsoleError", "NotFound", "OutOfScope", "field_errors_text", "FileTooLarge", "refused",
    # regional scope
    "scope", "regions", "geography", "current_region", "restrict", "ScopedInterface", "ScopedModelView",
    "ScopedModelRestApi", "WITHIN_ARG", "BelongsTo", "CityWide", "OfferedTo",
    # what a module contributes
    "Card", "Task", "Shortcut", "Cell", "Chart", "Figure", "Section", "Table",
    "Column", "Importer", "RowError", "parse_bool", "parse_choice", "parse_date", "parse_int",
    # services of the core
    "attachments", "AttachmentOwner", "audit", "exports", "query_rows", "stream_xlsx", "notifications",
    "plugin_settings", "roles", "crypto", "ProtectedColumn",
]
