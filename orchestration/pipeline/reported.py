"""As reported vs restated: the figures of a closed period are frozen.

Every successful publish of period P writes what the pack of P shows to
``<home>/reported/<P>/`` (Parquet files of the pack's marts, the published ``quality`` tables and a
``manifest.json`` naming the run).  While P is *open* a later publish of P replaces that snapshot;
once P is *closed* it never changes again, so the pack of P can be rendered again, months later, with
exactly the figures it first showed.

A period is closed by ``pmo close PERIOD`` or, with the default ``close_periods: on_next_period`` in
``settings.yaml``, as soon as a run for a later period starts (the PMO has moved on to the next
month's report).  ``close_periods: manual`` leaves closing to the command.

The frozen figures of each closed period are loaded into the working warehouse as
``reported.earned_value`` before dbt runs; the mart ``fct_earned_value_restatement`` sets them beside
today's figures for the same project and period (``reported_*``, ``restated_*`` and the difference),
so a later correction to source data shows up as a restatement instead of silently changing history.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.warehouse import open_db, read_if_available

MANIFEST = "manifest.json"

#: Marts frozen per reported period, with the rows kept: ``None`` keeps every row, otherwise the
#: SQL condition on ``period`` (``?`` is the reported period).  These are the tables the portfolio
#: pack and the project reports (orchestration/reports/project.py) read, so a closed period's reports
#: can be rendered from them alone.  fct_project_status keeps the periods up to the reported one: a
#: project report says since when a RAG threshold has been tripped.  The marts built for the run's
#: reporting period only (milestones, top risks, benefits) keep that period's rows, as do the risk themes the
#: pack's risks page reads.
FROZEN_MARTS: dict[str, str | None] = {
    "dim_project": None,
    "fct_earned_value": "period <= ?",
    "fct_programme_earned_value": "period <= ?",
    "fct_portfolio_earned_value": "period <= ?",
    "fct_organisation_earned_value": "period <= ?",
    "fct_forecast_range": "period = ?",
    "fct_forecast_range_rollup": "period <= ?",  # the trends page draws the range of every period
    "fct_project_status": "period <= ?",
    "fct_earned_value_restatement": "period < ?",
    "fct_milestone_slippage": "period = ?",
    "fct_top_risks": "period = ?",
    # the pack's risk pages draw exposure over time and how the themes moved: the periods to the reported one
    "fct_risk_exposure": "period <= ?",
    "fct_risk_themes": "period <= ?",
    "fct_open_risks": "period = ?",
    "fct_project_benefits": "period = ?",
    "fct_benefit_realisation": "period = ?",
    # the pack's lessons page (orchestration/reports/lessons.py): a lesson has no period, the page keeps
    # those raised by the period's end
    "fct_lessons_learned": None,
    "fct_lesson_themes": "period <= ?",  # the scorecard compares with the previous period
    "fct_lesson_risk_links": "period = ?",
    # the pack's delivery and prioritisation pages (orchestration/reports/delivery.py)
    "fct_dependency_status": "period = ?",
    "fct_team_utilisation": "period <= ?",  # the scorecard compares with the previous period
    "fct_project_prioritisation": None,
    # the balanced scorecard (orchestration/reports/scorecard.py): the share of complete project records
    "fct_data_completeness": "period = ?",
    # the pack's quality page (orchestration/reports/quality_page.py; issue #15)
    "fct_project_quality": "period = ?",
    "fct_quality_rollup": "period <= ?",
}
#: The published quality tables the pack's data-quality appendix reads.
FROZEN_QUALITY = ("load_log", "files", "source_freshness")

#: What ``reported.earned_value`` keeps of each closed period's own rows (``period = reported
#: period``): the key, the run that reported it, and the measures ``fct_earned_value_restatement``
#: compares.  Fixed types, so snapshots written by older versions load alike.
RESTATED_MEASURES: dict[str, str] = {
    "bac": "DECIMAL(38,6)",
    "pv": "DECIMAL(38,6)",
    "ev": "DECIMAL(38,6)",
    "ac": "DECIMAL(38,6)",
    "cv": "DECIMAL(38,6)",
    "sv": "DECIMAL(38,6)",
    "cpi": "DOUBLE",
    "spi": "DOUBLE",
    "eac_cpi": "DECIMAL(38,6)",
    "etc": "DECIMAL(38,6)",
    "vac": "DECIMAL(38,6)",
    "es": "DOUBLE",
    "spi_t": "DOUBLE",
    "ieac_t": "DOUBLE",
    "forecast_finish_date": "DATE",
}
REPORTED_TABLE = "reported.earned_value"
#: Kept beside the measures: what they were measured against.
REPORTED_CONTEXT: dict[str, str] = {"baseline_version": "VARCHAR"}
REPORTED_DDL = (
    f"CREATE TABLE IF NOT EXISTS {REPORTED_TABLE} (project_code VARCHAR, period VARCHAR, currency VARCHAR, "
    "reported_run_id VARCHAR, reported_at TIMESTAMP, closed_at TIMESTAMP, "
    + ", ".join(f"{m} {t}" for m, t in {**RESTATED_MEASURES, **REPORTED_CONTEXT}.items()) + ")"
)

CLOSE_ON_NEXT_PERIOD = "on_next_period"


class ReportedError(ValueError):
    """A period cannot be closed or read back; the message says why."""


@dataclass(frozen=True)
class ReportedPeriod:
    """One period's frozen snapshot, as its manifest describes it."""

    period: str
    directory: Path
    run_id: str
    reported_at: str
    closed_at: str | None
    quality_summary: str | None
    tables: dict

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def state(self) -> str:
        return "closed" if self.is_closed else "open"


