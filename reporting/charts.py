"""Charts drawn on the server as SVG: no script, nothing from a CDN, readable without colour.

`bar_chart` and `line_chart` measure: they turn figures into coordinates (dataclasses), and each
chart's `svg` writes its drawing (the page prints it as it is). The markup is written here rather than
in a template because a chart is hundreds of small elements: a template resolving each coordinate
took most of the dashboard's rendering time (tests/reporting/test_dashboard_render.py). Every chart
has a title and a description (its data in words) that the SVG's role="img" exposes to a screen
reader, and the page puts the data table beside it. Each bar carries its value as text, each series
its name in a legend with a distinct dash and marker, so no figure is told by colour alone.

Coordinates are written with a decimal point whatever the language (a decimal comma would break the
drawing); every text arrives already in the reader's language and is escaped here.

Colours are Poncho's (static/css/concilia.css), each at least 3:1 against white (WCAG 1.4.11 for
graphics); text is the page's grey #333. The SVG's width and height are its viewBox's, so it is drawn
at its own size (text at FONT px) where there is room; static/reporting/charts.css lets it shrink to a
phone's column and caps how far it grows on a desktop."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from html import escape  # the standard library's: Django's wraps it for lazy texts, per call

from django.utils.safestring import SafeString, mark_safe

# Poncho's palette: azul 5.1:1, azul marino 13.6:1, verde 5.1:1, uva 9.4:1, arándano 5.9:1 on white.
SERIES_COLOURS = ("#0072bb", "#242c4f", "#2e7d33", "#6a1b99", "#c2185b")
TARGET_COLOUR = "#c62828"  # Poncho's rojo, 5.6:1
TEXT_COLOUR = "#333333"
MUTED_COLOUR = "#5c5c5c"
GRID_COLOUR = "#dee2e6"
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4")
MARKERS = ("circle", "square", "triangle", "diamond", "circle")

# The drawings are about as wide as a phone's column, so their text reads at about FONT px there.
BAR_WIDTH = 340
LINE_WIDTH = 360
FONT = 13  # px in the viewBox
CHAR = 7.2  # the width of an average character at FONT, to lay out text without measuring it
BOLD_CHAR = 7.8  # the same, bold (category labels)
LINE = 18
PAD = 6.0  # between the end of a bar (or the target's line) and the value's text
MIN_PLOT = 0.45  # the bars' room never shrinks below this share of the drawing's width (layout())


def wrap(text: str, width: float, char: float = BOLD_CHAR) -> list[str]:
    """`text` in lines that fit `width`, broken between words (a word longer than a line stays whole)."""
    most = max(1, int(width // char))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _esc(text: object) -> str:
    return escape(str(text))


def text_width(text: str) -> float:
    """About how wide `text` is drawn at FONT (no font metrics on the server)."""
    return len(text) * CHAR


def _n(value: float) -> str:
    """A coordinate as SVG reads it: a decimal point, never a comma, no needless ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg_open(chart_id: str, title: str, desc: str, width: float, height: float, css: str) -> str:
    return (
        f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" focusable="false" font-size="{FONT}" fill="{TEXT_COLOUR}">'
        f'<title id="{chart_id}-title">{_esc(title)}</title><desc id="{chart_id}-desc">{_esc(desc)}</desc>'
    )


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    text: str
    colour: str
    kind: str = "swatch"  # "swatch" (a bar's colour), "line" (a series or the target)
    dash: str = ""
    marker: str = ""

    @property
    def line_y(self) -> float:
        return self.y - 4

    @property
    def marker_x(self) -> float:
        return self.x + 12

    @property
    def text_x(self) -> float:
        return self.x + (18 if self.kind == "swatch" else 30)

    @property
    def shape(self) -> str:
        return polygon(self.marker, self.marker_x, self.line_y)

    def svg(self) -> str:
        if self.kind == "swatch":
            mark = f'<rect x="{_n(self.x)}" y="{_n(self.y - 10)}" width="12" height="12" fill="{self.colour}"/>'
        else:
            dash = f' stroke-dasharray="{self.dash}"' if self.dash else ""
            mark = (
                f'<line x1="{_n(self.x)}" y1="{_n(self.line_y)}" x2="{_n(self.x + 24)}" y2="{_n(self.line_y)}" '
                f'stroke="{self.colour}" stroke-width="2.5"{dash}/>'
            )
            if self.marker:
                mark += _marker(self.marker, self.marker_x, self.line_y, self.colour)
        return f'{mark}<text x="{_n(self.text_x)}" y="{_n(self.y)}">{_esc(self.text)}</text>'


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str  # the value, with the series' name when there are several
    text_x: float
    text_y: float

    @property
    def text_end(self) -> float:
        return self.text_x + text_width(self.text)

    def svg(self) -> str:
        rect = (
            f'<rect x="{_n(self.x)}" y="{_n(self.y)}" width="{_n(self.width)}" height="{_n(self.height)}" '
            f'fill="{self.colour}"/>'
            if self.width
            else ""
        )
        return f'{rect}<text x="{_n(self.text_x)}" y="{_n(self.text_y)}">{_esc(self.text)}</text>'


