"""What a page tells the user after an action."""

from __future__ import annotations

from flask import flash


def refused(error) -> None:
    """Show a refusal (a :class:`console.ConsoleError`, already rolled back by its unit of
    work) as the page's red message."""
    flash(getattr(error, "message", None) or str(error), "danger")
