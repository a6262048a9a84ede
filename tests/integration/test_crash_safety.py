"""A killed `pmo run` never wedges the next one; SIGTERM cancels a run cleanly; a run waiting for the
writer slot says for whom and gives up; the code location loads (`dagster definitions validate`).

One small demo organisation (5 projects, canonical CSV) and one period.  Every `pmo run` here is a
separate process in its own session, signalled as a service manager or the OOM killer would.
The kills at every step, compared with an uninterrupted run, are in test_kill_points.py (slow).
"""
from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun
from runproc import (
    BUILD_EVERY_NODE,
    PERIOD,
    assert_clean_console,
    instance_for,
    kill_at_step,
    make_home,
    slot_state,
    start_run,
    wait_for_step,
)

from orchestration.defs.partitions import DUCKDB_WRITER_POOL
from orchestration.defs.run_guard import identity_tags
from orchestration.settings import load_settings


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_status(home: Path, run_id: str):
    with instance_for(home) as instance:
        return instance.get_run_by_id(run_id).status


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    """A run SIGKILLed (with its whole process group) while ingest holds the writer slot, then the next
    `pmo run`, which must complete on its own."""
    home = make_home(tmp_path_factory.mktemp("home"))
    logs = tmp_path_factory.mktemp("logs")
    killed_id, code, _ = kill_at_step(home, PERIOD, "ingest_landing", logs, signal.SIGKILL)
    assert code == -signal.SIGKILL
    state_after_kill = (run_status(home, killed_id), slot_state(home))
    started = time.monotonic()
    rp = start_run(home, PERIOD, logs, "next")
    code = rp.wait()
    return {"home": home, "killed": killed_id, "after_kill": state_after_kill, "next_code": code,
            "next_output": rp.output(), "next_seconds": time.monotonic() - started, "logs": logs}


def test_a_killed_run_leaves_the_slot_held_and_the_next_run_recovers_it(recovered):
    home, killed = recovered["home"], recovered["killed"]
    # what the kill left: exactly the state that used to wedge every later run
    status, (claimed, _) = recovered["after_kill"]
    assert status == DagsterRunStatus.STARTED and claimed == [killed]

    assert recovered["next_code"] == 0, recovered["next_output"]
    assert f"✓ {PERIOD} published" in recovered["next_output"]
    with instance_for(home) as instance:
        run = instance.get_run_by_id(killed)
        assert run.status == DagsterRunStatus.FAILURE
        [failure] = instance.all_logs(killed, of_type=DagsterEventType.RUN_FAILURE)
        message = failure.dagster_event.message
        assert "Its process died during step ingest_landing" in message and "freed its writer slot" in message
        [latest] = instance.get_runs(limit=1)
        assert latest.status == DagsterRunStatus.SUCCESS and latest.run_id != killed
    assert slot_state(home) == ([], [])
    # the dead run has its summary and its alert, written by the run that found it
    settings = load_settings(home)
    summary = json.loads((settings.quality_dir / PERIOD / f"{killed}.json").read_text())
    assert summary["status"] == "failed" and "Its process died" in summary["message"]
    [alert] = [line for line in settings.alerts_log.read_text().splitlines() if killed in line]
    assert f"FAILED period {PERIOD} run {killed} (cli): Its process died during step ingest_landing" in alert
    assert (settings.reports_dir / PERIOD / "portfolio-pack.pdf").is_file()


