"""Crash safety of the monthly job: who runs it, which runs died, who holds the writer slot.

Every step that writes the warehouse claims the one slot of the ``duckdb_writer`` pool
(``concurrency_slots`` in the instance's event storage).  Dagster frees a slot when its step ends,
so a run whose process is SIGKILLed, OOM-killed or lost in a reboot keeps its slot for ever, stays
STARTED, and every later run waits for that slot; and Dagster 1.13's in-process executor waits
in a loop that never sleeps (``InstanceConcurrencyContext.interval_to_next_pending_claim_check``
returns ``min([0, ...])``) and never looks at SIGINT/SIGTERM.  This module closes those holes
with an executor the monthly job uses whoever starts it (``pmo run``, the schedule, the sensor,
the UI):

* **Identity.**  When a run starts executing, its run tags get ``pmo/host``, ``pmo/pid`` and
  ``pmo/pid_started`` (the process's start time, so a reused pid is not taken for the run).
* **Recovery.**  Before it claims anything, the run looks at every other run of the instance
  that is NOT_STARTED (with a pid tag), STARTING, STARTED or CANCELING: a run on this host whose
  process is gone is marked failed (a CANCELING one canceled) with a message saying so, its
  slots are freed, and its summary and alert are written (:mod:`orchestration.pipeline.alerts`).  Slots
  still held by runs that ended are freed too.  Runs from before these tags existed are judged by
  the pid of Dagster's "Executing steps in process (pid: N)" event.  While it waits for a slot the
  run repeats this every :data:`RECHECK_SECONDS`, so a holder that dies during the wait is noticed.
* **Waiting.**  A run waiting for a slot sleeps between claims, logs which run holds the slot
  (period, step, pid, host) and gives up after ``slot_wait_minutes`` (settings.yaml) with
  :class:`SlotWaitTimeout`, which fails the run with that message.
* **Cancelling.**  SIGINT/SIGTERM cancel the run.  Dagster's own handler interrupts the step that
  runs (or, here, the wait for a slot), but it cannot be relied on alone: dagster-dbt swallows an
  interrupt that lands while it sets up its dbt adapter (a bare ``except:``), and it reads dbt's
  output in a worker thread, so an interrupt never reaches the code that would stop dbt.  So a
  watcher thread, woken through the signal wakeup fd, also reports the run CANCELING at once,
  forwards SIGINT to the run's child processes (dbt; SIGKILL if one is still there after
  :data:`CHILD_GRACE_SECONDS`), and raises Dagster's interrupt flag, so no further step starts.
  Dagster then ends the run CANCELED; its slots are freed.
* **Leftovers.**  When no other run is alive, the temporary files of a step that was killed
  half-way (``.serving-*.duckdb``, ``parquet/.*.tmp``, the pack's ``.pdf.tmp``, a half-replaced
  ``reported/<period>``) are removed or put back: publish and the pack only ever rename complete
  files into place, so what is left of a killed step is never read.

What stays manual: a run on another host (its pid cannot be checked from here) and a dbt process
orphaned by killing the Python process alone (kill the process group, as a service manager does).

The executor reuses Dagster's in-process executor internals (pinned: dagster==1.13.27).
"""
from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter, executor
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG, _core_in_process_executor_creation
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData, JobFailureData, RunFailureReason
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import inner_plan_execution_iterator
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.executor.in_process import InProcessExecutor
from dagster._utils import interrupts as dagster_interrupts
from dagster._utils.interrupts import check_captured_interrupt, pop_captured_interrupt

from orchestration.defs.partitions import DUCKDB_WRITER_POOL

_log = logging.getLogger(__name__)

HOST_TAG = "pmo/host"
PID_TAG = "pmo/pid"
PID_STARTED_TAG = "pmo/pid_started"
PARTITION_TAG = "dagster/partition"
#: Statuses of a run that may have a process working on it.
ACTIVE_STATUSES = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
                   DagsterRunStatus.CANCELING]
