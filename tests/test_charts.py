"""The SVG charts: a log axis keeps short durations readable next to an outlier, the outlier is
labelled, and a value that is missing says so instead of looking like a zero."""

from __future__ import annotations

import re

from postmortem_kb.core.schema import CONTRIBUTING_FACTORS
from postmortem_kb.render import charts
from postmortem_kb.render.analytics_pages import minutes_text


def circles(svg: str) -> dict[str, float]:
    """The y of each point, by its title (`category, series: value`)."""
    return {
        title: float(y)
        for y, title in re.findall(r'<circle [^>]*cy="([\d.]+)"[^>]*><title>([^<]+)</title>', svg)
    }


def test_log_axis_separates_minutes_next_to_a_day_long_outlier() -> None:
    values = [6.0, 7.0, 1846.0, 5.0]  # one quarter at 30 h 46 min
    chart = charts.line_chart(
        "c",
        "Median TTD",
        ["Q1", "Q2", "Q3", "Q4"],
        [charts.Series("median TTD", values, "s1")],
        fmt=minutes_text,
        log_ticks=charts.LOG_DURATION_TICKS,
    )
    svg = str(chart.svg)
    y = circles(svg)
    # On a linear axis 5 and 7 min are less than a pixel apart; on the log axis they are visibly
    # apart, and the outlier sits near the top.
    linear = circles(
        str(
            charts.line_chart(
                "c",
                "t",
                ["Q1", "Q2", "Q3", "Q4"],
                [charts.Series("median TTD", values, "s1")],
                fmt=minutes_text,
                steps=charts.DURATION_STEPS,
            ).svg
        )
    )
    assert linear["Q4, median TTD: 5 min"] - linear["Q2, median TTD: 7 min"] < 1
    assert y["Q4, median TTD: 5 min"] - y["Q2, median TTD: 7 min"] > 8
    assert y["Q3, median TTD: 1 d 6 h 46 min"] < y["Q2, median TTD: 7 min"] - 100
    ticks = re.findall(r'class="pmkb-chart__tick"[^>]*>([^<]+)<', svg)
    assert ticks == ["5 min", "15 min", "1 h", "4 h", "1 d", "4 d"]
    assert re.findall(r'class="pmkb-chart__outlier"[^>]*>([^<]+)<', svg) == [
        "median TTD 1 d 6 h 46 min"
    ]


def test_outlier_labels_of_one_quarter_do_not_overlap() -> None:
    series = [
        charts.Series(name, [10.0, 12.0, value, 11.0], css)
        for name, value, css in (("TTD", 1800.0, "s1"), ("impact", 1900.0, "s2"))
    ]
    svg = str(charts.line_chart("c", "t", ["a", "b", "c", "d"], series, fmt=minutes_text))
    ys = [float(y) for y in re.findall(r'class="pmkb-chart__outlier"[^>]*y="([\d.]+)"', svg)]
    assert len(ys) == 2 and abs(ys[0] - ys[1]) >= 13


def test_missing_values_are_marked_not_drawn_as_zero() -> None:
    chart = charts.bar_chart(
        "c",
        "Cost",
        ["Q1", "Q2", "Q3"],
        [
            charts.Series("direct", [100.0, None, None], "s1"),
            charts.Series("estimated", [50.0, 20.0, None], "s3"),
        ],
        missing="no data",
    )
    svg = str(chart.svg)
    assert svg.count(">no data</text>") == 1  # Q3: nothing at all
    assert "<title>Q2, direct: no data</title>n/a" in svg  # Q2: one series missing
    assert svg.count("<rect class=") == 2 + 3  # two legend swatches, three bars
    assert ">—<" in str(chart.table)  # the data table says unknown, not 0


def test_long_x_labels_wrap_onto_two_lines_and_never_overlap() -> None:
    labels = list(CONTRIBUTING_FACTORS.values())
    series = [charts.Series("total", [1.0] * len(labels), "s1")]
    chart = charts.bar_chart("f", "Factors", labels, series)
    band = (charts.WIDTH - charts.LEFT - charts.RIGHT) / len(labels)
    texts = re.findall(r'<text class="pmkb-chart__label"[^>]*>(.*?)</text>', str(chart.svg))
    assert len(texts) == len(labels)
    for label, text in zip(labels, texts, strict=True):
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", text)
        assert 1 <= len(lines) <= 2
        assert all(len(line) * charts.CHAR_WIDTH <= band for line in lines), lines  # no overlap
        if any(line.endswith("…") for line in lines):
            assert f"<title>{label}</title>" in text  # the full label stays reachable
        else:
            assert "".join(lines).replace(" ", "") == label.replace(" ", "")
    assert charts.fit_label("Change management", 200) == ["Change management"]
    assert charts.fit_label("Change management", 60) == ["Change", "managem…"]
