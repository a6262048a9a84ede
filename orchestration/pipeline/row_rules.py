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
        relation = compiled[0].relation
        # One scan of the gate view for every rule: the rows that break any, each with a flag per rule; in the
        # common case, none. (Each scan of the view costs 0.8-1 s at 2,000 projects: it takes every person's
        # day total and looks up every task and rate, whatever the rule reads.)
        con.execute("CREATE OR REPLACE TEMP TABLE _breaking AS SELECT *, "
                    + ", ".join(f"coalesce({c.condition}, FALSE) AS _rule_{k}" for k, c in enumerate(compiled))
                    + f" FROM {relation} WHERE " + " OR ".join(f"({c.condition})" for c in compiled))
        breaking = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE _rule_{k})" for k in range(len(compiled)))
                               + " FROM _breaking").fetchone()
        if not any(breaking):
            continue
        columns = {name for (name,) in con.execute("SELECT column_name FROM (DESCRIBE _breaking)").fetchall()}
        groups = next((cols for helper, cols in ROW_SET_HELPERS.items()
                       if helper in columns and all(c in columns for c in cols)), ())
        if groups:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _moved_groups AS SELECT {', '.join(groups)} FROM _breaking LIMIT 0")
        counts = moved.setdefault(entity, {})
        for k, (c, before) in enumerate(zip(compiled, breaking, strict=True)):
            if not _reads_other_rows(c, entity):
                # a verdict on the row alone: the rows it rejects now are the ones it rejected in the scan, less
                # those earlier rules moved
                if not before:
                    continue
                n = _move(con, entity, suite, c, loaded_at, "_breaking", groups=groups)
            else:
                # A rule no row broke in that scan is not run again, unless an earlier rule has moved rows since:
                # taking a negative entry out raises its day. It is run again on the groups (a person's day) of
                # the rows it rejected in the scan and of the rows moved since, where there are few.
                if not before and not sum(counts.values()):
                    continue
                n = _move(con, entity, suite, c, loaded_at, relation, restrict=_touched_groups(con, c, k, groups),
                          groups=groups)
            if n:
                counts[c.meta["id"]] = n
                con.execute("DELETE FROM _breaking WHERE (_source_file, _source_sha256, _source_row) IN "
                            "(SELECT f, s, r FROM _ruled)")
                if groups:
                    con.execute(f"INSERT INTO _moved_groups SELECT DISTINCT {', '.join(f'_g{i}' for i in range(len(groups)))} "
                                "FROM _ruled")
        total = sum(counts.values())
        if total:
            con.execute(f"INSERT INTO {CACHE_TABLE} VALUES (?, ?)", [entity, total])
    return moved


#: Helper columns of the gate view computed over other rows of the same table (orchestration.pipeline.quality.
#: raw_gate_sql), each with the columns of the group of rows it is computed over (a person's day): a rule on one
#: of them can change verdict when another rule moves rows, but only on the rows of a moved row's group.
ROW_SET_HELPERS = {"_daily_hours": ("person_id", "work_date")}
#: At most this many groups are checked again with constant filters (which DuckDB pushes into the day's total:
#: milliseconds instead of a scan of the table); beyond, the rule scans the whole gate view again.
GROUPS_MAX = 500


def _reads_other_rows(compiled, entity: str) -> bool:
    """Whether the rule's verdict on a row can depend on the table's other rows: a day's total, or a subquery
    on the table itself (uniqueness)."""
    condition = compiled.condition or ""
    return (any(helper in condition for helper in ROW_SET_HELPERS)
            or f"raw.{entity}" in condition or f'raw."{entity}"' in condition)


def _touched_groups(con, compiled, k: int, groups: tuple[str, ...]) -> str | None:
    """A filter on the groups a row-set rule (flag ``_rule_<k>`` in ``_breaking``) must look at again: those of
    the rows it rejected in the first scan and of the rows moved since; None (every row) when the rule reads
    the table otherwise than through a group's helper, or when the groups are too many to name."""
    condition = compiled.condition or ""
    if not groups or "raw." in condition:
        return None
    cols = ", ".join(groups)
    found = con.execute(f"SELECT DISTINCT {cols} FROM (SELECT {cols} FROM _breaking WHERE _rule_{k} UNION ALL "
                        f"SELECT * FROM _moved_groups) WHERE " + " AND ".join(f"{g} IS NOT NULL" for g in groups)
                        + f" LIMIT {GROUPS_MAX + 1}").fetchall()
    if len(found) > GROUPS_MAX:
        return None
    terms = []
    for values in found:
        literals = [_literal(v) for v in values]
        if None in literals:
            return None
        terms.append("(" + " AND ".join(f"{g} = {lit}" for g, lit in zip(groups, literals, strict=True)) + ")")
    return " OR ".join(terms) or "FALSE"


def _literal(value) -> str | None:
    """A SQL literal of a group's value (constants, not parameters: DuckDB pushes a constant filter down into the
    day's total, and a parameter only after planning); None for a type not named here."""
    from datetime import date

    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"DATE '{value.isoformat()}'"
    return None


def _move(con, entity: str, suite: str, compiled, loaded_at: datetime, relation: str, *, restrict: str | None = None,
          groups: tuple[str, ...] = ()) -> int:
    """Move the rows ``compiled`` rejects now in ``relation`` (the gate view, or the table of the rows that broke
    a rule in the first scan), only among the rows ``restrict`` selects; returns how many. All in SQL: a whole
    file of rows may break a rule (a project missing from the register). ``_ruled`` keeps the moved rows, with
    their ``groups`` values as ``_g0``, ``_g1``…"""
    from orchestration.contract import ENTITIES

    column = compiled.kwargs.get("column")
    shown = HELPER_COLUMNS.get(column, column)
    # the row's values as ingest records them: {"column": "text", ...}, keys sorted, blanks left out
    pairs = ", ".join(f"CASE WHEN \"{n}\" IS NOT NULL THEN '{json.dumps(n)}: ' || to_json(CAST(\"{n}\" AS VARCHAR)) END"
                      for n in sorted(ENTITIES[entity].column_names))
    meta = compiled.meta
    reason = f"{RULE_REASON_PREFIX}{suite}.{meta['id']}: {meta.get('why') or compiled.type}"
    kept = "".join(f", {g} AS _g{i}" for i, g in enumerate(groups))
    where = compiled.condition + (f" AND ({restrict})" if restrict is not None else "")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ruled AS SELECT _source_file AS f, _source_sha256 AS s, _source_row AS r, "
        f"?::TIMESTAMP AS t, ? AS c, CAST(\"{shown}\" AS VARCHAR) AS v, ? AS reason, "
        f"'{{' || concat_ws(', ', {pairs}) || '}}' AS record{kept} FROM {relation} WHERE {where} "
        "ORDER BY _source_file, _source_row", [loaded_at, shown, reason])
    moved = con.execute("SELECT count(*) FROM _ruled").fetchone()[0]
    if not moved:
        return 0
    con.execute(f"INSERT INTO quarantine.{entity} SELECT f, s, r, t, c, v, reason, record FROM _ruled")
    con.execute(f"DELETE FROM raw.{entity} WHERE (_source_file, _source_sha256, _source_row) IN "
                "(SELECT f, s, r FROM _ruled)")
    con.execute("UPDATE raw.load_log AS l SET rows_loaded = l.rows_loaded - m.n, "
                "rows_quarantined = l.rows_quarantined + m.n "
                "FROM (SELECT f, s, count(*) AS n FROM _ruled GROUP BY f, s) AS m "
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
