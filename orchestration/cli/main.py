"""The ``pmo`` command.

Exit status: 0 success; 1 when a run failed (a blocking check failed, a step could not
complete, or the wait for the warehouse writer slot gave up; nothing new is published then); 2 for a
usage error; 130 (SIGINT, Ctrl-C) or 143 (SIGTERM) when a signal canceled the run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestration.settings import SettingsError, check_period, load_settings

app = typer.Typer(
    name="pmo",
    help="pmo-warehouse: earned value, earned schedule and portfolio packs from your PMO's exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Deployment home (default: $PMO_HOME, else ./.pmo).", show_default=False),
]


def _settings(home: Path | None):
    try:
        return load_settings(home)
    except SettingsError as exc:
        err.print(f"[red]Settings error:[/red] {exc}")
        raise typer.Exit(2) from None


EngineOption = Annotated[str | None, typer.Option(
    "--engine", help="What builds the marts: duckdb or spark (default: settings.yaml's engine, else duckdb; "
                     "spark needs `make install-spark` and Java 17). The published files are the same.")]


def _engine_settings(home: Path | None, engine: str | None):
    """The home's settings with ``--engine`` applied (through PMO_ENGINE, which the run's steps read too),
    refused with a clear message when the spark engine cannot run here."""
    import os

    from orchestration.settings import ENGINE_ENV

    if engine is not None:
        os.environ[ENGINE_ENV] = engine.strip().lower()
    settings = _settings(home)
    if settings.engine == "spark":
        from orchestration.pipeline.spark_engine import spark_missing

        reason = spark_missing()
        if reason:
            err.print(f"[red]Engine spark cannot run here:[/red] {reason}.", soft_wrap=True, highlight=False)
            raise typer.Exit(2)
    return settings


def _period_arg(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return check_period(value)
    except SettingsError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def _print_outcome(outcome, settings) -> None:
    """A failed, blocked or canceled run in plain words, and nothing else: Dagster's own log lines and any
    stack trace are in the run's log file and the Dagster UI."""
    if outcome.success:
        return
    what = {"canceled": "was canceled", "blocked": "was blocked"}.get(outcome.status, "failed")
    if getattr(outcome, "published_serving", False):
        published = ("serving.duckdb and the Parquet files were published before it stopped; the pack of "
                     f"{outcome.period} was not renewed.")
    else:
        published = "nothing new was published: serving.duckdb, the Parquet files and the packs are unchanged."
    err.print(f"[red]✗ Run for {outcome.period} {what}[/red] (run {outcome.run_id[:8]}); {published}",
              soft_wrap=True, highlight=False)
    if outcome.message:
        err.print(f"  {outcome.message}", soft_wrap=True, highlight=False)
    if outcome.failed_checks:
        err.print("[bold]Blocking checks that failed:[/bold]")
        for c in outcome.failed_checks:
            err.print(f"  • {c}", soft_wrap=True, highlight=False)
    for c in getattr(outcome, "warned_checks", []):
        err.print(f"  • warning: {c}", soft_wrap=True, highlight=False)
    for s in outcome.failed_steps:
        err.print(f"  • step {s}", soft_wrap=True, highlight=False)
    if getattr(outcome, "summary_path", ""):
        err.print(f"Quality summary of this run: {outcome.summary_path}", soft_wrap=True, highlight=False)
    if outcome.status in ("failed", "blocked"):
        err.print(f"Alert written to {settings.alerts_log}", soft_wrap=True, highlight=False)
    err.print(f"Full log of this run: {outcome.log_path}", soft_wrap=True, highlight=False)
    err.print(f"See the run in the Dagster UI: pmo ui --home {settings.home}", soft_wrap=True, highlight=False)


def _print_warnings(outcome) -> None:
    """Checks that failed with warning severity: published, and listed here and in the pack's appendix."""
    if outcome.warned_checks:
        console.print(f"[yellow]{len(outcome.warned_checks)} check(s) warned[/yellow] (published; listed in the "
                      "pack's data-quality appendix):", highlight=False)
        for c in outcome.warned_checks:
            console.print(f"  • {c}", soft_wrap=True, highlight=False)
    if outcome.summary_path:
        console.print(f"  {'Quality summary:':<28} {outcome.summary_path}", soft_wrap=True, highlight=False)


