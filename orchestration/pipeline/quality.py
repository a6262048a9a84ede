"""The great-expectations gates, evaluated as SQL in DuckDB over every row, and the run's quality summary.

Suites are JSON files in ``expectations/`` (GX 1.x ``ExpectationSuite`` dictionaries, the single source of
truth): one per raw entity (``raw_<entity>.json``) and one per published mart (``mart_<mart>.json``).
Values that depend on the data or the run (the known project codes and tasks, the date horizon, the
volume band) are suite parameters (``{"$PARAMETER": name}``) supplied at validation time by
:func:`suite_parameters`; the known codes stay subqueries (:class:`~orchestration.pipeline.suite_sql.SqlSet`).
Checks that span rows (hours per person per day, a task known to its project, composite keys) validate
helper columns named with a leading ``_``, which :func:`raw_gate_sql` and :func:`mart_gate_sql` add to
the table in a SQL view: nothing loads a table into pandas.

**How a suite runs.**  :func:`run_raw_suite` and :func:`run_mart_suite` open the warehouse read-only,
create a temporary view over the table with its helper columns, and hand the suite to
:mod:`orchestration.pipeline.suite_sql`, which turns each expectation into SQL with the semantics GX gives it
(one pass counts every expectation's unexpected rows; a failing one is queried again for its first
rows).  Every row is checked; the outcome (:class:`SuiteOutcome`, :class:`ExpectationFailure`: counts,
sample values, file and row of the first failing rows) is what GX produced.

**Why SQL for every table, small ones included, and GX as the reference.**  At 2,000 projects the raw
timesheets are 3.8 M rows: GX on pandas took 48 s and most of an 8.4 GB run, SQL takes seconds in little
memory.  A size threshold that sent small tables to GX would give the gates two engines whose edge cases
(NaN, regex dialect, dtypes) could disagree depending on how big a table happened to be, and would import
great-expectations (seconds per process) into every run.  So every table goes through SQL, and GX
stays the reference: :func:`validate_frame_gx` runs a suite through GX on a pandas frame, and
``tests/unit/test_suite_parity.py`` runs every raw and mart suite both ways on the same data, broken on
purpose in every way the suites check, and requires identical verdicts and counts.

Every expectation carries ``meta.id`` and a default ``meta.severity`` (``blocking`` or ``warning``);
``<home>/quality.yaml`` overrides them (:class:`~orchestration.settings.QualitySettings`).  A suite
*passes* when no blocking expectation failed; failed warnings are reported, and published.

Each run's verdicts go to ``<home>/quality/<period>/<run_id>.json`` (:func:`write_run_summary`),
which ``pmo status`` and the pack's data-quality appendix read.
"""
from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.contract import PERIOD_COLUMN
from orchestration.pipeline.row_rules import rule_quarantine_failures
from orchestration.settings import BLOCKING, EXPECTATIONS_DIR, OFF, QUARANTINE, WARNING, QualitySettings
from orchestration.pipeline.suite_sql import (
    CompiledExpectation,
    Relation,
    SqlSet,
    compile_expectation,
    evaluate,
    pandas_text,
    quote,
)
from orchestration.warehouse import connect, read_if_available

from orchestration.pipeline.gate_memo import tables_read

if TYPE_CHECKING:
    from orchestration.pipeline.gate_memo import GateMemo

SAMPLE_SIZE = 10
RAW_SUITE_PREFIX = "raw_"
SUMMARY_VERSION = 1

#: Active ISO 4217 codes (precious-metal and fund units left out: not cost currencies).
_ISO_4217_TEXT = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_TEXT.split())


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------

@dataclass
class ExpectationFailure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    sample: list
    id: str = ""
    severity: str = BLOCKING
    check: str = ""
    why: str = ""
    rows: list[dict] = field(default_factory=list)   # file, row and value of failing rows (a sample)

    def describe(self) -> str:
        where = f" on column {self.column!r}" if self.column else ""
        count = f": {self.unexpected_count} failing row(s)" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.sample[:5]}" if self.sample else ""
        located = ""
        if self.rows:
            located = "; first at " + ", ".join(f"{r['file']} row {r['row']}" for r in self.rows[:3])
        name = f"{self.id} ({self.expectation})" if self.id else self.expectation
        return f"{name}{where}{count}{sample}{located}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    rows: int
    failures: list[ExpectationFailure] = field(default_factory=list)

    @property
    def blocking_failures(self) -> list[ExpectationFailure]:
        return [f for f in self.failures if f.severity == BLOCKING]

    @property
    def warnings(self) -> list[ExpectationFailure]:
        return [f for f in self.failures if f.severity == WARNING]

    @property
    def status(self) -> str:
        """passed | warned | failed"""
        return "failed" if self.blocking_failures else ("warned" if self.warnings else "passed")

    def summary(self) -> str:
        if not self.failures:
            return f"suite {self.suite}: {self.evaluated} expectation(s) passed on {self.rows} row(s)"
        lines = []
        if self.blocking_failures:
            lines.append(f"suite {self.suite}: {len(self.blocking_failures)} blocking expectation(s) of "
                         f"{self.evaluated} failed on {self.rows} row(s)")
            lines += [f"  - {f.describe()}" for f in self.blocking_failures]
        if self.warnings:
            lines.append(f"suite {self.suite}: {len(self.warnings)} warning(s) on {self.rows} row(s)")
            lines += [f"  - warning {f.describe()}" for f in self.warnings]
        return "\n".join(lines)


