"""Render a period's reports folder: the portfolio pack, the project reports and the manifest.

``reports/<period>/portfolio-pack.pdf``, ``reports/<period>/projects/<code>.pdf`` and
``reports/<period>/manifest.json`` come either from the published ``serving.duckdb`` (an open period)
or, for a closed period, from its frozen figures (``reported/<period>/``), so a closed period's reports
reproduce the figures it was reported with.  Used by ``issue_packs`` (orchestration/pipeline/backfill.py)
after a publish and by ``pmo report``, which renders again without rebuilding anything.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.warehouse import open_db

from . import manifest as M
from .project import (POOL_THRESHOLD, PROJECTS_DIR, ProjectReportError, ProjectReportsResult,
                      code_version, count_project_reports, document_pool, load_project_reports,
                      render_project_reports)
from .render import (PACK_FILENAME, PackIssue, _iso_label, issue_portfolio_pack, issue_programme_pack,
                     issue_reported_pack, programme_pack_filename, programme_packs_context)
from .scope import programme_fingerprints

LOGGER = logging.getLogger(__name__)


@dataclass
class PeriodReports:
    period: str
    pack: Path | None
    projects: ProjectReportsResult
    manifest: Path
    source: dict
    #: the programme packs of the folder (``programme-<slug>.pdf``), one per programme with a reported project
    programme_packs: tuple[Path, ...] = ()
    #: the packs (portfolio and programme) rendered now, and those kept because nothing they print changed
    packs_rendered: tuple[Path, ...] = ()
    packs_unchanged: tuple[Path, ...] = ()


def render_period_reports(period: str, out_dir: Path, *, serving: Path | None = None, home: Path | None = None,
                          reported=None, quality_summary: Path | None = None, pack: bool = True,
                          projects: Sequence[str] | None = None, programme: str | None = None,
                          force: bool = False, workers: int = 1, require_rows: bool = False,
                          generated_at: datetime | None = None, limit: int | None = None,
                          progress: Callable[[str, int, int], None] | None = None,
                          pool: Executor | None = None) -> PeriodReports:
    """Render ``period``'s folder ``out_dir``.

    ``reported`` (a closed :class:`~orchestration.pipeline.reported.ReportedPeriod`, with ``home``) renders
    from its frozen figures; otherwise ``serving`` is read.  ``pack`` renders the portfolio pack too;
    ``projects`` / ``programme`` restrict the project reports (the others, and their manifest entries, are
    left as they are).  Reports and packs whose inputs are unchanged since the folder's manifest are not
    rendered again unless ``force`` (a pack's inputs: :func:`~orchestration.reports.render.pack_input_hash`).
    ``require_rows`` (``pmo report``) refuses a period, project or programme with
    nothing to report instead of rendering empty output.  ``limit`` (a run's or backfill's
    ``PMO_PROJECT_REPORTS_MAX``) leaves the project reports to ``pmo report`` when more than that many
    would be rendered; the manifest says so under ``projects_not_rendered``.

    ``progress(what, done, total)`` follows the long parts: ``what`` is "project reports" or
    "programme packs", called with ``done`` 0 once the total is known and after each document.

    ``pool``: the caller's worker processes render every document (a backfill shares them between periods);
    without it, ``workers`` > 1 starts a pool for the folder when it has more than
    :data:`~orchestration.reports.project.POOL_THRESHOLD` project reports to consider.
    """
    generated_at = generated_at or datetime.now(UTC)
    out_dir = Path(out_dir)
    frozen, source, con = _open_figures(serving, reported)
    reproduced = {"run_id": reported.run_id, "reported_at": _iso_label(reported.reported_at),
                  "closed_at": _iso_label(reported.closed_at)} if frozen else None
    previous = M.read_manifest(out_dir)
    packs_before = (previous or {}).get("packs") or {}
    partial = projects is not None or programme is not None
    try:
        data = None
        if limit is not None and not partial and not (previous or {}).get("projects"):
            # a large organisation's run: more reports than it renders and none to keep, so only their scope
            # is read (render_project_reports leaves them all to `pmo report`)
            counted = count_project_reports(con, period)
            if len(counted.scope) > limit:
                data = counted
        if data is None:
            data = load_project_reports(con, period, projects=projects, programme=programme, frozen=frozen,
                                        reproduced=reproduced)
    finally:
        con.close()
    if require_rows:
        _check_request(data, period, projects, programme, frozen)
    with contextlib.ExitStack() as stack:
        # One pool of workers for the whole folder when there are reports to render: the portfolio pack
        # (the largest document) goes to a worker first and is laid out while the other worker starts on
        # the project reports; the programme packs follow on the same workers.  Each pool pays its
        # workers' start (imports of WeasyPrint and matplotlib), so the folder starts one, not two.
        if (pool is None and workers > 1 and len(data.reports) > POOL_THRESHOLD
                and (partial or limit is None or len(data.reports) <= limit)):
            pool = stack.enter_context(document_pool(workers))
        result, issued = _render_folder(period, out_dir, data, pool, serving=serving, home=home, reported=reported,
                                        frozen=frozen, quality_summary=quality_summary, pack=pack,
                                        programme=programme, partial=partial, force=force, workers=workers,
                                        generated_at=generated_at, limit=limit, previous=previous,
                                        packs_before=packs_before, progress=progress)
    pack_path = issued[0].path if pack else None
    programme_packs = issued[1:] if pack else issued
    if issued:
        LOGGER.info("packs %s: %d rendered, %d unchanged", period, sum(i.rendered for i in issued),
                    sum(not i.rendered for i in issued))
    # the packs' entries: those issued now, and the earlier ones of packs left as they are (a partial
    # issue); write_manifest drops the entries whose PDF is gone
    pack_entries = {**packs_before, **{i.path.name: i.entry for i in issued}}
    entries = dict(result.entries)
    if partial and previous:
        scope = set(data.scope)
        for code, entry in (previous.get("projects") or {}).items():
            if code in scope and code not in entries:
                entries[code] = entry
    versions = set(data.rule_versions) | set(((previous or {}).get("rule_versions") or {}).get("rag") or []) \
        if partial else set(data.rule_versions)
    manifest = M.write_manifest(out_dir, period, source=source, rule_versions=sorted(versions), projects=entries,
                                packs=pack_entries, code_version=code_version(), generated_at=generated_at,
                                projects_not_rendered={"reason": result.skipped_reason, "projects": result.skipped}
                                if result.skipped else None)
    return PeriodReports(period=period, pack=pack_path, projects=result, manifest=manifest, source=source,
                         programme_packs=tuple(i.path for i in programme_packs),
                         packs_rendered=tuple(i.path for i in issued if i.rendered),
                         packs_unchanged=tuple(i.path for i in issued if not i.rendered))


def _open_figures(serving: Path | None, reported) -> tuple[bool, dict, duckdb.DuckDBPyConnection]:
    """Where a period's documents read their figures: ``(frozen, source, connection)``, the closed period's
    frozen figures when ``reported`` is closed, else the published snapshot read-only (ValueError when it is
    missing or not a DuckDB database).  ``source`` is the manifest's description of it."""
    from orchestration.pipeline.reported import open_frozen

    if reported is not None and reported.is_closed:
        return True, M.frozen_source(reported), open_frozen(reported)
    if serving is None or not Path(serving).is_file():
        raise ValueError(f"serving warehouse not found: {serving} (publish the warehouse first)")
    source = M.serving_source(Path(serving))
    try:
        return False, source, open_db(Path(serving), read_only=True)
    except duckdb.Error as exc:
        raise ValueError(f"cannot open {serving} as a DuckDB database read-only: {exc}") from exc


def holds_documents(out_dir: Path) -> bool:
    """Whether the folder has project reports or programme packs (an earlier issue rendered them)."""
    out_dir = Path(out_dir)
    return any((out_dir / PROJECTS_DIR).glob("*.pdf")) or any(out_dir.glob("programme-*.pdf"))


def issue_pack_only(period: str, out_dir: Path, *, serving: Path | None = None, home: Path | None = None,
                    reported=None, quality_summary: Path | None = None,
                    generated_at: datetime | None = None) -> Path:
    """A period's folder with its portfolio pack and ``manifest.json`` only: a backfill's period whose project
    reports and programme packs the run leaves out (``PMO_PROJECT_REPORTS``).  Returns the pack's path.

    The manifest lists the pack with its input hash (an unchanged pack is kept, as in
    :func:`render_period_reports`), the snapshot, the RAG rule versions of the period, and under
    ``projects_not_rendered`` the projects the period reports, for ``pmo report --period`` to render.  It costs
    one scope query more than the pack, not the project reports' loading.  A folder that already
    :func:`holds_documents` is not for this function: its reports would then sit beside a manifest of
    another snapshot, so the caller renders the whole folder instead (ValueError here)."""
    out_dir = Path(out_dir)
    if holds_documents(out_dir):
        raise ValueError(f"{out_dir} holds project reports or programme packs: render the whole folder")
    generated_at = generated_at or datetime.now(UTC)
    frozen, source, con = _open_figures(serving, reported)
    try:
        counted = count_project_reports(con, period)
    finally:
        con.close()
    scope, versions = list(counted.scope), list(counted.rule_versions)
    before = ((M.read_manifest(out_dir) or {}).get("packs") or {}).get(PACK_FILENAME)
    if frozen:
        issued = issue_reported_pack(Path(home), reported, out_dir, generated_at=generated_at, previous=before)
    else:
        issued = issue_portfolio_pack(Path(serving), period, out_dir, generated_at=generated_at,
                                      quality_summary=quality_summary, previous=before)
    not_rendered = {"reason": f"this run issued the portfolio pack only (PMO_PROJECT_REPORTS): run `pmo report "
                              f"--period {period}` to render the project reports and programme packs",
                    "projects": scope} if scope else None
    M.write_manifest(out_dir, period, source=source, rule_versions=versions, projects={},
                     packs={PACK_FILENAME: issued.entry}, code_version=code_version(), generated_at=generated_at,
                     projects_not_rendered=not_rendered)
    return issued.path


def _render_folder(period: str, out_dir: Path, data, pool: Executor | None, *, serving, home, reported, frozen: bool,
                   quality_summary, pack: bool, programme: str | None, partial: bool, force: bool, workers: int,
                   generated_at: datetime, limit: int | None, previous: dict | None, packs_before: dict,
                   progress) -> tuple[ProjectReportsResult, list[PackIssue]]:
    """The documents of :func:`render_period_reports`: the project reports' result, and the packs issued
    (the portfolio pack first when ``pack``, then the programme packs in the programmes' order).  With
    ``pool`` every document is rendered by its workers."""
    pack_future: Future | None = None
    pack_done: PackIssue | None = None
    if pack:
        out_dir.mkdir(parents=True, exist_ok=True)
        job: Callable[[], PackIssue]
        if frozen:
            job = functools.partial(issue_reported_pack, Path(home), reported, out_dir, generated_at=generated_at,
                          previous=packs_before.get(PACK_FILENAME), force=force)
        else:
            job = functools.partial(issue_portfolio_pack, Path(serving), period, out_dir, generated_at=generated_at,
                          quality_summary=quality_summary, previous=packs_before.get(PACK_FILENAME), force=force)
        if pool is not None:
            pack_future = pool.submit(job)
        else:
            pack_done = job()

    tick = progress or (lambda what, done, total: None)
    result = render_project_reports(data, out_dir, previous=previous, force=force, workers=workers,
                                    prune=not partial, generated_at=generated_at,
                                    limit=None if partial else limit,
                                    progress=lambda done, total: tick("project reports", done, total), pool=pool)
    kwargs = {"serving_path": None if frozen else Path(serving), "home": home,
              "reported": reported if frozen else None, "generated_at": generated_at,
              "quality_summary": None if frozen else quality_summary, "force": force}
    programme_packs: list[PackIssue] = []
    if pack and not partial and not result.skipped:
        # one pack per programme with a project reported in the period, rendered with the project reports
        # (under the same limit: a run leaves both to `pmo report` above it)
        names = sorted({r.header["programme"] for r in data.reports if r.header.get("programme")})
        fingerprints = _programme_fingerprints(period, names, kwargs)
        by_name: dict[str, PackIssue] = {}
        jobs = []
        for name in names:
            before, fingerprint = packs_before.get(programme_pack_filename(name)), fingerprints.get(name)
            target = out_dir / programme_pack_filename(name)
            if (not force and fingerprint and before and before.get("source_fingerprint") == fingerprint
                    and target.is_file() and M.file_sha256(target) == before.get("sha256")):
                by_name[name] = PackIssue(target, dict(before), rendered=False)  # its figures did not move
            else:
                jobs.append((name, before, fingerprint))
        LOGGER.info("programme packs %s: %d of %d unchanged by their figures' fingerprint", period, len(by_name),
                    len(names))
        tick("programme packs", len(by_name), len(names))
        if jobs and (pool is not None or (workers > 1 and len(jobs) > 1)):
            # WeasyPrint is CPU-bound: the packs share the workers (the folder's, else a pool of their own)
            with contextlib.ExitStack() as stack:
                if pool is None:
                    pool = stack.enter_context(document_pool(workers))
                futures = {pool.submit(issue_programme_pack, period, name, out_dir, previous=before,
                                       fingerprint=fingerprint, **kwargs): name for name, before, fingerprint in jobs}
                for future in as_completed(futures):
                    by_name[futures[future]] = future.result()  # raises the first failure
                    tick("programme packs", len(by_name), len(names))
        else:
            for name, before, fingerprint in jobs:
                by_name[name] = issue_programme_pack(period, name, out_dir, previous=before, fingerprint=fingerprint,
                                                     **kwargs)
                tick("programme packs", len(by_name), len(names))
        programme_packs.extend(by_name[name] for name in names)  # in the programmes' order
        keep = {p.path.name for p in programme_packs}
        for old_pack in out_dir.glob("programme-*.pdf"):
            if old_pack.name not in keep:
                old_pack.unlink()
    elif programme is not None and data.reports:
        # pmo report --programme: that programme's reports and its pack
        programme_packs.append(issue_programme_pack(
            period, programme, out_dir, previous=packs_before.get(programme_pack_filename(programme)), **kwargs))
    if pack_future is not None:
        pack_done = pack_future.result()  # raises the pack's failure
    return result, ([pack_done] if pack_done is not None else []) + programme_packs


def _programme_fingerprints(period: str, names: Sequence[str], kwargs: dict) -> dict[str, str]:
    """Each programme's ``source_fingerprint``: its figures' fingerprint (scope.programme_fingerprints, one
    pass over the marts for every programme) joined with what all its packs share (render.
    programme_packs_context).  Empty when it cannot be computed: then every pack is loaded and compared by
    its input hash, as before."""
    if not names:
        return {}
    try:
        context = programme_packs_context(period, names[0], serving_path=kwargs["serving_path"], home=kwargs["home"],
                                          reported=kwargs["reported"], quality_summary=kwargs["quality_summary"])
        figures = programme_fingerprints(serving=kwargs["serving_path"], reported=kwargs["reported"])
    except (duckdb.Error, OSError, ValueError) as exc:
        LOGGER.warning("programme packs %s: fingerprints not computed (%s); every pack is compared by its inputs",
                       period, exc)
        return {}
    return {name: hashlib.sha256(f"{context}:{fp}".encode()).hexdigest() for name, fp in figures.items()}


def _check_request(data, period: str, projects: Sequence[str] | None, programme: str | None, frozen: bool) -> None:
    where = f"the frozen figures of {period}" if frozen else "the published snapshot"
    if not data.scope:
        raise ProjectReportError(f"no project is reported in {period}: {where} has no earned-value rows for it",
                                 "--period")
    if projects is not None:
        missing = sorted(set(projects) - {r.project_code for r in data.reports})
        if missing:
            raise ProjectReportError(
                f"{', '.join(missing)}: not reported in {period} (unknown project, not started, or completed in an "
                f"earlier period); {len(data.scope)} project(s) are: {', '.join(data.scope[:12])}"
                + (" …" if len(data.scope) > 12 else ""), "--project")
    if programme is not None and not data.reports:
        raise ProjectReportError(f"programme {programme!r} has no project reported in {period}", "--programme")
