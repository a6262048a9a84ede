"""The Dagster assets and checks of the monthly flow, one factory per stage.

landing -> raw.<entity> (ingest) -> GX gate -> dbt staging/intermediate/marts (+ dbt tests as
blocking checks) -> serving snapshot (publish) -> portfolio pack (report).  The logic of each
stage lives in a plain module (ingest, quality, publish, reports); this module only wires it to
Dagster: partitions, pools, metadata for the UI.  Each op reads the deployment settings when it
runs (``$PMO_HOME``), not when the code location loads, so one process can run several homes.
"""

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
    multi_asset_check,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from orchestration.contract import ENTITIES
from orchestration.defs import dbt_keep, parse_cache
from orchestration.defs.dbt import (build_target_dir, dbt_log_level, dbt_vars, node_versions_env, reporting_period_env,
                                     spark_env)
from orchestration.pipeline.gate_memo import MEMO_NAME as GATE_MEMO_NAME, GateMemo
from orchestration.pipeline.ingest import IngestError, load_landing
from orchestration.pipeline.landing import SourcesConfigError, load_sources_config
from orchestration.defs.partitions import DUCKDB_WRITER_POOL, monthly_periods
from orchestration.defs.resources import WarehouseResource
from orchestration.pipeline.publish import publish_marts
from orchestration.pipeline.quality import (check_record, load_suite_dict, mart_suites, raw_suites, run_mart_suite,
                                            run_raw_suite)
from orchestration.pipeline.reported import prepare_reported
from orchestration.pipeline.row_rules import ROW_RULE_ENTITIES, RowRules
from orchestration.settings import SettingsError, load_quality_settings, load_settings
from orchestration.warehouse import connect, read_if_available

# backfill_policy on @asset is a beta parameter; its use here is deliberate.
warnings.filterwarnings("ignore", category=BetaWarning)

RAW_GROUP = "raw"
#: A run covers one period, or a range of periods in a backfill: the marts hold every period's rows,
#: so one build at the range's last period serves them all, and each period of the range then gets its
#: own pack and frozen figures (orchestration/pipeline/backfill.py).
PERIOD_RANGE_PER_RUN = BackfillPolicy.single_run()
SERVING_KEY = AssetKey(["serving", "snapshot"])
PACK_KEY = AssetKey(["reports", "portfolio_pack"])
#: The dbt build's op, and so its step in a run (``pmo run`` loads the pack's libraries while it runs).
DBT_STEP = "dbt_models"
REPORTED_KEY = AssetKey(["reported", "earned_value"])


def run_period_range(tags) -> tuple[str | None, str | None]:
    """The first and last reporting period of a run, from its tags: one period for a normal run
    (``dagster/partition``), a range for a backfill run (``dagster/asset_partition_range_start/end``)."""
    single = tags.get("dagster/partition")
    if single:
        return single, single
    return tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")


def build_ingest_asset():
    @multi_asset(
        name="ingest_landing",
        specs=[
            AssetSpec(["raw", name], group_name=RAW_GROUP, kinds={"duckdb"},
                      description=f"raw.{name}: {ent.description} Loaded from landing/{name}/*.csv with lineage "
                                  "columns; rows that break the contract go to quarantine"
                                  + (", and so do rows that break a row rule of its suite (orchestration/pipeline/row_rules.py)."
                                     if name in ROW_RULE_ENTITIES else "."))
            for name, ent in ENTITIES.items()
        ] + [
            AssetSpec(REPORTED_KEY, group_name=RAW_GROUP, kinds={"duckdb"},
                      description="reported.earned_value: the figures of every closed period exactly as its pack "
                                  "showed them (reported/<period>/, frozen). A run for a period first closes the "
                                  "periods before it (settings close_periods: on_next_period)."),
        ],
        partitions_def=monthly_periods,
        backfill_policy=PERIOD_RANGE_PER_RUN,
        pool=DUCKDB_WRITER_POOL,
        can_subset=False,
    )
    def ingest_landing(context: AssetExecutionContext):
        """Replace raw.* and quarantine.* with the exports found in landing/."""
        settings = load_settings()
        try:
            rules = RowRules(period=run_period_range(context.run.tags)[1],
                             quality=load_quality_settings(settings.home))
            report = load_landing(settings.landing_dir, settings.warehouse_path, archive_dir=settings.archive_dir,
                                  config=load_sources_config(settings.home), rules=rules)
        except (IngestError, SourcesConfigError, SettingsError) as exc:
            raise Failure(description=str(exc)) from exc
        for entity, counts in report.ruled.items():
            for rule, n in counts.items():
                context.log.warning(f"raw.{entity}: {n} row(s) break rule raw_{entity}.{rule} and were moved to "
                                    f"quarantine.{entity}; they do not count")
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
        from orchestration.pipeline.backfill import BACKFILL_STARTED_TAG

        reported = prepare_reported(settings.home, settings.warehouse_path, context.partition_key_range.start,
                                    settings.close_periods, closed_by=context.run.tags.get(BACKFILL_STARTED_TAG))
        if reported.closed_now:
            context.log.info(f"closed {', '.join(reported.closed_now)}: their figures are now frozen as reported")
        yield MaterializeResult(asset_key=REPORTED_KEY, metadata={
            "dagster/row_count": reported.rows, "closed_now": MetadataValue.json(reported.closed_now),
            "closed_periods": MetadataValue.json(reported.closed_periods)})

    return ingest_landing


