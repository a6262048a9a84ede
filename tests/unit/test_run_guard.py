"""Crash recovery without a pipeline: runs whose process died, slots they held, the wait for a slot,
leftovers of a step killed half-way, and signals held across a rename."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.storage.dagster_run import DagsterRun
from dagster._utils import interrupts as dagster_interrupts

from orchestration.defs import run_guard
from orchestration.defs.partitions import DUCKDB_WRITER_POOL
from orchestration.defs.run_guard import (
    GuardedConcurrencyContext,
    SlotWaitTimeout,
    identity_tags,
    recover_dead_runs,
    slot_holders,
    sweep_leftovers,
)
from orchestration.pipeline.signals import interrupts_deferred
from orchestration.settings import activate, load_settings


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for key in ("PMO_HOME", "DAGSTER_HOME", "PMO_WAREHOUSE_PATH", "PMO_DAGSTER_STORAGE"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # restored after the test
    activate(load_settings(tmp_path / "home"))
    with DagsterInstance.get() as inst:
        inst.event_log_storage.initialize_concurrency_limit_to_default(DUCKDB_WRITER_POOL)
        yield inst


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def add_run(instance, status=DagsterRunStatus.STARTED, tags=None, period="2026-03", holds_slot=True) -> DagsterRun:
    run = DagsterRun(job_name="monthly_reporting", run_id=str(uuid.uuid4()), status=status,
                     tags={"dagster/partition": period, **(tags or {})})
    instance.add_run(run)
    if holds_slot:
        claim = instance.event_log_storage.claim_concurrency_slot(DUCKDB_WRITER_POOL, run.run_id, "dbt_models")
        assert claim.is_claimed
    return run


def held_by(instance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_WRITER_POOL)
    return [s.run_id for s in info.claimed_slots]


def test_a_run_whose_process_died_is_marked_failed_and_its_slot_freed(instance):
    pid = dead_pid()
    run = add_run(instance, tags={"pmo/host": socket.gethostname(), "pmo/pid": str(pid)})
    assert held_by(instance) == [run.run_id]

    recovered = recover_dead_runs(instance, current_run_id="a-new-run")

    assert [r.run.run_id for r in recovered] == [run.run_id]
    after = instance.get_run_by_id(run.run_id)
    assert after.status == DagsterRunStatus.FAILURE
    assert held_by(instance) == []
    [failure] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    assert f"process {pid} no longer exists" in failure.dagster_event.message
    assert "freed its writer slot" in failure.dagster_event.message
    assert failure.dagster_event.event_specific_data.failure_reason.value == "UNEXPECTED_TERMINATION"
    # nothing left to do the second time
    assert recover_dead_runs(instance, current_run_id="a-new-run") == []


def test_a_live_run_and_a_run_on_another_host_are_left_alone(instance, sleeper):
    live = add_run(instance, tags=identity_tags(sleeper.pid))
    elsewhere = add_run(instance, tags={"pmo/host": "some-other-host", "pmo/pid": str(dead_pid())}, holds_slot=False)

    assert recover_dead_runs(instance, current_run_id="a-new-run") == []
    assert instance.get_run_by_id(live.run_id).status == DagsterRunStatus.STARTED
    assert instance.get_run_by_id(elsewhere.run_id).status == DagsterRunStatus.STARTED
    assert held_by(instance) == [live.run_id]
    [holder] = slot_holders(instance, current_run_id="a-new-run")
    assert holder.run_id == live.run_id and holder.alive is True and holder.pid == sleeper.pid
    assert f"pid {sleeper.pid} on {socket.gethostname()}" in holder.describe()


def test_a_reused_pid_does_not_keep_a_dead_run_alive(instance, sleeper):
    """The pid is alive, but the process started long after the run's process did: it is another process."""
    tags = identity_tags(sleeper.pid)
    tags["pmo/pid_started"] = str(int(tags["pmo/pid_started"]) - 3600)
    run = add_run(instance, tags=tags)

    [rec] = recover_dead_runs(instance)
    assert rec.run.run_id == run.run_id
    assert "belongs to another process" in rec.message
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE


