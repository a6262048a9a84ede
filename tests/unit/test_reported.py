"""orchestration/pipeline/reported.py: freezing a period's figures, closing, and reading them back."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline.reported import (
    ReportedError,
    close_earlier_periods,
    close_period,
    list_periods,
    load_reported_into,
    open_frozen,
    read_period,
    record_reported,
    verify_period,
)


def make_serving(path: Path, ac_feb: float) -> Path:
    """A published snapshot with two projects over Jan-Mar; P's February AC is ``ac_feb``."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema quality")
    con.execute("create table marts.dim_project as select * from (values ('P', 'Alpha'), ('Q', 'Beta')) "
                "t(project_code, project_name)")
    con.execute("""create table marts.fct_earned_value as select * from (values
        ('P', '2026-01', 'GBP', 1000.0::decimal(38,6), 100.0::decimal(38,6), 90.0::decimal(38,6),
         100.0::decimal(38,6), 0.9::double),
        ('P', '2026-02', 'GBP', 1000.0, 300.0, 240.0, ?::decimal(38,6), 240.0 / ?),
        ('P', '2026-03', 'GBP', 1000.0, 500.0, 450.0, 500.0, 0.9),
        ('Q', '2026-02', 'GBP', 200.0, 50.0, 50.0, 50.0, 1.0)) t(project_code, period, currency, bac, pv, ev, ac, cpi)
    """, [ac_feb, ac_feb])
    con.execute("create table quality.load_log as select 'timesheets' as entity, 'a.csv' as file")
    con.close()
    return path


FEB_AC_OF_P = "select ac from marts.fct_earned_value where project_code = 'P' and period = '2026-02'"


def _frozen_value(period, sql: str):
    """The one value ``sql`` selects from ``period``'s frozen figures."""
    con = open_frozen(period)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_record_freezes_the_pack_rows_and_a_later_run_closes_the_period(tmp_path):
    home, serving = tmp_path / "home", make_serving(tmp_path / "serving.duckdb", 250.0)
    assert record_reported(home, serving, "2026-02", "run-feb", quality_summary="quality/2026-02/run-feb.json") \
        == "recorded"
    feb = read_period(home, "2026-02")
    assert feb.state == "open" and feb.run_id == "run-feb"
    # only rows up to the reported period are kept, and the quality tables beside them
    assert feb.tables["fct_earned_value"]["rows"] == 3
    assert feb.tables["quality__load_log"]["rows"] == 1
    assert "fct_project_status" not in feb.tables  # absent from this snapshot: simply not frozen

    # While open, a new publish replaces the figures.
    make_serving(serving, 260.0)
    record_reported(home, serving, "2026-02", "run-feb-2")
    assert read_period(home, "2026-02").run_id == "run-feb-2"

    # A run for March closes February; after that a publish of February keeps the frozen figures.
    assert close_earlier_periods(home, "2026-03") == ["2026-02"]
    make_serving(serving, 999.0)
    assert record_reported(home, serving, "2026-02", "run-feb-3") == "kept"
    feb = read_period(home, "2026-02")
    assert feb.is_closed and feb.run_id == "run-feb-2"
    assert _frozen_value(feb, FEB_AC_OF_P) == 260
    assert _frozen_value(feb, "select count(*) from quality.load_log") == 1


def test_manual_policy_and_backfill_of_an_earlier_period(tmp_path):
    home, serving = tmp_path / "home", make_serving(tmp_path / "serving.duckdb", 250.0)
    record_reported(home, serving, "2026-03", "run-mar", close_policy="manual")
    assert close_earlier_periods(home, "2026-04", "manual") == []
    assert read_period(home, "2026-03").state == "open"
    # A backfill of February after March was reported closes February at once (on_next_period).
    record_reported(home, serving, "2026-02", "run-feb")
    assert read_period(home, "2026-02").is_closed
    assert [p.period for p in list_periods(home)] == ["2026-02", "2026-03"]


