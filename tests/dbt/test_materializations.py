"""The project's table and view materializations on DuckDB (dbt_project/macros/materializations.sql): one
CREATE OR REPLACE in the node's transaction, and a model that fails leaves the previous relation as it was.

A throwaway dbt project with the project's materializations file and three models, built in-process."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

from orchestration.defs.dbt_keep import ensure_node_versions
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
    for macros in ("materializations.sql", "unchanged_inputs.sql"):
        shutil.copy(DBT_PROJECT / "macros" / macros, root / "macros")
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


SOURCES_YML = """
version: 2
sources:
  - name: src
    schema: main
    tables:
      - name: lines
models:
  - name: child
    columns:
      - name: total
        data_tests:
          - not_null
"""


def test_a_node_whose_inputs_are_unchanged_is_not_run_again(tmp_path, monkeypatch):
    """macros/unchanged_inputs.sql: a model or test whose compiled SQL and parents' versions are those of its last
    build is reported UNCHANGED without running; a table rebuilt into the same rows keeps its version, so what
    reads it is not run again; a test's result (a warning with its count) is replayed; PMO_DBT_KEEP=off runs all."""
    root = _project(tmp_path)
    (root / "models" / "sources.yml").write_text(SOURCES_YML)
    _model(root, "stg", "{{ config(materialized='view') }} select n, v from {{ source('src', 'lines') }}")
    _model(root, "early", "select n, sum(v) as v from {{ ref('stg') }} where n <= 2 group by n")
    _model(root, "child", "select n, v * 10 as total from {{ ref('early') }}")
    (root / "tests").mkdir()
    (root / "tests" / "child_over_100.sql").write_text(
        "{{ config(severity='warn') }} select * from {{ ref('child') }} where total > 100")
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("create table lines as select n, v::decimal(10, 1) as v from (values (1, 5.0), (2, 20.0)) t(n, v)")
    ensure_node_versions(con)  # as the orchestrator does before it starts dbt
    con.close()

    def build() -> dict[str, tuple[str, str | None, int | None]]:
        """name -> (status, adapter code, failures) of each node of a build"""
        res = _build(root, tmp_path)
        assert res.success, res.exception
        return {r.node.name: (str(r.status), (r.adapter_response or {}).get("code"), r.failures)
                for r in res.result if r.node.resource_type != "operation"}

    def unchanged(results) -> set[str]:
        return {name.split("_child")[0] if name.startswith("not_null") else name
                for name, (_, code, _) in results.items() if code == "UNCHANGED"}

    first = build()
    assert unchanged(first) == set()
    assert first["child_over_100"] == ("warn", None, 1)
    assert _rows(tmp_path, "select n, total from child order by n") == [(1, 50.0), (2, 200.0)]

    # nothing changed: nothing runs, the warning is reported again with its count
    second = build()
    assert unchanged(second) == {"stg", "early", "child", "child_over_100", "not_null"}
    assert second["child_over_100"] == ("warn", "UNCHANGED", 1)

    # a source row that `early` filters out: stg and early run (early into the same rows), the rest does not
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("insert into lines values (3, 1000.0)")
    con.close()
    third = build()
    assert unchanged(third) == {"child", "child_over_100", "not_null"}
    assert third["early"][1] != "UNCHANGED" and third["child_over_100"] == ("warn", "UNCHANGED", 1)

    # a row that reaches child: everything runs, the test finds the new count
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("insert into lines values (1, 10.0)")
    con.close()
    fourth = build()
    assert unchanged(fourth) == set()
    assert _rows(tmp_path, "select n, total from child order by n") == [(1, 150.0), (2, 200.0)]
    assert fourth["child_over_100"] == ("warn", None, 2)

    # the same values in a column of another type: what reads the source runs again
    con = duckdb.connect(str(tmp_path / "probe.duckdb"))
    con.execute("alter table lines alter v type double")
    con.close()
    fifth = build()
    assert "early" not in unchanged(fifth)

    monkeypatch.setenv("PMO_DBT_KEEP", "off")
    assert unchanged(build()) == set()
    versions = _rows(tmp_path, "select count(*), count(inputs) from pmo_build.node_versions")
    assert versions == [(5, 5)]
    monkeypatch.delenv("PMO_DBT_KEEP")
    assert unchanged(build()) == {"stg", "early", "child", "child_over_100", "not_null"}

    # without the table (a warehouse dbt builds by hand) every node runs and nothing is recorded
    _rows(tmp_path, "drop table pmo_build.node_versions")
    assert unchanged(build()) == set()
    assert unchanged(build()) == set()
    assert _rows(tmp_path, "select count(*) from duckdb_tables() where table_name = 'node_versions'") == [(0,)]