def load_suite_dict(name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    path = directory / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"expectation suite {name!r} not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def raw_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, str]:
    """entity -> suite name, for every ``raw_<entity>.json`` in ``directory`` whose entity exists."""
    from orchestration.contract import ENTITIES

    out = {}
    for path in sorted(directory.glob(f"{RAW_SUITE_PREFIX}*.json")):
        entity = path.stem[len(RAW_SUITE_PREFIX):]
        if entity in ENTITIES:
            out[entity] = path.stem
    return out


# --------------------------------------------------------------------------------------------
# Running a suite: SQL over a relation (the gates), GX over a frame (the reference)
# --------------------------------------------------------------------------------------------

def kept_expectations(suite_name: str, directory: Path = EXPECTATIONS_DIR,
                      quality: QualitySettings | None = None) -> tuple[dict, list[tuple[int, dict]], dict[str, str]]:
    """(suite, [(position, expectation)], {id: severity}) for the expectations of the suite that run.

    Each expectation's id is its ``meta.id`` (``<type>#<position>`` when it has none) and its severity
    its ``meta.severity`` (default blocking) unless ``quality`` overrides it; ``off`` ones are left out.
    """
    quality = quality or QualitySettings()
    raw = load_suite_dict(suite_name, directory)
    kept, severity = [], {}
    for i, exp in enumerate(raw.get("expectations", [])):
        meta = exp.get("meta") or {}
        eid = meta.get("id") or f"{exp.get('type')}#{i}"
        sev = quality.severity_for(suite_name, eid, meta.get("severity", BLOCKING))
        if sev == OFF:
            continue
        severity[eid] = sev
        kept.append((i, {**exp, "meta": {**meta, "id": eid}}))
    return raw, kept, severity


def _gate_severity(severity: str) -> str:
    """A quarantine rule whose rows are still in the raw table when the gate runs (no ingest applied it)
    blocks: the rows are not moved, so they must not count."""
    return BLOCKING if severity == QUARANTINE else severity


def validate_relation(relation: Relation, suite_name: str, parameters: dict | None = None,
                      directory: Path = EXPECTATIONS_DIR, quality: QualitySettings | None = None) -> SuiteOutcome:
    """Run the suite ``expectations/<suite_name>.json`` as SQL on every row of ``relation``."""
    _, kept, severity = kept_expectations(suite_name, directory, quality)
    evaluation = evaluate(relation, kept, parameters or {}, where=f"expectations/{suite_name}.json",
                          sample_size=SAMPLE_SIZE)
    failures = []
    for r in evaluation.results:
        if r.success:
            continue
        eid = r.meta.get("id", "")
        failures.append(ExpectationFailure(
            expectation=r.type, column=r.column, unexpected_count=r.unexpected_count, sample=r.sample, id=eid,
            severity=_gate_severity(severity.get(eid, BLOCKING)), check=r.meta.get("check", ""), why=r.meta.get("why", ""),
            rows=r.rows))
    success = not any(f.severity == BLOCKING for f in failures)
    return SuiteOutcome(suite_name, success, len(evaluation.results), evaluation.rows, failures)


#: The column that keeps a registered frame's row order (not part of the table the suite sees).
FRAME_ORDER = "__gate_frame_order"


def _register_frame(con, name: str, frame) -> None:
    frame = frame.reset_index(drop=True)
    con.register(name, frame.assign(**{FRAME_ORDER: range(len(frame))}))


def validate_frame(suite_name: str, frame, parameters: dict | None = None,
                   directory: Path = EXPECTATIONS_DIR, quality: QualitySettings | None = None) -> SuiteOutcome:
    """Run the suite ``expectations/<suite_name>.json`` on a pandas ``frame``: the frame is registered in
    an in-memory DuckDB and validated in SQL like a table (failing rows sampled in the frame's order).

    Each expectation's severity is its ``meta.severity`` (default blocking) unless ``quality``
    overrides it; an expectation whose severity is ``off`` is not run.
    """
    with connect() as con:
        _register_frame(con, "gate_frame", frame)
        relation = Relation(con, "gate_frame", order_by=quote(FRAME_ORDER), hidden=(FRAME_ORDER,), label="the frame")
        return validate_relation(relation, suite_name, parameters, directory, quality)


_CONTEXT = None


def _gx_context():
    """One ephemeral GX context per process (creating one costs far more than a validation)."""
    global _CONTEXT
    import great_expectations as gx

    if _CONTEXT is None:
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        _CONTEXT = gx.get_context(mode="ephemeral")
        _CONTEXT.variables.progress_bars = {"globally": False}
    return _CONTEXT


def validate_frame_gx(suite_name: str, frame, parameters: dict | None = None,
                      directory: Path = EXPECTATIONS_DIR, quality: QualitySettings | None = None) -> SuiteOutcome:
    """The reference engine: run the suite through great-expectations on a pandas ``frame``.

    Not used by a run (see the module docstring); the parity tests hold :func:`validate_relation` to it.
    A :class:`~orchestration.pipeline.suite_sql.SqlSet` parameter must be turned into a list first.
    """
    import great_expectations as gx

    raw, kept, severity = kept_expectations(suite_name, directory, quality)
    suite = gx.ExpectationSuite(**{**raw, "expectations": [exp for _, exp in kept]})
    context = _gx_context()
    source_name = f"{suite_name}_source"
    try:
        source = context.data_sources.get(source_name)
    except (KeyError, ValueError):
        source = None
    if source is None:
        source = context.data_sources.add_pandas(source_name)
        source.add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("whole")
    batch_definition = source.get_asset(suite_name).get_batch_definition("whole")
    frame = frame.reset_index(drop=True)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, expectation_parameters=parameters or {},
                            result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE_SIZE})
    failures = []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        meta = config.meta or {}
        details = r.result or {}
        column = config.kwargs.get("column") or config.kwargs.get("column_A")
        sample = [_plain(v) for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]]
        if not sample and "observed_value" in details:
            sample = [_plain(details["observed_value"])]
        if r.exception_info and r.exception_info.get("raised_exception"):
            sample = [str(r.exception_info.get("exception_message"))[:300]]
        rows = []
        for index in (details.get("unexpected_index_list") or [])[:SAMPLE_SIZE]:
            if isinstance(index, int) and 0 <= index < len(frame):
                row = frame.iloc[index]
                rows.append({"file": _plain(row.get("_source_file")), "row": _plain(row.get("_source_row")),
                             "value": _plain(row.get(column)) if column else None})
        failures.append(ExpectationFailure(
            expectation=config.type, column=column, unexpected_count=details.get("unexpected_count"),
            sample=sample, id=meta.get("id", ""), severity=_gate_severity(severity.get(meta.get("id"), BLOCKING)),
            check=meta.get("check", ""), why=meta.get("why", ""), rows=rows))
    success = not any(f.severity == BLOCKING for f in failures)
    return SuiteOutcome(suite_name, success, len(result.results), len(frame), failures)


