"""Render the portfolio pack (docs/evm.md §7) from the published warehouse to a PDF.

Flow: open ``serving.duckdb`` read-only -> :func:`load_pack_data` (plain Python values; DECIMAL
stays :class:`~decimal.Decimal`, NULL stays ``None``) -> :func:`build_html` (Jinja2, autoescaped)
-> WeasyPrint with :class:`PackURLFetcher` (only ``data:`` URIs and files inside ``templates/``)
-> ``portfolio-pack.pdf`` written to a temporary file in ``out_dir`` and moved into place.

Numbers are the mart's; they are rounded only by the template filters (indices 2 dp, money to a
whole unit, half away from zero), and RAG is classified on the unrounded index.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import mimetypes
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from orchestration.warehouse import open_db

from .charts import SCurvePoint, range_bar_svg, s_curve_svg, svg_data_uri
from .collector import one_collection
from .catalog import has_table, mart_columns, remembered, schema_columns
from .manifest import file_sha256
from .delivery import DeliveryPage, PrioritisationPage, load_delivery, load_prioritisation
from .lessons import LessonsPage, load_lessons
from .quality_page import QualityPage, load_quality_page
from .risk_matrix import RiskMatrixPage, load_risk_matrix
from .scorecard import ScoreRow, load_scorecard
from .split import Helper, helper_for, layout_cache_dir, render_split
from .trends import TrendsPage, load_trends
from .pages import (SPARK_PERIODS, TOP_N, BenefitsPage, CompletedRow, ExecutiveSummary, IndexHistory, RisksPage,
                    load_benefits_page, load_completed, load_executive_summary, load_index_histories, load_risks_page)

LOGGER = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "portfolio_pack.html.j2"
PACK_FILENAME = "portfolio-pack.pdf"

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
NULL_TEXT = "—"

#: Words printed in RAG cells (the colour is never the only carrier of the meaning).
RAG_LABELS: dict[str, str] = {"green": "Green", "amber": "Amber", "red": "Red", "n/a": "n/a"}
_RAG_VALUES = frozenset(RAG_LABELS)
TREND_LABELS: dict[str, str] = {"improved": "↑ improved", "same": "= same", "worse": "↓ worse"}
#: The seed whose rules fct_project_status applied (the rule version is stored on each row).
RAG_RULES_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "rag_rules.csv"
_RULE_MEASURES = {"cpi": "Cost (CPI)", "spi_t": "Schedule (SPI(t))",
                  "benefit_realisation_pct_to_date": "Benefits (realised % of planned to date)",
                  "risk_exposure_pct_of_bac": "Risk (open exposure % of BAC)",
                  "defect_escape_rate_pct": "Quality (defect escape rate %)",
                  "first_time_pass_rate_pct": "Quality (first-time pass rate %)",
                  "open_critical_defects": "Quality (open critical defects)"}

#: Columns the pack reads, per mart table.  Checked up front so a stale or partial warehouse
#: gives one clear error instead of a binder error half-way through.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_project": ("project_code", "project_name", "programme", "portfolio", "status"),
    "fct_earned_value": ("project_code", "period", "status_date", "currency", "bac", "cpi", "spi_t",
                         "eac_cpi", "vac", "is_complete"),
    "fct_portfolio_earned_value": ("portfolio", "period", "status_date", "currency", "project_count",
                                   "bac", "pv", "ev", "ac", "cpi", "spi", "eac_cpi", "vac"),
    "fct_programme_earned_value": ("programme", "period", "currency"),
    "fct_project_status": ("project_code", "period", "rule_version", "rag_cost", "rag_schedule", "rag_benefits",
                           "rag_risk", "rag_overall", "overall_trend"),
}


class PackRenderError(RuntimeError):
    """The PDF could not be produced (e.g. the template asked for a resource that was refused)."""


# --------------------------------------------------------------------------------------------
# Formatting (used as Jinja filters; pure functions)
# --------------------------------------------------------------------------------------------

def period_label(period: str) -> str:
    """'2026-11' -> 'November 2026' (English month names, independent of the locale)."""
    m = _PERIOD_RE.match(period or "")
    if not m:
        raise ValueError(f"{period!r} is not a period: use YYYY-MM, e.g. 2026-11")
    return f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


def fmt_money(value: Decimal | float | None) -> str:
    """Whole units, thousands separators, half away from zero; NULL -> '—'."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, float):
        if not math.isfinite(value):
            return NULL_TEXT
        value = Decimal(repr(value))
    q = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if q == 0:
        q = Decimal(0)  # no "-0"
    return f"{int(q):,}"


def fmt_index(value: Decimal | float | None) -> str:
    """Two decimals; NULL and non-finite -> '—'.

    Floats are formatted from their exact binary value, so a printed index never contradicts the
    RAG band it was classified in by more than the rounding of the last digit.
    """
    if value is None:
        return NULL_TEXT
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"
    v = float(value)
    if not math.isfinite(v):
        return NULL_TEXT
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


def fmt_signed_money(value: Decimal | float | None) -> str:
    """A change in money: '+12,345', '-2,000'; NULL -> '—'."""
    text = fmt_money(value)
    return text if text in (NULL_TEXT, "0") or text.startswith("-") else "+" + text


def fmt_signed_index(value: Decimal | float | None) -> str:
    """A change in an index: '+0.05', '-0.12'; NULL -> '—'."""
    text = fmt_index(value)
    return text if text in (NULL_TEXT, "0.00") or text.startswith("-") else "+" + text


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """A percentage already × 100: 87.0 -> '87%'; NULL and non-finite -> '—'."""
    if value is None or not math.isfinite(float(value)):
        return NULL_TEXT
    return f"{Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)}%"


def fmt_number(value: float | None) -> str:
    """A measured value (a non-monetary benefit's minutes, incidents, ...): one decimal, half away from zero."""
    if value is None or not math.isfinite(float(value)):
        return NULL_TEXT
    text = f"{Decimal(repr(float(value))).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"
    return "0.0" if text == "-0.0" else text


def fmt_text(value: object) -> str:
    return NULL_TEXT if value is None or value == "" else str(value)


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return NULL_TEXT
    return value.isoformat()[:10]


