"""Fixtures of the briefing tests: a console with the 三送三进 module switched on, visits and
problems built through that module's own services, in 昭阳区 and in 镇雄县."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from tests.visits.conftest import ZHAOYANG, ZHENXIONG, World
from console import clock

__all__ = ["ZHAOYANG", "ZHENXIONG"]


@pytest.fixture
def app(make_app):
    # Fast heartbeats and retries so stale runs and backoff need no waiting in the tests.
    return make_app(BRIEFING_HEARTBEAT_SECONDS=1, BRIEFING_RETRY_BASE_SECONDS=60,
                    BRIEFING_RUN_INLINE=True, BASE_URL="https://jiceng.example.cn")


@pytest.fixture
def world(app):
    with app.app_context():
        from console.plugins import manager as plugins

        plugins.set_enabled("visits", True)
        yield World(app)


@pytest.fixture
def month():
    """A complete month just behind us: the period the tests' briefings cover."""
    from console.briefings import periods

    return periods.last_complete("month", clock.today())


@pytest.fixture
def activity(world, month):
    """Visits in 昭阳区 (3 this month, 1 the month before) and in 镇雄县 (2 this month)."""
    zy = [world.enterprise(n) for n in (1, 2, 3)]
    zx = [world.enterprise(n, county=ZHENXIONG) for n in (4, 5)]
    day = month.start + dt.timedelta(days=2)
    for e in zy + zx:
        world.visit(e, day)
    world.visit(zy[0], month.start - dt.timedelta(days=3))
    return {"zy": zy, "zx": zx}


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "briefing.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


requires_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


def pdf_links(data: bytes, tmp_path) -> list[str]:
    """The link targets of the PDF's annotations (pdftohtml reads them out)."""
    import html
    import re

    path = tmp_path / "links.pdf"
    path.write_bytes(data)
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]*)"', xml)]
