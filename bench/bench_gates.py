"""Benchmark the gates: every raw suite (the run's ``raw_expectations`` step) and every mart suite
(``mart_expectations``) on a built home, before and after they ran as SQL.

    python bench/bench_gates.py HOME [--period 2026-11] [--repeat 3] [--engines before,after] [--steps raw,mart]

HOME is a home a ``pmo run`` has built (``warehouse/warehouse.duckdb``, and ``serving.duckdb`` for the
volume band).  Each (engine, step) runs in a fresh Python process, ``--repeat`` times; the parent reports
the median wall time of the step, the median CPU time of the whole child process (imports included; less
sensitive than wall time to other load on the machine) and the child's peak resident memory
(``ru_maxrss``), with the memory already held after imports.  ``before`` is orchestration/pipeline/quality.py as
of commit 98081c1 (whole tables into pandas, great-expectations as the engine), loaded from git;
``after`` is the working tree's.  Both engines' outcomes are compared suite by suite (verdict, failing
expectations, counts, samples, rows), so the benchmark also checks that the SQL gates judge a large
warehouse as GX did.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "98081c1"


def load_engine(engine: str):
    sys.path.insert(0, str(ROOT))
    if engine == "after":
        import orchestration.pipeline.quality as quality

        return quality
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:orchestration/pipeline/quality.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "quality_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("quality_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["quality_before"] = module
    spec.loader.exec_module(module)
    return module


def child(engine: str, step: str, home: Path, period: str) -> None:
    from orchestration.settings import load_quality_settings, load_settings

    quality_module = load_engine(engine)
    settings = load_settings(home)
    quality = load_quality_settings(home)
    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes = {}
    started = time.perf_counter()
    if step == "raw":
        for entity, suite in quality_module.raw_suites().items():
            outcomes[suite] = quality_module.run_raw_suite(entity, settings.warehouse_path, period, quality,
                                                           settings.serving_path, suite=suite)
    else:
        import duckdb

        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        built = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'marts'").fetchall()}
        con.close()
        for mart, suite in quality_module.mart_suites().items():
            if mart in built:
                outcomes[suite] = quality_module.run_mart_suite(
                    mart, settings.warehouse_path, period, quality, settings.serving_path, suite=suite,
                    reporting_currency=settings.reporting_currency)
    seconds = time.perf_counter() - started
    rows = {s: o.rows for s, o in outcomes.items()}
    summary = {s: {"status": o.status, "rows": o.rows, "evaluated": o.evaluated,
                   "failures": sorted((f.as_dict() for f in o.failures), key=lambda f: f["id"])}
               for s, o in outcomes.items()}
    print(json.dumps({"seconds": seconds, "rss_after_imports_kb": rss_imports, "rows": rows,
                      "summary": summary}, default=str))


def measure(engine: str, step: str, home: Path, period: str):
    """Run a child: (its result, its resource usage from wait4: peak RSS, CPU time of the whole process)."""
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen([sys.executable, __file__, "--child", engine, step, str(home), period],
                                stdout=subprocess.PIPE, stderr=errors, text=True)
        # read the output before reaping, so that wait4 returns the child's own rusage
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        err = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{engine} {step} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), usage


def compare(before: dict, after: dict) -> list[str]:
    """Differences between the two engines' outcomes (failure order aside; GX's '<NA>' as None)."""
    def norm(value):
        if value == "<NA>":
            return None
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        return value

    diffs = []
    for suite in sorted(set(before) | set(after)):
        b, a = norm(before.get(suite)), after.get(suite)
        if b != a:
            diffs.append(f"{suite}: before {json.dumps(b, default=str)[:600]}\n   after {json.dumps(a, default=str)[:600]}")
    return diffs


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, engine, step, home, period = sys.argv
        child(engine, step, Path(home), period)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="before,after")
    parser.add_argument("--steps", default="raw,mart")
    args = parser.parse_args()
    engines, steps = args.engines.split(","), args.steps.split(",")
    print(f"home {args.home}, period {args.period}, {args.repeat} run(s) each")
    print("| step | engine | rows validated | median s | min s | max s | process CPU s | peak RSS MiB | "
          "RSS after imports MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    summaries: dict[tuple[str, str], dict] = {}
    for step in steps:
        for engine in engines:
            times, peaks, imports, cpu = [], [], [], []
            for _ in range(args.repeat):
                result, usage = measure(engine, step, args.home, args.period)
                times.append(result["seconds"])
                peaks.append(usage.ru_maxrss)
                cpu.append(usage.ru_utime + usage.ru_stime)
                imports.append(result["rss_after_imports_kb"])
                summaries[(step, engine)] = result["summary"]
            rows = sum(result["rows"].values())
            print(f"| {step}_expectations | {engine} | {rows:,} | {statistics.median(times):.1f} | {min(times):.1f} | "
                  f"{max(times):.1f} | {statistics.median(cpu):.1f} | {max(peaks) / 1024:,.0f} | "
                  f"{statistics.median(imports) / 1024:,.0f} |", flush=True)
    for step in steps:
        if (step, "before") in summaries and (step, "after") in summaries:
            diffs = compare(summaries[(step, "before")], summaries[(step, "after")])
            suites = len(summaries[(step, "after")])
            print(f"{step}: {suites} suites, outcomes {'identical' if not diffs else 'DIFFER'} before and after")
            for d in diffs:
                print("  " + d)


if __name__ == "__main__":
    main()
