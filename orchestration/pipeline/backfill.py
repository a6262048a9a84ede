"""Backfills: many reporting periods in one run, each with its own pack and frozen figures.

The marts hold every period's rows, so a range of periods does not need one full rebuild per period:
one run ingests, gates and builds the marts once, at the range's last period, publishes them, and
then issues the pack of every period of the range, oldest first, from that build
(:func:`issue_packs`).  The figures of each period are those the warehouse knows *now*: a backfill
restates history with today's data, which is what it is for.

Closed periods keep their figures as reported: their pack is reproduced from their frozen files
(``reported/<period>/``) and nothing of them changes, unless the backfill is asked to ``restate``
them, in which case their frozen figures are replaced by the new ones (they stay closed).

A backfill is recorded under ``<home>/backfills/<id>.json`` (its range, whether it restates, the
periods whose pack is issued, its runs and its state), and its runs carry the tag
``dagster/backfill``.  When a backfill stops part-way (a crash, a kill, a failed check) the same
``pmo backfill`` command resumes it from the first period whose pack was not issued.
"""
from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import Settings

#: Run tags: the backfill a run belongs to, and whether it restates closed periods.
BACKFILL_TAG = "dagster/backfill"
RESTATE_TAG = "pmo/restate"
#: When the backfill began: its runs see the periods closed by then (reported.load_reported_into).
BACKFILL_STARTED_TAG = "pmo/backfill_started"
#: Packs of a range are rendered by this many worker processes (WeasyPrint is CPU-bound);
#: ``PMO_PACK_WORKERS`` overrides it (1 renders them one after another in the run's process).
PACK_WORKERS = int(os.environ.get("PMO_PACK_WORKERS") or max(1, min(2, os.cpu_count() or 1)))
#: Which issued periods get their project reports (reports/<period>/projects/): ``last`` (default: a run's
#: period, or a backfill range's last period; a long backfill of a large organisation would otherwise render
#: thousands of reports of periods nobody reads again), ``all`` or ``off``.  ``PMO_PROJECT_REPORTS`` sets it;
#: ``pmo report`` renders any period's on demand.
PROJECT_REPORTS_CHOICES = ("all", "last", "off")
#: A run tag that sets the policy for one run instead of ``PMO_PROJECT_REPORTS`` (``pmo demo`` sets ``off``
#: for its backfills before the last, whose periods are closed by the time the demo ends).
PROJECT_REPORTS_TAG = "pmo/project_reports"


def project_reports_policy(override: str | None = None) -> str:
    """``all``, ``last`` or ``off``: ``override`` (a run's :data:`PROJECT_REPORTS_TAG`) when given, else
    ``PMO_PROJECT_REPORTS``, else ``last``.  Any other value is a ValueError naming where it came from."""
    source = "PMO_PROJECT_REPORTS" if override is None else PROJECT_REPORTS_TAG
    raw = os.environ.get("PMO_PROJECT_REPORTS") if override is None else override
    value = (raw or "last").strip().lower()
    if value not in PROJECT_REPORTS_CHOICES:
        raise ValueError(f"{source}={value!r}: use one of {', '.join(PROJECT_REPORTS_CHOICES)}")
    return value


def project_reports_limit() -> int:
    """The most project reports a run renders for a period (``PMO_PROJECT_REPORTS_MAX``, default 300);
    above it the run leaves them to ``pmo report`` (orchestration/reports/project.py, LIMIT_ENV)."""
    from orchestration.envvars import whole_number
    from orchestration.reports.project import DEFAULT_LIMIT, LIMIT_ENV

    return whole_number(LIMIT_ENV, DEFAULT_LIMIT, minimum=0, unit="reports", too_small="the limit cannot be negative")


def periods_between(start: str, end: str) -> list[str]:
    """Every 'YYYY-MM' from ``start`` to ``end`` inclusive (empty when ``end`` is before ``start``)."""
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class PeriodPack:
    """What issuing one period's pack did: ``issued`` (new figures frozen), ``restated`` (a closed
    period's figures replaced), or ``kept`` (a closed period, reproduced from its frozen figures)."""

    period: str
    path: str
    state: str