@dataclass(frozen=True)
class Target:
    x: float
    y1: float
    y2: float


@dataclass(frozen=True)
class Label:
    text: str
    y: float


@dataclass(frozen=True)
class BarGroup:
    label: str
    lines: tuple[Label, ...]  # the label, wrapped to the drawing's width
    bars: tuple[Bar, ...]
    target: Target | None = None


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    desc: str
    width: int
    height: float
    groups: tuple[BarGroup, ...]
    legend: tuple[LegendItem, ...] = ()
    plot: float = 0.0  # the width the longest possible bar may take

    @cached_property
    def svg(self) -> SafeString:
        parts = [_svg_open(self.id, self.title, self.desc, self.width, self.height, "chart")]
        parts += [item.svg() for item in self.legend]
        for group in self.groups:
            parts.append("<g>")
            parts += [
                f'<text x="0" y="{_n(line.y)}" font-weight="bold">{_esc(line.text)}</text>' for line in group.lines
            ]
            parts += [bar.svg() for bar in group.bars]
            if group.target:
                t = group.target
                parts.append(
                    f'<line x1="{_n(t.x)}" y1="{_n(t.y1)}" x2="{_n(t.x)}" y2="{_n(t.y2)}" stroke="{TARGET_COLOUR}" '
                    'stroke-width="2.5" stroke-dasharray="5 3"/>'
                )
            parts.append("</g>")
        parts.append("</svg>")
        # Every text above is escaped; the rest are numbers and constants.
        return mark_safe("".join(parts))


@dataclass(frozen=True)
class GroupData:
    """One category of a bar chart: its label, one value per series (None: nothing to show) and the
    text written beside each bar; optionally the office's target, drawn as a dashed line."""

    label: str
    values: tuple[float | None, ...]
    texts: tuple[str, ...]
    target: float | None = None