def test_a_dead_canceling_run_ends_canceled(instance):
    run = add_run(instance, status=DagsterRunStatus.CANCELING, tags={"pmo/pid": str(dead_pid())})
    [rec] = recover_dead_runs(instance)
    assert rec.new_status == "canceled"
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
    assert held_by(instance) == []


def test_a_run_from_before_the_tags_is_judged_by_its_engine_event(instance):
    """Runs recorded before pmo tagged them carry their pid in Dagster's 'Executing steps in process' event."""
    from dagster._core.events import DagsterEvent, EngineEventData

    run = add_run(instance)
    pid = dead_pid()
    instance.report_dagster_event(
        DagsterEvent(event_type_value=DagsterEventType.ENGINE_EVENT.value, job_name=run.job_name,
                     message=f"Executing steps in process (pid: {pid})",
                     event_specific_data=EngineEventData.in_process(pid)),
        run_id=run.run_id)
    [rec] = recover_dead_runs(instance)
    assert rec.run.pid == pid
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE


def test_slots_of_runs_that_ended_are_freed(instance):
    run = add_run(instance, status=DagsterRunStatus.SUCCESS)
    assert held_by(instance) == [run.run_id]
    assert recover_dead_runs(instance) == []
    assert held_by(instance) == []


def test_the_wait_for_a_held_slot_sleeps_names_the_holder_and_gives_up(instance, sleeper, monkeypatch):
    holder = add_run(instance, tags=identity_tags(sleeper.pid), period="2026-02")
    waiting = add_run(instance, holds_slot=False)
    said = []
    with run_guard.wait_listener(said.append):
        with GuardedConcurrencyContext(instance, waiting, timeout_seconds=0.5) as ctx:
            claimed_at = time.time()
            assert ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing") is False
            # Dagster 1.13's own interval is never positive, so its executor spins; this one sleeps. Asked at
            # the moment of the claim: on a loaded machine the back-off may be over before the next line runs.
            with monkeypatch.context() as m:
                m.setattr(run_guard.time, "time", lambda: claimed_at)
                assert 0 < ctx.interval_to_next_pending_claim_check() <= run_guard.MAX_CLAIM_SLEEP
            time.sleep(0.6)
            ctx._pending_timeouts["ingest_landing"] = 0.0  # claim now rather than after the back-off
            with pytest.raises(SlotWaitTimeout) as raised:
                ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing")
    assert f"run {holder.run_id[:8]} (period 2026-02" in said[0]
    assert "slot_wait_minutes" in said[0]
    text = str(raised.value)
    assert f"run {holder.run_id[:8]}" in text and f"pid {sleeper.pid}" in text
    assert "slot_wait_minutes in settings.yaml" in text
    # the waiting run left no pending claim behind; the holder keeps its slot
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_WRITER_POOL)
    assert waiting.run_id not in [p.run_id for p in info.pending_steps]
    assert held_by(instance) == [holder.run_id]


def test_a_holder_that_dies_during_the_wait_is_recovered_and_the_slot_claimed(instance, sleeper):
    holder = add_run(instance, tags=identity_tags(sleeper.pid))
    waiting = add_run(instance, holds_slot=False)
    with GuardedConcurrencyContext(instance, waiting, timeout_seconds=60) as ctx:
        assert ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing") is False
        sleeper.kill()
        sleeper.wait()
        ctx._last_check = 0.0  # as if RECHECK_SECONDS had passed
        ctx._pending_timeouts["ingest_landing"] = 0.0
        assert ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing") is False  # recovers the holder
        assert ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing") is True
    assert instance.get_run_by_id(holder.run_id).status == DagsterRunStatus.FAILURE
    assert held_by(instance) == [waiting.run_id]


def test_an_interrupt_while_waiting_cancels_the_wait(instance, sleeper):
    add_run(instance, tags=identity_tags(sleeper.pid))
    waiting = add_run(instance, holds_slot=False)
    with GuardedConcurrencyContext(instance, waiting, timeout_seconds=60) as ctx:
        assert ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing") is False
        dagster_interrupts._received_interrupt["received"] = True
        try:
            with pytest.raises(DagsterExecutionInterruptedError):
                ctx.claim(DUCKDB_WRITER_POOL, "ingest_landing")
        finally:
            dagster_interrupts._received_interrupt["received"] = False