#: While a run waits for a slot, how often it looks again for dead holders and says who holds it.
RECHECK_SECONDS = 10.0
#: The longest sleep between two claims (and so the longest delay before an interrupt is seen).
MAX_CLAIM_SLEEP = 1.0
#: Two start times of one process differ by less than this (they are rounded to clock ticks).
START_TIME_SLACK = 2.0
#: After an interrupt, how long a child process (dbt) may take to stop on SIGINT before it is killed.
CHILD_GRACE_SECONDS = 20.0
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SlotWaitTimeout(Exception):
    """A run waited ``slot_wait_minutes`` for a pool slot held by another live run and gave up."""


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------

def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from /proc; None if it is gone or unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    boot = _boot_time()
    if boot is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: starttime in ticks


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def identity_tags(pid: int | None = None) -> dict[str, str]:
    """The run tags that say which process runs a run: host, pid and the process's start time."""
    pid = pid or os.getpid()
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(pid)}
    started = process_started_at(pid)
    if started is not None:
        tags[PID_STARTED_TAG] = f"{started:.0f}"
    return tags


@dataclass
class RunProcess:
    """A run of the instance and what is known of the process working on it."""
    run_id: str
    period: str | None
    status: str
    host: str | None
    pid: int | None
    alive: bool | None   # None: cannot be told from here (another host, no pid recorded)
    why: str
    step: str | None     # the step it was in (started, not finished)
    started_at: float | None

    def describe(self) -> str:
        where = f"pid {self.pid}" if self.pid else "unknown process"
        if self.host:
            where += f" on {self.host}"
        when = (datetime.fromtimestamp(self.started_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
                if self.started_at else "an unknown time")
        return (f"run {self.run_id[:8]} (period {self.period or '?'}, {self.status.lower()}"
                f"{', step ' + self.step if self.step else ''}, {where}, started {when})")


def _legacy_pid(instance: DagsterInstance, run_id: str) -> int | None:
    """The pid of Dagster's 'Executing steps in process (pid: N)' event, for runs without a pid tag."""
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        meta = getattr(data, "metadata", None) or {}
        if "pid" in meta:
            try:
                return int(meta["pid"].value)
            except (TypeError, ValueError):
                continue
    return None


def _current_step(instance: DagsterInstance, run_id: str) -> str | None:
    started, ended = [], set()
    for entry in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                    DagsterEventType.STEP_FAILURE}):
        if entry.dagster_event_type == DagsterEventType.STEP_START:
            started.append(entry.step_key)
        else:
            ended.add(entry.step_key)
    pending = [s for s in started if s not in ended]
    return pending[-1] if pending else None


def inspect_run(instance: DagsterInstance, run) -> RunProcess:
    """Is the process of ``run`` alive?  Judged on this host only."""
    record = instance.get_run_record_by_id(run.run_id)
    started_at = (record.start_time or record.create_timestamp.timestamp()) if record else None
    host = run.tags.get(HOST_TAG)
    pid_text = run.tags.get(PID_TAG)
    pid = int(pid_text) if pid_text and pid_text.isdigit() else _legacy_pid(instance, run.run_id)
    step = _current_step(instance, run.run_id)
    info = RunProcess(run.run_id, run.tags.get(PARTITION_TAG), run.status.value, host, pid, None, "", step,
                      started_at)
    if host and host != socket.gethostname():
        info.why = f"it runs on another host ({host}); its process cannot be checked from {socket.gethostname()}"
        return info
    if pid is None:
        info.why = "no process id was recorded for it"
        return info
    info.host = host or socket.gethostname()
    if pid == os.getpid():
        # Runs of one process (pmo demo) run one after another: an earlier one still open has ended.
        info.alive, info.why = False, f"its process ({pid}) has gone on to another run"
        return info
    proc_started = process_started_at(pid)
    if proc_started is None:
        if _pid_exists(pid):
            info.alive, info.why = True, f"process {pid} is running"
        else:
            info.alive, info.why = False, f"process {pid} no longer exists"
        return info
    recorded = run.tags.get(PID_STARTED_TAG)
    if recorded is not None:
        same = abs(proc_started - float(recorded)) <= START_TIME_SLACK
    else:  # a run from before the tags: the process must have started before the run did
        same = started_at is None or proc_started <= started_at + START_TIME_SLACK
    if same:
        info.alive, info.why = True, f"process {pid} is running"
    else:
        info.alive, info.why = False, f"process {pid} ended (the pid now belongs to another process)"
    return info


