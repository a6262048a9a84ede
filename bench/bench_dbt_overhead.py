"""Benchmark: what dbt adds on top of its own SQL (issue #9: at most 1.5x).

On a copy of a home's working warehouse (after a run: raw, staging, marts), the bench

1. runs ``dbt build`` exactly as the ``dbt_models`` step does (the same command, ``pmo-dbt``; same vars,
   same profile, the same log format and file log level, the period in ``PMO_REPORTING_PERIOD``, DuckDB's
   thread count in ``PMO_DUCKDB_THREADS`` as ``pmo`` sets it), twice:
   the first parses the project, the second reuses the saved parse as every run after a home's first
   does; the second is the one compared;
2. takes the compiled SQL of that build from its ``manifest.json`` (every model and data test the build
   ran; the two seeds are left in place) and runs it directly, in one DuckDB connection with the same
   memory limit and the same number of threads, in dependency order:
   ``CREATE OR REPLACE TABLE|VIEW <relation> AS <compiled SQL>`` for a model,
   ``SELECT count(*) FROM (<compiled SQL>)`` for a test;
3. prints both wall times and their ratio, and checks that every model's rows are the same both ways
   (the ordered-row hash of each table), so the direct path cannot look fast by doing less.

    python bench/bench_dbt_overhead.py HOME [--period YYYY-MM] [--json]

``bench/bench_scale.py`` runs it after each size's cold run; results go to bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt_project"


def latest_period(warehouse: Path) -> str:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT max(period) FROM marts.fct_earned_value").fetchone()[0]
    finally:
        con.close()


def run_dbt(warehouse: Path, target: Path, period: str, dbt_vars: dict, log: Path, threads: int) -> float:
    """One ``dbt build`` as the dbt_models step runs it; returns its wall time.

    ``threads`` is DuckDB's thread count. ``pmo`` sets it for dbt (``PMO_DUCKDB_THREADS``, the usable CPUs up
    to 4), so the bench must too: profiles.yml's fallback of 4 would oversubscribe a 2-core machine, and
    the comparison would be with a direct connection that has half the threads."""
    # the run's dbt: pmo-dbt, its console log in JSON (dagster-dbt sets DBT_LOG_FORMAT) and its file log at info
    env = {**os.environ, "PMO_WAREHOUSE_PATH": str(warehouse), "PMO_REPORTING_PERIOD": period,
           "PMO_DUCKDB_THREADS": str(threads), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_LOG_FORMAT": "json"}
    from orchestration.defs.dbt import dbt_executable

    argv = [dbt_executable(), "build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars),
            "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target),
            "--log-path", str(target / "logs"), "--log-level-file", "info"]
    start = time.perf_counter()
    with open(log, "ab") as out:
        done = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):   # 1: a warning test (labour tolerance) may fail on purpose
        sys.exit(f"dbt build exited {done.returncode}; see {log}")
    return elapsed


def compiled_nodes(target: Path) -> list[dict]:
    """The models and data tests the build ran, in an order that respects their dependencies."""
    manifest = json.loads((target / "manifest.json").read_text())
    ran = {r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    nodes = {uid: n for uid, n in manifest["nodes"].items()
             if uid in ran and n["resource_type"] in ("model", "test") and n.get("compiled_code")}
    graph = {uid: [d for d in n["depends_on"]["nodes"] if d in nodes] for uid, n in nodes.items()}
    return [nodes[uid] for uid in TopologicalSorter(graph).static_order()]


def relation(node: dict) -> str:
    return f'"{node["schema"]}"."{node["alias"]}"'


def run_direct(warehouse: Path, nodes: list[dict], memory_limit: str, threads: int) -> float:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET threads = {threads}")
        start = time.perf_counter()
        for node in nodes:
            sql = node["compiled_code"]
            if node["resource_type"] == "test":
                con.execute(f"SELECT count(*) FROM ({sql}) AS t").fetchone()
                continue
            kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{node["schema"]}"')
            existing = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = ? "
                                   "AND table_name = ?", [node["schema"], node["alias"]]).fetchone()
            if existing and ("VIEW" in existing[0]) != (kind == "VIEW"):
                con.execute(f"DROP {'VIEW' if 'VIEW' in existing[0] else 'TABLE'} {relation(node)} CASCADE")
            con.execute(f"CREATE OR REPLACE {kind} {relation(node)} AS {sql}")
        return time.perf_counter() - start
    finally:
        con.close()


def table_hashes(warehouse: Path, nodes: list[dict]) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for node in nodes:
            if node["resource_type"] == "model" and node["config"]["materialized"] != "view":
                rel = relation(node)
                out[rel] = con.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {rel}) AS t").fetchone()
        return out
    finally:
        con.close()


def measure(home: Path, period: str | None = None, memory_limit: str = "1GB") -> dict:
    """dbt build (second of two) against the same compiled SQL run directly, on copies of the warehouse."""
    sys.path.insert(0, str(REPO))
    warehouse = home / "warehouse" / "warehouse.duckdb"
    period = period or latest_period(warehouse)
    from orchestration.defs.dbt import dbt_vars
    from orchestration.settings import load_settings
    from orchestration.warehouse import duckdb_threads

    dbt_vars_ = dbt_vars(load_settings(home))
    threads = duckdb_threads()
    with tempfile.TemporaryDirectory(prefix="dbt-overhead-") as scratch:
        scratch = Path(scratch)
        # one file name both ways: the compiled SQL names its relations "warehouse"."<schema>"."<table>"
        via_dbt, direct = scratch / "dbt" / warehouse.name, scratch / "direct" / warehouse.name
        via_dbt.parent.mkdir()
        direct.parent.mkdir()
        shutil.copy(warehouse, via_dbt)
        shutil.copy(warehouse, direct)
        target, log = scratch / "target", scratch / "dbt.log"
        first = run_dbt(via_dbt, target, period, dbt_vars_, log, threads)
        second = run_dbt(via_dbt, target, period, dbt_vars_, log, threads)
        nodes = compiled_nodes(target)
        sql = run_direct(direct, nodes, memory_limit, threads)
        a, b = table_hashes(via_dbt, nodes), table_hashes(direct, nodes)
        differ = sorted(rel for rel in a.keys() | b.keys() if a.get(rel) != b.get(rel))
    models = sum(n["resource_type"] == "model" for n in nodes)
    return {"period": period, "threads": threads, "models": models, "tests": len(nodes) - models,
            "dbt_first_s": round(first, 1),
            "dbt_s": round(second, 1), "direct_sql_s": round(sql, 1), "ratio": round(second / sql, 2),
            "same_rows": not differ, "tables_differing": differ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--period")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.home.resolve(), args.period)
    if args.json:
        print(json.dumps(result))
        return
    print(f"period {result['period']}: {result['models']} models, {result['tests']} tests, "
          f"{result['threads']} DuckDB threads both ways")
    print(f"dbt build: {result['dbt_s']} s (first, parsing: {result['dbt_first_s']} s)")
    print(f"the same SQL in one DuckDB connection: {result['direct_sql_s']} s")
    print(f"ratio {result['ratio']} (goal <= 1.5); same rows both ways: {result['same_rows']}")
    if not result["same_rows"]:
        print("tables whose rows differ: " + ", ".join(result["tables_differing"]))
        sys.exit(1)


if __name__ == "__main__":
    main()
