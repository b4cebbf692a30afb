"""The server-side charts: their geometry matches the figures, and the SVG a person (or a screen
reader) gets has a title, a description, values in words and numbers, and no colour-only meaning."""

import itertools
import re

import pytest
from django.utils import translation

from reporting import charts
from reporting.charts import GroupData, LineData


def bars(**kwargs):
    defaults = {"id": "chart-x", "title": "Stages", "desc": "Days per stage."}
    return charts.bar_chart(**{**defaults, **kwargs})


def test_a_bar_is_as_long_as_its_value_on_a_shared_scale():
    chart = bars(
        groups=[
            GroupData("A", (10.0,), ("10",)),
            GroupData("B", (5.0,), ("5",)),
            GroupData("C", (None,), ("no data",)),
        ],
    )
    a, b, c = (group.bars[0] for group in chart.groups)
    assert a.width == pytest.approx(2 * b.width, abs=0.1)
    assert c.width == 0  # nothing to draw: its text says why
    assert [bar.text for bar in (a, b, c)] == ["10", "5", "no data"]
    # Each value is written just after the end of its bar, inside the drawing.
    assert a.text_x == pytest.approx(a.width + 6, abs=0.1)
    assert a.text_x + len("10") * charts.CHAR <= chart.width


def test_a_tiny_value_still_shows_a_bar():
    chart = bars(groups=[GroupData("A", (1000.0,), ("1000",)), GroupData("B", (1.0,), ("1",))])
    assert chart.groups[1].bars[0].width >= 2


def test_a_rate_is_drawn_on_a_scale_of_one_whatever_the_largest():
    chart = bars(groups=[GroupData("A", (0.5,), ("50.0 %",)), GroupData("B", (0.25,), ("25.0 %",))], scale_max=1.0)
    half, quarter = (group.bars[0] for group in chart.groups)
    assert half.width == pytest.approx(chart.plot / 2, abs=0.1)
    assert quarter.width == pytest.approx(chart.plot / 4, abs=0.1)


def texts_inside_the_drawing(chart) -> None:
    for group in chart.groups:
        for bar in group.bars:
            assert bar.text_x >= 0 and bar.text_end <= chart.width, (bar.text, bar.text_x, bar.text_end)


def test_a_long_value_is_never_cut_at_the_right_edge():
    """The value's text room is measured from the texts: "600,000 complaints" after the longest bar
    used to run 16 px past the drawing's 340 (a fixed 120 px was kept for any text)."""
    chart = bars(
        groups=[
            GroupData("Web", (600_000.0, 240_000.0), ("600,000 complaints", "240,000 agreements")),
            GroupData("Phone", (35_000.0, 9_000.0), ("35,000 complaints", "9,000 agreements")),
        ],
        series=("Complaints filed", "Agreements"),
    )
    texts_inside_the_drawing(chart)
    web = chart.groups[0].bars[0]
    assert web.text_x == pytest.approx(web.width + charts.PAD, abs=0.1)
    # The bars still take most of the drawing: the room is no wider than the longest text needs.
    assert chart.plot >= chart.width - charts.PAD - charts.text_width("600,000 complaints") - 30


def test_short_values_leave_the_bars_most_of_the_width():
    chart = bars(groups=[GroupData("A", (8.0,), ("8",)), GroupData("B", (2.0,), ("2",))])
    assert chart.plot >= 0.85 * chart.width


def test_a_text_too_long_for_the_drawing_widens_it_rather_than_be_cut():
    long_text = "1,234,567 complaints filed in the period by every channel"
    chart = bars(groups=[GroupData("A", (100.0,), (long_text,)), GroupData("B", (10.0,), ("10",))])
    assert chart.width > charts.BAR_WIDTH
    assert chart.plot == pytest.approx(chart.width * charts.MIN_PLOT, abs=0.1)  # the bars keep their share
    texts_inside_the_drawing(chart)
    assert f'viewBox="0 0 {chart.width} ' in str(chart.svg)


# The time per stage of docs/screens/reporting-dashboard-desktop.png (in business days, as a Spanish
# reader reads them), where the target's dashed line ran through "mediana 6".
STAGES = [
    GroupData("De la presentación a la admisión", (1.0, 5.0), ("mediana 1", "p90 5"), target=5.0),
    GroupData("De la admisión a la notificación", (0.0, 2.0), ("mediana 0", "p90 2"), target=5.0),
    GroupData("De la notificación a la primera audiencia", (6.0, 7.0), ("mediana 6", "p90 7"), target=15.0),
    GroupData("De la primera audiencia al resultado", (0.0, 5.0), ("mediana 0", "p90 5"), target=10.0),
    GroupData("Del acuerdo al cumplimiento", (9.0, 9.0), ("mediana 9", "p90 9"), target=30.0),
    GroupData("Nadie la completó", (None, None), ("mediana: sin datos", "p90: sin datos"), target=20.0),
]


