"""Run the monthly flow for one period through Dagster, on the persistent instance of the home.

Used by ``pmo run`` and ``pmo demo``: the runs are recorded in ``<home>/dagster`` and appear in the
UI's run history.  The outcome lists every failed check and failed step in plain words.

Crash safety (the executor of the job does the work, orchestration/defs/run_guard.py): the run is tagged
with this process's host and pid; runs whose process died are marked failed and their writer slot
freed before this one claims it; a wait for a slot held by a live run names that run and ends after
``slot_wait_minutes``.  SIGINT and SIGTERM cancel the run: it ends CANCELED in the instance with its
slot freed, and :attr:`RunOutcome.signal` says which signal did it (``pmo run`` exits 128 + signal).

Everything Dagster, dbt and Python print while the run executes goes to the run's log file
(``<home>/dbt/logs/run-<period>.log``), never to the terminal: the caller prints the outcome alone.

:func:`outcome_from_run` reads a finished run back from the instance; the run-status sensors
(orchestration/defs/sensors.py) use it for runs started by the schedule, the landing sensor or the UI.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import Settings, activate

#: Dagster's console logger writes into the run's log file (stdout and stderr are redirected there).
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """SIGINT or SIGTERM arrived before the run started executing (nothing to cancel in the instance)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class RunOutcome:
    period: str
    run_id: str
    success: bool
    seconds: float
    log_path: str = ""
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    summary_path: str = ""
    failed_steps: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)
    succeeded_steps: list[str] = field(default_factory=list)
    #: published | blocked (a blocking check failed) | failed | canceled | running
    status: str = ""
    #: Why the run failed or was canceled when no step or check says (a wait for the writer slot that
    #: gave up, a process that died, an interrupt).
    message: str = ""
    #: The signal (SIGINT 2, SIGTERM 15) that canceled the run, when this process received one.
    signal: int | None = None
    trigger: str = ""

    @property
    def blocked_by_check(self) -> bool:
        return bool(self.failed_checks)

    @property
    def canceled(self) -> bool:
        return self.status == "canceled"

    @property
    def published_serving(self) -> bool:
        """Whether this run replaced serving.duckdb and the Parquet files (even if it failed after)."""
        return "serving__snapshot" in self.succeeded_steps

    @property
    def exit_code(self) -> int:
        """0 published; 128 + signal when a signal canceled it (130 SIGINT, 143 SIGTERM); else 1."""
        if self.success:
            return 0
        if self.canceled and self.signal:
            return 128 + self.signal
        return 1


class _Signals:
    """SIGINT/SIGTERM around one run of this process.

    Before the run executes, a signal raises :class:`RunInterrupted`.  While it executes, Dagster's
    handler and the executor's watcher cancel the run (orchestration/defs/run_guard.py), which records
    the signal.  After the run, signals are only recorded, so its summary is always written whole.
    """

    def __init__(self) -> None:
        self.active = threading.current_thread() is threading.main_thread()
        self.after_run = False
        self.late: list[int] = []
        self._previous: dict = {}

    def __enter__(self) -> _Signals:
        if self.active:
            self._previous = {s: signal.getsignal(s) for s in INTERRUPT_SIGNALS}
            for s in INTERRUPT_SIGNALS:
                signal.signal(s, self._handle)
        return self

    def _handle(self, signum, _frame) -> None:
        if self.after_run:
            self.late.append(signum)
        else:
            raise RunInterrupted(signum)

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            if handler is not None:
                signal.signal(s, handler)


