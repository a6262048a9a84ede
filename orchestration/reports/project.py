"""Per-project reports: ``reports/<period>/projects/<project_code>.pdf`` (issue #11).

One report per project *reported* in the period: a row in ``marts.fct_earned_value`` for the period,
and not completed in an earlier one (a project completed in the period is still reported, as in the
portfolio pack).  Each report shows the project's header and RAG (fct_project_status), its earned-value
measures at the period (fct_earned_value), an S-curve and an index trend chart, the earned-schedule
forecast finish against the baseline finish, its milestones (fct_milestone_slippage), risks
(fct_risk_exposure, fct_top_risks) and benefits (fct_project_benefits, fct_benefit_realisation), and a
variance narrative written from the RAG rule's thresholds (seeds/rag_rules.csv, the rule version of
fct_project_status) when one is tripped.

Flow: :func:`load_project_reports` reads every project of the period with one connection and a few
bulk queries (no query per project) into plain, picklable :class:`ProjectReport` values; each report's
inputs are hashed (:func:`input_hash`: its figures serialized deterministically plus :data:`CODE_VERSION`);
:func:`render_project_reports` renders those whose hash or PDF changed since the manifest of the last
issue (orchestration/reports/manifest.py), one WeasyPrint document each, in a spawn process pool when
there are many.  The Jinja environment (autoescaped) and the URL fetcher (``data:`` URIs and the
templates folder only) are the portfolio pack's.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path

import duckdb

from . import manifest as M
from .collector import one_collection
from .charts import IndexPoint, SCurvePoint, index_trend_svg, range_bar_svg, s_curve_svg, svg_data_uri
from .render import (NULL_TEXT, RAG_LABELS, RAG_RULES_SEED, TEMPLATES_DIR, TREND_LABELS, _rag, _rows,
                     _write_pdf_atomically, fmt_date, fmt_index, fmt_timestamp, make_environment, period_label)

LOGGER = logging.getLogger(__name__)

TEMPLATE_NAME = "project_report.html.j2"
PROJECTS_DIR = "projects"
#: Above this many reports to render, a process pool renders them (WeasyPrint is CPU-bound).
POOL_THRESHOLD = 10


def document_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that render documents (WeasyPrint is CPU-bound and single-threaded).  Spawned, not
    forked: the caller may hold threads (Dagster's, DuckDB's) that a fork would copy.  A pack rendered by a
    worker is laid out in one piece (the other workers have documents of their own): split.mark_worker."""
    from .split import mark_worker

    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=mark_worker)
#: The environment variable holding the most project reports a run or backfill renders for one period
#: (``pmo report`` has no limit).  At about 0.5 s of a core each, a 2,000-project organisation's reports
#: would add some 8 minutes to a nightly run whose figures take 2; above the limit the run leaves them to
#: ``pmo report``, which a PMO schedules when it issues the month's reports.
LIMIT_ENV = "PMO_PROJECT_REPORTS_MAX"
DEFAULT_LIMIT = 300
#: At most this many rows of a list section (milestones, risks, benefits) are printed; the rest are counted.
SECTION_ROWS = 10

#: The files whose content shapes a report: a change to any of them renders every report again.
_CODE_FILES = (
    Path(__file__),
    Path(__file__).with_name("charts.py"),
    Path(__file__).with_name("render.py"),
    TEMPLATES_DIR / TEMPLATE_NAME,
    TEMPLATES_DIR / "project_report.css",
)

#: fct_earned_value columns printed in the EV table, in the order of the table: (column, label, kind).
EV_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("bac", "BAC", "money"), ("cpi", "CPI", "idx"),
    ("pv", "PV", "money"), ("spi", "SPI", "idx"),
    ("ev", "EV", "money"), ("spi_t", "SPI(t)", "idx"),
    ("ac", "AC", "money"), ("tcpi_bac", "TCPI (BAC)", "idx"),
    ("sv", "SV", "money"), ("tcpi_eac", "TCPI (EAC)", "idx"),
    ("cv", "CV", "money"), ("eac_cpi", "EAC (CPI)", "money"),
    ("etc", "ETC", "money"), ("eac_atypical", "EAC (atypical)", "money"),
    ("vac", "VAC", "money"), ("eac_composite", "EAC (CPI × SPI)", "money"),
)
#: Other fct_earned_value columns a report reads (optional ones are NULL when a snapshot lacks them).
_EV_EXTRA = ("es", "sv_t", "forecast_finish_date", "pct_complete", "baseline_version")

