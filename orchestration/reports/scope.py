"""A programme's view of the marts, so the portfolio pack's code renders a programme pack (issue #11).

:func:`programme_scope` takes a connection whose schema ``source`` holds the marts (serving.duckdb attached
read-only, or a closed period's frozen files) and creates, in ``marts``, views that hold only what belongs
to one programme:

* a mart with a ``project_code`` column: that programme's projects' rows (``dim_project.programme``);
* ``fct_dependency_status``: dependencies whose provider or receiver is one of them;
* ``fct_portfolio_earned_value`` and ``fct_organisation_earned_value``: the programme's own roll-up row of
  ``fct_programme_earned_value`` (the same roll-up, so the pack's "portfolio" table and "All portfolios"
  totals are the programme's), and ``fct_programme_earned_value`` the programme's rows;
* ``fct_forecast_range_rollup`` and ``fct_quality_rollup``: the programme's joint EAC range and its quality
  roll-up, as the organisation line;
* any other table (organisation-wide facts: team utilisation, lesson and risk themes, portfolio
  roll-ups) is left out, so the page that reads it says it is not in the snapshot instead of showing
  the whole organisation's figures in a programme's pack.

``quality.*`` (the data-quality appendix: files, load log, freshness) passes through whole: the inputs are
shared by every programme.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

ROLLUP_COLUMNS_SKIPPED = 1  # the roll-up marts' first column names the group (portfolio, programme, organisation)


def _columns(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ? "
            "ORDER BY table_name, ordinal_position", [schema]).fetchall():
        out.setdefault(table, []).append(column)
    return out


def programme_scope(con: duckdb.DuckDBPyConnection, programme: str, *, source: str = "source") -> int:
    """Create the ``marts`` and ``quality`` views of ``programme`` over schema ``source`` (``source_quality``
    for the quality tables when present); returns how many of its projects there are (0: unknown)."""
    marts = _columns(con, source)
    if "dim_project" not in marts:
        raise ValueError(f"{source}.dim_project is missing: cannot tell which projects are in a programme")
    quoted = programme.replace("'", "''")
    in_programme = f"(SELECT project_code FROM {source}.dim_project WHERE programme = '{quoted}')"
    count = con.execute(f"SELECT count(*) FROM {source}.dim_project WHERE programme = ?", [programme]).fetchone()[0]
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    for table, cols in marts.items():
        body = None
        if "project_code" in cols:
            body = f"SELECT * FROM {source}.{table} WHERE project_code IN {in_programme}"
        elif table == "fct_dependency_status":
            body = (f"SELECT * FROM {source}.{table} WHERE provider_project_code IN {in_programme} "
                    f"OR receiver_project_code IN {in_programme}")
        elif table == "fct_programme_earned_value":
            body = f"SELECT * FROM {source}.{table} WHERE programme = '{quoted}'"
        elif table in ("fct_portfolio_earned_value", "fct_organisation_earned_value") \
                and "fct_programme_earned_value" in marts:
            group = cols[0]
            rest = ", ".join(f'"{c}"' for c in marts["fct_programme_earned_value"][ROLLUP_COLUMNS_SKIPPED:])
            body = (f"SELECT programme AS \"{group}\", {rest} FROM {source}.fct_programme_earned_value "
                    f"WHERE programme = '{quoted}'")
        elif table == "fct_quality_rollup":
            others = ", ".join(f'"{c}"' for c in cols if c not in ("rollup_level", "rollup_name"))
            body = (f"SELECT 'organisation' AS rollup_level, rollup_name, {others} FROM {source}.{table} "
                    f"WHERE rollup_level = 'programme' AND rollup_name = '{quoted}'")
        elif table == "fct_forecast_range_rollup":
            others = ", ".join(f'"{c}"' for c in cols if c != "rollup_level")
            body = (f"SELECT 'organisation' AS rollup_level, {others} FROM {source}.{table} "
                    f"WHERE rollup_level = 'programme' AND rollup_name = '{quoted}'")
        if body is not None:
            con.execute(f"CREATE VIEW marts.{table} AS {body}")
    quality = f"{source}_quality"
    if con.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?",
                   [quality]).fetchone()[0]:
        con.execute("CREATE SCHEMA IF NOT EXISTS quality")
        for table in _columns(con, quality):
            con.execute(f"CREATE VIEW quality.{table} AS SELECT * FROM {quality}.{table}")
    return count



def _open_source(*, serving: Path | None = None, reported=None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose schemas ``source`` and ``source_quality`` are views of the published
    snapshot ``serving`` (attached read-only) or of a closed period's frozen figures ``reported``."""
    from orchestration.pipeline.reported import open_frozen
    from orchestration.warehouse import open_db

    if reported is not None:
        return open_frozen(reported, marts_schema="source", quality_schema="source_quality")
    con = open_db()
    try:
        con.execute(f"ATTACH '{str(serving).replace(chr(39), chr(39) * 2)}' AS published (READ_ONLY)")
        for schema, target in (("marts", "source"), ("quality", "source_quality")):
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'published' "
                "AND table_schema = ?", [schema]).fetchall()]
            if tables:
                con.execute(f"CREATE SCHEMA {target}")
            for table in tables:
                con.execute(f"CREATE VIEW {target}.{table} AS SELECT * FROM published.{schema}.{table}")
    except BaseException:
        con.close()
        raise
    return con