CHECK_SEVERITY = {"blocking": AssetCheckSeverity.ERROR, "warning": AssetCheckSeverity.WARN}


def check_name(entity: str) -> str:
    return f"{entity}_expectations"


def _suite_description(suite: str, directory=None) -> str:
    meta = (load_suite_dict(suite, directory) if directory else load_suite_dict(suite)).get("meta") or {}
    return (f"great-expectations suite expectations/{suite}.json. " + (meta.get("description") or "")).strip()


def _suite_check_result(asset_key: AssetKey, name: str, outcome) -> AssetCheckResult:
    """A suite's outcome as a check result: ERROR when a blocking expectation failed (nothing downstream
    runs, nothing is published), WARN when only warnings failed (published, listed in the appendix)."""
    severity = AssetCheckSeverity.ERROR if outcome.blocking_failures else AssetCheckSeverity.WARN
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=not outcome.failures,
        severity=severity,
        description=outcome.summary(),
        metadata={
            "suite": outcome.suite,
            "outcome": outcome.status,
            "rows_validated": outcome.rows,
            "expectations_evaluated": outcome.evaluated,
            "failures": MetadataValue.json([f.as_dict() for f in outcome.failures]),
        },
    )


def _build_suite_checks(step_name: str, targets: dict[str, tuple[AssetKey, str]], validate, directory,
                        memo_for=None):
    """One blocking asset check per suite, all run in one step (one GX context).

    ``targets`` maps a table (entity or mart) to its asset key and suite; ``validate(table, suite,
    settings, quality, period, warehouse, serving, memo)`` returns the suite's outcome. The step opens the
    warehouse and the published snapshot read-only once for all its suites (``serving`` is None when there
    is none yet or it cannot be read now) and closes them before the next step, which may write them.
    ``memo_for(settings)``, when given, is the step's memo of verdicts (saved when the step's suites are done).
    """
    specs = [AssetCheckSpec(check_name(table), asset=key, blocking=True, description=_suite_description(suite, directory))
             for table, (key, suite) in targets.items()]

    @multi_asset_check(specs=specs, name=step_name, can_subset=True)
    def suite_checks(context: AssetCheckExecutionContext):
        settings = load_settings()
        try:
            quality = load_quality_settings(settings.home)
        except SettingsError as exc:
            raise Failure(description=str(exc)) from exc
        period = run_period_range(context.run.tags)[1]
        selected = {key.name for key in context.selected_asset_check_keys}
        memo = memo_for(settings) if memo_for else None
        with connect(settings.warehouse_path, read_only=True) as warehouse, \
                read_if_available(settings.serving_path) as serving:
            for table, (key, suite) in targets.items():
                if check_name(table) in selected:
                    yield _suite_check_result(key, check_name(table), validate(
                        table, suite, settings, quality, period, warehouse, serving, memo))
        if memo is not None:
            memo.save()

    return suite_checks


def _gate_memo(settings) -> GateMemo:
    """The gates' memo of verdicts (orchestration/pipeline/gate_memo.py), beside the warehouse."""
    return GateMemo(Path(settings.warehouse_path).with_name(GATE_MEMO_NAME))


def build_raw_checks(directory=None):
    """One blocking asset check ``<entity>_expectations`` per suite ``expectations/raw_<entity>.json``, on
    raw.<entity>: a blocking expectation that fails stops the run before dbt, nothing is published."""
    from orchestration.settings import EXPECTATIONS_DIR

    directory = directory or EXPECTATIONS_DIR
    targets = {entity: (AssetKey(["raw", entity]), suite) for entity, suite in raw_suites(directory).items()}

    def validate(entity, suite, settings, quality, period, warehouse, serving, memo):
        return run_raw_suite(entity, warehouse, period, quality, serving, suite=suite, directory=directory, memo=memo)

    return _build_suite_checks("raw_expectations", targets, validate, directory, _gate_memo)