#: The RAG measures of fct_project_status: (rag column, measure of rag_rules, label, value column, kind).
RAG_MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("rag_cost", "cpi", "Cost", "cpi", "idx"),
    ("rag_schedule", "spi_t", "Schedule", "spi_t", "idx"),
    ("rag_benefits", "benefit_realisation_pct_to_date", "Benefits", "benefit_realisation_pct_to_date", "pct"),
    ("rag_risk", "risk_exposure_pct_of_bac", "Risk", "risk_exposure_pct_of_bac", "pct"),
)
#: The measures behind rag_quality (rule version PMO-RAG-2 on, issue #15): the rating is the worst of theirs, so
#: the narrative names each one whose own band is amber or red.
QUALITY_MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("rag_quality", "defect_escape_rate_pct", "Quality", "defect_escape_rate_pct", "pct"),
    ("rag_quality", "first_time_pass_rate_pct", "Quality", "first_time_pass_rate_pct", "pct"),
    ("rag_quality", "open_critical_defects", "Quality", "open_critical_defects", "count"),
)
_MEASURE_NAMES = {"cpi": "CPI", "spi_t": "SPI(t)", "benefit_realisation_pct_to_date": "Benefits realised to date",
                  "risk_exposure_pct_of_bac": "Open risk exposure", "defect_escape_rate_pct": "Defect escape rate",
                  "first_time_pass_rate_pct": "First-time pass rate", "open_critical_defects": "Open critical defects"}
_MEASURE_UNITS = {"benefit_realisation_pct_to_date": "of planned to date", "risk_exposure_pct_of_bac": "of BAC"}

#: Optional marts of the list sections: table -> columns read (absent columns read as NULL).
_SECTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_milestone_slippage": ("project_code", "task_code", "task_name", "baseline_finish", "forecast_finish",
                               "actual_finish", "expected_finish", "slip_days", "is_achieved", "milestone_status"),
    "fct_top_risks": ("project_code", "risk_id", "exposure_rank", "title", "category", "probability", "impact_cost",
                      "exposure", "impact_days", "target_date", "mitigation"),
    "fct_risk_exposure": ("project_code", "open_risks", "unquantified_open_risks", "exposure", "max_risk_exposure",
                          "exposure_pct_of_bac"),
    "fct_project_benefits": ("project_code", "monetary_benefit_count", "monetary_disbenefit_count",
                             "non_monetary_benefit_count", "net_benefits_planned_to_date",
                             "net_benefits_realised_to_date", "realisation_pct_to_date",
                             "net_benefits_planned_whole_life", "net_benefits_target"),
    "fct_benefit_realisation": ("project_code", "benefit_id", "benefit_name", "category", "is_monetary",
                                "is_disbenefit", "unit", "planned_amount_to_date", "realised_amount_to_date",
                                "planned_value_to_date", "realised_value_to_date", "realisation_pct_to_date"),
    "fct_project_quality": ("project_code", "has_quality_data", "open_defects", "open_critical_defects",
                            "open_major_defects", "open_minor_defects", "defects_found", "defects_fixed",
                            "reopened_defects", "defect_escape_rate_pct", "mean_open_critical_age_days", "reviews_held",
                            "reviews_failed", "first_time_pass_rate_pct", "open_nonconformances",
                            "rework_cost_pct_of_ac"),
    "fct_forecast_range": ("project_code", "cost_range_available", "schedule_range_available", "cpi_history_periods",
                           "spi_t_history_periods", "eac_p10", "eac_p50", "eac_p90", "eac_point", "finish_p10",
                           "finish_p50", "finish_p90", "finish_point", "baseline_finish_date",
                           "finish_p90_after_baseline", "range_method"),
}