def _render_open(serving: str, period: str, out_dir: str, summary: str | None, project_workers: int = 1,
                 project_reports: bool = True, pool: Executor | None = None) -> str:
    """The period's folder from the published snapshot: the portfolio pack, then the project reports whose
    inputs changed, then ``manifest.json`` (orchestration/reports/period.py).  Returns the pack's path.
    ``pool``: the workers that render its documents (the caller's, shared with other periods' packs)."""
    from orchestration.reports.period import holds_documents, issue_pack_only, render_period_reports

    quality = Path(summary) if summary else None
    # Without its project reports: the pack and the manifest; but a folder an earlier issue rendered them into
    # is rendered whole, so that none of its documents shows other figures than its manifest's snapshot.
    if not project_reports and not holds_documents(Path(out_dir)):
        return str(issue_pack_only(period, Path(out_dir), serving=Path(serving), quality_summary=quality))
    done = render_period_reports(period, Path(out_dir), serving=Path(serving), quality_summary=quality,
                                 workers=project_workers, limit=project_reports_limit(), pool=pool)
    return str(done.pack)


def _render_closed(home: str, period: str, out_dir: str, project_workers: int = 1,
                   project_reports: bool = True, pool: Executor | None = None) -> str:
    """A closed period's folder from its frozen figures (pack, project reports, manifest)."""
    from orchestration.pipeline.reported import read_period
    from orchestration.reports.period import holds_documents, issue_pack_only, render_period_reports

    reported = read_period(Path(home), period)
    if not project_reports and not holds_documents(Path(out_dir)):
        return str(issue_pack_only(period, Path(out_dir), home=Path(home), reported=reported))
    done = render_period_reports(period, Path(out_dir), home=Path(home), reported=reported, workers=project_workers,
                                 limit=project_reports_limit(), pool=pool)
    return str(done.pack)


def issue_packs(settings: Settings, periods: Iterable[str], run_id: str, *, restate: bool = False,
                on_issued: Callable[[PeriodPack], None] | None = None,
                project_reports: str | None = None) -> list[PeriodPack]:
    """Render the pack of each of ``periods`` (oldest first) from the published snapshot, and freeze
    its figures in ``reported/<period>/``.  Each period's folder also gets its project reports
    (``projects/<code>.pdf``, only those whose inputs changed since the folder's manifest) and its
    ``manifest.json``, after the pack.

    A closed period's pack is rendered from its frozen figures, unless ``restate``.  Packs are
    rendered by up to :data:`PACK_WORKERS` processes; their figures are frozen in period order as each
    pack completes, and ``on_issued`` is called after each, so an interrupted range leaves every
    period before the interruption complete (pack and figures) and nothing half-issued.

    Which periods also get their project reports and programme packs: :func:`project_reports_policy` of
    ``project_reports`` (the run's tag), or of ``PMO_PROJECT_REPORTS`` when it is None.
    """
    from orchestration.pipeline.quality import summary_path
    from orchestration.pipeline.reported import close_earlier_periods, read_period, record_reported

    periods = sorted(periods)
    # One period: its project reports share the workers; several: the periods do, one process each.
    project_workers = PACK_WORKERS if len(periods) <= 1 else 1
    policy = project_reports_policy(project_reports)
    project_reports_limit()  # a bad PMO_PROJECT_REPORTS_MAX stops the issue before any pack is rendered
    from orchestration.reports.render import pack_project_rows_limit
    pack_project_rows_limit()  # and so does a bad PMO_PACK_PROJECT_ROWS
    jobs: list[tuple[str, Callable[..., str], tuple[str | int | bool | None, ...], Path | None]] = []
    for period in periods:
        frozen = read_period(settings.home, period)
        out_dir = str(settings.reports_dir / period)
        reports = policy == "all" or (policy == "last" and period == periods[-1])
        if frozen is not None and frozen.is_closed and not restate:
            jobs.append((period, _render_closed, (str(settings.home), period, out_dir, project_workers, reports),
                         None))
        else:
            summary = summary_path(settings.quality_dir, period, run_id)
            summary_arg = str(summary) if summary.exists() else None
            jobs.append((period, _render_open, (str(settings.serving_path), period, out_dir, summary_arg,
                                                project_workers, reports), summary))

    def finish(period: str, path: str, summary: Path | None) -> PeriodPack:
        if summary is None:
            issued = PeriodPack(period, path, "kept")
        else:
            rel = summary.relative_to(settings.home).as_posix() if summary.exists() else None
            state = record_reported(settings.home, settings.serving_path, period, run_id, quality_summary=rel,
                                    close_policy=settings.close_periods, restate=restate)
            # The PMO has moved on: with close_periods on_next_period the periods before it close.
            close_earlier_periods(settings.home, period, settings.close_periods)
            issued = PeriodPack(period, path, {"recorded": "issued"}.get(state, state))
        if on_issued is not None:
            on_issued(issued)
        return issued

    if len(jobs) <= 1 or PACK_WORKERS == 1:
        return [finish(period, fn(*args), summary) for period, fn, args, summary in jobs]
    from orchestration.reports.project import document_pool

    out = []
    with document_pool(PACK_WORKERS) as pool:
        futures = {k: pool.submit(jobs[k][1], *jobs[k][2]) for k in submission_order(jobs)}
        # frozen in period order, whatever order the workers finish in
        for k, (period, fn, args, summary) in enumerate(jobs):
            if k in futures:
                path = futures[k].result()
            else:  # with its project reports: loaded here, its documents rendered by the same workers
                path = fn(*args, pool=pool)  # with a pool, its project_workers argument is not used
            out.append(finish(period, path, summary))
    return out