def run_period(settings: Settings, period: str, on_wait: Callable[[str], None] | None = None, *,
               start: str | None = None, tags: dict | None = None,
               on_step: Callable[[str, str, float | None], None] | None = None) -> RunOutcome:
    """Materialise every asset of the monthly job for ``period`` and report what happened.

    With ``start`` (a backfill), the run covers every period from ``start`` to ``period``: one build
    of the marts, then a pack for each period.  ``tags`` are added to the run's tags.

    ``on_step(step_key, what, seconds)`` is called as each step starts and ends
    (:func:`orchestration.defs.run_guard.step_listener`).
    ``on_wait(text)`` is called while the run waits for the warehouse writer slot, with the run
    that holds it.  Raises :class:`RunInterrupted` when SIGINT/SIGTERM arrives before the run starts.
    """
    activate(settings)
    from orchestration.defs.dbt_warm import load_dagster_dbt_without_dbt_core, warm_dbt, warm_dbt_applies

    # dbt's start-up (2 s) on the idle core while this process loads Dagster (orchestration/defs/dbt_warm.py)
    with _Signals() as signals, warm_dbt(warm_dbt_applies(settings.engine)):
        if settings.engine == "duckdb":
            load_dagster_dbt_without_dbt_core()  # dbt runs in its own process: 2 s of imports saved here
        from dagster import DagsterInstance, execute_job, reconstructable

        from orchestration.defs import definitions
        from orchestration.defs.assets import DBT_STEP
        from orchestration.defs.run_guard import identity_tags, signals_received, step_listener, wait_listener
        from orchestration.heap import settle

        started = time.monotonic()
        log_path = settings.dbt_log_dir / f"run-{period}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("", encoding="utf-8")  # this run's log alone
        with DagsterInstance.get() as instance:
            # Two descriptors on one file: Dagster mirrors stdout and stderr each into its compute logs. Both
            # append: a descriptor opened with "w" writes at its own offset, over the lines the other appended
            # (Dagster's own step lines, such as dbt's command, were lost under dbt's output).
            with open(log_path, "a", encoding="utf-8") as log, open(log_path, "a", encoding="utf-8") as log_err, \
                    contextlib.redirect_stdout(log), contextlib.redirect_stderr(log_err), _stderr_fd_to(log_path), \
                    warnings.catch_warnings(), wait_listener(on_wait), _event_batches(), \
                    _packs_prepared_during_dbt(on_step, DBT_STEP) as steps, step_listener(steps):
                warnings.simplefilter("ignore")
                try:
                    job = reconstructable(definitions.monthly_job)  # loads the code location and dbt's manifest
                    settle()  # which live until the process ends (orchestration/heap.py)
                    result = execute_job(
                        job,
                        instance=instance,
                        tags={**_partition_tags(start, period), "pmo/trigger": "cli", **(tags or {}),
                              **identity_tags()},
                        run_config=RUN_CONFIG,
                        raise_on_error=False,
                    )
                except RunInterrupted as exc:
                    _cancel_unstarted(instance, exc.signum)
                    raise
                signals.after_run = True
            run = instance.get_run_by_id(result.run_id)
            outcome, evaluations = outcome_from_run(instance, run, settings)
            outcome.seconds = time.monotonic() - started
            outcome.log_path = str(log_path)
            received = signals_received()
            if outcome.canceled and received:
                outcome.signal = received[0]
                stopped = "the run stopped after publishing." if outcome.published_serving else \
                    "the run stopped before publishing."
                outcome.message = f"Canceled by {signal.Signals(received[0]).name}; " + (outcome.message or stopped)
            outcome.summary_path = str(write_summary(settings, outcome, evaluations))
            if outcome.status in ("failed", "blocked"):
                from orchestration.pipeline.alerts import alert_run

                alert_run(settings, outcome)
    return outcome


@contextlib.contextmanager
def _event_batches():
    """Let Dagster hand the events it batches (a run's planned events, written as the run is created) to the event
    log in one piece (orchestration/defs/instance_storage.py): ``DAGSTER_EVENT_BATCH_SIZE`` while the run
    executes, unless set already."""
    from orchestration.defs.instance_storage import EVENT_BATCH_SIZE

    name = "DAGSTER_EVENT_BATCH_SIZE"
    if name in os.environ:
        yield
        return
    os.environ[name] = str(EVENT_BATCH_SIZE)
    try:
        yield
    finally:
        os.environ.pop(name, None)


@contextlib.contextmanager
def _packs_prepared_during_dbt(on_step: Callable[[str, str, float | None], None] | None, dbt_step: str):
    """A step listener that passes every step on to ``on_step`` and, as the step ``dbt_step`` (the dbt build,
    :data:`orchestration.defs.assets.DBT_STEP`) starts, loads what the pack step's first pack would wait for
    (:func:`orchestration.reports.render.prepare_process`) on a thread of its own.  dbt builds in its own process
    while this one mostly waits for its output, so the pack step no longer starts with about 1 s of imports on
    one core (bench/RESULTS.md).  Waits for the thread when the run ends."""
    started: list[threading.Thread] = []

    def listener(key: str, what: str, seconds: float | None) -> None:
        if key == dbt_step and what == "started" and not started:
            thread = threading.Thread(target=_prepare_packs, name="pmo-pack-prepare", daemon=True)
            thread.start()
            started.append(thread)
        if on_step is not None:
            on_step(key, what, seconds)

    try:
        yield listener
    finally:
        for thread in started:
            thread.join()


def _prepare_packs() -> None:
    from orchestration.reports.render import prepare_process

    try:
        prepare_process()
    except Exception:  # a missing library is the pack step's to report, in its own words
        logging.getLogger(__name__).debug("loading the pack's libraries ahead of the pack step failed", exc_info=True)


def _partition_tags(start: str | None, end: str) -> dict[str, str]:
    """One period's run, or a range's (a backfill): the tags Dagster reads the partitions from."""
    if start is None or start == end:
        return {"dagster/partition": end}
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}


