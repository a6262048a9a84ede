"""Ingest: every export in landing/ -> raw.<entity> and quarantine.<entity> in the warehouse.

Which reader takes which file, the archive and the compressed files are the landing zone's business
(:mod:`orchestration.pipeline.landing`); this module turns what the readers return into tables.

Each run replaces the raw tables in one transaction with what is in ``landing/`` now, so running twice
on the same landing gives the same tables.  Parsing is incremental: every file's parse is kept in the
warehouse (schema ``ingest_cache``, keyed by the file's sha256, name, folder settings and the parser
code), so only new and changed files are read; a file that disappears or changes takes its rows with
it.  Canonical CSV is parsed in DuckDB (:mod:`orchestration.sources.canonical_sql`, identical to the
Python reader by construction), vendor formats by their Python readers.

Every loaded row carries its lineage (``_source_file``, ``_source_sha256``, ``_source_row``,
``_loaded_at``); every rejected row lands in ``quarantine.<entity>`` with the file, row, column,
offending value and reason, so that ``rows_in = loaded + quarantined`` holds for every file.

Exact duplicate rows (every contract field equal, as from a double export) are quarantined as
duplicates of the first copy.  Rows that share a key but differ are *not* resolved here: the
quality gates catch them, because choosing one silently would change the numbers.

:func:`read_landing` is the same load in plain Python over the readers' rows (the reference the SQL
rules are written against, and what tests compare with).
"""
from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.contract import (
    DUCKDB_TYPES,
    ENTITIES,
    LINEAGE_COLUMNS,
    NUMBER,
    PERIOD_COLUMN,
    RECENCY_ENTITIES,
    REQUIRED_ENTITIES,
    raw_table_ddl,
)
from orchestration.envvars import memory_size
from orchestration.pipeline.landing import (
    Archive,
    FileReport,
    LandingFile,
    SourceSettings,
    SourcesConfig,
    unique_landing_files,
    read_landing_file,
    read_landing_zone,
)
from orchestration.pipeline.reported import REPORTED_DDL
from orchestration.pipeline.row_rules import (RULE_REASON_PREFIX, RowRules, apply_row_rules, forget_row_rules,
                                              previously_ruled)
from orchestration.sources import canonical_sql
from orchestration.sources.canonical import QuarantineRecord, ReadResult, to_text
from orchestration.sources.canonical_sql import ident
from orchestration.sources.registry import CANONICAL, canonical_entity, detect_format, read_head
from orchestration.warehouse import open_db

LOGGER = logging.getLogger(__name__)

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
    parsed: list[str] = field(default_factory=list)  # the files read this run (the others' parses were reused)
    ruled: dict[str, dict[str, int]] = field(default_factory=dict)  # entity -> rule id -> rows quarantined
    reused: int = 0                                   # files whose cached parse was used

    @property
    def problem_files(self) -> list[FileReport]:
        """Files not loaded (unknown, unreadable) or loaded with file-level errors."""
        return [f for f in self.files if f.status in ("unknown", "error") or f.message]

    @property
    def quarantined(self) -> int:
        return sum(e.quarantined for e in self.entities.values())


_to_text = to_text  # the text a parsed value is written as (kept under its old name)


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


#: The parse cache lives in the warehouse, in this schema; nothing but the ingest reads it.
CACHE_SCHEMA = "ingest_cache"
#: The shape of the cache tables: a cache of another layout is dropped and rebuilt (every file parsed again).
#: "3": the contract's quality columns and entity (#15), whose cache tables a layout-2 cache lacks.
CACHE_LAYOUT = "3"
#: DuckDB's memory for the ingest connection (it spills to disk beyond this).  1 GB: the cold load's sorts and
#: windows over every timesheet row (the raw tables written in file and row order, the cross-file duplicate
#: check) spilled within 512 MB from about 5,000 projects, so cold ingest grew faster than its input (×2.78 for
#: ×2.53 the rows from 2,000 to 5,000 projects; ×2.54 with 1 GB).  The price is memory: at 2,000 projects the
#: ingest's peak, 1,889 MiB for the whole run, is now the run's largest (dbt's is 1,540 MiB), inside issue #9's
#: 2 GiB (bench/RESULTS.md, 2026-12-06).  The environment variable INGEST_MEMORY_ENV sets another (a small
#: machine: 512MB; a large organisation: 2GB).
INGEST_MEMORY_LIMIT = "1GB"
INGEST_MEMORY_ENV = "PMO_INGEST_MEMORY_LIMIT"
#: Canonical files are parsed in chunks of about this many bytes, PARSE_WORKERS chunks at a time.
CHUNK_BYTES = 64 << 20
PARSE_WORKERS = 2
#: DuckDB's rows per row group (its default ``row_group_size``).  A raw table of at most this many rows is read
#: by one thread, in the order it holds its rows, so a mart that sums doubles over it gets the same last bits
#: only if that order is the same: the incremental load keeps a cold load's order (file name, then row) for
#: such a table.  A larger table is read by several threads at once, whose partial sums are combined in
#: whatever order the threads finish (on 3.8 M timesheet rows, ``sum(hours * 1.37)`` per project gives a
#: different last bit from one query to the next), so there its rows are appended in any file order.
ORDERED_ROWS_MAX = 122_880
_CACHE_HEAD = {"file_id": "INTEGER", "_seq": "INTEGER", "_source_row": "INTEGER", "_quarantined": "BOOLEAN"}
_CACHE_TAIL = {"column_name": "VARCHAR", "value": "VARCHAR", "reason": "VARCHAR", "record": "VARCHAR",
               "_cells": "VARCHAR[]", "_register_record": "VARCHAR", "_h": "UBIGINT"}
_MOVED_DDL = ("CREATE TABLE {schema}.moved (entity VARCHAR, file_id INTEGER, _seq INTEGER, _source_row INTEGER, "
              "phase INTEGER, column_name VARCHAR, value VARCHAR, reason VARCHAR, record VARCHAR, _h UBIGINT)")
#: Modules whose code decides what a file parses into; any change to them makes every cached parse stale.
_PARSER_MODULES = ("contract.py", "pipeline/landing.py", "pipeline/ingest.py", "sources")


