"""The portfolio pack's delivery and prioritisation pages (issue #11), read from the published warehouse or a
closed period's frozen figures, each a few bounded queries (a 2,000-project organisation gets the same
page length: the longest lists are cut at :data:`MAX_ROWS` and say how many there are).

Delivery:

* slipped milestones: ``fct_milestone_slippage`` rows of the period that are ``overdue`` or ``forecast_late``,
  the largest slip first;
* upcoming milestones: not achieved, expected within :data:`UPCOMING_DAYS` days after the period's end;
* dependencies at risk: ``fct_dependency_status.is_at_risk`` (the provider late or rated red) at the period;
* utilisation by team and by role: ``fct_team_utilisation`` at the period (groups, never people: named
  people's hours stay out of the pack), with the number of over-allocated people.

Prioritisation: ``fct_project_prioritisation`` ranked, with the criteria and weights of
``seeds/prioritisation_weights.csv`` that produced the scores.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from .catalog import marts_tables, period_end

MAX_ROWS = 15
UPCOMING_DAYS = 90
WEIGHTS_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "prioritisation_weights.csv"


@dataclass(frozen=True)
class MilestoneRow:
    project_code: str
    task_code: str
    task_name: str | None
    baseline_finish: date | None
    expected_finish: date | None
    slip_days: int | None
    milestone_status: str


@dataclass(frozen=True)
class DependencyRow:
    dependency_id: str
    provider: str
    receiver: str
    needed_by_date: date | None
    provider_expected_finish: date | None
    delivery_slip_days: int | None
    why: str


@dataclass(frozen=True)
class UtilisationRow:
    group_type: str
    group_name: str
    people_with_capacity: int | None
    available_hours: float | None
    approved_hours: float | None
    utilisation_pct: float | None
    over_allocated_people: int | None


@dataclass(frozen=True)
class DeliveryPage:
    slipped: tuple[MilestoneRow, ...]
    slipped_total: int
    upcoming: tuple[MilestoneRow, ...]
    upcoming_total: int
    upcoming_until: date
    dependencies: tuple[DependencyRow, ...]
    dependencies_total: int
    dependencies_at_risk: int
    utilisation: tuple[UtilisationRow, ...]
    has_milestones: bool
    has_dependencies: bool
    has_utilisation: bool
    #: per mart, why it gives nothing for the period although present (built for other periods only)
    notes: dict[str, str]


@dataclass(frozen=True)
class Criterion:
    criterion: str
    weight: float
    description: str


@dataclass(frozen=True)
class PriorityRow:
    priority_rank: int | None
    project_code: str
    project_name: str | None
    programme: str | None
    status: str | None
    weighted_score: float | None
    criteria_scored: int
    criteria_weighted: int


@dataclass(frozen=True)
class PrioritisationPage:
    criteria: tuple[Criterion, ...]
    ranking: tuple[PriorityRow, ...]
    ranked_total: int
    unscored: int


def load_delivery(con: duckdb.DuckDBPyConnection, period: str) -> DeliveryPage | None:
    """The delivery page of ``period``, or None when none of its marts is in the snapshot."""
    present = marts_tables(con)
    has_m, has_d, has_u = ("fct_milestone_slippage" in present, "fct_dependency_status" in present,
                           "fct_team_utilisation" in present)
    if not (has_m or has_d or has_u):
        return None
    until = period_end(period) + timedelta(days=UPCOMING_DAYS)
    notes = {}
    for table, has in (("fct_milestone_slippage", has_m), ("fct_dependency_status", has_d),
                       ("fct_team_utilisation", has_u)):
        if not has:
            notes[table] = f"marts.{table} is not in this snapshot."
            continue
        n, periods = con.execute(f"SELECT count(*) FILTER (WHERE period = ?), string_agg(DISTINCT period, ', ' "
                                 f"ORDER BY period) FROM marts.{table}", [period]).fetchone()
        if not n and periods:
            notes[table] = (f"marts.{table} holds {periods} only (it is built for a run's reporting period), "
                            f"not {period}.")
    slipped: list[tuple] = []
    upcoming: list[tuple] = []
    if has_m:
        columns = ("project_code, task_code, task_name, baseline_finish, expected_finish, slip_days, "
                   "milestone_status")
        slipped = con.execute(f"""
            SELECT {columns} FROM marts.fct_milestone_slippage
            WHERE period = ? AND milestone_status IN ('overdue', 'forecast_late')
            ORDER BY slip_days DESC NULLS LAST, project_code, task_code""", [period]).fetchall()
        upcoming = con.execute(f"""
            SELECT {columns} FROM marts.fct_milestone_slippage
            WHERE period = ? AND NOT is_achieved AND expected_finish > ? AND expected_finish <= ?
            ORDER BY expected_finish, project_code, task_code""", [period, period_end(period), until]).fetchall()
    deps: list[tuple] = []
    dep_count = 0
    if has_d:
        dep_count = con.execute("SELECT count(*) FROM marts.fct_dependency_status WHERE period = ?",
                                [period]).fetchone()[0]
        deps = con.execute("""
            SELECT dependency_id,
                   provider_project_code || coalesce(' / ' || provider_task_code, ''),
                   receiver_project_code || coalesce(' / ' || receiver_task_code, ''),
                   needed_by_date, provider_expected_finish, delivery_slip_days,
                   concat_ws('; ',
                       CASE WHEN is_provider_late THEN 'provider forecast after the date needed' END,
                       CASE WHEN is_provider_red THEN 'provider rated red' END)
            FROM marts.fct_dependency_status
            WHERE period = ? AND is_at_risk
            ORDER BY needed_by_date NULLS LAST, dependency_id""", [period]).fetchall()
    util: list[tuple] = []
    if has_u:
        util = con.execute("""
            SELECT group_type, group_name, people_with_capacity, available_hours, approved_hours, utilisation_pct,
                   over_allocated_people
            FROM marts.fct_team_utilisation WHERE period = ?
            ORDER BY group_type DESC, group_name""", [period]).fetchall()
    return DeliveryPage(
        slipped=tuple(MilestoneRow(*r) for r in slipped[:MAX_ROWS]), slipped_total=len(slipped),
        upcoming=tuple(MilestoneRow(*r) for r in upcoming[:MAX_ROWS]), upcoming_total=len(upcoming),
        upcoming_until=until,
        dependencies=tuple(DependencyRow(*r) for r in deps[:MAX_ROWS]), dependencies_total=dep_count,
        dependencies_at_risk=len(deps), utilisation=tuple(UtilisationRow(*r) for r in util),
        has_milestones=has_m, has_dependencies=has_d, has_utilisation=has_u, notes=notes)


def read_criteria(seed: Path = WEIGHTS_SEED) -> tuple[Criterion, ...]:
    if not seed.is_file():
        return ()
    with seed.open(newline="", encoding="utf-8") as fh:
        return tuple(Criterion(r["criterion"], float(r["weight"]), r.get("description") or "")
                     for r in csv.DictReader(fh))


def load_prioritisation(con: duckdb.DuckDBPyConnection, seed: Path = WEIGHTS_SEED) -> PrioritisationPage | None:
    """The ranking of ``fct_project_prioritisation`` (best first), or None when the mart is absent or empty."""
    if "fct_project_prioritisation" not in marts_tables(con):
        return None
    rows = con.execute("""
        SELECT priority_rank, project_code, project_name, programme, status, weighted_score, criteria_scored,
               criteria_weighted
        FROM marts.fct_project_prioritisation
        ORDER BY priority_rank NULLS LAST, project_code""").fetchall()
    if not rows:
        return None
    ranked = [r for r in rows if r[0] is not None]
    return PrioritisationPage(criteria=read_criteria(seed),
                              ranking=tuple(PriorityRow(*r) for r in ranked[:MAX_ROWS * 2]),
                              ranked_total=len(ranked), unscored=len(rows) - len(ranked))
