"""Run the monthly flow for one period through Dagster, on the persistent instance of the home.

Used by ``pmo run`` and ``pmo demo``: the runs are recorded in ``<home>/dagster`` and appear in the
UI's run history.  The outcome lists every failed check and failed step in plain words.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field

from orchestration.settings import Settings, activate

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class RunOutcome:
    period: str
    run_id: str
    success: bool
    seconds: float
    log_path: str = ""
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)

    @property
    def blocked_by_check(self) -> bool:
        return bool(self.failed_checks)


def run_period(settings: Settings, period: str) -> RunOutcome:
    """Materialise every asset of the monthly job for ``period`` and report what happened."""
    activate(settings)
    from dagster import DagsterEventType, DagsterInstance, execute_job, reconstructable

    from orchestration import definitions

    started = time.monotonic()
    # dbt's own console output goes to a log file; the Dagster UI keeps it with the run as well.
    log_path = settings.dbt_log_dir / f"run-{period}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with DagsterInstance.get() as instance, open(log_path, "w", encoding="utf-8") as log, \
            contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = execute_job(
            reconstructable(definitions.monthly_job),
            instance=instance,
            tags={"dagster/partition": period, "pmo/trigger": "cli"},
            run_config=QUIET_RUN_CONFIG,
        )
        outcome = RunOutcome(period, result.run_id, result.success, time.monotonic() - started, str(log_path))
        for event in result.all_events:
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                if not evaluation.passed:
                    key = evaluation.asset_key.to_user_string()
                    text = f"{key} · {evaluation.check_name}"
                    desc = (evaluation.description or "").strip()
                    meta = evaluation.metadata or {}
                    if not desc and "status" in meta:
                        desc = f"dbt test status: {meta['status'].value}"
                    if desc:
                        text += f": {desc}"
                    outcome.failed_checks.append(text)
            elif event.event_type == DagsterEventType.STEP_FAILURE:
                error = event.event_specific_data.error
                message = error.message.strip() if error else "failed"
                if error and error.cause is not None and "Failure" not in (error.cls_name or ""):
                    message += f" (caused by {error.cause.message.strip()})"
                outcome.failed_steps.append(f"{event.step_key}: {message}")
            elif event.event_type == DagsterEventType.STEP_SKIPPED:
                outcome.skipped_steps.append(event.step_key)
    return outcome
