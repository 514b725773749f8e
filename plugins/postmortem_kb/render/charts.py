"""Static SVG charts drawn at build time: deterministic, themed by CSS, each with a data table.

Charts use no JavaScript and no external resources. Marks carry CSS classes
(`pmkb-chart__mark--<series>`) styled in postmortem-kb.css for the light and dark schemes, with
neutral presentation attributes as a fallback; text uses `currentColor`. Every label is escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .pages import SCROLL_OPEN

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 36, 40
FALLBACK_FILL = "#7f8c99"


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category; None where there is no value."""

    name: str
    values: Sequence[float | None]
    css: str
    """Class suffix choosing its colour, e.g. `sev-1`, `s1`."""


Formatter = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _n(value: float) -> str:
    """A coordinate, deterministic to one decimal."""
    return f"{value:.1f}"


DURATION_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080)
"""Tick steps for durations in minutes: round minutes, hours and days."""
COUNT_STEPS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
"""Tick steps for counts: whole numbers."""


def nice_max(value: float, steps: Sequence[float] = ()) -> float:
    """The top of a 4-tick scale covering `value`: 4 x the first of `steps` that is large enough,
    else 4 x the smallest 1/2/2.5/5 x 10^k step."""
    if value <= 0:
        return 4.0 * (steps[0] if steps else 1)
    for step in steps:
        if 4 * step >= value:
            return 4.0 * step
    raw = value / 4
    magnitude = float(10 ** math.floor(math.log10(raw)))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return 4 * factor * magnitude
    return 4 * 10 * magnitude  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Chart:
    """An SVG chart and its accessible data table, ready to place in a page."""

    chart_id: str
    title: str
    svg: Markup
    table: Markup

    def __html__(self) -> str:
        return str(
            Markup('<div class="pmkb-chart-block">{}{}</div>').format(
                Markup('<figure class="pmkb-chart" tabindex="0">{}</figure>').format(self.svg),
                self.table,
            )
        )


LOG_DURATION_TICKS = (1, 5, 15, 60, 240, 1440, 5760, 20160, 80640)
"""Ticks of a logarithmic duration axis in minutes: 1 min, 5 min, 15 min, 1 h, 4 h, 1 d, 4 d,
14 d, 56 d."""
OUTLIER_FACTOR = 3
"""A line chart labels a series' largest value when it is at least this many times the series'
median: the outlier a reader should not take for the trend."""


class _Scale:
    """Where a value sits on the y axis: linear from 0, or logarithmic between two ticks."""

    def __init__(self, values: Sequence[float], steps: Sequence[float], log_ticks: Sequence[float]):
        self.log = bool(log_ticks)
        if self.log:
            positive = [v for v in values if v > 0] or [log_ticks[0]]
            low = max([t for t in log_ticks if t <= min(positive)] or [log_ticks[0]])
            high = min([t for t in log_ticks if t >= max(positive)] or [log_ticks[-1]])
            high = max(high, low * 10)
            self.low, self.high = low, high
            self.ticks = [t for t in log_ticks if low <= t <= high]
        else:
            self.high = nice_max(max([*values, 0]), steps)
            self.ticks = [self.high * tick / 4 for tick in range(5)]

    def fraction(self, value: float) -> float:
        """0 at the bottom of the plot, 1 at the top (log: values below the floor sit on it)."""
        if not self.log:
            return value / self.high
        value = max(value, self.low)
        return math.log(value / self.low) / math.log(self.high / self.low)

    def y(self, value: float) -> float:
        """The y coordinate of a value."""
        plot_h = HEIGHT - TOP - BOTTOM
        return TOP + plot_h - plot_h * self.fraction(value)


def _frame(chart_id: str, title: str, scale: _Scale, fmt: Formatter) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pmkb-chart__svg" viewBox="0 0 {WIDTH}'
        f' {HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        ' font-family="inherit" font-size="12" fill="currentColor">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(title)}; the values are in the data table under'
        " the chart.</desc>",
    ]
    for value in scale.ticks:
        y = scale.y(value)
        parts.append(
            f'<line class="pmkb-chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y)}"'
            f' y2="{_n(y)}" stroke="currentColor" stroke-opacity="0.15"/>'
        )
        parts.append(
            f'<text class="pmkb-chart__tick" x="{LEFT - 6}" y="{_n(y + 4)}"'
            f' text-anchor="end">{escape(fmt(value))}</text>'
        )
    return parts


def _legend(series: Sequence[Series], line: bool) -> list[str]:
    parts = []
    x = float(LEFT)
    for s in series:
        mark = (
            f'<line class="pmkb-chart__line pmkb-chart__mark--{escape(s.css)}" x1="{_n(x)}"'
            f' x2="{_n(x + 12)}" y1="14" y2="14" stroke="{FALLBACK_FILL}" stroke-width="3"/>'
            if line
            else f'<rect class="pmkb-chart__mark--{escape(s.css)}" x="{_n(x)}" y="8" width="12"'
            f' height="12" fill="{FALLBACK_FILL}"/>'
        )
        parts.append(mark)
        parts.append(f'<text x="{_n(x + 16)}" y="18">{escape(s.name)}</text>')
        x += 16 + 7.5 * len(s.name) + 18
    return parts


