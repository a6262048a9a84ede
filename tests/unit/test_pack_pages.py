"""The portfolio pack's board pages (issue #11): contents, executive summary, RAG dashboard, completed this year.

The warehouse is test_reports' hand-worked one, reported for 2026-10 and 2026-11, with 2026-10 changed so that
some figures move, a risk mart, a benefits mart and two projects completed this year; every figure asserted
below is worked by hand from those rows.
"""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.reports import render_portfolio_pack, render_reported_pack
from orchestration.reports import render as R
from orchestration.reports.charts import sparkline_svg
from tests.unit.test_reports import build_serving

pypdf = pytest.importorskip("pypdf")

PERIOD = "2026-11"
PREVIOUS = "2026-10"
GENERATED = datetime(2026, 12, 3, 9, 15, tzinfo=UTC)

# 2026-10 as it differs from 2026-11 (which is test_reports' EV_ROWS):
#   P-RED CPI 0.95 -> 0.80 (-0.15), SPI(t) 0.90 -> 0.93 (+0.03), EAC 1,300,000 -> 1,543,209.8625 (+243,209.86)
#   P-AMB CPI 0.90 -> 100,000 / 108,000 = 0.9259 (+0.0259), SPI(t) unchanged 1.07, EAC 280,000 -> 270,000 (-10,000)
#   P-GRN unchanged; P-NUL and P-NEW have no CPI in either period.
PREVIOUS_EV = {"P-RED": (0.95, 0.90, "1300000"), "P-AMB": (0.90, 1.07, "280000")}
# Overall RAG in 2026-10: P-RED amber (red now), P-NUL not rated (green now); the rest as now.
PREVIOUS_OVERALL = {"P-RED": "amber", "P-NUL": None}

# fct_top_risks for the period: six ranked risks, of which the pack shows five.
TOP_RISKS = [
    (1, "P-RED", "R-1", "Supplier <insolvency>", "commercial", 0.5, "400000", "200000"),
    (2, "P-AMB", "R-7", "Key engineer leaves", "people", 0.6, "150000", "90000"),
    (3, "P-GRN", "R-3", "Fibre lead times", "supply", 0.25, "240000", "60000"),
    (4, "P-RED", "R-2", "Cooling capacity", "technical", 0.2, "250000", "50000"),
    (5, "P-NUL", "R-9", "Permit delay", "regulatory", 0.1, "300000", "30000"),
    (6, "P-AMB", "R-8", "Scope creep", "scope", 0.05, "200000", "10000"),
]

# fct_benefit_realisation: (benefit, period, category, monetary, dis-benefit, planned to date, realised to date).
# For 2026-11: net planned 100,000 - 20,000 = 80,000; realised 60,000 - 25,000 = 35,000; 35 / 80 = 43.75%.
BENEFITS = [
    ("B-1", PERIOD, "cost saving", True, False, "100000", "60000"),
    ("B-2", PERIOD, "operational cost", True, True, "20000", "25000"),
    ("B-3", PERIOD, "productivity", False, False, None, None),
    ("B-1", PREVIOUS, "cost saving", True, False, "90000", "50000"),
]

# fct_risk_themes: (portfolio, category, period, open, closed, raised, open exposure, mean open probability).
# supply over both portfolios: 4 open, 1 closed, 1 raised, exposure 70,000, probability (0.3 x 3 + 0.5 x 1) / 4
RISK_THEMES = [
    ("Infrastructure", "supply", PERIOD, 3, 1, 1, "60000", 0.3),
    ("Digital", "supply", PERIOD, 1, 0, 0, "10000", 0.5),
    ("Infrastructure", "technical", PERIOD, 2, 0, 1, "50000", 0.2),
    ("Infrastructure", "supply", PREVIOUS, 9, 0, 0, "1", 0.9),
]
# fct_risk_exposure: (project, open, unquantified, exposure, bac, exposure % of BAC)
RISK_EXPOSURE = [
    ("P-RED", 3, 1, "250000", "1234567.89", 20.25),
    ("P-GRN", 2, 0, "60000", "1000000", 6.0),
    ("P-AMB", 0, 0, "0", "250000", 0.0),
]