def test_close_errors_and_tamper_detection(tmp_path):
    home, serving = tmp_path / "home", make_serving(tmp_path / "serving.duckdb", 250.0)
    with pytest.raises(ReportedError, match="has not been published"):
        close_period(home, "2026-02")
    record_reported(home, serving, "2026-02", "run-feb")
    first = close_period(home, "2026-02")
    assert close_period(home, "2026-02").closed_at == first.closed_at  # closing twice changes nothing
    frozen = first.directory / "fct_earned_value.parquet"
    duckdb.sql(f"copy (select 1 as x) to '{frozen}' (format parquet)")
    assert verify_period(first) == [f"{frozen}: changed since it was frozen"]
    with pytest.raises(ReportedError, match="cannot be trusted"):
        open_frozen(first)


def test_load_reported_into_keeps_each_closed_periods_own_rows(tmp_path):
    home, serving = tmp_path / "home", make_serving(tmp_path / "serving.duckdb", 250.0)
    warehouse = tmp_path / "warehouse.duckdb"
    assert load_reported_into(home, warehouse) == 0  # nothing reported yet: the table exists, empty
    record_reported(home, serving, "2026-01", "run-jan")
    close_earlier_periods(home, "2026-02")  # the run for February starts
    record_reported(home, serving, "2026-02", "run-feb")
    assert load_reported_into(home, warehouse) == 1  # January's own row
    close_earlier_periods(home, "2026-03")
    record_reported(home, serving, "2026-03", "run-mar")
    assert load_reported_into(home, warehouse) == 3  # + P and Q in February
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select project_code, period, reported_run_id, ac, cpi, es, closed_at is not null "
                           "from reported.earned_value order by period, project_code").fetchall()
    finally:
        con.close()
    assert rows == [("P", "2026-01", "run-jan", 100, 0.9, None, True),
                    ("P", "2026-02", "run-feb", 250, 240 / 250, None, True),
                    ("Q", "2026-02", "run-feb", 50, 1.0, None, True)]
    manifest = json.loads((home / "reported" / "2026-03" / "manifest.json").read_text())
    assert manifest["closed_at"] is None


def _publish_versions(serving: Path, versions: dict[str, str]) -> None:
    """What publish keeps beside the marts: each mart's version (orchestration/pipeline/publish.py)."""
    con = duckdb.connect(str(serving))
    con.execute("create or replace table quality.published_marts (mart varchar, version varchar, rows bigint)")
    con.executemany("insert into quality.published_marts values (?, ?, 0)", list(versions.items()))
    con.close()


def test_a_mart_published_again_with_the_same_version_keeps_its_frozen_file(tmp_path):
    home, serving = tmp_path / "home", make_serving(tmp_path / "serving.duckdb", 250.0)
    _publish_versions(serving, {"dim_project": "d1", "fct_earned_value": "e1"})
    record_reported(home, serving, "2026-02", "run-1")
    first = read_period(home, "2026-02")
    assert first.tables["fct_earned_value"]["version"] == "e1"
    assert "version" not in first.tables["quality__load_log"]
    inode = {name: (first.directory / f"{name}.parquet").stat().st_ino for name in first.tables}

    # The night changed the earned value (a new AC) and nothing else: only its file is written again.
    make_serving(serving, 260.0)
    _publish_versions(serving, {"dim_project": "d1", "fct_earned_value": "e2"})
    record_reported(home, serving, "2026-02", "run-2")
    second = read_period(home, "2026-02")
    again = {name: (second.directory / f"{name}.parquet").stat().st_ino for name in second.tables}
    assert again["dim_project"] == inode["dim_project"]
    assert again["fct_earned_value"] != inode["fct_earned_value"]
    assert again["quality__load_log"] != inode["quality__load_log"]  # the run's own tables: always written
    assert second.tables["dim_project"] == first.tables["dim_project"]
    assert verify_period(second) == []
    assert _frozen_value(second, FEB_AC_OF_P) == 260
    assert _frozen_value(second, "select count(*) from marts.dim_project") == 2

    # A frozen file that no longer matches its manifest is not taken over: it is written again from the snapshot.
    (second.directory / "dim_project.parquet").unlink()
    (second.directory / "dim_project.parquet").write_bytes(b"not the frozen file")
    record_reported(home, serving, "2026-02", "run-3")
    third = read_period(home, "2026-02")
    assert verify_period(third) == [] and third.tables["dim_project"]["rows"] == 2
