"""Sensors: new or changed files in landing/ request runs; runs that end badly get a summary and an alert.

* ``landing_files`` requests a run per period that new or changed files in landing/ touch.
* ``run_failure_alerts`` writes the quality summary of every failed run of the monthly job and alerts it
  (``<home>/alerts.log`` and the optional webhook, orchestration/pipeline/alerts.py), whoever started it.
* ``run_canceled_summaries`` writes the quality summary of every canceled run.

The two run-status sensors are running by default once the Dagster daemon runs; ``pmo run`` does the
same for its own runs without a daemon, and each run is summarised and alerted once.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration.contract import PERIOD_COLUMN
from orchestration.pipeline.landing import (
    Archive,
    LandingFile,
    iter_landing_files,
    load_sources_config,
    read_landing_file,
)
from orchestration.defs.partitions import monthly_periods
from orchestration.settings import Settings, load_settings

def periods_touched(item: LandingFile, settings: Settings) -> set[str]:
    """The reporting periods ('YYYY-MM') the rows of one landing file fall in."""
    report = read_landing_file(item, load_sources_config(settings.home))
    periods: set[str] = set()
    if report.result is None:
        return periods
    for entity, res in report.result.entities.items():
        column = PERIOD_COLUMN.get(entity)
        if column is None:
            continue
        for row in res.rows:
            value = row.get(column)
            if isinstance(value, date):
                periods.add(f"{value.year:04d}-{value.month:02d}")
            elif isinstance(value, str) and len(value) == 7:
                periods.add(value)
    return periods


def build_landing_sensor(job, running: bool = True):
    @sensor(job=job, name="landing_files", minimum_interval_seconds=60,
            default_status=DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED,
            description="Requests a run of the monthly job for every period that a new or changed file in "
                        "landing/ touches. Files with no dated rows (e.g. the project register) refresh the "
                        "latest period.")
    def landing_files(context: SensorEvaluationContext):
        settings = load_settings()
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        items = [i for i in iter_landing_files(settings.landing_dir, Archive(settings.archive_dir))
                 if isinstance(i, LandingFile)]
        current = {i.display: i.sha256 for i in items}
        changed = [i for i in items if seen.get(i.display) != i.sha256]
        if not changed:
            return SkipReason(f"no new or changed file among {len(items)} in {settings.landing_dir}")
        periods: set[str] = set()
        undated = []
        for item in changed:
            touched = periods_touched(item, settings)
            periods |= touched
            if not touched:
                undated.append(item.display)
        if undated and not periods:
            latest = max((p for i in items for p in periods_touched(i, settings)), default=None)
            if latest:
                periods.add(latest)
        valid = set(monthly_periods.get_partition_keys())
        state = hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]
        requests = [
            RunRequest(run_key=f"{period}:{state}", partition_key=period,
                       tags={"pmo/trigger": "landing_sensor"})
            for period in sorted(periods & valid)
        ]
        context.log.info(f"{len(changed)} new or changed file(s): runs for {', '.join(sorted(periods)) or 'none'}")
        return SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True))

    return landing_files


def build_run_end_sensors(job) -> list:
    """The run-status sensors of the monthly job: a summary for every run that fails or is canceled, and an
    alert for every failure."""

    @run_failure_sensor(name="run_failure_alerts", monitored_jobs=[job], minimum_interval_seconds=30,
                        default_status=DefaultSensorStatus.RUNNING,
                        description="Every failed run of the monthly job, whoever started it: writes its quality "
                                    "summary (quality/<period>/<run_id>.json) and an alert naming the failed step or "
                                    "check and the period to alerts.log and the alert_webhook of settings.yaml.")
    def run_failure_alerts(context: RunFailureSensorContext):
        from orchestration.pipeline.alerts import record_run_end

        path, line = record_run_end(context.instance, context.dagster_run)
        context.log.info(f"summary {path}; " + (f"alerted: {line}" if line else "already alerted"))

    @run_status_sensor(name="run_canceled_summaries", run_status=DagsterRunStatus.CANCELED, monitored_jobs=[job],
                       minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
                       description="Every canceled run of the monthly job: writes its quality summary.")
    def run_canceled_summaries(context: RunStatusSensorContext):
        from orchestration.pipeline.alerts import record_run_end

        path, _ = record_run_end(context.instance, context.dagster_run)
        context.log.info(f"summary {path}")

    return [run_failure_alerts, run_canceled_summaries]
