"""What a pack's connection holds, asked once here by every page loader.

The lookups read the current database only (``table_catalog = current_database()``): a programme's scope
(reports/scope.py) attaches the published snapshot behind its views, and that snapshot's own ``marts`` must
not be mistaken for the programme's.  Also the last day of a reporting period, which several pages need.
"""
from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

import duckdb


def marts_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views of schema ``marts`` in the connection's own database."""
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_catalog = current_database() AND table_schema = 'marts'").fetchall()}


def mart_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns of ``marts.<table>`` (empty when the table is absent)."""
    return {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                                      "current_database() AND table_schema = 'marts' AND table_name = ?",
                                      [table]).fetchall()}


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
