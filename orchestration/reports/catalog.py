"""What a pack's connection holds, asked here by every page loader.

The lookups read the current database only (``table_catalog = current_database()``): a programme's scope
(reports/scope.py) attaches the published snapshot behind its views, and that snapshot's own ``marts`` must
not be mistaken for the programme's.  Also the last day of a reporting period, which several pages need.

A pack's loaders ask which tables and columns there are some thirty times, and each ``information_schema``
query costs DuckDB about 5 ms: half of the statements' time of a programme pack.  Inside
:func:`remembered` the connection's catalogue is read once, on the first question, and every later one is
answered from it; outside, each question reads the catalogue afresh.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

import duckdb

#: The catalogues remembered by :func:`remembered`: id of the connection -> (the connection, its catalogue,
#: schema -> table -> columns; None until first asked).  The connection is kept beside its id so that an id
#: reused by another object is never mistaken for it.
_REMEMBERED: dict[int, tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, set[str]]] | None]] = {}


@contextmanager
def remembered(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Within the block, answer the lookups below for ``con`` from one reading of its catalogue.

    For loaders that only read: a table or view created inside the block is not seen by them."""
    key = id(con)
    _REMEMBERED[key] = (con, None)
    try:
        yield con
    finally:
        _REMEMBERED.pop(key, None)


def _read(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> dict[str, dict[str, set[str]]]:
    sql = ("SELECT table_schema, table_name, column_name FROM information_schema.columns "
           "WHERE table_catalog = current_database()")
    rows = con.execute(sql + " AND table_schema = ?", [schema]).fetchall() if schema is not None \
        else con.execute(sql).fetchall()
    found: dict[str, dict[str, set[str]]] = {}
    for schema_name, table, column in rows:
        found.setdefault(schema_name, {}).setdefault(table, set()).add(column)
    return found


def schema_columns(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, set[str]]:
    """Table or view -> its columns, for every one of ``schema`` in the connection's own database.  Inside
    :func:`remembered` this is the remembered catalogue itself: read it, do not change it."""
    entry = _REMEMBERED.get(id(con))
    if entry is None or entry[0] is not con:
        return _read(con, schema).get(schema, {})
    if entry[1] is None:
        entry = (con, _read(con))
        _REMEMBERED[id(con)] = entry
    assert entry[1] is not None
    return entry[1].get(schema, {})


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` (a table or a view) is in the connection's own database."""
    return table in schema_columns(con, schema)


def marts_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views of schema ``marts`` in the connection's own database."""
    return set(schema_columns(con, "marts"))


def mart_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns of ``marts.<table>`` (empty when the table is absent)."""
    return set(schema_columns(con, "marts").get(table, ()))


def lacks_note(con: duckdb.DuckDBPyConnection, table: str, wanted: Sequence[str]) -> str:
    """'' when ``marts.<table>`` has every column wanted, else the note a page prints instead of its part:
    the table is not in the figures (a period frozen before the mart existed) or lacks these columns."""
    have = mart_columns(con, table)
    if not have:
        return f"The figures this pack is rendered from hold no marts.{table}."
    missing = [c for c in wanted if c not in have]
    return f"marts.{table} in these figures lacks {', '.join(missing)}." if missing else ""


def period_end(period: str) -> date:
    """The last day of ``period`` ('YYYY-MM')."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])
