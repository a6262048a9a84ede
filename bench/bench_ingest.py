"""Ingest benchmark: cold, unchanged and a night's increment, with wall time, CPU time and peak memory.

    python bench/bench_ingest.py /tmp/scale/p2000/landing [--work DIR] [--record]

The landing zone is copied to a work directory (the increment adds a file to it).  Each step runs
``orchestration.pipeline.ingest.load_landing`` in a fresh process, which reports its wall time, CPU time (user +
system, all threads) and peak resident memory:

* **cold**: nothing ingested before (new warehouse and archive): every file is parsed.
* **unchanged**: the same landing again: nothing is parsed, raw is left as it is.
* **increment**: one new day of timesheets lands (the rows of the last day in the newest timesheet file,
  moved one day on, as a new file): only that file is parsed and its rows appended.
* **latest_period**: ``pmo run``'s default period, from the warehouse's parses (as ``pmo run`` does once
  cli.py passes the warehouse), and from a scratch database (no warehouse).

``--record`` appends the table to bench/RESULTS.md.  Wall times on a shared machine are noisy; CPU
time is the steadier figure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from orchestration.pipeline.ingest import latest_period, load_landing
step, home = sys.argv[1], Path(sys.argv[2])
started, cpu0 = time.perf_counter(), time.process_time()
out = {{}}
if step == "latest_period":
    out["period"] = latest_period(home / "landing", home / "archive", warehouse=home / "warehouse.duckdb")
elif step == "latest_period_scratch":
    out["period"] = latest_period(home / "landing", home / "archive")
else:
    report = load_landing(home / "landing", home / "warehouse.duckdb", archive_dir=home / "archive")
    out.update(parsed=len(report.parsed), reused=report.reused,
               rows=sum(e.loaded for e in report.entities.values()),
               quarantined=sum(e.quarantined for e in report.entities.values()))
out.update(wall=time.perf_counter() - started, cpu=time.process_time() - cpu0,
           rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def run_step(step: str, home: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), step, str(home)],
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{step} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def add_a_day(landing: Path) -> Path:
    """A new timesheet file with the newest file's last day of rows, one day later (new entry ids)."""
    newest = sorted((landing / "timesheets").glob("*.csv"))[-1]
    lines = newest.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    cols = header.split(",")
    d, e = cols.index("work_date"), cols.index("entry_id") if "entry_id" in cols else None
    last = max(r.split(",")[d] for r in rows)
    nxt = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    out = []
    for r in rows:
        cells = r.split(",")
        if cells[d] == last:
            cells[d] = nxt
            if e is not None:
                cells[e] += "-N"
            out.append(",".join(cells))
    target = landing / "timesheets" / f"timesheets-{nxt}.csv"
    target.write_text("\n".join([header, *out]) + "\n", encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(args.landing, work / "landing")
    size = sum(p.stat().st_size for p in (work / "landing").rglob("*") if p.is_file())
    steps = [("cold", run_step("cold", work)), ("unchanged", run_step("unchanged", work))]
    day = add_a_day(work / "landing")
    steps.append((f"increment (+{day.name})", run_step("increment", work)))
    steps.append(("latest_period (warehouse)", run_step("latest_period", work)))
    steps.append(("latest_period (no warehouse)", run_step("latest_period_scratch", work)))
    files = sum(1 for p in (work / "landing").rglob("*") if p.is_file())
    lines = [f"`python bench/bench_ingest.py {args.landing}`: {files} files, {size / 1e6:.0f} MB; "
             f"{steps[0][1]['rows']:,} rows loaded, {steps[0][1]['quarantined']:,} quarantined.", "",
             "| step | wall | CPU (all threads) | peak RSS | files parsed / reused |", "|---|---|---|---|---|"]
    for name, r in steps:
        parsed = f"{r['parsed']} / {r['reused']}" if "parsed" in r else f"period {r['period']}"
        lines.append(f"| {name} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['rss_mb']:.0f} MB | {parsed} |")
    lines += ["", f"Machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
              f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end."]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## Ingest - {date.today().isoformat()}\n\n{text}\n")


if __name__ == "__main__":
    main()