def _run(settings, period: str):
    """Run one period with a spinner (which says what the run waits for, if it waits for the writer slot).

    A run that fails, is blocked or is canceled prints its outcome and exits 1, or 128 + the signal
    that canceled it (130 SIGINT, 143 SIGTERM)."""
    import signal

    from orchestration.cli.runner import RunInterrupted, run_period

    label = f"Running the flow for {period}: ingest → checks → dbt → publish → pack…"
    # The run sends stdout to its log file; the spinner (and what the run waits for) stays on the terminal.
    console.file = sys.stdout
    try:
        with console.status(label) as status:
            def on_step(step: str, what: str, seconds: float | None) -> None:
                """The spinner names the step running; without a terminal (cron, a log file), where rich draws
                no spinner, a line says when each step ends."""
                if what == "started":
                    status.update(f"Running the flow for {period}: {step}…")
                elif not console.is_terminal:
                    took = "" if seconds is None else f" in {seconds:.1f} s"
                    console.print(f"{period}: {step} {what}{took}", highlight=False)

            outcome = run_period(settings, period, on_wait=lambda text: status.update(f"{label} {text}"),
                                 on_step=on_step)
    except RunInterrupted as exc:
        err.print(f"[red]✗ Canceled by {signal.Signals(exc.signum).name}[/red] before the run for {period} started; "
                  "nothing was published.", highlight=False)
        raise typer.Exit(128 + exc.signum) from None
    except Exception as exc:  # the run could not start (e.g. the dbt project does not parse)
        err.print(f"[red]✗ The run for {period} could not start:[/red] {type(exc).__name__}: {exc}",
                  soft_wrap=True, highlight=False)
        err.print("Nothing was published. `pmo ui` shows the code location's error in full.")
        raise typer.Exit(1) from None
    finally:
        console.file = None
    if not outcome.success:
        _print_outcome(outcome, settings)
        raise typer.Exit(outcome.exit_code)
    return outcome


@app.command()
def run(
    home: HomeOption = None,
    period: Annotated[str | None, typer.Option("--period", help="Reporting period YYYY-MM "
                                                  "(default: the latest period that has data).")] = None,
    engine: EngineOption = None,
) -> None:
    """Ingest landing/, build and check the marts, publish them and render the pack for one period."""
    period = _period_arg(period, "--period")
    settings = _engine_settings(home, engine)
    from orchestration.pipeline.ingest import latest_period

    if period is None:
        from orchestration.pipeline.landing import SourcesConfigError, load_sources_config

        try:
            config = load_sources_config(settings.home)
        except SourcesConfigError as exc:
            err.print(f"[red]Settings error:[/red] {exc}")
            raise typer.Exit(2) from None
        period = latest_period(settings.landing_dir, settings.archive_dir, config)
        if period is None:
            err.print(f"[red]No data:[/red] {settings.landing_dir} holds no task snapshot, timesheet or ledger "
                      "file. Put canonical CSV files under landing/<entity>/, or run `pmo demo`.")
            raise typer.Exit(2)
    outcome = _run(settings, period)
    console.print(f"[green]✓[/green] {period} published in {outcome.seconds:.1f} s")
    from orchestration.pipeline.reported import read_period

    frozen = read_period(settings.home, period)
    if frozen is not None and frozen.is_closed:
        console.print(f"{period} is closed: its pack shows the figures reported on {_when(frozen.reported_at)} "
                      f"(run {frozen.run_id[:8]}); corrections since are in marts.fct_earned_value_restatement "
                      "and `pmo periods`.", highlight=False, soft_wrap=True)
    _print_warnings(outcome)
    _print_quarantine(settings)
    _print_locations(settings, [period])


def _print_locations(settings, periods: list[str]) -> None:
    rows = [("Warehouse (open read-only)", settings.serving_path), ("Parquet marts", settings.parquet_dir)]
    rows += [(f"Portfolio pack {p}", settings.reports_dir / p / "portfolio-pack.pdf") for p in periods]
    for label, path in rows:
        console.print(f"  {label + ':':<28} {path}", soft_wrap=True, highlight=False)
    console.print(f"  {'Dagster UI:':<28} pmo ui --home {settings.home}", soft_wrap=True, highlight=False)


def _print_quarantine(settings) -> None:
    """Say how many rows the last ingest quarantined, per file, so nothing is dropped unseen."""
    from orchestration.pipeline.quality import quarantine_by_file

    rows, matched = quarantine_by_file(settings.warehouse_path)
    if matched[0]:
        console.print(f"{matched[0]} project description(s) in {matched[1]} schedule export(s) matched the project "
                      "register, which is authoritative (kept in quarantine.projects).", highlight=False)
    if rows:
        total = sum(r[2] for r in rows)
        console.print(f"[yellow]{total} row(s) quarantined[/yellow] (kept in quarantine.<entity> with the reason):",
                      highlight=False)
        for entity, source, count in rows:
            console.print(f"  {source}: {count} → quarantine.{entity}", soft_wrap=True, highlight=False)


