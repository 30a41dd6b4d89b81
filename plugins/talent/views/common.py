"""What the module's pages share: the template folder."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")
