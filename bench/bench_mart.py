"""Benchmark: dbt time to build the mart for the default demo organisation (30 projects, 18 periods).

Generates the demo organisation in a temporary home, ingests it, then times
`dbt build --exclude-resource-type unit_test` for the latest period (one build produces the rows of all
18 periods), and optionally for every period in turn (`--every-period`, as `pmo demo` does).

    python bench/bench_mart.py [--projects 30] [--months 18] [--every-period] [--record]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.demo.generator import generate_demo  # noqa: E402
from orchestration.pipeline.ingest import load_landing  # noqa: E402


def dbt_build(project_dir: Path, home: Path, period: str) -> float:
    dbt = Path(sys.executable).with_name("dbt")
    env = dict(os.environ, PMO_WAREHOUSE_PATH=str(home / "warehouse.duckdb"))
    started = time.perf_counter()
    subprocess.run(
        [str(dbt), "build", "--quiet", "--exclude-resource-type", "unit_test", "--project-dir", str(project_dir),
         "--profiles-dir", str(project_dir), "--target-path", str(home / "target"), "--log-path", str(home / "logs"),
         "--vars", json.dumps({"reporting_period": period, "reporting_currency": "GBP"})],
        check=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--as-of", default="2026-11")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every-period", action="store_true")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        summary = generate_demo(home / "landing", projects=args.projects, months=args.months, as_of=args.as_of)
        load_landing(home / "landing", home / "warehouse.duckdb", archive_dir=home / "archive")
        project_dir = REPO / "dbt_project"
        dbt_build(project_dir, home, summary.periods[-1])  # warm-up: parse and first build
        times = [dbt_build(project_dir, home, summary.periods[-1]) for _ in range(args.runs)]
        every = sum(dbt_build(project_dir, home, p) for p in summary.periods) if args.every_period else None
    median = statistics.median(times)
    print(f"dbt build, latest period ({args.projects} projects, {args.months} periods): median {median:.1f} s "
          f"over {args.runs} runs (min {min(times):.1f}, max {max(times):.1f})")
    if every is not None:
        print(f"dbt build for each of the {args.months} periods in turn: {every:.1f} s in total")
    if args.record:
        lines = [
            f"\n## Mart build (dbt) - {date.today().isoformat()}\n",
            f"`python bench/bench_mart.py{' --every-period' if every is not None else ''}`: `dbt build "
            f"--exclude-resource-type unit_test` on the demo organisation ({args.projects} projects, "
            f"{args.months} periods to {args.as_of}), warm (partial parse).\n",
            "| build | runs | median | min | max | budget | verdict |",
            "|---|---|---|---|---|---|---|",
            f"| latest period (all {args.months} periods' rows) | {args.runs} | {median:.1f} s | {min(times):.1f} s | "
            f"{max(times):.1f} s | < 60 s | {'OK' if median < 60 else 'OVER'} |",
        ]
        if every is not None:
            lines.append(f"| each period in turn | 1 | {every:.1f} s total | | | | |")
        lines.append(f"\nMachine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                     f"{platform.system()} {platform.release()}, Python {platform.python_version()}.\n")
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
