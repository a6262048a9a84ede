"""The portfolio pack's lessons-learned page (orchestration/reports/lessons.py, issue #13), on the hand-made
warehouse of test_reports.py plus lessons marts whose rows are written here."""
from __future__ import annotations

import duckdb

from orchestration.reports import render_portfolio_pack
from tests.unit.test_reports import GENERATED, PERIOD, build_serving, pdf_pages_text

LESSONS_DDL = (
    "CREATE TABLE marts.fct_lesson_themes (category VARCHAR, period VARCHAR, raised INTEGER, raised_to_date INTEGER,"
    " open_lessons INTEGER, actioned_lessons INTEGER, embedded_lessons INTEGER, recurrences INTEGER)",
    "CREATE TABLE marts.fct_lessons_learned (lesson_id VARCHAR, project_code VARCHAR, category VARCHAR,"
    " raised_date DATE, what_happened VARCHAR, status VARCHAR, is_recurrence BOOLEAN, repeats_lesson_id VARCHAR)",
    "CREATE TABLE marts.fct_lesson_risk_links (project_code VARCHAR, risk_id VARCHAR, risk_title VARCHAR,"
    " risk_category VARCHAR, period VARCHAR, lesson_category VARCHAR, lesson_id VARCHAR, lesson_project_code VARCHAR,"
    " lesson_raised_date DATE, lesson_status VARCHAR, recommendation VARCHAR)",
)


def _with_lessons(path):
    con = duckdb.connect(str(path))
    try:
        for ddl in LESSONS_DDL:
            con.execute(ddl)
        con.execute("INSERT INTO marts.fct_lesson_themes VALUES "
                    "('estimating', ?, 1, 3, 1, 1, 1, 1), ('supplier', ?, 0, 2, 0, 2, 0, 0),"
                    "('estimating', '2026-10', 9, 9, 9, 9, 9, 9)", [PERIOD, PERIOD])
        con.execute("INSERT INTO marts.fct_lessons_learned VALUES "
                    "('L-1', 'P-OLD', 'estimating', DATE '2025-03-01', 'Testing took twice the weeks', 'embedded',"
                    " false, NULL),"
                    "('L-2', 'P-RED', 'estimating', DATE '2026-11-20', 'Testing <b>again</b> took twice the weeks',"
                    " 'open', true, 'L-1'),"
                    "('L-3', 'P-AMB', 'supplier', DATE '2026-06-01', 'Change requests priced late', 'actioned',"
                    " false, NULL),"
                    "('L-4', 'P-AMB', 'supplier', DATE '2026-12-05', 'Raised after the period', 'open', true, 'L-3')")
        # Two lessons apply to P-GRN's R-1: the actioned one comes first although raised later.
        con.execute("INSERT INTO marts.fct_lesson_risk_links VALUES "
                    "('P-GRN', 'R-1', 'Vendor late', 'supplier', ?, 'supplier', 'L-9', 'P-X', DATE '2025-01-01',"
                    " 'open', 'Ask early'),"
                    "('P-GRN', 'R-1', 'Vendor late', 'supplier', ?, 'supplier', 'L-3', 'P-AMB', DATE '2026-06-01',"
                    " 'actioned', 'Price change requests before the work'),"
                    "('P-RED', 'R-2', 'Estimate low', 'cost', ?, 'estimating', 'L-1', 'P-OLD', DATE '2025-03-01',"
                    " 'embedded', 'Estimate bottom-up')", [PERIOD] * 3)
    finally:
        con.close()
    return path


def _lessons_page(tmp_path) -> str:
    path = _with_lessons(build_serving(tmp_path / "serving.duckdb"))
    pages = pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    return " ".join(next(p for p in pages if "Lessons learned — November 2026" in p).split())


def test_lessons_page_themes_recurrences_and_risk_links(tmp_path):
    page = _lessons_page(tmp_path)
    # 3 lessons raised by 2026-11-30 (L-4 is raised in December)
    assert "3 lesson(s) recorded by the end of the period" in page
    # themes of the period only (the 2026-10 row is not shown), and their sums
    assert "estimating 1 1 3 1 1 1 supplier 0 0 2 0 2 0 All categories 1 1 5 1 3 1" in page
    # the recurrence raised in the period, with the lesson it repeats and its project; text printed as text
    assert "L-2 P-RED estimating 2026-11-20 L-1 (P-OLD) Testing <b>again</b> took twice the weeks" in page
    assert "L-4" not in page
    # one line per open risk: the number of lessons and the first (actioned before open)
    assert ("P-GRN R-1 Vendor late supplier 2 L-3 (P-AMB, actioned) Price change requests before the work"
            in page)
    assert "P-RED R-2 Estimate low cost 1 L-1 (P-OLD, embedded) Estimate bottom-up" in page


def test_no_lessons_page_without_the_marts(tmp_path):
    pages = pdf_pages_text(render_portfolio_pack(build_serving(tmp_path / "serving.duckdb"), PERIOD,
                                                 tmp_path / "out", generated_at=GENERATED))
    assert not any("Lessons learned" in p for p in pages)  # not even in the contents


def test_the_risk_line_counts_every_lesson_that_applies_not_only_those_kept(tmp_path):
    """The mart keeps the first lessons of each risk (lesson_rank) and says how many apply in all
    (lessons_applying): the page prints that count and the lesson ranked first."""
    path = _with_lessons(build_serving(tmp_path / "serving.duckdb"))
    con = duckdb.connect(str(path))
    try:
        con.execute("DROP TABLE marts.fct_lesson_risk_links")
        con.execute(LESSONS_DDL[2].replace("recommendation VARCHAR)",
                                           "recommendation VARCHAR, lesson_rank BIGINT, lessons_applying BIGINT)"))
        con.execute("INSERT INTO marts.fct_lesson_risk_links VALUES "
                    "('P-GRN', 'R-1', 'Vendor late', 'supplier', ?, 'supplier', 'L-9', 'P-X', DATE '2025-01-01',"
                    " 'open', 'Ask early', 2, 37),"
                    "('P-GRN', 'R-1', 'Vendor late', 'supplier', ?, 'supplier', 'L-3', 'P-AMB', DATE '2026-06-01',"
                    " 'actioned', 'Price change requests before the work', 1, 37)", [PERIOD] * 2)
    finally:
        con.close()
    pages = pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    page = " ".join(next(p for p in pages if "Lessons learned — November 2026" in p).split())
    assert ("P-GRN R-1 Vendor late supplier 37 L-3 (P-AMB, actioned) Price change requests before the work"
            in page)