def build_board_serving(path: Path) -> Path:
    build_serving(path, periods_for_projects=(PREVIOUS, PERIOD))
    con = duckdb.connect(str(path))
    try:
        for code, (cpi, spi_t, eac) in PREVIOUS_EV.items():
            con.execute("UPDATE marts.fct_earned_value SET cpi = ?, spi_t = ?, eac_cpi = ? "
                        "WHERE project_code = ? AND period = ?", [cpi, spi_t, eac, code, PREVIOUS])
        for code, overall in PREVIOUS_OVERALL.items():
            con.execute("UPDATE marts.fct_project_status SET rag_overall = ? WHERE project_code = ? AND period = ?",
                        [overall, code, PREVIOUS])
        # Completed this year: P-DONE first reached its BAC in 2026-10 (its 2026-11 row is not its final one),
        # P-2025 in December 2025 (last year: not listed).
        con.execute("INSERT INTO marts.dim_project (project_code, project_name, programme, portfolio, currency, "
                    "status, planned_finish_date) VALUES "
                    "('P-DONE', 'Finished refit', 'Network', 'Infrastructure', 'GBP', 'closed', DATE '2026-08-15'), "
                    "('P-2025', 'Old upgrade', 'Network', 'Infrastructure', 'GBP', 'closed', DATE '2025-12-01')")
        for code, period, ac, cpi, vac, es, at in [
                ("P-DONE", "2026-09", 190000, 0.9, -20000, 7.0, 9),
                ("P-DONE", PREVIOUS, 210000, 200000 / 210000, -10000, 8.0, 10),
                ("P-DONE", PERIOD, 215000, 200000 / 215000, -15000, 8.0, 11),
                ("P-2025", "2025-12", 100, 1.0, 0, 5.0, 5)]:
            bac = 100 if code == "P-2025" else 200000
            con.execute('INSERT INTO marts.fct_earned_value (project_code, period, status_date, currency, bac, ev, '
                        'ac, cpi, spi_t, vac, es, "at", is_complete) VALUES (?, ?, NULL, \'GBP\', ?, ?, ?, ?, ?, ?, ?, '
                        '?, ?)', [code, period, bac, bac if period != "2026-09" else 180000, ac, cpi, es / at, vac,
                                  es, at, period != "2026-09"])
        con.execute("CREATE TABLE marts.fct_top_risks (project_code VARCHAR, risk_id VARCHAR, period VARCHAR, "
                    "exposure_rank INTEGER, title VARCHAR, category VARCHAR, probability DOUBLE, "
                    "impact_cost DECIMAL(38,6), exposure DECIMAL(38,6))")
        for rank, code, rid, title, category, p, impact, exposure in TOP_RISKS:
            con.execute("INSERT INTO marts.fct_top_risks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [code, rid, PERIOD, rank, title, category, p, impact, exposure])
        con.execute("CREATE TABLE marts.fct_risk_themes (portfolio VARCHAR, category VARCHAR, period VARCHAR, "
                    "open_risks INTEGER, closed_risks INTEGER, risks_raised_in_period INTEGER, "
                    "open_exposure DECIMAL(38,6), mean_open_probability DOUBLE)")
        con.executemany("INSERT INTO marts.fct_risk_themes VALUES (?, ?, ?, ?, ?, ?, ?, ?)", RISK_THEMES)
        con.execute("CREATE TABLE marts.fct_risk_exposure (project_code VARCHAR, period VARCHAR, open_risks INTEGER, "
                    "unquantified_open_risks INTEGER, exposure DECIMAL(38,6), bac DECIMAL(38,6), "
                    "exposure_pct_of_bac DOUBLE)")
        con.executemany("INSERT INTO marts.fct_risk_exposure VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(code, PERIOD, *rest) for code, *rest in RISK_EXPOSURE])
        con.execute("CREATE TABLE marts.fct_benefit_realisation (benefit_id VARCHAR, period VARCHAR, "
                    "project_code VARCHAR, benefit_name VARCHAR, category VARCHAR, is_monetary BOOLEAN, "
                    "is_disbenefit BOOLEAN, unit VARCHAR, planned_amount_to_date DECIMAL(38,6), "
                    "realised_amount_to_date DECIMAL(38,6), baseline_value DOUBLE, target_value DOUBLE, "
                    "planned_improvement_to_date DOUBLE, realised_improvement_to_date DOUBLE, "
                    "realisation_pct_to_date DOUBLE)")
        for bid, period, category, monetary, dis, planned, realised in BENEFITS:
            non_monetary = (16.0, 12.0, 3.0, 1.5, 50.0) if not monetary else (None,) * 5
            con.execute("INSERT INTO marts.fct_benefit_realisation VALUES (?, ?, 'P-GRN', ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?)", [bid, period, f"Benefit {bid}", category, monetary, dis,
                                           None if monetary else "incidents", planned, realised, *non_monetary])
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def serving(tmp_path_factory) -> Path:
    return build_board_serving(tmp_path_factory.mktemp("board") / "serving.duckdb")


@pytest.fixture(scope="module")
def pack(serving, tmp_path_factory) -> Path:
    return render_portfolio_pack(serving, PERIOD, tmp_path_factory.mktemp("out"), generated_at=GENERATED)


def pages_text(path: Path) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


def page(path: Path, heading: str) -> str:
    found = [p for p in pages_text(path) if heading in p]
    assert found, f"no page headed {heading!r}"
    return " ".join(found)


# ---------------------------------------------------------------------------------------------
# Executive summary
# ---------------------------------------------------------------------------------------------

def test_summary_totals_and_rag_counts(pack):
    text = page(pack, "Executive summary — November 2026")
    # fct_organisation_earned_value for 2026-11 (test_reports' ORGANISATION_ROWS): BAC 3,064,567.89,
    # EAC 3,442,531.26, VAC -377,963.37, AC 1,348,000
    assert "BAC EAC (CPI) VAC AC to date 3,064,568 3,442,531 -377,963 1,348,000" in text
    # overall RAG of the five active projects: red P-RED; amber P-GRN, P-AMB; green P-NUL; not rated P-NEW
    assert re.search(r"1 ?Red 2 ?Amber 1 ?Green 1 ?Not rated", text), text


def test_summary_what_moved(pack):
    text = page(pack, "Executive summary — November 2026")
    assert "What moved since October 2026" in text
    # overall RAG changes, the worst outcome first: P-RED amber -> red, P-NUL not rated -> green
    assert ("Overall RAG changed From To P-RED Data centre move Amber Red "
            "P-NUL Edge rollout (not started) n/a Green") in text
    # largest movements, signed: CPI P-RED 0.95 -> 0.80 (-0.15), P-AMB 0.90 -> 0.9259 (+0.03)
    assert "CPI Was Now Change P-RED 0.95 0.80 -0.15 P-AMB 0.90 0.93 +0.03 SPI(t)" in text
    # SPI(t): only P-RED moved (0.90 -> 0.93); P-AMB's 1.07 did not
    assert "SPI(t) Was Now Change P-RED 0.90 0.93 +0.03 EAC (CPI)" in text
    # EAC: P-RED 1,300,000 -> 1,543,209.86 (+243,209.86), P-AMB 280,000 -> 270,000 (-10,000)
    assert "EAC (CPI) Was Now Change P-RED 1,300,000 1,543,210 +243,210 P-AMB 280,000 270,000 -10,000" in text
    # P-DONE reported in both periods but no longer active: not a mover
    assert "P-DONE" not in text


def test_summary_movers_data(serving):
    con = duckdb.connect(str(serving), read_only=True)
    try:
        s = R.load_pack_data(con, PERIOD).summary
    finally:
        con.close()
    assert s.previous_period == PREVIOUS
    assert [(c.project_code, c.previous, c.current) for c in s.rag_changes] == \
        [("P-RED", "amber", "red"), ("P-NUL", "n/a", "green")]
    red = s.cpi_movers[0]
    assert red.project_code == "P-RED" and red.change == pytest.approx(0.8 - 0.95)
    assert [m.project_code for m in s.cpi_movers] == ["P-RED", "P-AMB"]
    assert s.eac_movers[0].change == R.Decimal("243209.8625")


def test_summary_lists_the_first_ten_rag_changes_and_counts_them_all():
    """At 2,000 projects hundreds change RAG in a month: the summary shows ten, those now red first, and counts
    the rest (worse, better, to or from not rated), so it stays on its page."""
    from orchestration.reports.pages import RAG_CHANGES_SHOWN, load_executive_summary

    moves = ([("amber", "red")] * 4 + [("green", "red")] * 3 + [("red", "amber")] * 5 + [("green", "amber")] * 2
             + [(None, "green")] * 3 + [("red", "green")] * 2)
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.fct_project_status (project_code VARCHAR, period VARCHAR, rag_overall VARCHAR, "
                    "overall_trend VARCHAR)")
        con.execute("CREATE TABLE marts.fct_earned_value (project_code VARCHAR, period VARCHAR, cpi DOUBLE, "
                    "spi_t DOUBLE, eac_cpi DECIMAL(18, 2))")
        for i, (was, now) in enumerate(moves + [("green", "green")] * 4):
            code = f"P-{i:02d}"
            rank = {"green": 1, "amber": 2, "red": 3}  # the mart's trend (macro rag_trend): None to or from n/a
            trend = None if was is None else {-1: "improved", 0: "same", 1: "worse"}[
                (rank[now] > rank[was]) - (rank[now] < rank[was])]
            con.execute("INSERT INTO marts.fct_project_status VALUES (?, ?, ?, NULL), (?, ?, ?, ?)",
                        [code, PREVIOUS, was, code, PERIOD, now, trend])
            con.execute("INSERT INTO marts.fct_earned_value VALUES (?, ?, 1, 1, 100), (?, ?, 1, 1, 100)",
                        [code, PREVIOUS, code, PERIOD])
        s = load_executive_summary(con, PERIOD, {f"P-{i:02d}": None for i in range(len(moves) + 4)})
    finally:
        con.close()
    assert RAG_CHANGES_SHOWN == 10 and s.rag_changes_total == len(moves) == 19
    assert (s.rag_worse, s.rag_better) == (4 + 3 + 2, 5 + 2)  # 3 from not rated are neither
    # now red first (from amber before from green), then amber (from red before from green), by code
    assert [(c.project_code, c.previous, c.current) for c in s.rag_changes] == (
        [(f"P-{i:02d}", "amber", "red") for i in range(4)] + [(f"P-{i:02d}", "green", "red") for i in range(4, 7)]
        + [(f"P-{i:02d}", "red", "amber") for i in range(7, 10)])


def test_a_large_organisation_gets_one_line_a_programme(tmp_path, monkeypatch):
    """Above PMO_PACK_PROJECT_ROWS active projects the dashboard and the earned-value table have one line a
    programme: its projects' ratings counted by colour, how many moved, and fct_programme_earned_value's roll-up."""
    serving = build_board_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(serving))
    try:
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac) VALUES ('Network', ?, DATE"
                    " '2026-11-30', 'GBP', 2, 1500000, 510000, 500000, 490000, 1.0204, 0.9804, 1470000, 30000)",
                    [PERIOD])
    finally:
        con.close()
    monkeypatch.setenv(R.PACK_PROJECT_ROWS_ENV, "4")  # the board has five active projects
    con = duckdb.connect(str(serving), read_only=True)
    try:
        data = R.load_pack_data(con, PERIOD)
    finally:
        con.close()
    rows = {r.programme: r for r in data.programme_rows}
    assert list(rows) == ["Customer", "Data centre", "Network"] and data.histories == {}  # no sparklines
    net = rows["Network"]  # P-GRN green, green, green, amber, amber (worse); P-NUL n/a, green, n/a, n/a, green
    assert (net.portfolio, net.projects, net.worse, net.improved) == ("Infrastructure", 2, 1, 0)
    assert net.rag["schedule"] == {"red": 0, "amber": 0, "green": 2, "n/a": 0}
    assert net.rag["overall"] == {"red": 0, "amber": 1, "green": 1, "n/a": 0}
    assert (net.bac, net.cpi, net.eac, net.vac) == (1500000, 1.0204, 1470000, 30000)
    assert rows["Customer"].rag["cost"] == {"red": 0, "amber": 1, "green": 0, "n/a": 1}  # P-AMB amber, P-NEW n/a
    assert rows["Customer"].improved == 1 and rows["Data centre"].bac is None  # no roll-up row: shown as —

    pdf = render_portfolio_pack(serving, PERIOD, tmp_path / "out", generated_at=GENERATED)
    dashboard = page(pdf, "RAG dashboard by programme — November 2026")
    # R A G for cost, schedule, benefits, risk, overall, then worse and better
    assert "Portfolio: Infrastructure Data centre 1 1 0 0 0 1 0 0 0 0 0 0 1 1 0 0 0 0" in dashboard
    assert "Network 2 0 0 1 0 0 2 0 0 1 0 1 0 0 1 1 1 0" in dashboard
    assert "5 active projects in 3 programmes: above 4 projects (PMO_PACK_PROJECT_ROWS)" in dashboard
    assert "P-RED" not in dashboard
    ev = page(pdf, "Programme earned value — November 2026")
    assert "Network 2 1,500,000 1.02 0.98 1,470,000 30,000" in ev and "Data centre 1 — — — — —" in ev
    contents = pages_text(pdf)[1]
    assert "RAG dashboard by programme" in contents and "Programme earned value" in contents

    monkeypatch.setenv(R.PACK_PROJECT_ROWS_ENV, "many")
    with pytest.raises(ValueError, match="PMO_PACK_PROJECT_ROWS='many' is not a whole number"):
        R.pack_project_rows_limit()


