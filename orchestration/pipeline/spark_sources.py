"""The dbt sources of a Spark build, as Parquet: the first step of running the marts on Spark (#14).

On DuckDB the ingest writes ``raw.<entity>`` and ``quarantine.<entity>`` into ``warehouse.duckdb`` and
dbt reads them there. Spark cannot open a DuckDB file, so :func:`export_sources` copies every table of
the source schemas (``raw``, ``quarantine``, ``reported``) to ``<out>/<schema>/<table>/part-0.parquet``;
``dbt run-operation register_parquet_sources --args '{root: <out>}' --target spark`` then catalogues
each folder as a Spark table of the same name, and the staging models read them through ``source()``
unchanged. Column types survive the trip: DECIMAL(18,4) money stays decimal, dates stay dates.

The same landing files, ingested once, therefore feed both engines. Writing Parquet straight from the
ingest (so a Spark deployment never holds a DuckDB warehouse) is the next step.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

#: The schemas dbt reads with ``source()``.
SOURCE_SCHEMAS = ("raw", "quarantine", "reported")


def export_sources(warehouse: Path, out: Path, schemas: tuple[str, ...] = SOURCE_SCHEMAS) -> dict[str, int]:
    """Copy every table of ``schemas`` in ``warehouse`` to Parquet under ``out``; return rows per table."""
    out = Path(out)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            f"and table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            folder = out / schema / table
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.parquet"):
                old.unlink()
            target = str(folder / "part-0.parquet").replace("'", "''")
            con.execute(f'COPY "{schema}"."{table}" TO \'{target}\' (FORMAT parquet)')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    finally:
        con.close()
    return counts
