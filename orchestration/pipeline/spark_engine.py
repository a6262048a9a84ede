"""``engine: spark``: the marts built by dbt-spark from the same landing files (issue #14, docs/spark.md).

A run's steps stay the same; only what runs inside the dbt step changes:

1. The ingest parses the landing files into ``warehouse.duckdb`` as always (``raw.*``, ``quarantine.*``,
   the archive, the gates on raw rows): the same rows feed either engine.
2. :func:`export_run_sources` writes the dbt sources (``raw``, ``quarantine``, ``reported``) as Parquet
   under ``<home>/spark/sources/<schema>/<table>/`` (:func:`~orchestration.pipeline.spark_sources.export_sources`),
   and ``dbt run-operation register_parquet_sources --target spark`` catalogues them as Spark tables.
3. ``dbt build --target spark`` builds the seeds, staging views and the intermediate and mart tables as
   Parquet under ``<home>/spark/warehouse/<schema>.db/<table>/``, and runs the data tests there as the run's
   blocking checks, exactly as on DuckDB.
4. :func:`import_spark_marts` copies what Spark built of ``marts`` (and the failing rows its tests stored,
   ``dbt_test__audit``) into ``warehouse.duckdb``, replacing those tables. From there the run goes on as on
   DuckDB: the mart expectations, publish (``serving.duckdb`` and ``parquet/``), the frozen figures and the
   packs read the marts Spark built, and a BI tool sees no difference.

No JVM outlives the dbt step: dbt-spark's ``session`` method runs Spark inside the dbt process. On a cluster the
profile's connection changes (``thrift`` or ``http``) and the warehouse folder is the cluster's object storage;
step 4 then reads the marts from there (docs/spark.md).
"""
from __future__ import annotations

import contextlib
import importlib.util
import shutil
from pathlib import Path

import duckdb

from orchestration.defs.dbt_keep import NODE_VERSIONS_TABLE
from orchestration.pipeline.spark_sources import export_sources

#: The Spark schemas copied back into warehouse.duckdb after a Spark build: the marts (what publish reads)
#: and the failing rows the data tests stored (what the data-quality appendix shows).
IMPORTED_SCHEMAS = ("marts", "dbt_test__audit")


class SparkUnavailable(RuntimeError):
    """The spark engine was chosen but cannot run here; the message says what to install."""


def spark_missing() -> str | None:
    """Why the spark engine cannot run on this machine, or None."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return ("the spark extra is not installed: run `make install-spark` (dbt-spark[session] and pyspark "
                "into .venv), or `pip install -e '.[spark]'`")
    if shutil.which("java") is None:
        return "no java on PATH: Spark 4 needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def require_spark() -> None:
    """Raise :class:`SparkUnavailable` when :func:`spark_missing` finds a reason."""
    reason = spark_missing()
    if reason:
        raise SparkUnavailable(f"engine spark: {reason}")


def export_run_sources(warehouse: Path, sources_dir: Path) -> list[str]:
    """Write the dbt sources of ``warehouse`` as Parquet under ``sources_dir`` (folders of tables no longer
    in the warehouse are removed); return the tables, ``schema.table``, for ``register_parquet_sources``."""
    sources_dir = Path(sources_dir)
    counts = export_sources(warehouse, sources_dir)
    for schema_dir in (p for p in sources_dir.iterdir() if p.is_dir()) if sources_dir.is_dir() else ():
        for table_dir in (p for p in schema_dir.iterdir() if p.is_dir()):
            if f"{schema_dir.name}.{table_dir.name}" not in counts:
                shutil.rmtree(table_dir)
    return sorted(counts)


def spark_tables(spark_warehouse_dir: Path, schema: str) -> dict[str, Path]:
    """The tables Spark wrote of ``schema``: ``{table: folder}`` for each folder holding Parquet files."""
    root = Path(spark_warehouse_dir) / f"{schema}.db"
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*.parquet"))}


def import_spark_marts(warehouse: Path, spark_warehouse_dir: Path,
                       schemas: tuple[str, ...] = IMPORTED_SCHEMAS) -> dict[str, int]:
    """Replace ``schemas`` in the DuckDB ``warehouse`` with the tables Spark built (read from their Parquet
    files with DuckDB, so no JVM is needed), in one transaction: a failure leaves the warehouse as it was.
    Returns rows per ``schema.table``. Tables of those schemas that Spark did not build are dropped, so
    nothing a DuckDB build left behind is published as if Spark had built it."""
    counts: dict[str, int] = {}
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("BEGIN TRANSACTION")
        for schema in schemas:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            built = spark_tables(spark_warehouse_dir, schema)
            existing = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "AND table_type = 'BASE TABLE'", [schema]).fetchall()]
            for table in existing:
                if table not in built:
                    con.execute(f'DROP TABLE "{schema}"."{table}"')
            views = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'VIEW'",
                [schema]).fetchall()]
            for view in views:
                con.execute(f'DROP VIEW "{schema}"."{view}"')
            for table, folder in built.items():
                files = str(folder / "*.parquet").replace("'", "''")
                con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM read_parquet(\'{files}\')')
                counts[f"{schema}.{table}"] = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
        # the nodes' records of what they were built from (dbt_project/macros/unchanged_inputs.sql) describe
        # DuckDB's tables, which are replaced: the next DuckDB build runs every node again
        con.execute(f"DROP TABLE IF EXISTS {NODE_VERSIONS_TABLE}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the error may already have ended the transaction
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return counts
