"""The risk heat map and exposure over time (orchestration/reports/risk_matrix.py; issue #11), from small marts."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from orchestration.reports.risk_matrix import cell_zone, load_risk_matrix

PERIOD = "2026-11"


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.fct_open_risks (project_code VARCHAR, risk_id VARCHAR, period VARCHAR,
                   probability_band INTEGER, impact_band INTEGER, exposure DECIMAL(38,6), is_on_matrix BOOLEAN)""")
    con.executemany("INSERT INTO marts.fct_open_risks VALUES (?, ?, ?, ?, ?, ?, ?)", [
        ("A", "R1", PERIOD, 5, 3, 900, True),     # 0.9 x 0.2 = 0.18: high
        ("A", "R2", PERIOD, 5, 3, 100.5, True),
        ("B", "R3", PERIOD, 4, 3, 50, True),      # 0.7 x 0.2 = 0.14: moderate
        ("B", "R4", PERIOD, 1, 1, None, True),    # 0.1 x 0.05: low, exposure unknown
        ("B", "R5", PERIOD, None, 5, None, False),
        ("B", "R6", "2026-10", 5, 5, 1000, True),  # another period: not counted
    ])
    con.execute("""CREATE TABLE marts.fct_risk_exposure (project_code VARCHAR, period VARCHAR, open_risks INTEGER,
                   exposure DECIMAL(38,6), bac DECIMAL(38,6))""")
    con.executemany("INSERT INTO marts.fct_risk_exposure VALUES (?, ?, ?, ?, ?)", [
        ("A", "2026-09", 1, 100, 10000), ("B", "2026-09", 2, None, 5000),   # B could not be converted
        ("A", "2026-10", 2, 400, 10000), ("B", "2026-10", 3, 200, 5000),
        ("A", PERIOD, 2, 1000.5, 10000), ("B", PERIOD, 4, 50, 5000),
        ("A", "2026-12", 9, 9999, 10000),                                    # after the pack's period
    ])
    return con


@pytest.mark.parametrize("pb, ib, zone", [(5, 3, "high"), (4, 3, "moderate"), (3, 4, "high"), (5, 1, "low"),
                                          (1, 5, "moderate"), (1, 4, "low"), (3, 2, "moderate"), (2, 2, "low"),
                                          (5, 5, "high"), (1, 1, "low")])
def test_cell_zones_follow_the_score_bounds(pb, ib, zone):
    """Score = probability weight x impact weight; high from 0.18, moderate from 0.05 (docs/risk-matrix.md)."""
    assert cell_zone(pb, ib) == zone


def test_the_heat_map_counts_the_periods_open_risks_per_cell():
    page = load_risk_matrix(_con(), PERIOD, "GBP")
    assert page is not None and not page.matrix_note
    assert [len(r) for r in page.rows] == [5] * 5
    top = page.rows[0]                                   # probability band 5, impact bands 1..5
    assert [c.risks for c in top] == [0, 0, 2, 0, 0]
    assert top[2].exposure == Decimal("1000.5") and top[2].zone == "high"
    assert page.rows[1][2].risks == 1 and page.rows[1][2].zone == "moderate"   # band 4
    assert page.rows[4][0].risks == 1 and page.rows[4][0].exposure is None      # band 1, exposure unknown
    assert (page.on_matrix, page.off_matrix) == (4, 1)
    assert page.zones == (("high", 2), ("moderate", 1), ("low", 1))


def test_exposure_over_time_sums_the_projects_and_leaves_a_gap_where_one_is_unknown():
    page = load_risk_matrix(_con(), PERIOD, "GBP")
    assert [(e.period, e.projects, e.open_risks, e.exposure) for e in page.exposures] == [
        ("2026-09", 2, 3, None), ("2026-10", 2, 5, Decimal("600")), (PERIOD, 2, 6, Decimal("1050.5"))]
    assert page.exposures[-1].exposure_pct_of_bac == pytest.approx(1050.5 / 15000 * 100)
    assert page.chart and page.chart.startswith("data:image/svg+xml")
    assert not page.exposure_note


def test_frozen_figures_of_one_period_give_no_trend_and_a_missing_mart_a_note():
    con = _con()
    con.execute("DELETE FROM marts.fct_risk_exposure WHERE period <> ?", [PERIOD])
    con.execute("DROP TABLE marts.fct_open_risks")
    page = load_risk_matrix(con, PERIOD, "GBP")
    assert page.rows == () and page.matrix_note == "The figures this pack is rendered from hold no marts.fct_open_risks."
    assert page.chart is None and len(page.exposures) == 1
    assert page.exposure_note.startswith(f"The figures hold the exposure of {PERIOD} only")
    con.execute("DROP TABLE marts.fct_risk_exposure")
    assert load_risk_matrix(con, PERIOD, "GBP") is None