def test_summary_top_risks_and_benefits(pack):
    text = page(pack, "Executive summary — November 2026")
    assert ("1 P-RED Supplier <insolvency> (commercial) 50% 400,000 200,000 "
            "2 P-AMB Key engineer leaves (people) 60% 150,000 90,000") in text
    assert "5 P-NUL Permit delay (regulatory) 10% 300,000 30,000" in text
    assert "Scope creep" not in text  # the sixth
    # net monetary benefits to 2026-11: planned 100,000 - 20,000; realised 60,000 - 25,000; 35 / 80
    assert "Planned to date 80,000 Realised to date 35,000 Realised of planned 43.8%" in text
    assert "1 benefit less 1 dis-benefit; 1 non-monetary not counted" in text


def test_summary_without_risk_and_benefit_marts(tmp_path):
    """A warehouse (or frozen period) without those marts gets a note, not an error."""
    path = build_serving(tmp_path / "serving.duckdb")
    text = page(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED),
                "Executive summary — November 2026")
    assert "The figures this pack is rendered from hold no marts.fct_top_risks." in text
    assert "The figures this pack is rendered from hold no marts.fct_benefit_realisation." in text
    assert "No earlier period in the earned-value mart" not in text  # P-OLD's 2026-09 is earlier
    assert "No active project's overall RAG changed." in text