# --------------------------------------------------------------------------------------------
# Recovery
# --------------------------------------------------------------------------------------------

@dataclass
class Recovered:
    run: RunProcess
    message: str
    new_status: str


def other_active_runs(instance: DagsterInstance, current_run_id: str | None) -> list:
    runs = instance.get_runs(filters=RunsFilter(statuses=ACTIVE_STATUSES))
    return [r for r in runs if r.run_id != current_run_id
            and not (r.status == DagsterRunStatus.NOT_STARTED and PID_TAG not in r.tags)]


def recover_dead_runs(instance: DagsterInstance, current_run_id: str | None = None) -> list[Recovered]:
    """Mark the runs whose process died failed (a CANCELING one canceled) and free their slots; free
    the slots still held by runs that have ended.  Returns the runs recovered."""
    recovered: list[Recovered] = []
    by = f"run {current_run_id[:8]}" if current_run_id else "pmo"
    for run in other_active_runs(instance, current_run_id):
        info = inspect_run(instance, run)
        if info.alive is not False:
            continue
        run = instance.get_run_by_id(run.run_id)  # another run may have recovered it meanwhile
        if run is None or run.status not in ACTIVE_STATUSES:
            continue
        where = f" during step {info.step}" if info.step else ""
        verb = "canceled" if run.status == DagsterRunStatus.CANCELING else "failed"
        message = (f"Its process died{where} ({info.why}); {by} marked it {verb} and freed its writer slot.")
        if run.status == DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message=message)
            status = "canceled"
        else:
            instance.report_run_failed(run, message=message, job_failure_data=JobFailureData(
                error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION))
            status = "failed"
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(Recovered(info, message, status))
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        pools = [p.name for p in storage.get_pool_limits()]
        holders = set(storage.get_concurrency_run_ids())
        for concurrency in storage.get_concurrency_infos(pools).values():
            holders |= {s.run_id for s in concurrency.claimed_slots}
        for run_id in holders - {current_run_id}:
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
    return recovered


