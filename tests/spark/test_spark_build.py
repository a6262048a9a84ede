"""The dbt project on Spark (issue #14): the small organisation of tests/dbt, built on DuckDB and, from
the same raw rows exported to Parquet, on Spark local[2] through dbt-spark's session method, data tests
included (the gates: each must end as on DuckDB); then every mart both engines built is compared row by row.

Marked ``spark``: not in the default suite (``make test``); ``make test-spark`` runs it. It holds a JVM
for a few minutes, so it runs alone (no xdist).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_harness import DBT_PROJECT
from dbt_project_org import GBP_PROJECT, small_organisation
from test_dbt_project import VARS, _create_raw

from orchestration.pipeline.spark_sources import compare_marts, export_sources

pytestmark = pytest.mark.spark

#: The marts compared between the engines (every table of schema marts DuckDB built is listed by the
#: test; these must be among them and equal).
MUST_MATCH = ("dim_project", "fct_earned_value", "fct_programme_earned_value", "fct_portfolio_earned_value",
              "fct_task_earned_value")


def _dbt(tmp_path: Path, target: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    """dbt in its own process: Spark's JVM ends with it, and DuckDB's connection is closed when the
    comparison opens the warehouse read-only."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--target", target,
         "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(tmp_path / f"{target}-target"), "--log-path", str(tmp_path / f"{target}-logs")],
        env=env, capture_output=True, text=True, timeout=1800)


def _test_outcomes(target: Path) -> dict[str, str]:
    """The data tests of a build and their status (pass, warn, fail, error), from dbt's run_results.json."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("test.")}


def test_small_organisation_builds_on_spark_like_duckdb(tmp_path: Path, warehouse: Path) -> None:
    _create_raw(warehouse, small_organisation())
    duck = _dbt(tmp_path, "duckdb", dict(os.environ), "build", "--exclude-resource-type", "unit_test", "--vars", VARS)
    # the small organisation is built to raise one warning (the ledger's labour, tests/dbt)
    assert duck.returncode == 0, duck.stdout[-4000:]

    sources = tmp_path / "sources"
    exported = export_sources(warehouse, sources)
    assert exported["raw.projects"] == len(small_organisation()["projects"])

    spark_home = tmp_path / "spark"
    env = {**os.environ, "PMO_SPARK_WAREHOUSE_DIR": str(spark_home), "PMO_SPARK_DRIVER_MEMORY": "1g",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    tables = json.dumps(sorted(exported))
    registered = _dbt(tmp_path, "spark", env, "run-operation", "register_parquet_sources",
                      "--args", f"{{root: {sources}, tables: {tables}}}")
    assert registered.returncode == 0, registered.stdout[-4000:]
    built = _dbt(tmp_path, "spark", env, "build", "--exclude-resource-type", "unit_test", "--vars", VARS)
    assert built.returncode == 0, built.stdout[-6000:]

    # The gates: every data test ran on Spark, with the same outcome as on DuckDB (the one warning).
    duck_tests, spark_tests = _test_outcomes(tmp_path / "duckdb-target"), _test_outcomes(tmp_path / "spark-target")
    assert len(spark_tests) == len(duck_tests) > 100   # 104: a model's column checks are one test
    assert spark_tests == duck_tests
    assert sorted(set(spark_tests.values())) == ["pass", "warn"]
    assert [t for t, v in spark_tests.items() if v == "warn"] == [t for t, v in duck_tests.items() if v == "warn"]

    # The unit tests (the worked examples of dbt_project/**/_*unit_tests.yml) pass on Spark too: doubles are
    # compared to 9 decimal places on both engines (macros/unit_test_comparison.sql).
    unit = _dbt(tmp_path, "spark", env, "test", "--select", "test_type:unit", "--vars", VARS)
    assert unit.returncode == 0, unit.stdout[-6000:]
    results = json.loads((tmp_path / "spark-target" / "run_results.json").read_text())["results"]
    assert len(results) > 70 and {r["status"] for r in results} == {"pass"}

    verdicts = compare_marts(warehouse, spark_home)
    print("\n".join(f"{t}: {v}" for t, v in verdicts.items()))
    assert set(MUST_MATCH) <= set(verdicts)
    empty = [t for t in MUST_MATCH if verdicts[t].endswith("(0 rows)")]
    assert not empty, f"the earned value marts must have rows to compare: {empty}"
    not_built = [t for t, v in verdicts.items() if v == "not built on Spark"]
    assert not not_built, f"marts DuckDB built and Spark did not: {not_built}"
    differ = {t: v for t, v in verdicts.items() if not v.startswith("equal")}
    assert not differ, f"marts that differ between DuckDB and Spark: {differ}"

    # Real numbers, from Spark's own Parquet: Alpha's BAC and AC in March 2024, worked by hand in
    # tests/dbt/test_dbt_project.py (BAC = T1 3100 + T2 6000 + T3 3000).
    con = duckdb.connect()
    try:
        bac, ac = con.execute(
            f"select bac, ac from read_parquet('{spark_home}/marts.db/fct_earned_value/*.parquet') "
            "where project_code = ? and period = '2024-03'", [GBP_PROJECT]).fetchone()
    finally:
        con.close()
    assert bac == Decimal("12100")
    # AC = Jan 1400 + Feb 1580 + Mar 50 (same comment there).
    assert ac == Decimal("3030")
