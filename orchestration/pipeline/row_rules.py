"""Row-by-row quarantine of additive facts that break a domain rule (timesheet entries, ledger lines).

A timesheet entry or a ledger line is an additive fact: leaving one out does not falsify the others, so
one bad row must not stop the night. The raw suites (``expectations/raw_timesheets.json``,
``expectations/raw_ledger.json``) mark such rules with the severity ``quarantine``: hours outside 0–24,
negative hours, a person's day above ``max_daily_hours``, an unknown project, task or person (no rate),
an unknown currency, and a work or posting date after the run's status date (the horizon of
:func:`orchestration.pipeline.quality.date_horizon`).

:func:`apply_row_rules` runs at the end of every ingest, in the ingest's transaction, after the raw tables
are written: each rule, in suite order, moves the rows it rejects from ``raw.<entity>`` to
``quarantine.<entity>`` with the reason ``rule <suite>.<id>: <why>`` and the row's values (file, row,
column, value, record), and ``raw.load_log`` counts them as quarantined (``rows_in = rows_loaded +
rows_quarantined`` still holds). Later rules see the rows left by earlier ones: an 8 h entry on the day of
a 30 h one stays, because the 30 h entry is gone before the daily total is taken.

Rules are decided again on every ingest (a project added to the register brings its hours back): when the
previous load quarantined rows by rule (``ingest_cache.ruled``), those rows are put back from the ingest cache
before the rules run (``ingest._restore_ruled``; a table read in its order is rebuilt instead). The raw gate
then passes on those rules and reports the quarantined rows as a warning that names them
(:func:`rule_quarantine_failures`), which the run summary, ``pmo run`` and the pack's data-quality appendix
show. ``quality.yaml`` can set any of these rules to ``blocking`` (the row
stays in raw and stops publication), ``warning`` (the row stays and counts) or ``off``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.settings import EXPECTATIONS_DIR, QUARANTINE, WARNING, QualitySettings

#: Entities whose rows are additive facts, quarantined row by row.
ROW_RULE_ENTITIES = ("timesheets", "ledger")
#: Prefix of the quarantine reason of a row moved by a rule: ``rule raw_timesheets.hours_per_entry: …``.
RULE_REASON_PREFIX = "rule "
#: The contract column a helper column of the gate view stands for (the quarantine row's column and value).
HELPER_COLUMNS = {"_project_task": "task_code", "_daily_hours": "hours", "_person_costable": "person_id"}
CACHE_TABLE = "ingest_cache.ruled"
#: Rows named in a warning (all are in quarantine.<entity>).
NAMED_ROWS = 10


@dataclass(frozen=True)
class RowRules:
    """What the rules need from the run: its period (the status date's month; None: today is the horizon)
    and the home's quality settings."""

    period: str | None = None
    quality: QualitySettings = field(default_factory=QualitySettings)
    directory: Path = EXPECTATIONS_DIR


def _ensure_cache_table(con) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (entity VARCHAR, rows_quarantined BIGINT)")


def previously_ruled(con, entity: str) -> bool:
    """Whether the last ingest quarantined rows of ``entity`` by rule (the entity must then be rebuilt)."""
    _ensure_cache_table(con)
    return con.execute(f"SELECT count(*) FROM {CACHE_TABLE} WHERE entity = ?", [entity]).fetchone()[0] > 0


def forget_row_rules(con) -> None:
    """An ingest without rules (a library call): no rows are quarantined by rule now."""
    _ensure_cache_table(con)
    con.execute(f"DELETE FROM {CACHE_TABLE}")


def apply_row_rules(con, rules: RowRules, loaded_at: datetime) -> dict[str, dict[str, int]]:
    """Move the rows of raw.timesheets and raw.ledger that break a ``quarantine`` rule to quarantine.

    Returns ``{entity: {rule id: rows moved}}``; raw.load_log is updated per file.
    """
    from orchestration.pipeline.quality import compiled_raw_suite, kept_expectations

    _ensure_cache_table(con)
    moved: dict[str, dict[str, int]] = {}
    for entity in ROW_RULE_ENTITIES:
        con.execute(f"DELETE FROM {CACHE_TABLE} WHERE entity = ?", [entity])
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                           "AND schema_name = 'raw' AND table_name = ?", [entity]).fetchone()[0]:
            continue
        suite = f"raw_{entity}"
        severity = kept_expectations(suite, rules.directory, rules.quality)[2]
        if QUARANTINE not in severity.values():
            continue
        compiled = [c for c in compiled_raw_suite(con, entity, rules.period, rules.quality, serving=None,
                                                  suite=suite, directory=rules.directory)
                    if severity.get(c.meta.get("id")) == QUARANTINE and c.failing_rows_sql() and not c.error]
        if not compiled:
            continue
        # one scan for the common case: nothing breaks a rule
        breaking = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {c.condition})" for c in compiled)
                               + f" FROM {compiled[0].relation}").fetchone()
        if not any(breaking):
            continue
        counts = moved.setdefault(entity, {})
        for c, before in zip(compiled, breaking, strict=True):
            # A rule no row broke in that scan is not run again, unless it reads other rows of the table (a
            # day's total) and an earlier rule has moved rows since: taking a negative entry out raises its day.
            # Each rule run again is a scan of the whole table (0.4-0.9 s at 2,000 projects).
            if not before and not (sum(counts.values()) and _reads_other_rows(c, entity)):
                continue
            n = _move(con, entity, suite, c, loaded_at)
            if n:
                counts[c.meta["id"]] = n
        total = sum(counts.values())
        if total:
            con.execute(f"INSERT INTO {CACHE_TABLE} VALUES (?, ?)", [entity, total])
    return moved


