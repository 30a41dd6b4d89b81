"""Server-side SVG charts: one code path for the web dashboard and the PDF.

The font is named in the SVG itself: WeasyPrint and browsers otherwise pick a CJK fallback
that may draw the Japanese glyph shapes.
"""

from __future__ import annotations

from html import escape

FONT = "Noto Sans CJK SC"
COLORS = ("#2f6db5", "#e0893a", "#4a9e5c", "#b54a4a", "#7a5fb0")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(labels: list[str], series: dict[str, list[float]], *, title: str = "",
              unit: str = "", width: int = 640, height: int = 260) -> str:
    """Grouped vertical bars, one group per label; an ``<svg>`` element as text."""
    names = list(series)
    top = max([0.0] + [float(v or 0) for values in series.values() for v in values]) or 1.0
    left, right, head, foot = 44, 10, 34 if title else 14, 46
    plot_w, plot_h = width - left - right, height - head - foot
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(min(group_w * 0.8 / max(len(names), 1), 28), 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{FONT}" font-size="11" lang="zh-CN" '
        f'role="img" class="briefing-chart">'
    ]
    if title:
        parts.append(f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" '
                     f'font-weight="bold">{escape(title)}</text>')
    for step in range(5):
        value = top * step / 4
        y = head + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="0.6"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                     f'{_fmt(round(value, 1))}</text>')
    for i, label in enumerate(labels):
        x0 = left + group_w * i + (group_w - bar_w * len(names)) / 2
        for j, name in enumerate(names):
            value = float(series[name][i] or 0)
            h = plot_h * value / top
            x, y = x0 + bar_w * j, head + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS[j % len(COLORS)]}"><title>{escape(label)} {escape(name)}：'
                         f'{_fmt(value)}{escape(unit)}</title></rect>')
        cx = left + group_w * (i + 0.5)
        parts.append(f'<text x="{cx:.1f}" y="{head + plot_h + 14}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    if len(names) > 1 or names and names[0]:
        lx = left
        for j, name in enumerate(names):
            parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" '
                         f'fill="{COLORS[j % len(COLORS)]}"/>')
            parts.append(f'<text x="{lx + 14}" y="{height - 5}">{escape(name)}</text>')
            lx += 24 + 12 * len(name)
    parts.append("</svg>")
    return "".join(parts)