def test_summary_with_a_mart_lacking_columns(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE marts.fct_top_risks (project_code VARCHAR, period VARCHAR, exposure DOUBLE)")
    finally:
        con.close()
    text = page(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED), "Executive summary —")
    assert "marts.fct_top_risks in these figures lacks exposure_rank, title, category, probability, impact_cost." in text


def test_summary_top_risks_of_another_period(serving, tmp_path):
    out = render_portfolio_pack(serving, "2026-12", tmp_path, generated_at=GENERATED)
    note = "marts.fct_top_risks holds no risks for this period (it is built for the reporting period, 2026-11)"
    assert note in page(out, "Executive summary —") and note in page(out, "Risks — December 2026")


# ---------------------------------------------------------------------------------------------
# RAG dashboard
# ---------------------------------------------------------------------------------------------

def test_dashboard_rows(pack):
    text = page(pack, "RAG dashboard — November 2026")
    # cost, schedule, benefits, risk, overall, trend, then this period's CPI and SPI(t) beside the sparklines
    assert "P-AMB Customer portal Amber Amber Green Green Amber ↑ improved 0.93 1.07" in text
    assert "P-RED Data centre move Red Amber n/a Green Red = same 0.80 0.93" in text
    assert "P-GRN Fibre & <Core> upgrade Green Green Green Amber Amber ↓ worse 1.02 0.98" in text
    assert "P-NUL Edge rollout (not started) n/a Green n/a n/a Green — — 1.00" in text
    assert "P-NEW Mobile app n/a n/a n/a n/a n/a — — —" in text
    assert "P-OLD" not in text and "P-DONE" not in text