def _parser_fingerprint() -> str:
    """sha256 over the source of the modules that turn a landing file into rows (readers, contract, landing
    rules, this module), so a changed reader never serves a parse made by the old code."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parent.parent  # the orchestration package
        h = hashlib.sha256(CACHE_LAYOUT.encode())
        for name in _PARSER_MODULES:
            target = root / name
            for path in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


_FINGERPRINT: str | None = None


def _cache_key(item: LandingFile, settings: SourceSettings) -> str:
    """What a file's parse depends on: its bytes, its name (warnings and lineage name it), its folder and that
    folder's settings (reader, options, status date, project-code mapping) and the parser code."""
    return hashlib.sha256(json.dumps(
        [item.sha256, item.display, item.folder, settings.reader, settings.options,
         settings.status_date.isoformat() if settings.status_date else None, settings.project_codes,
         _parser_fingerprint()], sort_keys=True, default=str).encode()).hexdigest()


def _key_hash(entity: str, alias: str = "") -> str:
    """SQL for the hash of a row's contract values (the key of the duplicate rule; equal rows hash equal)."""
    return f"hash({', '.join(alias + ident(c) for c in ENTITIES[entity].column_names)})"


class _ParseCache:
    """Every landing file's parse, kept in the warehouse by cache key (see :func:`_cache_key`).

    ``ingest_cache.files`` (one row per parsed file: its id, key, format, status and message),
    ``ingest_cache.results`` (per file and entity: warnings and kept extra columns, in the reader's order)
    and ``ingest_cache.<entity>`` (per file: every row the reader returned, ``_quarantined`` or not, each
    contract value as the text the raw table casts; ``_seq`` is the reader's order, ``_h`` a hash of the
    contract values).  Rows are stored before the cross-file rules (duplicates, the project register).

    Beside them, the state of the raw tables: ``ingest_cache.loaded`` (the files whose rows raw.<entity>
    and quarantine.<entity> hold, and when they were written) and ``ingest_cache.moved`` (the loaded rows
    the cross-file rules moved to quarantine), so that :func:`_write_entity` only rewrites the rows of
    files that came, went or share a duplicate with one that did.
    """

    def __init__(self, con):
        self.con = con
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CACHE_SCHEMA}; "
                    f"CREATE TABLE IF NOT EXISTS {CACHE_SCHEMA}.layout (layout VARCHAR)")
        present = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ?",
            [CACHE_SCHEMA]).fetchall()}
        complete = {"layout", "files", "results", "loaded", "moved", *ENTITIES} <= present
        if not complete or con.execute(f"SELECT max(layout) FROM {CACHE_SCHEMA}.layout").fetchone()[0] != CACHE_LAYOUT:
            # a cache of another layout, or one a run killed in an older version left without some of its
            # tables, is dropped and rebuilt (every file parsed again)
            tables = [f"CREATE TABLE {CACHE_SCHEMA}.{name} ("
                      + ", ".join(f"{ident(c)} {t}" for c, t in
                                  {**_CACHE_HEAD, **{c: "VARCHAR" for c in ent.column_names}, **_CACHE_TAIL}.items())
                      + ")" for name, ent in ENTITIES.items()]
            # One transaction, the layout row last: a run killed half-way through (each statement of a
            # multi-statement string commits on its own) left the layout row without the entity tables, and
            # every later run then failed on a missing ingest_cache table.
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"DROP SCHEMA {CACHE_SCHEMA} CASCADE; CREATE SCHEMA {CACHE_SCHEMA}; "
                            f"CREATE TABLE {CACHE_SCHEMA}.files (file_id INTEGER, cache_key VARCHAR, sha256 VARCHAR, "
                            "display VARCHAR, format VARCHAR, status VARCHAR, message VARCHAR, parser VARCHAR, "
                            "parsed_at TIMESTAMP); "
                            f"CREATE TABLE {CACHE_SCHEMA}.results (file_id INTEGER, entity VARCHAR, position INTEGER, "
                            "warnings VARCHAR, extra_columns VARCHAR); "
                            f"CREATE TABLE {CACHE_SCHEMA}.loaded (entity VARCHAR, file_id INTEGER, "
                            "loaded_at TIMESTAMP); "
                            + _MOVED_DDL.format(schema=CACHE_SCHEMA) + "; " + "; ".join(tables) + "; "
                            f"CREATE TABLE {CACHE_SCHEMA}.layout AS SELECT '{CACHE_LAYOUT}' AS layout")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.columns: dict[str, set[str]] = {name: set() for name in ENTITIES}
        for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                         "WHERE database_name = current_database() AND schema_name = ?",
                                         [CACHE_SCHEMA]).fetchall():
            self.columns.setdefault(table, set()).add(column)
        self.known = {key: (file_id, fmt, status, message) for key, file_id, fmt, status, message in con.execute(
            f"SELECT cache_key, file_id, format, status, message FROM {CACHE_SCHEMA}.files").fetchall()}
        # Rows are written before their file's entry in ingest_cache.files; rows of an id without an entry
        # (a run that died in between) are orphans, removed here and never given to a new file.
        registered, written = con.execute(
            f"SELECT (SELECT max(file_id) FROM {CACHE_SCHEMA}.files), greatest("
            + ", ".join(f"(SELECT max(file_id) FROM {CACHE_SCHEMA}.{name})" for name in [*ENTITIES, "results"])
            + ")").fetchone()
        self.next_id = max(registered or 0, written or 0) + 1
        if (written or 0) > (registered or 0):
            self._drop_orphans()
        self._files: list[list] = []
        self._results: list[list] = []
        self._rows: dict[str, list[dict]] = {}

    def ensure_extra_columns(self, entity: str, names) -> None:
        for name in names:
            if name not in self.columns[entity]:
                self.con.execute(f"ALTER TABLE {CACHE_SCHEMA}.{entity} ADD COLUMN {ident(name)} VARCHAR")
                self.columns[entity].add(name)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def record_file(self, file_id: int, key: str, item: LandingFile, fmt: str, status: str, message: str,
                    parser: str, results: list[tuple[str, list[str], list[str]]]) -> None:
        """A parsed file and, per entity in the reader's order, its warnings and kept extra columns
        (written by :meth:`flush`, after the file's rows)."""
        for position, (entity, warnings, extras) in enumerate(results):
            self._results.append([file_id, entity, position, json.dumps(warnings), json.dumps(extras)])
        self._files.append([file_id, key, item.sha256, item.display, fmt, status, message, parser,
                            datetime.now(UTC).replace(tzinfo=None, microsecond=0)])
        self.known[key] = (file_id, fmt, status, message)

    def store_result(self, file_id: int, report: FileReport) -> list[tuple[str, list[str], list[str]]]:
        """Keep a Python reader's rows and quarantine records of one file for the cache tables (written by
        :meth:`flush`); returns, per entity, its warnings and kept extra columns."""
        out = []
        for entity, res in report.result.entities.items():
            if entity not in ENTITIES:
                continue
            out.append((entity, list(res.warnings), list(res.extra_columns)))
            cols = ENTITIES[entity].column_names + list(res.extra_columns)
            register = entity == "projects" and report.format != CANONICAL
            rows = self._rows.setdefault(entity, [])
            for seq, row in enumerate(res.rows):
                record = {c: to_text(row.get(c)) for c in cols}
                record.update(file_id=file_id, _seq=seq, _source_row=row["_source_row"], _quarantined=False)
                if register:
                    record["_register_record"] = json.dumps(
                        {k: to_text(v) or "" for k, v in row.items() if not k.startswith("_")},
                        ensure_ascii=False, sort_keys=True)
                rows.append(record)
            for seq, q in enumerate(res.quarantine, start=len(res.rows)):
                rows.append({"file_id": file_id, "_seq": seq, "_source_row": q.source_row, "_quarantined": True,
                             "column_name": q.column, "value": q.value, "reason": q.reason,
                             "record": json.dumps(q.record, ensure_ascii=False, sort_keys=True)})
        return out

    def flush(self) -> None:
        """Write the kept Python rows (one insert per entity), then the files' entries."""
        for entity, rows in self._rows.items():
            if not rows:
                continue
            names = list(dict.fromkeys(name for row in rows for name in row))
            self.ensure_extra_columns(entity, [n for n in names if n not in self.columns[entity]])
            frame = pd.DataFrame([[row.get(n) for n in names] for row in rows], columns=names, dtype=object)
            self.con.register("_python_rows", frame)
            try:
                select = ", ".join(f"CAST({ident(c)} AS {_CACHE_HEAD.get(c, 'VARCHAR')}) AS {ident(c)}" for c in names)
                self.con.execute(f"INSERT INTO {CACHE_SCHEMA}.{entity} BY NAME SELECT *, {_key_hash(entity)} AS _h "
                                 f"FROM (SELECT {select} FROM _python_rows)")
            finally:
                self.con.unregister("_python_rows")
        self._rows = {}
        if self._results:
            _insert_values(self.con, f"{CACHE_SCHEMA}.results", self._results)
        if self._files:
            _insert_values(self.con, f"{CACHE_SCHEMA}.files", self._files)
        self._results, self._files = [], []

    def forget(self, keep: set[int]) -> None:
        """Drop the parses of files no longer in landing/ (a removed or changed file)."""
        stale = [fid for fid, *_ in self.known.values() if fid not in keep]
        if not stale:
            return
        ids = ", ".join(map(str, stale))
        self.con.execute("; ".join(f"DELETE FROM {CACHE_SCHEMA}.{table} WHERE file_id IN ({ids})"
                                   for table in [*ENTITIES, "results", "files", "loaded", "moved"]))
        self.known = {k: v for k, v in self.known.items() if v[0] in keep}

    def _drop_orphans(self) -> None:
        self.con.execute("; ".join(
            f"DELETE FROM {CACHE_SCHEMA}.{table} WHERE file_id NOT IN (SELECT file_id FROM {CACHE_SCHEMA}.files)"
            for table in [*ENTITIES, "results"]))