def _plain(value):
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    if hasattr(value, "item"):  # numpy scalars
        try:
            return _plain(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, datetime):
        import pandas as pd

        return None if pd.isna(value) else value.isoformat()[:10] if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


# --------------------------------------------------------------------------------------------
# The raw gates: helper columns and parameters, in SQL
# --------------------------------------------------------------------------------------------

def period_end(period: str) -> date:
    year, month = map(int, period.split("-"))
    first_next = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return first_next - timedelta(days=1)


def date_horizon(period: str | None, quality: QualitySettings, today: date | None = None) -> date:
    """Dates after this are in the future: the run's period end, or today when that is later (so a
    backfill of a closed period does not flag the later months' data), plus the grace days."""
    today = today or datetime.now(UTC).date()
    end = period_end(period) if period else today
    return max(end, today) + timedelta(days=quality.future_grace_days)


def _scalar_list(con, sql: str) -> list:
    try:
        return [r[0] for r in con.execute(sql).fetchall()]
    except duckdb.Error:
        return []


def table_types(con, schema: str, table: str) -> dict[str, str]:
    """{column: DuckDB type} of ``schema.table`` in table order ({} when it does not exist).  (DESCRIBE:
    information_schema would list the columns of every dbt model to find them.)"""
    try:
        return {r[0]: r[1] for r in con.execute(f"DESCRIBE {quote(schema)}.{quote(table)}").fetchall()}
    except duckdb.CatalogException:
        return {}


def key_sql(types: dict[str, str], columns: list[str], sep: str = "|", alias: str = "") -> str:
    """The columns spelt as text (pandas' spelling), a missing value as '', joined by ``sep``: a key that
    one uniqueness expectation can check (``_rate_key`` = ``person_id|role|valid_from``)."""
    prefix = f"{alias}." if alias else ""
    parts = [f"coalesce({pandas_text(prefix + quote(c), types[c])}, '')" for c in columns]
    return f" || '{sep}' || ".join(parts)


#: Per raw entity, helper keys: name -> (columns, separator).
RAW_KEYS = {
    "tasks": {"_task_key": (["status_date", "project_code", "task_code"], "|")},
    "baseline_phasing": {"_phase_key": (["project_code", "task_code", "baseline_version", "phase_start"], "|")},
    "rates": {"_rate_key": (["person_id", "role", "valid_from"], "|")},
    "fx_rates": {"_fx_key": (["period", "from_currency", "to_currency"], "|")},
    "benefits": {"_benefit_key": (["benefit_id", "period"], "|")},
    "risks": {"_risk_key": (["status_date", "risk_id"], "|")},
    "capacity": {"_capacity_key": (["person_id", "period"], "|")},
    "work_items": {"_item_key": (["status_date", "item_key"], "|")},
    "ledger": {"_document_line": (["document_id", "line_id"], "#")},
}


def raw_gate_sql(entity: str, con) -> str:
    """``SELECT raw.<entity>.*, <helper columns>``: the table a raw suite validates.

    The helper columns (each documented in the suite's meta):

    * ``_project_task`` (timesheets, ledger, baseline phasing): ``project_code/task_code``, NULL without a
      task (or, for phasing, without either);
    * ``_daily_hours`` (timesheets): the person's hours that day, over all their entries not rejected;
    * ``_person_costable`` (timesheets): the person has a rate of their own, or their role has one;
    * ``_closed_project_posting`` (ledger): posted to a closed project after the month of its finish (the
      latest actual finish in its schedules, else its planned finish);
    * ``_rate_subject`` (rates): the person, else the role;
    * keys (:data:`RAW_KEYS`) for the uniqueness expectations.

    Each is computed for every row, over the whole table, in DuckDB.
    """
    types = table_types(con, "raw", entity)
    if not types:
        raise duckdb.CatalogException(f"Table with name raw.{entity} does not exist")
    has = types.__contains__
    extra, joins = [], []
    if entity in ("timesheets", "ledger") and has("task_code") and has("project_code"):
        extra.append("CASE WHEN t.task_code IS NOT NULL THEN t.project_code || '/' || t.task_code END AS _project_task")
    if entity == "baseline_phasing" and has("task_code") and has("project_code"):
        extra.append("t.project_code || '/' || t.task_code AS _project_task")
    if entity == "timesheets":
        if all(map(has, ("person_id", "work_date", "hours", "approval_status"))):
            joins.append(
                "LEFT JOIN (SELECT person_id, work_date, fsum(CASE WHEN coalesce(approval_status, 'approved') "
                "<> 'rejected' AND NOT isnan(hours) THEN hours ELSE 0 END) AS hours FROM raw.timesheets "
                "WHERE person_id IS NOT NULL AND work_date IS NOT NULL GROUP BY ALL) AS daily "
                "ON daily.person_id = t.person_id AND daily.work_date = t.work_date")
            extra.append("CASE WHEN t.person_id IS NOT NULL AND t.work_date IS NOT NULL "
                         "THEN coalesce(daily.hours, 0.0) END AS _daily_hours")
        people = "SELECT person_id FROM raw.rates WHERE person_id IS NOT NULL"
        roles = "SELECT role FROM raw.rates WHERE role IS NOT NULL AND person_id IS NULL"
        costable = [f"coalesce(t.{column} IN ({sql}), FALSE)" for column, sql in (("person_id", people), ("role", roles))
                    if has(column) and _binds(con, sql)]
        extra.append(f"({' OR '.join(costable) or 'FALSE'}) AS _person_costable")
    if entity == "ledger":
        # a closed project's finish: the latest actual finish in its schedules, else its planned finish
        closed = ("SELECT p.project_code, coalesce(max(s.actual_finish), max(p.planned_finish_date)) AS finish "
                  "FROM raw.projects AS p LEFT JOIN raw.tasks AS s ON s.project_code = p.project_code "
                  "WHERE p.status = 'closed' GROUP BY p.project_code")
        if _binds(con, closed) and has("posting_date") and has("project_code"):
            joins.append(f"LEFT JOIN ({closed}) AS closed ON closed.project_code = t.project_code")
            # month-end accruals of the finish month are normal; a posting in a later month is not
            extra.append("coalesce(closed.finish IS NOT NULL AND t.posting_date IS NOT NULL AND "
                         "t.posting_date > last_day(closed.finish), FALSE) AS _closed_project_posting")
        else:
            extra.append("FALSE AS _closed_project_posting")
    if entity == "rates" and has("person_id") and has("role"):
        extra.append("coalesce(t.person_id, t.role) AS _rate_subject")
    for name, (columns, sep) in RAW_KEYS.get(entity, {}).items():
        if all(map(has, columns)):
            extra.append(f"{key_sql(types, columns, sep, 't')} AS {name}")
    select = ", ".join(["t.*"] + extra)
    return f"SELECT {select} FROM raw.{quote(entity)} AS t {' '.join(joins)}"