def reported_dir(home: Path) -> Path:
    return Path(home) / "reported"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_json_atomically(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def read_period(home: Path, period: str) -> ReportedPeriod | None:
    """The snapshot of ``period``, or None when the period has never been published."""
    directory = reported_dir(home) / period
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReportedError(f"{path}: not valid JSON ({exc}); the frozen figures of {period} cannot be read") from exc
    return ReportedPeriod(period=period, directory=directory, run_id=m.get("run_id", ""),
                          reported_at=m.get("reported_at", ""), closed_at=m.get("closed_at"),
                          quality_summary=m.get("quality_summary"), tables=m.get("tables") or {})


def list_periods(home: Path) -> list[ReportedPeriod]:
    """Every reported period, oldest first."""
    root = reported_dir(home)
    if not root.is_dir():
        return []
    out = [read_period(home, d.name) for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")]
    return [p for p in out if p is not None]


def record_reported(home: Path, serving: Path, period: str, run_id: str, *,
                    quality_summary: str | None = None, close_policy: str = CLOSE_ON_NEXT_PERIOD,
                    restate: bool = False) -> str:
    """Freeze what the pack of ``period`` shows, from the snapshot just published to ``serving``.

    Returns ``'recorded'``, or ``'kept'`` when the period is closed (its figures stay as first
    reported).  With the ``on_next_period`` policy a period reported after a later one (a backfill
    of history) is closed at once.  ``restate`` (``pmo backfill --restate``) replaces the figures of a
    closed period too, and returns ``'restated'``: the period stays closed, with the new figures.
    """
    existing = read_period(home, period)
    if existing is not None and existing.is_closed:
        if not restate:
            return "kept"
        _write_snapshot(home, serving, period, run_id, quality_summary)
        close_period(home, period)
        return "restated"
    _write_snapshot(home, serving, period, run_id, quality_summary)
    if close_policy == CLOSE_ON_NEXT_PERIOD and any(p.period > period for p in list_periods(home)):
        close_period(home, period)
    return "recorded"


def close_earlier_periods(home: Path, period: str, close_policy: str = CLOSE_ON_NEXT_PERIOD) -> list[str]:
    """A run for ``period`` starts: with the ``on_next_period`` policy every open period before it
    is closed (its last publish becomes its figures as reported).  Returns the periods closed."""
    if close_policy != CLOSE_ON_NEXT_PERIOD:
        return []
    closed = []
    for p in list_periods(home):
        if p.period < period and not p.is_closed:
            close_period(home, p.period)
            closed.append(p.period)
    return closed


def _write_snapshot(home: Path, serving: Path, period: str, run_id: str, quality_summary: str | None) -> None:
    root = reported_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{period}-", dir=root))
    try:
        tables: dict[str, dict] = {}
        previous = read_period(home, period)
        con = open_db(serving, read_only=True)
        try:
            present = {(s, t) for s, t in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
            versions = _mart_versions(con) if ("quality", "published_marts") in present else {}
            wanted = [("marts", t, cond) for t, cond in FROZEN_MARTS.items()]
            wanted += [("quality", t, None) for t in FROZEN_QUALITY]
            for schema, table, cond in wanted:
                if (schema, table) not in present:
                    continue
                name = table if schema == "marts" else f"quality__{table}"
                target = staging / f"{name}.parquet"
                version = versions.get(table) if schema == "marts" else None
                kept = _same_frozen_file(previous, name, version, target)
                if kept is not None:
                    tables[name] = kept
                    continue
                where = f" WHERE {cond.replace('?', repr(period))}" if cond else ""
                order = _order_by(con, schema, table)
                con.execute(f"COPY (SELECT * FROM {schema}.{table}{where}{order}) "
                            f"TO '{_sql_path(target)}' (FORMAT parquet)")
                rows = con.execute(f"SELECT count(*) FROM read_parquet('{_sql_path(target)}')").fetchone()[0]
                tables[name] = {"rows": rows, "sha256": _sha256(target), **({"version": version} if version else {})}
        finally:
            con.close()
        _write_json_atomically(staging / MANIFEST, {
            "period": period, "run_id": run_id, "reported_at": _now(), "closed_at": None,
            "quality_summary": quality_summary, "tables": tables})
        final = root / period
        if final.exists():
            old = root / f".{period}-replaced"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(staging, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _mart_versions(con) -> dict[str, str]:
    """mart -> the version it was published with (``quality.published_marts`` of the snapshot on ``con``:
    a hash of its shape and rows, orchestration/pipeline/publish.py)."""
    return dict(con.execute("SELECT mart, version FROM quality.published_marts").fetchall())


def _same_frozen_file(previous: ReportedPeriod | None, name: str, version: str | None, target: Path) -> dict | None:
    """The period's last frozen file of a mart, linked (or copied) to ``target`` when the mart has been
    published since with the same version: the same rows, so the same file.  Returns its manifest entry,
    or None (the file is written again).  A night's run that changes a few marts writes only theirs; the
    earned value mart alone was half a second of the pack step at 2,000 projects (bench/RESULTS.md)."""
    if previous is None or version is None:
        return None
    meta = previous.tables.get(name) or {}
    source = previous.directory / f"{name}.parquet"
    if meta.get("version") != version or not source.is_file() or _sha256(source) != meta.get("sha256"):
        return None
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return dict(meta)


def _order_by(con, schema: str, table: str) -> str:
    """A deterministic row order for the frozen file: the table's key columns that exist."""
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, table]).fetchall()]
    keys = [c for c in ("portfolio", "programme", "project_code", "period", "source", "entity", "file")
            if c in cols]
    return f" ORDER BY {', '.join(k + ' NULLS FIRST' for k in keys)}" if keys else ""


def close_period(home: Path, period: str) -> ReportedPeriod:
    """Close ``period``: its frozen figures never change again.  Closing a closed period is a no-op."""
    rp = read_period(home, period)
    if rp is None:
        raise ReportedError(f"{period} has not been published yet, so there are no figures to freeze; "
                            f"run `pmo run --period {period}` first")
    if rp.is_closed:
        return rp
    path = rp.directory / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    data["closed_at"] = _now()
    _write_json_atomically(path, data)
    return read_period(home, period)


def verify_period(rp: ReportedPeriod) -> list[str]:
    """Files of a snapshot whose content no longer matches its manifest (empty when intact)."""
    problems = []
    for name, meta in sorted(rp.tables.items()):
        path = rp.directory / f"{name}.parquet"
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif _sha256(path) != meta.get("sha256"):
            problems.append(f"{path}: changed since it was frozen")
    return problems


def load_reported_into(home: Path, warehouse: Path, *, closed_by: str | None = None) -> int:
    """Replace ``reported.earned_value`` in the working warehouse with every closed period's own
    frozen rows (``period`` = the reported period).  Returns the number of rows loaded.

    ``closed_by`` (an ISO timestamp) keeps only the periods closed by then: a backfill's runs see the
    closed periods as they were when it began, so a backfill resumed after a crash builds the same
    marts as one that ran straight through, although it closed periods on the way.
    """
    closed = [p for p in list_periods(home) if p.is_closed and (p.directory / "fct_earned_value.parquet").is_file()
              and (closed_by is None or p.closed_at <= closed_by)]
    con = open_db(warehouse)
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS reported")
        con.execute(f"DROP TABLE IF EXISTS {REPORTED_TABLE}")
        con.execute(REPORTED_DDL)
        con.execute("BEGIN TRANSACTION")
        for p in closed:
            path = p.directory / "fct_earned_value.parquet"
            available = {r[0] for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{_sql_path(path)}')").fetchall()}
            measures = ", ".join(f"CAST({m} AS {t})" if m in available else f"CAST(NULL AS {t})"
                                 for m, t in {**RESTATED_MEASURES, **REPORTED_CONTEXT}.items())
            con.execute(
                f"INSERT INTO {REPORTED_TABLE} SELECT project_code, period, currency, ?, CAST(? AS TIMESTAMP), "
                f"CAST(? AS TIMESTAMP), {measures} FROM read_parquet('{_sql_path(path)}') WHERE period = ?",
                [p.run_id, p.reported_at, p.closed_at, p.period])
        con.execute("COMMIT")
        return con.execute(f"SELECT count(*) FROM {REPORTED_TABLE}").fetchone()[0]
    finally:
        con.close()


def open_frozen(rp: ReportedPeriod, *, marts_schema: str = "marts", quality_schema: str = "quality"
                ) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose ``marts.*`` and ``quality.*`` views read the frozen files of
    ``rp``: the pack renderer reads it exactly as it reads serving.duckdb.  Other schema names leave
    ``marts`` free for a programme's scope of them (orchestration/reports/scope.py)."""
    problems = verify_period(rp)
    if problems:
        raise ReportedError(f"the frozen figures of {rp.period} cannot be trusted: " + "; ".join(problems))
    con = open_db()
    con.execute(f"CREATE SCHEMA {marts_schema}")
    con.execute(f"CREATE SCHEMA {quality_schema}")
    for name in rp.tables:
        schema, table = (quality_schema, name.removeprefix("quality__")) if name.startswith("quality__") \
            else (marts_schema, name)
        con.execute(f"CREATE VIEW {schema}.{table} AS SELECT * FROM "
                    f"read_parquet('{_sql_path(rp.directory / (name + '.parquet'))}')")
    return con


#: How ``pmo periods`` labels a project restated for a reason other than a source correction.
RESTATEMENT_LABELS = {"rebaseline": " (re-baselined)", "rebaseline_and_source_correction": " (corrected, re-baselined)"}


def restated_projects(serving: Path) -> dict[str, list[str]]:
    """Period -> projects restated since it closed, from ``marts.fct_earned_value_restatement`` of the published
    snapshot (empty when it is unavailable); a project restated only because it was re-baselined says so."""
    with read_if_available(serving) as con:
        if con is None:
            return {}
        try:
            rows = con.execute("SELECT period, project_code, restatement_cause FROM marts.fct_earned_value_restatement "
                               "WHERE is_restated ORDER BY period, project_code").fetchall()
        except duckdb.Error:
            return {}
    out: dict[str, list[str]] = {}
    for period, code, cause in rows:
        out.setdefault(period, []).append(code + RESTATEMENT_LABELS.get(cause, ""))
    return out


@dataclass
class ReportedLoad:
    """What :func:`prepare_reported` did: the periods it closed, the rows of ``reported.earned_value`` and
    every closed period."""
    closed_now: list[str]
    rows: int
    closed_periods: list[str]


def prepare_reported(home: Path, warehouse: Path, run_start: str, close_policy: str = CLOSE_ON_NEXT_PERIOD,
                     closed_by: str | None = None) -> ReportedLoad:
    """The reported-figures step of an ingest, before the marts are built for a run that starts at
    ``run_start`` (its period, or the first period of a backfill's range): close the open periods before it
    (:func:`close_earlier_periods`), then load the figures frozen for every closed period into
    ``reported.earned_value`` (:func:`load_reported_into`; a backfill passes the time it started as
    ``closed_by`` so periods it closes itself are restated, not reported)."""
    closed = close_earlier_periods(home, run_start, close_policy)
    rows = load_reported_into(home, warehouse, closed_by=closed_by)
    return ReportedLoad(closed_now=closed, rows=rows,
                        closed_periods=[p.period for p in list_periods(home) if p.is_closed])