def test_dashboard_sparklines(serving):
    con = duckdb.connect(str(serving), read_only=True)
    try:
        data = R.load_pack_data(con, PERIOD)
    finally:
        con.close()
    red = data.histories["P-RED"]
    assert red.periods == (PREVIOUS, PERIOD) and red.cpi == (0.95, 0.8) and red.spi_t == (0.9, 0.93)
    assert red.cpi_spark.startswith("data:image/svg+xml;base64,")
    assert set(data.histories) == {"P-GRN", "P-RED", "P-NUL", "P-AMB", "P-NEW"}
    html = R.build_html(data, GENERATED)
    assert html.count('alt="CPI by period"') == 5 and html.count('alt="SPI(t) by period"') == 5


def test_sparkline_geometry():
    # 64 x 16, 2 px margins; scale 0.8 (y 14) to 1.0 (y 2, the reference line); x at 2, 22, 42, 62
    svg = sparkline_svg([1.0, None, 0.9, 0.8])
    assert '<line x1="0" y1="2.0" x2="64" y2="2.0"' in svg                 # 1.00, dotted
    assert '<circle cx="2.0" cy="2.0" r="1"' in svg                          # a value between gaps
    assert '<polyline points="42.0,8.0 62.0,14.0"' in svg                   # 0.9, 0.8
    assert '<circle cx="62.0" cy="14.0" r="1.6"' in svg                      # this period
    assert "<polyline" not in sparkline_svg([None, None]) and sparkline_svg([]).endswith("</svg>")