@app.command()
def demo(
    home: HomeOption = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same organisation.")] = 7,
    projects: Annotated[int, typer.Option(min=5, help="Number of projects (people, programmes and "
                                          "portfolios scale with it).")] = 30,
    months: Annotated[int, typer.Option(min=2, max=120, help="Number of monthly periods.")] = 18,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last period, YYYY-MM "
                                                 "(default: the current month).")] = None,
    no_run: Annotated[bool, typer.Option("--no-run", help="Write the exports and stop: no run, no warehouse "
                                         "(scale data for benchmarks and your own runs).")] = False,
    canonical: Annotated[bool, typer.Option("--canonical", help="Write every entity as canonical CSV, with no "
                                            "vendor formats (P6, MS Project, Tempo, Harvest, Jira, SAP).")] = False,
    programme_size: Annotated[float, typer.Option("--programme-size", min=1, help="Average projects per programme "
                                                  "(a large PMO's programmes hold tens).")] = 3.75,
) -> None:
    """Write a demo organisation's exports into landing/ and run the flow for every period, oldest first.

    With --no-run it stops once the files are written (the late invoice that restates a closed period is
    part of the runs, so it is not written); with --canonical every file is canonical CSV, which is what
    the scale benchmark (bench/bench_scale.py) generates: 2,000 projects x 36 months in well under a minute.
    """
    as_of = _period_arg(as_of, "--as-of") or date.today().strftime("%Y-%m")
    if as_of > date.today().strftime("%Y-%m"):
        raise typer.BadParameter(f"{as_of} is in the future; the demo's last period is at most this month",
                                 param_hint="--as-of")
    settings = _settings(home)
    from orchestration.demo.runbook import ForeignFilesError, demo_segments, land_late_invoice, write_demo

    generating = time.monotonic()
    try:
        with console.status("Generating the demo organisation…"):
            org = write_demo(settings, seed=seed, projects=projects, months=months, as_of=as_of, canonical=canonical,
                             programme_size=programme_size)
    except ForeignFilesError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    summary, files = org.summary, org.files
    rows = sum(summary.row_counts.values())
    console.print(f"Demo organisation (seed {seed}): {projects} projects, {len(summary.periods)} periods "
                  f"{summary.periods[0]}…{summary.periods[-1]}, {len(files)} files, {rows:,} rows in "
                  f"{settings.landing_dir}" + (" (canonical CSV)" if canonical else ""))
    if no_run:
        console.print(f"Written in {time.monotonic() - generating:.1f} s; nothing was run (--no-run). To build the "
                      f"last period: pmo run --home {settings.home} --period {summary.periods[-1]}",
                      highlight=False, soft_wrap=True)
        return
    started = time.monotonic()
    late = None
    import signal

    from orchestration.pipeline.backfill import backfills_dir, run_backfill
    from orchestration.cli.runner import RunInterrupted

    shutil.rmtree(backfills_dir(settings.home), ignore_errors=True)
    # Only the last period gets programme packs and project reports (the builds before end at periods that
    # are closed by the time the demo ends; `pmo report --period` renders theirs); PMO_PROJECT_REPORTS wins.
    earlier_reports = None if os.environ.get("PMO_PROJECT_REPORTS") else "off"
    done = 0
    for segment in demo_segments(summary.periods, summary.rebaselined.values()):
        if segment[-1] == summary.periods[-1] and len(summary.periods) > 1:
            # The periods before are closed by now; a correction to a closed period restates it.
            late = land_late_invoice(org)
            if late is not None:
                console.print(f"  Landing {late.describe()}.", highlight=False, soft_wrap=True)
        console.file = sys.stdout  # the run sends stdout to its log; the spinner stays on the terminal
        try:
            with console.status(f"Building {segment[0]}…{segment[-1]}: ingest → checks → dbt → publish → "
                                f"{len(segment)} pack(s)…"):
                is_last = segment[-1] == summary.periods[-1]
                bf, outcome = run_backfill(settings, segment[0], segment[-1], resume=False,
                                           project_reports=None if is_last else earlier_reports)
        except RunInterrupted as exc:
            err.print(f"[red]✗ Canceled by {signal.Signals(exc.signum).name}[/red]; nothing more was published.")
            raise typer.Exit(128 + exc.signum) from None
        finally:
            console.file = None
        if outcome is not None and not outcome.success:
            _print_outcome(outcome, settings)
            raise typer.Exit(outcome.exit_code)
        done += len(segment)
        span = segment[0] if len(segment) == 1 else f"{segment[0]}…{segment[-1]}"
        console.print(f"  [{done:>2}/{len(summary.periods)}] {span} [green]✓[/green] {outcome.seconds:5.1f} s "
                      f"(one build, {len(segment)} pack(s))", highlight=False)
    console.print(f"[green]✓[/green] {len(summary.periods)} periods built in {time.monotonic() - started:.0f} s")
    if late is not None:
        console.print(f"{late.period} is closed and restated for {late.project_code}: see `pmo periods`, the last "
                      "pack's restatement page and marts.fct_earned_value_restatement.", highlight=False, soft_wrap=True)
    _print_quarantine(settings)
    _print_locations(settings, [summary.periods[-1]])
    last = summary.periods[-1]
    console.print(f"All packs: {settings.reports_dir}/<YYYY-MM>/portfolio-pack.pdf; {last}'s programme packs and "
                  f"project reports: {settings.reports_dir / last}/ (another period's: pmo report --home "
                  f"{settings.home} --period YYYY-MM)", highlight=False, soft_wrap=True)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="The export to look at (any supported format, .gz or .zip too).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    reader: Annotated[str | None, typer.Option(help="Force a reader instead of detecting one.")] = None,
    status_date: Annotated[str | None, typer.Option("--status-date", help="Status date YYYY-MM-DD for "
                                                    "files that carry none.")] = None,
) -> None:
    """Show what the warehouse would make of FILE (format, rows, quarantine, totals) without loading it.

    Exit status 0 when a reader took the file, 1 when none could (the reason is printed, and with --json
    it is in "errors" of the JSON object), 2 for a usage error."""
    from orchestration.pipeline.inspection import failure, inspect_path
    from orchestration.sources.registry import format_names

    if not file.is_file():
        if as_json:  # still one JSON object, for scripts
            print(json.dumps(failure(str(file), f"{file}: no such file"), indent=2))
            raise typer.Exit(2)
        raise typer.BadParameter(f"{file}: no such file", param_hint="FILE")
    if reader is not None and reader not in format_names():
        raise typer.BadParameter(f"{reader!r}; known readers: {', '.join(format_names())}", param_hint="--reader")
    options = {}
    if status_date is not None:
        try:
            options["status_date"] = date.fromisoformat(status_date)
        except ValueError:
            raise typer.BadParameter(f"{status_date!r} is not a date (YYYY-MM-DD)", param_hint="--status-date") from None
    try:
        described = inspect_path(file, reader, options)
    except Exception as exc:  # noqa: BLE001 - whatever happens, one line (and valid JSON), never a traceback
        described = failure(str(file), f"{file}: cannot be inspected ({type(exc).__name__}: {exc})")
    code = 1 if described["format"] is None or described.get("failed") else 0
    if as_json:
        text = json.dumps(described, indent=2, default=str)
        console.print_json(text) if sys.stdout.isatty() else print(text)
        raise typer.Exit(code)
    _print_inspection(described)
    raise typer.Exit(code)


