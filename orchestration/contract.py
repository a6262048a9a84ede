"""The canonical data contract (docs/design.md §3): one definition per landing entity.

Every reader emits these shapes, the ingest loads them into ``raw.<entity>`` and the dbt
staging models cast them.  This module is the single place that says which columns an entity
has, which are required, and what type each column must parse as.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Column types understood by the canonical reader.
TEXT = "text"
DATE = "date"        # ISO YYYY-MM-DD
PERIOD = "period"    # YYYY-MM
MONEY = "money"      # decimal, in the row's currency
NUMBER = "number"    # decimal quantity (hours, points, percentages, probabilities)
BOOL = "bool"        # true/false, yes/no, 1/0, y/n

#: DuckDB type used for each column type in raw.<entity>.
DUCKDB_TYPES = {
    TEXT: "VARCHAR",
    DATE: "DATE",
    PERIOD: "VARCHAR",
    MONEY: "DECIMAL(18,4)",
    NUMBER: "DOUBLE",
    BOOL: "BOOLEAN",
}

#: Lineage columns carried by every raw row.
LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_sha256": "VARCHAR",
    "_source_row": "INTEGER",
    "_loaded_at": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = False
    allowed: tuple[str, ...] | None = None  # closed vocabulary (compared lower-case)


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    description: str
    # Prefix of open-ended extra columns that are kept (e.g. score_<criterion> on projects).
    extra_prefixes: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str = TEXT, required: bool = False, allowed: tuple[str, ...] | None = None) -> Column:
    return Column(name, type_, required, allowed)


#: The closed vocabulary of a lesson's category (docs/input-formats.md, lessons); risk register categories map
#: onto it through dbt_project/seeds/lesson_risk_categories.csv.
LESSON_CATEGORIES = ("estimating", "requirements", "supplier", "resourcing", "technical", "governance",
                     "stakeholder", "quality", "commercial")


#: A defect's severity (work_items.severity), worst first; Jira's priorities are kept apart in ``priority``.
DEFECT_SEVERITIES = ("critical", "major", "minor", "trivial")
#: Where a defect was found (work_items.found_in): ``production`` is an escaped defect (found after release).
DEFECT_FOUND_IN = ("development", "test", "uat", "production")
#: The kinds of quality review of the quality_reviews register, and their outcomes.
REVIEW_TYPES = ("stage_gate", "uat", "peer_review", "audit", "test")
REVIEW_OUTCOMES = ("passed", "passed_with_actions", "failed")


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "projects",
            (
                _c("project_code", required=True),
                _c("project_name", required=True),
                _c("programme"),
                _c("portfolio"),
                _c("sponsor"),
                _c("manager"),
                _c("methodology", allowed=("waterfall", "agile", "hybrid")),
                _c("currency", required=True),
                _c("start_date", DATE),
                _c("planned_finish_date", DATE),
                _c("status", allowed=("proposed", "active", "on_hold", "closed")),
            ),
            "The project register: one row per project.",
            extra_prefixes=("score_",),
        ),
        Entity(
            "tasks",
            (
                _c("status_date", DATE, True),
                _c("project_code", required=True),
                _c("task_code", required=True),
                _c("parent_task_code"),
                _c("task_name"),
                _c("is_milestone", BOOL),
                _c(
                    "ev_method",
                    allowed=("0/100", "50/50", "percent_complete", "milestone_weights", "units", "loe", "apportioned"),
                ),
                _c("baseline_start", DATE, True),
                _c("baseline_finish", DATE, True),
                _c("baseline_cost", MONEY, True),
                _c("percent_complete", NUMBER),
                _c("actual_start", DATE),
                _c("actual_finish", DATE),
                _c("forecast_finish", DATE),
                _c("baseline_version"),
                _c("actual_cost", MONEY),
                _c("remaining_cost", MONEY),
            ),
            "A schedule snapshot as of status_date; many snapshots per project over time.",
        ),
        Entity(
            "baseline_phasing",
            (
                _c("project_code", required=True),
                _c("task_code", required=True),
                _c("baseline_version"),
                _c("phase_start", DATE, True),
                _c("phase_finish", DATE, True),
                _c("planned_cost", MONEY, True),
            ),
            "A baseline's own time-phased cost: the planned cost of a task in each phase (a day, week or "
            "month) of a baseline version, as the planning tool spreads it (e.g. MS Project's Task Usage "
            "baseline cost by month, P6's budgeted cost by period). Where a task of the current baseline "
            "has phases, PV follows them instead of a linear spread.",
        ),
        Entity(
            "timesheets",
            (
                _c("work_date", DATE, True),
                _c("person_id", required=True),
                _c("person_name"),
                _c("project_code", required=True),
                _c("task_code"),
                _c("hours", NUMBER, True),
                _c("role"),
                _c("approval_status", allowed=("approved", "submitted", "rejected")),
                _c("entry_id"),
            ),
            "Labour hours.",
        ),
        Entity(
            "rates",
            (
                _c("person_id"),
                _c("role"),
                _c("valid_from", DATE, True),
                _c("valid_to", DATE),
                _c("hourly_cost", MONEY, True),
                _c("currency", required=True),
            ),
            "Effective-dated hourly cost rates, per person or per role.",
        ),
        Entity(
            "ledger",
            (
                _c("posting_date", DATE, True),
                _c("document_id", required=True),
                _c("line_id"),
                _c("project_code", required=True),
                _c("task_code"),
                _c("account"),
                _c(
                    "cost_type",
                    allowed=("labour", "material", "subcontract", "travel", "overhead", "other"),
                ),
                _c("amount", MONEY, True),
                _c("currency", required=True),
                _c("fiscal_period"),
                _c("is_reversal", BOOL),
                _c("reverses_document_id"),
                _c("description"),
                _c("local_amount", MONEY),
                _c("local_currency"),
                _c("source_system"),
            ),
            "General-ledger actuals: signed amounts, cost positive.",
        ),
        Entity(
            "budgets",
            (
                _c("project_code", required=True),
                _c("task_code"),
                _c("budget_version", required=True),
                _c("amount", MONEY, True),
                _c("currency", required=True),
                _c("approved_date", DATE),
            ),
            "Approved budgets and reserves.",
        ),
        Entity(
            "fx_rates",
            (
                _c("period", PERIOD, True),
                _c("from_currency", required=True),
                _c("to_currency", required=True),
                _c("rate", NUMBER, True),
            ),
            "Monthly exchange rates: 1 from_currency = rate to_currency.",
        ),
        Entity(
            "benefits",
            (
                _c("benefit_id", required=True),
                _c("project_code", required=True),
                _c("benefit_name"),
                _c("category"),
                _c("monetary", BOOL),
                _c("owner"),
                _c("measure"),
                _c("unit"),
                _c("baseline_value", NUMBER),
                _c("target_value", NUMBER),
                _c("period", PERIOD, True),
                _c("planned_value", NUMBER),
                _c("realised_value", NUMBER),
                _c("is_disbenefit", BOOL),
            ),
            "The benefits register: one row per benefit per period.",
        ),
        Entity(
            "risks",
            (
                _c("status_date", DATE, True),
                _c("risk_id", required=True),
                _c("project_code", required=True),
                _c("title"),
                _c("category"),
                _c("probability", NUMBER),
                _c("impact_cost", MONEY),
                _c("impact_days", NUMBER),
                _c("status", allowed=("open", "closed")),
                _c("owner"),
                _c("raised_date", DATE),
                _c("target_date", DATE),
                _c("mitigation"),
            ),
            "A risk register snapshot.",
        ),
        Entity(
            "dependencies",
            (
                _c("dependency_id", required=True),
                _c("from_project_code", required=True),
                _c("from_task_code"),
                _c("to_project_code", required=True),
                _c("to_task_code"),
                _c("needed_by_date", DATE),
                _c("status"),
            ),
            "Cross-project dependencies.",
        ),
        Entity(
            "capacity",
            (
                _c("person_id", required=True),
                _c("team"),
                _c("role"),
                _c("period", PERIOD, True),
                _c("available_hours", NUMBER, True),
            ),
            "Available hours per person per period, for utilisation.",
        ),
        Entity(
            "work_items",
            (
                _c("status_date", DATE, True),
                _c("project_code", required=True),
                _c("item_key", required=True),
                _c("item_type"),
                _c("story_points", NUMBER),
                _c("status_category", allowed=("todo", "in_progress", "done")),
                _c("resolved_date", DATE),
                _c("sprint"),
                _c("epic"),
                _c("release"),
                _c("original_estimate_hours", NUMBER),
                _c("time_spent_hours", NUMBER),
                # defects (item_type Bug/Defect; optional: exports without them still load, docs/quality-kpi.md)
                _c("created_date", DATE),
                _c("severity", allowed=DEFECT_SEVERITIES),
                _c("priority"),
                _c("found_in", allowed=DEFECT_FOUND_IN),
            ),
            "Agile delivery items (Jira issues) as of status_date; bugs carry severity and where they were found.",
        ),
        Entity(
            "lessons",
            (
                _c("lesson_id", required=True),
                _c("project_code", required=True),
                _c("raised_date", DATE, True),
                _c("phase"),
                _c("category", required=True, allowed=LESSON_CATEGORIES),
                _c("what_happened"),
                _c("root_cause"),
                _c("recommendation"),
                _c("cost_impact", MONEY),
                _c("schedule_impact_days", NUMBER),
                _c("status", required=True, allowed=("open", "actioned", "embedded")),
                _c("actioned_date", DATE),
                _c("owner_role"),
                _c("risk_id"),
            ),
            "The lessons-learned register: one row per lesson, with its latest status (docs/input-formats.md).",
        ),
        Entity(
            "quality_reviews",
            (
                _c("review_id", required=True),
                _c("project_code", required=True),
                _c("deliverable"),
                _c("review_type", required=True, allowed=REVIEW_TYPES),
                _c("review_date", DATE, True),
                _c("outcome", required=True, allowed=REVIEW_OUTCOMES),
                _c("findings_critical", NUMBER),
                _c("findings_major", NUMBER),
                _c("findings_minor", NUMBER),
                _c("open_nonconformances", NUMBER),
                _c("rework_hours", NUMBER),
                _c("rework_cost", MONEY),
            ),
            "The quality review register: stage gates, UAT, peer reviews and audits with their outcome, findings "
            "and rework (docs/input-formats.md, docs/quality-kpi.md).",
        ),
    ]
}

#: Entities a run cannot do without; every other entity may be absent from landing/.
REQUIRED_ENTITIES = ("projects", "tasks")

#: The column that places a row of an entity in a reporting period: a date (the row belongs to its month)
#: or a ``period`` column (YYYY-MM). Entities without one (projects, rates, budgets, dependencies, baseline
#: phasing) belong to no period. The one definition used by the landing sensor (which periods a new file
#: touches), ``pmo status`` (rows per source and period, freshness) and :func:`orchestration.pipeline.ingest.latest_period`.
PERIOD_COLUMN = {"tasks": "status_date", "timesheets": "work_date", "ledger": "posting_date",
                 "risks": "status_date", "work_items": "status_date", "fx_rates": "period",
                 "benefits": "period", "capacity": "period", "lessons": "raised_date",
                 "quality_reviews": "review_date"}
#: The entities whose dates say how far the data has got (the latest period with data).
RECENCY_ENTITIES = ("tasks", "timesheets", "ledger")


def raw_table_ddl(entity: Entity, schema: str = "raw") -> str:
    """CREATE TABLE statement for ``<schema>.<entity>`` in the canonical shape plus lineage."""
    cols = [f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in entity.columns]
    cols += [f'"{n}" {t}' for n, t in LINEAGE_COLUMNS.items()]
    return f"CREATE TABLE {schema}.{entity.name} ({', '.join(cols)})"