#: Helper columns of the gate view computed over other rows of the same table (orchestration.pipeline.quality.
#: raw_gate_sql): a rule on one of them can change verdict when another rule moves rows.
ROW_SET_HELPERS = ("_daily_hours",)


def _reads_other_rows(compiled, entity: str) -> bool:
    """Whether the rule's verdict on a row can depend on the table's other rows: a day's total, or a subquery
    on the table itself (uniqueness)."""
    condition = compiled.condition or ""
    return (any(helper in condition for helper in ROW_SET_HELPERS)
            or f"raw.{entity}" in condition or f'raw."{entity}"' in condition)


def _move(con, entity: str, suite: str, compiled, loaded_at: datetime) -> int:
    """Move the rows ``compiled`` rejects now; returns how many. All in SQL: a whole file of rows may
    break a rule (a project missing from the register)."""
    from orchestration.contract import ENTITIES

    column = compiled.kwargs.get("column")
    shown = HELPER_COLUMNS.get(column, column)
    # the row's values as ingest records them: {"column": "text", ...}, keys sorted, blanks left out
    pairs = ", ".join(f"CASE WHEN \"{n}\" IS NOT NULL THEN '{json.dumps(n)}: ' || to_json(CAST(\"{n}\" AS VARCHAR)) END"
                      for n in sorted(ENTITIES[entity].column_names))
    meta = compiled.meta
    reason = f"{RULE_REASON_PREFIX}{suite}.{meta['id']}: {meta.get('why') or compiled.type}"
    con.execute("CREATE OR REPLACE TEMP TABLE _ruled AS " + compiled.failing_rows_sql(
        f"_source_file AS f, _source_sha256 AS s, _source_row AS r, ?::TIMESTAMP AS t, ? AS c, "
        f"CAST(\"{shown}\" AS VARCHAR) AS v, ? AS reason, '{{' || concat_ws(', ', {pairs}) || '}}' AS record")
        + " ORDER BY _source_file, _source_row", [loaded_at, shown, reason])
    moved = con.execute("SELECT count(*) FROM _ruled").fetchone()[0]
    if not moved:
        return 0
    con.execute(f"INSERT INTO quarantine.{entity} SELECT * FROM _ruled")
    con.execute(f"DELETE FROM raw.{entity} WHERE (_source_file, _source_sha256, _source_row) IN "
                "(SELECT f, s, r FROM _ruled)")
    con.execute("UPDATE raw.load_log AS l SET rows_loaded = l.rows_loaded - m.n, "
                "rows_quarantined = l.rows_quarantined + m.n "
                "FROM (SELECT f, s, count(*) AS n FROM _ruled GROUP BY ALL) AS m "
                "WHERE l.entity = ? AND l._source_file = m.f AND l._source_sha256 = m.s", [entity])
    return moved


def rule_quarantine_failures(con, entity: str):
    """The rows of ``quarantine.<entity>`` moved by a rule, as warnings (one per rule): what the raw gate
    reports so that the run publishes with a warning that names the rows."""
    from orchestration.pipeline.quality import ExpectationFailure

    if entity not in ROW_RULE_ENTITIES:
        return []
    try:
        found = con.execute(
            f"SELECT reason, count(*) OVER (PARTITION BY reason), _source_file, _source_row, column_name, value "
            f"FROM quarantine.{entity} WHERE starts_with(reason, '{RULE_REASON_PREFIX}') "
            f"QUALIFY row_number() OVER (PARTITION BY reason ORDER BY _source_file, _source_row) <= {NAMED_ROWS} "
            "ORDER BY _source_file, _source_row").fetchall()
    except duckdb.Error:  # a warehouse without the table: nothing was quarantined by rule
        return []
    failures: dict[str, ExpectationFailure] = {}
    for reason, count, file, row, column, value in found:
        rule, _, why = reason[len(RULE_REASON_PREFIX):].partition(": ")
        failure = failures.get(reason)
        if failure is None:
            failure = failures[reason] = ExpectationFailure(
                expectation="quarantined row by row", column=column, unexpected_count=count, sample=[],
                id=f"quarantined_{rule.split('.', 1)[-1]}", severity=WARNING, check="quarantine",
                why=f"{why} (rows moved to quarantine.{entity}; they do not count in AC)")
        failure.sample.append(value)
        failure.rows.append({"file": file, "row": row, "value": value})
    return list(failures.values())
