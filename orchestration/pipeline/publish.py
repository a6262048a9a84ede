"""Publish: copy the marts from the working warehouse to the serving snapshot.

BI tools and the packs only ever read ``serving.duckdb`` (read-only) or ``parquet/<mart>.parquet``.
Both are written to temporary files first and then renamed into place (``os.replace`` is atomic
on one filesystem), so a reader sees either the previous snapshot or the new one, never half of
one, and a failed run leaves the previous snapshot untouched.
"""
from __future__ import annotations

import os
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


def list_marts(warehouse: Path, schema: str = MARTS_SCHEMA) -> list[str]:
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            [schema],
        ).fetchall()
    return [r[0] for r in rows]


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
    try:
        con = open_db(tmp_serving)
        try:
            con.execute(f"ATTACH '{_sql_path(warehouse)}' AS wh (READ_ONLY)")
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

            sizes = dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                                     "WHERE database_name = 'wh' AND schema_name = ?", [schema]).fetchall())
            largest_first = sorted(tables, key=lambda t: (-(sizes.get(t) or 0), t))
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
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        # A cancel (SIGINT/SIGTERM) lands before these renames or after them, never between.
        with interrupts_deferred():
            os.replace(tmp_serving, serving)
            for tmp, final in staged_parquet:
                os.replace(tmp, final)
        wal = tmp_serving.with_name(tmp_serving.name + ".wal")
        if wal.exists():
            wal.unlink()
    except BaseException:
        for path in [tmp_serving, tmp_serving.with_name(tmp_serving.name + ".wal")] + [t for t, _ in staged_parquet]:
            if path.exists():
                path.unlink()
        raise
    return counts


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
    rows = source_freshness(con, schema="wh.raw")
    if rows:
        con.executemany(f"INSERT INTO {QUALITY_SCHEMA}.source_freshness VALUES (?, ?, ?, ?, ?)",
                        [[r["source"], r["entity"], r["file"], r["rows"], r["latest_date"]] for r in rows])
    con.execute(f"CREATE TABLE {QUALITY_SCHEMA}.source_periods (source VARCHAR, file VARCHAR, reader VARCHAR, "
                "entity VARCHAR, period VARCHAR, rows_loaded BIGINT, rows_quarantined BIGINT)")
    rows = source_periods(con, raw_schema="wh.raw", quarantine_schema="wh.quarantine")
    if rows:
        con.executemany(f"INSERT INTO {QUALITY_SCHEMA}.source_periods VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[r[k] for k in ("source", "file", "reader", "entity", "period", "rows_loaded",
                                         "rows_quarantined")] for r in rows])


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