def test_sparklines_are_cheap(serving):
    """Hand-built SVG, not a matplotlib figure per row: a thousand take well under a second."""
    import time

    start = time.perf_counter()
    for i in range(1000):
        sparkline_svg([1.0, 0.9 + i / 10000, None, 1.1, 0.95, 1.02])
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------------------------------------
# Completed this year
# ---------------------------------------------------------------------------------------------

def test_completed_this_year(pack):
    text = page(pack, "Completed this year — January to November 2026")
    # P-DONE's figures in 2026-10, the period its EV first reached BAC: AC 210,000, CPI 200,000 / 210,000 = 0.95,
    # SPI(t) 8 / 10 = 0.80, VAC -10,000; planned finish 2026-08-15, so 2 months late; SV(t) = 8 - 10
    assert "P-DONE Finished refit Infrastructure 2026-10 200,000 210,000 0.95 0.80 -10,000 2026-08-15 2 -2.00" in text
    assert "P-2025" not in text  # completed last year


def test_completed_months_after_baseline():
    from orchestration.reports.pages import CompletedRow

    row = CompletedRow("P", None, None, "2027-01", None, None, None, None, None, None, R.date(2026, 11, 30))
    assert row.months_after_baseline == 2
    assert CompletedRow("P", None, None, "2026-10", None, None, None, None, None, None,
                        R.date(2026, 12, 1)).months_after_baseline == -2


# ---------------------------------------------------------------------------------------------
# Benefits
# ---------------------------------------------------------------------------------------------

def test_benefits_page(pack):
    text = page(pack, "Benefits — planned against realised to November 2026")
    # by category, net (a dis-benefit's amounts negative): 60,000 / 100,000; -25,000 / -20,000; total 35 / 80
    assert "cost saving Benefit 1 100,000 60,000 60%" in text
    assert "operational cost Dis-benefit 1 -20,000 -25,000 125%" in text
    assert "Net 80,000 35,000 43.8%" in text
    # the non-monetary benefit: baseline 16 to target 12 incidents, 3.0 planned to date, 1.5 realised (50%)
    assert "P-GRN Benefit B-3 incidents 16.0 12.0 3.0 1.5 50%" in text