@contextlib.contextmanager
def _stderr_fd_to(path: Path):
    """Point file descriptor 2 at the run's log while it executes: the helper processes Dagster starts
    (compute-log tails and their orphan watchers) inherit it, and print a KeyboardInterrupt traceback
    there, not on the terminal, when Ctrl-C reaches the whole process group."""
    try:
        sys.__stderr__.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):
        yield
        return
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def _cancel_unstarted(instance, signum: int) -> None:
    """A signal arrived while execute_job was creating the run, before Dagster took over the signals:
    mark the run this process created canceled (it never executed a step) and free anything it claimed."""
    from dagster import DagsterRunStatus, RunsFilter

    from orchestration.defs.run_guard import PID_TAG

    for run in instance.get_runs(filters=RunsFilter(tags={PID_TAG: str(os.getpid())},
                                                    statuses=[DagsterRunStatus.NOT_STARTED,
                                                              DagsterRunStatus.STARTING,
                                                              DagsterRunStatus.STARTED]), limit=5):
        instance.report_run_canceled(run, message=f"{signal.Signals(signum).name} received before the run started.")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def outcome_from_run(instance, run, settings: Settings) -> tuple[RunOutcome, list]:
    """What a run did, read back from its events: checks failed and warned, steps failed, and why it
    ended.  Returns the outcome and the check evaluations (for the summary)."""
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterRunStatus

    from orchestration.pipeline.quality import stored_failure_text

    status = {DagsterRunStatus.SUCCESS: "published", DagsterRunStatus.CANCELED: "canceled",
              DagsterRunStatus.FAILURE: "failed"}.get(run.status, "running")
    period = run.tags.get("dagster/partition") or run.tags.get("dagster/asset_partition_range_end", "")
    outcome = RunOutcome(period, run.run_id, run.status == DagsterRunStatus.SUCCESS,
                         0.0, status=status, trigger=_trigger(run))
    evaluations = []
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            evaluations.append(evaluation)
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                text = f"{key} · {evaluation.check_name}"
                desc = (evaluation.description or "").strip()
                meta = evaluation.metadata or {}
                if not desc and "status" in meta:
                    desc = f"dbt test status: {meta['status'].value}"
                    stored = stored_failure_text(settings.warehouse_path, evaluation.check_name)
                    desc += f"; {stored}" if stored else ""
                if desc:
                    text += f": {desc}"
                if evaluation.severity == AssetCheckSeverity.WARN:
                    outcome.warned_checks.append(text)
                else:
                    outcome.failed_checks.append(text)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            if error is not None and error.cls_name == "DagsterExecutionInterruptedError":
                outcome.failed_steps.append(f"{event.step_key}: interrupted")
                continue
            message = error.message.strip() if error else "failed"
            if error is not None and error.cls_name == "Failure":  # the step's own words, without the class
                message = message.removeprefix("dagster._core.definitions.events.Failure:").strip()
            if error and error.cause is not None and "Failure" not in (error.cls_name or ""):
                message += f" (caused by {error.cause.message.strip()})"
            outcome.failed_steps.append(f"{event.step_key}: {message}")
        elif event.event_type == DagsterEventType.STEP_SKIPPED:
            outcome.skipped_steps.append(event.step_key)
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            outcome.succeeded_steps.append(event.step_key)
        elif event.event_type in (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED):
            data = event.event_specific_data
            error = getattr(data, "error", None)
            reason = getattr(getattr(data, "failure_reason", None), "value", "")
            if error is not None and error.cls_name == "SlotWaitTimeout":
                outcome.message = error.message.split(": ", 1)[-1].strip()
            elif reason != "STEP_FAILURE" and not (error and error.cls_name == "DagsterExecutionInterruptedError"):
                outcome.message = (event.message or "").strip()
    if outcome.success and "serving__snapshot" in outcome.skipped_steps:
        # Dagster ends a run whose step did not yield every output it declared as a success, skipping what
        # depends on the missing output: publish among them. Nothing was published, so it is no success.
        outcome.success, outcome.status = False, "failed"
        outcome.message = (f"nothing was published: Dagster skipped {', '.join(outcome.skipped_steps)} because a "
                           "step before them did not give all its results (the run's log says which)")
    if outcome.status == "failed" and outcome.failed_checks:
        outcome.status = "blocked"
    return outcome, evaluations


def _trigger(run) -> str:
    tags = run.tags
    if tags.get("pmo/trigger"):
        return tags["pmo/trigger"]
    if tags.get("dagster/schedule_name"):
        return f"schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"sensor {tags['dagster/sensor_name']}"
    if tags.get("dagster/backfill"):
        return f"backfill {tags['dagster/backfill']}"
    return "ui"


def write_summary(settings: Settings, outcome: RunOutcome, evaluations) -> Path:
    """The run's quality summary, final: every check, the outcome, and the sources as ingested."""
    import duckdb

    from orchestration.defs.assets import records_from_evaluations
    from orchestration.pipeline.quality import (
        attach_stored_failures,
        build_run_summary,
        read_sources,
        write_run_summary,
    )
    from orchestration.warehouse import open_db

    sources: list[dict] = []
    try:
        con = open_db(settings.warehouse_path, read_only=True)
    except duckdb.Error:  # absent, or held by a writer (an orphaned dbt, another run)
        con = None
    if con is not None:
        try:
            sources = read_sources(con)
        except duckdb.Error:
            sources = []
        finally:
            con.close()
    records = attach_stored_failures(records_from_evaluations(evaluations), settings.warehouse_path)
    summary = build_run_summary(outcome.period, outcome.run_id, records,
                                status=outcome.status, sources=sources, failed_steps=outcome.failed_steps)
    summary["trigger"] = outcome.trigger
    if outcome.message:
        summary["message"] = outcome.message
    return write_run_summary(settings.quality_dir, summary)