def open_programme(programme: str, *, serving: Path | None = None, reported=None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection holding ``programme``'s scope (:func:`programme_scope`) of the published
    snapshot ``serving`` (attached read-only) or of a closed period's frozen figures ``reported``: views
    only, nothing is copied."""
    con = _open_source(serving=serving, reported=reported)
    try:
        if not programme_scope(con, programme):
            raise ValueError(f"programme {programme!r} has no project in dim_project")
    except BaseException:
        con.close()
        raise
    return con


def programme_fingerprints(*, serving: Path | None = None, reported=None, source: str = "source") -> dict[str, str]:
    """For every programme of ``dim_project``, a sha256 of the rows its scope (:func:`programme_scope`) holds,
    computed for all programmes at once: one grouped query per mart, each row hashed by DuckDB and the hashes
    summed per programme (sum, not XOR: a duplicated row still counts), plus the names and columns of every
    mart (a mart added or dropped changes which pages a pack holds).

    The rules are programme_scope's: a mart with ``project_code`` by the project's programme; the dependencies
    by the provider's and by the receiver's programme; the programme roll-ups by their programme; the other
    marts are not in a programme's scope.  Equal fingerprints mean a programme pack would load the same
    figures, so :func:`~orchestration.reports.period.render_period_reports` keeps the pack without loading it
    (at 2,000 projects: 0.4 s for every programme, against 0.5 s of queries for each)."""
    con = _open_source(serving=serving, reported=reported)
    try:
        marts = _columns(con, source)
        if "dim_project" not in marts:
            return {}
        parts = []
        for table, cols in sorted(marts.items()):
            rows = f"{source}.{table}"
            if "project_code" in cols:
                parts.append(f"SELECT '{table}' AS part, d.programme, sum(hash(t))::HUGEINT AS h, count(*) AS n "
                             f"FROM {rows} AS t JOIN {source}.dim_project AS d ON d.project_code = t.project_code "
                             f"GROUP BY d.programme")
            elif table == "fct_dependency_status":
                for side in ("provider", "receiver"):
                    parts.append(f"SELECT '{table}.{side}' AS part, d.programme, sum(hash(t))::HUGEINT AS h, "
                                 f"count(*) AS n FROM {rows} AS t JOIN {source}.dim_project AS d "
                                 f"ON d.project_code = t.{side}_project_code GROUP BY d.programme")
            elif table == "fct_programme_earned_value":
                parts.append(f"SELECT '{table}' AS part, programme, sum(hash(t))::HUGEINT AS h, count(*) AS n "
                             f"FROM {rows} AS t GROUP BY programme")
            elif table in ("fct_quality_rollup", "fct_forecast_range_rollup"):
                parts.append(f"SELECT '{table}' AS part, rollup_name AS programme, sum(hash(t))::HUGEINT AS h, "
                             f"count(*) AS n FROM {rows} AS t WHERE rollup_level = 'programme' GROUP BY rollup_name")
        found: dict[str, list[tuple]] = {}
        for part, programme, h, n in con.execute(" UNION ALL ".join(parts)).fetchall():
            found.setdefault(programme, []).append((part, str(h), n))
        shape = json.dumps(sorted(marts.items()))
        out = {}
        for programme, rows_ in found.items():
            if programme is None:
                continue
            digest = hashlib.sha256(shape.encode())
            digest.update(json.dumps(sorted(rows_)).encode())
            out[programme] = digest.hexdigest()
        return out
    finally:
        con.close()
