"""What a pack's connection holds, asked once here by every page loader.

The lookups read the current database only (``table_catalog = current_database()``): a programme's scope
(reports/scope.py) attaches the published snapshot behind its views, and that snapshot's own ``marts`` must
not be mistaken for the programme's.  Also the last day of a reporting period, which several pages need.
"""
from __future__ import annotations

import calendar
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


def period_end(period: str) -> date:
    """The last day of ``period`` ('YYYY-MM')."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])
