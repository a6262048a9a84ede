"""The demo's script, without the command line: write the organisation into a home's landing zone, cut
its periods into backfill segments, and land the late invoice that restates a closed period.

``pmo demo`` (orchestration/cli/main.py) calls these in order and prints progress; the runs themselves go
through ``orchestration.pipeline.backfill.run_backfill`` like any backfill.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.demo.formats import clip_to_data_date, write_vendor_exports
from orchestration.demo.generator import DemoSummary, generate_demo
from orchestration.demo.restatement import write_late_invoice
from orchestration.settings import Settings, init_home

#: The files the demo wrote into landing/, so the next demo replaces them and nothing else.
DEMO_MANIFEST = ".demo-files.json"


class ForeignFilesError(RuntimeError):
    """landing/ holds files the demo did not write: the demo will not mix its organisation with them."""


@dataclass
class DemoOrganisation:
    """What :func:`write_demo` wrote: the generator's summary and the landing files, relative paths."""

    summary: DemoSummary
    landing: Path
    files: list[str] = field(default_factory=list)

    def record(self, path: Path) -> None:
        """Add a file the demo landed later (the late invoice) to the manifest."""
        self.files.append(path.relative_to(self.landing).as_posix())
        _write_manifest(self.landing, self.files)


def _write_manifest(landing: Path, files: list[str]) -> None:
    (landing / DEMO_MANIFEST).write_text(json.dumps(files, indent=1))


def clear_previous_demo(landing: Path) -> None:
    """Remove the files a previous demo wrote; refuse when landing/ holds anything else."""
    manifest = landing / DEMO_MANIFEST
    previous = set(json.loads(manifest.read_text())) if manifest.exists() else set()
    others = [p for p in landing.rglob("*") if p.is_file() and p.name != DEMO_MANIFEST
              and p.relative_to(landing).as_posix() not in previous]
    if others:
        raise ForeignFilesError(f"{landing} holds files that are not the demo organisation's "
                                f"(e.g. {others[0].relative_to(landing)}). Use another --home for the demo.")
    for rel in previous:
        (landing / rel).unlink(missing_ok=True)


def write_demo(settings: Settings, *, seed: int, projects: int, months: int, as_of: str,
               canonical: bool, today: date | None = None, programme_size: float = 3.75) -> DemoOrganisation:
    """A new demo organisation in the home's landing/: the previous demo's files and the figures frozen
    for its periods are removed, the exports written (vendor formats unless ``canonical``), and a demo of
    the current month clipped to today's data date."""
    today = today or date.today()
    init_home(settings)
    clear_previous_demo(settings.landing_dir)
    # A new organisation: the figures frozen for the previous one's periods no longer apply.
    shutil.rmtree(settings.reported_dir, ignore_errors=True)
    summary = generate_demo(settings.landing_dir, seed=seed, projects=projects, months=months, as_of=as_of,
                            reporting_currency=settings.reporting_currency, programme_size=programme_size)
    if as_of == today.strftime("%Y-%m"):
        clip_to_data_date(summary.files, today)
    written = summary.files if canonical else \
        write_vendor_exports(settings.landing_dir, summary.files, settings.reporting_currency)
    files = sorted(p.relative_to(settings.landing_dir).as_posix() for p in written)
    _write_manifest(settings.landing_dir, files)
    return DemoOrganisation(summary, settings.landing_dir, files)


def demo_segments(periods: list[str], rebaselined) -> list[list[str]]:
    """The demo's runs: backfills of consecutive periods, one build each, then the last period alone.

    A backfill reports its periods with the data and baselines of its last period, so a segment ends
    before each period where a project is re-baselined: the periods before it are reported (and closed)
    against the old baseline, as a PMO running monthly would have, and later runs show them as
    re-baselined.  The last period runs alone, after the late invoice lands.
    """
    if len(periods) == 1:
        return [list(periods)]
    cuts = {p for p in rebaselined if periods[0] < p < periods[-1]}
    segments: list[list[str]] = []
    current: list[str] = []
    for period in periods[:-1]:
        if period in cuts and current:
            segments.append(current)
            current = []
        current.append(period)
    segments.append(current)
    return segments + [[periods[-1]]]


def land_late_invoice(org: DemoOrganisation):
    """Before the last period's run, when earlier periods are closed: an invoice dated in a closed period
    arrives, which restates it (orchestration/demo/restatement.py). Returns it, or None."""
    s = org.summary
    late = write_late_invoice(org.landing, s.periods, s.scenario_of, s.bac)
    if late is not None:
        org.record(late.path)
    return late
