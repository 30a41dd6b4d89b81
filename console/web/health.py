"""What /health reports: each part the console needs, and whether it is well."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from console.database import schema
from console.foundation.clock import utcnow
from console.foundation.extensions import db
from console.foundation.fonts import cjk_font
from console.jobs.models import Heartbeat
from console.plugins import manager as plugins

SCHEDULER_STALE = dt.timedelta(minutes=3)

def check() -> dict:
    parts: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
        parts["database"] = {"ok": True}
    except Exception as exc:  # the database being away is exactly what this reports
        db.session.rollback()
        parts["database"] = {"ok": False, "error": str(exc).splitlines()[0]}
    if parts["database"]["ok"]:
        try:
            parts["migrations"] = {"ok": schema.is_current()}
        except Exception as exc:
            parts["migrations"] = {"ok": False, "error": str(exc).splitlines()[0]}
        beat = db.session.get(Heartbeat, "scheduler")
        fresh = beat is not None and utcnow() - beat.at < SCHEDULER_STALE
        parts["scheduler"] = {"ok": fresh, "last_beat": beat.at.isoformat() + "Z" if beat else None}
    else:
        parts["migrations"] = {"ok": False}
        parts["scheduler"] = {"ok": False}
    font = cjk_font()
    parts["cjk_font"] = {"ok": font is not None, "file": font}
    try:
        rows = plugins.info_rows()
        parts["plugins"] = {
            "ok": all(r["state"] != "failed" for r in rows),
            "states": {r["name"]: r["state"] for r in rows},
        }
    except Exception as exc:
        parts["plugins"] = {"ok": False, "error": str(exc).splitlines()[0]}
    return {"ok": all(p["ok"] for p in parts.values()), **parts}
