"""Home-page cards: plain data that plugins return from ``dashboard_cards``."""

from __future__ import annotations

from dataclasses import dataclass

from console.database import copies as worker_cache
from console.foundation import clock
from console.plugins.manager import call


@dataclass(frozen=True)
class Card:
    title: str
    value: str | int | float
    unit: str = ""
    note: str = ""
    link: str | None = None  # the filtered list behind the number
    level: str = "default"  # default | warning | danger | success


def cards_for(user, region) -> list[tuple[str, Card]]:
    """Every enabled plugin's cards for ``region``, plugin by plugin.

    Counted at city scale the cards take far longer than a list page (hundreds of thousands of
    enterprises and their visits), and every reader of a region sees the same ones: this
    worker keeps them, per region and day, until a table their hooks read is written through the
    console (worker_cache's table tokens), so they are exactly what a fresh count would give."""
    def count():
        out = []
        for name, cards in call("dashboard_cards", user=user, region=region):
            out.extend((name, card) for card in cards or ())
        return tuple(out)

    key = f"dashboard_cards:{region.id if region else ''}:{clock.today().isoformat()}"
    return list(worker_cache.cached(key, count, data=True))
