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

from orchestration.settings import EXPECTATIONS_DIR, QUARANTINE, WARNING, QualitySettings, switched_off

#: Entities whose rows are additive facts, quarantined row by row.
ROW_RULE_ENTITIES = ("timesheets", "ledger")
#: Prefix of the quarantine reason of a row moved by a rule: ``rule raw_timesheets.hours_per_entry: …``.
RULE_REASON_PREFIX = "rule "
#: The contract column a helper column of the gate view stands for (the quarantine row's column and value).
HELPER_COLUMNS = {"_project_task": "task_code", "_daily_hours": "hours", "_person_costable": "person_id"}
CACHE_TABLE = "ingest_cache.ruled"
#: The rules' last decision per entity: its key (:func:`_decision_key`), its date horizon, and the files whose
#: every row it let stay (with their loaded rows), which need not be looked at again (:func:`_unchecked_scope`).
CHECKED_TABLE = "ingest_cache.rules_checked"
CHECKED_DDL = (f"CREATE TABLE IF NOT EXISTS {CHECKED_TABLE} (entity VARCHAR, decision_key VARCHAR, horizon TIMESTAMP, "
               "_source_file VARCHAR, _source_sha256 VARCHAR, rows_loaded BIGINT)")
#: ``off`` decides the rules on every row every ingest.
CHECKED_ENV = "PMO_ROW_RULES_INCREMENTAL"
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
    con.execute(CHECKED_DDL)


def previously_ruled(con, entity: str) -> bool:
    """Whether the last ingest quarantined rows of ``entity`` by rule (the entity must then be rebuilt)."""
    _ensure_cache_table(con)
    return con.execute(f"SELECT count(*) FROM {CACHE_TABLE} WHERE entity = ?", [entity]).fetchone()[0] > 0


def forget_row_rules(con) -> None:
    """An ingest without rules (a library call): no rows are quarantined by rule now."""
    _ensure_cache_table(con)
    con.execute(f"DELETE FROM {CACHE_TABLE}")
    con.execute(f"DELETE FROM {CHECKED_TABLE}")


def apply_row_rules(con, rules: RowRules, loaded_at: datetime) -> dict[str, dict[str, int]]:
    """Move the rows of raw.timesheets and raw.ledger that break a ``quarantine`` rule to quarantine.

    Returns ``{entity: {rule id: rows moved}}``; raw.load_log is updated per file.
    """
    _ensure_cache_table(con)
    moved: dict[str, dict[str, int]] = {}
    for entity in ROW_RULE_ENTITIES:
        con.execute(f"DELETE FROM {CACHE_TABLE} WHERE entity = ?", [entity])
        decided = _decide(con, entity, rules, loaded_at, moved)
        con.execute(f"DELETE FROM {CHECKED_TABLE} WHERE entity = ?", [entity])
        if decided is not None:
            _remember_checked(con, entity, *decided)
    return moved


def _decide(con, entity: str, rules: RowRules, loaded_at: datetime, moved: dict[str, dict[str, int]]
            ) -> tuple[str, datetime] | None:
    """Apply the rules of ``entity``; returns the decision's key and horizon, or None when no rule ran."""
    from orchestration.pipeline.quality import compiled_raw_suite, kept_expectations

    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND schema_name = 'raw' AND table_name = ?", [entity]).fetchone()[0]:
        return None
    suite = f"raw_{entity}"
    severity = kept_expectations(suite, rules.directory, rules.quality)[2]
    if QUARANTINE not in severity.values():
        return None
    compiled = [c for c in compiled_raw_suite(con, entity, rules.period, rules.quality, serving=None,
                                              suite=suite, directory=rules.directory)
                if severity.get(c.meta.get("id")) == QUARANTINE and c.failing_rows_sql() and not c.error]
    if not compiled:
        return None
    relation = compiled[0].relation
    key, horizon = _decision_key(con, entity, suite, rules, severity, relation)
    scope = _unchecked_scope(con, entity, key, horizon, compiled)
    if scope == "FALSE":  # every row was let stay by the same decision, and no row came since
        return key, horizon
    # One scan of the gate view for every rule: the rows that break any, each with a flag per rule; in the
    # common case, none. (Each scan of the whole view costs 0.8-1 s at 2,000 projects: it takes every
    # person's day total and looks up every task and rate, whatever the rule reads. ``scope`` keeps it to the
    # rows of new files and the days they touch, a constant date range DuckDB pushes into the day's total.)
    con.execute("CREATE OR REPLACE TEMP TABLE _breaking AS SELECT *, "
                + ", ".join(f"coalesce({c.condition}, FALSE) AS _rule_{k}" for k, c in enumerate(compiled))
                + f" FROM {relation} WHERE (" + " OR ".join(f"({c.condition})" for c in compiled) + ")"
                + (f" AND ({scope})" if scope else ""))
    breaking = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE _rule_{k})" for k in range(len(compiled)))
                           + " FROM _breaking").fetchone()
    if not any(breaking):
        return key, horizon
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
    return key, horizon


