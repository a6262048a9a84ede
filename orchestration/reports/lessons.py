"""The portfolio pack's lessons-learned page (issue #13): themes, recurrences and the lessons that apply to
open risks, read from the lessons marts of the published warehouse or a closed period's frozen figures.

* Themes: ``marts.fct_lesson_themes`` at the period, one line per category.
* "The same mistake twice": ``marts.fct_lessons_learned`` rows flagged ``is_recurrence`` and raised by the
  end of the period, the latest first, each with the earlier lesson it repeats.
* Lessons for open risks: ``marts.fct_lesson_risk_links`` at the period, one line per open risk with the
  number of lessons that apply (``lessons_applying``) and the first of them (``lesson_rank`` 1: embedded, then
  actioned, then open, oldest first); figures frozen before the mart ranked its lessons are counted and
  ranked here the same way.

A mart missing from the snapshot (a period frozen before lessons existed) leaves the page out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from .catalog import mart_columns, marts_tables, period_end

#: Lines per table on the page; the rest are counted ("and 12 more").
MAX_ROWS = 12
LESSON_MARTS = ("fct_lesson_themes", "fct_lessons_learned", "fct_lesson_risk_links")


@dataclass(frozen=True)
class ThemeRow:
    category: str
    raised: int
    raised_to_date: int
    open_lessons: int
    actioned_lessons: int
    embedded_lessons: int
    recurrences: int


@dataclass(frozen=True)
class RecurrenceRow:
    lesson_id: str
    project_code: str
    category: str
    raised_date: date | None
    repeats_lesson_id: str | None
    repeats_project_code: str | None
    what_happened: str | None


@dataclass(frozen=True)
class RiskLessonRow:
    project_code: str
    risk_id: str
    risk_title: str | None
    risk_category: str | None
    lessons: int
    first_lesson_id: str
    first_lesson_project: str | None
    first_lesson_status: str | None
    recommendation: str | None


@dataclass(frozen=True)
class LessonsPage:
    themes: tuple[ThemeRow, ...]
    recurrences: tuple[RecurrenceRow, ...]
    recurrences_total: int
    risk_links: tuple[RiskLessonRow, ...]
    risks_total: int
    lessons_total: int

    @property
    def totals(self) -> ThemeRow:
        return ThemeRow("All categories", *(sum(getattr(t, f) for t in self.themes) for f in (
            "raised", "raised_to_date", "open_lessons", "actioned_lessons", "embedded_lessons", "recurrences")))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def load_lessons(con: duckdb.DuckDBPyConnection, period: str) -> LessonsPage | None:
    """The lessons page of ``period`` ('YYYY-MM'), or None when the lessons marts are absent or empty."""
    end = period_end(period)
    present = marts_tables(con)
    if not all(t in present for t in LESSON_MARTS):
        return None
    themes = tuple(ThemeRow(*r) for r in _rows(con, """
        SELECT category, raised, raised_to_date, open_lessons, actioned_lessons, embedded_lessons, recurrences
        FROM marts.fct_lesson_themes WHERE period = ? ORDER BY category""", [period]))
    recurrences = _rows(con, """
        SELECT l.lesson_id, l.project_code, l.category, l.raised_date, l.repeats_lesson_id,
               earlier.project_code, l.what_happened
        FROM marts.fct_lessons_learned AS l
        LEFT JOIN marts.fct_lessons_learned AS earlier ON earlier.lesson_id = l.repeats_lesson_id
        WHERE l.is_recurrence AND l.raised_date <= ?
        ORDER BY l.raised_date DESC, l.lesson_id""", [end])
    if "lessons_applying" in mart_columns(con, "fct_lesson_risk_links"):
        # the mart keeps the first lessons of each risk (lesson_rank) and counts them all (lessons_applying)
        applying, ranked = "max(lessons_applying)", "SELECT *, lesson_rank AS ord"
    else:  # frozen before the mart ranked its lessons: every lesson that applies is a row
        applying = "count(*)"
        ranked = ("SELECT *, CASE lesson_status WHEN 'embedded' THEN 0 WHEN 'actioned' THEN 1 ELSE 2 END * 1e7"
                  " + row_number() OVER (PARTITION BY project_code, risk_id"
                  " ORDER BY lesson_raised_date, lesson_id) AS ord")
    links = _rows(con, f"""
        SELECT project_code, risk_id, any_value(risk_title), any_value(risk_category), {applying},
               arg_min(lesson_id, ord), arg_min(lesson_project_code, ord), arg_min(lesson_status, ord),
               arg_min(recommendation, ord)
        FROM ({ranked} FROM marts.fct_lesson_risk_links WHERE period = ?)
        GROUP BY project_code, risk_id
        ORDER BY project_code, risk_id""", [period])
    lessons_total = _rows(con, "SELECT count(*) FROM marts.fct_lessons_learned WHERE raised_date <= ?",
                          [end])[0][0]
    if not themes and not recurrences and not links and not lessons_total:
        return None
    return LessonsPage(themes=themes, recurrences=tuple(RecurrenceRow(*r) for r in recurrences[:MAX_ROWS]),
                       recurrences_total=len(recurrences),
                       risk_links=tuple(RiskLessonRow(*r) for r in links[:MAX_ROWS]), risks_total=len(links),
                       lessons_total=lessons_total)
