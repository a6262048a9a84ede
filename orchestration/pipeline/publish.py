"""Publish: copy the marts from the working warehouse to the serving snapshot.

BI tools and the packs only ever read ``serving.duckdb`` (read-only) or ``parquet/<mart>.parquet``.
Both are written to temporary files first and then renamed into place (``os.replace`` is atomic
on one filesystem), so a reader sees either the previous snapshot or the new one, never half of
one, and a failed run leaves the previous snapshot untouched.

A mart whose contents are those it was last published with is not copied again (a night whose new rows
change no mart, such as timesheets of the month after the reporting period). Each mart's *version* is the one
dbt recorded for it (``pmo_build.node_versions``, dbt_project/macros/unchanged_inputs.sql), else a hash of its
rows; the snapshot keeps them in ``quality.published_marts``. When most rows are in unchanged marts, the new
snapshot starts as a copy of the previous file, in which only the changed marts are replaced, and their
Parquet files are the only ones written. Otherwise (or without a readable previous snapshot) every mart is
copied into a new file, which also keeps the file compact.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from orchestration.pipeline.signals import interrupts_deferred
from orchestration.warehouse import connect, duckdb_threads, open_db

MARTS_SCHEMA = "marts"
#: Tables copied at once: on 2 cores publishing the 31 marts of a 2,000-project warehouse took 4.6-5.3 s two
#: at a time against 5.9-6.5 s one at a time; three at a time was no faster (bench/RESULTS.md, 2026-12-07).
PUBLISH_WORKERS = 2
#: The previous snapshot is copied and patched when the changed marts hold at most this share of the rows;
#: above it a new file is written, so the space of replaced tables never exceeds about the file's own size.
REUSE_MAX_CHANGED_SHARE = 0.5
#: The table of the snapshot that names each mart's version and rows.
PUBLISHED_TABLE = "quality.published_marts"


def list_marts(warehouse: Path, schema: str = MARTS_SCHEMA) -> list[str]:
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            [schema],
        ).fetchall()
    return [r[0] for r in rows]


def mart_versions(con, tables: list[str], schema: str = MARTS_SCHEMA, db: str = "wh") -> dict[str, str]:
    """table -> its version, on ``con`` with the warehouse attached as ``db``: the one dbt recorded when it wrote
    the table (a hash of its shape and rows), else a hash of its rows computed here."""
    recorded: dict[str, str] = {}
    try:
        recorded = dict(con.execute(
            f"SELECT split_part(node_id, '.', 3), version FROM {db}.pmo_build.node_versions "
            "WHERE node_id LIKE 'model.%' AND version IS NOT NULL").fetchall())
    except duckdb.CatalogException:  # a warehouse dbt did not record in
        pass
    versions = {}
    for table in tables:
        if table in recorded:
            versions[table] = "dbt:" + recorded[table]
        else:
            count, xor, total = con.execute(
                f"SELECT count(*), coalesce(bit_xor(hash(r)), 0), coalesce(sum(hash(r)::HUGEINT), 0) "
                f"FROM {db}.{schema}.{table} AS r").fetchone()
            shape = con.execute("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) "
                                "FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
                                [db, schema, table]).fetchone()[0]
            versions[table] = f"rows:{shape}|{count}:{xor}:{total}"
    return versions


def published_marts(serving: Path) -> dict[str, tuple[str, int]] | None:
    """mart -> (version, rows) as the snapshot ``serving`` was published, or None (no snapshot, one published
    before versions were kept, or one that cannot be read now)."""
    if not Path(serving).is_file():
        return None
    try:
        con = open_db(serving, read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(f"SELECT mart, version, rows FROM {PUBLISHED_TABLE}").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return {mart: (version, n) for mart, version, n in rows}


def publish_marts(warehouse: Path, serving: Path, parquet_dir: Path, schema: str = MARTS_SCHEMA) -> dict[str, int]:
    """Copy every table of ``schema`` to a new serving file and to Parquet; returns rows per table."""
    tables = list_marts(warehouse, schema)
    if not tables:
        raise RuntimeError(f"{warehouse}: schema {schema!r} has no tables to publish; did dbt build the marts?")
    serving.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".serving-", suffix=".duckdb", dir=serving.parent)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB must create the file itself
    tmp_serving = Path(tmp_name)
    staged_parquet: list[tuple[Path, Path]] = []
    counts: dict[str, int] = {}
    previous = published_marts(serving)
    try:
        probe = duckdb.connect()
        try:
            probe.execute(f"ATTACH '{_sql_path(warehouse)}' AS wh (READ_ONLY)")
            versions = mart_versions(probe, tables, schema)
            sizes = dict(probe.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                                       "WHERE database_name = 'wh' AND schema_name = ?", [schema]).fetchall())
        finally:
            probe.close()
        kept = _kept_marts(previous, versions, sizes, parquet_dir)
        if kept:
            # the previous snapshot, read-only to its readers, is copied; only what changed is replaced in the copy
            shutil.copyfile(serving, tmp_serving)
        con = open_db(tmp_serving)
        try:
            con.execute(f"ATTACH '{_sql_path(warehouse)}' AS wh (READ_ONLY)")
            if kept:
                con.execute(f"DROP SCHEMA IF EXISTS {QUALITY_SCHEMA} CASCADE")
                for table in previous or {}:
                    if table not in kept:
                        con.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
                counts.update({table: (previous or {})[table][1] for table in kept})
            else:
                con.execute(f"CREATE SCHEMA {schema}")

            def copy(table: str) -> None:
                # each table on a cursor of its own: most marts are under one row group, which DuckDB
                # writes on one thread, so two tables at a time keep both cores busy
                cursor = con.cursor()
                try:
                    cursor.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM wh.{schema}.{table}")
                    counts[table] = cursor.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
                    tmp_parquet = parquet_dir / f".{table}.parquet.tmp"
                    staged_parquet.append((tmp_parquet, parquet_dir / f"{table}.parquet"))
                    cursor.execute(f"COPY {schema}.{table} TO '{_sql_path(tmp_parquet)}' (FORMAT parquet)")
                finally:
                    cursor.close()

            largest_first = sorted((t for t in tables if t not in kept), key=lambda t: (-(sizes.get(t) or 0), t))
            pool = ThreadPoolExecutor(max_workers=min(PUBLISH_WORKERS, duckdb_threads()))
            try:
                copies = [pool.submit(copy, table) for table in largest_first]
                _publish_quality(con)  # meanwhile, on the snapshot's own connection
                for done in copies:
                    done.result()  # the first failure
            finally:
                # after a failure or an interrupt the copies not started are not started; the running ones
                # finish before their connection is closed
                pool.shutdown(wait=True, cancel_futures=True)
            counts = {table: counts[table] for table in tables}
            con.execute(f"CREATE TABLE {PUBLISHED_TABLE} (mart VARCHAR, version VARCHAR, rows BIGINT)")
            con.executemany(f"INSERT INTO {PUBLISHED_TABLE} VALUES (?, ?, ?)",
                            [[table, versions[table], counts[table]] for table in tables])
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        # A cancel (SIGINT/SIGTERM) lands before these renames or after them, never between.
        with interrupts_deferred():
            os.replace(tmp_serving, serving)
            for tmp, final in staged_parquet:
                os.replace(tmp, final)
            for stale in (previous or {}).keys() - set(tables):  # a mart the warehouse no longer has
                (parquet_dir / f"{stale}.parquet").unlink(missing_ok=True)
        wal = tmp_serving.with_name(tmp_serving.name + ".wal")
        if wal.exists():
            wal.unlink()
    except BaseException:
        for path in [tmp_serving, tmp_serving.with_name(tmp_serving.name + ".wal")] + [t for t, _ in staged_parquet]:
            if path.exists():
                path.unlink()
        raise
    return counts


def _kept_marts(previous: dict[str, tuple[str, int]] | None, versions: dict[str, str], sizes: dict[str, int],
                parquet_dir: Path) -> set[str]:
    """The marts the new snapshot keeps from the previous one: those published with the version they have now
    and whose Parquet file is there; none when the others hold more than REUSE_MAX_CHANGED_SHARE of the rows."""
    if not previous:
        return set()
    kept = {t for t, v in versions.items()
            if t in previous and previous[t][0] == v and (parquet_dir / f"{t}.parquet").is_file()}
    total = sum(max(sizes.get(t) or 0, 1) for t in versions)
    changed = sum(max(sizes.get(t) or 0, 1) for t in versions if t not in kept)
    return kept if kept and changed <= REUSE_MAX_CHANGED_SHARE * total else set()


QUALITY_SCHEMA = "quality"


def _publish_quality(con) -> None:
    """Copy what the data-quality appendix and the volume gate read into serving's ``quality`` schema:
    ``load_log`` (rows in / loaded / quarantined per file and entity), ``files`` (files not read) and
    ``source_freshness`` (per file, the latest status/work/posting date) and ``source_periods`` (rows loaded and
    quarantined per file and period). Absent sources give empty tables."""
    from orchestration.pipeline.ingest import FILES_QUARANTINE_DDL, LOAD_LOG_DDL
    from orchestration.pipeline.quality import source_freshness, source_periods

    con.execute(f"CREATE SCHEMA {QUALITY_SCHEMA}")
    for table, ddl, source in (("load_log", LOAD_LOG_DDL, "wh.raw.load_log"),
                               ("files", FILES_QUARANTINE_DDL, "wh.quarantine.files")):
        con.execute(ddl.replace("raw.load_log", f"{QUALITY_SCHEMA}.{table}")
                    .replace("quarantine.files", f"{QUALITY_SCHEMA}.{table}"))
        try:
            con.execute(f"INSERT INTO {QUALITY_SCHEMA}.{table} SELECT * FROM {source}")
        except duckdb.CatalogException:
            pass
    con.execute(f"CREATE TABLE {QUALITY_SCHEMA}.source_freshness (source VARCHAR, entity VARCHAR, file VARCHAR, "
                "rows BIGINT, latest_date VARCHAR)")
    _insert_rows(con, f"{QUALITY_SCHEMA}.source_freshness", source_freshness(con, schema="wh.raw"),
                 ("source", "entity", "file", "rows", "latest_date"))
    con.execute(f"CREATE TABLE {QUALITY_SCHEMA}.source_periods (source VARCHAR, file VARCHAR, reader VARCHAR, "
                "entity VARCHAR, period VARCHAR, rows_loaded BIGINT, rows_quarantined BIGINT)")
    _insert_rows(con, f"{QUALITY_SCHEMA}.source_periods",
                 source_periods(con, raw_schema="wh.raw", quarantine_schema="wh.quarantine"),
                 ("source", "file", "reader", "entity", "period", "rows_loaded", "rows_quarantined"))


def _insert_rows(con, table: str, rows: list[dict], columns: tuple[str, ...]) -> None:
    """Insert ``rows`` (dicts) into ``table`` in one statement. ``executemany`` commits each row on its own:
    2.7 s for the 571 rows of a 2,000-project organisation's sources, against milliseconds this way."""
    if not rows:
        return
    import pandas as pd

    frame = pd.DataFrame([[r[c] for c in columns] for r in rows], columns=list(columns))
    con.register("pmo_rows_to_insert", frame)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM pmo_rows_to_insert")
    finally:
        con.unregister("pmo_rows_to_insert")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
