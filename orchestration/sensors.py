"""A sensor that notices new or changed files in landing/ and requests a run per period they touch."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from orchestration.landing import (
    Archive,
    LandingFile,
    iter_landing_files,
    load_sources_config,
    read_landing_file,
)
from orchestration.partitions import monthly_periods
from orchestration.settings import Settings, load_settings

#: The date column of each entity that says which reporting period a row belongs to.
PERIOD_COLUMNS = {
    "tasks": "status_date", "timesheets": "work_date", "ledger": "posting_date", "risks": "status_date",
    "work_items": "status_date", "benefits": "period", "capacity": "period", "fx_rates": "period",
}


def periods_touched(item: LandingFile, settings: Settings) -> set[str]:
    """The reporting periods ('YYYY-MM') the rows of one landing file fall in."""
    report = read_landing_file(item, load_sources_config(settings.home))
    periods: set[str] = set()
    if report.result is None:
        return periods
    for entity, res in report.result.entities.items():
        column = PERIOD_COLUMNS.get(entity)
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