def _print_inspection(described: dict, indent: str = "") -> None:
    from rich.table import Table

    fmt = described["format"] or "[red]unknown[/red]"
    console.print(f"{indent}[bold]{described['file']}[/bold]: format {fmt}", soft_wrap=True, highlight=False)
    for member in described.get("members", []):
        _print_inspection(member, indent + "  ")
    if described["entities"]:
        table = Table("entity", "rows", "quarantined", "totals", show_lines=False)
        for entity, info in described["entities"].items():
            totals = ", ".join(f"{k} {v:,.2f}" for k, v in info["totals"].items())
            table.add_row(entity, f"{info['rows']:,}", f"{info['quarantined']:,}", totals)
        console.print(table)
        for entity, info in described["entities"].items():
            for q in info["quarantine_reasons"]:
                console.print(f"{indent}  {entity} row {q['row']}: {q['reason']}", soft_wrap=True, highlight=False)
    for e in described["errors"]:
        console.print(f"{indent}[red]error:[/red] {e}", soft_wrap=True, highlight=False)


@app.command()
def status(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """The latest run of each period (checks passed/warned/failed), rows quarantined and freshness per source.

    With --json, one JSON object on stdout whatever the home holds (nothing yet, runs, a failed last run):
    ``home``, ``periods`` (period -> its latest run summary), ``sources``, ``sources_from``,
    ``source_periods``; strict JSON (a NaN or infinity in a check's metadata is null)."""
    if as_json:
        try:
            settings = load_settings(home)
        except SettingsError as exc:
            print(json.dumps({"home": str(home) if home else None, "error": f"Settings error: {exc}"}, indent=2))
            raise typer.Exit(2) from None
    else:
        settings = _settings(home)
    from orchestration.pipeline.quality import latest_summaries

    summaries = latest_summaries(settings.quality_dir)
    sources, origin, per_period = _status_sources(settings)
    if as_json:
        print(json.dumps(_strict_json({"home": str(settings.home), "periods": summaries, "sources": sources,
                                       "sources_from": origin, "source_periods": per_period}),
                         indent=2, default=str, allow_nan=False))
        return
    from rich.table import Table

    console.print(f"[bold]{settings.home}[/bold]", highlight=False)
    if summaries:
        table = Table("period", "latest run", "status", "written", "checks", "passed", "warned", "failed",
                      title="Latest run per period")
        for period, s in sorted(summaries.items()):
            c = s.get("counts", {})
            colour = {"published": "green", "blocked": "red", "failed": "red"}.get(s.get("status"), "yellow")
            table.add_row(period, str(s.get("run_id", ""))[:8], f"[{colour}]{s.get('status')}[/{colour}]",
                          str(s.get("written_at", "")), str(c.get("run", 0)), str(c.get("passed", 0)),
                          str(c.get("warned", 0)), str(c.get("failed", 0)))
        console.print(table)
        for period, s in sorted(summaries.items()):
            for chk in s.get("checks", []):
                if chk.get("outcome") != "passed":
                    console.print(f"  {period} {chk['outcome']}: {chk['asset']} · {chk['check']} "
                                  f"({chk.get('failing_rows') or 0} failing row(s))", soft_wrap=True, highlight=False)
    else:
        console.print("No run recorded yet (run `pmo run`).")
    if sources:
        table = Table("source", "files", "rows in", "loaded", "quarantined", "files not read", "latest file",
                      "status / latest date", title=f"Sources ({origin})")
        for r in sources:
            q = r["rows_quarantined"]
            table.add_row(r["source"], str(r["files"]), f"{r['rows_in']:,}", f"{r['rows_loaded']:,}",
                          f"[yellow]{q:,}[/yellow]" if q else "0", str(r["files_not_read"]),
                          r["latest_file"] or "—", r["latest_date"] or "—")
        console.print(table)
        _print_source_periods(per_period, origin)
    else:
        console.print("No source loaded yet.")


def _strict_json(value):
    """``value`` with every NaN or infinite float made None, so that strict JSON parsers accept it."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def _print_source_periods(rows: list[dict], origin: str) -> None:
    """Rows loaded and quarantined per source, reader and period (the month of each row's date)."""
    from rich.table import Table

    from orchestration.pipeline.quality import source_period_overview

    if not rows:
        return
    table = Table("source", "reader", "period", "files", "loaded", "quarantined",
                  title=f"Rows per source and period ({origin})")
    for r in source_period_overview(rows):
        q = r["rows_quarantined"]
        table.add_row(r["source"], r["reader"] or "—", r["period"] or "no date", str(r["files"]),
                      f"{r['rows_loaded']:,}", f"[yellow]{q:,}[/yellow]" if q else "0")
    console.print(table)


def _status_sources(settings) -> tuple[list[dict], str, list[dict]]:
    """Sources (and their rows per period) from the working warehouse (the last ingest); if it is busy or
    absent, from the published one."""
    import duckdb

    from orchestration.pipeline.quality import read_source_periods, read_sources
    from orchestration.warehouse import open_db

    for path, kwargs, label in ((settings.warehouse_path, {}, "last ingest"),
                                (settings.serving_path, {"raw_schema": "quality", "quarantine_schema": "quality"},
                                 "last published run")):
        if not path.is_file():
            continue
        try:
            con = open_db(path, read_only=True)
        except duckdb.Error:
            continue
        try:
            rows = read_sources(con, **kwargs)
            per_period = read_source_periods(con, from_serving=bool(kwargs)) if rows else []
        finally:
            con.close()
        if rows:
            return rows, label, per_period
    return [], "none", []


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="First period of the range, YYYY-MM.")],
    end: Annotated[str, typer.Option("--end", help="Last period of the range, YYYY-MM.")],
    home: HomeOption = None,
    restate: Annotated[bool, typer.Option("--restate", help="Replace the frozen figures of closed periods in the "
                                          "range with today's (by default they keep their figures as reported).")]
    = False,
    fresh: Annotated[bool, typer.Option("--new", help="Start a new backfill even if one of this range stopped "
                                        "part-way (by default it is resumed).")] = False,
    engine: EngineOption = None,
) -> None:
    """Build the marts once and issue the pack of every period from --start to --end, oldest first.

    Stopped part-way (a crash, Ctrl-C, a failed check), the same command resumes from the first period
    whose pack was not issued.
    """
    import threading

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from orchestration.pipeline.backfill import load_backfill, periods_between, run_backfill

    start_p, end_p = _period_arg(start, "--start"), _period_arg(end, "--end")
    if end_p < start_p:
        raise typer.BadParameter(f"--end {end_p} is before --start {start_p}", param_hint="--end")
    settings = _engine_settings(home, engine)
    total = len(periods_between(start_p, end_p))
    done = threading.Event()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)
    task = progress.add_task(f"Backfill {start_p}…{end_p}", total=total)

    started = time.monotonic()
    said: list[str] = []

    def watch(backfill_id: str) -> None:
        while not done.wait(0.5):
            bf = load_backfill(settings.home, backfill_id)
            if bf is not None:
                building = "building the marts" if not bf.issued else f"issued {bf.issued[-1]}"
                progress.update(task, completed=len(bf.issued), description=f"Backfill {start_p}…{end_p}: {building}")
                if not console.is_terminal and said[-1:] != [building]:
                    # no bar without a terminal (cron, a log file): a line each time the backfill moves on
                    said.append(building)
                    console.print(f"Backfill {start_p}…{end_p}: {building} ({len(bf.issued)}/{total}, "
                                  f"{time.monotonic() - started:.0f} s)", highlight=False)

    def on_start(bf, resumed: bool) -> None:
        if resumed:
            console.print(f"Resuming backfill {bf.backfill_id} of {bf.start}…{bf.end} from {bf.resume_from} "
                          f"({len(bf.issued)} of {total} period(s) already issued; --new starts over).",
                          highlight=False, soft_wrap=True)
        progress.update(task, completed=len(bf.issued))
        threading.Thread(target=watch, args=(bf.backfill_id,), daemon=True).start()

    import signal

    from orchestration.cli.runner import RunInterrupted

    console.file = sys.stdout  # the run sends stdout to its log; the progress bar stays on the terminal
    try:
        with progress:
            bf, outcome = run_backfill(settings, start_p, end_p, restate=restate, resume=not fresh, on_start=on_start)
            done.set()
            progress.update(task, completed=len(bf.issued))
    except RunInterrupted as exc:
        done.set()
        err.print(f"[red]✗ Canceled by {signal.Signals(exc.signum).name}[/red] before the backfill's run started; "
                  "run the same command again to resume it.", highlight=False)
        raise typer.Exit(128 + exc.signum) from None
    except Exception as exc:  # the run could not start (e.g. the dbt project does not parse)
        done.set()
        err.print(f"[red]✗ The backfill could not start:[/red] {type(exc).__name__}: {exc}", soft_wrap=True,
                  highlight=False)
        raise typer.Exit(1) from None
    finally:
        console.file = None
    if outcome is not None and not outcome.success:
        _print_outcome(outcome, settings)
        err.print(f"Backfill {bf.backfill_id} stopped with {len(bf.issued)} of {total} period(s) issued; run the same "
                  "command again to resume it.")
        raise typer.Exit(outcome.exit_code)
    kept = [p for p in bf.periods if (settings.reported_dir / p).is_dir()]
    console.print(f"[green]✓[/green] backfill {bf.backfill_id}: {len(bf.issued)} period(s) issued "
                  f"{bf.start}…{bf.end}" + (" (closed periods restated)" if restate else ""), highlight=False)
    _print_locations(settings, kept[-1:])
    console.print(f"All packs: {settings.reports_dir}/<YYYY-MM>/portfolio-pack.pdf")


