"""orchestration/pipeline/publish.py: the serving snapshot and the Parquet files hold every mart as the
warehouse does, row for row and in the same order, whichever table is copied first; a failed publish
leaves the previous snapshot and no temporary file."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline import publish
from orchestration.pipeline.publish import publish_marts

# One mart over DuckDB's row group (122,880 rows, written on several threads), others under it, and a view
# (not published).
MARTS = {
    "fct_big": "SELECT i AS id, i * 0.5 AS amount, 'p' || (i % 97) AS project_code FROM range(300000) t(i)",
    "fct_small": "SELECT i AS id, CAST(i AS DECIMAL(18, 2)) / 3 AS ac FROM range(1000) t(i)",
    "dim_one": "SELECT 'PRJ-001' AS project_code, 'A name' AS project_name",
    "fct_empty": "SELECT 1 AS x WHERE false",
}


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    for table, sql in MARTS.items():
        con.execute(f"CREATE TABLE marts.{table} AS {sql} ORDER BY 1 DESC")
    con.execute("CREATE VIEW marts.v_not_published AS SELECT 1 AS x")
    con.close()


def _ordered_hashes(con, prefix: str) -> dict[str, tuple]:
    return _ordered_hashes_of(con, prefix, MARTS)


def _ordered_hashes_of(con, prefix: str, tables) -> dict[str, tuple]:
    return {t: con.execute(f"SELECT count(*), sum(hash(t) * (rn % 1009)) FROM "
                           f"(SELECT row_number() OVER () AS rn, * FROM {prefix}.{t}) t").fetchone()
            for t in tables}


def test_every_mart_is_copied_row_for_row(tmp_path: Path) -> None:
    wh, serving, parquet = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    _warehouse(wh)
    counts = publish_marts(wh, serving, parquet)
    assert counts == {"dim_one": 1, "fct_big": 300000, "fct_empty": 0, "fct_small": 1000}
    assert list(counts) == sorted(MARTS)  # the warehouse's order, whatever order they were copied in
    con = duckdb.connect(str(serving), read_only=True)
    con.execute(f"ATTACH '{wh}' AS wh (READ_ONLY)")
    assert _ordered_hashes(con, "marts") == _ordered_hashes(con, "wh.marts")
    for table in MARTS:
        assert con.execute(f"SELECT count(*) FROM (SELECT * FROM read_parquet('{parquet / table}.parquet') "
                           f"EXCEPT ALL SELECT * FROM marts.{table})").fetchone()[0] == 0
        assert con.execute(f"SELECT count(*) FROM read_parquet('{parquet / table}.parquet')").fetchone()[0] \
            == counts[table]
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = 'serving'").fetchone()[0] == 0
    con.close()
    assert sorted(p.name for p in parquet.iterdir()) == sorted(f"{t}.parquet" for t in MARTS)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_copy_leaves_the_previous_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh, serving, parquet = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    _warehouse(wh)
    publish_marts(wh, serving, parquet)
    before = serving.read_bytes(), {p.name: p.read_bytes() for p in parquet.iterdir()}
    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE marts.fct_new AS SELECT 1 AS x")
    con.close()
    # the new table's Parquet file cannot be written (its folder is missing): that copy fails
    real = publish._sql_path
    monkeypatch.setattr(publish, "_sql_path", lambda path: real(tmp_path / "missing" / path.name)
                        if path.name == ".fct_new.parquet.tmp" else real(path))
    with pytest.raises(duckdb.IOException, match="missing"):
        publish_marts(wh, serving, parquet)
    assert (serving.read_bytes(), {p.name: p.read_bytes() for p in parquet.iterdir()}) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in parquet.iterdir() if p.name.startswith(".")] == []


def test_one_table_at_a_time_gives_the_same_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh)
    parallel = publish_marts(wh, tmp_path / "a.duckdb", tmp_path / "pa")
    monkeypatch.setattr(publish, "PUBLISH_WORKERS", 1)
    serial = publish_marts(wh, tmp_path / "b.duckdb", tmp_path / "pb")
    assert parallel == serial
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    con.execute(f"ATTACH '{tmp_path / 'b.duckdb'}' AS b (READ_ONLY)")
    assert _ordered_hashes(con, "marts") == _ordered_hashes(con, "b.marts")
    con.close()


def _stamps(parquet: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in parquet.iterdir()}


def test_a_mart_published_with_the_same_rows_is_not_copied_again(tmp_path: Path) -> None:
    """The snapshot keeps each mart's version; a publish copies only the marts whose version changed into a copy
    of the previous file, removes a mart the warehouse no longer has, and gives what a new file would."""
    wh, serving, parquet = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb", tmp_path / "parquet"
    _warehouse(wh)
    publish_marts(wh, serving, parquet)
    first = _stamps(parquet)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE marts.fct_small SET ac = ac + 1 WHERE id = 7")
    con.execute("DROP TABLE marts.fct_empty")
    con.close()
    counts = publish_marts(wh, serving, parquet)
    assert counts == {"dim_one": 1, "fct_big": 300000, "fct_small": 1000}
    second = _stamps(parquet)
    assert set(second) == {"dim_one.parquet", "fct_big.parquet", "fct_small.parquet"}
    assert second["fct_big.parquet"] == first["fct_big.parquet"]  # not written again
    assert second["dim_one.parquet"] == first["dim_one.parquet"]
    assert second["fct_small.parquet"] != first["fct_small.parquet"]
    fresh = tmp_path / "fresh.duckdb"
    assert publish_marts(wh, fresh, tmp_path / "fresh-parquet") == counts
    con = duckdb.connect(str(serving), read_only=True)
    con.execute(f"ATTACH '{fresh}' AS fresh (READ_ONLY)")
    live = {t for t in MARTS if t != "fct_empty"}
    assert _ordered_hashes_of(con, "marts", live) == _ordered_hashes_of(con, "fresh.marts", live)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'serving' "
                       "AND table_name = 'fct_empty'").fetchone()[0] == 0
    assert con.execute("SELECT mart, rows FROM quality.published_marts ORDER BY 1").fetchall() == sorted(counts.items())
    assert con.execute("SELECT ac FROM marts.fct_small WHERE id = 7").fetchone()[0] == pytest.approx(7 / 3 + 1, abs=0.01)
    con.close()

    # most rows changed: a new file, every Parquet file written again
    con = duckdb.connect(str(wh))
    con.execute("UPDATE marts.fct_big SET amount = amount + 1")
    con.close()
    publish_marts(wh, serving, parquet)
    third = _stamps(parquet)
    assert all(third[name] != second[name] for name in third)


def test_versions_come_from_dbt_where_it_recorded_them(tmp_path: Path) -> None:
    """A mart dbt recorded a version for (pmo_build.node_versions) is published with it; the others with a hash
    of their rows, which a change of one value changes."""
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh)
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA pmo_build")
    con.execute("CREATE TABLE pmo_build.node_versions AS SELECT 'model.pmo_warehouse.fct_small' AS node_id, "
                "'abc' AS version UNION ALL SELECT 'test.pmo_warehouse.fct_big', 'not a model'")
    versions = publish.mart_versions(con, sorted(MARTS), db="warehouse")
    assert versions["fct_small"] == "dbt:abc"
    assert versions["fct_big"].startswith("rows:id BIGINT, amount DECIMAL(") and "|300000:" in versions["fct_big"]
    con.execute("UPDATE marts.dim_one SET project_name = 'Another name'")
    assert publish.mart_versions(con, sorted(MARTS), db="warehouse")["dim_one"] != versions["dim_one"]
    con.close()