CHAR_WIDTH = 6.8
"""Estimated width of one character at the charts' 12-unit font: an x label wider than its band
goes on two lines, shortened with an ellipsis if it still does not fit (the full label is the
text's tooltip and is in the data table)."""
LABEL_LINE = 13
"""Chart units between the two lines of an x label."""


def fit_label(label: str, width: float, lines: int = 2) -> list[str]:
    """`label` on at most `lines` lines of `width` chart units: broken between words (and after
    '/' or '-'), the last line shortened with "…" when the rest does not fit."""
    room = max(int(width // CHAR_WIDTH), 2)
    words = re.findall(r"[^\s/-]+[/-]?", label)
    out: list[str] = []
    current = ""
    for word in words:
        joined = current + ("" if not current or current.endswith(("/", "-")) else " ") + word
        if current and len(joined) > room:
            out.append(current)
            current = word
        else:
            current = joined
    out.append(current)
    if len(out) > lines:
        out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    return [line if len(line) <= room else line[: room - 1].rstrip("-_/ ") + "…" for line in out]


def _x_labels(categories: Sequence[str], band: float) -> list[str]:
    y = HEIGHT - BOTTOM + 16
    parts = []
    for i, label in enumerate(categories):
        shown = fit_label(label, band * 0.95)
        x = _n(LEFT + band * (i + 0.5))
        tip = f"<title>{escape(label)}</title>" if any(s.endswith("…") for s in shown) else ""
        spans = "".join(
            f'<tspan x="{x}" dy="{0 if n == 0 else LABEL_LINE}">{escape(line)}</tspan>'
            for n, line in enumerate(shown)
        )
        parts.append(
            f'<text class="pmkb-chart__label" x="{x}" y="{y}" text-anchor="middle">'
            f"{tip}{spans}</text>"
        )
    return parts


def _target(target: float | None, label: str, scale: _Scale) -> list[str]:
    if target is None:
        return []
    y = scale.y(target)
    return [
        f'<line class="pmkb-chart__target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y)}"'
        f' y2="{_n(y)}" stroke="currentColor" stroke-dasharray="6 4" stroke-width="1.5"/>',
        f'<text class="pmkb-chart__target-label" x="{WIDTH - RIGHT}" y="{_n(y - 5)}"'
        f' text-anchor="end">{escape(label)}</text>',
    ]


def _table(
    title: str, header: str, categories: Sequence[str], series: Sequence[Series], fmt: Formatter
) -> Markup:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    rows = []
    for i, category in enumerate(categories):
        cells = []
        for s in series:
            value = s.values[i]
            cells.append(f"<td>{escape(fmt(value)) if value is not None else '—'}</td>")
        rows.append(f'<tr><th scope="row">{escape(category)}</th>{"".join(cells)}</tr>')
    return Markup(
        f'<details class="pmkb-chart-data"><summary>Data table: {escape(title)}</summary>'
        f'{SCROLL_OPEN}<table class="pmkb-chart-table"><caption>{escape(title)}: data</caption>'
        f'<thead><tr><th scope="col">{escape(header)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></details>"
    )


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    header: str = "Quarter",
    stacked: bool = False,
    fmt: Formatter = _plain,
    target: float | None = None,
    target_label: str = "",
    steps: Sequence[float] = (),
    missing: str | None = None,
    log_ticks: Sequence[float] = (),
) -> Chart:
    """Vertical bars per category: side by side, or stacked when `stacked`. With `missing`, a
    category without any value says so (e.g. "no data") instead of looking like a zero. With
    `log_ticks` (side-by-side bars only) the axis is logarithmic through those ticks."""
    totals = [
        sum(v or 0 for v in column) if stacked else max((v or 0 for v in column), default=0)
        for column in zip(*(s.values for s in series), strict=True)
    ]
    values = [v for s in series for v in s.values if v is not None] if log_ticks else totals
    scale = _Scale([*values, target or 0], steps, () if stacked else log_ticks)
    plot_h = HEIGHT - TOP - BOTTOM
    band = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    parts = _frame(chart_id, title, scale, fmt) + _legend(series, line=False)
    for i, category in enumerate(categories):
        x0 = LEFT + band * i + band * 0.15
        inner = band * 0.7
        base = 0.0
        if missing and all(s.values[i] is None for s in series):
            parts.append(
                f'<text class="pmkb-chart__missing" x="{_n(LEFT + band * (i + 0.5))}"'
                f' y="{_n(TOP + plot_h - 6)}" text-anchor="middle" font-size="10"'
                f' fill-opacity="0.7">{escape(missing)}</text>'
            )
            continue
        for k, s in enumerate(series):
            value = s.values[i]
            if value is None and missing and not stacked:
                width = inner / len(series)
                parts.append(
                    f'<text class="pmkb-chart__missing" x="{_n(x0 + width * (k + 0.5))}"'
                    f' y="{_n(TOP + plot_h - 4)}" text-anchor="middle" font-size="10"'
                    f' fill-opacity="0.7"><title>{escape(category)}, {escape(s.name)}:'
                    f" {escape(missing)}</title>n/a</text>"
                )
            if not value:
                continue
            height = plot_h * scale.fraction(value)
            if stacked:
                x, width, y = x0, inner, TOP + plot_h - plot_h * scale.fraction(base) - height
                base += value
            else:
                width = inner / len(series)
                x, y = x0 + width * k, TOP + plot_h - height
            parts.append(
                f'<rect class="pmkb-chart__mark--{escape(s.css)}" x="{_n(x)}" y="{_n(y)}"'
                f' width="{_n(width)}" height="{_n(height)}" fill="{FALLBACK_FILL}">'
                f"<title>{escape(category)}, {escape(s.name)}: {escape(fmt(value))}</title></rect>"
            )
    parts += _target(target, target_label, scale) + _x_labels(categories, band)
    parts.append("</svg>")
    svg = Markup("".join(parts))
    return Chart(chart_id, title, svg, _table(title, header, categories, series, fmt))


def _outlier(values: Sequence[float | None]) -> int | None:
    """The position of a series' largest value when it is OUTLIER_FACTOR times its median."""
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if len(known) < 3:
        return None
    ordered = sorted(v for v, _ in known)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    top, position = max(known)
    return position if median > 0 and top >= OUTLIER_FACTOR * median else None


def _outlier_labels(labels: Sequence[tuple[int, float, str]], band: float, count: int) -> list[str]:
    """Each outlier's value beside its point (toward the middle of the chart), moved down when
    it would overlap another label of the same category."""
    parts: list[str] = []
    taken: dict[int, list[float]] = {}
    for position, y, text in sorted(labels, key=lambda label: label[1]):
        y += 4
        while any(abs(y - other) < 13 for other in taken.get(position, [])):
            y += 13
        taken.setdefault(position, []).append(y)
        right_half = position + 0.5 > count / 2
        x = LEFT + band * (position + 0.5) + (-9 if right_half else 9)
        parts.append(
            f'<text class="pmkb-chart__outlier" x="{_n(x)}" y="{_n(y)}"'
            f' text-anchor="{"end" if right_half else "start"}" font-size="11">'
            f"{escape(text)}</text>"
        )
    return parts


def line_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    header: str = "Quarter",
    fmt: Formatter = _plain,
    target: float | None = None,
    target_label: str = "",
    steps: Sequence[float] = (),
    log_ticks: Sequence[float] = (),
) -> Chart:
    """One line per series across the categories; gaps where a value is missing. With
    `log_ticks` the axis is logarithmic through those ticks, so one long quarter does not
    flatten the others; either way a series' outlier is labelled with its value."""
    values = [v for s in series for v in s.values if v is not None]
    scale = _Scale([*values, target or 0], steps, log_ticks)
    band = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    parts = _frame(chart_id, title, scale, fmt) + _legend(series, line=True)
    parts += _target(target, target_label, scale)
    labels: list[tuple[int, float, str]] = []
    for s in series:
        points = [
            (LEFT + band * (i + 0.5), scale.y(v), categories[i], v)
            for i, v in enumerate(s.values)
            if v is not None
        ]
        segments: list[list[tuple[float, float]]] = []
        previous = -2
        for i, v in enumerate(s.values):
            if v is None:
                continue
            point = (LEFT + band * (i + 0.5), scale.y(v))
            if i == previous + 1 and segments:
                segments[-1].append(point)
            else:
                segments.append([point])
            previous = i
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y in segment)
                parts.append(
                    f'<polyline class="pmkb-chart__line pmkb-chart__mark--{escape(s.css)}"'
                    f' points="{path}" fill="none" stroke="{FALLBACK_FILL}" stroke-width="2.5"/>'
                )
        for x, y, category, v in points:
            parts.append(
                f'<circle class="pmkb-chart__mark--{escape(s.css)}" cx="{_n(x)}" cy="{_n(y)}"'
                f' r="4" fill="{FALLBACK_FILL}"><title>{escape(category)}, {escape(s.name)}:'
                f" {escape(fmt(v))}</title></circle>"
            )
        outlier = _outlier(s.values)
        if outlier is not None and (value := s.values[outlier]) is not None:
            labels.append((outlier, scale.y(value), f"{s.name} {fmt(value)}"))
    parts += _outlier_labels(labels, band, len(categories))
    parts += _x_labels(categories, band)
    parts.append("</svg>")
    svg = Markup("".join(parts))
    return Chart(chart_id, title, svg, _table(title, header, categories, series, fmt))