#: A DuckDB file the gates read: its path, or a read-only connection to it that the caller holds (a step that
#: runs every suite opens each file once: an open costs about 40 ms, and a run has some 45 suites).
Source = Path | duckdb.DuckDBPyConnection


@contextmanager
def _borrowed(source, open_file) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """``source`` itself when it is a connection (its holder closes it), else ``open_file(source)``'s
    connection for the block."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    with open_file(source) as con:
        yield con


def _read_serving(serving: Source | None, read):
    """``read(con)`` on the published snapshot, read-only; None when it is absent, busy or lacks what
    ``read`` queries (the first run has no previous load to compare with)."""
    with _borrowed(serving, read_if_available) as con:
        if con is None:
            return None
        try:
            return read(con)
        except duckdb.Error:
            return None


def previous_published_rows(serving: Source | None, entity: str) -> int | None:
    """Rows of ``entity`` loaded by the last published run (``quality.load_log`` in serving.duckdb)."""
    def read(con):
        row = con.execute("SELECT sum(rows_loaded) FROM quality.load_log WHERE entity = ?", [entity]).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    return _read_serving(serving, read)


def volume_band(previous: int | None, quality: QualitySettings) -> tuple[int | None, int | None]:
    """The (min, max) row count a table may have given the rows of the last published load."""
    vmin = vmax = None
    if previous:
        if quality.volume_min_ratio is not None:
            vmin = int(previous * quality.volume_min_ratio)
        if quality.volume_max_ratio is not None:
            vmax = int(previous * quality.volume_max_ratio + 0.999999)
    return vmin, vmax


def _binds(con, sql: str) -> bool:
    """Whether ``sql`` can run on this warehouse (its tables and columns exist, its types agree)."""
    try:
        con.execute(f"DESCRIBE {sql}")
    except duckdb.Error:
        return False
    return True


def _sql_set(con, sql: str) -> SqlSet | list:
    """The rows of ``sql`` as a value set that stays a subquery ([] when it cannot run, e.g. no table)."""
    return SqlSet(sql) if _binds(con, sql) else []


def suite_parameters(entity: str, con, period: str | None, quality: QualitySettings,
                     serving: Source | None = None, today: date | None = None) -> dict:
    """The values the raw suites' ``$PARAMETER`` placeholders take for this run (the known project codes
    and tasks as subqueries on the warehouse: :class:`~orchestration.pipeline.suite_sql.SqlSet`)."""
    vmin, vmax = volume_band(previous_published_rows(serving, entity), quality)
    return {
        "known_project_codes": _sql_set(con, "SELECT DISTINCT project_code FROM raw.projects"),
        "known_project_tasks": _sql_set(con, "SELECT DISTINCT project_code || '/' || task_code FROM raw.tasks"),
        "known_currencies": sorted(ISO_4217 | set(quality.extra_currencies)),
        "date_horizon": datetime.combine(date_horizon(period, quality, today), datetime.min.time()),
        "max_daily_hours": quality.max_daily_hours,
        "volume_min_rows": vmin,
        "volume_max_rows": vmax,
    }


#: Order in which failing raw rows are sampled: file, then row.
RAW_ORDER = '"_source_file", "_source_row"'


def _read_only(warehouse: Source):
    """The warehouse read-only for a block: the caller's connection, or the file opened for the block."""
    return _borrowed(warehouse, lambda path: connect(path, read_only=True))


def run_raw_suite(entity: str, warehouse: Source, period: str | None,
                  quality: QualitySettings | None = None, serving: Source | None = None,
                  suite: str | None = None, today: date | None = None,
                  directory: Path = EXPECTATIONS_DIR, memo: GateMemo | None = None) -> SuiteOutcome:
    """Validate every row of ``raw.<entity>`` of ``warehouse`` (its path, or a read-only connection to it)
    with its suite, for the run of ``period``.  With ``memo``, a suite whose tables, definition and parameters
    are those of its last run gets that run's outcome back (orchestration/pipeline/gate_memo.py)."""
    quality = quality or QualitySettings()
    name = suite or f"{RAW_SUITE_PREFIX}{entity}"
    with _read_only(warehouse) as con:
        gate_sql = raw_gate_sql(entity, con)
        relation = raw_gate_relation(con, entity, gate_sql)
        params = suite_parameters(entity, con, period, quality, serving, today)
        outcome, key = None, ""
        if memo is not None and memo.enabled:
            _, kept, severity = kept_expectations(name, directory, quality)
            used = {k: params.get(k) for k in sorted(parameters_used(kept))}
            if isinstance(used.get("date_horizon"), datetime):
                used["date_horizon"] = _horizon_key(con, entity, kept, used["date_horizon"])
            sets = [p.sql for p in used.values() if isinstance(p, SqlSet)]
            key = memo.key(con, name, [("raw", t) for t in tables_read(gate_sql, *sets)], {
                "kept": kept, "severity": severity, "view": gate_sql, "types": relation.types,
                "parameters": {k: (v.sql if isinstance(v, SqlSet) else v) for k, v in used.items()}})
            outcome = memo.get(name, key)
        if outcome is None:
            outcome = validate_relation(relation, name, params, directory, quality)
            if memo is not None and key:
                memo.put(name, key, outcome)
        # the rows ingest quarantined by a row rule, as warnings that name them (orchestration/pipeline/row_rules.py)
        outcome.failures += rule_quarantine_failures(con, entity)
        return outcome


