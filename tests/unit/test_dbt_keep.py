"""What a dbt build keeps from the last one (orchestration/defs/dbt_keep.py), on a small manifest and an
in-memory warehouse. The whole pipeline is in tests/integration/test_pipeline.py."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.defs import dbt_keep as keep

P = "pmo_warehouse"


def _node(kind: str, name: str, parents: list[str], schema: str = "main") -> dict:
    return {"resource_type": kind, "name": name, "schema": schema, "alias": name,
            "config": {"materialized": "table"}, "depends_on": {"nodes": parents}}


def manifest() -> dict:
    """raw.timesheets -> stg_ts -> costed -> ev <- stg_tasks <- raw.tasks; dim <- stg_tasks; tests on each."""
    src_ts, src_tasks = f"source.{P}.raw.timesheets", f"source.{P}.raw.tasks"
    stg_ts, stg_tasks = f"model.{P}.stg_ts", f"model.{P}.stg_tasks"
    costed, ev, dim = f"model.{P}.costed", f"model.{P}.ev", f"model.{P}.dim"
    t_costed, t_rel, t_dim = f"test.{P}.checks_costed.1", f"test.{P}.relationships_ev_dim.2", f"test.{P}.checks_dim.3"
    seed = f"seed.{P}.rules"
    nodes = {
        stg_ts: _node("model", "stg_ts", [src_ts]),
        stg_tasks: _node("model", "stg_tasks", [src_tasks]),
        costed: _node("model", "costed", [stg_ts]),
        ev: _node("model", "ev", [costed, stg_tasks, seed]),
        dim: _node("model", "dim", [stg_tasks]),
        t_costed: _node("test", "checks_costed", [costed]),
        t_rel: _node("test", "relationships_ev_dim", [ev, dim]),
        t_dim: _node("test", "checks_dim", [dim]),
        seed: _node("seed", "rules", []),
    }
    parents = {uid: n["depends_on"]["nodes"] for uid, n in nodes.items()}
    parents.update({src_ts: [], src_tasks: []})
    children: dict[str, list[str]] = {uid: [] for uid in parents}
    for uid, ps in parents.items():
        for p in ps:
            children[p].append(uid)
    sources = {src_ts: {"source_name": "raw", "schema": "raw", "name": "timesheets", "identifier": "timesheets"},
               src_tasks: {"source_name": "raw", "schema": "raw", "name": "tasks", "identifier": "tasks"}}
    return {"nodes": nodes, "sources": sources, "parent_map": parents, "child_map": children}


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA raw")
    c.execute("CREATE TABLE raw.timesheets AS SELECT * FROM (VALUES ('2026-03-02', 8.0, 'f1', 1, TIMESTAMP '2026-03-03 01:00'),"
              " ('2026-03-03', 7.5, 'f1', 2, TIMESTAMP '2026-03-03 01:00')) t(work_date, hours, _source_sha256, "
              "_source_row, _loaded_at)")
    c.execute("CREATE TABLE raw.tasks AS SELECT * FROM (VALUES ('T1', 100.0)) t(task_code, baseline_cost)")
    for name in ("stg_ts", "stg_tasks", "costed", "ev", "dim", "rules"):
        c.execute(f"CREATE TABLE main.{name} AS SELECT 1 AS x")
    yield c
    c.close()


def _first_build(con, m, key="k1") -> keep.BuildPlan:
    plan = keep.plan_build(con, m, key)
    keep.write_state(con, plan.key, plan.sources, {"ev::relationships_ev_dim": {"passed": True, "severity": "ERROR"}})
    return plan


def test_fingerprint_ignores_the_load_time_and_not_the_rows(con):
    m = manifest()
    before = keep.source_fingerprints(con, m)
    assert before[f"source.{P}.raw.timesheets"].startswith("2:")
    con.execute("UPDATE raw.timesheets SET _loaded_at = TIMESTAMP '2026-03-04 01:00'")
    assert keep.source_fingerprints(con, m) == before
    con.execute("UPDATE raw.timesheets SET hours = 8.5 WHERE _source_row = 2")
    after = keep.source_fingerprints(con, m)
    assert after[f"source.{P}.raw.timesheets"] != before[f"source.{P}.raw.timesheets"]
    assert after[f"source.{P}.raw.tasks"] == before[f"source.{P}.raw.tasks"]
    # the same rows in another order are the same table
    con.execute("CREATE OR REPLACE TABLE raw.tasks AS SELECT * FROM (VALUES ('T2', 5.0), ('T1', 100.0)) t(a, b)")
    first = keep.source_fingerprints(con, m)[f"source.{P}.raw.tasks"]
    con.execute("CREATE OR REPLACE TABLE raw.tasks AS SELECT * FROM (VALUES ('T1', 100.0), ('T2', 5.0)) t(a, b)")
    assert keep.source_fingerprints(con, m)[f"source.{P}.raw.tasks"] == first
    con.execute("DROP TABLE raw.tasks")
    assert keep.source_fingerprints(con, m)[f"source.{P}.raw.tasks"] == "missing"


def test_a_new_timesheet_row_keeps_what_does_not_read_timesheets(con):
    m = manifest()
    _first_build(con, m)
    con.execute("INSERT INTO raw.timesheets VALUES ('2026-03-04', 6.0, 'f2', 1, TIMESTAMP '2026-03-05 01:00')")
    plan = keep.plan_build(con, m, "k1")
    assert plan.changed == [f"source.{P}.raw.timesheets"]
    assert plan.kept == {f"model.{P}.stg_tasks", f"model.{P}.dim", f"test.{P}.checks_dim.3", f"seed.{P}.rules"}
    # the relationships test has a kept parent (dim) and a rebuilt one (ev): it runs
    args = plan.exclude_args(m)
    assert args == ["--indirect-selection", "empty", "--exclude", "checks_dim dim rules stg_tasks"]
    assert plan.checks == {"ev::relationships_ev_dim": {"passed": True, "severity": "ERROR"}}
    assert "4 of 9 nodes kept; changed sources: raw.timesheets" == plan.reason
    # parents before children, whatever their names
    assert keep.topological(m, plan.kept) == [f"seed.{P}.rules", f"model.{P}.stg_tasks", f"model.{P}.dim",
                                                f"test.{P}.checks_dim.3"]


def test_nothing_changed_keeps_everything(con):
    m = manifest()
    _first_build(con, m)
    plan = keep.plan_build(con, m, "k1")
    assert plan.changed == [] and plan.keeps_everything(m)


def test_the_state_is_deleted_by_every_plan(con):
    """A build that fails after planning leaves no state: the next one builds everything."""
    m = manifest()
    _first_build(con, m)
    keep.plan_build(con, m, "k1")  # this build then fails: nothing written
    plan = keep.plan_build(con, m, "k1")
    assert plan.kept == set() and plan.reason == "no earlier build to keep from"


@pytest.mark.parametrize("change, reason", [
    ("key", "the project, dbt, the vars or the reporting period changed"),
    ("table", "main.dim is missing from the warehouse"),
    ("off", "PMO_DBT_KEEP=off"),
])
def test_what_makes_a_build_build_everything(con, monkeypatch, change, reason):
    m = manifest()
    _first_build(con, m)
    key = "k1"
    if change == "key":
        key = "k2"
    elif change == "table":
        con.execute("DROP TABLE main.dim")
    else:
        monkeypatch.setenv(keep.KEEP_ENV, "off")
    plan = keep.plan_build(con, m, key)
    assert plan.kept == set() and plan.exclude_args(m) == []
    assert plan.reason == reason


def test_the_build_key_names_the_period():
    assert keep.build_key("p", "2026-03") != keep.build_key("p", "2026-04")
    assert keep.build_key("p", "2026-03") == keep.build_key("p", "2026-03")


def test_the_build_says_how_many_nodes_were_unchanged(con):
    """unchanged_summary reads dbt's run_results: nodes reported UNCHANGED were not run; hooks do not count."""
    results = {"results": [
        {"unique_id": "model.p.a", "adapter_response": {"code": "UNCHANGED"}},
        {"unique_id": "test.p.t1", "adapter_response": {"code": "UNCHANGED", "_message": "UNCHANGED"}},
        {"unique_id": "model.p.b", "adapter_response": {"_message": "OK"}},
        {"unique_id": "test.p.t2", "adapter_response": {}},
        {"unique_id": "operation.p.p-on-run-start-0", "adapter_response": {"code": "UNCHANGED"}},
    ]}
    assert keep.unchanged_summary(results) == ("dbt build: 2 of 4 selected nodes run; 2 had the inputs of their "
                                               "last build and were not run again")
    assert keep.unchanged_summary({"results": []}) is None
    keep.ensure_node_versions(con)
    keep.ensure_node_versions(con)  # again: kept as it is
    assert con.execute(f"SELECT count(*) FROM {keep.NODE_VERSIONS_TABLE}").fetchone() == (0,)
