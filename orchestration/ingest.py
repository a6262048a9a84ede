"""Ingest: every export in landing/ -> raw.<entity> and quarantine.<entity> in the warehouse.

Which reader takes which file, the archive and the compressed files are the landing zone's business
(:mod:`orchestration.landing`); this module turns what the readers return into tables.

The load is a full, idempotent refresh: every run re-reads what is in ``landing/`` and replaces
the raw tables in one transaction, so running twice on the same landing gives the same tables.
Every loaded row carries its lineage (``_source_file``, ``_source_sha256``, ``_source_row``,
``_loaded_at``); every rejected row lands in ``quarantine.<entity>`` with the file, row, column,
offending value and reason, so that ``rows_in = loaded + quarantined`` holds for every file.

Exact duplicate rows (every contract field equal, as from a double export) are quarantined as
duplicates of the first copy.  Rows that share a key but differ are *not* resolved here: the
quality gates catch them, because choosing one silently would change the numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.contract import (
    DUCKDB_TYPES,
    ENTITIES,
    LINEAGE_COLUMNS,
    NUMBER,
    REQUIRED_ENTITIES,
    raw_table_ddl,
)
from orchestration.landing import FileReport, SourcesConfig, read_landing_zone
from orchestration.reported import REPORTED_DDL
from orchestration.sources.registry import CANONICAL
from orchestration.sources.canonical import QuarantineRecord, ReadResult

QUARANTINE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_sha256": "VARCHAR",
    "_source_row": "INTEGER",
    "_loaded_at": "TIMESTAMP",
    "column_name": "VARCHAR",
    "value": "VARCHAR",
    "reason": "VARCHAR",
    "record": "VARCHAR",
}

LOAD_LOG_DDL = """
CREATE TABLE raw.load_log (
    entity VARCHAR, _source_file VARCHAR, _source_sha256 VARCHAR, _loaded_at TIMESTAMP, format VARCHAR,
    rows_in INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER, warnings VARCHAR
)"""

FILES_QUARANTINE_DDL = """
CREATE TABLE quarantine.files (
    _source_file VARCHAR, _source_sha256 VARCHAR, _loaded_at TIMESTAMP, format VARCHAR, status VARCHAR,
    reason VARCHAR
)"""


class IngestError(Exception):
    """The landing zone cannot make a run (e.g. no projects or tasks at all)."""


@dataclass
class EntityLoad:
    entity: str
    files: list[str] = field(default_factory=list)
    rows_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    warnings: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    loaded_at: datetime
    entities: dict[str, EntityLoad]
    files: list[FileReport]

    @property
    def problem_files(self) -> list[FileReport]:
        """Files not loaded (unknown, unreadable) or loaded with file-level errors."""
        return [f for f in self.files if f.status in ("unknown", "error") or f.message]

    @property
    def quarantined(self) -> int:
        return sum(e.quarantined for e in self.entities.values())


def _to_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _dedupe(entity: str, results: list[ReadResult]) -> None:
    """Move exact duplicate rows (across all files of an entity) to quarantine."""
    cols = ENTITIES[entity].column_names
    seen: dict[tuple, tuple[str, int]] = {}
    for res in results:
        kept = []
        for row in res.rows:
            key = tuple(_to_text(row.get(c)) for c in cols)
            first = seen.get(key)
            if first is None:
                seen[key] = (res.source_name or res.path.as_posix(), row["_source_row"])
                kept.append(row)
                continue
            res.quarantine.append(
                QuarantineRecord(
                    row["_source_row"], None, None,
                    f"exact duplicate of {first[0]} row {first[1]}",
                    {c: _to_text(row.get(c)) or "" for c in cols},
                )
            )
        res.rows = kept


def read_landing(landing: Path, archive_dir: Path | None = None, config: SourcesConfig | None = None
                 ) -> tuple[dict[str, list[ReadResult]], list[FileReport]]:
    """Read every file in landing/ and group the canonical rows by entity, duplicates quarantined."""
    archive_dir = archive_dir or landing.parent / "archive"
    reports = read_landing_zone(landing, archive_dir, config or SourcesConfig())
    out: dict[str, list[ReadResult]] = {entity: [] for entity in ENTITIES}
    for report in reports:
        if report.result is None:
            continue
        for entity, res in report.result.entities.items():
            if entity in out:
                out[entity].append(res)
    _prefer_the_register(reports)
    for entity, results in out.items():
        _dedupe(entity, results)
    return out, reports


def _prefer_the_register(reports: list[FileReport]) -> None:
    """Schedule exports (XER, MSPDI) describe their projects too; the project register is authoritative.

    A project row from a vendor export is quarantined, with the reason, when the canonical project
    register has that project; of the vendor rows for a project missing from the register, the one from
    the last file read (the latest export) is kept.
    """
    register: dict[str, str] = {}
    for report in reports:
        if report.result is not None and report.format == CANONICAL and "projects" in report.result.entities:
            for row in report.result.entities["projects"].rows:
                register.setdefault(row["project_code"], report.display)
    vendor = [r.result.entities["projects"] for r in reports
              if r.result is not None and r.format != CANONICAL and "projects" in r.result.entities]
    latest: dict[str, ReadResult] = {}
    for res in vendor:
        for row in res.rows:
            if row["project_code"] not in register:
                latest[row["project_code"]] = res
    for res in vendor:
        kept = []
        for row in res.rows:
            code = row["project_code"]
            if code in register:
                reason = f"project {code} is in the project register ({register[code]}), whose row is used"
            elif latest[code] is not res:
                reason = f"project {code} is described again by a later export ({latest[code].source_name})"
            else:
                kept.append(row)
                continue
            res.quarantine.append(QuarantineRecord(row["_source_row"], "project_code", code, reason,
                                                   {k: _to_text(v) or "" for k, v in row.items()
                                                    if not k.startswith("_")}))
        res.rows = kept


def load_landing(landing: Path, warehouse: Path, *, archive_dir: Path | None = None,
                 config: SourcesConfig | None = None, loaded_at: datetime | None = None) -> IngestReport:
    """Replace raw.* and quarantine.* in ``warehouse`` with what is in ``landing``.

    Raises :class:`IngestError` when a required entity (projects, tasks) has no loadable row.
    """
    landing = Path(landing)
    loaded_at = (loaded_at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    results, files = read_landing(landing, archive_dir, config)
    report = IngestReport(loaded_at, {}, files)
    for entity, res_list in results.items():
        load = EntityLoad(entity)
        for res in res_list:
            load.files.append(res.source_name)
            load.rows_in += res.rows_in
            load.loaded += len(res.rows)
            load.quarantined += len(res.quarantine)
            load.warnings += res.warnings
            load.extra_columns += [c for c in res.extra_columns if c not in load.extra_columns]
        report.entities[entity] = load
    empty = [e for e in REQUIRED_ENTITIES if report.entities[e].loaded == 0]
    if empty:
        details = "; ".join(
            f"{e}: {len(report.entities[e].files)} file(s), {report.entities[e].quarantined} row(s) quarantined"
            for e in empty
        )
        raise IngestError(
            f"No loadable rows for required entit{'y' if len(empty) == 1 else 'ies'} {', '.join(empty)} "
            f"under {landing} ({details}). Put the canonical CSV under landing/<entity>/, "
            "or run `pmo demo` to generate a demo organisation."
        )

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
        con.execute("DROP TABLE IF EXISTS raw.load_log")
        con.execute(LOAD_LOG_DDL)
        con.execute("DROP TABLE IF EXISTS quarantine.files")
        con.execute(FILES_QUARANTINE_DDL)
        formats = {f.display: f.format for f in files}
        for f in files:
            if f.status != "loaded" or f.message:
                con.execute("INSERT INTO quarantine.files VALUES (?, ?, ?, ?, ?, ?)",
                            [f.display, f.sha256, loaded_at, f.format, f.status, f.message])
        for entity, res_list in results.items():
            _write_entity(con, entity, res_list, report.entities[entity], loaded_at, formats)
        # The frozen figures of closed periods (orchestration/reported.py) live beside raw; the table
        # exists, empty, until a period has been closed, so the dbt source always resolves.
        con.execute("CREATE SCHEMA IF NOT EXISTS reported")
        con.execute(REPORTED_DDL)
        broken = load_log_mismatches(con)
        if broken:
            raise IngestError("The load does not add up, so nothing was loaded (the previous raw tables are kept): "
                              + "; ".join(broken))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return report


def load_log_mismatches(con) -> list[str]:
    """The files whose rows do not add up: for every file and entity, ``rows_in = rows_loaded +
    rows_quarantined`` in raw.load_log, and raw.<entity> and quarantine.<entity> hold exactly that many
    of its rows. Empty when every row read is either loaded or quarantined, once."""
    problems = []
    for entity in ENTITIES:
        rows = con.execute(f"""
            WITH log AS (
                SELECT _source_file, sum(rows_in) AS rows_in, sum(rows_loaded) AS rows_loaded,
                       sum(rows_quarantined) AS rows_quarantined
                FROM raw.load_log WHERE entity = ? GROUP BY 1),
            loaded AS (SELECT _source_file, count(*) AS n FROM raw.{entity} GROUP BY 1),
            quarantined AS (SELECT _source_file, count(*) AS n FROM quarantine.{entity} GROUP BY 1),
            files AS (SELECT _source_file FROM log UNION SELECT _source_file FROM loaded
                      UNION SELECT _source_file FROM quarantined)
            SELECT files._source_file, log.rows_in, log.rows_loaded, log.rows_quarantined,
                   coalesce(loaded.n, 0), coalesce(quarantined.n, 0)
            FROM files
            LEFT JOIN log USING (_source_file)
            LEFT JOIN loaded USING (_source_file)
            LEFT JOIN quarantined USING (_source_file)
            WHERE log.rows_in IS NULL
               OR log.rows_in <> log.rows_loaded + log.rows_quarantined
               OR log.rows_loaded <> coalesce(loaded.n, 0)
               OR log.rows_quarantined <> coalesce(quarantined.n, 0)
            ORDER BY 1""", [entity]).fetchall()
        for file, rows_in, logged, logged_q, loaded, quarantined in rows:
            problems.append(f"{file} ({entity}): rows_in {rows_in}, logged loaded {logged} + quarantined {logged_q}, "
                            f"tables hold {loaded} in raw.{entity} and {quarantined} in quarantine.{entity}")
    return problems


def _write_entity(con, entity: str, res_list: list[ReadResult], load: EntityLoad, loaded_at: datetime,
                  formats: dict[str, str | None]) -> None:
    ent = ENTITIES[entity]
    con.execute(f"DROP TABLE IF EXISTS raw.{entity}")
    con.execute(raw_table_ddl(ent))
    for extra in load.extra_columns:
        con.execute(f'ALTER TABLE raw.{entity} ADD COLUMN "{extra}" DOUBLE')
    con.execute(f"DROP TABLE IF EXISTS quarantine.{entity}")
    con.execute(
        f"CREATE TABLE quarantine.{entity} ({', '.join(f'{k} {v}' for k, v in QUARANTINE_COLUMNS.items())})"
    )
    columns = ent.column_names + load.extra_columns
    records, q_records = [], []
    for res in res_list:
        rel = res.source_name or res.path.as_posix()
        for row in res.rows:
            rec = [_to_text(row.get(c)) for c in columns]
            rec += [rel, res.sha256, row["_source_row"]]
            records.append(rec)
        for q in res.quarantine:
            q_records.append([rel, res.sha256, q.source_row, q.column, q.value, q.reason,
                              json.dumps(q.record, ensure_ascii=False, sort_keys=True)])
        con.execute(
            "INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [entity, rel, res.sha256, loaded_at, formats.get(rel), res.rows_in, len(res.rows), len(res.quarantine),
             "\n".join(res.warnings) or None],
        )
    if records:
        frame = pd.DataFrame(records, columns=columns + ["_source_file", "_source_sha256", "_source_row"],
                             dtype=object)
        types = {c.name: c for c in ent.columns}
        select = [
            f'CAST("{c}" AS {DUCKDB_TYPES[types[c].type] if c in types else DUCKDB_TYPES[NUMBER]})'
            for c in columns
        ]
        select += ["_source_file", "_source_sha256", "CAST(_source_row AS INTEGER)", "?::TIMESTAMP"]
        con.register("_incoming", frame)
        con.execute(
            f"INSERT INTO raw.{entity} ({', '.join(chr(34) + c + chr(34) for c in columns)}, "
            f"{', '.join(LINEAGE_COLUMNS)}) SELECT {', '.join(select)} FROM _incoming ORDER BY "
            "_source_file, CAST(_source_row AS INTEGER)",
            [loaded_at],
        )
        con.unregister("_incoming")
    if q_records:
        qframe = pd.DataFrame(q_records, columns=["_source_file", "_source_sha256", "_source_row", "column_name",
                                                  "value", "reason", "record"], dtype=object)
        con.register("_quarantined", qframe)
        con.execute(
            f"INSERT INTO quarantine.{entity} SELECT _source_file, _source_sha256, CAST(_source_row AS INTEGER), "
            "?::TIMESTAMP, column_name, value, reason, record FROM _quarantined",
            [loaded_at],
        )
        con.unregister("_quarantined")


def latest_period(landing: Path, archive_dir: Path | None = None, config: SourcesConfig | None = None
                  ) -> str | None:
    """The latest reporting period with data: the newest task status date, timesheet work date or
    ledger posting date in landing/ (rows that fail the contract are ignored)."""
    results, _ = read_landing(landing, archive_dir, config)
    best = None
    for entity, column in (("tasks", "status_date"), ("timesheets", "work_date"), ("ledger", "posting_date")):
        for res in results[entity]:
            for row in res.rows:
                value = row.get(column)
                if value is not None and (best is None or value > best):
                    best = value
    return f"{best.year:04d}-{best.month:02d}" if best else None