def test_sweep_removes_what_a_killed_step_left_and_restores_a_half_replaced_period(tmp_path):
    home = tmp_path
    for rel in (".serving-abc123.duckdb", ".serving-abc123.duckdb.wal", "parquet/.fct_earned_value.parquet.tmp",
                "reports/2026-03/.portfolio-pack.x1y2.pdf.tmp", "quality/2026-03/.run.json.tmp",
                "archive/.deadbeef.tmp", "reported/.2026-02-replaced/manifest.json",
                "reported/.2026-03-k9j8h7g6/fct_earned_value.parquet", "reported/2026-03/manifest.json",
                "reported/.2026-01-replaced/manifest.json", "reported/2026-01/manifest.json",
                "serving.duckdb", "parquet/fct_earned_value.parquet", "reports/2026-03/portfolio-pack.pdf"):
        path = home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    done = sweep_leftovers(home)
    remaining = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    assert remaining == ["parquet/fct_earned_value.parquet", "reported/2026-01/manifest.json",
                         "reported/2026-02/manifest.json", "reported/2026-03/manifest.json",
                         "reports/2026-03/portfolio-pack.pdf", "serving.duckdb"]
    assert (home / "reported/2026-02/manifest.json").read_text() == "reported/.2026-02-replaced/manifest.json"
    assert "restored reported/2026-02 (its replacement was interrupted)" in done
    assert len(done) == 9


def test_signals_are_held_across_a_rename_and_delivered_after():
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(("handler", signum)))
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            received.append("renamed")
        time.sleep(0.05)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == ["renamed", ("handler", signal.SIGTERM)]


def test_identity_tags_name_this_process():
    tags = identity_tags()
    assert tags["pmo/pid"] == str(os.getpid()) and tags["pmo/host"] == socket.gethostname()
    if Path("/proc").is_dir():
        started = float(tags["pmo/pid_started"])
        assert started <= time.time() and abs(started - run_guard.process_started_at(os.getpid())) < 1


def test_the_step_listener_hears_each_steps_start_and_end_and_cannot_stop_the_run(monkeypatch):
    """Events go through unchanged; the listener hears steps only (not the run's own events), with the time
    since each step started; a listener that raises is ignored."""
    from types import SimpleNamespace

    from orchestration.defs import run_guard as G

    clock = iter([10.0, 12.5, 13.0, 20.0])
    monkeypatch.setattr(G.time, "monotonic", lambda: next(clock))
    events = [SimpleNamespace(event_type=DagsterEventType.RUN_START, step_key=None),
              SimpleNamespace(event_type=DagsterEventType.STEP_START, step_key="ingest_landing"),
              SimpleNamespace(event_type=DagsterEventType.STEP_OUTPUT, step_key="ingest_landing"),
              SimpleNamespace(event_type=DagsterEventType.STEP_SUCCESS, step_key="ingest_landing"),
              SimpleNamespace(event_type=DagsterEventType.STEP_START, step_key="dbt_models"),
              SimpleNamespace(event_type=DagsterEventType.STEP_FAILURE, step_key="dbt_models")]
    heard = []
    with G.step_listener(lambda *args: heard.append(args)):
        assert list(G._with_step_notes(iter(events))) == events
    assert heard == [("ingest_landing", "started", None), ("ingest_landing", "done", 2.5),
                     ("dbt_models", "started", None), ("dbt_models", "failed", 7.0)]

    def broken(*args):
        raise RuntimeError("the terminal went away")

    clock = iter([0.0] * 4)
    with G.step_listener(broken):
        assert list(G._with_step_notes(iter(events))) == events
    assert list(G._with_step_notes(iter(events))) == events  # no listener


def test_the_interrupt_watcher_ends_as_soon_as_its_run_does(monkeypatch):
    """Leaving the watcher wakes its thread instead of waiting for its next look (a run's end waited up to half
    a second); the signal wake-up descriptor is given back."""
    monkeypatch.setattr(run_guard, "WATCH_POLL_SECONDS", 3600)  # only the wake-up can end the thread now
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    watcher = run_guard.InterruptWatcher(instance=None, run=None)
    with watcher:
        thread = watcher._thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()
    assert signal.set_wakeup_fd(before) == before