@app.command()
def close(
    period: Annotated[str, typer.Argument(help="The period to close, YYYY-MM.")],
    home: HomeOption = None,
) -> None:
    """Close PERIOD: its figures as last published are frozen, and its pack reproduces them from now on."""
    period = _period_arg(period, "PERIOD")
    settings = _settings(home)
    from orchestration.pipeline.reported import ReportedError, close_period, read_period

    before = read_period(settings.home, period)
    try:
        rp = close_period(settings.home, period)
    except ReportedError as exc:
        err.print(f"[red]Cannot close {period}:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if before is not None and before.is_closed:
        console.print(f"{period} was already closed on {rp.closed_at}; its figures stay as reported on "
                      f"{rp.reported_at} (run {rp.run_id[:8]}).", highlight=False)
    else:
        console.print(f"[green]✓[/green] {period} closed: the figures reported on {rp.reported_at} (run "
                      f"{rp.run_id[:8]}) are frozen in {rp.directory}. Later corrections to its source data "
                      "show in marts.fct_earned_value_restatement.", highlight=False)


@app.command()
def periods(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Every reported period: open or closed, when and by which run it was reported, and the projects
    whose figures have been restated since it closed."""
    settings = _settings(home)
    from orchestration.pipeline.reported import list_periods, verify_period

    restated = _restated_projects(settings)
    rows = [{"period": p.period, "state": p.state, "reported_at": p.reported_at, "run_id": p.run_id,
             "closed_at": p.closed_at, "restated_projects": restated.get(p.period, []),
             "intact": not verify_period(p)} for p in list_periods(settings.home)]
    if as_json:
        print(json.dumps({"home": str(settings.home), "close_periods": settings.close_periods, "periods": rows},
                         indent=2))
        return
    if not rows:
        console.print("No period has been reported yet (run `pmo run`).")
        return
    from rich.table import Table

    table = Table("period", "state", "reported at", "run", "closed at", "restated projects",
                  title=f"Reported periods (close_periods: {settings.close_periods})")
    for r in rows:
        state = r["state"] if r["intact"] else "[red]files changed[/red]"
        table.add_row(r["period"], state, _when(r["reported_at"]), r["run_id"][:8], _when(r["closed_at"]),
                      ", ".join(r["restated_projects"]) or "—")
    console.print(table)


@app.command()
def report(
    period: Annotated[str, typer.Option("--period", help="The reporting period, YYYY-MM.", show_default=False)],
    project: Annotated[list[str] | None, typer.Option(
        "--project", help="Only this project's report (repeat for several).", show_default=False)] = None,
    programme: Annotated[str | None, typer.Option(
        "--programme", help="Only the reports of this programme's projects.", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Render every report and pack again, even those whose inputs and PDF are unchanged.")] = False,
    home: HomeOption = None,
) -> None:
    """Render PERIOD's reports again without rebuilding: from the published snapshot, or from the frozen
    figures of a closed period. Without options: the portfolio pack, every project report and the manifest;
    with --project or --programme: those project reports only. Reports and packs whose inputs are unchanged
    since the folder's manifest are kept (--force renders them anyway)."""
    period = _period_arg(period, "--period")
    settings = _settings(home)
    from orchestration.pipeline.backfill import PACK_WORKERS
    from orchestration.pipeline.reported import ReportedError, read_period
    from orchestration.reports import PackRenderError, ProjectReportError, render_period_reports

    try:
        rp = read_period(settings.home, period)
    except ReportedError as exc:
        err.print(f"[red]Cannot render {period}:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    closed = rp is not None and rp.is_closed
    if not closed and not settings.serving_path.is_file():
        err.print(f"[red]Nothing to render:[/red] no published snapshot at {settings.serving_path}; "
                  f"run `pmo run --period {period}` first.", highlight=False)
        raise typer.Exit(1)
    summary = settings.home / rp.quality_summary if rp is not None and rp.quality_summary else None
    out_dir = settings.reports_dir / period
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    # a bar per kind of document, once its count is known (a period at 2,000 projects takes minutes)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True)
    reading = progress.add_task(f"{period}: reading the figures"
                                + (" and the portfolio pack" if not project and programme is None else ""), total=None)
    bars: dict[str, TaskID] = {}
    # Without a terminal (cron, a CI log, output to a file) rich draws no bars: a line for each tenth instead,
    # so that a log shows a long issue (16 minutes at 2,000 projects) moving.
    tenths: dict[str, int] = {}
    started = time.monotonic()

    def tick(what: str, done: int, total: int) -> None:
        progress.update(reading, total=1, completed=1)
        if total and what not in bars:
            bars[what] = progress.add_task(f"{period}: {what}", total=total)
        if what in bars:
            progress.update(bars[what], completed=done)
        if total and not console.is_terminal and done * 10 // total > tenths.get(what, -1):
            tenths[what] = done * 10 // total
            console.print(f"{period}: {what} {done}/{total} ({time.monotonic() - started:.0f} s)", highlight=False)

    try:
        with progress:
            done = render_period_reports(
                period, out_dir, serving=settings.serving_path, home=settings.home, reported=rp if closed else None,
                quality_summary=summary if summary is not None and summary.is_file() else None,
                pack=not project and programme is None, projects=project or None, programme=programme,
                force=force, workers=PACK_WORKERS, require_rows=True, progress=tick)
    except ProjectReportError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.param) from None
    except (ReportedError, PackRenderError, ValueError) as exc:
        err.print(f"[red]Cannot render {period}:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    origin = (f"the figures frozen when {period} was reported ({_when(rp.reported_at)}, run {rp.run_id[:8]})"
              if closed else f"the published snapshot {settings.serving_path}")
    console.print(f"[green]✓[/green] {period} rendered from {origin}", highlight=False, soft_wrap=True)
    if done.pack is not None:
        kept = " (unchanged, kept)" if done.pack in done.packs_unchanged else ""
        console.print(f"  portfolio pack   {done.pack}{kept}", highlight=False, soft_wrap=True)
    res = done.projects
    console.print(f"  project reports  {len(res.rendered)} rendered, {len(res.unchanged)} unchanged"
                  + (f", {len(res.removed)} removed (no longer reported)" if res.removed else "")
                  + f" in {out_dir / 'projects'}", highlight=False, soft_wrap=True)
    if done.programme_packs:
        kept = sum(p in done.packs_unchanged for p in done.programme_packs)
        console.print(f"  programme packs  {len(done.programme_packs) - kept} rendered, {kept} unchanged in {out_dir}",
                      highlight=False)
    console.print(f"  manifest         {done.manifest}", highlight=False)


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") + " UTC" if iso else "—"


def _restated_projects(settings) -> dict[str, list[str]]:
    """Period -> projects restated since it closed (:func:`orchestration.pipeline.reported.restated_projects`)."""
    from orchestration.pipeline.reported import restated_projects

    return restated_projects(settings.serving_path)


@app.command()
def docs(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8580,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the catalogue after building it.")] = True,
) -> None:
    """Build the dbt catalogue of the warehouse (every mart, column description, test and lineage) and serve it."""
    settings = _settings(home)
    from orchestration.cli.docs import DocsError, generate_docs
    from orchestration.cli.docs import serve as serve_docs

    try:
        with console.status("Building the catalogue (dbt docs generate)…"):
            page = generate_docs(settings)
    except DocsError as exc:
        err.print(f"[red]✗[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/green] Catalogue: {page}", soft_wrap=True, highlight=False)
    if not serve:
        return
    try:
        server = serve_docs(page.parent, host, port)
    except OSError as exc:
        err.print(f"[red]✗[/red] cannot listen on {host}:{port} ({exc}); choose another --port", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Serving it on http://{host}:{port}/{page.name} (Ctrl-C to stop)", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def ui(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
) -> None:
    """Start the Dagster UI on the home's instance (asset graph, run history, checks)."""
    settings = _settings(home)
    from orchestration.settings import activate

    activate(settings)
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [str(dagster) if dagster.exists() else "dagster", "dev", "-m", "orchestration.defs.definitions",
           "-h", host, "-p", str(port)]
    console.print(f"Dagster UI for {settings.home} on http://{host}:{port} (Ctrl-C to stop)")
    try:
        raise typer.Exit(subprocess.call(cmd, env=os.environ.copy(), cwd=settings.home))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


WORKSPACE_YAML = """\
# Written by `pmo serve`: the code location the webserver and the daemon load.
load_from:
  - python_module:
      module_name: orchestration.defs.definitions
      location_name: pmo_warehouse
"""


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Interface the web UI listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 3000,
) -> None:
    """Run the warehouse unattended: the Dagster webserver and daemon on the home's instance.

    The daemon runs the nightly schedule, the landing sensor and the alerts (settings.yaml
    ``schedule:`` turns them on or off; both are on by default) and launches their runs one at a time.
    SIGTERM or Ctrl-C stops both processes.  deploy/ has a systemd unit and a docker compose file.
    """
    import signal

    settings = _settings(home)
    from orchestration.settings import activate

    activate(settings)
    workspace = settings.dagster_home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML, encoding="utf-8")
    bindir = Path(sys.executable).parent

    def tool(name: str) -> str:
        return str(bindir / name) if (bindir / name).exists() else name

    commands = {
        "daemon": [tool("dagster-daemon"), "run", "-w", str(workspace)],
        "webserver": [tool("dagster-webserver"), "-w", str(workspace), "-h", host, "-p", str(port)],
    }
    nightly = (f"nightly run at {settings.nightly_time} {settings.timezone}" if settings.nightly_enabled
               else "nightly run off")
    sensor = "landing sensor on" if settings.landing_sensor_enabled else "landing sensor off"
    console.print(f"Serving {settings.home}: web UI on http://{host}:{port}; {nightly}; {sensor}. "
                  "Ctrl-C or SIGTERM stops it.", highlight=False, soft_wrap=True)
    procs = {name: subprocess.Popen(cmd, env=os.environ.copy(), cwd=settings.home) for name, cmd in commands.items()}
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        while not stopping:
            exited = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
            if exited:
                name, code = exited[0]
                err.print(f"[red]The Dagster {name} stopped (exit {code}); stopping the other.[/red] "
                          f"Its log is above; `pmo status --home {settings.home}` shows the last runs.")
                status = 1
                stop(None, None)
                break
            time.sleep(1)
    except KeyboardInterrupt:
        stop(None, None)
    for proc in procs.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    raise typer.Exit(status)


def main() -> None:
    """The ``pmo`` console command: :data:`app` in a process that ends with its command
    (:func:`orchestration.heap.one_process_command`). Tests call :data:`app` itself."""
    from orchestration.heap import one_process_command

    one_process_command()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