def test_no_benefits_page_without_the_mart(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    pages = pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    assert not any("Benefits — planned against realised" in p for p in pages)
    assert "Benefits" not in pages[1]  # nor a contents entry


# ---------------------------------------------------------------------------------------------
# Risks
# ---------------------------------------------------------------------------------------------

def test_risks_page(pack):
    text = page(pack, "Risks — November 2026")
    # category x portfolio (Digital, Infrastructure), then open, the change since the previous period the
    # themes hold (supply: 9 open at 2026-10, 4 now; technical none then), raised, closed, mean probability,
    # exposure
    assert ("Category Digital Infrastructure Open Change since 2026-10 Raised in 2026-11 Closed Mean probability "
            "Open exposure") in text
    assert "supply 1 3 4 -5 1 1 35% 70,000 technical 0 2 2 +2 1 0 20% 50,000" in text
    # all six top risks, and the projects with an open risk by exposure % of BAC (P-AMB has none)
    assert "6 P-AMB Scope creep (scope) 5% 200,000 10,000" in text
    assert ("P-RED Data centre move 3 (1 unquantified) 250,000 20.3% "
            "P-GRN Fibre & <Core> upgrade 2 60,000 6.0%") in text
    assert "P-AMB Customer portal 0" not in text


def test_risk_heat_shades():
    from orchestration.reports.pages import RisksPage

    k = RisksPage(max_cell=8)
    assert [k.heat(n) for n in (0, 1, 2, 3, 4, 8)] == [0, 1, 1, 2, 2, 4]


def test_many_portfolios_turn_the_risk_grid_into_rows(tmp_path):
    """Up to six portfolios are columns of the category table; with more (200 at 2,000 projects) the columns
    would run off the page, so the counts become a portfolio x category table, one row a portfolio."""
    from orchestration.reports.pages import RisksPage, RiskTheme

    themes = (RiskTheme("cost", 9, 0, 0, None, None, (1, 0, 2, 0, 3, 0, 3)),
              RiskTheme("schedule", 4, 0, 0, None, None, (0, 1, 0, 1, 0, 1, 1)))
    k = RisksPage(portfolios=tuple(f"P{i}" for i in range(7)), themes=themes, max_cell=3)
    assert k.portfolios_as_rows and not RisksPage(portfolios=("A",) * 6).portfolios_as_rows
    assert k.by_portfolio_rows()[:3] == [("P0", (1, 0), 1), ("P1", (0, 1), 1), ("P2", (2, 0), 2)]
    assert k.by_portfolio_rows()[-1] == ("P6", (3, 1), 4)

    serving = build_board_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(serving))  # the board's two portfolios become seven
    try:
        con.execute("INSERT INTO marts.fct_risk_themes SELECT r.* REPLACE ('Portfolio ' || n AS portfolio) "
                    "FROM marts.fct_risk_themes AS r, range(5) AS t(n) WHERE portfolio = 'Digital'")
    finally:
        con.close()
    text = page(render_portfolio_pack(serving, PERIOD, tmp_path / "out", generated_at=GENERATED),
                "Risks — November 2026")
    assert "Open risks by category Category Open Change since 2026-10" in text
    assert "Open risks by portfolio and category Portfolio supply technical Open" in text
    assert "Portfolio 0 1 0 1 " in text and "Digital 1 0 1 " in text and "Infrastructure 3 2 5" in text


