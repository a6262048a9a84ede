"""Run the monthly flow for one period through Dagster, on the persistent instance of the home.

Used by ``pmo run`` and ``pmo demo``: the runs are recorded in ``<home>/dagster`` and appear in the
UI's run history.  The outcome lists every failed check and failed step in plain words.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

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
    warned_checks: list[str] = field(default_factory=list)
    summary_path: str = ""
    failed_steps: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)

    @property
    def blocked_by_check(self) -> bool:
        return bool(self.failed_checks)


def run_period(settings: Settings, period: str, *, start: str | None = None, tags: dict | None = None) -> RunOutcome:
    """Materialise every asset of the monthly job for ``period`` and report what happened.

    With ``start`` (a backfill), the run covers every period from ``start`` to ``period``: one build
    of the marts, then a pack for each period.  ``tags`` are added to the run's tags.
    """
    activate(settings)
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance, execute_job, reconstructable

    from orchestration import definitions
    from orchestration.quality import stored_failure_text

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
            tags={**_partition_tags(start, period), "pmo/trigger": "cli", **(tags or {})},
            run_config=QUIET_RUN_CONFIG,
        )
        outcome = RunOutcome(period, result.run_id, result.success, time.monotonic() - started, str(log_path))
        evaluations = []
        for event in result.all_events:
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
                message = error.message.strip() if error else "failed"
                if error and error.cause is not None and "Failure" not in (error.cls_name or ""):
                    message += f" (caused by {error.cause.message.strip()})"
                outcome.failed_steps.append(f"{event.step_key}: {message}")
            elif event.event_type == DagsterEventType.STEP_SKIPPED:
                outcome.skipped_steps.append(event.step_key)
    outcome.summary_path = str(_write_summary(settings, outcome, evaluations))
    return outcome


def _partition_tags(start: str | None, end: str) -> dict[str, str]:
    """One period's run, or a range's (a backfill): the tags Dagster reads the partitions from."""
    if start is None or start == end:
        return {"dagster/partition": end}
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}


def _write_summary(settings: Settings, outcome: RunOutcome, evaluations) -> Path:
    """The run's quality summary, final: every check, the outcome, and the sources as ingested."""
    import duckdb

    from orchestration.quality import (
        attach_stored_failures,
        build_run_summary,
        read_sources,
        records_from_evaluations,
        write_run_summary,
    )

    sources: list[dict] = []
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error:
        con = None
    if con is not None:
        try:
            sources = read_sources(con)
        finally:
            con.close()
    status = "published" if outcome.success else ("blocked" if outcome.failed_checks else "failed")
    records = attach_stored_failures(records_from_evaluations(evaluations), settings.warehouse_path)
    summary = build_run_summary(outcome.period, outcome.run_id, records,
                                status=status, sources=sources, failed_steps=outcome.failed_steps)
    return write_run_summary(settings.quality_dir, summary)