@dataclass
class _Current:
    """A file of this run whose parse is in the cache."""

    ord: int
    file_id: int
    display: str
    sha256: str
    format: str


def _refresh(cache: _ParseCache, landing: Path, archive_dir: Path, config: SourcesConfig,
             entities: set[str] | None = None) -> tuple[list[FileReport], list[_Current], list[str]]:
    """Archive and identify every landing file, parse the ones the cache does not hold (canonical CSV in SQL,
    the rest with their Python readers), and return the run's file reports (in landing order), the files
    whose rows the cache holds, and the names of the files parsed now.

    ``entities`` (latest_period) skips canonical files of other entities.
    """
    archive = Archive(archive_dir)
    reports: list[FileReport | None] = []
    current: list[_Current] = []
    pending: list[tuple[int, LandingFile, str]] = []
    for item in unique_landing_files(landing, archive):
        if isinstance(item, FileReport):
            reports.append(item)
            continue
        key = _cache_key(item, config.for_folder(item.folder))
        if key in cache.known:
            file_id, fmt, status, message = cache.known[key]
            reports.append(FileReport(item.display, item.sha256, fmt, status, message or ""))
            current.append(_Current(len(reports) - 1, file_id, item.display, item.sha256, fmt))
        else:
            pending.append((len(reports), item, key))
            reports.append(None)

    parsed: list[str] = []
    canonical: dict[tuple, list[tuple[int, int, LandingFile, str, canonical_sql.Prepared]]] = {}
    for position, item, key in pending:
        settings = config.for_folder(item.folder)
        fmt = settings.reader or detect_format(item.path, folder=item.folder)
        entity = None
        if fmt == CANONICAL:
            entity = settings.options.get("entity") or canonical_entity(read_head(item.path), item.folder)
        if entities is not None and fmt == CANONICAL and entity not in entities:
            reports[position] = FileReport(item.display, item.sha256, fmt, "skipped")
            continue
        if fmt == CANONICAL and entity in ENTITIES:
            try:
                prepared = canonical_sql.prepare(item.path, entity)
            except canonical_sql.Fallback:
                prepared = None
            if prepared is not None:
                batch = (canonical_sql.batch_key(prepared), json.dumps(settings.project_codes, sort_keys=True))
                canonical.setdefault(batch, []).append((position, cache.new_id(), item, key, prepared))
                continue
        report = read_landing_file(item, config)
        reports[position] = report
        if report.result is None:  # unknown, or the reader failed: not cached, tried again next run
            continue
        file_id = cache.new_id()
        results = cache.store_result(file_id, report)
        cache.record_file(file_id, key, item, report.format, report.status, report.message, "python", results)
        current.append(_Current(position, file_id, item.display, item.sha256, report.format))
        parsed.append(item.display)

    # Canonical files in SQL: one query per batch of files with the same header, cut into chunks of about
    # CHUNK_BYTES, two at a time (each query reads its files in order on one thread).
    units = []
    for batch in canonical.values():
        cache.ensure_extra_columns(batch[0][4].entity.name, batch[0][4].plan.extras)
        chunk, size = [], 0
        for entry in batch:
            chunk.append(entry)
            size += entry[2].path.stat().st_size
            if size >= CHUNK_BYTES:
                units.append(chunk)
                chunk, size = [], 0
        if chunk:
            units.append(chunk)

    def shown(unit) -> str:
        return ", ".join(entry[2].display for entry in unit)

    def parse(unit, *, alone: bool = False):
        cursor = cache.con.cursor()
        entity = unit[0][4].entity.name
        try:
            return unit, canonical_sql.insert_canonical(
                cursor, [(file_id, prepared) for _, file_id, _, _, prepared in unit], f"{CACHE_SCHEMA}.{entity}",
                config.for_folder(unit[0][2].folder).project_codes or None, computed={"_h": _key_hash(entity)})
        except duckdb.OutOfMemoryException as exc:
            # DuckDB's memory limit is the connection's, shared by the units parsed at once: this unit is
            # parsed again alone once the others are done, and if it runs out alone, its files go to the
            # Python reader; either way its rows of this attempt are deleted first
            cursor.execute(f"DELETE FROM {CACHE_SCHEMA}.{entity} WHERE file_id IN "
                           f"({', '.join(str(file_id) for _, file_id, _, _, _ in unit)})")
            if not alone:
                return unit, None
            LOGGER.warning("ingest: DuckDB ran out of memory parsing %s alone; the Python reader reads it",
                           shown(unit))
            reason = canonical_sql.Fallback(f"out of DuckDB's memory: {str(exc).splitlines()[0]}")
            return unit, {file_id: reason for _, file_id, _, _, _ in unit}
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=PARSE_WORKERS) as pool:
        done = list(pool.map(parse, units))
    for k, (unit, outcome) in enumerate(done):
        if outcome is None:
            LOGGER.warning("ingest: DuckDB ran out of memory parsing %s beside other files; parsing it again alone",
                           shown(unit))
            done[k] = parse(unit, alone=True)
    for unit, outcome in done:
        for position, file_id, item, key, prepared in unit:
            if isinstance(outcome[file_id], canonical_sql.Fallback):
                report = read_landing_file(item, config)
                reports[position] = report
                if report.result is None:
                    continue
                results, parser = cache.store_result(file_id, report), "python"
            else:
                report = FileReport(item.display, item.sha256, CANONICAL, "loaded")
                reports[position] = report
                results = [(prepared.entity.name, list(prepared.plan.warnings), list(prepared.plan.extras))]
                parser = "sql"
            cache.record_file(file_id, key, item, report.format, report.status, report.message, parser, results)
            current.append(_Current(position, file_id, item.display, item.sha256, report.format))
            parsed.append(item.display)
    cache.flush()
    current.sort(key=lambda c: c.ord)
    return [r for r in reports if r is not None and r.status != "skipped"], current, parsed


