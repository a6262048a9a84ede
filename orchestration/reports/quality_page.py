"""The portfolio pack's quality page (issue #15): quality beside cost and schedule.

* The organisation and each portfolio (``fct_quality_rollup``, counts summed and rates worked from the sums):
  open defects (critical), defects found and fixed in the period, the defect escape rate, the first-time
  pass rate of reviews and acceptance tests, open non-conformances and rework as a share of AC.
* The trend: the organisation's escape rate, first-time pass rate and open critical defects over the last
  :data:`TREND_PERIODS` periods.
* The worst projects: those rated red or amber on quality (``fct_project_status.rag_quality``), red first,
  then by open critical defects, with the measures behind the rating (``fct_project_quality``).

The measures and the PMO-RAG-2 quality bands are documented in docs/quality-kpi.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .catalog import mart_columns, marts_tables

TREND_PERIODS = 6
MAX_PROJECTS = 15
MEASURES = ("open_defects", "open_critical_defects", "defects_found", "defects_fixed", "defect_escape_rate_pct",
            "first_time_pass_rate_pct", "reviews_held", "reviews_failed", "open_nonconformances",
            "rework_cost_pct_of_ac")


@dataclass(frozen=True)
class QualityLine:
    level: str
    name: str
    projects_with_data: int | None
    values: dict


@dataclass(frozen=True)
class QualityProject:
    project_code: str
    project_name: str | None
    rag_quality: str
    values: dict


@dataclass(frozen=True)
class QualityPage:
    lines: tuple[QualityLine, ...]
    trend: tuple[dict, ...]
    worst: tuple[QualityProject, ...]
    worst_total: int
    rated: int


def load_quality_page(con: duckdb.DuckDBPyConnection, period: str) -> QualityPage | None:
    """The quality page of ``period``, or None when the quality marts are absent or hold nothing for it."""
    present = marts_tables(con)
    if not {"fct_quality_rollup", "fct_project_quality"} <= present:
        return None
    cols = ", ".join(MEASURES)
    rollup = con.execute(f"""
        SELECT rollup_level, rollup_name, projects_with_quality_data, {cols}
        FROM marts.fct_quality_rollup
        WHERE period = ? AND rollup_level IN ('organisation', 'portfolio')
        ORDER BY rollup_level = 'portfolio', rollup_name""", [period]).fetchall()
    if not rollup:
        return None
    lines = tuple(QualityLine(r[0], r[1], r[2], dict(zip(MEASURES, r[3:], strict=True))) for r in rollup)
    trend = tuple(dict(zip(("period", "defect_escape_rate_pct", "first_time_pass_rate_pct", "open_critical_defects"),
                           r, strict=True)) for r in con.execute(f"""
        SELECT * FROM (
            SELECT period, defect_escape_rate_pct, first_time_pass_rate_pct, open_critical_defects
            FROM marts.fct_quality_rollup
            WHERE rollup_level = 'organisation' AND period <= ? ORDER BY period DESC LIMIT {TREND_PERIODS})
        ORDER BY period""", [period]).fetchall())
    worst: list = []
    rated = 0
    status_cols = mart_columns(con, "fct_project_status")
    if "rag_quality" in status_cols:
        rated = con.execute("SELECT count(*) FROM marts.fct_project_status WHERE period = ? AND rag_quality IS NOT "
                            "NULL", [period]).fetchone()[0]
        worst = con.execute(f"""
            SELECT s.project_code, d.project_name, s.rag_quality, {', '.join('q.' + m for m in MEASURES)}
            FROM marts.fct_project_status AS s
            LEFT JOIN marts.dim_project AS d ON d.project_code = s.project_code
            LEFT JOIN marts.fct_project_quality AS q ON q.project_code = s.project_code AND q.period = s.period
            WHERE s.period = ? AND s.rag_quality IN ('red', 'amber')
            ORDER BY s.rag_quality = 'amber', q.open_critical_defects DESC NULLS LAST,
                     q.defect_escape_rate_pct DESC NULLS LAST, s.project_code""", [period]).fetchall()
    return QualityPage(
        lines=lines, trend=trend,
        worst=tuple(QualityProject(r[0], r[1], r[2], dict(zip(MEASURES, r[3:], strict=True)))
                    for r in worst[:MAX_PROJECTS]),
        worst_total=len(worst), rated=rated)
