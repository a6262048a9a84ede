"""Benchmark: read the real HS2 P6 export (SP10-COST-LOADED.xer.gz, 3,994 activities, 3.1 MB) with the
XER reader; report the median of 5 runs.  Budget: under 5 s.

    python bench/bench_xer.py              # print the result
    python bench/bench_xer.py --record     # ... and append a section to bench/RESULTS.md

The sample lives outside the repository (``../shared/samples/xer``; ``$PMO_SAMPLES_DIR`` overrides).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.sources import xer  # noqa: E402

SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR") or ROOT.parent / "shared" / "samples")
SAMPLE = SAMPLES / "xer" / "SP10-COST-LOADED.xer.gz"
BUDGET_S = 5.0
RUNS = 5


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    if not SAMPLE.is_file():
        print(f"sample not found: {SAMPLE} (set PMO_SAMPLES_DIR)", file=sys.stderr)
        return 2
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = xer.read(SAMPLE)
        times.append(time.perf_counter() - start)
    rows = result.entities["tasks"].rows
    median = statistics.median(times)
    verdict = "OK" if median < BUDGET_S else "OVER BUDGET"
    print(f"xer.read({SAMPLE.name}): {len(rows)} activities, median of {RUNS} = {median:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}); budget {BUDGET_S:.0f} s: {verdict}")
    print(f"machine: {machine()}")
    if args.record:
        section = (
            f"\n## XER reader - {date.today().isoformat()}\n\n"
            f"`python bench/bench_xer.py`: `orchestration.sources.xer.read` on the real HS2 P6 export "
            f"`{SAMPLE.name}` (gzip, 3,080,383 bytes inflated; {len(rows):,} activities, 692 TASKRSRC rows).\n\n"
            f"| runs | median | min | max | budget | verdict |\n|---|---|---|---|---|---|\n"
            f"| {RUNS} | {median:.3f} s | {min(times):.3f} s | {max(times):.3f} s | < {BUDGET_S:.0f} s | {verdict} |\n\n"
            f"Machine: {machine()}.\n"
        )
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\nRecorded by the scripts in bench/; newest sections last.\n")
        with open(results, "a", encoding="utf-8") as fh:
            fh.write(section)
        print(f"recorded in {results}")
    return 0 if median < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
