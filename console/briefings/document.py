"""The briefing document: gather each enabled plugin's sections into a snapshot (plain data,
stored with the run), then lay the snapshot out as one HTML document.

Rendering a stored snapshot again gives the same figures whatever the data has become since;
the document prints the snapshot's id so a reader can tell which data it shows.
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import current_app, render_template

from console.briefings import charts, ledger
from console.briefings.periods import Period
from console.briefings.sections import as_data
from console.foundation import clock, fonts
from console.plugins import manager as plugins
from console.regions.models import Region

log = logging.getLogger(__name__)

HOOK = "briefing_sections"
CHINESE_NUMERALS = "一二三四五六七八九十"


def gather(region: Region, period: Period, sections: list[str] | None = None,
           appendix: bool = False) -> dict:
    """Call the briefing hook of each selected, enabled plugin for ``region`` and ``period``.

    A plugin that raises is recorded on the plugins page and leaves a note in its place; a
    switched-off plugin contributes nothing.  ``sections`` None means every enabled plugin;
    ``appendix`` asks for the plugins' appendix ledgers.
    """
    args = {"period": period, "region": region, "appendix": appendix}
    reg = plugins.registry()
    found = []
    for impl in reversed(getattr(reg.pm.hook, HOOK).get_hookimpls()):
        name = impl.plugin_name
        if name not in reg.infos or not plugins.is_enabled(name):
            continue
        if sections is not None and name not in sections:
            continue
        title = reg.infos[name].title
        try:
            result = impl.function(**{arg: args[arg] for arg in impl.argnames})
            found.extend({"plugin": name, "plugin_title": title, "failed": False, **as_data(s)}
                         for s in result or ())
        except Exception as exc:
            plugins.record_hook_failure(name, HOOK)
            found.append({"plugin": name, "plugin_title": title, "failed": True,
                          "title": title, "error": f"{type(exc).__name__}: {exc}"[:300]})
    if sections is not None:
        order = {name: i for i, name in enumerate(sections)}
        found.sort(key=lambda s: order.get(s["plugin"], len(order)))
    city = current_app.config.get("CITY_NAME", "")
    snapshot = {
        "city": city,
        "title": f"{city}社会工作简报",
        "scope": {"id": region.id, "name": region.name, "code": region.code, "level": region.level},
        "period": period.as_dict(),
        "previous": period.previous().as_dict(),
        "comparison": period.comparison_title,
        "appendix": appendix,
        "generated_at": clock.now().strftime("%Y-%m-%d %H:%M"),
        "sections": found,
    }
    snapshot["id"] = snapshot_id(snapshot)
    return snapshot


def snapshot_id(snapshot: dict) -> str:
    body = {k: v for k, v in snapshot.items() if k != "id"}
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def failed_sections(snapshot: dict) -> list[dict]:
    return [s for s in snapshot["sections"] if s.get("failed")]


def is_empty(snapshot: dict) -> bool:
    """No figure of any section has a value other than zero: nothing happened in the period."""
    values = [f.get("value") for s in snapshot["sections"] for f in s.get("figures", ())]
    return not any(v for v in values)


# -- layout ---------------------------------------------------------------------------------


def number(value, percent: bool = False) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def change(figure: dict) -> tuple[str, str]:
    """The change against the previous period as words, and up / down / flat."""
    value, previous = figure.get("value"), figure.get("previous")
    if value is None or previous is None:
        return "", "flat"
    diff = value - previous
    if figure.get("percent"):
        points = round(diff * 100, 1)
        if points == 0:
            return "持平", "flat"
        return f"{'提高' if points > 0 else '下降'} {abs(points):.1f} 个百分点", "up" if points > 0 else "down"
    if diff == 0:
        return "持平", "flat"
    rel = f"，{diff / previous * 100:+.1f}%" if previous else ""
    return f"{'增加' if diff > 0 else '减少'} {number(abs(diff))}{figure.get('unit', '')}{rel}", \
        "up" if diff > 0 else "down"


def tone(figure: dict, trend: str) -> str:
    """good / bad / flat: whether the change is welcome, by the figure's own direction."""
    if trend == "flat":
        return "flat"
    rose = trend == "up"
    return "good" if rose == bool(figure.get("higher_is_better", True)) else "bad"


def link(path: str | None, base: str) -> str | None:
    if not path:
        return None
    return base.rstrip("/") + path if base and path.startswith("/") else path


def html(snapshot: dict, *, base_url: str = "", preview: bool = False, ledger_tables: bool | None = None) -> str:
    """The whole briefing as one HTML document (the PDF's source and the preview).

    Appendix ledgers are lines of text in the PDF's source (``ledger.py``: many times faster to
    lay out) and tables in the preview; ``ledger_tables`` forces the tables (the benchmark's
    plain reference)."""
    snapshot = json.loads(json.dumps(snapshot, default=str))  # laid out, never altered
    sections = snapshot["sections"]
    for i, section in enumerate(sections):
        section["anchor"] = f"s{i + 1}"
        section["chart_svgs"] = [charts.bar_chart(c["labels"], c["series"], title=c["title"],
                                                  unit=c.get("unit", ""))
                                 for c in section.get("charts", ())]
        for figure in section.get("figures", ()):
            figure["change_text"], figure["trend"] = change(figure)
            figure["tone"] = tone(figure, figure["trend"])
    appendices = [(s, t) for s in sections if not s.get("failed") for t in s.get("appendix", ())]
    return render_template(
        "briefings/document.html", doc=snapshot, sections=sections, appendices=appendices,
        ledger_lines=None if (preview if ledger_tables is None else ledger_tables) else ledger.lines,
        numerals=CHINESE_NUMERALS, number=number, link=lambda p: link(p, base_url),
        preview=preview, font=charts.FONT, font_faces=fonts.shipped_faces(),
    )