def test_sigterm_cancels_the_run_frees_its_slot_and_leaves_serving_untouched(recovered):
    home, logs = recovered["home"], recovered["logs"]
    settings = load_settings(home)
    published = [settings.serving_path, settings.reports_dir / PERIOD / "portfolio-pack.pdf",
                 *sorted(settings.parquet_dir.glob("*.parquet")), *sorted((settings.reported_dir / PERIOD).iterdir())]
    before = {p: sha(p) for p in published}

    # SIGTERM to the pmo process alone (as `kill PID` sends it): the run must stop dbt itself.
    rp = start_run(home, PERIOD, logs, "cancel", extra_env=BUILD_EVERY_NODE)
    run_id = wait_for_step(home, rp, "dbt_models")
    time.sleep(1.0)
    rp.proc.send_signal(signal.SIGTERM)
    code = rp.wait(timeout=300)
    output = rp.output()

    assert code == 143, output
    assert f"Run for {PERIOD} was canceled" in output and "Canceled by SIGTERM" in output
    assert_clean_console(output)
    assert run_status(home, run_id) == DagsterRunStatus.CANCELED
    claimed, pending = slot_state(home)
    assert run_id not in claimed and run_id not in pending
    with instance_for(home) as instance:
        steps = {e.step_key: e.dagster_event_type for e in instance.all_logs(run_id) if e.step_key
                 and e.dagster_event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)}
    assert steps.get("dbt_models") == DagsterEventType.STEP_FAILURE  # stopped, not run to the end
    assert "serving__snapshot" not in steps
    assert {p: sha(p) for p in published} == before
    assert not list(home.glob(".serving-*"))
    summary = json.loads((settings.quality_dir / PERIOD / f"{run_id}.json").read_text())
    assert summary["status"] == "canceled" and "SIGTERM" in summary["message"]
    assert run_id not in settings.alerts_log.read_text()  # a cancel is not an alert


def test_a_run_waiting_for_a_live_run_names_it_and_gives_up(recovered):
    home, logs = recovered["home"], recovered["logs"]
    settings_file = home / "settings.yaml"
    original = settings_file.read_text()
    holder_proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    holder = DagsterRun(job_name="monthly_reporting", run_id=str(uuid.uuid4()), status=DagsterRunStatus.STARTED,
                        tags={"dagster/partition": "2026-02", **identity_tags(holder_proc.pid)})
    try:
        settings_file.write_text(original + "slot_wait_minutes: 0.05\n")
        with instance_for(home) as instance:
            instance.add_run(holder)
            assert instance.event_log_storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, holder.run_id,
                                                                     "dbt_models").is_claimed
        rp = start_run(home, PERIOD, logs, "wait")
        code = rp.wait(timeout=300)
        output = rp.output()
        assert code == 1, output
        assert f"Run for {PERIOD} failed" in output
        assert "Gave up after waiting 0.05 min for the duckdb_writer slot" in output
        assert f"run {holder.run_id[:8]} (period 2026-02, started, pid {holder_proc.pid}" in output
        assert "slot_wait_minutes in settings.yaml" in output
        assert_clean_console(output)
        # the live holder is left alone
        assert run_status(home, holder.run_id) == DagsterRunStatus.STARTED
        assert slot_state(home)[0] == [holder.run_id]
    finally:
        settings_file.write_text(original)
        holder_proc.kill()
        holder_proc.wait()
        from orchestration.defs.run_guard import recover_dead_runs

        with instance_for(home) as instance:
            recover_dead_runs(instance)
    assert slot_state(home) == ([], [])


def test_dagster_definitions_validate(recovered):
    """The code location loads with the home's instance, as `pmo ui` loads it.  (`dagster definitions validate`
    is superseded by dagster-dg-cli's `dg check defs` in 1.13, which needs a dg project; it still works.)"""
    home = recovered["home"]
    settings = load_settings(home)
    env = {"PATH": str(Path(sys.executable).parent), "PMO_HOME": str(home),
           "DAGSTER_HOME": str(settings.dagster_home), "PMO_DAGSTER_STORAGE": str(settings.dagster_home / "storage"),
           "PMO_WAREHOUSE_PATH": str(settings.warehouse_path)}
    result = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                             "-m", "orchestration.defs.definitions"], capture_output=True, text=True, env=env,
                            cwd=home, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Validation successful for code location orchestration.defs.definitions" in output