def parameters_used(node) -> set[str]:
    """The ``$PARAMETER`` names an expectation (or a list of them) refers to."""
    if isinstance(node, dict):
        if set(node) == {"$PARAMETER"}:
            return {str(node["$PARAMETER"])}
        return set().union(*(parameters_used(v) for v in node.values())) if node else set()
    if isinstance(node, (list, tuple)):
        return set().union(*(parameters_used(v) for v in node)) if node else set()
    return set()


def _horizon_key(con, entity: str, kept: list[tuple[int, dict]], horizon: datetime) -> str:
    """What the date horizon contributes to a suite's verdicts: nothing while every date it is compared with is
    on or before it (the horizon is today's date for a past period, so it moves every day while the dates do
    not), else the horizon itself."""
    columns = sorted({exp.get("kwargs", {}).get("column") for _, exp in kept
                      if "date_horizon" in parameters_used(exp.get("kwargs", {}))} - {None})
    types = table_types(con, "raw", entity)
    if not columns or not all(c in types for c in columns):
        return horizon.isoformat()
    beyond = con.execute("SELECT " + " OR ".join(f"coalesce(max({quote(c)}) > ?, FALSE)" for c in columns)
                         + f" FROM raw.{quote(entity)}", [horizon] * len(columns)).fetchone()[0]
    return horizon.isoformat() if beyond else "after every date"


def raw_gate_relation(con, entity: str, sql: str | None = None) -> Relation:
    """The temporary view ``gate_raw_<entity>`` (raw.<entity> and its helper columns; ``sql``, when given, is
    :func:`raw_gate_sql`'s) on ``con``."""
    view = quote(f"gate_raw_{entity}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {sql or raw_gate_sql(entity, con)}")
    return Relation(con, view, order_by=RAW_ORDER, label=f"raw.{entity}", base=f"raw.{quote(entity)}")


def compiled_raw_suite(con, entity: str, period: str | None, quality: QualitySettings | None = None,
                       serving: Path | None = None, today: date | None = None, suite: str | None = None,
                       directory: Path = EXPECTATIONS_DIR) -> list[CompiledExpectation]:
    """The raw suite of ``entity`` compiled to SQL on ``con``, without running it: for each expectation
    that runs, ``condition`` is a WHERE clause over the view ``relation`` (TRUE on exactly the rows it
    rejects; None for a verdict on the table) and ``failing_rows_sql()`` selects those rows."""
    quality = quality or QualitySettings()
    relation = raw_gate_relation(con, entity)
    params = suite_parameters(entity, con, period, quality, serving, today)
    suite = suite or f"{RAW_SUITE_PREFIX}{entity}"
    return [compile_expectation(i, exp, relation, params, f"expectations/{suite}.json, expectation #{i}")
            for i, exp in kept_expectations(suite, directory, quality)[1]]


# --------------------------------------------------------------------------------------------
# The mart gates: the published marts, read from the built warehouse before publishing
# --------------------------------------------------------------------------------------------

MART_SUITE_PREFIX = "mart_"
MARTS_SCHEMA = "marts"


def mart_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, str]:
    """mart -> suite name, for every ``mart_<mart>.json`` in ``directory``."""
    return {path.stem[len(MART_SUITE_PREFIX):]: path.stem
            for path in sorted(directory.glob(f"{MART_SUITE_PREFIX}*.json"))}


def mart_keys(suite: dict) -> list[str]:
    """The key columns of a mart suite (``meta.keys``)."""
    return list((suite.get("meta") or {}).get("keys") or [])


MART_HELPERS = ("_source_file", "_source_row", "_period_not_after_run", "_status_date_is_period_end")


def mart_gate_sql(source: str, types: dict[str, str], keys: list[str], mart: str, period: str | None) -> str:
    """``SELECT <mart>.*, <helper columns>``: the table a mart suite validates, and a location for failing
    rows.

    ``_source_file`` is ``marts.<mart>`` and ``_source_row`` the row's key (e.g. ``PRJ-1|2026-03``), so a
    failure names the mart row the way a raw failure names the file row.  ``_period_not_after_run`` is
    False on rows of a period after the run's; ``_status_date_is_period_end`` is False where a row's
    status_date is not the last day of its period.
    """
    present = [k for k in keys if k in types]
    replaced = [c for c in MART_HELPERS if c in types]
    star = f"* EXCLUDE ({', '.join(map(quote, replaced))})" if replaced else "*"
    extra = [f"{_literal_text(f'{MARTS_SCHEMA}.{mart}')} AS _source_file",
             f"{key_sql(types, present) if present else 'CAST(NULL AS VARCHAR)'} AS _source_row"]
    if "period" in types:
        text = "CAST(period AS VARCHAR)"
        extra.append(f"(period IS NULL OR {text} <= {_literal_text(period)}) AS _period_not_after_run" if period
                     else "TRUE AS _period_not_after_run")
        if "status_date" in types:
            extra.append(
                f"CASE WHEN period IS NULL OR status_date IS NULL THEN NULL WHEN length({text}) = 7 THEN "
                f"coalesce(CAST(status_date AS DATE) = last_day(CAST(try_strptime({text} || '-01', '%Y-%m-%d') "
                f"AS DATE)), FALSE) ELSE FALSE END AS _status_date_is_period_end")
    return f"SELECT {star}, {', '.join(extra)} FROM {source}"


