"""Drive `pmo run` as a separate process and watch it through the home's Dagster instance.

The kill and cancel tests start `pmo run` in its own session (so the whole process group, dbt
included, can be signalled like a service manager or an OOM kill would), wait until the run has
reached a given step by polling the instance's step events, and then send a signal.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PMO = str(Path(sys.executable).with_name("pmo"))
PERIOD = "2026-03"


def make_home(root: Path) -> Path:
    """A home with a small demo organisation (5 projects, canonical CSV, 2026-02 and 2026-03)."""
    from orchestration.demo.generator import generate_demo
    from orchestration.settings import init_home, load_settings

    settings = load_settings(root)
    init_home(settings)
    generate_demo(settings.landing_dir, seed=7, projects=5, months=2, as_of=PERIOD)
    return root


@contextmanager
def instance_for(home: Path):
    """The Dagster instance of ``home`` (read from this process, as `pmo ui` would)."""
    from dagster import DagsterInstance

    from orchestration.settings import activate, load_settings

    saved = {k: os.environ.get(k) for k in ("PMO_HOME", "DAGSTER_HOME", "PMO_WAREHOUSE_PATH", "PMO_DAGSTER_STORAGE")}
    activate(load_settings(home))
    try:
        with DagsterInstance.get() as instance:
            yield instance
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class RunProcess:
    proc: subprocess.Popen
    out: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 900) -> int:
        return self.proc.wait(timeout=timeout)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.proc.pid, signum)


#: For a run that must spend its dbt step in dbt on data the last build already saw (to be stopped there): the
#: build would otherwise keep every node and not start dbt (orchestration/defs/dbt_keep.py).
BUILD_EVERY_NODE = {"PMO_DBT_KEEP": "off"}


def start_run(home: Path, period: str, log_dir: Path, name: str = "run",
              extra_env: dict[str, str] | None = None) -> RunProcess:
    """`pmo run --home HOME --period PERIOD` in a new session; its stdout and stderr go to a file."""
    out = log_dir / f"{name}-{time.monotonic_ns()}.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMO_", "DAGSTER_"))}
    env["COLUMNS"] = "200"
    env.update(extra_env or {})
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([PMO, "run", "--home", str(home), "--period", period], stdout=fh,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return RunProcess(proc, out)


def run_of_process(instance, pid: int):
    """The run that process ``pid`` executes (its pmo/pid tag), or None before it has created it."""
    for run in instance.get_runs(limit=5):
        if run.tags.get("pmo/pid") == str(pid):
            return run
    return None


def wait_for_step(home: Path, rp: RunProcess, step: str, timeout: float = 900, poll: float = 0.5) -> str:
    """Wait until the run of ``rp`` has started ``step``; returns the run id.  Fails if the process ends first."""
    from dagster import DagsterEventType

    deadline = time.monotonic() + timeout
    with instance_for(home) as instance:
        while time.monotonic() < deadline:
            if rp.proc.poll() is not None:
                raise AssertionError(f"pmo run ended (exit {rp.proc.returncode}) before step {step}:\n{rp.output()}")
            run = run_of_process(instance, rp.pid)
            if run is not None:
                started = {e.step_key for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)}
                if step in started:
                    return run.run_id
            time.sleep(poll)
    raise AssertionError(f"step {step} did not start within {timeout} s:\n{rp.output()}")


def kill_at_step(home: Path, period: str, step: str, log_dir: Path, signum: int = signal.SIGKILL,
                 delay: float = 0.0, extra_env: dict[str, str] | None = None) -> tuple[str, int, str]:
    """Start a run, signal its process group once ``step`` has started (after ``delay`` s); returns the run id,
    the exit status (negative: killed by that signal) and the output."""
    rp = start_run(home, period, log_dir, extra_env=extra_env)
    try:
        run_id = wait_for_step(home, rp, step)
        if delay:
            time.sleep(delay)
        rp.signal_group(signum)
        code = rp.wait()
    finally:
        if rp.proc.poll() is None:
            rp.signal_group(signal.SIGKILL)
            rp.wait()
    return run_id, code, rp.output()


def slot_state(home: Path) -> tuple[list[str], list[str]]:
    """The runs holding a duckdb_writer slot, and the runs with a step queued for one."""
    from orchestration.defs.partitions import DUCKDB_WRITER_POOL

    with instance_for(home) as instance:
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_WRITER_POOL)
        return [s.run_id for s in info.claimed_slots], [p.run_id for p in info.pending_steps]


def assert_clean_console(output: str) -> None:
    """A failed or canceled run prints its summary alone: no Dagster log line, no stack trace."""
    assert "Traceback" not in output and " - ERROR - " not in output and " - dagster - " not in output, output
