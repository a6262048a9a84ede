"""RAG classification of performance indices (EVM.md §6).

The rule in force is the FEMA MIP dashboard's two-sided band on CPI and SPI(t):

* Green  0.95 <= index <= 1.05
* Amber  0.90 <= index <  0.95, or 1.05 < index <= 1.10
* Red    index < 0.90, or index > 1.10
* Overall health = the worst of cost (CPI) and schedule (SPI(t)).

A NULL index (undefined, e.g. CPI when AC = 0) is ``'n/a'``; the overall judgement ignores an
``'n/a'`` unless both are ``'n/a'``.  Classification uses the unrounded index from the mart;
rounding happens only when the pack prints it.

Everything here is pure: no I/O, no globals that change.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Rag = Literal["green", "amber", "red", "n/a"]

#: Version string of the rule printed in every pack.  Bump it when the bands change.
RAG_RULE_VERSION = "fema-mip-2024"

#: The rule as printed on the cover of the pack.
RAG_RULE_TEXT = (
    "FEMA MIP dashboard bands on CPI and SPI(t): Green 0.95–1.05, "
    "Amber 0.90–<0.95 or >1.05–1.10, Red <0.90 or >1.10; overall = worst"
)

# Indices are DOUBLEs computed as ratios of sums.  A value that is a band edge in exact
# arithmetic can come out of floating point a few ulps away from it (0.9500000000000001), so
# the comparison is made on the index rounded to this many decimals.  Nine decimals is far
# below anything a pack shows (2 dp) and far above double-precision noise.
_EDGE_DECIMALS = 9


@dataclass(frozen=True)
class Bands:
    """Two-sided bands around 1.0: green inside [green_low, green_high], amber up to the amber edges."""

    green_low: float = 0.95
    green_high: float = 1.05
    amber_low: float = 0.90
    amber_high: float = 1.10


FEMA_MIP_BANDS = Bands()

_SEVERITY: dict[str, int] = {"green": 0, "amber": 1, "red": 2}


def rag_for_index(value: float | Decimal | None, bands: Bands = FEMA_MIP_BANDS) -> Rag:
    """Classify one index (CPI or SPI(t)) as ``'green'``, ``'amber'``, ``'red'`` or ``'n/a'``.

    ``None`` and non-finite values (NaN, ±inf) are ``'n/a'``: the mart stores an undefined
    index as NULL, never 0 or infinity.
    """
    if value is None or isinstance(value, bool):
        return "n/a"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(v):
        return "n/a"
    v = round(v, _EDGE_DECIMALS)
    if bands.green_low <= v <= bands.green_high:
        return "green"
    if bands.amber_low <= v <= bands.amber_high:
        return "amber"
    return "red"


def worst_rag(*ratings: Rag) -> Rag:
    """The overall judgement: the worst of the defined ratings; ``'n/a'`` only if all are ``'n/a'``."""
    defined = [r for r in ratings if r in _SEVERITY]
    if not defined:
        return "n/a"
    return max(defined, key=_SEVERITY.__getitem__)  # type: ignore[return-value]


#: Words printed in RAG cells (the colour is never the only carrier of the meaning).
RAG_LABELS: dict[str, str] = {"green": "Green", "amber": "Amber", "red": "Red", "n/a": "n/a"}
