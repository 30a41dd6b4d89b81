"""What the module's views share: the template folder and the acting user."""

from __future__ import annotations

from pathlib import Path

from flask import g

TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")


def me():
    return g.user if getattr(g.user, "is_authenticated", False) else None
