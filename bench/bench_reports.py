"""Benchmark: what a period's documents cost to render (issue #11: all packs of a period at 2,000 projects in
under 10 minutes on 2 cores; a run renders at most PMO_PROJECT_REPORTS_MAX project reports, see the README).

From a published snapshot (``serving.duckdb``) it renders, into a scratch folder:

1. the portfolio pack of the period (wall and CPU seconds, pages);
2. ``--reports N`` project reports of the period (the first N by project code; all with ``--reports 0``)
   in this process, one after another, so the CPU seconds per report do not depend on what else the machine
   runs; and, with ``--workers W`` > 1, the same N again with W worker processes (wall seconds);
3. ``--programmes N`` programme packs (the first N programmes by name), one after another.

The per-report CPU cost times the period's reports, divided by the workers, is the estimate of the whole
period on an idle machine; the bench prints it.  Load averages before and after are printed, because wall
times on a shared machine mean little without them.

    python bench/bench_reports.py SERVING.duckdb --period 2026-11 [--reports 60] [--workers 2] [--record]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.reports import project as P  # noqa: E402
from orchestration.reports import render_portfolio_pack  # noqa: E402
from orchestration.warehouse import connect  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("serving", type=Path)
    parser.add_argument("--period", required=True)
    parser.add_argument("--reports", type=int, default=60, help="project reports to time (0: all of the period)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--programmes", type=int, default=6, help="programme packs to time (CPU each, one process)")
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    lines = []
    try:
        load_before = os.getloadavg()
        t, c = time.perf_counter(), time.process_time()
        pack = render_portfolio_pack(args.serving, args.period, scratch / "pack")
        pack_wall, pack_cpu = time.perf_counter() - t, time.process_time() - c
        import pypdf

        pages = len(pypdf.PdfReader(str(pack)).pages)
        lines.append(f"| portfolio pack | 1 ({pages} pages) | {pack_wall:.1f} | {pack_cpu:.1f} |")

        t = time.perf_counter()
        with connect(args.serving, read_only=True) as con:
            reports = P.load_project_reports(con, args.period)
        load_wall = time.perf_counter() - t
        total = len(reports.reports)
        todo = list(reports.reports if args.reports == 0 else reports.reports[:args.reports])
        lines.append(f"| read the period's {total:,} project reports (bulk queries) | {total:,} | {load_wall:.1f} | |")
        now = datetime.now(UTC)
        P.render_one(todo[0], str(scratch / "warm.pdf"), now)  # imports and font cache, not timed
        t, c = time.perf_counter(), time.process_time()
        for r in todo:
            P.render_one(r, str(scratch / "one" / r.filename), now)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        per = cpu / len(todo)
        lines.append(f"| project reports, 1 process | {len(todo):,} | {wall:.1f} | {cpu:.1f} ({per:.2f} s each) |")
        if args.workers > 1:
            subset = P.ReportSet(period=reports.period, reports=tuple(todo), rule_versions=reports.rule_versions,
                                 scope=reports.scope)
            t = time.perf_counter()
            P.render_project_reports(subset, scratch / "pool", force=True, workers=args.workers)
            lines.append(f"| project reports, {args.workers} worker processes | {len(todo):,} | "
                         f"{time.perf_counter() - t:.1f} | |")
        with connect(args.serving, read_only=True) as con:
            names = [r[0] for r in con.execute("SELECT DISTINCT programme FROM marts.dim_project WHERE programme IS NOT "
                                               "NULL ORDER BY 1").fetchall()]
        programme_cpu = 0.0
        if args.programmes and names:
            from orchestration.reports.render import render_programme_pack

            timed = names[:args.programmes]
            t, c = time.perf_counter(), time.process_time()
            for name in timed:
                render_programme_pack(args.period, name, scratch / "programmes", serving_path=args.serving)
            programme_cpu = (time.process_time() - c) / len(timed)
            lines.append(f"| programme packs, 1 process | {len(timed)} of {len(names):,} | "
                         f"{time.perf_counter() - t:.1f} | {programme_cpu * len(timed):.1f} "
                         f"({programme_cpu:.2f} s each) |")
        estimate = per * total / max(1, args.workers) / 60
        programme_estimate = programme_cpu * len(names) / max(1, args.workers) / 60
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    text = "\n".join([
        f"## Rendering a period's documents - {date.today().isoformat()}",
        "",
        f"`python bench/bench_reports.py {args.serving} --period {args.period} --reports {args.reports} "
        f"--workers {args.workers}`: {total:,} project reports in the period.",
        "",
        "| what | documents | wall s | CPU s |",
        "|---|---:|---:|---:|",
        *lines,
        "",
        f"Estimate for all {total:,} project reports on an idle machine with {args.workers} worker(s): "
        f"**{estimate:.1f} min** (CPU per report × reports / workers); for the {len(names):,} programme packs "
        f"**{programme_estimate:.1f} min**; with the portfolio pack, the period's documents "
        f"**{estimate + programme_estimate + pack_cpu / 60:.1f} min**. Load average (1, 5, 15 min) "
        f"{tuple(round(x, 1) for x in load_before)} before, {tuple(round(x, 1) for x in load_after)} after.",
        "",
    ])
    print(text)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