def nice_step(span: float, *, ticks: int = 4, whole: bool = True) -> float:
    """A round step (1, 2 or 5 times a power of ten) that divides `span` into at most `ticks`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw:
            break
    return max(step, 1.0) if whole else step


def nice_max(value: float, *, whole: bool = True) -> float:
    step = nice_step(value, whole=whole)
    return max(step, math.ceil(value / step) * step)


def _share(value: float | None, top: float) -> float:
    return 0.0 if value is None or top <= 0 else max(0.0, min(value, top)) / top


def layout(groups: Sequence[GroupData], top: float, width: int) -> tuple[float, int]:
    """The room of the longest possible bar, and the drawing's width.

    The bars take as much of the drawing as leaves every value's text room after its bar, or after
    the target's line when the text would otherwise cross it: the texts are measured, so "600,000
    complaints" fits as well as "5". The bars never get less than MIN_PLOT of the width: if a text is
    so long that they would, the drawing is widened instead (it then shrinks a little more on a
    phone), so no text is ever cut at the edge."""
    needs = []  # (how far along the plot the text starts, the room its text takes)
    for group in groups:
        target = _share(group.target, top) if group.target is not None else 0.0
        for value, text in zip(group.values, group.texts, strict=True):
            # Conservative: the text may have to start after the target's line.
            needs.append((max(_share(value, top), target), PAD + text_width(text) + 2))
    plot = float(width - 2)
    for share, room in needs:
        if share > 0:
            plot = min(plot, (width - room) / share)
    if plot >= width * MIN_PLOT:
        return round(plot, 1), width
    wider = max(room / (1 - MIN_PLOT * share) for share, room in needs)
    width = max(width, math.ceil(wider))
    return round(width * MIN_PLOT, 1), width


def bar_chart(
    *,
    id: str,
    title: str,
    desc: str,
    groups: Sequence[GroupData],
    series: Sequence[str] = (),
    scale_max: float | None = None,
    target_label: str = "",
    width: int = BAR_WIDTH,
) -> BarChart:
    """Horizontal bars, each category's label above its bars (long labels fit on a phone).
    `series` names the bars of each group (a legend when there are several); `scale_max` fixes the
    end of the scale (1 for rates), else it is the largest value or target, rounded up."""
    bar_height, gap, group_gap = 16.0, 4.0, 14.0
    values = [v for g in groups for v in g.values if v is not None] + [g.target for g in groups if g.target]
    top = scale_max if scale_max else nice_max(max(values, default=0), whole=False)
    plot, width = layout(groups, top, width)
    legend: list[LegendItem] = []
    y = 4.0
    if len(series) > 1 or target_label:
        x = 0.0
        for index, name in enumerate(series if len(series) > 1 else ()):
            if x and x + 18 + text_width(name) > width:
                x, y = 0.0, y + LINE
            legend.append(LegendItem(x, y + 11, name, SERIES_COLOURS[index % len(SERIES_COLOURS)]))
            x = round(x + 18 + text_width(name) + 16, 1)
        if target_label:
            if x and x + 30 + text_width(target_label) > width:
                x, y = 0.0, y + LINE
            legend.append(LegendItem(x, y + 11, target_label, TARGET_COLOUR, kind="line", dash="5 3"))
        y += LINE + 10
    drawn: list[BarGroup] = []
    for group in groups:
        lines = []
        for text in wrap(group.label, width):
            lines.append(Label(text, y + FONT))
            y += LINE
        y += 2
        bars = []
        group_top = y
        target_x = None if group.target is None or top <= 0 else round(_share(group.target, top) * plot, 1)
        for index, (value, text) in enumerate(zip(group.values, group.texts, strict=True)):
            length = _share(value, top) * plot
            if value is not None and value > 0:
                length = max(length, 2.0)  # a small value is still seen as a bar
            length = round(length, 1)
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            bars.append(_bar(y, length, bar_height, colour, text, target_x))
            y += bar_height + gap
        target = None if target_x is None else Target(target_x, group_top - 3, y - gap + 3)
        drawn.append(BarGroup(group.label, tuple(lines), tuple(bars), target))
        y += group_gap - gap
    return BarChart(
        id=id,
        title=title,
        desc=desc,
        width=width,
        height=round(y + 2, 1),
        groups=tuple(drawn),
        legend=tuple(legend),
        plot=plot,
    )


def _bar(y: float, length: float, height: float, colour: str, text: str, target_x: float | None) -> Bar:
    """A bar and where its value is written: just after the bar, or after the target's line when the
    text would cross it there."""
    starts = length + PAD
    if target_x is not None and length - 1 <= target_x <= starts + text_width(text) + 4:
        starts = target_x + PAD
    return Bar(0, y, length, height, colour, text, round(starts, 1), y + height - 4)


def polygon(marker: str, x: float, y: float) -> str:
    """The points of a square, triangle or diamond marker centred on (x, y); "" for a circle."""
    if marker == "square":
        corners = [(-3.5, -3.5), (3.5, -3.5), (3.5, 3.5), (-3.5, 3.5)]
    elif marker == "triangle":
        corners = [(0, -5), (4.5, 3.5), (-4.5, 3.5)]
    elif marker == "diamond":
        corners = [(0, -5), (5, 0), (0, 5), (-5, 0)]
    else:
        return ""
    return " ".join(f"{_n(round(x + dx, 1))},{_n(round(y + dy, 1))}" for dx, dy in corners)


def _marker(marker: str, x: float, y: float, colour: str, title: str = "") -> str:
    tooltip = f"<title>{_esc(title)}</title>" if title else ""
    shape = polygon(marker, x, y)
    if shape:
        return f'<polygon points="{shape}" fill="{colour}">{tooltip}</polygon>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}">{tooltip}</circle>'


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str  # the month and the value: a tooltip for whoever points at it
    shape: str = ""  # the marker's polygon ("" for a circle)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    dash: str
    marker: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[Tick, ...]
    series: tuple[Series, ...]
    legend: tuple[LegendItem, ...]

    @property
    def x_label_y(self) -> float:
        return self.bottom + 20

    @property
    def y_label_x(self) -> float:
        return self.left - 8

    @cached_property
    def svg(self) -> SafeString:
        left, right = _n(self.left), _n(self.right)
        parts = [_svg_open(self.id, self.title, self.desc, self.width, self.height, "chart chart--line")]
        parts += [item.svg() for item in self.legend]
        for tick in self.y_ticks:
            y = _n(tick.position)
            parts.append(
                f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
                f'<text x="{_n(self.y_label_x)}" y="{_n(tick.position + 4)}" text-anchor="end" '
                f'fill="{MUTED_COLOUR}">{_esc(tick.text)}</text>'
            )
        bottom = _n(self.bottom)
        parts.append(
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{MUTED_COLOUR}" stroke-width="1"/>'
        )
        label_y = _n(self.x_label_y)
        parts += [
            f'<text x="{_n(label.position)}" y="{label_y}" text-anchor="middle" fill="{MUTED_COLOUR}">'
            f"{_esc(label.text)}</text>"
            for label in self.x_labels
        ]
        for series in self.series:
            dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
            parts.append(
                f'<g><path d="{series.path}" fill="none" stroke="{series.colour}" stroke-width="2.5"{dash} '
                'stroke-linejoin="round"/>'
            )
            name = series.name
            parts += [
                _marker(series.marker, point.x, point.y, series.colour, f"{name} · {point.text}")
                for point in series.points
            ]
            parts.append("</g>")
        parts.append("</svg>")
        # Every text above is escaped; the rest are numbers and constants.
        return mark_safe("".join(parts))


@dataclass(frozen=True)
class LineData:
    name: str
    values: tuple[float | None, ...]
    texts: tuple[str, ...]  # each value as the reader reads it


def line_chart(
    *,
    id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[LineData],
    tick_text: Callable[[float], str],
    width: int = LINE_WIDTH,
    height: int = 250,
) -> LineChart:
    """Lines over months: one per series, each with its own dash and marker; as many month labels
    under the axis as fit without overlapping. The left margin is as wide as the longest tick's text
    ("600,000" fits as well as "8")."""
    legend: list[LegendItem] = []
    x, y = 0.0, 14.0
    for index, data in enumerate(series):
        item_width = 34 + text_width(data.name) + 14
        if x and x + item_width > width:
            x, y = 0.0, y + LINE
        legend.append(
            LegendItem(
                x,
                y,
                data.name,
                SERIES_COLOURS[index % len(SERIES_COLOURS)],
                kind="line",
                dash=DASHES[index % len(DASHES)],
                marker=MARKERS[index % len(MARKERS)],
            )
        )
        x = round(x + item_width, 1)
    top, bottom = y + 22, height - 34.0
    values = [v for data in series for v in data.values if v is not None]
    step = nice_step(max(values, default=0))
    peak = max(step, math.ceil(max(values, default=0) / step) * step)
    tick_values = [i * step for i in range(round(peak / step) + 1)]
    tick_texts = [tick_text(tick) for tick in tick_values]
    left = round(max(28.0, max(text_width(t) for t in tick_texts) + 12), 1)
    right = width - 6.0
    ticks = tuple(
        Tick(round(bottom - tick / peak * (bottom - top), 1), text)
        for tick, text in zip(tick_values, tick_texts, strict=True)
    )
    count = len(labels)
    inset = 32  # points stay far enough from the edges for a month label centred under them

    def x_of(i: int) -> float:
        return (left + right) / 2 if count == 1 else left + inset + i * (right - left - 2 * inset) / (count - 1)

    spacing = (right - left - 2 * inset) / (count - 1) if count > 1 else right - left
    widest = max((text_width(label) for label in labels), default=0) + 10
    every = max(1, math.ceil(widest / spacing))
    x_labels = tuple(Tick(round(x_of(i), 1), labels[i]) for i in range(0, count, every))
    drawn = []
    for index, data in enumerate(series):
        points = []
        commands = []
        pen_down = False
        marker = MARKERS[index % len(MARKERS)]
        for i, (value, text) in enumerate(zip(data.values, data.texts, strict=True)):
            if value is None:
                pen_down = False
                continue
            px, py = round(x_of(i), 1), round(bottom - value / peak * (bottom - top), 1)
            commands.append(f"{'L' if pen_down else 'M'}{_n(px)} {_n(py)}")
            pen_down = True
            points.append(Point(px, py, f"{labels[i]}: {text}", polygon(marker, px, py)))
        drawn.append(
            Series(
                data.name,
                SERIES_COLOURS[index % len(SERIES_COLOURS)],
                DASHES[index % len(DASHES)],
                marker,
                " ".join(commands),
                tuple(points),
            )
        )
    return LineChart(
        id=id,
        title=title,
        desc=desc,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=ticks,
        x_labels=x_labels,
        series=tuple(drawn),
        legend=tuple(legend),
    )
