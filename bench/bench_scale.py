"""Benchmark: what a cold run and a night's increment cost as the organisation grows (issue #9).

For each size (projects x months, default 30, 300 and 2,000 projects x 36 months to 2026-11):

1. **generate**: ``pmo demo --no-run --canonical`` writes the organisation's canonical CSV into a scratch
   home (``<scratch>/p<N>``; any previous one is removed first).
2. **cold run**: ``pmo run --period <last>`` with nothing ingested before.
3. **increment**: one new day of timesheets lands as a new canonical CSV file (the working day after the
   last one in the data, up to ``--increment-rows`` approved entries copied from that last day, with new
   entry ids), and the same period is run again.
   With ``--ruled-night``, two more nights: one whose file holds an entry of 30 hours (the
   ``hours_per_entry`` row rule moves it to quarantine, as a real organisation's nights often have such a
   row), then a clean one, whose ingest puts that row back and rules on it again.
4. **backfill** (with ``--backfill``): ``pmo backfill`` of every period, which must leave a pack and frozen
   figures for each.
5. **dbt overhead** (``bench/bench_dbt_overhead.py``): the run's ``dbt build`` against the same compiled
   SQL run directly in one DuckDB connection, on copies of the warehouse.

Each command runs as a child process whose whole process tree (children included: dbt, WeasyPrint…) is
sampled every ``--interval`` seconds with psutil; its peak is the largest sum of the tree's resident set
sizes (RSS, so pages shared between processes count once per process).  Each Dagster step's time comes
from the run's STEP_START and STEP_SUCCESS/STEP_FAILURE events in the home's Dagster instance, and its peak
RSS from the samples taken while it ran; "outside the steps" is the rest of the command (start-up, loading
the code location, writing the run's quality summary).

So that a broken run cannot look fast, every run must exit 0 and the warehouse must hold what landed:
``raw.timesheets`` + ``quarantine.timesheets`` = the data rows of ``landing/timesheets/*.csv`` after the
cold run, and the increment adds exactly its rows to ``raw.timesheets``.  The bench uses only the ``pmo``
command, the documented home layout and those two tables, so it keeps working as the steps change.

With ``--engine spark`` the runs build the marts on Spark local[2] (``pmo run --engine spark``, issue #14)
and the dbt overhead step is skipped; ``--no-increment`` stops after the cold run.

    python bench/bench_scale.py [--sizes 30,300,2000] [--months 36] [--as-of 2026-11] [--engine spark] [--record]
    make bench-scale BENCH_SCALE_ARGS="--sizes 30,300 --record"

Timings are wall-clock on whatever else the machine is doing: the recorded section says the load
average before and after.  At 2,000 projects main needed about 7 minutes and 8 GB; run one size at a
time there.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

try:
    import psutil
except ImportError:  # pragma: no cover - a clear message rather than a traceback
    sys.exit("bench_scale.py needs psutil (pip install -e '.[dev]')")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIB = 1024 * 1024

# Reads the step events of one run from the home's Dagster instance, in a child process: activating a
# home points environment variables at it, which the benchmark itself should not carry around.
STEPS_SCRIPT = textwrap.dedent("""
    import json, sys
    from dagster import DagsterEventType, DagsterInstance
    from orchestration.settings import activate, load_settings
    activate(load_settings(sys.argv[1]))
    kinds = {DagsterEventType.STEP_START: "start", DagsterEventType.STEP_SUCCESS: "end",
             DagsterEventType.STEP_FAILURE: "end", DagsterEventType.RUN_START: "run_start",
             DagsterEventType.RUN_SUCCESS: "run_end", DagsterEventType.RUN_FAILURE: "run_end"}
    with DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        events = instance.all_logs(runs[0].run_id, of_type=set(kinds)) if runs else []
        print(json.dumps({"run_id": runs[0].run_id if runs else None, "events": [
            {"kind": kinds[e.dagster_event.event_type], "step": e.step_key, "at": e.timestamp,
             "failed": e.dagster_event.event_type == DagsterEventType.STEP_FAILURE} for e in events]}))