def _decision_key(con, entity: str, suite: str, rules: RowRules, severity: dict[str, str], relation: str
                  ) -> tuple[str, datetime]:
    """The key under which a row's verdict cannot change, and the run's date horizon.

    A verdict depends on the row, its group's other rows (a person's day), the rules as ``quality.yaml`` leaves
    them, the parameters they name and the tables they look up (the register, the rates: each by the fingerprint
    of its rows), the gate view's columns and their types (``relation``), and the code. The date horizon is kept
    apart: a row on or before one horizon is on or before any later one, so a decision stays good while the
    horizon does not move back."""
    import sys

    from orchestration.pipeline import gate_memo
    from orchestration.pipeline.quality import kept_expectations, parameters_used, raw_gate_sql, suite_parameters
    from orchestration.pipeline.suite_sql import SqlSet

    kept = [exp for _, exp in kept_expectations(suite, rules.directory, rules.quality)[1]
            if severity.get(exp["meta"]["id"]) == QUARANTINE]
    params = suite_parameters(entity, con, rules.period, rules.quality)
    used = {name: params.get(name) for name in sorted(parameters_used(kept) - {"date_horizon"})}
    statements = [raw_gate_sql(entity, con)] + [v.sql for v in used.values() if isinstance(v, SqlSet)]
    types = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()  # the view's columns and their types
    key = gate_memo.inputs_key(
        con, gate_memo.code_version(sys.modules[__name__]),
        [("raw", t) for t in gate_memo.tables_read(*statements) if t != entity],
        {"entity": entity, "rules": kept, "types": [(name, kind) for name, kind, *_ in types],
         "parameters": {k: (v.sql if isinstance(v, SqlSet) else v) for k, v in used.items()}})
    return key, params["date_horizon"]


#: The date column of a row-set helper's group: a constant range on it is pushed into the group's total.
ROW_SET_RANGE = {"_daily_hours": "work_date"}


def _unchecked_scope(con, entity: str, key: str, horizon: datetime, compiled) -> str | None:
    """The rows whose verdict may differ from the last decision's: a filter on the gate view, ``"FALSE"`` for
    none, None for every row.

    The last decision's files are left out when its key is this one, its horizon not later, and each of them is
    still loaded with the rows it had (a file changed, removed or thinned by another file's duplicates is not).
    What is left: the rows of every other file (new ones, and those that had rows moved, which were put back),
    and, for a rule on a group's total, the rows of the groups those rows fall in, within their date range."""
    if switched_off(CHECKED_ENV):
        return None
    last = con.execute(f"SELECT decision_key, max(horizon) FROM {CHECKED_TABLE} WHERE entity = ? GROUP BY 1",
                       [entity]).fetchall()
    if len(last) != 1 or last[0][0] != key or (last[0][1] is not None and horizon < last[0][1]):
        return None
    changed = con.execute(
        f"SELECT count(*) FROM {CHECKED_TABLE} AS c LEFT JOIN raw.load_log AS l ON l.entity = c.entity "
        "AND l._source_file = c._source_file AND l._source_sha256 = c._source_sha256 "
        "WHERE c.entity = ? AND l.rows_loaded IS DISTINCT FROM c.rows_loaded", [entity]).fetchone()[0]
    if changed:
        return None
    if any(_reads_table_itself(c, entity) for c in compiled):
        return None  # a rule that reads the table itself (not through a group's helper) may read any row
    con.execute("CREATE OR REPLACE TEMP TABLE _unchecked_files AS SELECT DISTINCT _source_file AS f, "
                "_source_sha256 AS s FROM raw.load_log WHERE entity = ? AND (rows_in > 0 OR rows_loaded > 0) "
                "AND (_source_file, _source_sha256) NOT IN "
                f"(SELECT _source_file, _source_sha256 FROM {CHECKED_TABLE} WHERE entity = ?)", [entity, entity])
    if not con.execute("SELECT count(*) FROM _unchecked_files").fetchone()[0]:
        return "FALSE"
    files = "(_source_file, _source_sha256) IN (SELECT f, s FROM _unchecked_files)"
    helpers = [h for h in ROW_SET_HELPERS if any(h in (c.condition or "") for c in compiled)]
    if not helpers:
        return files
    if len(helpers) > 1:
        return None
    groups, day = ROW_SET_HELPERS[helpers[0]], ROW_SET_RANGE[helpers[0]]
    cols = ", ".join(groups)
    first, last_day, ungrouped = con.execute(
        f"SELECT min({day}), max({day}), count(*) FILTER (WHERE " + " OR ".join(f"{g} IS NULL" for g in groups)
        + f") FROM raw.{entity} WHERE {files}").fetchone()
    if ungrouped or first is None or _literal(first) is None or _literal(last_day) is None:
        return None
    return (f"{day} BETWEEN {_literal(first)} AND {_literal(last_day)} AND ({files} OR ({cols}) IN "
            f"(SELECT {cols} FROM raw.{entity} WHERE {files}))")


def _remember_checked(con, entity: str, key: str, horizon: datetime) -> None:
    """The files of ``entity`` whose every row the rules let stay, under the decision's key and horizon."""
    ruled = f"reason LIKE '{RULE_REASON_PREFIX}raw\\_{entity}.%' ESCAPE '\\'"
    con.execute(
        f"INSERT INTO {CHECKED_TABLE} SELECT ?, ?, ?, l._source_file, l._source_sha256, l.rows_loaded "
        "FROM raw.load_log AS l WHERE l.entity = ? AND (l._source_file, l._source_sha256) NOT IN "
        f"(SELECT _source_file, _source_sha256 FROM quarantine.{entity} WHERE {ruled})", [entity, key, horizon, entity])


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
    return any(helper in condition for helper in ROW_SET_HELPERS) or _reads_table_itself(compiled, entity)


def _reads_table_itself(compiled, entity: str) -> bool:
    """Whether the rule's condition queries ``raw.<entity>`` itself (a subquery), not through a group's helper."""
    condition = compiled.condition or ""
    return f"raw.{entity}" in condition or f'raw."{entity}"' in condition


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