def _insert_values(con, table: str, rows: list[list]) -> None:
    """INSERT many small rows in a few statements (DuckDB's executemany runs one statement per row)."""
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        marks = ", ".join("(" + ", ".join("?" for _ in row) + ")" for row in chunk)
        con.execute(f"INSERT INTO {table} VALUES {marks}", [value for row in chunk for value in row])


def _open_warehouse(path: Path):
    return open_db(path, memory_limit=memory_size(INGEST_MEMORY_ENV, INGEST_MEMORY_LIMIT))


def load_landing(landing: Path, warehouse: Path, *, archive_dir: Path | None = None,
                 config: SourcesConfig | None = None, loaded_at: datetime | None = None,
                 rules: RowRules | None = None) -> IngestReport:
    """Replace raw.* and quarantine.* in ``warehouse`` with what is in ``landing``.

    Incremental: a file whose parse the warehouse already holds (same bytes, name, folder settings and
    parser code; see :class:`_ParseCache`) is not read again; new and changed files are parsed (canonical
    CSV in DuckDB, :mod:`orchestration.sources.canonical_sql`), and a file gone from landing/ takes its rows
    with it.  The raw and quarantine tables are then rebuilt from the parses of the files present, in one
    transaction, with the cross-file rules applied as before: exact duplicates across files, the project
    register preferred over vendor exports, ``rows_in = loaded + quarantined`` per file.  With ``rules``
    (what a run passes), timesheet entries and ledger lines that break a row rule are then moved to
    quarantine too (:mod:`orchestration.pipeline.row_rules`); ``report.ruled`` counts them per entity and rule.

    Raises :class:`IngestError` when a required entity (projects, tasks) has no loadable row; the previous
    raw tables are then kept (and a warehouse that did not exist before is not left behind).
    """
    landing = Path(landing)
    loaded_at = (loaded_at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    archive_dir = archive_dir or landing.parent / "archive"
    warehouse = Path(warehouse)
    existed = warehouse.exists()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = _open_warehouse(warehouse)
    try:
        cache = _ParseCache(con)
        files, current, parsed = _refresh(cache, landing, archive_dir, config or SourcesConfig())
        report = IngestReport(loaded_at, {}, files, parsed=parsed, reused=len(current) - len(parsed))
        con.execute("BEGIN TRANSACTION")
        try:
            _load(con, current, files, report, loaded_at, landing, rules)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        cache.forget({c.file_id for c in current})  # after the load: it needed the rows of removed files
    except IngestError:
        con.close()
        if not existed:
            for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return report


def _load(con, current: list[_Current], files: list[FileReport], report: IngestReport, loaded_at: datetime,
          landing: Path, rules: RowRules | None = None) -> None:
    """Rebuild raw.*, quarantine.* and raw.load_log from the cached parses of ``current`` (in a transaction)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    con.execute("CREATE OR REPLACE TEMP TABLE _current (ord INTEGER, file_id INTEGER, display VARCHAR, "
                "sha256 VARCHAR, format VARCHAR)")
    if current:
        frame = pd.DataFrame([(c.ord, c.file_id, c.display, c.sha256, c.format) for c in current],
                             columns=["ord", "file_id", "display", "sha256", "format"])
        con.register("_current_frame", frame)
        con.execute("INSERT INTO _current SELECT * FROM _current_frame")
        con.unregister("_current_frame")
    # Each file's place in the order of the display names, as DuckDB sorts them: raw rows are written in that
    # order, and sorting 3.8 M timesheet rows on this integer instead of the name took 4.7 s instead of 7.2 s.
    con.execute("CREATE OR REPLACE TEMP TABLE _display_order AS "
                "SELECT file_id, dense_rank() OVER (ORDER BY display) AS display_rank FROM _current")
    # What the last load wrote (any version of the ingest): the incremental path is taken only when the
    # raw tables still hold exactly that.
    con.execute("CREATE OR REPLACE TEMP TABLE _previous_log (entity VARCHAR, _source_file VARCHAR, "
                "_source_sha256 VARCHAR, rows_loaded BIGINT, rows_quarantined BIGINT)")
    if _table_exists(con, "raw", "load_log"):
        con.execute("INSERT INTO _previous_log SELECT entity, _source_file, _source_sha256, rows_loaded, "
                    "rows_quarantined FROM raw.load_log")
    con.execute("DROP TABLE IF EXISTS raw.load_log")
    con.execute(LOAD_LOG_DDL)
    con.execute("DROP TABLE IF EXISTS quarantine.files")
    con.execute(FILES_QUARANTINE_DDL)
    for f in files:
        if f.status != "loaded" or f.message:
            con.execute("INSERT INTO quarantine.files VALUES (?, ?, ?, ?, ?, ?)",
                        [f.display, f.sha256, loaded_at, f.format, f.status, f.message])
    for entity in ENTITIES:
        _write_entity(con, entity, loaded_at, report)
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
    # The frozen figures of closed periods (orchestration/pipeline/reported.py) live beside raw; the table
    # exists, empty, until a period has been closed, so the dbt source always resolves.
    con.execute("CREATE SCHEMA IF NOT EXISTS reported")
    con.execute(REPORTED_DDL)
    if rules is not None:
        report.ruled = apply_row_rules(con, rules, loaded_at)
        for entity, counts in report.ruled.items():
            load = report.entities[entity]
            load.loaded -= sum(counts.values())
            load.quarantined += sum(counts.values())
    else:
        forget_row_rules(con)
    broken = load_log_mismatches(con)
    if broken:
        raise IngestError("The load does not add up, so nothing was loaded (the previous raw tables are kept): "
                          + "; ".join(broken))


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


def _write_entity(con, entity: str, loaded_at: datetime, report: IngestReport) -> None:
    """raw.<entity>, quarantine.<entity> and the entity's raw.load_log rows for the files of this run
    (temp table ``_current``), from their cached parses, with the cross-file rules of :func:`read_landing`;
    the counts go to ``report.entities[entity]``.

    Only what changed is written: the rows of files that came, went or share a duplicate key with one
    that did (the rows of the other files stay as they are, with the time they were loaded).  The whole
    entity is rebuilt when its tables are missing or differ in shape, when none of its files was loaded
    before, and for projects (the project register rule compares every file).
    """
    cache = f"{CACHE_SCHEMA}.{entity}"
    load = report.entities[entity] = EntityLoad(entity)
    results = con.execute(
        f"SELECT r.file_id, c.display, c.sha256, c.format, r.warnings, r.extra_columns "
        f"FROM {CACHE_SCHEMA}.results r JOIN _current c USING (file_id) WHERE r.entity = ? ORDER BY c.ord, r.position",
        [entity]).fetchall()
    for _, display, _, _, warnings, extras in results:
        load.files.append(display)
        load.warnings += json.loads(warnings)
        load.extra_columns += [c for c in json.loads(extras) if c not in load.extra_columns]

    current = {r[0] for r in results}
    before = dict(con.execute(f"SELECT file_id, loaded_at FROM {CACHE_SCHEMA}.loaded WHERE entity = ?",
                              [entity]).fetchall())
    added, removed, kept = current - set(before), set(before) - current, current & set(before)
    # rows the last load quarantined by a row rule come back before the rules are applied again: put back where
    # the table's order does not matter, else by a rebuild
    if (not kept or entity == "projects" and (added or removed)
            or not _as_left(con, entity, before, load.extra_columns)
            or previously_ruled(con, entity) and not _restore_ruled(con, entity, load.extra_columns)):
        _rebuild_entity(con, entity, load.extra_columns, loaded_at)
    elif (added or removed) and not _update_entity(con, entity, load.extra_columns, loaded_at, added, removed, kept):
        _rebuild_entity(con, entity, load.extra_columns, loaded_at)

    counts = {fid: (rows_in, quarantined) for fid, rows_in, quarantined in con.execute(
        f"SELECT file_id, count(*), count(*) FILTER (WHERE _quarantined) FROM {cache} "
        f"WHERE file_id IN (SELECT file_id FROM _current) GROUP BY 1").fetchall()}
    moved = dict(con.execute(f"SELECT file_id, count(*) FROM {CACHE_SCHEMA}.moved WHERE entity = ? GROUP BY 1",
                             [entity]).fetchall())
    written = dict(con.execute(f"SELECT file_id, loaded_at FROM {CACHE_SCHEMA}.loaded WHERE entity = ?",
                               [entity]).fetchall())
    log = []
    for file_id, display, sha, fmt, warnings, _ in results:
        rows_in, quarantined = counts.get(file_id, (0, 0))
        quarantined += moved.get(file_id, 0)
        log.append([entity, display, sha, written.get(file_id, loaded_at), fmt, rows_in, rows_in - quarantined,
                    quarantined, "\n".join(json.loads(warnings)) or None])
        load.rows_in += rows_in
        load.loaded += rows_in - quarantined
        load.quarantined += quarantined
    if log:
        _insert_values(con, "raw.load_log", log)


def _table_exists(con, schema: str, table: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND schema_name = ? AND table_name = ?", [schema, table]).fetchone()[0] == 1


def _as_left(con, entity: str, before: dict[int, datetime], extras: list[str]) -> bool:
    """raw.<entity> and quarantine.<entity> are as the last load left them, holding the files in ``before``:
    the right columns, and the files and row counts of the last load log (which any version of the
    ingest writes).  Otherwise the entity is rebuilt."""
    shape = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'raw' "
        "AND table_name = ? ORDER BY column_index", [entity]).fetchall()]
    if shape != [*ENTITIES[entity].column_names, *LINEAGE_COLUMNS, *extras] or not _table_exists(con, "quarantine", entity):
        return False
    logged = con.execute("SELECT _source_file, _source_sha256, rows_loaded, rows_quarantined FROM _previous_log "
                         "WHERE entity = ?", [entity]).fetchall()
    files = con.execute(f"SELECT display, sha256 FROM {CACHE_SCHEMA}.files WHERE file_id IN "
                        f"({', '.join(map(str, before)) or 'NULL'})").fetchall()
    counts = con.execute(f"SELECT (SELECT count(*) FROM raw.{entity}), (SELECT count(*) FROM quarantine.{entity})"
                         ).fetchone()
    return (sorted((f, s) for f, s, _, _ in logged) == sorted(files)
            and counts == (sum(r[2] for r in logged), sum(r[3] for r in logged)))


def _rebuild_entity(con, entity: str, extras: list[str], loaded_at: datetime) -> None:
    """raw.<entity> and quarantine.<entity> from scratch, every file of the run loaded now."""
    ent = ENTITIES[entity]
    con.execute(f"DROP TABLE IF EXISTS raw.{entity}; {raw_table_ddl(ent)}; "
                + "".join(f"ALTER TABLE raw.{entity} ADD COLUMN {ident(extra)} DOUBLE; " for extra in extras)
                + f"DROP TABLE IF EXISTS quarantine.{entity}; CREATE TABLE quarantine.{entity} "
                + f"({', '.join(f'{k} {v}' for k, v in QUARANTINE_COLUMNS.items())}); "
                + f"DELETE FROM {CACHE_SCHEMA}.moved WHERE entity = '{entity}'; "
                + f"DELETE FROM {CACHE_SCHEMA}.loaded WHERE entity = '{entity}'")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _written AS SELECT DISTINCT r.file_id FROM {CACHE_SCHEMA}.results r "
                f"JOIN _current c USING (file_id) WHERE r.entity = '{entity}'")
    if con.execute("SELECT count(*) FROM _written").fetchone()[0] == 0:
        return
    if entity == "projects":
        _prefer_the_register_sql(con)
    _dedupe_sql(con, entity)
    _write_rows(con, entity, extras, loaded_at)


def _update_entity(con, entity: str, extras: list[str], loaded_at: datetime, added: set[int], removed: set[int],
                   kept: set[int]) -> bool:
    """Replace the rows of the files that came or went, and of the kept files that share a duplicate key
    with them (their duplicate status may change); every other row stays.

    The rows written are appended, so the tables keep the physical order a rebuild gives (by file name,
    then row) only when those files sort after every file left as it is.  Some marts sum doubles, whose last
    bit depends on the order rows are read in, so when the table is read in that order (one thread: see
    :data:`ORDERED_ROWS_MAX`) and a written file sorts before one left as it is, nothing is done and False
    returned, and the caller rebuilds the entity.  A larger table takes the rows appended whatever the files'
    names (a night's export named ``night-2026-12-02.csv`` sorts before ``timesheets-2026-11.csv``; rebuilding
    3.8 M timesheet rows for it cost 5 s)."""
    cache = f"{CACHE_SCHEMA}.{entity}"
    changed = ", ".join(map(str, added | removed))
    # the keys whose duplicates may change: those of the loaded rows of the files that came or went
    con.execute(f"CREATE OR REPLACE TEMP TABLE _keys AS SELECT DISTINCT _h FROM {cache} "
                f"WHERE file_id IN ({changed}) AND NOT _quarantined")
    touched = {r[0] for r in con.execute(
        f"SELECT DISTINCT file_id FROM {cache} WHERE file_id IN ({', '.join(map(str, kept))}) AND NOT _quarantined "
        f"AND _h IN (SELECT _h FROM _keys)").fetchall()}
    written = added | touched
    staying = kept - touched
    if staying and written:
        first_written, last_staying = con.execute(
            f"SELECT min(display) FILTER (WHERE file_id IN ({', '.join(map(str, written))})), "
            f"max(display) FILTER (WHERE file_id IN ({', '.join(map(str, staying))})) FROM _current").fetchone()
        if first_written < last_staying and _read_in_order(con, entity):
            return False
    dropped = ", ".join(map(str, removed | touched)) or "NULL"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _written AS SELECT file_id FROM _current "
                f"WHERE file_id IN ({', '.join(map(str, added | touched)) or 'NULL'})")
    # the duplicates among those keys, decided again over every file of the run
    con.execute(f"DELETE FROM {CACHE_SCHEMA}.moved WHERE entity = ? AND (file_id IN ({', '.join(map(str, removed)) or 'NULL'}) "
                f"OR _h IN (SELECT _h FROM _keys))", [entity])
    _dedupe_sql(con, entity, only_keys=True)
    for table in (f"raw.{entity}", f"quarantine.{entity}"):
        con.execute(f"DELETE FROM {table} WHERE (_source_file, _source_sha256) IN "
                    f"(SELECT display, sha256 FROM {CACHE_SCHEMA}.files WHERE file_id IN ({dropped}))")
    con.execute(f"DELETE FROM {CACHE_SCHEMA}.loaded WHERE entity = ? AND file_id IN ({dropped})", [entity])
    _write_rows(con, entity, extras, loaded_at)
    return True


def _raw_insert_columns(entity: str, extras: list[str]) -> tuple[str, str]:
    """raw.<entity>'s columns for an INSERT (the contract's, the extras, the lineage), and the SELECT list that
    casts the cached parse's text (alias ``t``) to their types, lineage left to the caller."""
    ent = ENTITIES[entity]
    columns = ent.column_names + extras
    types = {c.name: DUCKDB_TYPES[c.type] for c in ent.columns}
    casts = ", ".join(f"CAST(t.{ident(c)} AS {types.get(c, DUCKDB_TYPES[NUMBER])})" for c in columns)
    return f"{', '.join(ident(c) for c in columns)}, {', '.join(LINEAGE_COLUMNS)}", casts


