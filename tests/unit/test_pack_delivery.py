"""The portfolio pack's delivery and prioritisation pages (orchestration/reports/delivery.py, issue #11), on the
hand-made warehouse of test_reports.py plus delivery marts whose rows are written here."""
from __future__ import annotations

import duckdb

from orchestration.reports import render_portfolio_pack
from orchestration.reports.delivery import read_criteria
from tests.unit.test_reports import GENERATED, PERIOD, build_serving, pdf_pages_text

DDL = (
    "CREATE TABLE marts.fct_milestone_slippage (project_code VARCHAR, task_code VARCHAR, period VARCHAR,"
    " task_name VARCHAR, baseline_finish DATE, forecast_finish DATE, actual_finish DATE, expected_finish DATE,"
    " slip_days INTEGER, is_achieved BOOLEAN, milestone_status VARCHAR)",
    "CREATE TABLE marts.fct_dependency_status (dependency_id VARCHAR, period VARCHAR, provider_project_code VARCHAR,"
    " provider_task_code VARCHAR, receiver_project_code VARCHAR, receiver_task_code VARCHAR, needed_by_date DATE,"
    " provider_expected_finish DATE, delivery_slip_days INTEGER, is_provider_late BOOLEAN, is_provider_red BOOLEAN,"
    " is_at_risk BOOLEAN)",
    "CREATE TABLE marts.fct_team_utilisation (group_type VARCHAR, group_name VARCHAR, period VARCHAR,"
    " people_with_capacity INTEGER, available_hours DOUBLE, approved_hours DOUBLE, utilisation_pct DOUBLE,"
    " over_allocated_people INTEGER)",
    "CREATE TABLE marts.fct_project_prioritisation (project_code VARCHAR, project_name VARCHAR, programme VARCHAR,"
    " status VARCHAR, criteria_weighted INTEGER, criteria_scored INTEGER, weighted_score DOUBLE,"
    " priority_rank INTEGER)",
)


def _with_delivery(path, *, milestone_period=PERIOD):
    con = duckdb.connect(str(path))
    try:
        for ddl in DDL:
            con.execute(ddl)
        con.execute("INSERT INTO marts.fct_milestone_slippage VALUES "
                    "('P-RED', 'M1', ?, 'Go-live', DATE '2027-01-10', DATE '2027-03-01', NULL, DATE '2027-03-01',"
                    " 50, false, 'forecast_late'),"
                    "('P-AMB', 'M2', ?, 'Design <signed>', DATE '2026-11-01', NULL, NULL, DATE '2026-11-01',"
                    " 29, false, 'overdue'),"
                    "('P-GRN', 'M3', ?, 'Pilot', DATE '2027-01-20', DATE '2027-01-18', NULL, DATE '2027-01-18',"
                    " -2, false, 'on_track'),"
                    "('P-GRN', 'M4', ?, 'Far away', DATE '2027-06-20', DATE '2027-06-20', NULL, DATE '2027-06-20',"
                    " 0, false, 'on_track')", [milestone_period] * 4)
        con.execute("INSERT INTO marts.fct_dependency_status VALUES "
                    "('D-1', ?, 'P-RED', 'T9', 'P-GRN', 'T1', DATE '2027-01-15', DATE '2027-03-01', 45, true, true, true),"
                    "('D-2', ?, 'P-GRN', NULL, 'P-AMB', NULL, DATE '2027-02-01', DATE '2027-01-20', -12, false, false,"
                    " false)", [PERIOD, PERIOD])
        con.execute("INSERT INTO marts.fct_team_utilisation VALUES "
                    "('team', 'Engineering', ?, 10, 1600, 1500, 93.75, 3), ('role', 'tester', ?, 2, 320, 100, 31.25, 0)",
                    [PERIOD, PERIOD])
        con.execute("INSERT INTO marts.fct_project_prioritisation VALUES "
                    "('P-GRN', 'Customer portal', 'Digital', 'active', 3, 3, 4.3, 1),"
                    "('P-RED', 'Data centre move', 'Network', 'active', 3, 2, 3.5, 2),"
                    "('P-NEW', 'Idea', NULL, 'proposed', 3, 0, NULL, NULL)")
    finally:
        con.close()
    return path


def _page(tmp_path, title: str, **kw) -> str:
    path = _with_delivery(build_serving(tmp_path / "serving.duckdb"), **kw)
    pages = pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    return " ".join(next(p for p in pages if title in p).split())


def test_delivery_page(tmp_path):
    page = _page(tmp_path, "Delivery — November 2026")
    # slipped: overdue and forecast late, the largest slip first; names printed as text
    assert ("P-RED Go-live (M1) 2027-01-10 2027-03-01 50 forecast late "
            "P-AMB Design <signed> (M2) 2026-11-01 2026-11-01 29 overdue") in page
    # upcoming: not achieved, expected within 90 days of 2026-11-30 (to 2027-02-28), the soonest first
    assert "Upcoming milestones, to 2027-02-28" in page
    upcoming = page.split("Upcoming milestones")[1].split("Dependencies at risk")[0]
    assert "P-GRN Pilot (M3) 2027-01-20 2027-01-18 -2 on track" in upcoming
    assert "P-RED" not in upcoming and "Far away" not in page  # expected 2027-03-01 and 2027-06-20: later
    # the at-risk dependency with why; D-2 is not at risk
    assert ("D-1 P-RED / T9 P-GRN / T1 2027-01-15 2027-03-01 45 provider forecast after the date needed; "
            "provider rated red") in page
    assert "1 of 2 dependencies at risk" in page and "D-2" not in page
    # teams and roles, never people; over-allocation in words
    assert "team Engineering 10 1,600 1,500 93.8 % 3 over" in page
    assert "role tester 2 320 100 31.2 % 0" in page


def test_a_mart_built_for_another_period_says_so(tmp_path):
    page = _page(tmp_path, "Delivery — November 2026", milestone_period="2026-12")
    assert "marts.fct_milestone_slippage holds 2026-12 only (it is built for a run's reporting period), not 2026-11." \
        in page


def test_prioritisation_page(tmp_path):
    page = _page(tmp_path, "Each project's weighted score")
    weights = {c.criterion: c.weight for c in read_criteria()}
    assert weights == {"strategic_fit": 0.5, "financial_value": 0.3, "risk_reduction": 0.2}
    assert "strategic fit 0.50" in page and "financial value 0.30" in page and "risk reduction 0.20" in page
    assert ("1 P-GRN Customer portal Digital active 4.30 3 of 3 "
            "2 P-RED Data centre move Network active 3.50 2 of 3 (partial)") in page
    assert "1 project(s) have no score and no rank." in page and "P-NEW" not in page


def test_no_delivery_or_prioritisation_page_without_the_marts(tmp_path):
    pages = pdf_pages_text(render_portfolio_pack(build_serving(tmp_path / "serving.duckdb"), PERIOD,
                                                 tmp_path / "out", generated_at=GENERATED))
    assert not any("Delivery —" in p or "Prioritisation" in p for p in pages)
