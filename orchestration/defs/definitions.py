"""The Dagster code location: assembles the monthly flow for the home in $PMO_HOME.

Importing this module does nothing but define functions: the definitions are built when Dagster loads
the code location (:func:`defs`, a ``@definitions`` entry point) or when ``pmo run`` reconstructs the job
(:func:`monthly_job`).  Building them activates the home (its Dagster instance configuration and
environment, :func:`orchestration.settings.activate`) and prepares the dbt project (its manifest).
"""
from __future__ import annotations

import functools

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    definitions,
    schedule,
)

from orchestration.defs.assets import (
    build_dbt_assets,
    build_ingest_asset,
    build_mart_checks,
    build_publish_asset,
    build_quality_summary_asset,
    build_raw_checks,
    build_report_asset,
)
from orchestration.defs.dbt import dbt_project_for, dbt_resource, ensure_manifest
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.run_guard import guarded_in_process_executor
from orchestration.defs.sensors import build_landing_sensor, build_run_end_sensors
from orchestration.settings import activate, load_settings

MONTHLY_JOB = "monthly_reporting"


def build_definitions() -> Definitions:
    settings = load_settings()
    activate(settings)
    project = dbt_project_for(settings)
    manifest = ensure_manifest(project, settings)
    dbt_models = build_dbt_assets(manifest, project)
    mart_keys = [key for key in dbt_models.keys if key.path[0] == "marts"]
    job = define_asset_job(
        MONTHLY_JOB,
        selection=AssetSelection.all(),
        # Steps run one after another in one process: DuckDB allows a single writer per file. The executor
        # also recovers runs whose process died, bounds the wait for the writer slot and cancels cleanly.
        executor_def=guarded_in_process_executor,
        description="Ingest landing/, gate, build the marts with dbt, publish the serving snapshot and render "
                    "the portfolio pack for one reporting period.",
    )

    @schedule(job=job, cron_schedule=settings.nightly_cron, execution_timezone=settings.timezone,
              name="nightly_open_period",
              default_status=DefaultScheduleStatus.RUNNING if settings.nightly_enabled else DefaultScheduleStatus.STOPPED,
              description=f"Every night at {settings.nightly_time} {settings.timezone}, refresh the open reporting "
                          "period (settings.yaml: schedule).")
    def nightly_open_period(context: ScheduleEvaluationContext):
        """Every night (settings.yaml schedule.time and timezone), refresh the open (current) reporting period."""
        period = context.scheduled_execution_time.strftime("%Y-%m")
        return RunRequest(run_key=None, partition_key=period)

    return Definitions(
        assets=[build_ingest_asset(), dbt_models, build_publish_asset(mart_keys),
                build_quality_summary_asset(), build_report_asset()],
        asset_checks=[build_raw_checks(), build_mart_checks(mart_keys)],
        jobs=[job],
        schedules=[nightly_open_period],
        sensors=[build_landing_sensor(job, running=settings.landing_sensor_enabled), *build_run_end_sensors(job)],
        resources={"dbt": dbt_resource(project), "warehouse": WarehouseResource()},
    )


@definitions
def defs() -> Definitions:
    """The code location's entry point (``dagster dev -m orchestration.defs.definitions``, ``pmo ui``)."""
    return _definitions_for(load_settings().home)


@functools.cache
def _definitions_for(home) -> Definitions:
    """One build per home and process: ``pmo run`` reconstructs the job for each step it executes."""
    return build_definitions()


def monthly_job():
    """The monthly job, reconstructable by module path (used by `pmo run`)."""
    return _definitions_for(load_settings().home).resolve_job_def(MONTHLY_JOB)