def _restore_ruled(con, entity: str, extras: list[str]) -> bool:
    """Put the rows the last load's row rules moved to quarantine.<entity> back into raw.<entity>, from their
    cached parses and with their file's load time, so that the rules decide on them again (a project added to
    the register brings its hours back).  They are appended, so only where the table is not read in its order
    (:func:`_read_in_order`); otherwise returns False and the caller rebuilds the entity, as every load after
    one with ruled rows did: at 2,000 projects, writing and committing 3.8 M timesheet rows again, 10 s of a
    night whose file broke no rule (bench/RESULTS.md)."""
    if _read_in_order(con, entity):
        return False
    cache = f"{CACHE_SCHEMA}.{entity}"
    target, casts = _raw_insert_columns(entity, extras)
    ruled = f"reason LIKE '{RULE_REASON_PREFIX}raw\\_{entity}.%' ESCAPE '\\'"
    con.execute(
        f"INSERT INTO raw.{entity} ({target}) "
        f"SELECT {casts}, c.display, c.sha256, t._source_row, l.loaded_at "
        f"FROM {cache} t JOIN _current c USING (file_id) "
        f"JOIN {CACHE_SCHEMA}.loaded l ON l.entity = ? AND l.file_id = t.file_id "
        f"SEMI JOIN (SELECT _source_file, _source_sha256, _source_row FROM quarantine.{entity} WHERE {ruled}) q "
        f"ON q._source_file = c.display AND q._source_sha256 = c.sha256 AND q._source_row = t._source_row "
        f"WHERE NOT t._quarantined AND (t.file_id, t._seq) NOT IN "
        f"(SELECT file_id, _seq FROM {CACHE_SCHEMA}.moved WHERE entity = ?) "
        f"ORDER BY c.display, t._source_row, t._seq", [entity, entity])
    con.execute(f"DELETE FROM quarantine.{entity} WHERE {ruled}")
    return True


