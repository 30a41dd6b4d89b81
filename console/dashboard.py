"""Home-page cards: plain data that plugins return from ``dashboard_cards``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    title: str
    value: str | int | float
    unit: str = ""
    note: str = ""
    link: str | None = None  # the filtered list behind the number
    level: str = "default"  # default | warning | danger | success


def cards_for(user, region) -> list[tuple[str, Card]]:
    """Every enabled plugin's cards for ``region``, plugin by plugin."""
    from .plugins import call

    out = []
    for name, cards in call("dashboard_cards", user=user, region=region):
        out.extend((name, card) for card in cards or ())
    return out
