"""`pmo status --json` prints one strict JSON object whatever the home holds: nothing yet, runs, a last run
that failed, unreadable files; and a settings error is JSON too (exit 2). Run as a real process, so
nothing else that reaches stdout (a log line, a progress bar) would go unnoticed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from orchestration.pipeline.ingest import load_landing
from orchestration.pipeline.quality import build_run_summary, check_record, write_run_summary

PMO = Path(sys.executable).with_name("pmo")


def _reject(constant):
    raise ValueError(f"not strict JSON: {constant}")


def status(home: Path, env: dict | None = None) -> tuple[int, dict]:
    result = subprocess.run([str(PMO), "status", "--home", str(home), "--json"], capture_output=True, text=True,
                            env=env, timeout=120)
    return result.returncode, json.loads(result.stdout, parse_constant=_reject)


def test_empty_home(tmp_path):
    code, out = status(tmp_path / "home")
    assert code == 0
    assert out == {"home": str(tmp_path / "home"), "periods": {}, "sources": [], "sources_from": "none",
                   "source_periods": []}


def _landing(root: Path) -> Path:
    landing = root / "landing"
    for rel, text in {
        "projects/p.csv": "project_code,project_name,currency\nA,Alpha,GBP\n",
        "tasks/t.csv": "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost\n"
                       "2026-03-31,A,T1,2026-01-01,2026-06-30,1000\n",
        "timesheets/ts.csv": "work_date,person_id,project_code,hours\n2026-03-02,P1,A,7\n2026-03-03,P1,A,1e308\n",
    }.items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_text(text)
    return landing


def test_home_with_runs_and_a_failed_last_run(tmp_path):
    home = tmp_path / "home"
    load_landing(_landing(home), home / "warehouse" / "warehouse.duckdb", archive_dir=home / "archive")
    passed = check_record("raw_timesheets", "timesheets_expectations", True, "ERROR", None, {})
    write_run_summary(home / "quality", build_run_summary("2026-02", "run-feb", [passed], status="published"))
    write_run_summary(home / "quality", build_run_summary("2026-03", "run-mar-1", [passed], status="published"))
    # the last run of March failed in a step, and a check's metadata carries a NaN (GX can report one)
    odd = check_record("raw_tasks", "tasks_expectations", False, "ERROR", "observed NaN",
                       {"failures": [{"unexpected_count": 1, "observed_value": float("nan")}]})
    failed = build_run_summary("2026-03", "run-mar-2", [odd], status="failed",
                               failed_steps=["dbt_models: compilation error"])
    write_run_summary(home / "quality", {**failed, "written_at": "2099-01-01T00:00:00+00:00"})
    # a summary being written when status reads it (not yet renamed into place) is not read
    (home / "quality" / "2026-03" / "half.json").write_text('{"status": "publ')

    code, out = status(home)
    assert code == 0
    assert {p: s["status"] for p, s in out["periods"].items()} == {"2026-02": "published", "2026-03": "failed"}
    assert out["periods"]["2026-03"]["failed_steps"] == ["dbt_models: compilation error"]
    assert out["periods"]["2026-03"]["checks"][0]["failures"][0]["observed_value"] is None
    assert out["sources_from"] == "last ingest"
    sources = {s["source"]: (s["rows_loaded"], s["rows_quarantined"]) for s in out["sources"]}
    assert sources["timesheets"] == (1, 1)  # the 1e308 hours are quarantined, not loaded
    assert sources["projects"] == (1, 0)


def test_unreadable_warehouse_and_serving_files(tmp_path):
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    (home / "warehouse" / "warehouse.duckdb").write_bytes(b"\x00garbage" * 1000)
    (home / "serving.duckdb").write_bytes(b"not a database")
    code, out = status(home)
    assert code == 0 and out["sources"] == [] and out["sources_from"] == "none"


def test_settings_error_is_json_too(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text("reporting_currency: [not, a, code]\n")
    code, out = status(home)
    assert code == 2
    assert out["error"].startswith("Settings error:") and "reporting_currency" in out["error"]