def _read_in_order(con, entity: str) -> bool:
    """Whether queries read raw.<entity> in the order it holds its rows: one thread, or at most
    :data:`ORDERED_ROWS_MAX` rows (one row group)."""
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    return threads == 1 or con.execute(f"SELECT count(*) FROM raw.{entity}").fetchone()[0] <= ORDERED_ROWS_MAX


def _write_rows(con, entity: str, extras: list[str], loaded_at: datetime) -> None:
    """Insert the rows of the files in temp table ``_written``: loaded rows not moved by a cross-file rule
    into raw.<entity> (by file name and row, the order the Python ingest wrote: a mart that averages
    doubles reads them in that order), the reader's quarantine records and the moved rows into
    quarantine.<entity> (by file, then reader, register and duplicates, each in reader order)."""
    cache = f"{CACHE_SCHEMA}.{entity}"
    target, casts = _raw_insert_columns(entity, extras)
    moved = f"(SELECT file_id, _seq FROM {CACHE_SCHEMA}.moved WHERE entity = '{entity}')"
    con.execute(
        f"INSERT INTO raw.{entity} ({target}) "
        f"SELECT {casts}, c.display, c.sha256, t._source_row, ?::TIMESTAMP "
        f"FROM {cache} t JOIN _current c USING (file_id) JOIN _display_order d USING (file_id) "
        f"SEMI JOIN _written w USING (file_id) "
        f"WHERE NOT t._quarantined AND (t.file_id, t._seq) NOT IN {moved} "
        f"ORDER BY d.display_rank, t._source_row, t._seq", [loaded_at])
    con.execute(
        f"INSERT INTO quarantine.{entity} SELECT display, sha256, _source_row, ?::TIMESTAMP, column_name, value, "
        f"reason, record FROM ("
        f" SELECT c.ord, 0 AS phase, t._seq, c.display, c.sha256, t._source_row, t.column_name, t.value, t.reason, "
        f"        t.record FROM {cache} t JOIN _current c USING (file_id) SEMI JOIN _written w USING (file_id) "
        f"        WHERE t._quarantined"
        f" UNION ALL"
        f" SELECT c.ord, m.phase, m._seq, c.display, c.sha256, m._source_row, m.column_name, m.value, m.reason, "
        f"        m.record FROM {CACHE_SCHEMA}.moved m JOIN _current c USING (file_id) SEMI JOIN _written w USING (file_id)"
        f"        WHERE m.entity = '{entity}'"
        f") ORDER BY ord, phase, _seq", [loaded_at])
    con.execute(f"INSERT INTO {CACHE_SCHEMA}.loaded SELECT '{entity}', file_id, ?::TIMESTAMP FROM _written",
                [loaded_at])


