"""The portfolio pack's second risks page (issue #11): where the open risks sit on the probability × impact
matrix, and how the exposure carried moved over time.

* **Heat map** (``fct_open_risks``): the open risks of the reporting period counted in the 5 × 5 matrix,
  probability bands as rows (very high at the top), impact bands as columns, each cell with its count
  and summed exposure and shaded by the matrix zone (high, moderate, low; the zone is also printed, so
  it is never shown by shade alone).  The bands and zones are the mart's (docs/risk-matrix.md);
  :func:`cell_zone` restates the zone rule for the empty cells, and a test keeps the two in step.
  Risks off the matrix (no probability, or no impact to rate) are counted under the map.
* **Exposure over time** (``fct_risk_exposure``): the sum of the projects' open-risk exposure and open
  risks at each period to the reporting one (at most :data:`MAX_PERIODS`), with the exposure as a
  percentage of the summed BAC.  A period where one project's exposure could not be converted has no
  total (a gap), never a smaller one.

Both read marts with a ``project_code``, so a programme pack (scope.py) shows its programme's risks.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from .catalog import lacks_note, mart_columns
from .charts import ExposurePoint, exposure_trend_svg, svg_data_uri

#: How many periods the exposure chart and table cover, to the reporting period.
MAX_PERIODS = 24
#: The matrix's weights (PMBOK Guide, 4th ed., figure 11-10): probability bands 1-5, impact bands 1-5.
PROBABILITY_WEIGHTS = (Decimal("0.1"), Decimal("0.3"), Decimal("0.5"), Decimal("0.7"), Decimal("0.9"))
IMPACT_WEIGHTS = (Decimal("0.05"), Decimal("0.1"), Decimal("0.2"), Decimal("0.4"), Decimal("0.8"))
#: Lowest score of the high and of the moderate zone (fct_open_risks.risk_zone).
HIGH_FROM, MODERATE_FROM = Decimal("0.18"), Decimal("0.05")
PROBABILITY_LABELS = ("Very low (< 0.2)", "Low (0.2–0.4)", "Medium (0.4–0.6)", "High (0.6–0.8)", "Very high (≥ 0.8)")
IMPACT_LABELS = ("Very low", "Low", "Moderate", "High", "Very high")
#: What each impact band means, cost and time (the mart rates a risk on the worse of the two).
IMPACT_SCALES = ("< 1 % · < 1 %", "1–10 % · 1–5 %", "10–20 % · 5–10 %", "20–40 % · 10–20 %",
                 "≥ 40 % · ≥ 20 %")


def cell_zone(probability_band: int, impact_band: int) -> str:
    """The zone of a matrix cell: 'high', 'moderate' or 'low' (the rule of fct_open_risks.risk_zone)."""
    score = PROBABILITY_WEIGHTS[probability_band - 1] * IMPACT_WEIGHTS[impact_band - 1]
    return "high" if score >= HIGH_FROM else "moderate" if score >= MODERATE_FROM else "low"


@dataclass(frozen=True)
class MatrixCell:
    probability_band: int
    impact_band: int
    zone: str
    risks: int
    exposure: Decimal | None   # None when no risk in the cell has a converted exposure


@dataclass(frozen=True)
class ExposureRow:
    period: str
    projects: int
    open_risks: int | None
    exposure: Decimal | None   # None when a project's exposure could not be converted
    exposure_pct_of_bac: float | None


@dataclass(frozen=True)
class RiskMatrixPage:
    #: rows from probability band 5 (top) to 1; each row's cells from impact band 1 to 5
    rows: tuple[tuple[MatrixCell, ...], ...] = ()
    on_matrix: int = 0
    off_matrix: int = 0
    zones: tuple[tuple[str, int], ...] = ()   # (zone, open risks in it), high first
    matrix_note: str = ""
    chart: str | None = None
    exposures: tuple[ExposureRow, ...] = ()
    exposure_note: str = ""

    @property
    def probability_labels(self) -> tuple[str, ...]:
        return tuple(reversed(PROBABILITY_LABELS))

    @property
    def impact_labels(self) -> tuple[tuple[str, str], ...]:
        return tuple(zip(IMPACT_LABELS, IMPACT_SCALES))


_MATRIX_COLUMNS = ("project_code", "risk_id", "probability_band", "impact_band", "exposure", "is_on_matrix")
_EXPOSURE_COLUMNS = ("project_code", "period", "open_risks", "exposure", "bac")


def load_risk_matrix(con: duckdb.DuckDBPyConnection, period: str, currency: str | None) -> RiskMatrixPage | None:
    """The heat map and the exposure over time to ``period``; None when the figures hold neither mart
    (the page is then left out)."""
    if not any(mart_columns(con, t) for t in ("fct_open_risks", "fct_risk_exposure")):
        return None
    rows: tuple[tuple[MatrixCell, ...], ...] = ()
    on_matrix = off_matrix = 0
    zones: tuple[tuple[str, int], ...] = ()
    matrix_note = lacks_note(con, "fct_open_risks", _MATRIX_COLUMNS)
    if not matrix_note:
        counted = {(pb, ib): (n, exposure) for pb, ib, n, exposure in con.execute("""
            SELECT probability_band, impact_band, count(*), sum(exposure)
            FROM marts.fct_open_risks WHERE period = ? AND is_on_matrix
            GROUP BY probability_band, impact_band""", [period]).fetchall()}
        off_matrix = con.execute("SELECT count(*) FROM marts.fct_open_risks WHERE period = ? AND NOT is_on_matrix",
                                 [period]).fetchone()[0]
        rows = tuple(tuple(MatrixCell(pb, ib, cell_zone(pb, ib), *counted.get((pb, ib), (0, None)))
                           for ib in range(1, 6)) for pb in range(5, 0, -1))
        on_matrix = sum(n for n, _ in counted.values())
        by_zone = {z: 0 for z in ("high", "moderate", "low")}
        for row in rows:
            for cell in row:
                by_zone[cell.zone] += cell.risks
        zones = tuple(by_zone.items())
        if not on_matrix and not off_matrix:
            matrix_note = f"marts.fct_open_risks holds no open risk for {period}."
    chart = None
    exposures: tuple[ExposureRow, ...] = ()
    exposure_note = lacks_note(con, "fct_risk_exposure", _EXPOSURE_COLUMNS)
    if not exposure_note:
        exposures = tuple(ExposureRow(
            period=r[0], projects=r[1], open_risks=r[2], exposure=r[3],
            exposure_pct_of_bac=float(r[3] / r[4] * 100) if r[3] is not None and r[4] else None)
            for r in con.execute(f"""
            SELECT * FROM (
                SELECT period, count(*) AS projects, sum(open_risks) AS open_risks,
                       CASE WHEN count(exposure) = count(*) THEN sum(exposure) END AS exposure,
                       CASE WHEN count(bac) = count(*) THEN sum(bac) END AS bac
                FROM marts.fct_risk_exposure WHERE period <= ?
                GROUP BY period ORDER BY period DESC LIMIT {MAX_PERIODS})
            ORDER BY period""", [period]).fetchall())
        if not exposures or exposures[-1].period != period:
            exposure_note = f"marts.fct_risk_exposure holds no exposure for {period}."
            exposures = ()
        elif len(exposures) < 2:
            exposure_note = (f"The figures hold the exposure of {period} only (a period frozen before its "
                             "history was kept, or the first period): no trend to draw.")
        else:
            chart = svg_data_uri(exposure_trend_svg(
                [ExposurePoint(e.period, e.exposure, e.open_risks) for e in exposures],
                currency or "reporting currency"))
    return RiskMatrixPage(rows=rows, on_matrix=on_matrix, off_matrix=off_matrix, zones=zones,
                          matrix_note=matrix_note, chart=chart, exposures=exposures, exposure_note=exposure_note)
