"""What `pmo run` reports (orchestration/cli/runner.py::outcome_from_run) when Dagster ends a run as a success
without publishing: a step that did not yield an output it declared makes Dagster skip everything that
depends on it, publish included, and still mark the run SUCCESS."""
from __future__ import annotations

from types import SimpleNamespace

from dagster import DagsterEventType, DagsterRunStatus

from orchestration.cli.runner import outcome_from_run


def _entry(event_type, step_key):
    return SimpleNamespace(dagster_event=SimpleNamespace(event_type=event_type, step_key=step_key,
                                                         event_specific_data=None))


def _outcome(tmp_path, events):
    instance = SimpleNamespace(all_logs=lambda run_id: events)
    run = SimpleNamespace(status=DagsterRunStatus.SUCCESS, run_id="r-1", tags={"dagster/partition": "2026-03"})
    settings = SimpleNamespace(warehouse_path=tmp_path / "warehouse.duckdb")
    return outcome_from_run(instance, run, settings)[0]


def test_a_success_that_skipped_publish_is_a_failure(tmp_path):
    outcome = _outcome(tmp_path, [
        _entry(DagsterEventType.STEP_SUCCESS, "ingest_landing"),
        _entry(DagsterEventType.STEP_SUCCESS, "dbt_models"),
        _entry(DagsterEventType.STEP_SKIPPED, "mart_expectations"),
        _entry(DagsterEventType.STEP_SKIPPED, "serving__snapshot"),
        _entry(DagsterEventType.STEP_SKIPPED, "reports__portfolio_pack"),
    ])
    assert (outcome.success, outcome.status, outcome.exit_code) == (False, "failed", 1)
    assert outcome.message == ("nothing was published: Dagster skipped mart_expectations, serving__snapshot, "
                               "reports__portfolio_pack because a step before them did not give all its results "
                               "(the run's log says which)")
    assert not outcome.published_serving


def test_a_success_that_published_stays_one(tmp_path):
    outcome = _outcome(tmp_path, [_entry(DagsterEventType.STEP_SUCCESS, s) for s in
                                  ("ingest_landing", "dbt_models", "serving__snapshot", "reports__portfolio_pack")])
    assert (outcome.success, outcome.status, outcome.exit_code, outcome.message) == (True, "published", 0, "")