def build_mart_checks(mart_keys: list[AssetKey], directory=None):
    """One blocking asset check ``<mart>_expectations`` per suite ``expectations/mart_<mart>.json`` whose mart
    dbt builds, on marts.<mart>: they run after the dbt build and before publish, on the built warehouse,
    so a blocking expectation that fails leaves serving.duckdb, the Parquet files and the packs as they were."""
    from orchestration.settings import EXPECTATIONS_DIR

    directory = directory or EXPECTATIONS_DIR
    built = {key.path[-1]: key for key in mart_keys}
    targets = {mart: (built[mart], suite) for mart, suite in mart_suites(directory).items() if mart in built}

    def validate(mart, suite, settings, quality, period, warehouse, serving, memo):
        return run_mart_suite(mart, warehouse, period, quality, serving, suite=suite,
                              reporting_currency=settings.reporting_currency, directory=directory, memo=memo)

    return _build_suite_checks("mart_expectations", targets, validate, directory, _gate_memo)


class PmoDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (staging, intermediate, marts) and the seeds (RAG rules, prioritisation
    weights) in their own group in the asset graph."""

    def get_group_name(self, dbt_resource_props):
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        return super().get_group_name(dbt_resource_props)


def _builds_whole_project(context: AssetExecutionContext) -> bool:
    """Whether the run selected every dbt model and check (a subset from the UI builds only those, and is
    never kept from nor kept for)."""
    assets_def = context.assets_def
    return (assets_def.keys_by_output_name == assets_def.node_keys_by_output_name
            and assets_def.check_specs_by_output_name == assets_def.node_check_specs_by_output_name)


def _forget_build_state(settings) -> None:
    """Delete the last build's state (orchestration/defs/dbt_keep.py) before a build that will not write one (a
    subset, Spark's build whose marts replace DuckDB's): the next build then builds everything."""
    if Path(settings.warehouse_path).is_file():
        with connect(settings.warehouse_path) as con:
            dbt_keep.clear_state(con)


def build_dbt_assets(manifest: Path, project):
    translator = PmoDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def _plan_build(context: AssetExecutionContext, settings, period: str, manifest_dict: Mapping[str, Any]
                    ) -> dbt_keep.BuildPlan | None:
        """What this build keeps (orchestration/defs/dbt_keep.py); the last build's state is deleted here."""
        warehouse = Path(settings.warehouse_path)
        if not warehouse.is_file():  # the ingest step makes it before any build
            return None
        key = dbt_keep.build_key(
            parse_cache.cache_key(Path(project.project_dir), dbt_vars(settings), str(warehouse)), period)
        with connect(warehouse) as con:
            plan = dbt_keep.plan_build(con, manifest_dict, key)
            dbt_keep.ensure_node_versions(con)
        context.log.info(f"dbt build: {plan.reason}")
        return plan

    @dbt_assets(
        manifest=manifest,
        project=project,
        partitions_def=monthly_periods,
        backfill_policy=PERIOD_RANGE_PER_RUN,
        dagster_dbt_translator=translator,
        pool=DUCKDB_WRITER_POOL,
        name=DBT_STEP,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        """dbt build for the run's period: models, then their data tests as blocking checks."""
        settings = load_settings()
        try:
            log_level = dbt_log_level()
        except ValueError as exc:
            raise Failure(description=f"dbt was not started: {exc}") from None
        if settings.engine == "spark":
            _forget_build_state(settings)
            yield from _spark_build(context, dbt, settings, log_level)
            return
        # One build at the last period of the run's range: the marts hold every earlier period's rows.
        period = context.partition_key_range.end
        manifest_dict, translator_used, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
        plan = _plan_build(context, settings, period, manifest_dict) if _builds_whole_project(context) else None
        if plan is None:
            _forget_build_state(settings)
        checks = dict(plan.checks) if plan else {}
        if plan is not None and plan.keeps_everything(manifest_dict):
            yield from dbt_keep.kept_events(context, manifest_dict, translator_used, project, plan)
            context.log.info("dbt not started: no source changed since the last build")
            with connect(settings.warehouse_path) as con:
                dbt_keep.write_state(con, plan.key, plan.sources, checks)
            return
        # The period goes in the environment, not --vars: dbt reuses its saved parse only while the vars
        # stay the same (orchestration/defs/dbt.py). dbt is started, with the environment copied, inside cli().
        with reporting_period_env(period), node_versions_env(plan is not None):
            invocation = dbt.cli(
                ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars(settings)),
                 "--log-level-file", log_level, *(plan.exclude_args(manifest_dict) if plan else [])],
                context=context,
                # One target folder for every run lets dbt reuse its partial parse (runs are serial).
                target_path=build_target_dir(settings),
            )
        if plan is not None:
            # cli() has started dbt: the kept nodes' events (about 0.5 s for 77 nodes at 2,000 projects) are
            # written while it starts, and before its own, as Dagster wants a multi-asset's outputs parents first
            try:
                yield from dbt_keep.kept_events(context, manifest_dict, translator_used, project, plan)
            except BaseException:  # a cancel, or a failure here: dbt is not streamed yet, so stop it here
                invocation.process.terminate()
                invocation.process.wait()
                raise
        for event in invocation.stream():
            if plan is not None and isinstance(event, AssetCheckResult) and event.asset_key is not None:
                name, record = dbt_keep.stored_check_result(event)
                checks[name] = record
            yield event
        _log_unchanged(context, invocation)
        if plan is None:
            return
        # dbt succeeded (stream() raises when it fails): the next build may keep what its sources leave unchanged.
        with connect(settings.warehouse_path) as con:
            dbt_keep.write_state(con, plan.key, plan.sources, checks)

    return dbt_models


