"""The landing sensor requests one run per period that new or changed files touch."""
import shutil
from pathlib import Path

from dagster import SensorResult, SkipReason, build_sensor_context, define_asset_job

from orchestration.defs.sensors import build_landing_sensor

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"


def evaluate(sensor, cursor=None):
    return sensor(build_sensor_context(cursor=cursor))


def test_new_and_changed_files_request_runs_for_their_periods(tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.setenv("PMO_HOME", str(home))
    sensor = build_landing_sensor(define_asset_job("monthly_reporting"))

    first = evaluate(sensor)
    assert isinstance(first, SensorResult)
    assert sorted(r.partition_key for r in first.run_requests) == ["2026-01", "2026-02", "2026-03"]

    assert isinstance(evaluate(sensor, first.cursor), SkipReason)

    with open(home / "landing" / "ledger" / "hand-ledger.csv", "a", encoding="utf-8") as fh:
        fh.write("2026-04-02,HL-7,1,HAND-1,T3,5100,subcontract,1000,GBP,2026-04,false,,Commissioning\n")
    second = evaluate(sensor, first.cursor)
    assert sorted(r.partition_key for r in second.run_requests) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert {r.run_key for r in second.run_requests}.isdisjoint({r.run_key for r in first.run_requests})