def _prefer_the_register_sql(con) -> None:
    """:func:`_prefer_the_register` over the cached project rows: a vendor export's project row is moved to
    quarantine when the canonical register has the project, or when a later export describes it again."""
    con.execute(f"""
        INSERT INTO {CACHE_SCHEMA}.moved
        WITH loaded AS (
            SELECT t.file_id, t._seq, t._source_row, t.project_code, t._register_record, t._h, c.ord, c.display,
                   c.format
            FROM {CACHE_SCHEMA}.projects t JOIN _current c USING (file_id) WHERE NOT t._quarantined),
        register AS (
            SELECT project_code, arg_min(display, ord) AS register_file FROM loaded
            WHERE format = '{CANONICAL}' GROUP BY project_code),
        vendor AS (
            SELECT l.*, r.register_file FROM loaded l LEFT JOIN register r USING (project_code)
            WHERE l.format IS DISTINCT FROM '{CANONICAL}'),
        latest AS (
            SELECT project_code, max(ord) AS latest_ord, arg_max(display, ord) AS latest_file FROM vendor
            WHERE register_file IS NULL GROUP BY project_code)
        SELECT 'projects', v.file_id, v._seq, v._source_row, 1, 'project_code', v.project_code,
               CASE WHEN v.register_file IS NOT NULL
                    THEN 'project ' || v.project_code || ' is in the project register (' || v.register_file
                         || '), whose row is used'
                    ELSE 'project ' || coalesce(v.project_code, 'None') || ' is described again by a later export ('
                         || l.latest_file || ')' END,
               v._register_record, v._h
        FROM vendor v LEFT JOIN latest l ON l.project_code IS NOT DISTINCT FROM v.project_code
        WHERE v.register_file IS NOT NULL OR l.latest_ord <> v.ord""")