def _log_unchanged(context: AssetExecutionContext, invocation) -> None:
    """Log how many of the nodes dbt was given it did not run again (dbt_project/macros/unchanged_inputs.sql)."""
    try:
        summary = dbt_keep.unchanged_summary(invocation.get_artifact("run_results.json"))
    except (OSError, ValueError) as exc:  # the build succeeded; only this line is lost
        context.log.warning(f"dbt's run_results.json could not be read: {exc}")
        return
    if summary:
        context.log.info(summary)


def _spark_build(context: AssetExecutionContext, dbt: DbtCliResource, settings, log_level: str):
    """``engine: spark`` (orchestration/pipeline/spark_engine.py): the sources to Parquet, catalogued on Spark,
    ``dbt build --target spark`` with its data tests as the same blocking checks, then Spark's marts copied
    into warehouse.duckdb, where the mart expectations and publish read them as they read DuckDB's."""
    from orchestration.pipeline.spark_engine import (SparkUnavailable, export_run_sources, import_spark_marts,
                                                     require_spark)

    try:
        require_spark()
    except SparkUnavailable as exc:
        raise Failure(description=str(exc)) from exc
    tables = export_run_sources(settings.warehouse_path, settings.spark_sources_dir)
    context.log.info(f"engine spark: {len(tables)} source table(s) written as Parquet to {settings.spark_sources_dir}")
    target = build_target_dir(settings)
    with reporting_period_env(context.partition_key_range.end), spark_env(settings):
        dbt.cli(["run-operation", "register_parquet_sources", "--target", "spark",
                 "--args", json.dumps({"root": str(settings.spark_sources_dir), "tables": tables}),
                 "--log-level-file", log_level], target_path=target).wait()
        invocation = dbt.cli(["build", "--target", "spark", "--exclude-resource-type", "unit_test",
                              "--vars", json.dumps(dbt_vars(settings)), "--log-level-file", log_level],
                             context=context, target_path=target)
    yield from invocation.stream()
    counts = import_spark_marts(settings.warehouse_path, settings.spark_warehouse_dir)
    context.log.info(f"engine spark: {len(counts)} table(s) Spark built copied into {settings.warehouse_path} "
                     f"({sum(counts.values())} rows)")


def build_publish_asset(mart_keys: list[AssetKey]):
    @asset(
        key=SERVING_KEY,
        deps=mart_keys,
        group_name="publish",
        partitions_def=monthly_periods,
        backfill_policy=PERIOD_RANGE_PER_RUN,
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
                "period": context.partition_key_range.end,
                "tables": MetadataValue.json(counts),
                "dagster/row_count": sum(counts.values()),
            }
        )

    return serving_snapshot


QUALITY_SUMMARY_KEY = AssetKey(["quality", "run_summary"])


def _metadata_value(value):
    inner = getattr(value, "value", value)
    if isinstance(inner, (dict, list, str, int, float, bool)) or inner is None:
        return inner
    return str(inner)


