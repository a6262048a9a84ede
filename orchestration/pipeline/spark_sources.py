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


def compare_marts(warehouse: Path, spark_warehouse_dir: Path, schema: str = "marts",
                  abs_tol: float = 1e-9, money_tol: str = "0.005") -> dict[str, str]:
    """Compare every table of ``schema`` in the DuckDB ``warehouse`` with the Parquet table Spark wrote
    under ``<spark_warehouse_dir>/<schema>.db/<table>/``: rows in a total order, column by column.

    Returns ``{table: verdict}``: ``"equal (n rows)"`` when every value is the same (floating-point
    columns within ``abs_tol``, decimals exactly); ``"to the cent (...)"`` when some decimal differs, but
    by less than ``money_tol``; otherwise why they differ (``"not built on Spark"``, columns, rows,
    or the first differing value)."""
    import math
    from decimal import Decimal

    cent = Decimal(money_tol)

    def same(a, b, tolerance: Decimal | None = None) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=0, abs_tol=abs_tol)
        if tolerance is not None and isinstance(a, Decimal) and isinstance(b, Decimal):
            return abs(a - b) < tolerance
        return a == b

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
            if len(expected) != len(actual):
                out[table] = f"rows differ: DuckDB {len(expected)}, Spark {len(actual)}"
                continue
            bad = [(i, c) for i, (e, a) in enumerate(zip(expected, actual))
                   for c, x, y in zip(columns, e, a) if not same(x, y)]
            if bad:
                cols = sorted({c for _, c in bad})
                i, c = bad[0]
                e = expected[i][columns.index(c)]
                a = actual[i][columns.index(c)]
                rows = len({i for i, _ in bad})
                beyond = [(i, c) for i, c in bad
                          if not same(expected[i][columns.index(c)], actual[i][columns.index(c)], cent)]
                if beyond:
                    i, c = beyond[0]
                    e = expected[i][columns.index(c)]
                    a = actual[i][columns.index(c)]
                    out[table] = (f"{rows} of {len(expected)} rows differ in {cols}; beyond the cent in "
                                  f"{sorted({c for _, c in beyond})}, first: {c} {e!r} vs {a!r}")
                else:
                    out[table] = (f"to the cent ({len(expected)} rows; {rows} differ below {money_tol} in {cols}; "
                                  f"first: {c} {e!r} vs {a!r})")
            else:
                out[table] = f"equal ({len(expected)} rows)"
    finally:
        con.close()
    return out