def submission_order(jobs: list[tuple]) -> list[int]:
    """Which of :func:`issue_packs`' jobs (one a period, oldest first; a job's arguments end with whether it
    renders the period's project reports) go to the workers as one task each, and in what order: the periods
    with a pack only, from the newest back, so the longest are started first (a pack grows with the projects
    it reports).  A period with its project reports and programme packs is not one task: it is loaded in the
    caller's process and its documents join the same workers' queue, one task each, so both workers share
    them.  (One task a period, oldest first, left one worker rendering the last period's thirty documents
    while the other idled.)"""
    return sorted((k for k in range(len(jobs)) if not jobs[k][2][-1]), key=lambda k: -k)


# --- the backfill record ------------------------------------------------------------------------

@dataclass
class Backfill:
    """One ``pmo backfill``: its range, its options and how far it got."""

    backfill_id: str
    start: str
    end: str
    restate: bool
    created_at: str
    state: str = "running"  # running, completed, failed
    issued: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def periods(self) -> list[str]:
        return periods_between(self.start, self.end)

    @property
    def remaining(self) -> list[str]:
        return [p for p in self.periods if p not in self.issued]

    @property
    def resume_from(self) -> str | None:
        """The first period of the range whose pack was not issued (None when every one was)."""
        rest = self.remaining
        return rest[0] if rest else None


def backfills_dir(home: Path) -> Path:
    return Path(home) / "backfills"


def _path(home: Path, backfill_id: str) -> Path:
    return backfills_dir(home) / f"{backfill_id}.json"


def save_backfill(home: Path, bf: Backfill) -> None:
    """Write the record atomically (a kill never leaves half a file)."""
    directory = backfills_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".backfill-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(bf), fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, _path(home, bf.backfill_id))


def load_backfill(home: Path, backfill_id: str) -> Backfill | None:
    path = _path(home, backfill_id)
    if not path.is_file():
        return None
    return Backfill(**json.loads(path.read_text(encoding="utf-8")))


