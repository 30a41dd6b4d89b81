"""The renderer: a long appendix is laid out in two processes and joined, and the result reads
exactly like one plain WeasyPrint call on the same HTML: the same pages, the same text on each
(page numbers, table of contents) and the same links."""

from __future__ import annotations

import re
import subprocess

import pytest

from console.briefings import document, periods, render
from console.briefings.sections import Cell, Section, Table, as_data

from .conftest import pdf_links, requires_poppler

BASE = "https://jiceng.example.cn/"


@pytest.fixture
def long_html(app):
    """A city briefing whose appendix has 500 villages (13 pages), each a link."""
    with app.app_context():
        from console.foundation.extensions import db
        from console.regions.models import Region

        city = db.session.query(Region).filter_by(level="city").one()
        snapshot = document.gather(city, periods.parse("2025-12"), [])
        rows = [[f"县{i % 11}", f"乡镇{i % 140}", Cell(f"示例村{i:04d}", f"/nameplates/ledger/{i}"),
                 "已挂牌" if i % 3 else "待整改", "2025-12-03", Cell(i % 4, f"/nameplates/orders/{i}"), i % 2, ""]
                for i in range(500)]
        ledger = Table("全市村级挂牌台账", ["县", "乡镇", "村", "状态", "最近检查", "整改", "反弹", "逾期"], rows,
                       widths=[12, 16, 22, 10, 13, 10, 8, 9])
        snapshot["sections"] = [{"plugin": "ledger", "plugin_title": "台账", "failed": False,
                                 **as_data(Section("台账情况", text="各村情况见附录。", appendix=[ledger]))}]
        return document.html(snapshot, base_url=BASE)


def _pages(pdf: bytes, tmp_path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


@requires_poppler
def test_a_split_appendix_reads_like_one_plain_render(long_html, tmp_path):
    parts = render.split(long_html)
    assert parts is not None and parts.tail_pages >= render.MIN_SPLIT_PAGES
    joined = render.render_pdf(long_html, base_url=BASE, two_processes=True)
    plain = render.render_html(long_html, BASE)

    assert joined.pages == plain.pages >= 15
    pages = _pages(joined.pdf, tmp_path, "joined.pdf")
    assert len(pages) == joined.pages
    assert pages == _pages(plain.pdf, tmp_path, "plain.pdf")  # numbers, headers, rows: all the same
    total = joined.pages
    for number, page in enumerate(pages[1:], start=2):
        assert f"第 {number} 页 / 共 {total} 页" in page
    assert "示例村0499" in pages[-1] and "附录一" in pages[-1]  # the tail keeps its running header
    start = next(i for i, p in enumerate(pages) if "示例村0000" in p) + 1
    assert re.search(r"附录一.*?(\d+)\s*$", pages[1], re.M)[1] == str(start)  # target-counter
    links = pdf_links(joined.pdf, tmp_path)
    assert sorted(links) == sorted(pdf_links(plain.pdf, tmp_path))
    assert f"{BASE}nameplates/ledger/499" in links and f"{BASE}nameplates/orders/0" in links


@requires_poppler
def test_a_page_that_overflows_falls_back_to_one_process(long_html, tmp_path):
    # A block taller than a page breaks the one-block-one-page rule the split relies on.
    marker = "示例村0480"
    broken = long_html.replace(marker, marker + '<div style="height: 300mm"></div>', 1)
    result = render.render_pdf(broken, base_url=BASE, two_processes=True)
    pages = _pages(result.pdf, tmp_path, "fallback.pdf")
    assert len(pages) == result.pages == render.render_html(broken, BASE).pages
    assert all(f"第 {n} 页 / 共 {result.pages} 页" in p for n, p in enumerate(pages[1:], start=2))


def test_short_documents_are_not_split(long_html):
    assert render.split(long_html.replace(render.END_MARK, "")) is None
    assert render.split("<html><head></head><body>短</body></html>") is None


def _fork_servers() -> list[int]:
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"console.briefings.render" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_the_renderer_comes_back_after_its_fork_server_died(app):
    """The rendering processes are forked from a server that has WeasyPrint loaded; when that
    server dies (killed, out of memory) the next briefing starts a new one."""
    import os
    import signal

    render.start_renderer()
    servers = _fork_servers()
    assert len(servers) == 1
    for pid in servers:
        os.kill(pid, signal.SIGKILL)
    result = render.render_pdf("<p>简报</p>", base_url=BASE)
    assert result.pdf.startswith(b"%PDF") and result.pages == 1 and result.cpu > 0
    assert _fork_servers() and _fork_servers() != servers