def fmt_timestamp(value: datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M")
    if value.tzinfo is not None:
        offset = value.utcoffset()
        text += " UTC" if offset is not None and offset.total_seconds() == 0 else value.strftime(" %z")
    return text


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectRow:
    project_code: str
    project_name: str | None
    programme: str | None
    portfolio: str | None
    status: str | None
    currency: str | None
    bac: Decimal | None
    cpi: float | None
    spi_t: float | None
    eac: Decimal | None
    vac: Decimal | None
    rag_cost: str
    rag_schedule: str
    rag_benefits: str
    rag_risk: str
    rag_overall: str
    overall_trend: str | None = None
    #: the quality rating (fct_project_status.rag_quality, rule version PMO-RAG-2 on); 'n/a' when not rated
    #: or when the snapshot predates it (PackData.has_quality says which)
    rag_quality: str = "n/a"


#: Above this many active projects (``PMO_PACK_PROJECT_ROWS``) the portfolio pack's RAG dashboard and
#: earned-value table show one line a programme instead of one a project: a board does not read 1,400 rows,
#: and the two tables were three quarters of the pack's 180 pages, its time and its memory at 2,000 projects.
#: Each programme's pack lists its projects.
PACK_PROJECT_ROWS_ENV = "PMO_PACK_PROJECT_ROWS"
DEFAULT_PACK_PROJECT_ROWS = 300
RAG_DIMENSIONS = ("cost", "schedule", "quality", "benefits", "risk", "overall")


def pack_project_rows_limit() -> int:
    """The most projects the pack lists one by one (``PMO_PACK_PROJECT_ROWS``, default 300)."""
    from orchestration.envvars import whole_number

    return whole_number(PACK_PROJECT_ROWS_ENV, DEFAULT_PACK_PROJECT_ROWS, minimum=1, unit="projects",
                        too_small="the pack lists at least one project")


@dataclass(frozen=True)
class ProgrammeRow:
    """One programme's line of a large organisation's pack: its active projects' ratings counted, and its
    earned value from fct_programme_earned_value (the mart's roll-up, in the reporting currency)."""

    programme: str | None
    portfolio: str | None
    projects: int
    #: dimension (RAG_DIMENSIONS) -> {'red': n, 'amber': n, 'green': n, 'n/a': n}
    rag: dict[str, dict[str, int]]
    worse: int       # overall RAG worse than at the previous period
    improved: int
    bac: Decimal | None = None
    cpi: float | None = None
    spi: float | None = None
    eac: Decimal | None = None
    vac: Decimal | None = None


@dataclass(frozen=True)
class PortfolioRow:
    portfolio: str | None
    currency: str | None
    project_count: int | None
    bac: Decimal | None
    pv: Decimal | None
    ev: Decimal | None
    ac: Decimal | None
    cpi: float | None
    spi: float | None
    eac: Decimal | None
    vac: Decimal | None


@dataclass(frozen=True)
class RestatementRow:
    """A closed period's project figures as reported and as restated since (fct_earned_value_restatement)."""

    period: str
    project_code: str
    reported_ev: Decimal | None
    restated_ev: Decimal | None
    reported_ac: Decimal | None
    restated_ac: Decimal | None
    ac_restatement: Decimal | None
    reported_cpi: float | None
    restated_cpi: float | None
    restated_measures: str
    cause: str = "source_correction"


@dataclass(frozen=True)
class RebaselineNote:
    """A project re-baselined since some closed periods were reported: those periods' BAC and PV are now
    measured against the new baseline (fct_earned_value_restatement, cause 'rebaseline')."""

    project_code: str
    reported_baseline_version: str | None
    restated_baseline_version: str | None
    first_period: str
    last_period: str
    period_count: int


@dataclass(frozen=True)
class ReproducedFrom:
    """Where a closed period's pack takes its figures from: the publish frozen when it was reported."""

    run_id: str
    reported_at: str
    closed_at: str


@dataclass(frozen=True)
class PortfolioGroup:
    portfolio: str | None
    projects: tuple[ProjectRow, ...]


@dataclass(frozen=True)
class ForecastRangeRow:
    """One line of the forecast-range table: the organisation or a portfolio (fct_forecast_range_rollup)."""
    name: str
    project_count: int
    projects_with_range: int
    point: Decimal | None
    p10: Decimal | None
    p50: Decimal | None
    p90: Decimal | None
    bar: str | None = None


@dataclass(frozen=True)
class LateFinishRow:
    """A project whose P90 finish (fct_forecast_range) is after its baseline finish."""
    project_code: str
    project_name: str | None
    baseline_finish: date | None
    finish_p50: date | None
    finish_p90: date | None
    days_late_p90: int | None


@dataclass(frozen=True)
class PackData:
    period: str
    status_dates: tuple[date, ...]
    currency: str | None
    projects: tuple[ProjectRow, ...]
    portfolios: tuple[PortfolioRow, ...]
    total: PortfolioRow | None
    eac_undefined_portfolios: tuple[str, ...]
    s_curve: tuple[SCurvePoint, ...]
    rag_counts: dict[str, int] = field(default_factory=dict)
    rule_version: str | None = None
    restatements: tuple[RestatementRow, ...] = ()
    rebaselines: tuple[RebaselineNote, ...] = ()
    forecast_ranges: tuple[ForecastRangeRow, ...] = ()
    late_finishes: tuple[LateFinishRow, ...] = ()
    lessons: LessonsPage | None = None
    #: the snapshot rates quality (fct_project_status.rag_quality): the RAG tables show its column
    has_quality: bool = False
    quality_page: QualityPage | None = None
    #: how many late finishes load_late_finishes lists at most (the summary says "or more" at the limit)
    late_finishes_limit: int = 15
    delivery: DeliveryPage | None = None
    prioritisation: PrioritisationPage | None = None
    scorecard: tuple[ScoreRow, ...] = ()
    trends: TrendsPage | None = None
    summary: ExecutiveSummary | None = None
    histories: dict[str, IndexHistory] = field(default_factory=dict)
    completed: tuple[CompletedRow, ...] = ()
    benefits: BenefitsPage | None = None
    risks: RisksPage | None = None
    risk_matrix: RiskMatrixPage | None = None
    #: set when the period has more active projects than pack_project_rows_limit(): the per-project tables
    #: become one line a programme
    programme_rows: tuple[ProgrammeRow, ...] = ()
    project_rows_limit: int = DEFAULT_PACK_PROJECT_ROWS

    @property
    def programme_groups(self) -> list[tuple[str | None, list[ProgrammeRow]]]:
        """``programme_rows`` by portfolio, in their order."""
        out: list[tuple[str | None, list[ProgrammeRow]]] = []
        for row in self.programme_rows:
            if out and out[-1][0] == row.portfolio:
                out[-1][1].append(row)
            else:
                out.append((row.portfolio, [row]))
        return out

    @property
    def groups(self) -> tuple[PortfolioGroup, ...]:
        out: list[PortfolioGroup] = []
        for row in self.projects:
            if out and out[-1].portfolio == row.portfolio:
                out[-1] = PortfolioGroup(row.portfolio, out[-1].projects + (row,))
            else:
                out.append(PortfolioGroup(row.portfolio, (row,)))
        return tuple(out)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _float(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)  # DOUBLE already; DECIMAL indices tolerated
    return v if math.isfinite(v) else None


def check_marts(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Raise ValueError naming every missing mart table or column."""
    found = schema_columns(con, "marts")
    missing_tables = [t for t in REQUIRED_COLUMNS if t not in found]
    if missing_tables:
        raise ValueError(
            f"{where}: missing mart table(s) {', '.join('marts.' + t for t in missing_tables)}; "
            "publish the warehouse (dbt build + publish) before rendering packs")
    problems = [f"marts.{t} lacks {', '.join(c for c in cols if c not in found[t])}"
                for t, cols in REQUIRED_COLUMNS.items() if any(c not in found[t] for c in cols)]
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))


def load_pack_data(con: duckdb.DuckDBPyConnection, period: str) -> PackData:
    """Read everything the pack shows for ``period`` from the marts."""
    # rag_quality exists from rule version PMO-RAG-2 (issue #15); a period frozen before it has no column
    has_quality = "rag_quality" in mart_columns(con, "fct_project_status")
    project_rows = _rows(con, f"""
        SELECT f.project_code, d.project_name, d.programme, d.portfolio, d.status, f.currency,
               f.status_date, f.bac, f.cpi, f.spi_t, f.eac_cpi, f.vac,
               s.rule_version, s.rag_cost, s.rag_schedule, s.rag_benefits, s.rag_risk, s.rag_overall, s.overall_trend,
               {'s.rag_quality' if has_quality else 'NULL'} AS rag_quality
        FROM marts.fct_earned_value AS f
        LEFT JOIN marts.dim_project AS d ON d.project_code = f.project_code
        LEFT JOIN marts.fct_project_status AS s ON s.project_code = f.project_code AND s.period = f.period
        WHERE f.period = ?
          -- a project finished in an earlier period is no longer active
          AND NOT EXISTS (
              SELECT 1 FROM marts.fct_earned_value AS done
              WHERE done.project_code = f.project_code AND done.period < f.period AND done.is_complete)
        ORDER BY d.portfolio NULLS LAST, d.programme NULLS LAST, f.project_code
    """, [period])
    # RAG is the mart's (fct_project_status, rules from the seed rag_rules): the pack only prints it.
    projects = [ProjectRow(
        project_code=r["project_code"], project_name=r["project_name"], programme=r["programme"],
        portfolio=r["portfolio"], status=r["status"], currency=r["currency"], bac=r["bac"],
        cpi=_float(r["cpi"]), spi_t=_float(r["spi_t"]), eac=r["eac_cpi"], vac=r["vac"],
        rag_cost=_rag(r["rag_cost"]), rag_schedule=_rag(r["rag_schedule"]), rag_benefits=_rag(r["rag_benefits"]),
        rag_risk=_rag(r["rag_risk"]), rag_overall=_rag(r["rag_overall"]), overall_trend=r["overall_trend"],
        rag_quality=_rag(r["rag_quality"]))
        for r in project_rows]
    versions = sorted({r["rule_version"] for r in project_rows if r["rule_version"]})
    if len(versions) > 1:
        raise ValueError(f"marts.fct_project_status rates {period} under several rule versions "
                         f"({', '.join(versions)}); the pack prints one")
    rule_version = versions[0] if versions else None

    portfolio_rows = _rows(con, """
        SELECT portfolio, currency, project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac
        FROM marts.fct_portfolio_earned_value
        WHERE period = ?
        ORDER BY portfolio NULLS LAST
    """, [period])
    portfolios = tuple(PortfolioRow(
        portfolio=r["portfolio"], currency=r["currency"], project_count=r["project_count"],
        bac=r["bac"], pv=r["pv"], ev=r["ev"], ac=r["ac"], cpi=_float(r["cpi"]), spi=_float(r["spi"]),
        eac=r["eac_cpi"], vac=r["vac"]) for r in portfolio_rows)

    # One reporting currency (DESIGN: marts are converted before they are built).  Totals and the
    # S-curve add portfolios together, which is only meaningful in one currency.
    currencies = sorted({r["currency"] for r in _rows(con, """
        SELECT DISTINCT currency FROM marts.fct_portfolio_earned_value
        WHERE period <= ? AND currency IS NOT NULL
    """, [period])})
    if len(currencies) > 1:
        raise ValueError(
            f"marts.fct_portfolio_earned_value mixes currencies up to {period} ({', '.join(currencies)}); "
            "the portfolio pack needs one reporting currency")
    if currencies:
        currency: str | None = currencies[0]
    else:
        project_currencies = sorted({p.currency for p in projects if p.currency})
        currency = project_currencies[0] if len(project_currencies) == 1 else None

    # The "All portfolios" line is the organisation's roll-up mart (EAC = BAC / CPI of the whole, as for a
    # portfolio).  A period frozen before that mart existed has none: the pack then shows no total line.
    total = None
    if portfolios and has_table(con, "marts", "fct_organisation_earned_value"):
        total = next((PortfolioRow(
            portfolio=r["organisation"], currency=r["currency"], project_count=r["project_count"],
            bac=r["bac"], pv=r["pv"], ev=r["ev"], ac=r["ac"], cpi=_float(r["cpi"]), spi=_float(r["spi"]),
            eac=r["eac_cpi"], vac=r["vac"]) for r in _rows(con, """
            SELECT organisation, currency, project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac
            FROM marts.fct_organisation_earned_value
            WHERE period = ?
        """, [period])), None)
    eac_undefined = tuple(fmt_text(p.portfolio) for p in portfolios if p.eac is None)

    curve = tuple(SCurvePoint(period=r["period"], pv=r["pv"], ev=r["ev"], ac=r["ac"], bac=r["bac"])
                  for r in _rows(con, """
        SELECT period, SUM(pv) AS pv, SUM(ev) AS ev, SUM(ac) AS ac, SUM(bac) AS bac
        FROM marts.fct_portfolio_earned_value
        WHERE period <= ?
        GROUP BY period
        ORDER BY period
    """, [period]))

    status_dates = tuple(r["status_date"] for r in _rows(con, """
        SELECT DISTINCT status_date FROM (
            SELECT status_date FROM marts.fct_earned_value WHERE period = ?
            UNION ALL
            SELECT status_date FROM marts.fct_portfolio_earned_value WHERE period = ?)
        WHERE status_date IS NOT NULL ORDER BY status_date
    """, [period, period]))

    counts = {k: 0 for k in ("red", "amber", "green", "n/a")}
    for p in projects:
        counts[p.rag_overall] += 1
    active = {p.project_code: p.project_name for p in projects}
    limit = pack_project_rows_limit()
    programme_rows = load_programme_rows(con, period, projects) if len(projects) > limit else ()
    return PackData(period=period, status_dates=status_dates, currency=currency, projects=tuple(projects),
                    portfolios=portfolios, total=total, eac_undefined_portfolios=eac_undefined,
                    s_curve=curve, rag_counts=counts, rule_version=rule_version,
                    restatements=load_restatements(con, period), rebaselines=load_rebaselines(con, period),
                    forecast_ranges=load_forecast_ranges(con, period), late_finishes=load_late_finishes(con, period),
                    lessons=load_lessons(con, period), delivery=load_delivery(con, period),
                    prioritisation=load_prioritisation(con), scorecard=load_scorecard(con, period),
                    trends=load_trends(con, period, currency), has_quality=has_quality,
                    quality_page=load_quality_page(con, period),
                    summary=load_executive_summary(con, period, active),
                    # the sparklines are the per-project dashboard's; a programme dashboard draws none
                    histories={} if programme_rows else load_index_histories(con, period, active),
                    completed=load_completed(con, period),
                    benefits=load_benefits_page(con, period), risks=load_risks_page(con, period),
                    risk_matrix=load_risk_matrix(con, period, currency),
                    programme_rows=programme_rows, project_rows_limit=limit)


def load_programme_rows(con: duckdb.DuckDBPyConnection, period: str,
                        projects: Sequence[ProjectRow]) -> tuple[ProgrammeRow, ...]:
    """One line a programme, in the projects' order (portfolio, programme): the ratings of its active projects
    counted by colour for each dimension, how many moved, and the programme's earned value
    (fct_programme_earned_value; None when the snapshot lacks the mart or the programme's row)."""
    ev: dict[str | None, dict] = {}
    if has_table(con, "marts", "fct_programme_earned_value"):
        ev = {r["programme"]: r for r in _rows(con, """
            SELECT programme, bac, cpi, spi, eac_cpi, vac FROM marts.fct_programme_earned_value WHERE period = ?
        """, [period])}
    out: list[ProgrammeRow] = []
    groups: dict[tuple[str | None, str | None], list[ProjectRow]] = {}
    for p in projects:
        groups.setdefault((p.portfolio, p.programme), []).append(p)
    for (portfolio, programme), rows in groups.items():
        rag = {dim: {k: 0 for k in ("red", "amber", "green", "n/a")} for dim in RAG_DIMENSIONS}
        for p in rows:
            for dim in RAG_DIMENSIONS:
                rag[dim][getattr(p, f"rag_{dim}")] += 1
        e = ev.get(programme) or {}
        out.append(ProgrammeRow(
            programme=programme, portfolio=portfolio, projects=len(rows), rag=rag,
            worse=sum(p.overall_trend == "worse" for p in rows), improved=sum(p.overall_trend == "improved" for p in rows),
            bac=e.get("bac"), cpi=_float(e.get("cpi")), spi=_float(e.get("spi")), eac=e.get("eac_cpi"),
            vac=e.get("vac")))
    return tuple(out)


def load_forecast_ranges(con: duckdb.DuckDBPyConnection, period: str) -> tuple[ForecastRangeRow, ...]:
    """The EAC range of the organisation and of each portfolio (fct_forecast_range_rollup), each with a
    bar on one scale; empty when the snapshot has no such mart (a period frozen before it existed)."""
    if not has_table(con, "marts", "fct_forecast_range_rollup"):
        return ()
    rows = _rows(con, """
        SELECT rollup_name, project_count, projects_with_range, eac_point_sum, eac_p10, eac_p50, eac_p90
        FROM marts.fct_forecast_range_rollup
        WHERE period = ? AND rollup_level IN ('organisation', 'portfolio')
        ORDER BY rollup_level = 'portfolio', rollup_name
    """, [period])
    out = [ForecastRangeRow(name=r["rollup_name"], project_count=r["project_count"],
                            projects_with_range=r["projects_with_range"], point=r["eac_point_sum"],
                            p10=r["eac_p10"], p50=r["eac_p50"], p90=r["eac_p90"]) for r in rows]
    # Portfolios share one scale (the organisation's total is drawn on its own).
    for scale in ([r for r in out if r.name == "All portfolios"], [r for r in out if r.name != "All portfolios"]):
        ranged = [r for r in scale if r.p10 is not None and r.p90 is not None]
        if not ranged:
            continue
        low = min(float(min(r.p10, r.point if r.point is not None else r.p10)) for r in ranged)
        high = max(float(max(r.p90, r.point if r.point is not None else r.p90)) for r in ranged)
        margin = (high - low) * 0.08 or high * 0.05
        for i, r in enumerate(out):
            if r in ranged:
                bar = range_bar_svg(float(r.p10), float(r.p50), float(r.p90),
                                    None if r.point is None else float(r.point), low - margin, high + margin)
                out[i] = ForecastRangeRow(**{**r.__dict__, "bar": svg_data_uri(bar)})
    return tuple(out)


def load_late_finishes(con: duckdb.DuckDBPyConnection, period: str, limit: int = 15) -> tuple[LateFinishRow, ...]:
    """Active projects whose P90 finish passes their baseline finish, the latest first."""
    if not has_table(con, "marts", "fct_forecast_range"):
        return ()
    rows = _rows(con, """
        SELECT r.project_code, d.project_name, r.baseline_finish_date, r.finish_p50, r.finish_p90,
               datediff('day', r.baseline_finish_date, r.finish_p90) AS days_late
        FROM marts.fct_forecast_range AS r
        LEFT JOIN marts.dim_project AS d ON d.project_code = r.project_code
        JOIN marts.fct_earned_value AS f ON f.project_code = r.project_code AND f.period = r.period
        WHERE r.period = ? AND r.finish_p90_after_baseline AND NOT coalesce(f.is_complete, false)
        ORDER BY days_late DESC, r.project_code
        LIMIT ?
    """, [period, limit])
    return tuple(LateFinishRow(project_code=r["project_code"], project_name=r["project_name"],
                               baseline_finish=r["baseline_finish_date"], finish_p50=r["finish_p50"],
                               finish_p90=r["finish_p90"], days_late_p90=r["days_late"]) for r in rows)


def _rag(value: object) -> str:
    """A RAG value from the mart; NULL (a measure not rated, e.g. CPI undefined) prints as 'n/a'."""
    text = str(value).strip().lower() if value is not None else "n/a"
    return text if text in _RAG_VALUES else "n/a"


def rule_descriptions(rule_version: str | None, seed: Path = RAG_RULES_SEED) -> list[tuple[str, list[str]]]:
    """(measure, [band descriptions]) of ``rule_version`` in the seed, in the seed's order (green first)."""
    import csv

    if not rule_version or not seed.is_file():
        return []
    out: dict[str, list[str]] = {}
    with seed.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["rule_version"] == rule_version]
    for r in sorted(rows, key=lambda r: int(r["rag_rank"])):
        out.setdefault(_RULE_MEASURES.get(r["measure"], r["measure"]), []).append(
            f"{RAG_LABELS.get(r['rag'], r['rag'])}: {r['description']}")
    order = list(_RULE_MEASURES.values())
    return sorted(out.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def load_restatements(con: duckdb.DuckDBPyConnection, period: str) -> tuple[RestatementRow, ...]:
    """Closed periods before ``period`` whose figures were corrected since they were reported (a source
    correction, with or without a re-baseline); empty when the mart is absent, as in snapshots published
    before restatements were tracked."""
    columns = mart_columns(con, "fct_earned_value_restatement")
    if not columns:
        return ()
    cause = "restatement_cause" if "restatement_cause" in columns else "'source_correction'"
    return tuple(RestatementRow(
        period=r["period"], project_code=r["project_code"], reported_ev=r["reported_ev"],
        restated_ev=r["restated_ev"], reported_ac=r["reported_ac"], restated_ac=r["restated_ac"],
        ac_restatement=r["ac_restatement"], reported_cpi=_float(r["reported_cpi"]),
        restated_cpi=_float(r["restated_cpi"]), restated_measures=r["restated_measures"] or "", cause=r["cause"])
        for r in _rows(con, f"""
        SELECT period, project_code, reported_ev, restated_ev, reported_ac, restated_ac, ac_restatement,
               reported_cpi, restated_cpi, restated_measures, {cause} AS cause
        FROM marts.fct_earned_value_restatement
        WHERE period < ? AND is_restated AND {cause} <> 'rebaseline'
        ORDER BY period, project_code
    """, [period]))


def load_rebaselines(con: duckdb.DuckDBPyConnection, period: str) -> tuple[RebaselineNote, ...]:
    """Per project, the closed periods before ``period`` restated only because the project was re-baselined
    since they were reported."""
    if "restatement_cause" not in mart_columns(con, "fct_earned_value_restatement"):
        return ()
    return tuple(RebaselineNote(**r) for r in _rows(con, """
        SELECT project_code, reported_baseline_version, restated_baseline_version,
               min(period) AS first_period, max(period) AS last_period, count(*) AS period_count
        FROM marts.fct_earned_value_restatement
        WHERE period < ? AND restatement_cause = 'rebaseline'
        GROUP BY project_code, reported_baseline_version, restated_baseline_version
        ORDER BY project_code, first_period
    """, [period]))


# --------------------------------------------------------------------------------------------
# Data-quality appendix
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QualityAppendix:
    """What the pack's data-quality appendix shows: the run's checks and, per source, the rows
    quarantined and its freshness (from the run summary JSON and serving's ``quality`` schema)."""

    run_id: str | None
    status: str | None
    counts: dict[str, int]
    issues: tuple[dict, ...]          # checks that warned or failed, with their failing counts
    sources: tuple[dict, ...]
    note: str = ""
    #: False in a programme pack (:func:`programme_appendix`): the sources and each warning's failing rows
    #: and examples, which are the whole organisation's, are left to the portfolio pack's appendix
    organisation_detail: bool = True


def load_quality_appendix(con: duckdb.DuckDBPyConnection, summary_path: Path | None, *,
                          sources: bool = True) -> QualityAppendix | None:
    """The appendix, or None when neither a run summary nor a published ``quality`` schema exists.
    ``sources=False`` (a programme pack's, :func:`programme_appendix`) does not read the table of sources."""
    import json

    from orchestration.pipeline.quality import read_sources

    summary: dict | None = None
    note = ""
    if summary_path is not None:
        try:
            summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            note = f"The run summary {Path(summary_path).name} could not be read ({exc})."
    has_schema = has_table(con, "quality", "load_log")
    if summary is None and not has_schema and not note:
        return None
    if not sources:
        source_rows: list = []
    elif has_schema:
        source_rows = read_sources(con, raw_schema="quality", quarantine_schema="quality")
    else:
        source_rows = list((summary or {}).get("sources") or [])
    checks = list((summary or {}).get("checks") or [])
    counts = dict((summary or {}).get("counts") or {"run": 0, "passed": 0, "warned": 0, "failed": 0})
    issues = []
    for c in checks:
        if c.get("outcome") == "passed":
            continue
        failures = c.get("failures") or []
        detail = "; ".join(
            f"{f.get('id') or f.get('expectation')}"
            + (f" on {f['column']}" if f.get("column") else "")
            + (f": {f['unexpected_count']} row(s)" if f.get("unexpected_count") is not None else "")
            + (f" (e.g. {', '.join(str(r.get('file')) + ' row ' + str(r.get('row')) for r in f.get('rows', [])[:2])})"
               if f.get("rows") else "")
            for f in failures if isinstance(f, dict)) or (c.get("description") or "")[:300]
        issues.append({"asset": c.get("asset"), "check": c.get("check"), "outcome": c.get("outcome"),
                       "failing_rows": c.get("failing_rows"), "detail": detail})
    if summary is None and not note:
        note = "No run summary was found for this pack; checks are not listed."
    return QualityAppendix(run_id=(summary or {}).get("run_id"), status=(summary or {}).get("status"),
                           counts=counts, issues=tuple(issues), sources=tuple(source_rows), note=note)


def programme_appendix(quality: QualityAppendix | None) -> QualityAppendix | None:
    """The appendix as a programme pack prints it: the run's checks, counted, and which warned or failed, by
    table and check; not the table of sources nor each warning's failing rows and examples.  Those are the
    whole organisation's (every file of the landing folder, every project's rows), printed by the portfolio
    pack, the document of record, and a programme pack is kept while its own figures do not move
    (:func:`pack_input_hash`): printed there, they would go stale in the packs that were kept."""
    if quality is None:
        return None
    return replace(quality, sources=(), organisation_detail=False, issues=tuple(
        {**i, "failing_rows": None, "detail": ""} for i in quality.issues))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

def make_environment() -> Environment:
    """Jinja2 environment: autoescape on for html/xml templates *and* by default (our template is
    ``.html.j2``), undefined variables are errors."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "xml", "html.j2"),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=fmt_money, idx=fmt_index, text=fmt_text, date=fmt_date, smoney=fmt_signed_money,
                       sidx=fmt_signed_index, pct=fmt_pct, num=fmt_number, period_label=period_label)
    return env


@functools.lru_cache(maxsize=1)
def _pack_environment() -> Environment:
    """The pack's environment, made once per process: Jinja compiles each template on its first use in an
    environment, which cost about 0.15 s a pack when every pack made its own (533 programme packs at 2,000
    projects)."""
    return make_environment()


@functools.lru_cache(maxsize=2)
def _s_curve_uri(points: tuple[SCurvePoint, ...], currency: str) -> str:
    """The pack's S-curve as a data URI.  Remembered for the pack's second :func:`build_html` (its input hash,
    then its document, :func:`_render`): matplotlib draws the chart once, not twice."""
    return svg_data_uri(s_curve_svg(points, currency))


def build_html(data: PackData, generated_at: datetime, quality: QualityAppendix | None = None,
               reproduced: ReproducedFrom | None = None, programme: str | None = None) -> str:
    """The pack's HTML; ``programme`` makes it that programme's pack (the data already scoped to it,
    orchestration/reports/scope.py): its title and the name of its totals change, nothing else."""
    chart_uri = _s_curve_uri(tuple(data.s_curve), data.currency or "reporting currency") if data.s_curve else None
    if len(data.status_dates) == 1:
        status_date = fmt_date(data.status_dates[0])
    elif data.status_dates:
        status_date = (f"{fmt_date(data.status_dates[-1])} (rows carry {len(data.status_dates)} status "
                       f"dates, {fmt_date(data.status_dates[0])} to {fmt_date(data.status_dates[-1])})")
    else:
        status_date = NULL_TEXT
    mixed_currency = any(p.currency and p.currency != data.currency for p in data.projects)
    # The contents page: the pages this pack holds, in their order (ids are the sections' in the template).
    toc = [("summary", "Executive summary")] if data.summary else []
    toc += [("dashboard", "RAG dashboard by programme" if data.programme_rows else "RAG dashboard"),
            ("project-ev", "Programme earned value" if data.programme_rows else "Project earned value"),
            ("s-curve", "Portfolio S-curve and totals")]
    if data.trends:
        toc.append(("trends", "Trends"))
    toc.append(("completed", "Completed this year"))
    if data.quality_page:
        toc.append(("quality-kpi", "Quality"))
    if data.benefits:
        toc.append(("benefits", "Benefits"))
    if data.risks:
        toc.append(("risks", "Risks"))
    if data.risk_matrix:
        toc.append(("risk-matrix", "Risk heat map and exposure"))
    if data.delivery:
        toc.append(("delivery", "Delivery: milestones, dependencies, utilisation"))
    if data.prioritisation:
        toc.append(("prioritisation", "Prioritisation"))
    if data.scorecard:
        toc.append(("scorecard", "Balanced scorecard"))
    if data.forecast_ranges:
        toc.append(("forecasts", "Forecast ranges"))
    if data.lessons:
        toc.append(("lessons", "Lessons learned"))
    if data.restatements or data.rebaselines:
        toc.append(("restatements", "Restated closed periods"))
    if quality:
        toc.append(("quality", "Data quality"))
    return _pack_environment().get_template(TEMPLATE_NAME).render(
        d=data,
        period_label=period_label(data.period),
        status_date=status_date,
        currency=data.currency or NULL_TEXT,
        mixed_currency=mixed_currency,
        generated_at=fmt_timestamp(generated_at),
        generated_at_iso=generated_at.isoformat(timespec="seconds"),
        rule_version=data.rule_version or NULL_TEXT,
        rules=rule_descriptions(data.rule_version),
        rag_labels=RAG_LABELS,
        trend_labels=TREND_LABELS,
        chart_uri=chart_uri,
        quality=quality,
        reproduced=reproduced,
        toc=toc,
        pack_title=f"Programme pack: {programme}" if programme else "Portfolio pack",
        scope_label=f"programme {programme}" if programme else "all portfolios",
        scope_whole="the programme's projects together" if programme else "all portfolios together",
        top_n=TOP_N,
        spark_periods=SPARK_PERIODS,
    )


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

def _weasyprint():
    # Imported lazily: WeasyPrint pulls in Pango/HarfBuzz, which the rest of the code location
    # does not need at import time.
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse
    return weasyprint, URLFetcher, URLFetcherResponse


def prepare_process() -> None:
    """Load what a process's first pack waits for before its first page: the report modules (matplotlib among
    them), WeasyPrint (Pango and HarfBuzz through cffi), pypdf and the pack's compiled template.  About 1 s on
    one core that ``pmo run`` spends while dbt builds the marts instead of at the start of the pack step
    (orchestration/cli/runner.py).  Nothing is rendered; a failure is left for the pack step to report."""
    from . import period  # noqa: F401  (the report modules: charts, project reports, the pack's split)

    _weasyprint()
    import pypdf  # noqa: F401  (split.py joins a large pack's sections with it)

    _pack_environment().get_template(TEMPLATE_NAME)


class RefusedURLError(PermissionError):
    """A resource outside ``data:`` URIs and the templates folder was requested."""


def make_url_fetcher(root: Path = TEMPLATES_DIR):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and regular files inside ``root`` only.

    Anything else (http, https, ftp, files elsewhere, ``..`` escapes, symlinks out) raises
    :class:`RefusedURLError`.  ``fail_on_errors=True`` makes WeasyPrint stop the rendering instead
    of logging the refusal and carrying on without the resource.
    """
    _, URLFetcher, URLFetcherResponse = _weasyprint()
    root = Path(root).resolve()

    class PackURLFetcher(URLFetcher):  # type: ignore[misc,valid-type]  # base class imported lazily
        def __init__(self) -> None:
            super().__init__(timeout=5, allowed_protocols=("data",), allow_redirects=False,
                             fail_on_errors=True)
            self.root = root

        def fetch(self, url: str, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)  # urllib's DataHandler: decoded in memory
            if scheme == "file":
                parts = urlsplit(url)
                if parts.netloc not in ("", "localhost"):
                    raise RefusedURLError(f"refused {url!r}: remote file URL")
                path = Path(url2pathname(parts.path)).resolve()
                if path.is_relative_to(self.root) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    if mime.startswith("text/"):
                        mime += "; charset=utf-8"
                    return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
                raise RefusedURLError(f"refused {url!r}: only files inside {self.root} are served")
            raise RefusedURLError(
                f"refused {url!r}: the pack renderer fetches nothing from the network "
                "(only data: URIs and files in the templates folder)")

    return PackURLFetcher()


#: The link to a template's own stylesheet, as the pack's and the report's templates write it.
_OWN_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(pack\.css|project_report\.css)">')


@functools.lru_cache(maxsize=4)
def _parsed_stylesheet(name: str, stamp: tuple[int, int]):
    """``templates/<name>`` parsed by WeasyPrint, once a process for each version of the file (``stamp``: its
    modification time and size)."""
    weasyprint, _, _ = _weasyprint()
    return weasyprint.CSS(filename=str(TEMPLATES_DIR / name), url_fetcher=make_url_fetcher(TEMPLATES_DIR))


class PackDocument:
    """A WeasyPrint ``HTML`` whose own stylesheet (pack.css or project_report.css, :data:`_OWN_STYLESHEET`) is
    given to WeasyPrint already parsed instead of linked: parsing pack.css took 26 ms a document and
    project_report.css 9 ms, 2-3 % of a programme pack or a project report (bench/RESULTS.md, 2026-12-07).
    WeasyPrint gives a stylesheet passed this way the user origin, below the author's; the templates hold no
    other stylesheet and no ``!important``, so every declaration applies as from the link: the PDFs are the
    same bytes (tests/unit/test_stylesheet_once.py).  The one author stylesheet is a split pack's
    ``<style>`` that removes the margin boxes (orchestration/reports/split.py), which must win, and does."""

    def __init__(self, html, stylesheets: list) -> None:
        self.html = html
        self.stylesheets = stylesheets

    def render(self, **options):
        return self.html.render(stylesheets=self.stylesheets, **options)

    def write_pdf(self, target=None, **options):
        return self.html.write_pdf(target, stylesheets=self.stylesheets, **options)


def html_document(html: str):
    """A pack's or report's HTML as a WeasyPrint document: relative URLs resolve in the templates folder, and
    :func:`make_url_fetcher` serves nothing else.  ``.write_pdf()`` writes it; ``.render()`` lays it out
    (the layout tests walk its page boxes).  The template's own stylesheet is parsed once a process
    (:class:`PackDocument`)."""
    weasyprint, _, _ = _weasyprint()
    stylesheets = []
    link = _OWN_STYLESHEET.search(html)
    if link is not None and html.count("<link") == 1:
        path = TEMPLATES_DIR / link.group(1)
        stat = path.stat()
        stylesheets.append(_parsed_stylesheet(link.group(1), (stat.st_mtime_ns, stat.st_size)))
        html = html[:link.start()] + html[link.end():]
    document = weasyprint.HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                               url_fetcher=make_url_fetcher(TEMPLATES_DIR))
    return PackDocument(document, stylesheets) if stylesheets else document


def _write_pdf_atomically(html: str, target: Path, *, layout_cache: Path | None = None,
                          helper: Helper | None = None) -> None:
    """Write ``html`` as the PDF ``target``, replacing it only once the new file is complete.  ``layout_cache``
    (a pack's, :func:`orchestration.reports.split.layout_cache_dir`): lay a large pack out on two processes,
    keeping its sections' layout there for the next render (:func:`orchestration.reports.split.render_split`),
    with ``helper`` as its second process when one was started early."""
    _weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".pdf.tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                if layout_cache is None or not render_split(html, fh.write, cache_dir=layout_cache, helper=helper):
                    html_document(html).write_pdf(fh)
            except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint 70
                cause = exc.__cause__ or exc
                raise PackRenderError(f"rendering {target.name} stopped: {cause}") from cause
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_portfolio_pack(serving_path: Path, period: str, out_dir: Path, *,
                          generated_at: datetime | None = None, quality_summary: Path | None = None) -> Path:
    """Render ``out_dir/portfolio-pack.pdf`` (see :func:`issue_portfolio_pack`, which this renders always)."""
    return issue_portfolio_pack(serving_path, period, out_dir, generated_at=generated_at,
                                quality_summary=quality_summary).path


def issue_portfolio_pack(serving_path: Path, period: str, out_dir: Path, *, generated_at: datetime | None = None,
                         quality_summary: Path | None = None, previous: dict | None = None,
                         force: bool = False) -> PackIssue:
    """Render ``out_dir/portfolio-pack.pdf`` for ``period`` ('YYYY-MM') from the published warehouse.

    Raises :class:`ValueError` when the period is malformed, the serving file is missing or not a
    DuckDB database, or the marts are missing; :class:`PackRenderError` when the PDF cannot be
    produced.  The previous pack, if any, is replaced only once the new one is complete.

    ``quality_summary`` (the run's ``quality/<period>/<run_id>.json``) and serving's ``quality``
    schema feed the data-quality appendix; with neither, the pack has no appendix.

    ``previous`` (the pack's entry in the folder's last manifest) keeps the PDF when nothing it prints has
    changed (:func:`pack_input_hash`), unless ``force``.
    """
    period_label(period)  # validates
    serving_path = Path(serving_path)
    if not serving_path.is_file():
        raise ValueError(f"serving warehouse not found: {serving_path} (publish the warehouse first)")
    generated_at = generated_at or datetime.now(UTC)

    try:
        con = open_db(serving_path, read_only=True)
    except duckdb.Error as exc:
        raise ValueError(f"cannot open {serving_path} as a DuckDB database read-only: {exc}") from exc
    return _render(con, str(serving_path), period, Path(out_dir), generated_at, quality_summary, None,
                   previous=previous, force=force)


def render_reported_pack(home: Path, reported, out_dir: Path, *, generated_at: datetime | None = None) -> Path:
    """Render a closed period's pack from its frozen figures (see :func:`issue_reported_pack`)."""
    return issue_reported_pack(home, reported, out_dir, generated_at=generated_at).path


def issue_reported_pack(home: Path, reported, out_dir: Path, *, generated_at: datetime | None = None,
                        previous: dict | None = None, force: bool = False) -> PackIssue:
    """Render the pack of a reported period from its frozen figures (``reported/<period>/``, see
    orchestration/pipeline/reported.py) and the run summary of the run that reported it: the same figures,
    tables and appendix as the pack first issued, whatever the warehouse holds today."""
    from orchestration.pipeline.reported import open_frozen

    con = open_frozen(reported)
    summary = Path(home) / reported.quality_summary if reported.quality_summary else None
    return _render(con, str(reported.directory), reported.period, Path(out_dir), generated_at or datetime.now(UTC),
                   summary if summary is not None and summary.is_file() else None,
                   ReproducedFrom(run_id=reported.run_id, reported_at=_iso_label(reported.reported_at),
                                  closed_at=_iso_label(reported.closed_at)), previous=previous, force=force)


def _iso_label(value: str | None) -> str:
    """An ISO 8601 timestamp from a manifest as the pack prints times ('2026-03-02 06:00 UTC')."""
    if not value:
        return NULL_TEXT
    try:
        return fmt_timestamp(datetime.fromisoformat(value))
    except ValueError:
        return value


#: A fixed time for :func:`pack_input_hash`: the pack's HTML is hashed as if generated then, so two issues
#: of the same figures hash alike whatever the clock says.
_HASH_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=1)
def pack_code_version() -> str:
    """sha256 over the code, templates and stylesheets that shape a pack (every module of this package and
    every file of ``templates/``): a change to any of them renders every pack again."""
    h = hashlib.sha256()
    files = sorted(Path(__file__).parent.glob("*.py")) + sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_file())
    for path in [*files, RAG_RULES_SEED]:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.is_file() else b"")
    return h.hexdigest()


