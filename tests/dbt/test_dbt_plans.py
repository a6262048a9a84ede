"""No model's query plan joins task, timesheet or ledger lines by nested loops (orchestration/pipeline/dbt_plans.py).

A join DuckDB cannot hash (a one-sided predicate in a LEFT JOIN's ON, an inequality, an OR) is a
nested-loop or blockwise join whose cost is the product of its inputs: unnoticeable on a test
organisation, minutes on 2,000 projects. The guard builds the models over a small generated
organisation and EXPLAINs every model's compiled SQL; the other tests prove the guard sees such joins.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dbt_harness import dbt_failures, run_dbt

from orchestration.pipeline.dbt_plans import explain, line_relations, model_plan_findings, quadratic_joins, seed_relations
from orchestration.demo.generator import generate_demo
from orchestration.pipeline.ingest import load_landing

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A generated organisation (8 projects, 6 months, canonical CSV), ingested, every seed and model built;
    dbt's target (manifest, compiled SQL) and the warehouse are in the returned folder."""
    root = tmp_path_factory.mktemp("plans")
    generate_demo(root / "landing", seed=3, projects=8, months=6, as_of=PERIOD)
    warehouse = root / "warehouse.duckdb"
    load_landing(root / "landing", warehouse)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMO_WAREHOUSE_PATH", str(warehouse))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.setenv("DO_NOT_TRACK", "1")
        result = run_dbt(root, "build", "--resource-type", "seed", "--resource-type", "model",
                         "--vars", json.dumps({"reporting_period": PERIOD}))
    assert result.success, dbt_failures(result)
    return root


@pytest.fixture(scope="module")
def manifest(built: Path) -> dict:
    return json.loads((built / "target" / "manifest.json").read_text())


@pytest.fixture
def con(built: Path):
    # Not read_only: dbt, run in this process, may still hold the file open, and DuckDB opens a file
    # only once per process with one configuration. EXPLAIN writes nothing.
    connection = duckdb.connect(str(built / "warehouse.duckdb"))
    yield connection
    connection.close()


def test_no_model_joins_line_data_by_nested_loops(built: Path, con) -> None:
    findings = model_plan_findings(con, built / "target")
    assert not findings, "quadratic joins over task, timesheet or ledger lines:\n" + "\n".join(map(str, findings))


def test_every_model_was_explained(built: Path, manifest: dict) -> None:
    """The guard reads the compiled SQL of every model: none is skipped for want of it."""
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    compiled = list((built / "target" / "compiled").rglob("*.sql"))
    assert len(models) >= 60
    assert len(compiled) == len(models)


def test_line_relations_follow_the_lineage(manifest: dict) -> None:
    lines = line_relations(manifest)
    assert {"raw.tasks", "raw.timesheets", "raw.ledger", "staging.stg_raw__tasks",
            "intermediate.int_tasks_classified", "intermediate.int_timesheets_costed",
            "intermediate.int_actual_costs_unioned", "marts.fct_earned_value"} <= lines
    assert not {"raw.projects", "raw.fx_rates", "staging.stg_raw__projects", "seeds.rag_rules"} & lines
    assert "seeds.rag_rules" in seed_relations(manifest)


# --------------------------------------------------------------------------- the guard can fail

#: The shape int_tasks_classified had before it was fixed: a predicate on the left side only in a
#: LEFT JOIN's ON clause, which DuckDB plans as a blockwise nested loop (3 minutes at 2,000 projects).
ONE_SIDED_ON = """
    select child.task_code, parent.task_name
    from staging.stg_raw__tasks as child
    left join staging.stg_raw__tasks as parent
        on parent.project_code = child.project_code
        and parent.status_date = child.status_date
        and parent.task_code = child.parent_task_code
        and child.parent_task_code <> child.task_code
"""

#: The fix: the condition turned into the join key, so the join is hashed.
ONE_SIDED_AS_KEY = """
    with child as (
        select *, case when parent_task_code <> task_code then parent_task_code end as parent_lookup_code
        from staging.stg_raw__tasks
    )
    select child.task_code, parent.task_name
    from child
    left join staging.stg_raw__tasks as parent
        on parent.project_code = child.project_code
        and parent.status_date = child.status_date
        and parent.task_code = child.parent_lookup_code
"""


def _findings(con, manifest: dict, sql: str):
    return quadratic_joins(explain(con, sql), line_relations(manifest), "known_bad", seed_relations(manifest))


def test_the_guard_names_a_blockwise_join_over_tasks(con, manifest: dict) -> None:
    findings = _findings(con, manifest, ONE_SIDED_ON)
    assert [(f.model, f.operator, f.join_type) for f in findings] == [("known_bad", "BLOCKWISE_NL_JOIN", "LEFT")]
    assert findings[0].line_relations == ("raw.tasks",)
    assert str(findings[0]).startswith("known_bad: BLOCKWISE_NL_JOIN (LEFT) on ")


def test_the_guard_passes_the_same_join_keyed(con, manifest: dict) -> None:
    assert _findings(con, manifest, ONE_SIDED_AS_KEY) == []
    plan = json.dumps(explain(con, ONE_SIDED_AS_KEY))
    assert "HASH_JOIN" in plan


def test_the_guard_names_nested_loops_joining_timesheets_to_ledger_lines(con, manifest: dict) -> None:
    base = """
        select t.timesheet_line_id, l.document_id
        from intermediate.int_timesheets_costed as t
        join staging.stg_raw__ledger as l on {condition}
    """
    not_equal = _findings(con, manifest, base.format(condition="l.posting_date <> t.work_date"))
    either = _findings(con, manifest, base.format(condition="l.posting_date = t.work_date or l.task_code = t.task_code"))
    assert [f.operator for f in not_equal] == ["NESTED_LOOP_JOIN"]
    assert [f.operator for f in either] == ["BLOCKWISE_NL_JOIN"]
    assert not_equal[0].line_relations == ("intermediate.int_timesheets_costed", "raw.ledger")
    # A single inequality is a piecewise merge join (sorted, not nested loops): allowed.
    assert _findings(con, manifest, base.format(condition="l.posting_date < t.work_date")) == []


def test_the_guard_names_a_cross_product_of_task_lines(con, manifest: dict) -> None:
    sql = "select a.task_code, b.project_code from intermediate.int_tasks_classified a, raw.projects b"
    assert [f.operator for f in _findings(con, manifest, sql)] == ["CROSS_PRODUCT"]


def test_the_guard_allows_a_single_row_or_a_seed_on_one_side(con, manifest: dict) -> None:
    one_row = """
        select t.task_code from intermediate.int_tasks_classified t
        cross join intermediate.int_reporting_parameters_resolved p
        where t.status_date <= p.reporting_period_end
    """
    seed = """
        select m.project_code, r.rag from intermediate.int_tasks_classified m
        left join seeds.rag_rules r on r.min_value is null or m.baseline_cost > r.min_value
    """
    assert _findings(con, manifest, one_row) == []
    assert _findings(con, manifest, seed) == []
    # ... but not the same join when its other side is as large as the first.
    large = """
        select m.task_code, r.task_code from intermediate.int_tasks_classified m
        left join intermediate.int_tasks_classified r on r.baseline_cost is null or m.baseline_cost > r.baseline_cost
    """
    assert [f.operator for f in _findings(con, manifest, large)] == ["BLOCKWISE_NL_JOIN"]
