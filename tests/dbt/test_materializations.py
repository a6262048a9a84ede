"""The project's table and view materializations on DuckDB (dbt_project/macros/materializations.sql): one
CREATE OR REPLACE in the node's transaction, and a model that fails leaves the previous relation as it was.

A throwaway dbt project with the project's materializations file and three models, built in-process."""
from __future__ import annotations

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