def pack_input_hash(data: PackData, quality: QualityAppendix | None, reproduced: ReproducedFrom | None,
                    programme: str | None = None) -> str:
    """sha256 of everything a pack prints but the moment it was printed: its HTML rendered at a fixed time,
    and :func:`pack_code_version`.

    Left out besides the time: the appendix's run id (a run that checked the same figures with the same
    outcome does not make a new document).  A programme pack does not print the appendix's organisation-wide
    detail (:func:`programme_appendix`: the table of sources, each warning's failing-row count and examples,
    which move with any project's rows), so a night's file that changes none of a programme's figures leaves
    its pack as it was, whose appendix still names the run that rendered it.  Which checks passed, warned or
    failed stays in every pack's hash: a change of outcome renders every pack again. The portfolio pack, the
    document of record for the run, prints its whole appendix and keeps it in the hash, so it shows every
    night's figures."""
    if programme:
        quality = _programme_quality(quality)
    elif quality is not None:
        quality = replace(quality, run_id=None)
    html = build_html(data, _HASH_EPOCH, quality, reproduced, programme)
    h = hashlib.sha256(pack_code_version().encode())
    h.update(html.encode("utf-8"))
    return h.hexdigest()


def _programme_quality(quality: QualityAppendix | None) -> QualityAppendix | None:
    """The appendix as a programme pack's hash sees it (:func:`pack_input_hash`): what it prints
    (:func:`programme_appendix`) without the run id."""
    masked = programme_appendix(quality)
    return None if masked is None else replace(masked, run_id=None)