""")


# ----------------------------------------------------------------------------------------------------
# Measuring a command
# ----------------------------------------------------------------------------------------------------
@dataclass
class Measured:
    """One command: its wall time, exit status and the RSS samples of its process tree."""

    argv: list[str]
    returncode: int
    started: float  # time.time()
    seconds: float
    samples: list[tuple[float, int]]  # (time.time(), bytes)
    output: str

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def peak_between(self, start: float, end: float) -> int | None:
        inside = [rss for at, rss in self.samples if start <= at <= end]
        if inside:
            return max(inside)
        before = [s for s in self.samples if s[0] <= start]  # a step shorter than the interval
        return before[-1][1] if before else None


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in family:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


def measure(argv: list[str], interval: float, log: Path) -> Measured:
    """Run argv, sampling its process tree's RSS every ``interval`` seconds until it ends."""
    samples: list[tuple[float, int]] = []
    started, t0 = time.time(), time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        proc = psutil.Process(child.pid)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.time(), _tree_rss(proc)))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = child.wait()
        done.set()
        sampler.join()
    return Measured(argv, returncode, started, time.perf_counter() - t0, samples, log.read_text(encoding="utf-8"))


def run_steps(python: Path, home: Path) -> list[dict]:
    """Each Dagster step of the home's latest run: name, seconds, start and end (time.time())."""
    out = subprocess.run([str(python), "-c", STEPS_SCRIPT, str(home)], capture_output=True, text=True,
                         cwd=REPO, check=True)
    events = json.loads(out.stdout.strip().splitlines()[-1])["events"]
    starts = {e["step"]: e["at"] for e in events if e["kind"] == "start"}
    steps = []
    for e in events:
        if e["kind"] == "end" and e["step"] in starts:
            steps.append({"step": e["step"] + (" (failed)" if e["failed"] else ""), "start": starts[e["step"]],
                          "end": e["at"], "seconds": e["at"] - starts[e["step"]]})
    return sorted(steps, key=lambda s: s["start"])


# ----------------------------------------------------------------------------------------------------
# The checks: a run that loaded nothing must not look fast
# ----------------------------------------------------------------------------------------------------
def csv_rows(path: Path) -> int:
    """Data rows (header excluded) of a CSV file: its line breaks, unless a quoted cell may hold one."""
    data = path.read_bytes()
    if b'"' not in data and b"\r" not in data:
        return max(0, data.count(b"\n") + (not data.endswith(b"\n")) - 1) if data else 0
    with open(path, newline="", encoding="utf-8") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def landing_rows(folder: Path) -> int:
    """Data rows of every CSV file in a landing folder."""
    return sum(csv_rows(path) for path in folder.glob("*.csv"))


