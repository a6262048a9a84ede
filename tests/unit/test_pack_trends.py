"""The trends page (orchestration/reports/trends.py, issue #11): the organisation's EAC with its range and its
CPI and SPI by period, drawn from the marts' rows as vector, greyscale-safe charts."""
from __future__ import annotations

import base64
import re
from decimal import Decimal

import duckdb

from orchestration.reports import render_portfolio_pack
from orchestration.reports.charts import EacPoint, eac_trend_svg
from orchestration.reports.trends import load_trends
from tests.unit.test_reports import GENERATED, PERIOD, build_serving, pdf_pages_text


def _with_history(path):
    """October for the organisation (CPI 0.80, SPI 0.90) beside the hand-worked November, and a range for
    November only."""
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO marts.fct_organisation_earned_value (organisation, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac) VALUES ('All portfolios', '2026-10',"
                    " DATE '2026-10-31', 'GBP', 5, 3000000, 1000000, 900000, 1125000, 0.8, 0.9, 3750000, -750000)")
        con.execute("CREATE TABLE marts.fct_forecast_range_rollup (rollup_level VARCHAR, rollup_name VARCHAR,"
                    " period VARCHAR, project_count INTEGER, projects_with_range INTEGER,"
                    " eac_point_sum DECIMAL(38,6), eac_p10 DECIMAL(38,6), eac_p50 DECIMAL(38,6), eac_p90 DECIMAL(38,6))")
        con.execute("INSERT INTO marts.fct_forecast_range_rollup VALUES ('organisation', 'All portfolios', ?, 5, 5,"
                    " 3442531.26, 3301004.5, 3439980.49, 3612577.51)", [PERIOD])
    finally:
        con.close()
    return path


def test_trends_page_reads_the_organisation_history(tmp_path):
    path = _with_history(build_serving(tmp_path / "serving.duckdb"))
    con = duckdb.connect(str(path), read_only=True)
    try:
        page = load_trends(con, PERIOD, "GBP")
        assert load_trends(con, "2026-10", "GBP") is None  # one period: no trend to draw
    finally:
        con.close()
    assert (page.first_period, page.periods, page.with_range) == ("2026-10", 2, 1)
    svg = base64.b64decode(page.index_chart.split(",", 1)[1]).decode()
    assert "<path" in svg and "<image" not in svg  # vector
    text = " ".join(" ".join(pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out",
                                                                   generated_at=GENERATED))).split())
    assert "Trends, 2026-10 to November 2026" in text
    assert "1 of 2 periods have one" in text


def test_eac_chart_band_spans_p10_to_p90():
    """The band is a filled polygon between P10 and P90; a period without a range leaves a gap (NaN)."""
    svg = eac_trend_svg([EacPoint("2026-09", 100, None, None, 90), EacPoint("2026-10", 110, 100, 130, 90),
                         EacPoint("2026-11", 120, 105, 140, 90)], "GBP")
    # labels as SVG text in the documents' font (cheaper for WeasyPrint than glyph outlines)
    assert re.search(r'<text [^>]*font-family="&quot;DejaVu Sans&quot;"[^>]*>2026-11</text>', svg)
    assert re.search(r'<path [^>]*fill="#bbbbbb"', svg)  # the grey band
    # Decimals (as the marts give them) draw like floats
    decimal = eac_trend_svg([EacPoint("2026-11", Decimal("120"), Decimal("105"), Decimal("140"), Decimal("90"))],
                            "GBP")
    assert decimal == eac_trend_svg([EacPoint("2026-11", 120.0, 105.0, 140.0, 90.0)], "GBP")


def test_a_programme_pack_names_its_trends_the_programmes(tmp_path):
    """In a programme pack the trends are the programme's roll-up (orchestration/reports/scope.py), and the
    page says so instead of calling them all portfolios'."""
    from orchestration.reports.render import render_programme_pack

    path = _with_history(build_serving(tmp_path / "serving.duckdb"))
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac) VALUES"
                    " ('Network', '2026-10', DATE '2026-10-31', 'GBP', 2, 1500000, 400000, 380000, 400000, 0.95,"
                    " 0.95, 1578947.37, -78947.37),"
                    " ('Network', '2026-11', DATE '2026-11-30', 'GBP', 2, 1500000, 510000, 500000, 490000,"
                    " 1.0204, 0.9804, 1470000, 30000)")
    finally:
        con.close()
    pdf = render_programme_pack(PERIOD, "Network", tmp_path / "out", serving_path=path, generated_at=GENERATED)
    pages = [" ".join(p.split()) for p in pdf_pages_text(pdf)]
    # the index chart's caption stays on the page of its chart and heading
    caption = next(p for p in pages if "Cumulative indices of the programme's projects together" in p)
    assert "CPI and SPI by period" in caption
    text = " ".join(pages)
    assert "Trends, 2026-10 to November 2026" in text
    assert "EAC (CPI) of the programme's projects together at the end of each period" in text
    assert "all portfolios" not in text
