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


def _same(a, b, abs_tol: float, tolerance=None) -> bool:
    import math
    from decimal import Decimal

    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=0, abs_tol=abs_tol)
    if tolerance is not None and isinstance(a, Decimal) and isinstance(b, Decimal):
        return abs(a - b) < tolerance
    return a == b


def compare_rows(expected: list[tuple], actual: list[tuple], columns: list[str], abs_tol: float = 1e-9,
                 money_tol: str = "0.005") -> str:
    """The verdict on two tables' rows, each in a total order: ``"equal (n rows)"`` when every value is the
    same (floating-point values within ``abs_tol``, decimals exactly); ``"to the cent (...)"`` when some
    decimal differs by less than ``money_tol``; otherwise what differs first."""
    from decimal import Decimal

    cent = Decimal(money_tol)
    if len(expected) != len(actual):
        return f"rows differ: {len(expected)} against {len(actual)}"
    bad = [(i, c) for i, (e, a) in enumerate(zip(expected, actual))
           for c, x, y in zip(columns, e, a) if not _same(x, y, abs_tol)]
    if not bad:
        return f"equal ({len(expected)} rows)"
    cols = sorted({c for _, c in bad})
    rows = len({i for i, _ in bad})
    beyond = [(i, c) for i, c in bad
              if not _same(expected[i][columns.index(c)], actual[i][columns.index(c)], abs_tol, cent)]
    i, c = (beyond or bad)[0]
    e, a = expected[i][columns.index(c)], actual[i][columns.index(c)]
    if beyond:
        return (f"{rows} of {len(expected)} rows differ in {cols}; beyond the cent in "
                f"{sorted({c for _, c in beyond})}, first: {c} {e!r} vs {a!r}")
    return f"to the cent ({len(expected)} rows; {rows} differ below {money_tol} in {cols}; first: {c} {e!r} vs {a!r})"


def _table_columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position", [catalog, schema, table]).fetchall()]


def compare_marts(warehouse: Path, spark_warehouse_dir: Path, schema: str = "marts",
                  abs_tol: float = 1e-9, money_tol: str = "0.005") -> dict[str, str]:
    """Compare every table of ``schema`` in the DuckDB ``warehouse`` with the Parquet table Spark wrote
    under ``<spark_warehouse_dir>/<schema>.db/<table>/``: rows in a total order, column by column
    (:func:`compare_rows`). Returns ``{table: verdict}``; ``"not built on Spark"`` for a table Spark lacks."""
    out: dict[str, str] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]).fetchall()]
        for table in tables:
            folder = Path(spark_warehouse_dir) / f"{schema}.db" / table
            if not any(folder.glob("*.parquet")):
                out[table] = "not built on Spark"
                continue
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()]
            spark_columns = [r[0] for r in con.execute(
                f"describe select * from read_parquet('{folder}/*.parquet')").fetchall()]
            if spark_columns != columns:
                out[table] = f"columns differ: {sorted(set(columns) ^ set(spark_columns))} or their order"
                continue
            select = ", ".join(f'"{c}"' for c in columns)
            expected = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
            actual = con.execute(f"select {select} from read_parquet('{folder}/*.parquet') order by all").fetchall()
            out[table] = compare_rows(expected, actual, columns, abs_tol, money_tol)
    finally:
        con.close()
    return out


def compare_published(expected: Path, actual: Path, schema: str = "marts", abs_tol: float = 1e-9,
                      money_tol: str = "0.005", ignore: tuple[str, ...] = ()) -> dict[str, str]:
    """Compare the published marts of two ``serving.duckdb`` files (e.g. one home run on DuckDB, one on
    Spark): the same tables, the same columns with the same types, and the same rows (:func:`compare_rows`).
    Columns named in ``ignore`` (a run's timestamps) are left out of the rows. Returns ``{table: verdict}``."""
    out: dict[str, str] = {}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{str(expected).replace(chr(39), chr(39) * 2)}' as expected (read_only)")
        con.execute(f"attach '{str(actual).replace(chr(39), chr(39) * 2)}' as actual (read_only)")
        names = {side: {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = ?",
            [side, schema]).fetchall()} for side in ("expected", "actual")}
        for table in sorted(names["expected"] | names["actual"]):
            if table not in names["actual"] or table not in names["expected"]:
                out[table] = f"only in {'expected' if table in names['expected'] else 'actual'}"
                continue
            cols = _table_columns(con, "expected", schema, table)
            other = _table_columns(con, "actual", schema, table)
            if cols != other:
                out[table] = f"columns or types differ: {sorted(set(cols) ^ set(other))}"
                continue
            columns = [c for c, _ in cols if c not in ignore]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = [con.execute(f'select {select} from {side}."{schema}"."{table}" order by all').fetchall()
                    for side in ("expected", "actual")]
            out[table] = compare_rows(rows[0], rows[1], columns, abs_tol, money_tol)
    finally:
        con.close()
    return out