def _dedupe_sql(con, entity: str, only_keys: bool = False) -> None:
    """:func:`_dedupe` over the cached rows of the run's files: a loaded row equal in every contract column
    to an earlier one (files in landing order, rows in reader order) is moved to quarantine as its
    duplicate.  Rows are first grouped by their hash (``_h``), so only rows whose hash repeats are compared
    exactly (a window over every column, NULLs equal as Python's None == None).  ``only_keys``: only the
    hashes in temp table ``_keys`` (the rest is known not to have changed)."""
    cols = ENTITIES[entity].column_names
    quoted = ", ".join(f"t.{ident(c)}" for c in cols)
    partition = ", ".join(ident(c) for c in cols)
    keys = "AND t._h IN (SELECT _h FROM _keys)" if only_keys else ""
    dups = con.execute(f"""
        WITH loaded AS MATERIALIZED (
            SELECT t.file_id, t._seq, t._h FROM {CACHE_SCHEMA}.{entity} t SEMI JOIN _current c USING (file_id)
            WHERE NOT t._quarantined {keys}
              AND (t.file_id, t._seq) NOT IN (SELECT file_id, _seq FROM {CACHE_SCHEMA}.moved WHERE entity = '{entity}')),
        repeated AS (SELECT _h FROM loaded GROUP BY _h HAVING count(*) > 1),
        candidates AS (
            SELECT t.file_id, t._seq, t._source_row, t._h, {quoted}, c.ord, c.display
            FROM {CACHE_SCHEMA}.{entity} t JOIN _current c USING (file_id)
            SEMI JOIN (SELECT file_id, _seq FROM loaded WHERE _h IN (SELECT _h FROM repeated)) k USING (file_id, _seq)),
        ranked AS (
            SELECT *, row_number() OVER w AS rn, first_value(display) OVER w AS first_file,
                   first_value(_source_row) OVER w AS first_row
            FROM candidates WINDOW w AS (PARTITION BY {partition} ORDER BY ord, _seq))
        SELECT file_id, _seq, _source_row, _h, first_file, first_row, {partition} FROM ranked WHERE rn > 1""").fetchall()
    if not dups:
        return
    frame = pd.DataFrame(
        [(entity, file_id, seq, row, 2, None, None, f"exact duplicate of {first_file} row {first_row}",
          json.dumps({c: v or "" for c, v in zip(cols, values)}, ensure_ascii=False, sort_keys=True), h)
         for file_id, seq, row, h, first_file, first_row, *values in dups],
        columns=["entity", "file_id", "_seq", "_source_row", "phase", "column_name", "value", "reason", "record", "_h"])
    con.register("_duplicates", frame)
    try:
        con.execute(f"INSERT INTO {CACHE_SCHEMA}.moved SELECT entity, CAST(file_id AS INTEGER), CAST(_seq AS INTEGER), "
                    "CAST(_source_row AS INTEGER), CAST(phase AS INTEGER), CAST(column_name AS VARCHAR), "
                    "CAST(value AS VARCHAR), reason, record, CAST(_h AS UBIGINT) FROM _duplicates")
    finally:
        con.unregister("_duplicates")


#: The date column of each entity that says how recent its data is, for :func:`latest_period`.
_LATEST_COLUMNS = {entity: PERIOD_COLUMN[entity] for entity in RECENCY_ENTITIES}


def latest_period(landing: Path, archive_dir: Path | None = None, config: SourcesConfig | None = None,
                  warehouse: Path | None = None) -> str | None:
    """The latest reporting period with data: the newest task status date, timesheet work date or
    ledger posting date in landing/ (rows that fail the contract are ignored).

    With ``warehouse``, files already parsed there are not read again, and the files parsed now are kept
    for the ingest that follows (so ``pmo run`` parses each file once).  Without it (or when the warehouse
    is busy), the task, timesheet and ledger files are parsed into a scratch database.
    """
    landing = Path(landing)
    archive_dir = archive_dir or landing.parent / "archive"
    config = config or SourcesConfig()
    if warehouse is not None:
        try:
            Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
            con = _open_warehouse(Path(warehouse))
        except duckdb.Error:  # another process holds the warehouse
            con = None
        if con is not None:
            try:
                return _latest_period(con, landing, archive_dir, config, None)
            finally:
                con.close()
    with tempfile.TemporaryDirectory(prefix="pmo-latest-") as scratch:
        con = _open_warehouse(Path(scratch) / "scan.duckdb")
        try:
            return _latest_period(con, landing, archive_dir, config, set(_LATEST_COLUMNS))
        finally:
            con.close()


def _latest_period(con, landing: Path, archive_dir: Path, config: SourcesConfig, entities) -> str | None:
    _, current, _ = _refresh(_ParseCache(con), landing, archive_dir, config, entities)
    if not current:
        return None
    ids = ", ".join(str(c.file_id) for c in current)
    best = con.execute(" SELECT max(d) FROM (" + " UNION ALL ".join(
        f"SELECT max(TRY_CAST({column} AS DATE)) AS d FROM {CACHE_SCHEMA}.{entity} "
        f"WHERE file_id IN ({ids}) AND NOT _quarantined" for entity, column in _LATEST_COLUMNS.items()) + ")").fetchone()[0]
    return f"{best.year:04d}-{best.month:02d}" if best else None
