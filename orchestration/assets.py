"""The Dagster assets and checks of the monthly flow, one factory per stage.

landing -> raw.<entity> (ingest) -> GX gate -> dbt staging/intermediate/marts (+ dbt tests as
blocking checks) -> serving snapshot (publish) -> portfolio pack (report).  The logic of each
stage lives in a plain module (ingest, quality, publish, reports); this module only wires it to
Dagster: partitions, pools, metadata for the UI.  Each op reads the deployment settings when it
runs (``$PMO_HOME``), not when the code location loads, so one process can run several homes.
"""

import json
import warnings
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.contract import ENTITIES
from orchestration.ingest import IngestError, load_landing
from orchestration.landing import SourcesConfigError, load_sources_config
from orchestration.partitions import DUCKDB_WRITER_POOL, monthly_periods
from orchestration.publish import publish_marts
from orchestration.quality import validate_frame
from orchestration.settings import load_settings

# backfill_policy on @asset is a beta parameter; its use here is deliberate.
warnings.filterwarnings("ignore", category=BetaWarning)

RAW_GROUP = "raw"
#: Each run builds exactly one reporting period (its dbt vars name that period).
ONE_PERIOD_PER_RUN = BackfillPolicy.multi_run(max_partitions_per_run=1)
SERVING_KEY = AssetKey(["serving", "snapshot"])
PACK_KEY = AssetKey(["reports", "portfolio_pack"])


def _md_table(rows: list[dict], limit: int = 20) -> MetadataValue:
    if not rows:
        return MetadataValue.md("_none_")
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows[:limit]:
        lines.append("| " + " | ".join(str(r[c]).replace("|", "\\|").replace("\n", " ") for c in cols) + " |")
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more")
    return MetadataValue.md("\n".join(lines))


def build_ingest_asset():
    @multi_asset(
        name="ingest_landing",
        specs=[
            AssetSpec(["raw", name], group_name=RAW_GROUP, kinds={"duckdb"},
                      description=f"raw.{name}: {ent.description} Loaded from landing/{name}/*.csv with lineage "
                                  "columns; rows that break the contract go to quarantine." )
            for name, ent in ENTITIES.items()
        ],
        partitions_def=monthly_periods,
        backfill_policy=ONE_PERIOD_PER_RUN,
        pool=DUCKDB_WRITER_POOL,
        can_subset=False,
    )
    def ingest_landing(context: AssetExecutionContext):
        """Replace raw.* and quarantine.* with the exports found in landing/."""
        settings = load_settings()
        try:
            report = load_landing(settings.landing_dir, settings.warehouse_path, archive_dir=settings.archive_dir,
                                  config=load_sources_config(settings.home))
        except (IngestError, SourcesConfigError) as exc:
            raise Failure(description=str(exc)) from exc
        for problem in report.problem_files:
            context.log.warning(f"{problem.message} (kept in quarantine.files)")
        for name, load in report.entities.items():
            for w in load.warnings:
                context.log.warning(w)
            if load.quarantined:
                context.log.warning(f"raw.{name}: {load.quarantined} row(s) quarantined; see quarantine.{name}")
            yield MaterializeResult(
                asset_key=AssetKey(["raw", name]),
                metadata={
                    "dagster/row_count": load.loaded,
                    "rows_in": load.rows_in,
                    "rows_quarantined": load.quarantined,
                    "files": MetadataValue.json(load.files),
                    "warnings": len(load.warnings),
                },
            )

    return ingest_landing


def build_timesheet_check():
    @asset_check(
        asset=AssetKey(["raw", "timesheets"]),
        name="timesheets_expectations",
        blocking=True,
        description="great-expectations suite expectations/raw_timesheets.json: hours within 0-24, "
                    "project codes known to the register, no entry id loaded twice.",
    )
    def timesheets_expectations() -> AssetCheckResult:
        settings = load_settings()
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        try:
            frame = con.execute("SELECT * FROM raw.timesheets").df()
            known = [r[0] for r in con.execute("SELECT DISTINCT project_code FROM raw.projects").fetchall()]
        finally:
            con.close()
        outcome = validate_frame("raw_timesheets", frame, {"known_project_codes": known})
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "suite": outcome.suite,
                "rows_validated": outcome.rows,
                "expectations_evaluated": outcome.evaluated,
                "failures": MetadataValue.json([
                    {"expectation": f.expectation, "column": f.column, "unexpected_count": f.unexpected_count,
                     "sample": f.sample} for f in outcome.failures
                ]),
            },
        )

    return timesheets_expectations


class PmoDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (staging, intermediate, marts) in the asset graph."""

    def get_group_name(self, dbt_resource_props):
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


def build_dbt_assets(manifest: Path, project):
    translator = PmoDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(
        manifest=manifest,
        project=project,
        partitions_def=monthly_periods,
        backfill_policy=ONE_PERIOD_PER_RUN,
        dagster_dbt_translator=translator,
        pool=DUCKDB_WRITER_POOL,
        name="dbt_models",
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        """dbt build for the run's period: models, then their data tests as blocking checks."""
        settings = load_settings()
        dbt_vars = {"reporting_period": context.partition_key, "reporting_currency": settings.reporting_currency}
        yield from dbt.cli(
            ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)],
            context=context,
            # One target folder for every run lets dbt reuse its partial parse (runs are serial).
            target_path=settings.dbt_target_dir / "build",
        ).stream()

    return dbt_models


def build_publish_asset(mart_keys: list[AssetKey]):
    @asset(
        key=SERVING_KEY,
        deps=mart_keys,
        group_name="publish",
        partitions_def=monthly_periods,
        backfill_policy=ONE_PERIOD_PER_RUN,
        kinds={"duckdb", "parquet"},
        description="The published snapshot: every marts.* table copied to serving.duckdb (temporary file, then "
                    "atomic rename) and parquet/<mart>.parquet. BI tools only read this.",
    )
    def serving_snapshot(context: AssetExecutionContext) -> MaterializeResult:
        settings = load_settings()
        counts = publish_marts(settings.warehouse_path, settings.serving_path, settings.parquet_dir)
        context.log.info(f"published {len(counts)} mart(s) to {settings.serving_path}")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(settings.serving_path)),
                "parquet_dir": MetadataValue.path(str(settings.parquet_dir)),
                "period": context.partition_key,
                "tables": MetadataValue.json(counts),
                "dagster/row_count": sum(counts.values()),
            }
        )

    return serving_snapshot


def build_report_asset():
    @asset(
        key=PACK_KEY,
        deps=[SERVING_KEY],
        group_name="reports",
        partitions_def=monthly_periods,
        backfill_policy=ONE_PERIOD_PER_RUN,
        kinds={"pdf"},
        description="reports/<period>/portfolio-pack.pdf rendered by WeasyPrint from the published snapshot.",
    )
    def portfolio_pack(context: AssetExecutionContext) -> MaterializeResult:
        from orchestration.reports import render_portfolio_pack

        settings = load_settings()
        period = context.partition_key
        out = render_portfolio_pack(settings.serving_path, period, settings.reports_dir / period)
        return MaterializeResult(metadata={"path": MetadataValue.path(str(out)), "period": period,
                                           "bytes": out.stat().st_size})

    return portfolio_pack
