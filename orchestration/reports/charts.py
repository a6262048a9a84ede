"""Charts for the packs, drawn with matplotlib (Agg, no GUI) and embedded as SVG.

Charts are returned as SVG text; :func:`svg_data_uri` turns one into a ``data:`` URI that the
template puts in an ``<img>``, so the PDF renderer never touches the file system or the network
for them.  Text is converted to paths (``svg.fonttype = 'path'``): the chart looks the same
whatever fonts the rendering machine has, and the PDF's extractable text is the pack's tables
only.  Output is deterministic (fixed hash salt, no date in the metadata).
"""
from __future__ import annotations

import base64
import io
import math
import sys
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

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# Okabe–Ito colour-blind-safe palette; the series also differ by line style and marker.
COLOURS = {"pv": "#0072B2", "ev": "#009E73", "ac": "#D55E00", "bac": "#333333"}

_RC: Any = {  # matplotlib types rc keys as a Literal of every rcParam
    "svg.fonttype": "path",
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


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}"


def s_curve_svg(points: Sequence[SCurvePoint], currency: str, *, width_in: float = 10.6,
                height_in: float = 4.3) -> str:
    """Cumulative PV, EV and AC by period, with a horizontal line at the latest period's BAC.

    ``points`` must be in period order; the last one is the reporting period.
    """
    if not points:
        raise ValueError("s_curve_svg needs at least one period")
    periods = [p.period for p in points]
    xs = list(range(len(points)))
    with matplotlib.rc_context(_RC):
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
        # Period labels: at most ~12 of them, always including the reporting period.
        step = max(1, math.ceil(len(xs) / 12))
        ticks = xs[::-1][::step][::-1]
        ax.set_xticks(ticks)
        ax.set_xticklabels([periods[i] for i in ticks])
        ax.set_xlim(-0.3, len(xs) - 0.7 if len(xs) > 1 else 0.3)
        ax.set_xlabel("Period (cumulative to the end of each period)")
        ax.set_ylabel(f"Cumulative cost ({currency})")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7))
        ax.set_ylim(bottom=0)
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncol=4, bbox_to_anchor=(0, 1.12))
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def svg_data_uri(svg: str) -> str:
    """A base64 ``data:image/svg+xml`` URI for an ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
