"""The project's table and view materializations on DuckDB (dbt_project/macros/materializations.sql): one
CREATE OR REPLACE in the node's transaction, and a model that fails leaves the previous relation as it was.

A throwaway dbt project with the project's materializations file and three models, built in-process."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

from tests.dbt.dbt_harness import DBT_PROJECT

PROJECT_YML = """
name: mat_probe
version: "1.0"
config-version: 2
profile: mat_probe
models:
  mat_probe:
    +materialized: table
"""
PROFILES_YML = """
mat_probe:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
      threads: 2
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "probe"
    (root / "models").mkdir(parents=True)
    (root / "macros").mkdir()
    shutil.copy(DBT_PROJECT / "macros" / "materializations.sql", root / "macros")
    (root / "dbt_project.yml").write_text(PROJECT_YML)
    (root / "profiles.yml").write_text(PROFILES_YML.format(path=tmp_path / "probe.duckdb"))
    return root


def _model(root: Path, name: str, sql: str) -> None:
    (root / "models" / f"{name}.sql").write_text(sql)


def _build(root: Path, tmp_path: Path):
    return dbtRunner().invoke(["build", "--project-dir", str(root), "--profiles-dir", str(root),
                               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")])


def _relations(tmp_path: Path) -> dict[str, str]:
    return dict(_rows(tmp_path, "select table_name, table_type from information_schema.tables "
                                "where table_schema = 'main' order by 1"))


def _rows(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))  # the configuration of dbt's own, still open, connection
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_tables_and_views_are_replaced_in_place_and_a_failure_keeps_the_last_build(tmp_path):
    root = _project(tmp_path)
    _model(root, "base", "select 1 as x union all select 2 as x")
    _model(root, "doubled", "{{ config(materialized='view') }} select x * 2 as y from {{ ref('base') }}")
    _model(root, "changes_kind", "{{ config(materialized='view') }} select 10 as z")
    first = _build(root, tmp_path)
    assert first.success, first.exception
    assert _relations(tmp_path) == {"base": "BASE TABLE", "changes_kind": "VIEW", "doubled": "VIEW"}
    compiled = (tmp_path / "target" / "run" / "mat_probe" / "models")
    assert "create or replace table" in (compiled / "base.sql").read_text()
    assert "create or replace view" in (compiled / "doubled.sql").read_text()

    # A second build replaces each relation; no __dbt_tmp or __dbt_backup relation is left; a view that
    # becomes a table is replaced by one.
    _model(root, "base", "select 1 as x union all select 2 as x union all select 3 as x")
    _model(root, "changes_kind", "select 20 as z")
    second = _build(root, tmp_path)
    assert second.success, second.exception
    assert _relations(tmp_path) == {"base": "BASE TABLE", "changes_kind": "BASE TABLE", "doubled": "VIEW"}
    assert _rows(tmp_path, "select y from doubled order by y") == [(2,), (4,), (6,)]
    assert _rows(tmp_path, "select z from changes_kind") == [(20,)]

    # A model whose query fails leaves the previous table, rows and all, and skips what reads it.
    _model(root, "base", "select error('the source is broken') as x")
    third = _build(root, tmp_path)
    assert not third.success
    statuses = {r.node.name: str(r.status) for r in third.result}
    assert statuses["base"] == "error" and statuses["doubled"] == "skipped"
    assert _relations(tmp_path) == {"base": "BASE TABLE", "changes_kind": "BASE TABLE", "doubled": "VIEW"}
    assert _rows(tmp_path, "select x from base order by x") == [(1,), (2,), (3,)]


def test_table_by_source_file_prices_only_the_files_that_changed(tmp_path):
    """table_by_source_file: the rows of a file whose rows did not change are kept (a row tampered with in the
    table stays tampered), a new, changed or removed file's rows are replaced, and a change of any other input
    (here the rate) rebuilds the whole table."""
    root = _project(tmp_path)
    _model(root, "keyed", "{{ config(materialized='view') }} select file, n, v from lines")
    _model(root, "rates", "select rate, loaded_at from rate_table")
    _model(root, "priced", "{{ config(materialized='table_by_source_file', file_parent='keyed', file_column='file', "
                           "file_fingerprint_exclude=['loaded_at']) }}\n"
                           "select k.file, k.n, k.v * r.rate as cost from {{ ref('keyed') }} k cross join {{ ref('rates') }} r")
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("create table lines as select * from (values ('a', 1, 10.0), ('a', 2, 20.0), ('b', 1, 5.0), "
                "('b', 2, 6.0)) t(file, n, v)")
    con.execute("create table rate_table as select 2.0 as rate, 1 as loaded_at")
    con.close()

    def priced() -> list[tuple]:
        return _rows(tmp_path, "select file, n, cost from priced order by all")

    def said() -> str:
        """What the last build said it did to the table."""
        return re.findall(r"table_by_source_file \S+: (rebuilt [a-z ]+)", (tmp_path / "logs" / "dbt.log").read_text())[-1]

    assert _build(root, tmp_path).success
    assert "rebuilt whole" in said()
    assert priced() == [("a", 1, 20.0), ("a", 2, 40.0), ("b", 1, 10.0), ("b", 2, 12.0)]

    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("update priced set cost = -1 where file = 'a'")  # to see that file a's rows are not priced again
    con.execute("update rate_table set loaded_at = 2")  # a column the signature leaves out
    con.execute("delete from lines where file = 'b' and n = 2")
    con.execute("insert into lines values ('c', 1, 1.0)")
    con.close()
    assert _build(root, tmp_path).success
    assert "rebuilt for changed files only" in said()
    assert priced() == [("a", 1, -1.0), ("a", 2, -1.0), ("b", 1, 10.0), ("c", 1, 2.0)]
    # nothing changed: nothing priced again
    assert _build(root, tmp_path).success
    assert priced() == [("a", 1, -1.0), ("a", 2, -1.0), ("b", 1, 10.0), ("c", 1, 2.0)]
    # a file that is gone takes its rows with it
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("delete from lines where file = 'c'")
    con.close()
    assert _build(root, tmp_path).success
    assert priced() == [("a", 1, -1.0), ("a", 2, -1.0), ("b", 1, 10.0)]

    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("update rate_table set rate = 3.0")
    con.close()
    assert _build(root, tmp_path).success
    assert "rebuilt whole" in said()
    assert priced() == [("a", 1, 30.0), ("a", 2, 60.0), ("b", 1, 15.0)]