def _literal_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def previous_published_mart_rows(serving: Source | None, mart: str, period: str | None,
                                 columns: Iterable[str] | None = None) -> int | None:
    """Rows of ``marts.<mart>`` in the published snapshot, counting only periods up to ``period`` where the
    mart has a period column (so rebuilding an earlier period compares like with like).

    ``columns`` (the mart as just built): when the published mart has other columns, its definition changed
    since (an upgrade), its rows are not comparable and there is no previous count (None: no volume band for
    this run), so a deliberate change of a mart's grain does not block the first run after it."""
    built = None if columns is None else set(columns)

    def read(con):
        columns = set(table_types(con, MARTS_SCHEMA, mart))
        if not columns or (built is not None and columns != built):
            return None
        where, args = ("WHERE period <= ?", [period]) if period and "period" in columns else ("", [])
        row = con.execute(f"SELECT count(*) FROM {MARTS_SCHEMA}.{mart} {where}", args).fetchone()
        return None if row is None else int(row[0])

    return _read_serving(serving, read)


def mart_parameters(mart: str, period: str | None, quality: QualitySettings,
                    serving: Source | None,
                    reporting_currency: str, columns: Iterable[str] | None = None) -> dict:
    vmin, vmax = volume_band(previous_published_mart_rows(serving, mart, period, columns), quality)
    return {"reporting_currency": [reporting_currency], "volume_min_rows": vmin, "volume_max_rows": vmax}


def run_mart_suite(mart: str, warehouse: Source, period: str | None,
                   quality: QualitySettings | None = None, serving: Source | None = None,
                   suite: str | None = None, reporting_currency: str = "GBP",
                   directory: Path = EXPECTATIONS_DIR, memo: GateMemo | None = None) -> SuiteOutcome:
    """Validate every row of ``marts.<mart>`` of the built ``warehouse`` (its path, or a read-only connection
    to it) with its suite, before it is published; failing rows are sampled in key order.  With ``memo``, a
    suite whose mart, view and parameters are those of its last run gets that run's outcome back."""
    quality = quality or QualitySettings()
    suite = suite or f"{MART_SUITE_PREFIX}{mart}"
    keys = mart_keys(load_suite_dict(suite, directory))
    with _read_only(warehouse) as con:
        types = table_types(con, MARTS_SCHEMA, mart)
        if not types:
            raise duckdb.CatalogException(f"Table with name {MARTS_SCHEMA}.{mart} does not exist")
        view = f"gate_mart_{mart}"
        source = f"{MARTS_SCHEMA}.{quote(mart)}"
        gate_sql = mart_gate_sql(source, types, keys, mart, period)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS {gate_sql}")
        order = ", ".join(f"{quote(k)} NULLS FIRST" for k in keys) if keys and all(k in types for k in keys) else None
        relation = Relation(con, quote(view), order_by=order, label=f"{MARTS_SCHEMA}.{mart}", base=source)
        params = mart_parameters(mart, period, quality, serving, reporting_currency, columns=types)
        key = ""
        if memo is not None and memo.enabled:
            _, kept, severity = kept_expectations(suite, directory, quality)
            key = memo.key(con, suite, [(MARTS_SCHEMA, mart)], {
                "kept": kept, "severity": severity, "view": gate_sql, "order": order, "types": types,
                "parameters": {k: params.get(k) for k in sorted(parameters_used(kept))}})
            kept_outcome = memo.get(suite, key)
            if kept_outcome is not None:
                return kept_outcome
        outcome = validate_relation(relation, suite, params, directory, quality)
        if key:
            memo.put(suite, key, outcome)
        return outcome


def validate_mart_frame(mart: str, frame, period: str | None, quality: QualitySettings | None = None,
                        serving: Path | None = None, suite: str | None = None, reporting_currency: str = "GBP",
                        directory: Path = EXPECTATIONS_DIR, keys: list[str] | None = None) -> SuiteOutcome:
    """:func:`run_mart_suite` for a mart held in a pandas frame (registered in an in-memory DuckDB)."""
    quality = quality or QualitySettings()
    suite = suite or f"{MART_SUITE_PREFIX}{mart}"
    if keys is None:
        keys = mart_keys(load_suite_dict(suite, directory))
    if len(frame) and keys and all(k in frame.columns for k in keys):
        frame = frame.sort_values(keys, kind="stable", na_position="first")
    with connect() as con:
        _register_frame(con, "mart_frame", frame)
        types = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM mart_frame").fetchall()}
        con.execute(f"CREATE TEMP VIEW gate_mart AS {mart_gate_sql('mart_frame', types, keys, mart, period)}")
        relation = Relation(con, "gate_mart", order_by=quote(FRAME_ORDER), hidden=(FRAME_ORDER,),
                            label=f"{MARTS_SCHEMA}.{mart}")
        params = mart_parameters(mart, period, quality, serving, reporting_currency)
        return validate_relation(relation, suite, params, directory, quality)



# --------------------------------------------------------------------------------------------
# Sources: quarantine counts and freshness (read by publish, the summary and `pmo status`)
# --------------------------------------------------------------------------------------------

def source_of(file: str) -> str:
    """landing/<source>/... -> <source> (a file straight under landing/ is its own source)."""
    parts = file.split("/")
    return parts[1] if len(parts) > 2 else parts[-1]


def source_freshness(con, schema: str = "raw") -> list[dict]:
    """Per file and entity: rows and the latest status/work/posting date it holds."""
    out = []
    for entity, column in PERIOD_COLUMN.items():  # the date that says how fresh a file is
        try:
            rows = con.execute(f"SELECT _source_file, count(*), max({column})::VARCHAR FROM {schema}.{entity} "
                               "GROUP BY 1 ORDER BY 1").fetchall()
        except duckdb.Error:
            continue
        for file, n, latest in rows:
            out.append({"source": source_of(file), "entity": entity, "file": file, "rows": n,
                        "latest_date": (latest or "")[:10] or None})
    return out


#: Entities whose date column is already a period ('YYYY-MM').
PERIOD_COLUMNS = {entity for entity, column in PERIOD_COLUMN.items() if column == "period"}


