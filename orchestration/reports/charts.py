"""Charts for the packs, drawn with matplotlib (Agg, no GUI) and embedded as SVG.

Charts are returned as SVG text; :func:`svg_data_uri` turns one into a ``data:`` URI that the
template puts in an ``<img>``, so the PDF renderer never touches the file system or the network
for them.  Chart text is SVG text in DejaVu Sans (``svg.fonttype = 'none'``), the font the documents
themselves are set in, rather than glyph outlines: WeasyPrint draws it as PDF text, which costs it about
a third less per chart than parsing thousands of outline paths (bench/RESULTS.md, 2026-12-05) and leaves
the labels searchable.  Output is deterministic (fixed hash salt, no date in the metadata).  matplotlib's
SVG is then made lean for WeasyPrint (:func:`lean_svg`: styles as attributes, no empty groups), which
draws the same pixels with less of its Python SVG renderer's time.
"""
from __future__ import annotations

import base64
import functools
import io
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import matplotlib

# Headless rendering.  Only the object-oriented API (matplotlib.figure.Figure) is used below, so
# no pyplot global state is created and the process-wide backend is irrelevant; selecting Agg
# keeps a later pyplot import in the same process from looking for a display.
if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

import tinycss2
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# Okabe–Ito colour-blind-safe palette; the series also differ by line style and marker.
COLOURS = {"pv": "#0072B2", "ev": "#009E73", "ac": "#D55E00", "bac": "#333333"}

_RC: Any = {  # matplotlib types rc keys as a Literal of every rcParam
    "svg.fonttype": "none",
    "svg.hashsalt": "pmo-warehouse-pack",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "legend.fontsize": 10,
}



@dataclass(frozen=True)
class SCurvePoint:
    """Organisation-wide cumulative values at the end of one period (sums over portfolios)."""

    period: str
    pv: Decimal | float | None
    ev: Decimal | float | None
    ac: Decimal | float | None
    bac: Decimal | float | None


def _f(value: Decimal | float | None) -> float:
    return math.nan if value is None else float(value)