def test_no_risks_page_without_the_marts(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    pages = pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    assert not any("Risks — November 2026" in p for p in pages)


# ---------------------------------------------------------------------------------------------
# Contents and bookmarks
# ---------------------------------------------------------------------------------------------

def test_contents_page_lists_the_pages_with_their_numbers(pack):
    contents = pages_text(pack)[1].split("Contents", 1)[1]
    entries = re.findall(r"([A-Z][A-Za-z -]+?)\.{3,} ?(\d+)", contents)
    assert [(t.strip(), int(n)) for t, n in entries] == [
        ("Executive summary", 3), ("RAG dashboard", 4), ("Project earned value", 5),
        ("Portfolio S-curve and totals", 6), ("Completed this year", 7), ("Benefits", 8), ("Risks", 9),
        ("Risk heat map and exposure", 10), ("Balanced scorecard", 11)]
    texts = pages_text(pack)
    assert "Executive summary — November 2026" in texts[2]
    assert "RAG dashboard — November 2026" in texts[3]
    assert "Completed this year —" in texts[6]


def test_contents_links_and_bookmarks(pack):
    reader = pypdf.PdfReader(io.BytesIO(pack.read_bytes()))
    links = [a.get_object() for a in reader.pages[1].get("/Annots", [])]
    # internal links (WeasyPrint marks each box of an entry: title, leader and page number)
    assert sorted({str(a["/Dest"]) for a in links if a.get("/Subtype") == "/Link"}) == \
        ["benefits", "completed", "dashboard", "project-ev", "risk-matrix", "risks", "s-curve", "scorecard",
         "summary"]
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    flat = [o.title for o in _walk(reader.outline)]
    assert "Portfolio pack" in titles
    for heading in ("Contents", "Executive summary — November 2026", "RAG dashboard — November 2026",
                    "Completed this year — January to November 2026"):
        assert heading in flat
    assert "November 2026" not in flat  # the cover's period line is not a bookmark


def test_pack_data_without_a_summary_renders_without_its_page(serving):
    """PackData built by other code (no executive summary loaded) still renders; the contents leave the page out."""
    import dataclasses

    con = duckdb.connect(str(serving), read_only=True)
    try:
        data = dataclasses.replace(R.load_pack_data(con, PERIOD), summary=None)
    finally:
        con.close()
    html = R.build_html(data, GENERATED)
    assert 'id="summary"' not in html and 'href="#summary"' not in html
    assert 'href="#dashboard"' in html


def _walk(outline):
    for item in outline:
        if isinstance(item, list):
            yield from _walk(item)
        else:
            yield item


# ---------------------------------------------------------------------------------------------
# A closed period: the pages from its frozen figures
# ---------------------------------------------------------------------------------------------

def test_reported_pack_shows_the_same_board_pages(serving, pack, tmp_path):
    from orchestration.pipeline import reported as RP

    home = tmp_path / "home"
    RP.record_reported(home, serving, PERIOD, "run-0001")
    rp = RP.close_period(home, PERIOD)
    again = render_reported_pack(home, rp, tmp_path / "out", generated_at=GENERATED)
    for heading in ("Executive summary —", "RAG dashboard —", "Completed this year —", "Benefits —",
                    "Risks —"):
        assert page(again, heading) == page(pack, heading)


def test_reported_pack_frozen_before_the_risk_and_benefit_marts(serving, tmp_path, monkeypatch):
    from orchestration.pipeline import reported as RP

    old = {t: c for t, c in RP.FROZEN_MARTS.items() if t not in ("fct_top_risks", "fct_benefit_realisation")}
    monkeypatch.setattr(RP, "FROZEN_MARTS", old)
    home = tmp_path / "home"
    RP.record_reported(home, serving, PERIOD, "run-0001")
    rp = RP.close_period(home, PERIOD)
    monkeypatch.undo()
    out = render_reported_pack(home, rp, tmp_path / "out", generated_at=GENERATED)
    text = page(out, "Executive summary —")
    assert "hold no marts.fct_top_risks" in text and "hold no marts.fct_benefit_realisation" in text
    assert "CPI Was Now Change P-RED 0.95 0.80 -0.15" in text
    # the risks page keeps the themes and exposures frozen, and says the top risks are not
    risks = page(out, "Risks — November 2026")
    assert "supply 1 3 4 -5 1 1 35% 70,000" in risks  # the themes are frozen with their history
    assert "The figures this pack is rendered from hold no marts.fct_top_risks." in risks
    assert not any("Benefits — planned against realised" in p for p in pages_text(out))
