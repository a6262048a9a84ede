"""The portfolio pack's trends page (issue #11): how the organisation's forecast and performance moved.

* EAC by period with its P10–P90 range (``fct_organisation_earned_value.eac_cpi`` and BAC;
  ``fct_forecast_range_rollup`` at the organisation level for the range);
* CPI and SPI by period (``fct_organisation_earned_value``; SPI(t) is a per-project measure, so the
  organisation's schedule index is SPI).

Both charts are vector and greyscale-safe (charts.py).  The last :data:`MAX_PERIODS` periods to the
reporting period are drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .catalog import marts_tables
from .charts import EacPoint, IndexPoint, eac_trend_svg, index_trend_svg, svg_data_uri

MAX_PERIODS = 24


@dataclass(frozen=True)
class TrendsPage:
    first_period: str
    eac_chart: str
    index_chart: str
    with_range: int
    periods: int


def load_trends(con: duckdb.DuckDBPyConnection, period: str, currency: str | None) -> TrendsPage | None:
    """The trends page to ``period``, or None without the organisation mart or with fewer than two periods."""
    present = marts_tables(con)
    if "fct_organisation_earned_value" not in present:
        return None
    range_join = ("LEFT JOIN marts.fct_forecast_range_rollup AS r ON r.period = o.period "
                  "AND r.rollup_level = 'organisation'" if "fct_forecast_range_rollup" in present else "")
    rows = con.execute(f"""
        SELECT * FROM (
            SELECT o.period, o.eac_cpi, {'r.eac_p10, r.eac_p90' if range_join else 'NULL, NULL'}, o.bac, o.cpi, o.spi
            FROM marts.fct_organisation_earned_value AS o {range_join}
            WHERE o.period <= ? ORDER BY o.period DESC LIMIT {MAX_PERIODS})
        ORDER BY period""", [period]).fetchall()
    if len(rows) < 2 or rows[-1][0] != period:
        return None
    eac = [EacPoint(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    idx = [IndexPoint(r[0], r[5], r[6]) for r in rows]
    return TrendsPage(
        first_period=rows[0][0],
        eac_chart=svg_data_uri(eac_trend_svg(eac, currency or "reporting currency")),
        index_chart=svg_data_uri(index_trend_svg(idx, width_in=10.6, height_in=2.6, schedule_label="SPI")),
        with_range=sum(1 for p in eac if p.p10 is not None), periods=len(rows))
