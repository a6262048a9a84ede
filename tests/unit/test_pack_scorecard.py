"""The balanced scorecard page (orchestration/reports/scorecard.py, issue #11): measures worked from sums of
hand-made mart rows, the trend against the previous period, and the documented mapping kept in step."""
from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.reports import render_portfolio_pack
from orchestration.reports.scorecard import MEASURES, PERSPECTIVES, ScoreRow, load_scorecard
from tests.unit.test_reports import GENERATED, PERIOD, build_serving, pdf_pages_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "balanced-scorecard.md"


def _with_scorecard_marts(path):
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE marts.fct_project_benefits (project_code VARCHAR, period VARCHAR,"
                    " net_benefits_realised_to_date DECIMAL(18,4), net_benefits_planned_to_date DECIMAL(18,4))")
        # two projects: 30/40 and 10/60 -> 40/100 = 40.0 % (not the mean of 75 % and 16.7 %)
        con.execute("INSERT INTO marts.fct_project_benefits VALUES ('P-RED', ?, 30, 40), ('P-GRN', ?, 10, 60),"
                    " ('P-RED', '2026-10', 5, 50)", [PERIOD, PERIOD])
        con.execute("CREATE TABLE marts.fct_team_utilisation (group_type VARCHAR, group_name VARCHAR,"
                    " period VARCHAR, people_with_capacity INTEGER, available_hours DOUBLE, approved_hours DOUBLE,"
                    " utilisation_pct DOUBLE, over_allocated_people INTEGER)")
        con.execute("INSERT INTO marts.fct_team_utilisation VALUES ('team', 'A', ?, 6, 1000, 900, 90, 2),"
                    " ('team', 'B', ?, 4, 600, 300, 50, 1), ('role', 'tester', ?, 1, 99999, 1, 0, 50),"
                    " ('team', 'A', '2026-10', 6, 1000, 500, 50, 4)", [PERIOD] * 3)
    finally:
        con.close()
    return path


def test_measures_are_worked_from_sums_with_the_trend(tmp_path):
    path = _with_scorecard_marts(build_serving(tmp_path / "serving.duckdb"))
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = {r.measure.name: r for r in load_scorecard(con, PERIOD)}
    finally:
        con.close()
    benefits = rows["Net benefits realised against planned, to date"]
    assert benefits.value == 0.4 and benefits.previous == 0.1 and benefits.trend == "better"
    util = rows["Resource utilisation"]  # teams only: 1200 / 1600; October 500 / 1000
    assert util.value == 0.75 and util.previous == 0.5 and util.trend == "better"
    over = rows["Over-allocated people"]  # lower is better: 3 against 4
    assert over.value == 3 and over.previous == 4 and over.trend == "better"
    lessons = rows["Lessons embedded"]
    assert lessons.value is None and lessons.note == "marts.fct_lesson_themes is not in this snapshot"
    assert [r.measure.perspective for r in load_scorecard_rows(path)] == [m.perspective for m in MEASURES]


def load_scorecard_rows(path) -> tuple[ScoreRow, ...]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return load_scorecard(con, PERIOD)
    finally:
        con.close()


def test_the_page_prints_the_measures(tmp_path):
    path = _with_scorecard_marts(build_serving(tmp_path / "serving.duckdb"))
    pages = pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    page = " ".join(next(p for p in pages if "Balanced scorecard — November 2026" in p).split())
    assert "Net benefits realised against planned, to date 40.0 % 10.0 % better" in page
    assert "Resource utilisation 75.0 % 50.0 % better" in page
    assert "Over-allocated people 3 4 better" in page
    for perspective in PERSPECTIVES:
        assert perspective in page


def test_a_trend_the_page_cannot_show_is_same():
    cpi = next(m for m in MEASURES if m.fmt == "index")
    assert ScoreRow(cpi, 0.951, 0.949).trend == "same"  # both print 0.95
    assert ScoreRow(cpi, 0.96, 0.94).trend == "better"
    assert ScoreRow(cpi, 0.94, None).trend == ""


def test_every_measure_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    for m in MEASURES:
        assert f"| {m.perspective} | {m.name} | `{m.table}`" in doc, m.name