def source_periods(con, raw_schema: str = "raw", quarantine_schema: str = "quarantine") -> list[dict]:
    """Rows loaded and quarantined per source, file, reader, entity and period.

    A row's period is the month of its date (work_date, posting_date, status_date; the period column of
    fx rates, benefits and capacity); a quarantined row's is read from the values it was quarantined
    with (None when that date is missing or unreadable).  Entities without a date (projects, rates,
    budgets, dependencies) have period None.  ``rows_in = rows_loaded + rows_quarantined`` per file.
    """
    def fetch(sql):
        try:
            return con.execute(sql).fetchall()
        except duckdb.Error:
            return []

    formats = {(e, f): fmt for e, f, fmt in fetch(f"SELECT entity, _source_file, format FROM {raw_schema}.load_log")}
    out = []
    from orchestration.contract import ENTITIES

    for entity in ENTITIES:
        column = PERIOD_COLUMN.get(entity)
        if column is None:
            loaded_period = quarantined_period = "NULL"
        else:
            loaded_period = column if entity in PERIOD_COLUMNS else f"strftime({column}, '%Y-%m')"
            quarantined_period = (f"nullif(regexp_extract(record, '\"{column}\": \"(\\d{{4}}-\\d{{2}})', 1), '')")
        counts: dict[tuple, list[int]] = {}
        for file, period, n in fetch(f"SELECT _source_file, {loaded_period}, count(*) FROM {raw_schema}.{entity} "
                                     "GROUP BY ALL"):
            counts.setdefault((file, period), [0, 0])[0] += n
        for file, period, n in fetch(f"SELECT _source_file, {quarantined_period}, count(*) FROM "
                                     f"{quarantine_schema}.{entity} GROUP BY ALL"):
            counts.setdefault((file, period), [0, 0])[1] += n
        for (file, period), (loaded, quarantined) in counts.items():
            out.append({"source": source_of(file), "file": file, "reader": formats.get((entity, file)),
                        "entity": entity, "period": period, "rows_loaded": loaded, "rows_quarantined": quarantined})
    return sorted(out, key=lambda r: (r["source"], r["file"], r["entity"], r["period"] or ""))


def source_period_overview(rows: list[dict]) -> list[dict]:
    """:func:`source_periods` summed per source, reader and period (what ``pmo status`` shows)."""
    by: dict[tuple, dict] = {}
    for r in rows:
        e = by.setdefault((r["source"], r["reader"] or "", r["period"] or ""),
                          {"source": r["source"], "reader": r["reader"], "period": r["period"], "files": set(),
                           "rows_loaded": 0, "rows_quarantined": 0})
        e["files"].add(r["file"])
        e["rows_loaded"] += r["rows_loaded"]
        e["rows_quarantined"] += r["rows_quarantined"]
    return [{**e, "files": len(e["files"])} for _, e in sorted(by.items())]


def read_source_periods(con, from_serving: bool = False) -> list[dict]:
    """:func:`source_periods` of a warehouse, or as published in serving's ``quality.source_periods``."""
    if not from_serving:
        return source_periods(con)
    try:
        cur = con.execute("SELECT * FROM quality.source_periods ORDER BY source, file, entity, period")
    except duckdb.Error:
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def source_overview(load_log: list[dict], files: list[dict], freshness: list[dict]) -> list[dict]:
    """One row per source: files, rows in/loaded/quarantined, files not read, latest file and date."""
    by: dict[str, dict] = {}

    def entry(source):
        return by.setdefault(source, {"source": source, "files": 0, "rows_in": 0, "rows_loaded": 0,
                                      "rows_quarantined": 0, "files_not_read": 0, "latest_file": None,
                                      "latest_date": None, "loaded_at": None})

    seen_files: dict[str, set] = {}
    for r in load_log:
        e = entry(source_of(r["file"]))
        if r["file"] not in seen_files.setdefault(e["source"], set()):
            seen_files[e["source"]].add(r["file"])
            e["files"] += 1
        e["rows_in"] += r["rows_in"] or 0
        e["rows_loaded"] += r["rows_loaded"] or 0
        e["rows_quarantined"] += r["rows_quarantined"] or 0
        if r.get("loaded_at"):
            e["loaded_at"] = max(e["loaded_at"] or "", str(r["loaded_at"]))
    for f in files:
        if f.get("status") in ("unknown", "error"):
            entry(source_of(f["file"]))["files_not_read"] += 1
    for f in freshness:
        e = entry(f["source"])
        if f["latest_date"] and (e["latest_date"] is None or f["latest_date"] > e["latest_date"]):
            e["latest_date"], e["latest_file"] = f["latest_date"], f["file"]
    for source, e in by.items():
        if e["latest_file"] is None and seen_files.get(source):
            e["latest_file"] = max(seen_files[source])
    return [by[k] for k in sorted(by)]


def read_sources(con, raw_schema: str = "raw", quarantine_schema: str = "quarantine") -> list[dict]:
    """:func:`source_overview` from a warehouse (raw.load_log, quarantine.files, raw.<entity>) or from
    the serving snapshot's ``quality`` schema (pass ``raw_schema=quarantine_schema='quality'``)."""
    def rows(sql):
        try:
            cur = con.execute(sql)
        except duckdb.Error:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    log = rows(f"SELECT entity, _source_file AS file, rows_in, rows_loaded, rows_quarantined, "
               f"_loaded_at::VARCHAR AS loaded_at FROM {raw_schema}.load_log")
    files = rows(f"SELECT _source_file AS file, status, reason FROM {quarantine_schema}.files")
    if raw_schema == "raw":
        freshness = source_freshness(con)
    else:
        freshness = rows(f"SELECT source, entity, file, rows, latest_date FROM {raw_schema}.source_freshness")
    return source_overview(log, files, freshness)


# --------------------------------------------------------------------------------------------
# The run summary: <home>/quality/<period>/<run_id>.json
# --------------------------------------------------------------------------------------------

