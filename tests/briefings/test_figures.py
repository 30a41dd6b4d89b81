"""Each figure says whether higher is better and how it is counted: the trend is coloured by
whether the change is welcome, and the definition (口径) is printed in the PDF."""

from __future__ import annotations

import re

from console.briefings import document, render
from console.briefings.sections import Figure, Section, as_data
from tests.briefings.conftest import pdf_text, requires_poppler


def _snapshot(*figures):
    section = {"plugin": "t", "plugin_title": "测试", "failed": False, **as_data(Section("测试部分", figures=list(figures)))}
    return {"city": "昭通市", "title": "昭通市社会工作简报", "id": "abc123",
            "scope": {"id": 1, "name": "昭通市", "code": "530600", "level": "city"},
            "period": {"key": "2025-12", "title": "2025年12月", "start": "2025-12-01", "end": "2026-01-01"},
            "previous": {"key": "2025-11", "title": "2025年11月", "start": "2025-11-01", "end": "2025-12-01"},
            "comparison": "较上月", "appendix": False, "generated_at": "2026-01-02 08:00", "sections": [section]}


def _tone_of(html: str, label: str) -> str:
    cell = html.split(f'<div class="label">{label}</div>', 1)[1].split("</td>", 1)[0]
    return re.search(r'class="chg (up|down|flat) (good|bad|flat)"', cell).group(2)


def test_a_rise_of_a_figure_where_lower_is_better_is_shown_as_bad(app):
    with app.test_request_context():
        html = document.html(_snapshot(
            Figure("倒查反弹", 5, "次", previous=2, higher_is_better=False),
            Figure("逾期整改", 1, "件", previous=4, higher_is_better=False),
            Figure("走访企业次数", 9, "次", previous=3),
            Figure("合规率", 0.5, previous=0.9, percent=True)))
    assert _tone_of(html, "倒查反弹") == "bad"
    assert _tone_of(html, "逾期整改") == "good"
    assert _tone_of(html, "走访企业次数") == "good"
    assert _tone_of(html, "合规率") == "bad"


def test_a_figure_defaults_to_higher_is_better_and_no_definition():
    figure = as_data({"title": "x", "figures": [{"label": "数", "value": 1}]})["figures"][0]
    assert figure["higher_is_better"] is True and figure["definition"] == ""


@requires_poppler
def test_the_definition_is_printed_in_the_pdf(app, tmp_path):
    with app.test_request_context():
        html = document.html(_snapshot(Figure("合规率", 0.5, previous=0.9, percent=True,
                                              definition="分母为本期检查的村")))
    text = pdf_text(render.render_pdf(html, base_url="https://jiceng.example.cn/").pdf, tmp_path)
    assert "口径：分母为本期检查的村" in " ".join(text.split())


def test_the_built_in_figures_declare_their_direction(world, activity, month):
    from console.plugins import manager as plugins

    plugins.set_enabled("nameplates", True)
    plugins.set_enabled("talent", True)
    snapshot = document.gather(world.region("530600"), month)
    figures = {f["label"]: f for s in snapshot["sections"] for f in s["figures"]}
    for label in ("倒查反弹", "逾期整改", "未销号整改", "逾期未办结诉求", "登记已过期未延续"):
        assert figures[label]["higher_is_better"] is False, label
    for label in ("合规率", "走访企业次数", "诉求办结率", "继续教育达标率"):
        assert figures[label]["higher_is_better"] is True, label
    assert all(f["definition"] for f in figures.values())
    assert "首页" in figures["合规率"]["definition"]
