"""Quality gates: settings (quality.yaml), severities, suites present, the run summary and status sources."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from orchestration.contract import ENTITIES
from orchestration.pipeline.quality import (
    build_run_summary,
    check_record,
    date_horizon,
    latest_summaries,
    load_suite_dict,
    raw_suites,
    source_overview,
    validate_frame,
    write_run_summary,
)
from orchestration.settings import QualitySettings, SettingsError, load_quality_settings


def test_a_suite_per_raw_entity_covering_its_required_columns():
    suites = raw_suites()
    assert set(suites) == set(ENTITIES)
    for entity, name in suites.items():
        suite = load_suite_dict(name)
        ids = [e["meta"]["id"] for e in suite["expectations"]]
        assert len(ids) == len(set(ids)), name
        for col in ENTITIES[entity].required:
            assert f"column_{col}" in ids and f"{col}_not_null" in ids
        assert "volume" in ids
        allowed = {"blocking", "warning", "quarantine"} if name in ("raw_timesheets", "raw_ledger") \
            else {"blocking", "warning"}
        assert {e["meta"]["severity"] for e in suite["expectations"]} <= allowed, name
    # the row rules of the additive facts quarantine by default; schema, uniqueness and volume block
    severity = {e["meta"]["id"]: e["meta"]["severity"] for e in load_suite_dict("raw_timesheets")["expectations"]}
    assert [i for i, s in severity.items() if s == "quarantine"] == [
        "hours_not_negative", "hours_per_entry", "daily_hours", "project_code_known", "task_code_known",
        "person_known", "work_date_not_future"]
    assert severity["entry_id_unique"] == severity["volume"] == severity["work_date_not_null"] == "blocking"


def test_schedule_breaking_rows_block_by_default():
    sev = {e["meta"]["id"]: e["meta"]["severity"] for e in load_suite_dict("raw_tasks")["expectations"]}
    assert sev["percent_complete_range"] == sev["baseline_finish_after_start"] == "blocking"
    assert sev["baseline_cost_not_negative"] == "blocking"


def test_quality_yaml_defaults_and_overrides(tmp_path):
    assert load_quality_settings(tmp_path) == QualitySettings()
    (tmp_path / "quality.yaml").write_text(
        "max_daily_hours: 12\nvolume: {min_ratio: 0.8, max_ratio: 2}\nextra_currencies: [gbx]\n"
        "severity:\n  raw_timesheets.daily_hours: warning\n  raw_risks: off\n")
    q = load_quality_settings(tmp_path)
    assert (q.max_daily_hours, q.volume_min_ratio, q.volume_max_ratio, q.extra_currencies) == (12, 0.8, 2, ("GBX",))
    assert q.severity_for("raw_timesheets", "daily_hours", "blocking") == "warning"
    assert q.severity_for("raw_risks", "probability_range", "blocking") == "off"
    assert q.severity_for("raw_tasks", "x", "blocking") == "blocking"


@pytest.mark.parametrize("text", ["severity: {raw_tasks: maybe}", "max_daily_hours: -1", "bogus: 1",
                                  "volume: 3", "future_grace_days: 1.5", ": :"])
def test_malformed_quality_yaml_is_a_settings_error(tmp_path, text):
    (tmp_path / "quality.yaml").write_text(text)
    with pytest.raises(SettingsError, match="quality.yaml"):
        load_quality_settings(tmp_path)


def frame(hours):
    n = len(hours)
    return pd.DataFrame({"work_date": pd.to_datetime(["2026-03-02"] * n), "person_id": ["P1"] * n,
                         "project_code": ["A"] * n, "task_code": [None] * n, "hours": hours,
                         "entry_id": [f"E{i}" for i in range(n)], "approval_status": [None] * n, "role": [None] * n,
                         "_project_task": [None] * n, "_daily_hours": [sum(hours)] * n,
                         "_person_costable": [True] * n, "_source_file": ["landing/t.csv"] * n,
                         "_source_row": list(range(2, n + 2))})


PARAMS = {"known_project_codes": ["A"], "known_project_tasks": [], "known_currencies": ["GBP"],
          "date_horizon": pd.Timestamp("2026-03-31").to_pydatetime(), "max_daily_hours": 24,
          "volume_min_rows": None, "volume_max_rows": None}


def test_severity_decides_blocking_or_warning():
    bad = frame([16, 14])  # each entry fine, 30 hours in the day
    outcome = validate_frame("raw_timesheets", bad, PARAMS)
    assert outcome.status == "failed" and [f.id for f in outcome.blocking_failures] == ["daily_hours"]
    assert outcome.blocking_failures[0].rows[0] == {"file": "landing/t.csv", "row": 2, "value": 30.0}
    warned = validate_frame("raw_timesheets", bad, PARAMS,
                            quality=QualitySettings(severity=(("raw_timesheets.daily_hours", "warning"),)))
    assert warned.success and warned.status == "warned" and "warning daily_hours" in warned.summary()
    off = validate_frame("raw_timesheets", bad, PARAMS, quality=QualitySettings(severity=(("raw_timesheets", "off"),)))
    assert off.success and off.evaluated == 0
    limit = validate_frame("raw_timesheets", bad, {**PARAMS, "max_daily_hours": 30})
    assert limit.status == "passed"


def test_date_horizon_is_the_later_of_period_end_and_today():
    q = QualitySettings(future_grace_days=2)
    assert date_horizon("2026-02", q, today=date(2026, 1, 10)) == date(2026, 3, 2)
    assert date_horizon("2026-02", q, today=date(2026, 5, 10)) == date(2026, 5, 12)


def test_run_summary_round_trip(tmp_path):
    checks = [check_record("raw/timesheets", "timesheets_expectations", False, "ERROR", "bad",
                           {"failures": [{"id": "hours_per_entry", "unexpected_count": 3}]}),
              check_record("raw/ledger", "ledger_expectations", False, "WARN", "meh", {"failures": []}),
              check_record("marts/x", "unique", True, "ERROR", "", {})]
    summary = build_run_summary("2026-03", "run-1", checks, status="blocked")
    assert summary["counts"] == {"run": 3, "passed": 1, "warned": 1, "failed": 1}
    assert checks[0]["failing_rows"] == 3
    path = write_run_summary(tmp_path, summary)
    assert path == tmp_path / "2026-03" / "run-1.json"
    later = build_run_summary("2026-03", "run-2", checks[2:], status="published", written_at=None)
    later["written_at"] = "9999-01-01T00:00:00+00:00"
    write_run_summary(tmp_path, later)
    assert latest_summaries(tmp_path)["2026-03"]["run_id"] == "run-2"
    assert json.loads(path.read_text())["status"] == "blocked"


def test_source_overview_counts_and_freshness():
    log = [{"file": "landing/ts/a.csv", "rows_in": 5, "rows_loaded": 4, "rows_quarantined": 1, "loaded_at": "t"},
           {"file": "landing/ts/b.csv", "rows_in": 2, "rows_loaded": 2, "rows_quarantined": 0, "loaded_at": "t"}]
    files = [{"file": "landing/ts/c.txt", "status": "unknown"}]
    fresh = [{"source": "ts", "entity": "timesheets", "file": "landing/ts/a.csv", "rows": 4, "latest_date": "2026-03-31"},
             {"source": "ts", "entity": "timesheets", "file": "landing/ts/b.csv", "rows": 2, "latest_date": "2026-02-28"}]
    [row] = source_overview(log, files, fresh)
    assert (row["files"], row["rows_in"], row["rows_loaded"], row["rows_quarantined"], row["files_not_read"]) == \
        (2, 7, 6, 1, 1)
    assert (row["latest_file"], row["latest_date"]) == ("landing/ts/a.csv", "2026-03-31")


HAND = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"


def test_status_counts_rows_per_source_and_period(tmp_path):
    """pmo status: rows loaded and quarantined per source, reader and period (the month of each row's date)."""
    import shutil

    from typer.testing import CliRunner

    from orchestration.cli.main import app
    from orchestration.pipeline.ingest import load_landing
    from orchestration.settings import load_settings

    settings = load_settings(tmp_path)
    shutil.copytree(HAND, settings.landing_dir, ignore=shutil.ignore_patterns("README.md"))
    with open(settings.landing_dir / "timesheets" / "hand-timesheets.csv", "a", encoding="utf-8") as fh:
        fh.write("2026-02-11,H1,Hana Example,HAND-1,T2,eight,engineer,approved,HAND-TS-10\n")  # unparseable hours
    load_landing(settings.landing_dir, settings.warehouse_path, archive_dir=settings.archive_dir)

    result = CliRunner().invoke(app, ["status", "--home", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["sources_from"] == "last ingest"
    per = {(r["entity"], r["period"]): (r["rows_loaded"], r["rows_quarantined"]) for r in shown["source_periods"]}
    # timesheets: 5 January entries; February 2 loaded + the bad one; March 2 loaded + the exact duplicate
    assert per[("timesheets", "2026-01")] == (5, 0)
    assert per[("timesheets", "2026-02")] == (2, 1)
    assert per[("timesheets", "2026-03")] == (2, 1)
    assert (per[("ledger", "2026-01")], per[("ledger", "2026-02")], per[("ledger", "2026-03")]) == ((1, 0), (2, 0), (3, 0))
    assert (per[("tasks", "2026-01")], per[("tasks", "2026-02")], per[("tasks", "2026-03")]) == ((4, 0), (4, 0), (4, 0))
    assert per[("projects", None)] == (1, 0) and per[("rates", None)] == (2, 0)
    [ts] = [r for r in shown["source_periods"] if (r["entity"], r["period"]) == ("timesheets", "2026-02")]
    assert (ts["source"], ts["file"], ts["reader"]) == ("timesheets", "landing/timesheets/hand-timesheets.csv",
                                                       "canonical-csv")
    # the per-period counts add up to the load log's rows per file
    [src] = [s for s in shown["sources"] if s["source"] == "timesheets"]
    assert (src["rows_in"], src["rows_loaded"], src["rows_quarantined"]) == (11, 9, 2)
    assert sum(r["rows_loaded"] + r["rows_quarantined"] for r in shown["source_periods"]
               if r["source"] == "timesheets") == 11

    table = CliRunner().invoke(app, ["status", "--home", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "Rows per source and period" in table.output
    lines = [" ".join(line.replace("│", " ").split()) for line in table.output.splitlines()]
    assert "timesheets canonical-csv 2026-02 1 2 1" in lines, table.output

    # publishing copies the counts into serving's quality schema; status reads them there when the
    # working warehouse is absent or busy
    import duckdb

    from orchestration.pipeline.publish import publish_marts

    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.fct_placeholder AS SELECT 1 AS x")
    con.close()
    publish_marts(settings.warehouse_path, settings.serving_path, settings.parquet_dir)
    settings.warehouse_path.unlink()
    published = json.loads(CliRunner().invoke(app, ["status", "--home", str(tmp_path), "--json"]).output)
    assert published["sources_from"] == "last published run"
    assert published["source_periods"] == shown["source_periods"]


def test_dates_after_their_own_status_date_warn(tmp_path):
    """A schedule snapshot's actual dates, a risk's raised date, a Jira item's resolved date: not after the
    row's own status date (warning by default, quality.yaml can make them blocking)."""
    import shutil

    import duckdb

    from orchestration.pipeline.ingest import load_landing
    from orchestration.pipeline.quality import run_raw_suite

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(HAND, landing, ignore=shutil.ignore_patterns("README.md"))
    load_landing(landing, warehouse, archive_dir=tmp_path / "archive")
    con = duckdb.connect(str(warehouse))
    # January's snapshot says Survey started on 2 January and finished on 10 February, after its status date
    con.execute("UPDATE raw.tasks SET actual_start = DATE '2026-01-02', actual_finish = DATE '2026-02-10' "
                "WHERE status_date = DATE '2026-01-31' AND task_code = 'T1'")
    con.execute("INSERT INTO raw.risks (status_date, risk_id, project_code, probability, raised_date, _source_file, "
                "_source_row) VALUES (DATE '2026-03-31', 'R1', 'HAND-1', 0.5, DATE '2026-03-01', 'landing/risks/r.csv', 2), "
                "(DATE '2026-03-31', 'R2', 'HAND-1', 0.5, DATE '2026-04-02', 'landing/risks/r.csv', 3)")
    con.close()
    today = date(2026, 4, 15)

    tasks = run_raw_suite("tasks", warehouse, "2026-03", today=today)
    assert tasks.status == "warned", tasks.summary()
    [late] = tasks.warnings
    assert (late.id, late.unexpected_count) == ("actual_finish_not_after_status_date", 1)
    assert late.rows == [{"file": "landing/tasks/hand-tasks.csv", "row": 3, "value": "2026-01-31"}]

    risks = run_raw_suite("risks", warehouse, "2026-03", today=today)
    assert [(f.id, f.unexpected_count, f.rows[0]["row"]) for f in risks.warnings] == \
        [("raised_date_not_after_status_date", 1, 3)]

    strict = QualitySettings(severity=(("raw_tasks.actual_finish_not_after_status_date", "blocking"),))
    blocked = run_raw_suite("tasks", warehouse, "2026-03", quality=strict, today=today)
    assert blocked.status == "failed" and [f.id for f in blocked.blocking_failures] == ["actual_finish_not_after_status_date"]
