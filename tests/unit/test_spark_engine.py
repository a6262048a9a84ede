"""The spark engine's plumbing that needs no JVM (orchestration/pipeline/spark_engine.py, issue #14): the
setting, the sources written as Parquet, Spark's marts copied into the warehouse, and the clear refusal
when Spark cannot run. tests/spark runs the engine itself."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.pipeline import spark_engine
from orchestration.pipeline.spark_engine import export_run_sources, import_spark_marts
from orchestration.settings import SettingsError, load_settings


def test_engine_setting(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_ENGINE", raising=False)
    assert load_settings(tmp_path).engine == "duckdb"
    (tmp_path / "settings.yaml").write_text("engine: Spark\n")
    settings = load_settings(tmp_path)
    assert settings.engine == "spark"
    assert settings.spark_warehouse_dir == tmp_path.resolve() / "spark" / "warehouse"
    monkeypatch.setenv("PMO_ENGINE", "duckdb")
    assert load_settings(tmp_path).engine == "duckdb"  # the environment wins
    monkeypatch.setenv("PMO_ENGINE", "postgres")
    with pytest.raises(SettingsError, match=r"PMO_ENGINE is 'postgres'; use one of duckdb, spark"):
        load_settings(tmp_path)


def _spark_table(root, schema, table, sql):
    folder = root / f"{schema}.db" / table
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY ({sql}) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)")


def test_sparks_marts_replace_the_warehouses(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
    con.execute("CREATE TABLE marts.fct_earned_value AS SELECT 'P-1' AS project_code, 1.0::DECIMAL(38,6) AS ac")
    con.execute("CREATE TABLE marts.fct_left_over AS SELECT 1 AS x")  # a DuckDB build's table Spark did not build
    con.execute("CREATE TABLE staging.kept AS SELECT 1 AS x")
    con.close()
    spark = tmp_path / "spark"
    _spark_table(spark, "marts", "fct_earned_value",
                 "SELECT * FROM (VALUES ('P-1', 3030.000000::DECIMAL(38,6)), ('P-2', 12.5::DECIMAL(38,6))) t(project_code, ac)")
    _spark_table(spark, "dbt_test__audit", "assert_labour", "SELECT 'P-1' AS project_code, 999 AS gap")

    counts = import_spark_marts(warehouse, spark)

    assert counts == {"marts.fct_earned_value": 2, "dbt_test__audit.assert_labour": 1}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT project_code, ac FROM marts.fct_earned_value ORDER BY 1").fetchall() == [
            ("P-1", Decimal("3030.000000")), ("P-2", Decimal("12.500000"))]
        assert con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'fct_earned_value' "
                           "AND column_name = 'ac'").fetchone() == ("DECIMAL(38,6)",)
        tables = {r[0] for r in con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables")
                  .fetchall()}
    finally:
        con.close()
    assert tables == {"marts.fct_earned_value", "dbt_test__audit.assert_labour", "staging.kept"}


def test_a_failed_copy_leaves_the_warehouse_as_it_was(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.a AS SELECT 1 AS x; CREATE TABLE marts.b AS SELECT 2 AS y")
    con.close()
    spark = tmp_path / "spark"
    _spark_table(spark, "marts", "a", "SELECT 10 AS x")
    broken = spark / "marts.db" / "b"
    broken.mkdir(parents=True)
    (broken / "part-00000.parquet").write_bytes(b"not parquet")

    with pytest.raises(duckdb.Error):
        import_spark_marts(warehouse, spark)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT x FROM marts.a").fetchall() == [(1,)]
        assert con.execute("SELECT y FROM marts.b").fetchall() == [(2,)]
    finally:
        con.close()


def test_sources_written_as_parquet_and_stale_ones_removed(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA quarantine")
    con.execute("CREATE TABLE raw.projects AS SELECT 'P-1' AS project_code, 1200.5::DECIMAL(18,4) AS budget")
    con.execute("CREATE TABLE quarantine.projects AS SELECT 'bad' AS reason")
    con.close()
    out = tmp_path / "sources"
    (out / "raw" / "gone").mkdir(parents=True)  # a table an earlier export wrote, no longer in the warehouse

    assert export_run_sources(warehouse, out) == ["quarantine.projects", "raw.projects"]
    assert not (out / "raw" / "gone").exists()
    assert duckdb.sql(f"SELECT * FROM read_parquet('{out}/raw/projects/*.parquet')").fetchall() == [
        ("P-1", Decimal("1200.5000"))]


def test_pmo_run_refuses_the_spark_engine_where_it_cannot_run(tmp_path, monkeypatch):
    from orchestration.cli.main import app

    monkeypatch.setattr(spark_engine, "spark_missing", lambda: "no java on PATH: Spark 4 needs Java 17")
    monkeypatch.setenv("PMO_ENGINE", "duckdb")  # --engine sets it for the run; monkeypatch restores it after
    result = CliRunner().invoke(app, ["run", "--home", str(tmp_path), "--period", "2026-03", "--engine", "spark"])
    assert result.exit_code == 2
    assert "Engine spark cannot run here: no java on PATH: Spark 4 needs Java 17." in " ".join(result.output.split())
    assert not (tmp_path / "warehouse").exists()  # refused before anything ran