def check_record(asset: str, name: str, passed: bool, severity: str | None, description: str | None,
                 metadata: dict | None) -> dict:
    """One check's verdict in the summary: outcome passed | warned | failed."""
    metadata = metadata or {}
    outcome = "passed" if passed else ("warned" if severity == "WARN" else "failed")
    failures = metadata.get("failures") or []
    failing = sum((f.get("unexpected_count") or 0) for f in failures if isinstance(f, dict))
    if not failures and "failed_row_count" in metadata:  # a dbt test: how many rows it failed on
        failing = metadata.get("failed_row_count") or 0
    return {"asset": asset, "check": name, "outcome": outcome, "severity": severity,
            "failing_rows": failing, "description": (description or "").strip()[:4000],
            "failures": failures}


#: Where dbt stores the failing rows of a data test configured with ``store_failures`` (e.g. the labour
#: reconciliation), one table per test, replaced by every build.
DBT_AUDIT_SCHEMA = "dbt_test__audit"


def stored_failures(con, test_name: str, limit: int = SAMPLE_SIZE) -> tuple[int, list[dict]] | None:
    """(count, first rows) of a dbt test's stored failing rows, or None when it stores none."""
    table = f'{DBT_AUDIT_SCHEMA}."{test_name.replace(chr(34), "")}"'
    try:
        count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        cur = con.execute(f"SELECT * FROM {table} LIMIT {int(limit)}")
    except duckdb.Error:
        return None
    names = [d[0] for d in cur.description]
    return int(count), [{n: float(v) if isinstance(v, Decimal) else _plain(v) for n, v in zip(names, row)}
                        for row in cur.fetchall()]


def _show(value) -> str:
    """Money to the cent, small ratios (a tolerance) as they are, everything else as text."""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def describe_stored_failures(count: int, rows: list[dict], test_name: str, shown: int = 3) -> str:
    """``2 failing row(s) in dbt_test__audit.<test>: project_code P-1, period 2026-02, ledger_labour 999.00, …``"""
    text = f"{count} failing row(s) in {DBT_AUDIT_SCHEMA}.{test_name}"
    if rows:
        text += ": " + "; ".join(", ".join(f"{k} {_show(v)}" for k, v in r.items()) for r in rows[:shown])
        if count > shown:
            text += f"; … and {count - shown} more"
    return text


def stored_failure_text(warehouse: Path, test_name: str) -> str:
    """:func:`describe_stored_failures` read from ``warehouse`` ('' when the test stores no rows)."""
    with read_if_available(warehouse) as con:
        if con is None:
            return ""
        found = stored_failures(con, test_name)
    return describe_stored_failures(found[0], found[1], test_name) if found and found[0] else ""


def attach_stored_failures(records: list[dict], warehouse: Path | None) -> list[dict]:
    """Add to each check that warned or failed the rows its dbt test stored (``sample``), and name them in
    its description, so the run summary, ``pmo status`` and the pack's appendix show e.g. the labour gap."""
    pending = [r for r in records if r["outcome"] != "passed" and not r.get("failures")]
    if not pending:
        return records
    with read_if_available(warehouse) as con:
        if con is None:
            return records
        for record in pending:
            found = stored_failures(con, record["check"])
            if not found or not found[0]:
                continue
            count, rows = found
            record["sample"] = rows
            record["failing_rows"] = record.get("failing_rows") or count
            text = describe_stored_failures(count, rows, record["check"])
            record["description"] = f"{record['description']} {text}".strip() if record.get("description") else text
    return records


def build_run_summary(period: str, run_id: str, checks: list[dict], *, status: str,
                      sources: list[dict] | None = None, failed_steps: list[str] | None = None,
                      written_at: datetime | None = None) -> dict:
    counts = {k: sum(1 for c in checks if c["outcome"] == k) for k in ("passed", "warned", "failed")}
    return {
        "version": SUMMARY_VERSION,
        "period": period,
        "run_id": run_id,
        "status": status,   # published | blocked | failed | running
        "written_at": (written_at or datetime.now(UTC)).replace(microsecond=0).isoformat(),
        "counts": {"run": len(checks), **counts},
        "checks": checks,
        "sources": sources or [],
        "failed_steps": failed_steps or [],
    }


def summary_path(quality_dir: Path, period: str, run_id: str) -> Path:
    return Path(quality_dir) / period / f"{run_id}.json"


def write_run_summary(quality_dir: Path, summary: dict) -> Path:
    """Write the summary atomically (temporary file, then rename)."""
    target = summary_path(quality_dir, summary["period"], summary["run_id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def latest_summaries(quality_dir: Path) -> dict[str, dict]:
    """period -> the most recently written run summary of that period."""
    out: dict[str, dict] = {}
    root = Path(quality_dir)
    if not root.is_dir():
        return out
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        best = None
        for path in folder.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            key = (data.get("written_at") or "", path.stat().st_mtime)
            if best is None or key > best[0]:
                best = (key, data)
        if best:
            out[folder.name] = best[1]
    return out


def quarantine_by_file(warehouse: Path) -> tuple[list[tuple[str, str, int]], tuple[int, int]]:
    """What the last ingest quarantined, from ``raw.load_log`` of ``warehouse``: ``(entity, file, rows)`` for
    each file with rows set aside, and ``(rows, files)`` of project descriptions in schedule exports that the
    project register overrides (kept in ``quarantine.projects`` but not problems).  Empty when the warehouse
    is absent or held by a writer."""
    with read_if_available(warehouse) as con:
        if con is None:
            return [], (0, 0)
        try:
            rows = con.execute("""
                select l.entity, l._source_file, l.rows_quarantined - coalesce(m.matched, 0) as problems
                from raw.load_log l
                left join (select _source_file, count(*) as matched from quarantine.projects
                           where reason like '%is in the project register%' group by 1) m
                  on l.entity = 'projects' and m._source_file = l._source_file
                where l.rows_quarantined > coalesce(m.matched, 0)
                order by l.entity, l._source_file""").fetchall()
            matched = con.execute("select count(*), count(distinct _source_file) from quarantine.projects "
                                  "where reason like '%is in the project register%'").fetchone()
        except duckdb.Error:
            return [], (0, 0)
    return [(e, f, int(n)) for e, f, n in rows], (int(matched[0]), int(matched[1]))
