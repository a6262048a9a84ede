"""Quality beside cost and schedule in the documents (issue #15): the portfolio pack's RAG tables and quality
page, the balanced scorecard, and the project report's quality section and narrative, on hand-made rows."""
from __future__ import annotations


import duckdb

from orchestration.reports import render_portfolio_pack
from orchestration.reports.period import render_period_reports
from orchestration.reports.project import narrate, read_rules
from tests.unit import test_project_reports as PR
from tests.unit.test_reports import GENERATED, PERIOD, build_serving, pdf_pages_text

QUALITY_COLUMNS = ("project_code VARCHAR, period VARCHAR, has_quality_data BOOLEAN, open_defects INTEGER,"
                   " open_critical_defects INTEGER, open_major_defects INTEGER, open_minor_defects INTEGER,"
                   " defects_found INTEGER, defects_fixed INTEGER, reopened_defects INTEGER,"
                   " defect_escape_rate_pct DOUBLE, mean_open_critical_age_days DOUBLE, reviews_held INTEGER,"
                   " reviews_failed INTEGER, first_time_pass_rate_pct DOUBLE, open_nonconformances INTEGER,"
                   " rework_cost_pct_of_ac DOUBLE")


def test_narrative_names_each_quality_measure_past_its_band():
    """PMO-RAG-2: an escape rate of 20 % is past the red 15 % by 5 points, a first-time pass rate of 80 % is amber
    (75 to below 90), 0 open critical defects is green and not narrated; since when follows each measure."""
    rules = read_rules("PMO-RAG-2")
    history = [{"period": "2026-10", "rag_quality": "red", "defect_escape_rate_pct": 18.0,
                "first_time_pass_rate_pct": 95.0, "open_critical_defects": 0}]
    status = {"period": PERIOD, "rag_cost": "green", "rag_quality": "red", "defect_escape_rate_pct": 20.0,
              "first_time_pass_rate_pct": 80.0, "open_critical_defects": 0}
    lines = narrate(status, history + [status], rules, "PMO-RAG-2", "2026-10")
    texts = [n.text for n in lines]
    assert len(lines) == 2
    assert texts[0].startswith("Quality: Defect escape rate 20.0 % is above the red threshold 15 % by 5.0 "
                               "percentage points (rule PMO-RAG-2:")
    assert texts[0].endswith("since 2026-10 (2 periods).")
    assert texts[1].startswith("Quality: First-time pass rate 80.0 % is below the amber threshold 90 % by 10.0 "
                               "percentage points")
    assert texts[1].endswith("in 2026-11 (this period only so far).")


def _with_quality(path):
    con = duckdb.connect(str(path))
    try:
        con.execute("ALTER TABLE marts.fct_project_status ADD COLUMN rag_quality VARCHAR")
        con.execute("UPDATE marts.fct_project_status SET rag_quality = CASE project_code WHEN 'P-GRN' THEN 'red' "
                    "WHEN 'P-AMB' THEN 'green' END WHERE period = ?", [PERIOD])
        con.execute(f"CREATE TABLE marts.fct_project_quality ({QUALITY_COLUMNS})")
        con.execute("INSERT INTO marts.fct_project_quality VALUES "
                    "('P-GRN', ?, true, 9, 4, 3, 2, 5, 2, 1, 40.0, 21.5, 2, 1, 50.0, 3, 2.5),"
                    "('P-AMB', ?, true, 1, 0, 1, 0, 1, 1, 0, 0.0, NULL, 1, 0, 100.0, 0, NULL)", [PERIOD, PERIOD])
        rollup = ("rollup_level VARCHAR, rollup_name VARCHAR, period VARCHAR, projects_with_quality_data INTEGER, "
                  "open_defects INTEGER, open_critical_defects INTEGER, defects_found INTEGER, defects_fixed INTEGER, "
                  "defect_escape_rate_pct DOUBLE, first_time_pass_rate_pct DOUBLE, reviews_held INTEGER, "
                  "reviews_failed INTEGER, open_nonconformances INTEGER, rework_cost_pct_of_ac DOUBLE")
        con.execute(f"CREATE TABLE marts.fct_quality_rollup ({rollup})")
        # organisation: the two projects' counts summed; escape 2 of 5 known-origin = 40.0 %, 3 of 4 = 75.0 %
        con.execute("INSERT INTO marts.fct_quality_rollup VALUES "
                    "('organisation', 'All portfolios', ?, 2, 10, 4, 6, 3, 40.0, 75.0, 3, 1, 3, 1.9),"
                    "('organisation', 'All portfolios', '2026-10', 2, 8, 2, 4, 2, 25.0, 80.0, 2, 0, 2, 1.5),"
                    "('portfolio', 'Infrastructure', ?, 1, 9, 4, 5, 2, 40.0, 50.0, 2, 1, 3, 2.5)", [PERIOD, PERIOD])
    finally:
        con.close()
    return path