def warehouse_counts(home: Path) -> dict[str, int]:
    import duckdb

    from orchestration.settings import load_settings

    path = load_settings(home).warehouse_path
    con = duckdb.connect(str(path), read_only=True)
    try:
        counts = {}
        for table in ("raw.timesheets", "quarantine.timesheets"):
            try:
                counts[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
            except duckdb.CatalogException:
                counts[table] = 0
        return counts
    finally:
        con.close()


def write_increment(landing: Path, rows_wanted: int, today: date, ruled: int = 0) -> tuple[Path, int, date]:
    """A night's timesheets: the working day after the data's last one, entries copied from that last day.
    The first ``ruled`` entries get 30 hours, which the raw_timesheets.hours_per_entry row rule (0-24 h an
    entry) moves to quarantine.timesheets."""
    files = sorted((landing / "timesheets").glob("*.csv"))
    last_day, header, template = "", [], []
    for path in files:  # the last day is in one of the files; read them from the newest name
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            at = header.index("work_date")
            rows = list(reader)
        top = max((r[at] for r in rows), default="")
        if top > last_day:
            last_day, template = top, [r for r in rows if r[at] == top]
    if not template:
        raise SystemExit(f"{landing}/timesheets holds no timesheet row to copy")
    day = date.fromisoformat(last_day) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    if day > today:
        raise SystemExit(f"the increment's day {day} would be in the future (the gates reject it): use an "
                         "earlier --as-of")
    col = {name: i for i, name in enumerate(header)}
    seen, picked = set(), []
    # one entry per person, project and task (the daily-hours gate stays green), none a ruled night's 30 hours
    for r in template:
        key = (r[col["person_id"]], r[col["project_code"]], r[col["task_code"]])
        if r[col["approval_status"]] == "approved" and float(r[col["hours"]]) <= 24 and key not in seen:
            seen.add(key)
            picked.append(list(r))
    picked = picked[:rows_wanted]
    for k, r in enumerate(picked, 1):
        r[col["work_date"]] = day.isoformat()
        r[col["entry_id"]] = f"NIGHT-{day:%Y%m%d}-{k:05d}"
        if k <= ruled:
            r[col["hours"]] = "30"
    target = landing / "timesheets" / f"night-{day.isoformat()}.csv"
    with open(target, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(picked)
    return target, len(picked), day


# ----------------------------------------------------------------------------------------------------
# One size
# ----------------------------------------------------------------------------------------------------
@dataclass
class SizeResult:
    projects: int
    months: int
    generate: Measured | None = None
    runs: dict[str, Measured] = field(default_factory=dict)  # "cold" / "increment"
    steps: dict[str, list[dict]] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    landing_mb: float = 0.0
    rows: int = 0


def bench_size(args, projects: int, scratch: Path, pmo: Path, python: Path) -> SizeResult:
    res = SizeResult(projects, args.months)
    home = scratch / f"p{projects}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    logs = scratch / "logs"
    logs.mkdir(exist_ok=True)
    period = args.as_of
    say = lambda text: print(f"[{projects:>5} projects] {text}", flush=True)  # noqa: E731

    if args.landing_from:
        # an organisation generated earlier with the same --projects/--months/--as-of (not timed again)
        say(f"copying the landing files of {args.landing_from}")
        shutil.copytree(Path(args.landing_from) / "landing", home / "landing")
        res.generate = None
    else:
        res.generate = measure([str(pmo), "demo", "--home", str(home), "--projects", str(projects), "--months",
                                str(args.months), "--as-of", period, "--seed", str(args.seed), "--no-run",
                                "--canonical"], args.interval, logs / f"p{projects}-generate.log")
    if res.generate is not None and res.generate.returncode != 0:
        res.failures.append(f"pmo demo --no-run --canonical exited {res.generate.returncode}: "
                            f"{res.generate.output[-500:]}")
        return res
    landing = home / "landing"
    files = list(landing.rglob("*.csv"))
    res.landing_mb = sum(p.stat().st_size for p in files) / 1e6
    res.rows = sum(csv_rows(p) for p in files)
    ts_landed = landing_rows(landing / "timesheets")
    say(f"landing: {res.rows:,} rows ({res.landing_mb:,.0f} MB, {ts_landed:,} timesheet rows)" + (
        f", generated in {res.generate.seconds:.1f} s, peak {res.generate.peak / MIB:,.0f} MiB" if res.generate else ""))

    run = [str(pmo), "run", "--home", str(home), "--period", period, "--engine", args.engine]
    cold = res.runs["cold"] = measure(run, args.interval, logs / f"p{projects}-cold.log")
    say(f"cold run: exit {cold.returncode}, {cold.seconds:.1f} s, peak {cold.peak / MIB:,.0f} MiB")
    res.steps["cold"] = run_steps(python, home)
    if cold.returncode != 0:
        res.failures.append(f"cold run exited {cold.returncode} (log {logs / f'p{projects}-cold.log'})")
        return res
    before = warehouse_counts(home)
    loaded = before["raw.timesheets"] + before["quarantine.timesheets"]
    check = (f"cold: raw.timesheets {before['raw.timesheets']:,} + quarantine.timesheets "
             f"{before['quarantine.timesheets']:,} = {loaded:,}; landing/timesheets holds {ts_landed:,} rows")
    (res.checks if loaded == ts_landed else res.failures).append(check)
    if not args.increment:
        return res

    target, added, day = write_increment(landing, args.increment_rows, date.today())
    night = res.runs["increment"] = measure(run, args.interval, logs / f"p{projects}-increment.log")
    say(f"increment ({added} entries on {day}): exit {night.returncode}, {night.seconds:.1f} s, "
        f"peak {night.peak / MIB:,.0f} MiB")
    res.steps["increment"] = run_steps(python, home)
    if night.returncode != 0:
        res.failures.append(f"increment run exited {night.returncode} (log {logs / f'p{projects}-increment.log'})")
        return res
    after = warehouse_counts(home)
    check = (f"increment: {target.name} ({added} entries on {day}) took raw.timesheets from "
             f"{before['raw.timesheets']:,} to {after['raw.timesheets']:,}")
    ok = after["raw.timesheets"] - before["raw.timesheets"] == added and \
        after["quarantine.timesheets"] == before["quarantine.timesheets"]
    (res.checks if ok else res.failures).append(check)
    if args.ruled_night and not night_with_ruled_rows(res, args, run, home, landing, python, logs, say):
        return res

    if args.backfill:
        backfill_check(res, home, args, pmo, logs, say)

    if args.dbt_overhead:
        from bench_dbt_overhead import measure as dbt_overhead

        o = dbt_overhead(home, period)
        check = (f"dbt build of {o['models']} models and {o['tests']} tests: {o['dbt_s']} s (its first, parsing: "
                 f"{o['dbt_first_s']} s) against {o['direct_sql_s']} s for the same compiled SQL in one DuckDB "
                 f"connection: {o['ratio']}x (goal <= 1.5x)")
        say(check)
        (res.checks if o["same_rows"] else res.failures).append(check + ("" if o["same_rows"] else ": rows differ"))
    return res


def night_with_ruled_rows(res: SizeResult, args, run: list[str], home: Path, landing: Path, python: Path,
                          logs: Path, say) -> bool:
    """Two more nights after the increment: one whose file holds an entry a row rule quarantines (30 hours),
    as a real organisation's nights often do, then a clean one (whose ingest first puts the ruled row back
    and lets the rules decide again).  False when a run failed or its rows do not add up."""
    for kind, ruled in (("ruled night", 1), ("night after", 0)):
        before = warehouse_counts(home)
        target, added, day = write_increment(landing, args.increment_rows, date.today(), ruled=ruled)
        name = kind.replace(" ", "-")
        measured = res.runs[kind] = measure(run, args.interval, logs / f"p{res.projects}-{name}.log")
        say(f"{kind} ({added} entries on {day}, {ruled} breaking a row rule): exit {measured.returncode}, "
            f"{measured.seconds:.1f} s, peak {measured.peak / MIB:,.0f} MiB")
        res.steps[kind] = run_steps(python, home)
        if measured.returncode != 0:
            res.failures.append(f"{kind} run exited {measured.returncode} (log {logs / f'p{res.projects}-{name}.log'})")
            return False
        after = warehouse_counts(home)
        grew = (after["raw.timesheets"] - before["raw.timesheets"],
                after["quarantine.timesheets"] - before["quarantine.timesheets"])
        check = (f"{kind}: {target.name} ({added} entries, {ruled} with 30 hours) added {grew[0]:,} rows to "
                 f"raw.timesheets and {grew[1]:,} to quarantine.timesheets")
        ok = grew == (added - ruled, ruled)
        (res.checks if ok else res.failures).append(check)
        if not ok:
            return False
    return True


def first_period(as_of: str, months: int) -> str:
    year, month = map(int, as_of.split("-"))
    index = year * 12 + month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def backfill_check(res: SizeResult, home: Path, args, pmo: Path, logs: Path, say) -> None:
    """``pmo backfill`` of every period of the organisation (after the runs above): wall time, peak RSS,
    and a pack and frozen figures for each period."""
    start = first_period(args.as_of, args.months)
    argv = [str(pmo), "backfill", "--home", str(home), "--start", start, "--end", args.as_of, "--new"]
    done = measure(argv, args.interval, logs / f"p{res.projects}-backfill.log")  # a line of its own, not a column
    periods = args.months
    packs = sum((home / "reports" / f"{first_period(args.as_of, args.months - i)}" / "portfolio-pack.pdf").is_file()
                for i in range(periods))
    frozen = sum((home / "reported" / first_period(args.as_of, args.months - i)).is_dir() for i in range(periods))
    check = (f"backfill of {periods} periods ({start}…{args.as_of}): exit {done.returncode}, {done.seconds:.1f} s, "
             f"peak {done.peak / MIB:,.0f} MiB; {packs} packs and {frozen} frozen periods (goal: <= 600 s)")
    say(check)
    (res.checks if done.returncode == 0 and packs == periods else res.failures).append(check)


# ----------------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------------
def _mib(value: int | None) -> str:
    return "" if value is None else f"{value / MIB:,.0f}"


def table(results: list[SizeResult]) -> str:
    kinds = list(dict.fromkeys(kind for r in results for kind in r.runs)) or ["cold", "increment"]
    titles = {"cold": "cold run"}
    lines = ["| projects | step | " + " | ".join(f"{titles.get(k, k)} s | peak RSS MiB" for k in kinds) + " |",
             "|---:|---|" + "---:|---:|" * len(kinds)]
    for r in results:
        n = f"{r.projects:,}"
        if r.generate is not None:
            lines.append(f"| {n} | generate (`pmo demo --no-run --canonical`; {r.rows:,} rows, "
                         f"{r.landing_mb:,.0f} MB) | {r.generate.seconds:.1f} | {_mib(r.generate.peak)} |"
                         + " |" * (2 * len(kinds) - 2))
        names: list[str] = []
        for kind in kinds:
            names += [s["step"] for s in r.steps.get(kind, []) if s["step"] not in names]
        cells: dict[tuple[str, str], tuple[str, str]] = {}
        for kind, measured in r.runs.items():
            steps = r.steps.get(kind, [])
            for s in steps:
                cells[(s["step"], kind)] = (f"{s['seconds']:.1f}", _mib(measured.peak_between(s["start"], s["end"])))
            inside = sum(s["seconds"] for s in steps)
            cells[("outside the steps (start-up, code location, summary)", kind)] = (
                f"{measured.seconds - inside:.1f}", "")
            status = "" if measured.returncode == 0 else f" (exit {measured.returncode})"
            cells[(f"**whole `pmo run`**{status}", kind)] = (f"**{measured.seconds:.1f}**",
                                                             f"**{_mib(measured.peak)}**")
        names += ["outside the steps (start-up, code location, summary)"]
        names += sorted({k for k, _ in cells if k.startswith("**whole")})
        for name in names:
            row = [cell for kind in kinds for cell in cells.get((name, kind), ("", ""))]
            lines.append(f"| {n} | {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine() -> str:
    mem = psutil.virtual_memory().total / 1024**3
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB memory, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=REPO).stdout.strip()
        return head + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="30,300,2000",
                        help="projects per organisation, comma-separated (add 5000 if memory allows)")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--as-of", default="2026-11", help="the last period, YYYY-MM (the period that is run)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--increment-rows", type=int, default=300,
                        help="at most this many timesheet entries in the night's file")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between RSS samples")
    parser.add_argument("--scratch", type=Path, help="where the homes go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the homes (always kept with --scratch)")
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    parser.add_argument("--backfill", action="store_true",
                        help="also time `pmo backfill` of every period after the increment (long at 2,000 projects)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="what builds the marts (spark: dbt-spark on local[2], `make install-spark`; no dbt "
                             "overhead measurement, which is DuckDB's)")
    parser.add_argument("--landing-from", type=Path,
                        help="a home whose landing/ holds the organisation already (pmo demo --no-run --canonical "
                             "with the same sizes): copied instead of generated (one size only)")
    parser.add_argument("--no-increment", dest="increment", action="store_false",
                        help="only the cold run (with --engine spark the increment costs a second build)")
    parser.add_argument("--ruled-night", action="store_true",
                        help="after the increment, a night with one entry a row rule quarantines, then a clean "
                             "night (the ruled row put back and ruled again)")
    parser.add_argument("--no-dbt-overhead", dest="dbt_overhead", action="store_false",
                        help="skip bench_dbt_overhead.py (dbt build against its compiled SQL run directly)")
    args = parser.parse_args()
    if args.engine != "duckdb":
        args.dbt_overhead = False
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    python = Path(sys.executable)
    pmo = python.with_name("pmo")
    if not pmo.exists():
        sys.exit(f"{pmo} not found: run the bench with the project's venv (make bench-scale)")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="pmo-bench-scale-"))
    load_before = os.getloadavg()
    results = []
    try:
        for n in sizes:
            results.append(bench_size(args, n, scratch, pmo, python))
    finally:
        if args.scratch is None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()
    report = table(results)
    checks = [f"- {r.projects:,} projects: {c}" for r in results for c in r.checks]
    failures = [f"- **{r.projects:,} projects: {f}**" for r in results for f in r.failures]
    print("\n" + report + "\n\nChecks:\n" + "\n".join(checks + failures))
    if args.record:
        text = [
            f"\n## Scale: cold run and a night's increment (engine {args.engine}) - {date.today().isoformat()}\n",
            f"`python bench/bench_scale.py --sizes {args.sizes} --months {args.months} --as-of {args.as_of} "
            f"--engine {args.engine}{'' if args.increment else ' --no-increment'}` "
            f"(seed {args.seed}; code at {commit()}): per organisation, `pmo demo --no-run --canonical`, a cold "
            f"`pmo run --period {args.as_of}`" + (f" and the same run after one new day of timesheets "
            f"(at most {args.increment_rows} entries) lands" if args.increment else "") + ". Seconds are wall time; "
            f"peak RSS is the whole "
            f"process tree's, sampled every {args.interval} s (per step: while the step ran).\n",
            report,
            "\nRows checked:\n",
            *checks, *failures,
            f"\nMachine: {machine()}. Load average (1, 5, 15 min) {load_before[0]:.1f}, {load_before[1]:.1f}, "
            f"{load_before[2]:.1f} before and {load_after[0]:.1f}, {load_after[1]:.1f}, {load_after[2]:.1f} after.\n",
        ]
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(text))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
