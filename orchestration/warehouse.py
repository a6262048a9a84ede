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

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

MEMORY = ":memory:"

#: Overrides the number of threads every DuckDB connection (and dbt's, through its profile) uses.
THREADS_ENV = "PMO_DUCKDB_THREADS"
#: The most threads a connection gets by default: the memory limits of the ingest (1 GB) and of dbt
#: (1 GB) are sized for a few threads, and DuckDB's per-thread buffers (a CSV reader's, a hash table's
#: partitions) would exhaust them on a machine that shows dozens of cores.
DEFAULT_MAX_THREADS = 4


def available_cpus() -> int:
    """The CPUs this process may really use: its affinity mask and, in a container, its cgroup CPU quota.

    DuckDB's own default is the host's core count, which inside a container limited by a quota can be
    many times what the process gets: its threads then compete for two cores and multiply its memory."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to read (not in a container, or cgroup v1): the affinity mask decides
    return max(1, cpus)


def duckdb_threads() -> int:
    """Threads for a DuckDB connection: ``PMO_DUCKDB_THREADS`` when set, else the usable CPUs up to
    :data:`DEFAULT_MAX_THREADS`."""
    from orchestration.envvars import whole_number

    return whole_number(THREADS_ENV, min(available_cpus(), DEFAULT_MAX_THREADS), minimum=1, unit="threads",
                        too_small="a connection needs at least one thread")


def open_db(database: Path | str = MEMORY, *, read_only: bool = False, memory_limit: str | None = None
            ) -> duckdb.DuckDBPyConnection:
    """A connection the caller closes (for connections handed on, e.g. a frozen period's views)."""
    con = duckdb.connect(str(database), read_only=read_only)
    # SET rather than connect(config=...): a file another connection of this process holds (dbt's) would
    # refuse a second connection whose configuration differs
    con.execute(f"SET threads = {duckdb_threads()}")
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


#: Columns a fingerprint leaves out: the ingest rewrites ``_loaded_at`` without changing a row.
VOLATILE_COLUMNS = frozenset({"_loaded_at"})


def table_fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """A fingerprint of a table's rows, whatever their order: the row count and two order-free sums of a hash
    of every column but :data:`VOLATILE_COLUMNS` (``count:xor:sum``; ``missing`` for a table that is not
    there).  At 2,000 projects the 3.8 M timesheet rows take about 0.2 s."""
    columns = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [schema, table]).fetchall() if c not in VOLATILE_COLUMNS]
    if not columns:
        return "missing"
    return fingerprint_rows(con, f"{_quote(schema)}.{_quote(table)}", columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprint_rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> str:
    """:func:`table_fingerprint` of ``relation`` over ``columns`` (given in the table's order)."""
    row_hash = f"hash({', '.join(_quote(c) for c in columns)})"
    count, xor, total = con.execute(
        f"SELECT count(*), bit_xor({row_hash}), sum({row_hash}::HUGEINT) FROM {relation}").fetchone()
    return f"{count}:{xor}:{total}"
