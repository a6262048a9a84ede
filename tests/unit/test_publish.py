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
    return {t: con.execute(f"SELECT count(*), sum(hash(t) * (rn % 1009)) FROM "
                           f"(SELECT row_number() OVER () AS rn, * FROM {prefix}.{t}) t").fetchone()
            for t in MARTS}


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
    # one table's Parquet file cannot be written (its folder is missing): that copy fails while the others
    # run beside it
    real = publish._sql_path
    monkeypatch.setattr(publish, "_sql_path", lambda path: real(tmp_path / "missing" / path.name)
                        if path.name == ".fct_small.parquet.tmp" else real(path))
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