def slot_holders(instance: DagsterInstance, pool: str = DUCKDB_WRITER_POOL,
                 current_run_id: str | None = None) -> list[RunProcess]:
    """The other runs holding a slot of ``pool`` (or queued before this one for it)."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    run_ids = list(dict.fromkeys([s.run_id for s in info.claimed_slots]
                                 + [p.run_id for p in info.pending_steps if p.assigned_timestamp]))
    out = []
    for run_id in run_ids:
        if run_id == current_run_id:
            continue
        run = instance.get_run_by_id(run_id)
        if run is not None:
            out.append(inspect_run(instance, run))
    return out


def describe_holders(holders: list[RunProcess]) -> str:
    return "; ".join(h.describe() for h in holders) if holders else "another run (it has just released it)"


# --------------------------------------------------------------------------------------------
# Leftovers of a step killed half-way
# --------------------------------------------------------------------------------------------

def sweep_leftovers(home: Path) -> list[str]:
    """Remove the temporary files of steps killed half-way and put back a half-replaced frozen period.

    Only call it when no other run of the home is alive: a live run may be writing these files.
    Publish, the pack and the archive write a temporary file and rename it into place, so none of
    these was ever read.  Returns what was done, one line per file.
    """
    home = Path(home)
    done: list[str] = []

    def remove(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        done.append(f"removed {path.relative_to(home)}")

    patterns = [".serving-*.duckdb", ".serving-*.duckdb.wal", "parquet/.*.parquet.tmp",
                "reports/*/.portfolio-pack.*.pdf.tmp", "quality/*/.*.json.tmp", "archive/.*.tmp",
                "archive/unpacked/*/.*.tmp", "reported/*/.manifest-*"]
    for pattern in patterns:
        for path in sorted(home.glob(pattern)):
            remove(path)
    reported = home / "reported"
    if reported.is_dir():
        for path in sorted(reported.glob(".*-replaced")):
            final = reported / path.name[1:-len("-replaced")]
            if not final.exists():
                os.replace(path, final)
                done.append(f"restored {final.relative_to(home)} (its replacement was interrupted)")
            else:
                remove(path)
        for path in sorted(reported.glob(".*-*")):
            if path.is_dir() and not path.name.endswith("-replaced"):
                remove(path)  # a snapshot staged by a run that did not finish
    return done


# --------------------------------------------------------------------------------------------
# Waiting for a slot
# --------------------------------------------------------------------------------------------

_wait_listener: Callable[[str], None] | None = None


@contextmanager
def wait_listener(callback: Callable[[str], None] | None) -> Iterator[None]:
    """Call ``callback(text)`` while a run of this process waits for a slot (``pmo run``'s spinner)."""
    global _wait_listener
    previous, _wait_listener = _wait_listener, callback
    try:
        yield
    finally:
        _wait_listener = previous


def _tell(listener: Callable[..., None] | None, *args) -> None:
    """Call a display's listener (:func:`wait_listener`, :func:`step_listener`); what it raises is logged at debug
    level and otherwise ignored: a display problem must not stop the run."""
    if listener is not None:
        try:
            listener(*args)
        except Exception:
            _log.debug("a run listener failed; the run goes on", exc_info=True)


def _notify(text: str) -> None:
    _tell(_wait_listener, text)


_step_listener: Callable[[str, str, float | None], None] | None = None
_STEP_OUTCOMES = {DagsterEventType.STEP_START: "started", DagsterEventType.STEP_SUCCESS: "done",
                  DagsterEventType.STEP_FAILURE: "failed", DagsterEventType.STEP_SKIPPED: "skipped"}


@contextmanager
def step_listener(callback: Callable[[str, str, float | None], None] | None) -> Iterator[None]:
    """Call ``callback(step_key, what, seconds)`` as a run of this process starts and ends its steps (``pmo run``'s
    progress): ``what`` is 'started', 'done', 'failed' or 'skipped', ``seconds`` the time since the step
    started (None when it starts, or when it is skipped without starting)."""
    global _step_listener
    previous, _step_listener = _step_listener, callback
    try:
        yield
    finally:
        _step_listener = previous


def _with_step_notes(events: Iterator[DagsterEvent]) -> Iterator[DagsterEvent]:
    """``events`` passed on unchanged, each step's start and end told to the :func:`step_listener`."""
    started: dict[str, float] = {}
    for event in events:
        listener, what, key = _step_listener, _STEP_OUTCOMES.get(event.event_type), event.step_key
        if listener is not None and what is not None and key:
            now = time.monotonic()
            if what == "started":
                started[key] = now
            begun = started.get(key)
            _tell(listener, key, what, None if what == "started" or begun is None else now - begun)
        yield event


class GuardedConcurrencyContext(InstanceConcurrencyContext):
    """Dagster's slot claims, plus: a real sleep between claims, interrupts seen while waiting, dead
    holders recovered while waiting, a message naming the holder, and a time limit."""

    def __init__(self, instance, dagster_run, *, timeout_seconds: float, log=None):
        super().__init__(instance, dagster_run)
        self._timeout = timeout_seconds
        self._log = log
        self._waiting_since: dict[str, float] = {}
        self._last_check = 0.0
        self._said = ""

    def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
        if check_captured_interrupt():
            pop_captured_interrupt()
            raise DagsterExecutionInterruptedError(f"interrupted while {step_key} waited for the {concurrency_key} slot")
        if super().claim(concurrency_key, step_key, step_priority):
            if self._waiting_since.pop(step_key, None) is not None:
                self._say(f"{step_key} got the {concurrency_key} slot; running")
            return True
        now = time.monotonic()
        since = self._waiting_since.setdefault(step_key, now)
        if now - self._last_check >= RECHECK_SECONDS or since == now:
            self._last_check = now
            for rec in recover_dead_runs(self._instance, self._run_id):
                self._say(f"recovered {rec.run.describe()}: {rec.message}")
                _record_recovered(self._instance, rec)
                self._pending_timeouts[step_key] = 0.0  # claim again at once
            holders = slot_holders(self._instance, concurrency_key, self._run_id)
            limit = f"{self._timeout / 60:g} min"
            self._say(f"{step_key} is waiting for the {concurrency_key} slot held by {describe_holders(holders)}; "
                      f"waited {now - since:.0f} s of at most {limit} (slot_wait_minutes in settings.yaml)")
        if now - since > self._timeout:
            holders = slot_holders(self._instance, concurrency_key, self._run_id)
            raise SlotWaitTimeout(
                f"Gave up after waiting {self._timeout / 60:g} min for the {concurrency_key} slot (the warehouse "
                f"writer), held by {describe_holders(holders)}, which is still running. Let it finish and run "
                "again, or raise slot_wait_minutes in settings.yaml.")
        return False

    def interval_to_next_pending_claim_check(self) -> float:
        # Dagster's own returns min([0, ...]) <= 0: the executor would never sleep.
        if not self._pending_claims:
            return 0.0
        now = time.time()
        due = min((t - now for t in self._pending_timeouts.values()), default=0.0)
        return max(0.0, min(due, MAX_CLAIM_SLEEP))

    def _say(self, text: str) -> None:
        if text == self._said:
            return
        self._said = text
        if self._log is not None:
            self._log.info(text)
        _notify(text)


def _record_recovered(instance: DagsterInstance, rec: Recovered) -> None:
    """The summary and alert of a run found dead (it could not write them itself)."""
    from orchestration.pipeline.alerts import record_run_end

    run = instance.get_run_by_id(rec.run.run_id)
    if run is not None:
        try:
            record_run_end(instance, run)
        except Exception:  # never stop the run that found it
            pass


# --------------------------------------------------------------------------------------------
# Interrupts
# --------------------------------------------------------------------------------------------

_signals_received: list[int] = []


def signals_received() -> list[int]:
    """SIGINT/SIGTERM received while the last run of this process executed, oldest first."""
    return list(_signals_received)


def child_processes(pid: int | None = None) -> list[int]:
    """The direct children of ``pid`` (default: this process), from /proc, without Dagster's log tails."""
    pid = pid or os.getpid()
    out = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
            continue
        program = os.path.basename(cmdline[0].decode(errors="replace")) if cmdline and cmdline[0] else ""
        if program == "tail" or any(b"watch_orphans" in part for part in cmdline):
            continue  # Dagster's compute-log mirrors: they end with the run
        out.append(int(entry.name))
    return out


#: How often the watcher looks at the run's children once it is stopping them (and for a signal it missed).
WATCH_POLL_SECONDS = 0.5


class InterruptWatcher:
    """While a run executes: on SIGINT/SIGTERM, report it CANCELING, stop its child processes and raise
    Dagster's interrupt flag.  Woken through ``signal.set_wakeup_fd`` (main thread only), so it acts
    whatever Python handler is installed and wherever the main thread is."""

    def __init__(self, instance: DagsterInstance, run) -> None:
        self._instance = instance
        self._run = run
        self._lock = threading.Lock()
        self._canceling = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fds = (-1, -1)
        self._previous_wakeup = -1

    def __enter__(self) -> InterruptWatcher:
        _signals_received.clear()
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._fds = (read_fd, write_fd)
        self._previous_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        self._thread = threading.Thread(target=self._watch, name="pmo-interrupt-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is None:
            return
        self._stop.set()
        try:  # wake the watcher's select now (a byte no signal has) rather than at its next half-second
            os.write(self._fds[1], b"\0")
        except OSError:  # the pipe is full of signal numbers: the watcher is awake anyway
            pass
        self._thread.join(timeout=5)
        signal.set_wakeup_fd(self._previous_wakeup)
        for fd in self._fds:
            os.close(fd)

    def report_canceling(self, message: str) -> None:
        """Report the run CANCELING once (from the watcher or from the executor, whichever is first)."""
        with self._lock:
            if self._canceling:
                return
            self._canceling = True
            current = self._instance.get_run_by_id(self._run.run_id)
            if current is not None and current.status not in (DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED):
                self._instance.report_run_canceling(self._run, message=message)

    def _watch(self) -> None:
        read_fd = self._fds[0]
        deadline: float | None = None
        signalled: dict[int, float] = {}
        while not self._stop.is_set():
            ready, _, _ = select.select([read_fd], [], [], WATCH_POLL_SECONDS)
            if ready:
                try:
                    data = os.read(read_fd, 64)
                except BlockingIOError:
                    data = b""
                for signum in data:
                    if signum not in INTERRUPT_SIGNALS:
                        continue
                    _signals_received.append(signum)
                    dagster_interrupts._received_interrupt["received"] = True  # no further step starts
                    if deadline is None:
                        deadline = time.monotonic() + CHILD_GRACE_SECONDS
                        try:
                            self.report_canceling(f"{signal.Signals(signum).name} received: canceling the run.")
                        except Exception:  # the executor reports it again when the interrupt reaches it
                            pass
            if deadline is None:
                continue
            # Stop the children (dbt) the run has now, and any it starts while it winds down.
            for pid in child_processes():
                try:
                    if pid not in signalled:
                        os.kill(pid, signal.SIGINT)
                        signalled[pid] = time.monotonic()
                    elif time.monotonic() > deadline:
                        os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --------------------------------------------------------------------------------------------
# The executor
# --------------------------------------------------------------------------------------------

def _slot_wait_seconds() -> float:
    from orchestration.settings import DEFAULT_SLOT_WAIT_MINUTES, SettingsError, load_settings

    try:
        return load_settings().slot_wait_minutes * 60
    except SettingsError:
        return DEFAULT_SLOT_WAIT_MINUTES * 60


class GuardedInProcessExecutor(InProcessExecutor):
    """Dagster's in-process executor with the identity, recovery, waiting and cancelling of this module."""

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        instance = plan_context.instance
        run = plan_context.dagster_run
        tags = identity_tags()
        if any(run.tags.get(k) != v for k, v in tags.items()):
            instance.add_run_tags(run.run_id, tags)
        for rec in recover_dead_runs(instance, run.run_id):
            yield DagsterEvent.engine_event(plan_context, f"Recovered {rec.run.describe()}: {rec.message}",
                                            EngineEventData())
            _record_recovered(instance, rec)
        if not any(inspect_run(instance, r).alive is not False for r in other_active_runs(instance, run.run_id)):
            from orchestration.settings import load_settings

            done = sweep_leftovers(load_settings().home)
            if done:
                yield DagsterEvent.engine_event(plan_context, "Cleaned up after an interrupted step: " + "; ".join(done),
                                                EngineEventData())
        timeout = _slot_wait_seconds()

        def guarded_iterator(job_context, execution_plan, instance_concurrency_context=None):
            with GuardedConcurrencyContext(job_context.instance, job_context.dagster_run, timeout_seconds=timeout,
                                           log=job_context.log) as concurrency:
                yield from _with_step_notes(inner_plan_execution_iterator(job_context, execution_plan, concurrency))

        yield DagsterEvent.engine_event(plan_context, f"Executing steps in process (pid: {os.getpid()})",
                                        EngineEventData.in_process(os.getpid(), execution_plan.step_keys_to_execute))
        with InterruptWatcher(instance, run) as watcher:
            try:
                yield from iter(ExecuteRunWithPlanIterable(
                    execution_plan=plan_context.execution_plan,
                    iterator=guarded_iterator,
                    execution_context_manager=PlanExecutionContextManager(
                        job=plan_context.job,
                        retry_mode=plan_context.retry_mode,
                        execution_plan=plan_context.execution_plan,
                        run_config=plan_context.run_config,
                        dagster_run=plan_context.dagster_run,
                        instance=plan_context.instance,
                        raise_on_error=plan_context.raise_on_error,
                        output_capture=plan_context.output_capture,
                        step_dependency_config=self.step_dependency_config,
                    ),
                ))
            except (KeyboardInterrupt, DagsterExecutionInterruptedError):
                watcher.report_canceling("Interrupted (SIGINT or SIGTERM): canceling the run.")
                raise
            finally:
                # Slots of steps cut short are not freed by Dagster (it frees a slot when its step ends).
                instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


@executor(name="pmo_in_process", config_schema=IN_PROC_CONFIG)
def guarded_in_process_executor(init_context):
    """Every step in the run's own process, one after another (DuckDB allows one writer per file), with
    crash recovery, a bounded wait for the writer slot and clean cancelling (orchestration/defs/run_guard.py)."""
    base = _core_in_process_executor_creation(init_context.executor_config)
    return GuardedInProcessExecutor(retries=base.retries, step_dependency_config=base.step_dependency_config)