def test_no_value_s_text_is_crossed_by_the_target_line():
    chart = bars(groups=STAGES, series=("Median", "90th percentile"), target_label="Office's target")
    for group in chart.groups:
        assert group.target is not None
        for bar in group.bars:
            # The dashed line (2.5 wide) stays clear of the text, with a little air.
            assert not (bar.text_x - 3 <= group.target.x <= bar.text_end + 3), (group.label, bar.text)
    texts_inside_the_drawing(chart)


def test_the_target_is_a_line_across_its_group_at_its_value():
    chart = bars(
        groups=[GroupData("Admission", (4.0, 9.0), ("median 4", "p90 9"), target=5.0)],
        series=("Median", "90th percentile"),
        target_label="Office's target",
    )
    (group,) = chart.groups
    median, p90 = group.bars
    assert group.target is not None
    assert group.target.x == pytest.approx(median.width * 5 / 4, abs=0.2)
    assert group.target.y1 < median.y and group.target.y2 > p90.y + p90.height
    # The legend names each series and the target: none is told by colour alone.
    assert [(item.text, item.kind) for item in chart.legend] == [
        ("Median", "swatch"),
        ("90th percentile", "swatch"),
        ("Office's target", "line"),
    ]
    assert median.colour != p90.colour


def test_a_value_s_text_is_never_crossed_by_the_target_line():
    chart = bars(groups=[GroupData("A", (4.0, 20.0), ("median 4", "p90 20"), target=5.0)], series=("m", "p"))
    (group,) = chart.groups
    median, p90 = group.bars
    assert group.target is not None
    assert median.text_x > group.target.x  # the line ends just after the bar: the text goes past it
    assert p90.text_x == pytest.approx(p90.width + 6, abs=0.1)  # far beyond the line: right after its bar


def test_a_long_label_wraps_inside_the_drawing():
    label = "Acuerdo por una oferta antes de la audiencia con la empresa denunciada"
    chart = bars(groups=[GroupData(label, (1.0,), ("1",))])
    lines = chart.groups[0].lines
    assert len(lines) > 1 and " ".join(line.text for line in lines) == label
    assert all(len(line.text) * charts.BOLD_CHAR <= chart.width for line in lines)
    assert lines[-1].y < chart.groups[0].bars[0].y


def test_one_series_needs_no_legend():
    assert bars(groups=[GroupData("A", (1.0,), ("1",))]).legend == ()


def test_groups_never_overlap_and_the_drawing_holds_them_all():
    chart = bars(groups=[GroupData(str(i), (float(i), 1.0), (str(i), "1")) for i in range(12)], series=("x", "y"))
    tops = [group.bars[0].y for group in chart.groups]
    bottoms = [group.bars[-1].y + group.bars[-1].height for group in chart.groups]
    assert all(bottom < top for bottom, top in zip(bottoms, tops[1:], strict=False))
    assert bottoms[-1] <= chart.height


@pytest.mark.parametrize(
    ("value", "step", "top"), [(0, 1, 1), (3, 1, 3), (7, 2, 8), (640, 200, 800), (1234, 500, 1500), (0.9, 1, 1)]
)
def test_scales_end_on_round_numbers(value, step, top):
    assert charts.nice_step(value) == step
    assert charts.nice_max(value) == top


def line(**kwargs):
    defaults = {
        "id": "chart-trend",
        "title": "Month by month",
        "desc": "Filed per month.",
        "labels": [f"M{i}" for i in range(12)],
        "series": [
            LineData("Filed", tuple(float(10 * i) for i in range(12)), tuple(str(10 * i) for i in range(12))),
            LineData(
                "Agreements",
                (None, *(float(i) for i in range(1, 12))),
                ("—", *(str(i) for i in range(1, 12))),
            ),
        ],
        "tick_text": lambda v: str(int(v)),
    }
    return charts.line_chart(**{**defaults, **kwargs})


def test_a_line_rises_with_its_values_and_skips_a_month_without_one():
    chart = line()
    filed, agreements = chart.series
    ys = [point.y for point in filed.points]
    assert ys == sorted(ys, reverse=True)  # higher values, higher on the drawing (smaller y)
    assert filed.points[0].y == chart.bottom  # zero sits on the axis
    assert len(agreements.points) == 11 and agreements.path.startswith("M")
    assert filed.points[3].text == "M3: 30"
    # Each series its own dash and marker, besides its colour.
    assert (filed.dash, filed.marker) != (agreements.dash, agreements.marker)
    assert agreements.points[0].shape  # a square, drawn as a polygon


