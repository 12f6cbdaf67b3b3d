"""Charts as SVG drawn on the server: no script, no inline style (the CSP forbids both).

Colours, fonts and sizes come from classes styled in static/css/notice.css, so the charts follow
the large-type mode and print in black and white. Each chart is an image with a title and a
description for screen readers; the page shows the same figures as a table beside it.
Pure: strings in, a string out.
"""
from __future__ import annotations

from fractions import Fraction
from html import escape

from app.core.i18n import N_, Message
from app.notice.rules import percent


def _e(text) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at least `value` (and at least 1), for a clean axis."""
    value = max(1, value)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def grouped_bars(chart_id: str, title: str, desc: str, labels: list[str],
                 series: list[tuple[str, list[int], str]]) -> str:
    """Vertical bars, one group per label (e.g. month), one bar per series.

    `series` is [(name, values, css class)]; each values list is as long as `labels`.
    """
    # Drawn for a phone's width (360 px); on a wide screen CSS caps how far it is scaled up.
    width, height = 360, 240
    left, right, top, bottom = 34, 6, 34, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, values, _ in series for v in values), default=0))
    group_w = plot_w / max(1, len(labels))
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [
        f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>',
    ]
    # Legend along the top.
    x = left
    for name, _, css in series:
        parts.append(f'<rect class="{_e(css)}" x="{x}" y="6" width="13" height="13"/>')
        parts.append(f'<text class="chart-legend" x="{x + 17}" y="17">{_e(name)}</text>')
        x += 17 + 14 * len(name) + 16
    # Grid lines at 0, ½ and the top.
    for fraction in (0, Fraction(1, 2), 1):
        y = float(top + plot_h - plot_h * fraction)
        value = top_value * fraction
        parts.append(f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_e(_number(value))}</text>')
    for i, label in enumerate(labels):
        gx = left + group_w * i + group_w * 0.1
        for j, (name, values, css) in enumerate(series):
            value = values[i]
            h = plot_h * value / top_value
            bx = gx + bar_w * j
            parts.append(f'<rect class="{_e(css)}" x="{bx:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"><title>{_e(label)} {_e(name)}：{value}</title></rect>')
        parts.append(f'<text class="chart-label" x="{left + group_w * i + group_w / 2:.1f}" '
                     f'y="{height - bottom + 16}" text-anchor="middle">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def percent_bars(chart_id: str, title: str, desc: str,
                 rows: list[tuple[str, Fraction | None]]) -> str:
    """Horizontal bars from 0 to 100 %, one per row; a row without a rate says 无数据."""
    row_h, label_w, width = 36, 84, 360
    bar_max = width - label_w - 52
    height = 14 + row_h * max(1, len(rows))
    parts = [
        f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 10 + row_h * i
        parts.append(f'<text class="chart-label" x="{label_w - 8}" y="{y + 21}" text-anchor="end">{_e(label)}</text>')
        parts.append(f'<rect class="chart-track" x="{label_w}" y="{y + 5}" width="{bar_max}" height="22"/>')
        if value is None:
            no_data = str(Message(N_("无数据")))
            parts.append(f'<text class="chart-value" x="{label_w + 6}" y="{y + 21}">{_e(no_data)}</text>')
            continue
        w = bar_max * value
        parts.append(f'<rect class="chart-bar" x="{label_w}" y="{y + 5}" width="{float(w):.1f}" height="22"/>')
        parts.append(f'<text class="chart-value" x="{label_w + bar_max + 6}" y="{y + 21}">'
                     f'{_e(percent(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value) -> str:
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