def _period_axis(ax, periods: Sequence[str], max_ticks: int, **label_kw) -> None:
    """Periods along the x axis, one point per period: at most ``max_ticks`` labels, counted back from the
    last period so the reporting period is always labelled, and half a step of margin at each end."""
    xs = list(range(len(periods)))
    step = max(1, math.ceil(len(xs) / max_ticks))
    ticks = xs[::-1][::step][::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([periods[i] for i in ticks], **label_kw)
    ax.set_xlim(-0.3, len(xs) - 0.7 if len(xs) > 1 else 0.3)


def _tight_layout(fig: Figure) -> None:
    """``fig.tight_layout()``, leaving the figure without a layout engine.

    tight_layout leaves matplotlib's ``PlaceHolderLayoutEngine`` on the figure, and savefig lays out a figure
    that has any engine once more before it draws it: a dry run that moves nothing once tight_layout has placed
    the axes (the SVG is byte for byte the same without it) and costs a quarter of a chart's time
    (bench/RESULTS.md, 2026-12-06)."""
    fig.tight_layout()
    fig.set_layout_engine(None)


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_INHERITED_BY_RULE = ("stroke-linejoin", "stroke-linecap")  # what matplotlib's one ``*`` rule sets
_NO_ROTATION = re.compile(r"rotate\(\s*-?0(?:\.0*)?(?:[\s,][^)]*)?\)")


def _figure_svg(fig: Figure) -> str:
    """The figure as SVG (no date in its metadata, so the same chart gives the same bytes), made lean for
    WeasyPrint by :func:`lean_svg`."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return lean_svg(buf.getvalue())


def lean_svg(svg: str) -> str:
    """matplotlib's SVG, drawn the same with less work for WeasyPrint, whose SVG renderer is Python and
    charged per element and per CSS declaration (about a third of a project report's CPU is its charts):

    - the ``<metadata>`` block is dropped;
    - every ``style="a: b; ..."`` becomes presentation attributes (``a="b"``), which WeasyPrint reads
      without running a CSS parser per element.  It merges both into the same attributes, so inheritance
      is unchanged; the only difference is precedence under a stylesheet rule, which is why
    - matplotlib's one stylesheet rule, ``*{stroke-linejoin: round; stroke-linecap: butt}``, becomes
      attributes of the root: both properties inherit, and an element that sets its own keeps it, as before;
    - ``<g>`` wrappers with nothing but an unreferenced ``id`` are replaced by their children, and empty
      ``<defs>`` dropped;
    - a ``transform="rotate(-0 x y)"`` (no rotation; matplotlib writes one on every text) is dropped.

    The chart is returned unchanged when it is not shaped as expected (another stylesheet rule, one of the
    rule's properties already set as an attribute).  The pages are the same pixels either way (checked with
    pdftoppm, bench/RESULTS.md 2026-12-07); tests/unit/test_charts_lean.py compares every drawn element's
    effective attributes."""
    if "!important" in svg:
        return svg  # precedence that attributes cannot express
    # The prefixes are ElementTree's global registry, which other code may change (registering another default
    # namespace drops the SVG one, and the chart would come out as <ns0:svg>): set them on every call.
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return svg
    svg_tag, g_tag, defs_tag, style_tag = (f"{{{_SVG_NS}}}{t}" for t in ("svg", "g", "defs", "style"))
    if root.tag != svg_tag:
        return svg
    rule: dict[str, str] = {}
    rule_sheets = []
    parent_of = {child: parent for parent in root.iter() for child in parent}
    for sheet in root.iter(style_tag):
        declarations = _star_rule(sheet.text or "")
        if declarations is None:
            return svg  # a stylesheet other than matplotlib's one rule: its precedence would change
        rule.update(declarations)
        rule_sheets.append((parent_of[sheet], sheet))
    if any(name in el.attrib for el in root.iter() for name in rule) or set(rule) - set(_INHERITED_BY_RULE):
        return svg
    referenced = set(re.findall(r"#([^\s\"')]+)", svg))
    for parent, sheet in rule_sheets:
        parent.remove(sheet)
    for metadata in root.findall(f"{{{_SVG_NS}}}metadata"):
        root.remove(metadata)
    for name, value in rule.items():
        root.set(name, value)

    def lean(element: ET.Element) -> None:
        style = element.attrib.pop("style", None)
        if style:
            for name, value in _declarations(style):
                element.set(name, value)
        transform = element.get("transform")
        if transform is not None and _NO_ROTATION.fullmatch(transform.strip()):
            del element.attrib["transform"]
        children: list[ET.Element] = []
        for child in element:
            lean(child)
            if child.tag == g_tag and set(child.attrib) <= {"id"} and child.get("id") not in referenced:
                children.extend(child)
            elif child.tag == defs_tag and len(child) == 0:
                continue
            else:
                children.append(child)
        element[:] = children

    lean(root)
    return ET.tostring(root, encoding="unicode")


@functools.lru_cache(maxsize=4096)
def _declarations(text: str) -> tuple[tuple[str, str], ...]:
    """``name: value`` pairs of a style attribute or rule, as WeasyPrint's SVG renderer reads them
    (``weasyprint.svg.css.parse_declarations``: lower-case names, values serialized by tinycss2, names
    starting with ``-`` ignored).  Remembered: a chart repeats a few style strings many times."""
    return tuple((d.lower_name, tinycss2.serialize(d.value).strip())
                 for d in tinycss2.parse_blocks_contents(text)
                 if d.type == "declaration" and not d.name.startswith("-"))


def _star_rule(css: str) -> dict[str, str] | None:
    """The declarations of a stylesheet that is one ``* { ... }`` rule, else None."""
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    if len(rules) != 1 or rules[0].type != "qualified-rule" or tinycss2.serialize(rules[0].prelude).strip() != "*":
        return None
    return dict(_declarations(tinycss2.serialize(rules[0].content)))


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}"


def s_curve_svg(points: Sequence[SCurvePoint], currency: str, *, width_in: float = 10.6,
                height_in: float = 4.3, max_ticks: int = 12, legend_columns: int = 4,
                font_size: float | None = None) -> str:
    """Cumulative PV, EV and AC by period, with a horizontal line at the latest period's BAC.

    ``points`` must be in period order; the last one is the reporting period.  A narrower chart (a
    project report's portrait page) passes fewer ``max_ticks``, ``legend_columns`` and a smaller
    ``font_size``.
    """
    if not points:
        raise ValueError("s_curve_svg needs at least one period")
    periods = [p.period for p in points]
    xs = list(range(len(points)))
    rc = dict(_RC) if font_size is None else {**_RC, "font.size": font_size, "axes.labelsize": font_size,
                                                   "legend.fontsize": font_size}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot(1, 1, 1)
        marker = "o" if len(points) <= 24 else None
        ax.plot(xs, [_f(p.pv) for p in points], color=COLOURS["pv"], linestyle="--", linewidth=2,
                marker=marker, markersize=4, label="PV (planned value)")
        ax.plot(xs, [_f(p.ev) for p in points], color=COLOURS["ev"], linestyle="-", linewidth=2.4,
                marker="s" if marker else None, markersize=4, label="EV (earned value)")
        ax.plot(xs, [_f(p.ac) for p in points], color=COLOURS["ac"], linestyle="-.", linewidth=2,
                marker="^" if marker else None, markersize=4.5, label="AC (actual cost)")
        bac = points[-1].bac
        if bac is not None:
            ax.axhline(float(bac), color=COLOURS["bac"], linestyle=":", linewidth=1.6,
                       label=f"BAC {_thousands(float(bac))}")
        # Period labels: at most ~max_ticks of them, always including the reporting period.
        _period_axis(ax, periods, max_ticks)
        ax.set_xlabel("Period (cumulative to the end of each period)")
        ax.set_ylabel(f"Cumulative cost ({currency})")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7))
        ax.set_ylim(bottom=0)
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncol=legend_columns,
                  bbox_to_anchor=(0, 1.12 if legend_columns >= 4 else 1.25))
        _tight_layout(fig)
        svg = _figure_svg(fig)
    return svg


def svg_data_uri(svg: str) -> str:
    """A base64 ``data:image/svg+xml`` URI for an ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def range_bar_svg(p10: float, p50: float, p90: float, point: float | None, low: float, high: float, *,
                  width: int = 220, height: int = 16, marker: float | None = None) -> str:
    """A forecast range as a small vector bar, readable in greyscale: a grey band from P10 to P90 on a
    scale from ``low`` to ``high``, a black tick at P50, a hollow diamond at the point forecast and, when
    given, a dashed line at ``marker`` (a baseline date)."""
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return round(4 + (width - 8) * (v - low) / span, 2)

    mid = height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             f'<line x1="4" y1="{mid}" x2="{width - 4}" y2="{mid}" stroke="#bbb" stroke-width="0.5"/>',
             f'<rect x="{x(p10)}" y="{mid - 4}" width="{max(x(p90) - x(p10), 1)}" height="8" fill="#999"/>',
             f'<line x1="{x(p50)}" y1="{mid - 6}" x2="{x(p50)}" y2="{mid + 6}" stroke="#000" stroke-width="2"/>']
    if point is not None:
        px = x(point)
        parts.append(f'<polygon points="{px},{mid - 5} {px + 5},{mid} {px},{mid + 5} {px - 5},{mid}" '
                     'fill="#fff" stroke="#000" stroke-width="1"/>')
    if marker is not None:
        mx = x(marker)
        parts.append(f'<line x1="{mx}" y1="0" x2="{mx}" y2="{height}" stroke="#000" stroke-width="1" '
                     'stroke-dasharray="2,1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class IndexPoint:
    """One project's performance indices at the end of one period (fct_earned_value)."""

    period: str
    cpi: float | None
    spi_t: float | None


def index_trend_svg(points: Sequence[IndexPoint], *, thresholds: Sequence[tuple[float, str]] = (),
                    width_in: float = 7.0, height_in: float = 2.6, schedule_label: str = "SPI(t)") -> str:
    """CPI and SPI(t) by period, with a reference line at 1.0 and optional labelled threshold lines
    (e.g. the RAG rule's red and amber bounds).  CPI is a solid line with squares, SPI(t) a dashed line
    with triangles, so the chart reads in greyscale; an undefined index leaves a gap."""
    if not points:
        raise ValueError("index_trend_svg needs at least one period")
    periods = [p.period for p in points]
    xs = list(range(len(points)))
    cpi = [_f(p.cpi) for p in points]
    spi_t = [_f(p.spi_t) for p in points]
    with matplotlib.rc_context({**_RC, "font.size": 8, "axes.labelsize": 8, "legend.fontsize": 8}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot(1, 1, 1)
        marker = len(points) <= 24
        ax.plot(xs, cpi, color=COLOURS["ac"], linestyle="-", linewidth=2, marker="s" if marker else None,
                markersize=4, label="CPI")
        ax.plot(xs, spi_t, color=COLOURS["pv"], linestyle="--", linewidth=2, marker="^" if marker else None,
                markersize=4.5, label=schedule_label)
        ax.axhline(1.0, color=COLOURS["bac"], linestyle=":", linewidth=1.2, label="1.00 (on plan)")
        # Threshold lines in grey, each with its own dash pattern, named in the legend (labels beside
        # the lines would collide when two thresholds are close on the scale).
        patterns = [(0, (1, 2)), (0, (5, 2, 1, 2)), (0, (3, 3)), (0, (1, 4))]
        for i, (value, label) in enumerate(sorted(thresholds, reverse=True)):
            ax.axhline(value, color="#6b6b6b", linestyle=patterns[i % len(patterns)], linewidth=1.0, label=label)
        finite = [v for v in cpi + spi_t + [1.0] + [t for t, _ in thresholds] if math.isfinite(v)]
        lo, hi = min(finite), max(finite)
        pad = max(0.05, (hi - lo) * 0.12)
        ax.set_ylim(max(0.0, lo - pad), hi + pad)
        _period_axis(ax, periods, 8, fontsize=8)
        ax.set_ylabel("Index")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.2f}"))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncol=min(5, 3 + len(thresholds)), bbox_to_anchor=(0, 1.22),
                  fontsize=8)
        _tight_layout(fig)
        svg = _figure_svg(fig)
    return svg


@dataclass(frozen=True)
class EacPoint:
    """The organisation's forecast at the end of one period: EAC (CPI), its P10–P90 range and BAC."""

    period: str
    eac: Decimal | float | None
    p10: Decimal | float | None
    p90: Decimal | float | None
    bac: Decimal | float | None


def eac_trend_svg(points: Sequence[EacPoint], currency: str, *, width_in: float = 10.6,
                  height_in: float = 3.0) -> str:
    """EAC by period with its P10–P90 range as a grey band and BAC as a dotted line: how the forecast and
    its uncertainty moved.  Greyscale-safe (band, solid line with markers, dotted line); a period without
    a range leaves a gap in the band."""
    if not points:
        raise ValueError("eac_trend_svg needs at least one period")
    periods = [p.period for p in points]
    xs = list(range(len(points)))
    nan = float("nan")
    with matplotlib.rc_context({**_RC, "font.size": 8, "axes.labelsize": 8, "legend.fontsize": 8}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot(1, 1, 1)
        lo = [nan if p.p10 is None else float(p.p10) for p in points]
        hi = [nan if p.p90 is None else float(p.p90) for p in points]
        ax.fill_between(xs, lo, hi, color="#bbbbbb", linewidth=0, label="EAC P10–P90")
        ax.plot(xs, [_f(p.eac) for p in points], color="#000000", linewidth=2,
                marker="o" if len(points) <= 24 else None, markersize=3.5, label="EAC (CPI)")
        ax.plot(xs, [_f(p.bac) for p in points], color=COLOURS["bac"], linestyle=":", linewidth=1.6, label="BAC")
        _period_axis(ax, periods, 12)
        ax.set_ylabel(f"{currency}")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncol=3, bbox_to_anchor=(0, 1.2))
        _tight_layout(fig)
        svg = _figure_svg(fig)
    return svg
def sparkline_svg(values: Sequence[float | None], *, width: int = 64, height: int = 16,
                  reference: float | None = 1.0) -> str:
    """A tiny trend line of an index over a few periods, hand-built as SVG (no matplotlib: the pack draws
    two per project row, and a figure each would take most of the render time).

    Greyscale-safe: a black line with a dot on the last value, a grey dotted line at ``reference`` (1.00,
    on plan) when it lies within the scale; an undefined value (None) leaves a gap.  The scale runs from
    the lowest to the highest of the values and the reference, so the line shows the direction of travel
    and where it sits against 1.00, not the absolute size of the change.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    if finite:
        lo = min(finite + ([reference] if reference is not None else []))
        hi = max(finite + ([reference] if reference is not None else []))
        span = (hi - lo) or 1.0
        pad = 2.0
        n = len(values)

        def x(i: int) -> float:
            return round(pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5), 2)

        def y(v: float) -> float:
            return round(height - pad - (height - 2 * pad) * (v - lo) / span, 2)

        if reference is not None:
            parts.append(f'<line x1="0" y1="{y(reference)}" x2="{width}" y2="{y(reference)}" stroke="#888" '
                         'stroke-width="0.6" stroke-dasharray="1,1.5"/>')
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None or not math.isfinite(float(v)):
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append(f"{x(i)},{y(float(v))}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#000" stroke-width="1.2" '
                             'stroke-linejoin="round" stroke-linecap="round"/>')
            else:  # a value between two gaps
                cx, cy = seg[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="1" fill="#000"/>')
        last = next(((i, float(v)) for i, v in reversed(list(enumerate(values)))
                     if v is not None and math.isfinite(float(v))), None)
        if last is not None:
            parts.append(f'<circle cx="{x(last[0])}" cy="{y(last[1])}" r="1.6" fill="#000"/>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ExposurePoint:
    """Open-risk exposure at the end of one period: the sum over the projects' open, quantified risks."""

    period: str
    exposure: Decimal | float | None
    open_risks: int | None


def exposure_trend_svg(points: Sequence[ExposurePoint], currency: str, *, width_in: float = 6.2,
                       height_in: float = 3.0) -> str:
    """Open-risk exposure by period (solid black line with dots, left axis, ``currency``) and the number
    of open risks (dashed grey line with triangles, right axis): whether the risk carried is growing or
    being retired.  Greyscale-safe; a period whose exposure could not be converted leaves a gap."""
    if not points:
        raise ValueError("exposure_trend_svg needs at least one period")
    periods = [p.period for p in points]
    xs = list(range(len(points)))
    nan = float("nan")
    with matplotlib.rc_context({**_RC, "font.size": 8, "axes.labelsize": 8, "legend.fontsize": 8}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot(1, 1, 1)
        marker = len(points) <= 24
        exposure_line = ax.plot(xs, [_f(p.exposure) for p in points], color="#000000", linewidth=2,
                                marker="o" if marker else None, markersize=3.5, label=f"Exposure ({currency})")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(currency)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        right = ax.twinx()
        count_line = right.plot(xs, [nan if p.open_risks is None else float(p.open_risks) for p in points],
                                color="#6b6b6b", linestyle="--", linewidth=1.6, marker="^" if marker else None,
                                markersize=4, label="Open risks")
        right.set_ylim(bottom=0)
        right.set_ylabel("Open risks")
        right.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        for axis in (ax, right):
            axis.spines["top"].set_visible(False)
        _period_axis(ax, periods, 8)
        lines = exposure_line + count_line
        ax.legend(lines, [str(line.get_label()) for line in lines], loc="upper left", frameon=False, ncol=2,
                  bbox_to_anchor=(0, 1.2))
        _tight_layout(fig)
        svg = _figure_svg(fig)
    return svg
