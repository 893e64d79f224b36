"""The month chart of the 报送 board, drawn on the server as SVG (no JavaScript, no charting library).

One horizontal stacked bar per unit: days on time, late, missing and excused, with the unit's 按时率 at the
end. The SVG scales to the page width (viewBox), so it reads on a 390 px phone as on a desktop.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Protocol

COLOURS = {"on_time": "#2e7d32", "late": "#ef8f00", "missing": "#c62828", "excused": "#9e9e9e"}
LABELS = {
    "zh-CN": {"on_time": "按时", "late": "迟报", "missing": "漏报", "excused": "免报", "title": "本月报送情况"},
    "en": {"on_time": "on time", "late": "late", "missing": "missing", "excused": "excused", "title": "This month"},
}


class Line(Protocol):
    name: str
    on_time: int
    late: int
    missing: int
    excused: int
    punctuality: float | None


def punctuality_chart(lines: Sequence[Line], locale: str = "zh-CN", *, width: int = 640) -> str:
    labels = LABELS["en" if locale.startswith("en") else "zh-CN"]
    label_w, pct_w, row_h, top = 150, 56, 22, 34
    bar_w = width - label_w - pct_w
    most = max((ln.on_time + ln.late + ln.missing + ln.excused for ln in lines), default=0) or 1
    height = top + row_h * max(1, len(lines)) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(labels["title"])}" font-family="sans-serif" font-size="12">'
    ]
    x = label_w
    for key in ("on_time", "late", "missing", "excused"):  # the legend
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[key]}"/>')
        out.append(f'<text x="{x + 16}" y="16">{escape(labels[key])}</text>')
        x += 24 + 13 * len(labels[key]) if locale.startswith("en") else 60
    for i, ln in enumerate(lines):
        y = top + i * row_h
        name = ln.name if len(ln.name) <= 11 else ln.name[:10] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end"><title>{escape(ln.name)}</title>'
                   f"{escape(name)}</text>")  # fmt: skip
        x = float(label_w)
        for key in ("on_time", "late", "missing", "excused"):
            days = getattr(ln, key)
            if days:
                w = bar_w * days / most
                out.append(
                    f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{COLOURS[key]}">'
                    f"<title>{escape(labels[key])} {days}</title></rect>"
                )
                x += w
        pct = "—" if ln.punctuality is None else f"{ln.punctuality * 100:.0f}%"
        out.append(f'<text x="{width - 4}" y="{y + 14}" text-anchor="end">{pct}</text>')
    out.append("</svg>")
    return "".join(out)
