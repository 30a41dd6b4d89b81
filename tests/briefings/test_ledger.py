"""Appendix ledgers printed as lines of text: every column starts at the same place on every
line (read back from the PDF's word positions), text that would run into the next column is
cut with an ellipsis, links stay links, and the preview keeps its HTML table."""

from __future__ import annotations

import re
import subprocess

from console.briefings import document, ledger, periods, render
from console.briefings.sections import Cell, Section, Table, as_data

from .conftest import requires_poppler

COLUMNS = ["县(市、区)", "乡镇(街道)", "村(社区)", "台账状态", "最近检查", "未销号整改", "反弹"]
WIDTHS = [12, 16, 22, 14, 14, 12, 10]
STATES = ["合格", "整改中", "反弹待复查·需再次检查的很长的说明文字", "已整改销号"]


def _snapshot(app, rows):
    with app.app_context():
        from console.foundation.extensions import db
        from console.regions.models import Region

        city = db.session.query(Region).filter_by(level="city").one()
        snapshot = document.gather(city, periods.parse("2025-12"), [])
    table = Table("台账", COLUMNS, rows, widths=WIDTHS)
    snapshot["sections"] = [{"plugin": "ledger", "plugin_title": "台账", "failed": False,
                             **as_data(Section("台账情况", appendix=[table]))}]
    return snapshot


def _rows(n):
    return [[f"县{i % 11}", "乡镇" * (1 + i % 3), Cell(f"示例村{i:04d}", f"/nameplates/ledger/{i}"),
             STATES[i % 4], "2025-12-03" if i % 5 else None, Cell(i % 4 * 1000, f"/orders/{i}"), i % 2]
            for i in range(n)]


def test_a_cell_too_wide_for_its_column_is_cut_with_an_ellipsis():
    room = 40.0
    cut = ledger.fit(STATES[2], room)
    assert cut.endswith("…") and STATES[2].startswith(cut[:-1])
    assert ledger.text_width(cut) <= room < ledger.text_width(STATES[2])
    assert ledger.fit("合格", room) == "合格"


@requires_poppler
def test_every_column_starts_at_one_place_on_every_line(app, tmp_path):
    snapshot = _snapshot(app, _rows(120))
    with app.test_request_context():
        html = document.html(snapshot, base_url="https://jiceng.example.cn/")
    assert 'class="ledger-lines"' in html and "<table class=\"data ledger\"" not in html
    pdf = render.render_pdf(html, base_url="https://jiceng.example.cn/").pdf
    path = tmp_path / "ledger.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = [(float(x), float(y), w) for x, y, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', xml)]
    # Each column starts at one place on every line, whatever the widths of the cells before
    # it: within a point (the layout rounds glyph positions), never a tab stop (3 pt) apart.
    villages = [x for x, _, w in words if w.startswith("示例村")]
    dates = [x for x, _, w in words if w == "2025-12-03"]
    assert len(villages) == 120 and len(dates) == 96
    for starts in (villages, dates):
        assert max(starts) - min(starts) < 1.5, sorted(set(starts))
    assert any(w.endswith("…") for *_, w in words)
    # Numbers as in tables, and a missing value as a dash.
    assert "3,000" in {w for *_, w in words} and "—" in {w for *_, w in words}
    links = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(path)], capture_output=True,
                           text=True, check=True).stdout
    assert links.count('href="https://jiceng.example.cn/nameplates/ledger/') == 120


def test_the_preview_keeps_the_html_table(app):
    snapshot = _snapshot(app, _rows(10))
    with app.test_request_context():
        preview = document.html(snapshot, preview=True)
        tables = document.html(snapshot, ledger_tables=True)
    for html in (preview, tables):
        assert "ledger-lines" not in html.split("</style>")[1] and "示例村0009" in html


@requires_poppler
def test_a_row_whose_links_lead_to_one_page_is_one_link(app, tmp_path):
    """The nameplates ledger links a village and its numbers to the village's own page: the
    whole line is then one link (one text box to lay out), and the page says rows can be
    clicked.  Rows with links to different pages keep a link per cell."""
    one_page = [[f"县{i % 11}", "乡镇", Cell(f"示例村{i:04d}", f"/nameplates/ledger/village/{i}"), STATES[0],
                 "2025-12-03", Cell(i % 4, f"/nameplates/ledger/village/{i}"), 0] for i in range(60)]
    with app.test_request_context():
        html = document.html(_snapshot(app, one_page), base_url="https://jiceng.example.cn/")
        mixed = document.html(_snapshot(app, _rows(60)), base_url="https://jiceng.example.cn/")
    assert html.count('<a class="row" href="https://jiceng.example.cn/nameplates/ledger/village/') == 60
    assert "点击任一行" in html and "点击任一行" not in mixed and '<a class="row"' not in mixed
    pdf = render.render_pdf(html, base_url="https://jiceng.example.cn/").pdf
    # pdftohtml puts a text in a link (<a href>) when the text lies in the link's rectangle.
    lines = {}
    for top, left, width, href, text in _linked_texts(pdf, tmp_path):
        if "/ledger/village/" in href:
            lines.setdefault(int(href.rsplit("/", 1)[1]), []).append((top, left, left + width, text))
    assert sorted(lines) == list(range(60))
    # Each link spans its line: from the county column to past the numbers, one line high
    # (it holds the texts of its own line and of no other).
    for village, texts in lines.items():
        x0, x1 = min(t[1] for t in texts), max(t[2] for t in texts)
        assert len({t[0] for t in texts}) == 1 and f"示例村{village:04d}" in {t[3] for t in texts}, texts
        assert x0 < 60 and x1 - x0 > 300, texts


def _linked_texts(pdf: bytes, tmp_path) -> list[tuple[int, int, int, str, str]]:
    """(top, left, width, link target, text) of every text in a link, in points (pdftohtml)."""
    import html

    path = tmp_path / "rows.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-zoom", "1", "-stdout", str(path)], capture_output=True,
                         text=True, check=True).stdout
    found = re.findall(r'<text top="(\d+)" left="(\d+)" width="(\d+)"[^>]*><a href="([^"]*)">([^<]*)</a></text>', xml)
    return [(int(top), int(left), int(width), html.unescape(href), html.unescape(text))
            for top, left, width, href, text in found]