def test_month_labels_are_thinned_so_they_never_overlap():
    months = ["Jun 2025", "Jul 2025", "Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]
    months += ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026"]
    chart = line(labels=months)
    shown = [tick.text for tick in chart.x_labels]
    assert shown == months[:: len(months) // len(shown)] and 3 <= len(shown) < 12
    half = len("Sep 2025") * charts.CHAR / 2
    positions = [tick.position for tick in chart.x_labels]
    assert all(b - a > 2 * half for a, b in itertools.pairwise(positions))
    assert positions[0] - half >= 0 and positions[-1] + half <= chart.width
    # Three months have room for every label.
    assert len(line(labels=months[:3], series=[LineData("Filed", (1.0,) * 3, ("1",) * 3)]).x_labels) == 3


def test_the_y_axis_ticks_are_round_and_cover_the_highest_value():
    chart = line()
    assert [tick.text for tick in chart.y_ticks] == ["0", "50", "100", "150"]  # the highest value is 110
    assert chart.y_ticks[-1].position <= min(point.y for point in chart.series[0].points)


def test_a_single_month_is_drawn_in_the_middle():
    chart = line(labels=["May 2026"], series=[LineData("Filed", (5.0,), ("5",))])
    assert chart.series[0].points[0].x == pytest.approx((chart.left + chart.right) / 2)


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_the_bar_svg_is_an_accessible_image_with_coordinates_any_browser_reads(language):
    chart = bars(
        groups=[GroupData("Admisión <y> & más", (4.5, 9.0), ("mediana 4,5", "p90 9"), target=5.0)],
        series=("Mediana", "Percentil 90"),
        target_label="Meta",
        desc="Admisión: mediana 4,5, percentil 90 9, meta 5.",
    )
    with translation.override(language):
        svg = str(chart.svg)
    assert re.search(
        r'<svg class="chart"[^>]* role="img" aria-labelledby="chart-x-title" aria-describedby="chart-x-desc"', svg
    )
    assert '<title id="chart-x-title">Stages</title>' in svg
    assert '<desc id="chart-x-desc">Admisión: mediana 4,5, percentil 90 9, meta 5.</desc>' in svg
    assert ">mediana 4,5</text>" in svg  # the text as given, in the reader's language
    assert ">Admisión &lt;y&gt; &amp; más</text>" in svg  # texts are escaped
    # No decimal comma in a coordinate, whatever the language (it would break the drawing).
    for value in re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value
    # Drawn at its own size (its text at 13 px), which the stylesheet lets shrink on a phone.
    assert re.search(rf'viewBox="0 0 {charts.BAR_WIDTH} ([\d.]+)" width="{charts.BAR_WIDTH}" height="\1"', svg)
    assert "stroke-dasharray" in svg  # the target: a dashed line, not only a colour


def test_the_stylesheet_keeps_a_chart_s_text_near_its_size_on_any_screen():
    with open("static/reporting/charts.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    rule = re.search(r"\.chart \{([^}]*)\}", css)
    assert rule is not None
    assert "width: 100%" in rule.group(1) and "height: auto" in rule.group(1)
    widest = re.search(r"max-width: ([\d.]+)rem", rule.group(1))
    assert (
        widest is not None and float(widest.group(1)) * 16 / charts.BAR_WIDTH <= 1.2
    )  # its text at most 1.2 times 13 px


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_the_line_svg_is_an_accessible_image_with_a_tooltip_per_point(language):
    chart = line()
    with translation.override(language):
        svg = str(chart.svg)
    assert 'role="img" aria-labelledby="chart-trend-title" aria-describedby="chart-trend-desc"' in svg
    assert "<title>Filed · M3: 30</title>" in svg
    assert "<polygon" in svg and "<circle" in svg
    assert re.search(r'<path d="M[0-9.]+ [0-9.]+ L', svg)
    for value in re.findall(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value  # 12.5, never 12,5


def test_the_line_chart_leaves_room_for_its_longest_tick():
    chart = line(
        labels=["M1", "M2"],
        series=[LineData("Filed", (600_000.0, 410_000.0), ("600,000", "410,000"))],
        tick_text=lambda v: f"{int(v):,}",
    )
    assert chart.y_ticks[-1].text == "600,000"
    for tick in chart.y_ticks:  # each tick's text ends at y_label_x (anchored at its end)
        assert chart.y_label_x - charts.text_width(tick.text) >= 0, tick.text


def test_the_charts_colours_are_poncho_s_and_readable_on_white():
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    with open("static/css/concilia.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read().lower()
    for colour in (*charts.SERIES_COLOURS, charts.TARGET_COLOUR):
        assert colour in css, f"{colour} is not one of the palette's colours"
        assert 1.05 / (luminance(colour) + 0.05) >= 3, f"{colour} is below 3:1 on white (WCAG 1.4.11)"