def list_backfills(home: Path) -> list[Backfill]:
    directory = backfills_dir(home)
    if not directory.is_dir():
        return []
    out = [load_backfill(home, p.stem) for p in sorted(directory.glob("*.json"))]
    return sorted((b for b in out if b is not None), key=lambda b: b.created_at)


def new_backfill(home: Path, start: str, end: str, restate: bool) -> Backfill:
    bf = Backfill(backfill_id=uuid.uuid4().hex[:8], start=start, end=end, restate=restate,
                  created_at=datetime.now(UTC).replace(microsecond=0).isoformat())
    save_backfill(home, bf)
    return bf


def unfinished_backfill(home: Path, start: str, end: str, restate: bool) -> Backfill | None:
    """The latest backfill of exactly this range and option that did not complete, if any."""
    for bf in reversed(list_backfills(home)):
        if (bf.start, bf.end, bf.restate) == (start, end, restate) and bf.state != "completed":
            return bf
    return None


def mark_issued(home: Path, backfill_id: str, period: str, run_id: str) -> None:
    """Record that ``period``'s pack of backfill ``backfill_id`` is issued (called by the pack asset)."""
    bf = load_backfill(home, backfill_id)
    if bf is None:
        return
    if period not in bf.issued:
        bf.issued.append(period)
        bf.issued.sort()
    if run_id not in bf.runs:
        bf.runs.append(run_id)
    save_backfill(home, bf)


def run_backfill(settings: Settings, start: str, end: str, *, restate: bool = False, resume: bool = True,
                 on_start: Callable[[Backfill, bool], None] | None = None, project_reports: str | None = None):
    """Run (or resume) the backfill of ``start``..``end``: one run of the monthly job over the periods
    whose pack is not issued yet.  Returns ``(backfill, outcome)``; ``outcome`` is the run's
    :class:`~orchestration.cli.runner.RunOutcome`, or None when there was nothing left to do.

    ``on_start(backfill, resumed)`` is called once the record exists, before the run starts (the CLI
    shows progress from it).  ``project_reports`` (``all``, ``last`` or ``off``) sets which periods get
    their project reports and programme packs for this run, as the run's :data:`PROJECT_REPORTS_TAG`;
    None leaves it to ``PMO_PROJECT_REPORTS``.
    """
    from orchestration.cli.runner import run_period

    if project_reports is not None:
        project_reports_policy(project_reports)  # a bad value stops here, before a record or a run exists

    bf = unfinished_backfill(settings.home, start, end, restate) if resume else None
    resumed = bf is not None
    if bf is None:
        # Close what the run of ``start`` would close before the record's timestamp is taken: the runs
        # see the periods closed by then, the ones before the range included.
        from orchestration.pipeline.reported import close_earlier_periods
        close_earlier_periods(settings.home, start, settings.close_periods)
        bf = new_backfill(settings.home, start, end, restate)
    if on_start is not None:
        on_start(bf, resumed)
    first = bf.resume_from
    if first is None:
        bf.state = "completed"
        save_backfill(settings.home, bf)
        return bf, None
    bf.state, bf.message = "running", ""
    save_backfill(settings.home, bf)
    tags = {BACKFILL_TAG: bf.backfill_id, RESTATE_TAG: "true" if restate else "false",
            BACKFILL_STARTED_TAG: bf.created_at, "pmo/trigger": "backfill"}
    if project_reports is not None:
        tags[PROJECT_REPORTS_TAG] = project_reports
    outcome = None
    try:
        outcome = run_period(settings, end, start=first, tags=tags)
    finally:
        bf = load_backfill(settings.home, bf.backfill_id) or bf
        if outcome is not None and outcome.run_id not in bf.runs:
            bf.runs.append(outcome.run_id)
        if outcome is not None and outcome.success and not bf.remaining:
            bf.state = "completed"
        else:
            bf.state = "failed"
            bf.message = ("interrupted" if outcome is None else
                          "; ".join(outcome.failed_checks + outcome.failed_steps) or "the run failed")
        save_backfill(settings.home, bf)
    return bf, outcome