class ProjectReportError(ValueError):
    """A project report cannot be produced as asked (unknown period, project or programme); ``param``
    names the option at fault (``--period``, ``--project``, ``--programme``)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """The rows of one list section, or why there are none: ``note`` is printed instead of the rows
    when the mart is absent from the snapshot (not frozen / not published) or holds other periods only."""

    rows: tuple[dict, ...] = ()
    total: int = 0
    note: str | None = None


@dataclass(frozen=True)
class Narrative:
    """One tripped RAG threshold, in words (``text``), with what it was worked from."""

    area: str
    rag: str
    text: str
    measure: str
    value: float | None = None
    threshold: float | None = None
    since: str | None = None
    periods: int = 0


@dataclass(frozen=True)
class ProjectReport:
    """Everything one project report prints, as plain values (picklable, hashable as JSON)."""

    period: str
    project_code: str
    header: dict
    ev: dict
    history: tuple[dict, ...]
    rule_version: str | None
    narrative: tuple[Narrative, ...]
    finish: dict
    milestones: Section
    risk_summary: dict | None
    risks: Section
    benefit_summary: dict | None
    benefits: Section
    thresholds: tuple[tuple[float, str], ...] = ()
    #: the project's row of fct_forecast_range for the period (None: not published or not frozen, see
    #: ``forecast_range_note``)
    forecast_range: dict | None = None
    forecast_range_note: str | None = None
    #: the project's row of fct_project_quality for the period (issue #15), and whether the snapshot's
    #: fct_project_status rates quality at all (rule version PMO-RAG-2 on)
    quality: dict | None = None
    quality_note: str | None = None
    rates_quality: bool = False
    reproduced: dict | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def filename(self) -> str:
        return f"{self.project_code}.pdf"


@dataclass(frozen=True)
class ReportSet:
    """The reports of one period, and the RAG rule version(s) the period was rated under."""

    period: str
    reports: tuple[ProjectReport, ...]
    rule_versions: tuple[str, ...]
    #: Every project reported in the period (before a --project / --programme filter).
    scope: tuple[str, ...]
    #: Only the scope and the rule versions were read (:func:`count_project_reports`): more reports than a
    #: run renders and none of an earlier issue to keep, so ``reports`` is empty and none is rendered.
    counted: bool = False


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in _rows(con, "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_catalog = current_database() AND table_schema = 'marts'"):
        found.setdefault(r["table_name"], set()).add(r["column_name"])
    return found


def _select(cols: set[str], names: Iterable[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{n}" AS "{n}"' if n in cols else f'NULL AS "{n}"' for n in names)


def _num(value) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def read_rules(rule_version: str | None, seed: Path = RAG_RULES_SEED) -> dict[str, list[dict]]:
    """measure -> bands of ``rule_version`` in the seed (min/max as floats, ±inf for open ends)."""
    if not rule_version or not seed.is_file():
        return {}
    out: dict[str, list[dict]] = {}
    with seed.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["rule_version"] != rule_version:
                continue
            out.setdefault(r["measure"], []).append({
                "rag": r["rag"], "min": float(r["min_value"]), "min_inclusive": r["min_inclusive"] == "true",
                "max": float(r["max_value"]), "max_inclusive": r["max_inclusive"] == "true",
                "description": r["description"]})
    return out


def _in_band(value: float, band: dict) -> bool:
    lo_ok = band["min"] == -math.inf or value > band["min"] or (band["min_inclusive"] and value == band["min"])
    hi_ok = band["max"] == math.inf or value < band["max"] or (band["max_inclusive"] and value == band["max"])
    return lo_ok and hi_ok


def _fmt_measure(value: float, kind: str) -> str:
    if kind == "count":
        return f"{value:g}"
    return fmt_index(value) if kind == "idx" else f"{value:.1f} %"


def _fmt_threshold(value: float, kind: str) -> str:
    if kind == "count":
        return f"{value:g}"
    return f"{value:.2f}" if kind == "idx" else f"{value:g} %"


def _fmt_diff(diff: float, kind: str) -> str:
    if kind == "count":
        return f"by {abs(diff):g}"
    if kind == "idx":
        return "by less than 0.01" if abs(diff) < 0.005 else f"by {abs(diff):.2f}"
    return "by less than 0.1 percentage points" if abs(diff) < 0.05 else f"by {abs(diff):.1f} percentage points"


def narrate(status: dict, history: Sequence[dict], rules: dict[str, list[dict]], rule_version: str | None,
            first_ev_period: str | None) -> tuple[Narrative, ...]:
    """The variance narrative: for each RAG measure rated amber or red at the period, which threshold of
    the rule is tripped, by how much, and since which period (the run of periods, up to this one, in which
    fct_project_status gave the measure the same colour)."""
    out = []
    for rag_col, measure, area, value_col, kind in RAG_MEASURES + QUALITY_MEASURES:
        rag = _rag(status.get(rag_col))
        if rag not in ("amber", "red"):
            continue
        value = _num(status.get(value_col))
        name = _MEASURE_NAMES[measure]

        def colour(row: dict, rag_col: str = rag_col, measure: str = measure, value_col: str = value_col) -> str:
            """The row's colour for this measure: the rated column, or for a measure behind rag_quality, the
            band of the rule its own value falls in."""
            if rag_col != "rag_quality":
                return _rag(row.get(rag_col))
            v = _num(row.get(value_col))
            own = next((b for b in rules.get(measure) or [] if v is not None and _in_band(v, b)), None)
            return own["rag"] if own else "n/a"

        if rag_col == "rag_quality":
            rag = colour(status)
            if rag not in ("amber", "red"):
                continue
        # Since when: walk the status history back from the period while the colour is the same.
        since, count = status.get("period"), 0
        for row in reversed(history):
            if colour(row) != rag:
                break
            since, count = row["period"], count + 1
        count = max(count, 1)
        when = f"since {since} ({count} period{'' if count == 1 else 's'})" if count > 1 else \
            f"in {since} (this period only so far)"
        if history and since == history[0]["period"] and first_ev_period and first_ev_period < since:
            when += f"; ratings before {since} are not in this snapshot"
        bands = rules.get(measure) or []
        band = next((b for b in bands if value is not None and b["rag"] == rag and _in_band(value, b)), None)
        green = next((b for b in bands if b["rag"] == "green"), None)
        rule = rule_version or NULL_TEXT
        if value is None or band is None or green is None:
            text = (f"{area}: rated {RAG_LABELS[rag]} under rule {rule} {when}"
                    + (f" ({name} {_fmt_measure(value, kind)})" if value is not None else "")
                    + (" — the rule's bands are not in seeds/rag_rules.csv." if not bands else "."))
            out.append(Narrative(area, rag, text, measure, value, None, since, count))
            continue
        # The tripped band lies below green (low CPI, low benefits) or above it (high CPI, high risk exposure).
        below_green = green["min"] != -math.inf and (green["max"] == math.inf or band["max"] <= green["min"])
        if below_green:
            threshold, relation = band["max"], "at or below" if band["max_inclusive"] else "below"
            diff = threshold - value
        else:
            threshold, relation = band["min"], "at or above" if band["min_inclusive"] else "above"
            diff = value - threshold
        unit = f" {_MEASURE_UNITS[measure]}" if measure in _MEASURE_UNITS else ""
        text = (f"{area}: {name} {_fmt_measure(value, kind)}{unit} is {relation} the {rag} threshold "
                f"{_fmt_threshold(threshold, kind)} {_fmt_diff(diff, kind)} (rule {rule}: {band['description']}), "
                f"{when}.")
        out.append(Narrative(area, rag, text, measure, value, threshold, since, count))
    return tuple(out)


def _section_note(table: str, cols: dict[str, set[str]], periods: dict[str, tuple], period: str,
                  frozen: bool) -> str | None:
    """Why a section has no rows at all for the period (None when the mart has the period's rows)."""
    if table not in cols:
        return (f"Not frozen: the figures of {period} were frozen before marts.{table} was kept with them."
                if frozen else f"Not published: the snapshot has no marts.{table}.")
    lo, hi, has_period = periods.get(table, (None, None, False))
    if lo is None:
        # Empty for every project: these marts hold the reporting period of the run that built them only, so a
        # period issued by a backfill up to a later period has no rows in them.
        return (f"Not available for {period}: marts.{table} has no rows for it (the mart is built for the "
                "reporting period of a run only, and this period was issued by a run for a later one).")
    if not has_period:
        span = lo if lo == hi else f"{lo} to {hi}"
        return (f"Not available for {period}: marts.{table} holds {span} only (it is built for the reporting "
                "period of the run that published it).")
    return None


#: The rows of ``marts.fct_earned_value AS f`` a period reports: a project's row of the period unless it
#: completed in an earlier one (a project completed in the period is reported once more, as completed).
NOT_COMPLETED_BEFORE = """NOT EXISTS (
              SELECT 1 FROM marts.fct_earned_value AS done
              WHERE done.project_code = f.project_code AND done.period < f.period AND done.is_complete)"""


def _required_marts(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The snapshot's mart columns (:func:`_columns`); ValueError naming the first mart a report needs that it
    lacks."""
    cols = _columns(con)
    for table in ("fct_earned_value", "dim_project", "fct_project_status"):
        if table not in cols:
            raise ValueError(f"missing mart table marts.{table}; publish the warehouse before rendering reports")
    return cols


def count_project_reports(con: duckdb.DuckDBPyConnection, period: str) -> ReportSet:
    """The reports of ``period`` as :func:`load_project_reports` would give their scope and rule versions, without
    reading them (``counted``): two queries instead of 29, for a run that will leave them to ``pmo report``
    (0.7 s at 2,000 projects)."""
    period_label(period)  # validates
    _required_marts(con)
    scope = tuple(r[0] for r in con.execute(f"""
        SELECT f.project_code FROM marts.fct_earned_value AS f
        WHERE f.period = ? AND {NOT_COMPLETED_BEFORE} ORDER BY 1""", [period]).fetchall())
    versions = tuple(r[0] for r in con.execute(f"""
        SELECT DISTINCT s.rule_version FROM marts.fct_project_status AS s
        WHERE s.period = ? AND s.rule_version IS NOT NULL AND s.rule_version <> '' AND s.project_code IN (
            SELECT f.project_code FROM marts.fct_earned_value AS f WHERE f.period = ? AND {NOT_COMPLETED_BEFORE})
        ORDER BY 1""", [period, period]).fetchall())
    return ReportSet(period=period, reports=(), rule_versions=versions, scope=scope, counted=True)


def load_project_reports(con: duckdb.DuckDBPyConnection, period: str, *, projects: Sequence[str] | None = None,
                         programme: str | None = None, frozen: bool = False, reproduced: dict | None = None,
                         seed: Path = RAG_RULES_SEED) -> ReportSet:
    """Read every project report of ``period`` (optionally only ``projects`` or ``programme``'s projects)."""
    period_label(period)  # validates
    cols = _required_marts(con)
    ev_cols, dim_cols, st_cols = cols["fct_earned_value"], cols["dim_project"], cols["fct_project_status"]
    ev_names = [m[0] for m in EV_MEASURES] + list(_EV_EXTRA)
    status_names = ("rule_version", "rag_cost", "rag_schedule", "rag_quality", "defect_escape_rate_pct",
                    "first_time_pass_rate_pct", "open_critical_defects", "rag_benefits", "rag_risk", "rag_overall",
                    "overall_trend", "cpi", "spi_t", "benefit_realisation_pct_to_date", "risk_exposure_pct_of_bac")
    head = _rows(con, f"""
        SELECT f.project_code, f.status_date, f.currency, f.is_complete,
               {_select(dim_cols, ("project_name", "programme", "portfolio", "status", "planned_finish_date",
                                   "baseline_finish_date", "start_date"), "d")},
               {_select(ev_cols, ev_names, "f")}
        FROM marts.fct_earned_value AS f
        LEFT JOIN marts.dim_project AS d ON d.project_code = f.project_code
        WHERE f.period = ? AND {NOT_COMPLETED_BEFORE}
        ORDER BY f.project_code
    """, [period])
    scope = tuple(r["project_code"] for r in head)
    if projects is not None:
        wanted = set(projects)
        head = [r for r in head if r["project_code"] in wanted]
    if programme is not None:
        head = [r for r in head if r["programme"] == programme]
    codes = {r["project_code"] for r in head}

    # Histories, all projects at once (the marts hold one row per project and period).
    history: dict[str, list[dict]] = {}
    for r in _rows(con, f"""
        SELECT project_code, period, {_select(ev_cols, ("bac", "pv", "ev", "ac", "cpi", "spi_t"))}
        FROM marts.fct_earned_value WHERE period <= ? ORDER BY project_code, period""", [period]):
        if r["project_code"] in codes:
            history.setdefault(r["project_code"], []).append(r)
    statuses: dict[str, list[dict]] = {}
    all_versions: set[str] = set()
    for r in _rows(con, f"""
        SELECT project_code, period, {_select(st_cols, status_names)}
        FROM marts.fct_project_status WHERE period <= ? ORDER BY project_code, period""", [period]):
        if r["period"] == period and r["rule_version"] and r["project_code"] in scope:
            all_versions.add(r["rule_version"])
        if r["project_code"] in codes:
            statuses.setdefault(r["project_code"], []).append(r)

    # The list sections: one query per mart for the period.
    sections: dict[str, dict[str, list[dict]]] = {}
    periods: dict[str, tuple] = {}
    for table, names in _SECTION_COLUMNS.items():
        sections[table] = {}
        if table not in cols:
            continue
        span = _rows(con, f"SELECT min(period) AS lo, max(period) AS hi, count(*) FILTER (WHERE period = ?) AS n "
                          f"FROM marts.{table}", [period])[0]
        periods[table] = (span["lo"], span["hi"], bool(span["n"]))
        for r in _rows(con, f"SELECT {_select(cols[table], names)} FROM marts.{table} WHERE period = ?", [period]):
            if r["project_code"] in codes:
                sections[table].setdefault(r["project_code"], []).append(r)
    notes = {t: _section_note(t, cols, periods, period, frozen) for t in _SECTION_COLUMNS}

    reports = []
    rules_cache: dict[str | None, dict] = {}
    for h in head:
        code = h["project_code"]
        st_hist = statuses.get(code, [])
        status = st_hist[-1] if st_hist and st_hist[-1]["period"] == period else {}
        rule_version = status.get("rule_version")
        if rule_version not in rules_cache:
            rules_cache[rule_version] = read_rules(rule_version, seed)
        rules = rules_cache[rule_version]
        if status and status.get("cpi") is None and "cpi" not in st_cols:
            status = {**status, "cpi": h["cpi"], "spi_t": h["spi_t"]}
        ev_hist = history.get(code, [])
        header = {k: h[k] for k in ("project_name", "programme", "portfolio", "status", "status_date", "currency",
                                    "is_complete", "start_date")}
        header.update({k: _rag(status.get(k)) for k in ("rag_cost", "rag_schedule", "rag_quality", "rag_benefits",
                                                       "rag_risk",
                                                       "rag_overall")})
        header["overall_trend"] = status.get("overall_trend")
        header["rated"] = bool(status)
        ev = {k: h[k] for k in ev_names}
        baseline_finish = h["baseline_finish_date"] or h["planned_finish_date"]
        forecast = ev["forecast_finish_date"]
        finish = {"forecast": forecast, "baseline": baseline_finish,
                  "baseline_source": "baseline" if h["baseline_finish_date"] else "planned (register)",
                  "days": (forecast - baseline_finish).days if forecast and baseline_finish else None}
        milestones = sorted(sections["fct_milestone_slippage"].get(code, []),
                            key=lambda m: (bool(m["is_achieved"]), m["expected_finish"] or date.max, m["task_code"]))
        risks = sorted(sections["fct_top_risks"].get(code, []), key=lambda r: (r["exposure_rank"] or 0, r["risk_id"]))
        benefits = sorted(sections["fct_benefit_realisation"].get(code, []),
                          key=lambda b: (not b["is_monetary"], bool(b["is_disbenefit"]), b["benefit_id"]))
        risk_summary = next(iter(sections["fct_risk_exposure"].get(code, [])), None)
        benefit_summary = next(iter(sections["fct_project_benefits"].get(code, [])), None)
        # The chart's threshold lines: the upper bounds of the rule's low (amber, red) index bands.
        thresholds = tuple(sorted({(b["max"], f"{b['rag']} < {b['max']:.2f}") for m in ("cpi", "spi_t")
                                   for b in rules.get(m, []) if b["rag"] != "green" and b["max"] < 1}))
        report_notes = []
        if not status:
            report_notes.append(f"marts.fct_project_status has no rating of {code} for {period}.")
        reports.append(ProjectReport(
            period=period, project_code=code, header=header, ev=ev, history=tuple(ev_hist),
            rule_version=rule_version,
            narrative=narrate(status, st_hist, rules, rule_version, ev_hist[0]["period"] if ev_hist else None)
            if status else (),
            finish=finish,
            milestones=_section(milestones, notes["fct_milestone_slippage"]),
            risk_summary=risk_summary,
            risks=_section(risks, notes["fct_top_risks"]),
            benefit_summary=benefit_summary,
            benefits=_section(benefits, notes["fct_benefit_realisation"]),
            thresholds=thresholds, reproduced=reproduced, notes=tuple(report_notes),
            forecast_range=next(iter(sections["fct_forecast_range"].get(code, [])), None),
            forecast_range_note=notes["fct_forecast_range"],
            quality=next(iter(sections["fct_project_quality"].get(code, [])), None),
            quality_note=notes["fct_project_quality"], rates_quality="rag_quality" in st_cols))
    return ReportSet(period=period, reports=tuple(reports), rule_versions=tuple(sorted(all_versions)), scope=scope)


def _section(rows: list[dict], note: str | None) -> Section:
    return Section(rows=tuple(rows[:SECTION_ROWS]), total=len(rows), note=note if not rows else None)


# --------------------------------------------------------------------------------------------
# Input hashes
# --------------------------------------------------------------------------------------------

def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__}")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over the code and template files that shape a report."""
    h = hashlib.sha256()
    for path in _CODE_FILES:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.is_file() else b"")
    return h.hexdigest()


def input_hash(report: ProjectReport) -> str:
    """sha256 of the report's inputs (its figures, serialized deterministically) and the code version."""
    payload = json.dumps({"code": code_version(), "report": asdict(report)}, default=_json_default,
                         sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# HTML and PDF
# --------------------------------------------------------------------------------------------

def fmt_pct(value) -> str:
    v = _num(value)
    return NULL_TEXT if v is None else f"{v:.1f} %"


def fmt_days(value) -> str:
    if value is None:
        return NULL_TEXT
    return f"+{value}" if value > 0 else str(value)


@functools.lru_cache(maxsize=1)
def _environment():
    """One Jinja environment per process: the pack's (autoescaped, strict), with the report's filters."""
    env = make_environment()
    env.filters.update(pct=fmt_pct, days=fmt_days)
    return env


def range_bars(fr: dict | None) -> dict[str, str | None]:
    """The forecast range bars of a project report (``eac`` and ``finish``, data: URIs), drawn on a scale
    that holds P10, P90 and the point forecast; an absent range gets None."""
    bars: dict[str, str | None] = {"eac": None, "finish": None}
    if not fr:
        return bars
    if fr.get("cost_range_available") and fr.get("eac_p10") is not None:
        values = [float(fr[k]) for k in ("eac_p10", "eac_p50", "eac_p90", "eac_point") if fr.get(k) is not None]
        margin = (max(values) - min(values)) * 0.08 or max(values) * 0.05
        bars["eac"] = svg_data_uri(range_bar_svg(
            float(fr["eac_p10"]), float(fr["eac_p50"]), float(fr["eac_p90"]),
            None if fr.get("eac_point") is None else float(fr["eac_point"]),
            min(values) - margin, max(values) + margin, width=300))
    if fr.get("schedule_range_available") and fr.get("finish_p10") is not None:
        days = {k: fr[k].toordinal() for k in ("finish_p10", "finish_p50", "finish_p90", "finish_point",
                                                "baseline_finish_date") if fr.get(k) is not None}
        margin = (max(days.values()) - min(days.values())) * 0.08 or 5
        bars["finish"] = svg_data_uri(range_bar_svg(
            days["finish_p10"], days["finish_p50"], days["finish_p90"], days.get("finish_point"),
            min(days.values()) - margin, max(days.values()) + margin, width=300,
            marker=days.get("baseline_finish_date")))
    return bars


def build_project_html(report: ProjectReport, generated_at: datetime) -> str:
    s_curve = index_chart = None
    if report.history:
        s_curve = svg_data_uri(s_curve_svg(
            [SCurvePoint(r["period"], r["pv"], r["ev"], r["ac"], r["bac"]) for r in report.history],
            report.header["currency"] or "reporting currency", width_in=7.2, height_in=2.7, max_ticks=7,
            legend_columns=2, font_size=8))
        points = [IndexPoint(r["period"], _num(r["cpi"]), _num(r["spi_t"])) for r in report.history]
        if any(p.cpi is not None or p.spi_t is not None for p in points):
            index_chart = svg_data_uri(index_trend_svg(points, thresholds=report.thresholds, width_in=7.2,
                                                       height_in=2.2))
    return _environment().get_template(TEMPLATE_NAME).render(
        r=report, h=report.header, ev=report.ev, period_label=period_label(report.period),
        generated_at=fmt_timestamp(generated_at), generated_at_iso=generated_at.isoformat(timespec="seconds"),
        rag_labels=RAG_LABELS, trend_labels=TREND_LABELS, measures=EV_MEASURES, s_curve=s_curve,
        index_chart=index_chart, rule_version=report.rule_version or NULL_TEXT, fmt_date=fmt_date,
        fr=report.forecast_range, range_bars=range_bars(report.forecast_range))


@one_collection
def render_one(report: ProjectReport, target: str, generated_at: datetime) -> tuple[str, str]:
    """Render ``report`` to ``target`` (atomically); returns (project_code, sha256 of the PDF)."""
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_pdf_atomically(build_project_html(report, generated_at), path)
    return report.project_code, M.file_sha256(path)


@dataclass
class ProjectReportsResult:
    period: str
    rendered: list[str]
    unchanged: list[str]
    removed: list[str]
    entries: dict[str, dict]
    rule_versions: tuple[str, ...]
    scope: tuple[str, ...]
    #: reports not rendered because there were more than the limit (see :func:`render_project_reports`)
    skipped: list[str] = field(default_factory=list)
    skipped_reason: str | None = None


def render_project_reports(reports: ReportSet, out_dir: Path, *, previous: dict | None = None,
                           force: bool = False, workers: int = 1, prune: bool = False,
                           generated_at: datetime | None = None, limit: int | None = None,
                           progress: Callable[[int, int], None] | None = None,
                           pool: Executor | None = None) -> ProjectReportsResult:
    """Render ``out_dir/projects/<code>.pdf`` for each report whose inputs or PDF changed since
    ``previous`` (the period's last manifest); ``prune`` removes the PDFs of projects no longer reported.
    Returns the manifest entries of the reports rendered or kept.

    ``limit``: when more reports than this would be rendered, none is: the reports already up to date are
    kept, the out-of-date ones are removed (a PDF must never show other figures than the manifest's
    snapshot), and the result names them in ``skipped`` with the reason, for ``pmo report`` to render.

    ``progress(done, total)`` is called once the reports to render are known (``done`` 0) and after each.

    ``pool``: the worker processes of the caller's pool render the reports (whatever their number, as the
    workers are started already); without it, ``workers`` > 1 starts a pool of its own above
    :data:`POOL_THRESHOLD` reports."""
    generated_at = generated_at or datetime.now(UTC)
    out_dir = Path(out_dir)
    folder = out_dir / PROJECTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    before = (previous or {}).get("projects") or {}
    entries: dict[str, dict] = {}
    todo: list[tuple[ProjectReport, str]] = []
    unchanged = []
    # No report of the last issue to keep and more to render than the limit (a large organisation's nightly
    # run): none will be rendered, so none needs its inputs' hash (1 s for 1,400 reports), nor, when they were
    # only counted, its figures.
    if reports.counted and (before or limit is None or len(reports.scope) <= limit):
        raise ValueError(f"the project reports of {reports.period} were only counted: load them to render them")
    codes = list(reports.scope) if reports.counted else [r.project_code for r in reports.reports]
    if not before and limit is not None and len(codes) > limit:
        result = _leave_to_pmo_report(reports, codes, out_dir, limit, prune)
        (progress or (lambda done, total: None))(0, 0)
        return result
    for report in reports.reports:
        rel = f"{PROJECTS_DIR}/{report.filename}"
        digest = input_hash(report)
        old = before.get(report.project_code) or {}
        target = out_dir / rel
        if (not force and old.get("input_sha256") == digest and old.get("file") == rel and target.is_file()
                and M.file_sha256(target) == old.get("sha256")):
            entries[report.project_code] = old
            unchanged.append(report.project_code)
        else:
            entries[report.project_code] = {"file": rel, "input_sha256": digest}
            todo.append((report, str(target)))

    rendered: list[str] = []
    skipped: list[str] = []
    skipped_reason = None
    if limit is not None and len(todo) > limit:
        skipped_reason = _skipped_reason(reports.period, len(todo), limit)
        for report, stale in todo:
            del entries[report.project_code]
            skipped.append(report.project_code)
            Path(stale).unlink(missing_ok=True)
        LOGGER.warning("project reports %s not rendered: %s", reports.period, skipped_reason)
        todo = []
    stamp = generated_at.isoformat(timespec="seconds")
    tick = progress or (lambda done, total: None)
    tick(0, len(todo))
    results: list[tuple[str, str]] = []
    if todo and (pool is not None or (len(todo) > POOL_THRESHOLD and workers > 1)):
        with contextlib.ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(document_pool(workers))
            futures = [pool.submit(render_one, report, target_pdf, generated_at) for report, target_pdf in todo]
            for future in as_completed(futures):
                results.append(future.result())
                tick(len(results), len(todo))
        order = {report.project_code: k for k, (report, _) in enumerate(todo)}
        results.sort(key=lambda done: order[done[0]])  # in the reports' order, as without the pool
    else:
        for report, target_pdf in todo:
            results.append(render_one(report, target_pdf, generated_at))
            tick(len(results), len(todo))
    for code, digest in results:
        entries[code].update(sha256=digest, rendered_at=stamp)
        rendered.append(code)

    removed = _prune(folder, reports.scope) if prune else []
    LOGGER.info("project reports %s: %d rendered, %d unchanged, %d removed", reports.period, len(rendered),
                len(unchanged), len(removed))
    return ProjectReportsResult(period=reports.period, rendered=rendered, unchanged=unchanged, removed=removed,
                                entries=entries, rule_versions=reports.rule_versions, scope=reports.scope,
                                skipped=skipped, skipped_reason=skipped_reason)


def _skipped_reason(period: str, count: int, limit: int) -> str:
    return (f"{count} project reports to render, more than the limit of {limit} "
            f"({LIMIT_ENV}): run `pmo report --period {period}` to render them")


def _prune(folder: Path, scope: Sequence[str]) -> list[str]:
    """Remove the PDFs of projects not in ``scope``; returns their names."""
    keep = {f"{c}.pdf" for c in scope}
    removed = []
    for pdf in sorted(folder.glob("*.pdf")):
        if pdf.name not in keep:
            pdf.unlink()
            removed.append(pdf.name)
    return removed


def _leave_to_pmo_report(reports: ReportSet, codes: list[str], out_dir: Path, limit: int,
                         prune: bool) -> ProjectReportsResult:
    """More reports than ``limit`` to render and none of an earlier issue to keep: none is rendered, any PDF
    of theirs is removed (it would show other figures than the manifest's snapshot) and the result names
    them, for ``pmo report``."""
    folder = Path(out_dir) / PROJECTS_DIR
    reason = _skipped_reason(reports.period, len(codes), limit)
    for code in codes:
        (folder / f"{code}.pdf").unlink(missing_ok=True)
    LOGGER.warning("project reports %s not rendered: %s", reports.period, reason)
    removed = _prune(folder, reports.scope) if prune else []
    LOGGER.info("project reports %s: 0 rendered, 0 unchanged, %d removed", reports.period, len(removed))
    return ProjectReportsResult(period=reports.period, rendered=[], unchanged=[], removed=removed, entries={},
                                rule_versions=reports.rule_versions, scope=reports.scope, skipped=codes,
                                skipped_reason=reason)
