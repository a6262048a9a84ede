"""Every DuckDB connection of the product is opened here, so there is one place that decides how.

DuckDB allows one writer process per file, and a read-only open fails while another process writes
(docs/design.md §1).  The pipeline therefore opens:

* the warehouse (``warehouse.duckdb``) read-write only in the steps that hold the writer slot (ingest,
  dbt through its profile, publish's freeze of reported figures);
* the warehouse and the serving snapshot read-only everywhere else, tolerating a file that is absent or
  held by a writer where the caller has a sensible default (:func:`read_if_available`);
* in-memory databases for work on frames and Parquet files (``database=":memory:"``).

Dagster code reaches the same functions through :class:`orchestration.defs.resources.WarehouseResource`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

MEMORY = ":memory:"


def open_db(database: Path | str = MEMORY, *, read_only: bool = False, memory_limit: str | None = None
            ) -> duckdb.DuckDBPyConnection:
    """A connection the caller closes (for connections handed on, e.g. a frozen period's views)."""
    con = duckdb.connect(str(database), read_only=read_only)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


@contextmanager
def connect(database: Path | str = MEMORY, *, read_only: bool = False, memory_limit: str | None = None
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection closed when the block ends, whatever happens in it."""
    con = open_db(database, read_only=read_only, memory_limit=memory_limit)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def read_if_available(database: Path | str | None) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to ``database``, or ``None`` when it is not given, absent, or held by a writer
    (another run, an orphaned dbt): for readers that have a default when the file cannot be read now."""
    if database is None or not Path(database).is_file():
        yield None
        return
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        yield None
        return
    try:
        yield con
    finally:
        con.close()
