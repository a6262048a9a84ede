"""The portfolio pack's balanced scorecard (issue #11): the four perspectives of Kaplan and Norton, each
measure read from one mart for the period and the period before (docs/balanced-scorecard.md documents the
mapping and why each measure sits where it does).

Every measure is one SQL aggregate over one mart's rows of a period (:data:`MEASURES`); ratios are worked
from sums (never an average of project ratios).  A mart absent from the snapshot, or without rows for the
period, gives no value ("—") and the page says which mart it needed.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .catalog import marts_tables

PERSPECTIVES = ("Financial", "Customer and stakeholder", "Internal process", "Learning and growth")


@dataclass(frozen=True)
class Measure:
    perspective: str
    name: str
    table: str
    #: an aggregate over ``marts.<table>`` rows WHERE period = ? (and ``where``), giving one number
    expr: str
    fmt: str  # 'index', 'money', 'pct' (a fraction shown as %), 'count'
    better: str  # 'higher' or 'lower': how the trend arrow reads
    definition: str
    where: str = "TRUE"


MEASURES: tuple[Measure, ...] = (
    Measure("Financial", "Cost performance index (CPI)", "fct_organisation_earned_value", "max(cpi)", "index",
            "higher", "EV / AC of every active project together"),
    Measure("Financial", "Variance at completion (VAC)", "fct_organisation_earned_value", "max(vac)", "money",
            "higher", "BAC − EAC, EAC = BAC / CPI of the whole"),
    Measure("Financial", "Net benefits realised against planned, to date", "fct_project_benefits",
            "sum(net_benefits_realised_to_date) / nullif(sum(net_benefits_planned_to_date), 0)", "pct", "higher",
            "Σ realised / Σ planned net benefits (dis-benefits netted)"),
    Measure("Customer and stakeholder", "Projects rated green overall", "fct_project_status",
            "count(*) FILTER (WHERE rag_overall = 'green') / nullif(count(*) FILTER (WHERE rag_overall IN "
            "('green', 'amber', 'red')), 0)", "pct", "higher", "green / rated projects (not rated excluded)"),
    Measure("Customer and stakeholder", "Milestones achieved on time", "fct_milestone_slippage",
            "count(*) FILTER (WHERE milestone_status = 'achieved_on_time') / nullif(count(*) FILTER "
            "(WHERE is_achieved), 0)", "pct", "higher", "on time / achieved milestones"),
    Measure("Customer and stakeholder", "Dependencies at risk", "fct_dependency_status",
            "count(*) FILTER (WHERE is_at_risk)", "count", "lower",
            "undelivered dependencies whose provider is late or red"),
    Measure("Internal process", "Schedule performance index (SPI)", "fct_organisation_earned_value", "max(spi)",
            "index", "higher", "EV / PV of every active project together"),
    Measure("Internal process", "Baseline execution index (BEI)", "fct_organisation_earned_value", "max(bei)",
            "index", "higher", "tasks finished / tasks due to have finished"),
    Measure("Internal process", "First-time pass rate of reviews and acceptance tests", "fct_quality_rollup",
            "max(first_time_pass_rate_pct) / 100", "pct", "higher",
            "reviews passed at the first attempt / first attempts, to date", "rollup_level = 'organisation'"),
    Measure("Internal process", "Defect escape rate", "fct_quality_rollup", "max(defect_escape_rate_pct) / 100",
            "pct", "lower", "defects found in production / defects of known origin, to date",
            "rollup_level = 'organisation'"),
    Measure("Internal process", "Projects with complete reporting data", "fct_data_completeness",
            "count(*) FILTER (WHERE is_complete) / nullif(count(*), 0)", "pct", "higher",
            "projects with manager, sponsor, baseline, budget, benefits and a recent schedule"),
    Measure("Learning and growth", "Lessons embedded", "fct_lesson_themes",
            "sum(embedded_lessons) / nullif(sum(raised_to_date), 0)", "pct", "higher",
            "lessons embedded in standard practice / lessons raised to date"),
    Measure("Learning and growth", "Lessons repeated in the period", "fct_lesson_themes", "sum(recurrences)",
            "count", "lower", "lessons raised in a category already actioned before their project started"),
    Measure("Learning and growth", "Resource utilisation", "fct_team_utilisation",
            "sum(approved_hours) / nullif(sum(available_hours), 0)", "pct", "higher",
            "approved hours / capacity, all teams", "group_type = 'team'"),
    Measure("Learning and growth", "Over-allocated people", "fct_team_utilisation", "sum(over_allocated_people)",
            "count", "lower", "people booked above their capacity", "group_type = 'team'"),
)


@dataclass(frozen=True)
class ScoreRow:
    measure: Measure
    value: float | None
    previous: float | None
    note: str | None = None

    @property
    def trend(self) -> str:
        """'better', 'worse', 'same' or '' (no previous value)."""
        if self.value is None or self.previous is None:
            return ""
        # compared as printed: a change the page cannot show is "same"
        digits = {"index": 2, "pct": 3, "money": 0, "count": 0}[self.measure.fmt]
        diff = round(self.value, digits) - round(self.previous, digits)
        if abs(diff) < 1e-9:
            return "same"
        return "better" if (diff > 0) == (self.measure.better == "higher") else "worse"


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def load_scorecard(con: duckdb.DuckDBPyConnection, period: str) -> tuple[ScoreRow, ...]:
    """Every measure of :data:`MEASURES` for ``period`` and the period before (empty when no mart is present)."""
    present = marts_tables(con)
    if not any(m.table in present for m in MEASURES):
        return ()
    rows = []
    for m in MEASURES:
        if m.table not in present:
            rows.append(ScoreRow(m, None, None, f"marts.{m.table} is not in this snapshot"))
            continue
        try:
            value, n = _value(con, m, period)
            previous, _ = _value(con, m, previous_period(period))
        except duckdb.BinderException:  # a mart of an older version, without the column the measure needs
            rows.append(ScoreRow(m, None, None, f"marts.{m.table} of this snapshot lacks what it needs"))
            continue
        rows.append(ScoreRow(m, value, previous, None if n else f"marts.{m.table} has no rows for {period}"))
    return tuple(rows)


def _value(con: duckdb.DuckDBPyConnection, m: Measure, period: str) -> tuple[float | None, int]:
    """The measure over the mart's rows of ``period``, and how many rows there were."""
    value, n = con.execute(f"SELECT {m.expr}, count(*) FROM marts.{m.table} WHERE period = ? AND ({m.where})",
                           [period]).fetchone()
    return (None if value is None or not n else float(value)), n