def test_pack_shows_quality_beside_cost_and_schedule(tmp_path):
    path = _with_quality(build_serving(tmp_path / "serving.duckdb"))
    pages = [" ".join(p.split()) for p in pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out",
                                                                               generated_at=GENERATED))]
    dashboard = next(p for p in pages if "RAG dashboard — November 2026" in p)
    assert "Cost Schedule Quality Benefits Risk Overall" in dashboard
    quality = next(p for p in pages if "Quality — November 2026" in p)
    assert "All portfolios 2 10 4 6 3 40.0 % 75.0 % 3 / 1 3 1.9 %" in quality
    assert "Infrastructure 1 9 4 5 2 40.0 % 50.0 % 2 / 1 3 2.5 %" in quality
    assert "Escape rate 25.0 % 40.0 %" in quality  # the trend, October then November
    assert "P-GRN Fibre & <Core> upgrade Red 4 40.0 % 50.0 % 3 2.5 %" in quality
    assert "P-AMB" not in quality.split("Projects rated red or amber")[1]  # green on quality
    scorecard = next(p for p in pages if "Balanced scorecard — November 2026" in p)
    assert "First-time pass rate of reviews and acceptance tests 75.0 % 80.0 % worse" in scorecard
    assert "Defect escape rate 40.0 % 25.0 % worse" in scorecard


def test_project_report_has_quality_rating_section_and_narrative(tmp_path):
    path = PR.build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        for col, kind in (("rag_quality", "VARCHAR"), ("defect_escape_rate_pct", "DOUBLE"),
                          ("first_time_pass_rate_pct", "DOUBLE"), ("open_critical_defects", "INTEGER")):
            con.execute(f"ALTER TABLE marts.fct_project_status ADD COLUMN {col} {kind}")
        con.execute("UPDATE marts.fct_project_status SET rule_version = 'PMO-RAG-2'")
        con.execute("UPDATE marts.fct_project_status SET rag_quality = 'red', defect_escape_rate_pct = 40.0, "
                    "first_time_pass_rate_pct = 50.0, open_critical_defects = 4 "
                    "WHERE project_code = 'P-LONG' AND period = ?", [PERIOD])
        con.execute(f"CREATE TABLE marts.fct_project_quality ({QUALITY_COLUMNS})")
        con.execute("INSERT INTO marts.fct_project_quality VALUES "
                    "('P-LONG', ?, true, 9, 4, 3, 2, 5, 2, 1, 40.0, 21.5, 2, 1, 50.0, 3, 2.5)", [PERIOD])
    finally:
        con.close()
    out = tmp_path / "reports" / PERIOD
    render_period_reports(PERIOD, out, serving=path, pack=False, generated_at=GENERATED)
    text = PR.pdf_text(out / "projects" / "P-LONG.pdf")
    assert "Cost Schedule Quality Benefits Risk Overall" in text
    assert "Open defects 9 of which critical / major / minor 4 / 3 / 2" in text
    assert "Defect escape rate, to date 40.0 % Mean age of open critical defects 22 days" in text
    assert "First-time pass rate, to date 50.0 % Reviews held / failed in the period 2 / 1" in text
    assert ("Quality: Defect escape rate 40.0 % is above the red threshold 15 % by 25.0 percentage points"
            in text)
    assert "Quality: Open critical defects 4 is above the red threshold 2 by 2" in text
    # a project without a quality row: the section says so, it is never shown green
    other = PR.pdf_text(out / "projects" / "P-HTML.pdf")
    assert "no defects or reviews are recorded, so quality is not rated" in other
