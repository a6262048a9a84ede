"""Benchmark: what issuing a period's documents again costs when little or nothing changed (issue #11: at
2,000 projects, under 2 minutes when only one day's data changed).

On a home whose period has been run (``pmo run --period P``), with the ``pmo`` of this checkout:

1. ``pmo report --period P``: brings every document of the period up to date (the first full issue when the
   run left the project reports to ``pmo report``; timed, not the point);
2. the same again, nothing changed: every report and pack is kept (the manifest's input hashes);
3. one day's timesheets land: a file of ``--projects K`` approved entries on the period's last working day
   with data, one for each of K projects drawn at random (seeded), each a copy of one of that project's
   entries of the day with a new entry id (the person's day stays under the daily-hours gate);
   then ``pmo run --period P`` (ingest, build, gates, publish and the run's documents) and
   ``pmo report --period P`` (the reports the run left, if any).

Wall and CPU seconds (user + system of the command and its children) of each command, and what it rendered
and kept, as ``pmo report`` prints them.  Load averages before and after: wall times on a shared machine mean
little without them.

    python bench/bench_reissue.py HOME --period 2026-11 [--projects 20] [--seed 7] [--record]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PMO = Path(sys.executable).with_name("pmo")
sys.path.insert(0, str(ROOT / "bench"))

from bench_scale import run_steps  # noqa: E402

PACK_STEP = "reports__portfolio_pack"


def timed(*args: str) -> tuple[float, float, str]:
    """Run ``pmo ARGS``; (wall s, CPU s of it and its children, its output). Exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([str(PMO), *args], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"pmo {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return wall, cpu, done.stdout


def rendered(output: str) -> str:
    """What ``pmo report`` says it rendered and kept, on one line."""
    found = []
    m = re.search(r"portfolio pack\s+\S+( \(unchanged, kept\))?", output)
    if m:
        found.append("pack kept" if m.group(1) else "pack rendered")
    m = re.search(r"project reports\s+(\d+) rendered, (\d+) unchanged", output)
    if m:
        found.append(f"reports {m.group(1)} rendered / {m.group(2)} kept")
    m = re.search(r"programme packs\s+(\d+) rendered, (\d+) unchanged", output)
    if m:
        found.append(f"programme packs {m.group(1)} rendered / {m.group(2)} kept")
    return "; ".join(found)


def manifest(home: Path, period: str) -> dict:
    path = home / "reports" / period / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def rendered_between(before: dict, after: dict) -> str:
    """What a run rendered in the period's folder: the entries whose render time changed."""
    def moved(kind: str) -> tuple[int, int]:
        old, new = before.get(kind) or {}, after.get(kind) or {}
        return sum(e.get("rendered_at") != (old.get(k) or {}).get("rendered_at") for k, e in new.items()), len(new)

    reports, packs = moved("projects"), moved("packs")
    return (f"reports {reports[0]} rendered / {reports[1] - reports[0]} kept; "
            f"packs (portfolio and programme) {packs[0]} rendered / {packs[1] - packs[0]} kept")


def write_day(landing: Path, period: str, projects: int, seed: int) -> tuple[Path, int, str]:
    """One day's late timesheets for ``projects`` projects, on the period's last working day with data."""
    end = period + "-31"
    best, header, rows_of_day = "", [], []
    for path in sorted((landing / "timesheets").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            at = header.index("work_date")
            rows = [r for r in reader if r[at] <= end]
        top = max((r[at] for r in rows), default="")
        if top > best:
            best, rows_of_day = top, [r for r in rows if r[at] == top]
        elif top == best:
            rows_of_day += [r for r in rows if r[at] == top]
    if not rows_of_day:
        raise SystemExit(f"{landing}/timesheets holds no entry in {period}")
    col = {name: i for i, name in enumerate(header)}
    by_project: dict[str, list[str]] = {}
    for r in rows_of_day:
        if r[col["approval_status"]] == "approved":
            by_project.setdefault(r[col["project_code"]], r)
    picked = random.Random(seed).sample(sorted(by_project), min(projects, len(by_project)))
    target = landing / "timesheets" / f"late-{best}-seed{seed}.csv"
    with open(target, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for k, code in enumerate(sorted(picked), 1):
            row = list(by_project[code])
            row[col["entry_id"]] = f"LATE-{best.replace('-', '')}-S{seed}-{k:05d}"
            writer.writerow(row)
    return target, len(picked), best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("home", type=Path)
    parser.add_argument("--period", required=True)
    parser.add_argument("--projects", type=int, default=20, help="projects the day's entries touch")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    home = str(args.home)
    load_before = os.getloadavg()
    lines = ["| step | wall s | CPU s | rendered / kept |", "|---|---:|---:|---|"]

    def step(label: str, *cmd: str) -> None:
        wall, cpu, out = timed(*cmd)
        lines.append(f"| {label} | {wall:.1f} | {cpu:.1f} | {rendered(out)} |")
        print(lines[-1], flush=True)

    step("`pmo report` (the period's documents brought up to date)", "report", "--home", home, "--period", args.period)
    step("`pmo report` again, nothing changed", "report", "--home", home, "--period", args.period)
    target, entries, day = write_day(args.home / "landing", args.period, args.projects, args.seed)
    before = manifest(args.home, args.period)
    wall, cpu, _ = timed("run", "--home", home, "--period", args.period)
    what = rendered_between(before, manifest(args.home, args.period))
    lines.append(f"| `pmo run` after {target.name} lands ({entries} entries, {entries} projects, on {day}) | "
                 f"{wall:.1f} | {cpu:.1f} | {what} |")
    pack_step = [s for s in run_steps(Path(sys.executable), args.home) if s["step"] == PACK_STEP]
    if pack_step:
        lines.append(f"| of which the run's documents (step `{PACK_STEP}`) | {pack_step[0]['seconds']:.1f} | | |")
    print("\n".join(lines[-2:]), flush=True)
    step("`pmo report` after that run", "report", "--home", home, "--period", args.period)
    load_after = os.getloadavg()
    text = "\n".join(lines) + (f"\n\nLoad average (1, 5, 15 min) {tuple(round(x, 1) for x in load_before)} before, "
                               f"{tuple(round(x, 1) for x in load_after)} after.\n")
    print(text)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(f"\n## Issuing a period's documents again - {date.today().isoformat()}\n\n"
                     f"`python bench/bench_reissue.py {home} --period {args.period} --projects {args.projects} "
                     f"--seed {args.seed}`\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