def programme_packs_context(period: str, sample_programme: str, *, serving_path: Path | None = None,
                            home: Path | None = None, reported=None, quality_summary: Path | None = None) -> str:
    """sha256 of what every programme pack of ``period`` shares besides its own figures: the code version, the
    period, ``PMO_PACK_PROJECT_ROWS``, the appendix as a programme pack's hash sees it and, for a closed
    period, the run that reported it.  With :func:`~orchestration.reports.scope.programme_fingerprints` it
    tells, for all programmes at once, which packs cannot have changed (``source_fingerprint`` in the
    manifest)."""
    import json

    from .scope import open_programme

    con = open_programme(sample_programme, serving=serving_path, reported=reported)
    try:
        quality = load_quality_appendix(con, _frozen_summary(home, reported) if reported is not None
                                        else quality_summary, sources=False)
    finally:
        con.close()
    masked = _programme_quality(quality)
    payload = {"code": pack_code_version(), "period": period, "project_rows": pack_project_rows_limit(),
               "quality": None if masked is None else {
                   "status": masked.status, "counts": masked.counts, "issues": list(masked.issues),
                   "note": masked.note},
               "reproduced": None if reported is None else [reported.run_id, reported.reported_at,
                                                            reported.closed_at]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _frozen_summary(home: Path | None, reported) -> Path | None:
    """The run summary of the run that reported a closed period, when it is still on disk."""
    summary = Path(home) / reported.quality_summary if home and reported.quality_summary else None
    return summary if summary is not None and summary.is_file() else None


@dataclass(frozen=True)
class PackIssue:
    """One pack of a period's folder after :func:`issue_portfolio_pack`, :func:`issue_programme_pack` or
    :func:`issue_reported_pack`: its path, its manifest entry (``input_sha256``,
    ``sha256`` of the PDF, ``rendered_at``) and whether it was rendered now (False: kept, its inputs and
    PDF unchanged since the entry)."""

    path: Path
    entry: dict
    rendered: bool


@one_collection
def _render(con: duckdb.DuckDBPyConnection, where: str, period: str, out_dir: Path, generated_at: datetime,
            quality_summary: Path | None, reproduced: ReproducedFrom | None, programme: str | None = None, *,
            previous: dict | None = None, force: bool = False, fingerprint: str | None = None) -> PackIssue:
    """Load the pack's figures from ``con`` (closed here) and write its PDF, unless ``previous`` (the pack's
    entry in the folder's last manifest) has the same input hash and its PDF is still the one it lists.
    ``fingerprint`` (a programme pack's ``source_fingerprint``) is kept in the entry.

    A portfolio pack large enough to be laid out on two processes starts the second one first
    (:func:`~orchestration.reports.split.helper_for`), so that its start overlaps the loading."""
    with contextlib.ExitStack() as stack:
        helper = None
        try:
            if programme is None:
                helper = stack.enter_context(helper_for(_projects_reported(con, period),
                                                        layout_cache_dir(Path(out_dir) / PACK_FILENAME)))
            with remembered(con):  # the loaders only read: one reading of the catalogue serves them all
                check_marts(con, where)
                data = load_pack_data(con, period)
                quality = load_quality_appendix(con, quality_summary, sources=programme is None)
        finally:
            con.close()
        return _issue(data, quality, period, out_dir, generated_at, reproduced, programme, previous=previous,
                      force=force, fingerprint=fingerprint, helper=helper)


def _projects_reported(con: duckdb.DuckDBPyConnection, period: str) -> int:
    """How many projects the period reports (fct_project_status), 0 when that cannot be read: to tell early
    whether the pack will be split."""
    try:
        return int(con.execute("SELECT count(*) FROM marts.fct_project_status WHERE period = ?",
                               [period]).fetchone()[0])
    except duckdb.Error:
        return 0


def _issue(data: PackData, quality: QualityAppendix | None, period: str, out_dir: Path, generated_at: datetime,
           reproduced: ReproducedFrom | None, programme: str | None, *, previous: dict | None, force: bool,
           fingerprint: str | None, helper: Helper | None) -> PackIssue:
    """The second half of :func:`_render`: the pack's input hash, and its PDF written unless it is kept."""
    if programme:
        quality = programme_appendix(quality)

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (programme_pack_filename(programme) if programme else PACK_FILENAME)
    what = f"programme pack {programme}" if programme else "portfolio pack"
    digest = pack_input_hash(data, quality, reproduced, programme)
    if (not force and previous and previous.get("input_sha256") == digest and target.is_file()
            and file_sha256(target) == previous.get("sha256")):
        LOGGER.info("%s %s: unchanged since %s, kept", what, period, previous.get("rendered_at"))
        entry, rendered = dict(previous), False
    else:
        html = build_html(data, generated_at, quality, reproduced, programme)
        _write_pdf_atomically(html, target, layout_cache=layout_cache_dir(target), helper=helper)
        LOGGER.info("%s %s: %d project(s) -> %s", what, period, len(data.projects), target)
        entry, rendered = {"input_sha256": digest, "sha256": file_sha256(target),
                           "rendered_at": generated_at.isoformat(timespec="seconds")}, True
    entry.pop("source_fingerprint", None)
    if fingerprint:
        entry["source_fingerprint"] = fingerprint
    return PackIssue(target, entry, rendered=rendered)


def programme_pack_filename(programme: str) -> str:
    """``programme-<slug>.pdf``: the programme's name in lower case, runs of other characters as one hyphen."""
    slug = re.sub(r"[^a-z0-9]+", "-", programme.lower()).strip("-") or "unnamed"
    return f"programme-{slug}.pdf"


def render_programme_pack(period: str, programme: str, out_dir: Path, *, serving_path: Path | None = None,
                          home: Path | None = None, reported=None, generated_at: datetime | None = None,
                          quality_summary: Path | None = None) -> Path:
    """Render ``out_dir/programme-<slug>.pdf`` (see :func:`issue_programme_pack`, which this renders always)."""
    return issue_programme_pack(period, programme, out_dir, serving_path=serving_path, home=home, reported=reported,
                                generated_at=generated_at, quality_summary=quality_summary).path


def issue_programme_pack(period: str, programme: str, out_dir: Path, *, serving_path: Path | None = None,
                         home: Path | None = None, reported=None, generated_at: datetime | None = None,
                         quality_summary: Path | None = None, previous: dict | None = None,
                         force: bool = False, fingerprint: str | None = None) -> PackIssue:
    """Render ``out_dir/programme-<slug>.pdf``: the portfolio pack's pages for one programme's projects, from
    the published snapshot or (``reported`` and ``home``) a closed period's frozen figures, through the
    programme's scope of the marts (orchestration/reports/scope.py); ``previous`` and ``force`` as for
    :func:`issue_portfolio_pack` (what a programme pack's hash leaves out: :func:`pack_input_hash`)."""
    from .scope import open_programme

    period_label(period)  # validates
    generated_at = generated_at or datetime.now(UTC)
    if reported is not None:
        con = open_programme(programme, reported=reported)
        return _render(con, str(reported.directory), period, Path(out_dir), generated_at,
                       _frozen_summary(home, reported),
                       ReproducedFrom(run_id=reported.run_id, reported_at=_iso_label(reported.reported_at),
                                      closed_at=_iso_label(reported.closed_at)), programme,
                       previous=previous, force=force, fingerprint=fingerprint)
    if serving_path is None or not Path(serving_path).is_file():
        raise ValueError(f"serving warehouse not found: {serving_path} (publish the warehouse first)")
    con = open_programme(programme, serving=Path(serving_path))
    return _render(con, str(serving_path), period, Path(out_dir), generated_at, quality_summary, None, programme,
                   previous=previous, force=force, fingerprint=fingerprint)