def records_from_evaluations(evaluations) -> list[dict]:
    """Summary records (:func:`orchestration.pipeline.quality.check_record`) from Dagster
    ``AssetCheckEvaluation`` objects, latest per check wins."""
    latest: dict[tuple[str, str], dict] = {}
    for ev in evaluations:
        meta = {k: _metadata_value(v) for k, v in (ev.metadata or {}).items()}
        if "dagster_dbt/failed_row_count" in meta:  # dagster-dbt's name for a dbt test's failing rows
            meta["failed_row_count"] = meta.pop("dagster_dbt/failed_row_count")
        severity = getattr(ev.severity, "value", ev.severity)
        asset = ev.asset_key.to_user_string()
        latest[(asset, ev.check_name)] = check_record(asset, ev.check_name, ev.passed, severity,
                                                      ev.description, meta)
    return [latest[k] for k in sorted(latest)]


def run_check_records(instance, run_id: str) -> list[dict]:
    """The verdict of every asset check evaluated so far in ``run_id``, as summary records."""
    from dagster import DagsterEventType


    entries = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    return records_from_evaluations(e.dagster_event.event_specific_data for e in entries if e.dagster_event)


def build_quality_summary_asset():
    @asset(
        key=QUALITY_SUMMARY_KEY,
        deps=[SERVING_KEY],
        group_name="publish",
        partitions_def=monthly_periods,
        backfill_policy=PERIOD_RANGE_PER_RUN,
        kinds={"json"},
        description="quality/<period>/<run_id>.json: every check of the run (passed, warned, failed, failing "
                    "counts, sample rows) and, per source, rows quarantined and freshness. The pack's "
                    "data-quality appendix and `pmo status` read it.",
    )
    def run_summary(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        from orchestration.pipeline.quality import attach_stored_failures, build_run_summary, read_sources, write_run_summary

        settings = warehouse.settings()
        checks = attach_stored_failures(run_check_records(context.instance, context.run_id), settings.warehouse_path)
        with warehouse.serving() as con:
            sources = read_sources(con, raw_schema="quality", quarantine_schema="quality")
        # One summary per period of the run (a backfill's range), so each period's pack has its appendix.
        for period in context.partition_keys:
            summary = build_run_summary(period, context.run_id, checks, status="published", sources=sources)
            path = write_run_summary(settings.quality_dir, summary)
        return MaterializeResult(metadata={"path": MetadataValue.path(str(path)),
                                           **{f"checks_{k}": v for k, v in summary["counts"].items()}})

    return run_summary


def build_report_asset():
    @asset(
        key=PACK_KEY,
        deps=[SERVING_KEY, QUALITY_SUMMARY_KEY],
        group_name="reports",
        partitions_def=monthly_periods,
        backfill_policy=PERIOD_RANGE_PER_RUN,
        kinds={"pdf"},
        description="reports/<period>/portfolio-pack.pdf rendered by WeasyPrint from the published snapshot, "
                    "whose figures are then frozen in reported/<period>/. A closed period's pack is rendered "
                    "from its frozen figures, so it reproduces the pack first issued.",
    )
    def portfolio_pack(context: AssetExecutionContext) -> MaterializeResult:
        """The pack of every period of the run (one, or a backfill's range, oldest first)."""
        from orchestration.pipeline.backfill import (BACKFILL_TAG, PROJECT_REPORTS_TAG, RESTATE_TAG, issue_packs,
                                                     mark_issued)
        from orchestration.pipeline.reported import read_period

        settings = load_settings()
        periods = list(context.partition_keys)
        restate = context.run.tags.get(RESTATE_TAG) == "true"
        backfill_id = context.run.tags.get(BACKFILL_TAG)

        def on_issued(pack):
            if pack.state == "kept":
                frozen = read_period(settings.home, pack.period)
                context.log.info(f"{pack.period} is closed (since {frozen.closed_at}): pack rendered from the "
                                 f"figures reported on {frozen.reported_at} by run {frozen.run_id[:8]}")
            else:
                context.log.info(f"{pack.period}: pack {pack.state} ({pack.path})")
            if backfill_id:
                mark_issued(settings.home, backfill_id, pack.period, context.run_id)

        packs = issue_packs(settings, periods, context.run_id, restate=restate, on_issued=on_issued,
                            project_reports=context.run.tags.get(PROJECT_REPORTS_TAG))
        last = packs[-1]
        out = Path(last.path)
        state = read_period(settings.home, last.period).state
        return MaterializeResult(metadata={"path": MetadataValue.path(str(out)), "period": last.period,
                                           "bytes": out.stat().st_size, "period_state": state,
                                           "packs": MetadataValue.json({p.period: p.state for p in packs})})

    return portfolio_pack
