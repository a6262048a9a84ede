"""Data for the board pages of the portfolio pack (issue #11): the executive summary, the RAG dashboard and
the projects completed this year.

Every loader reads through the connection :mod:`orchestration.reports.render` opened, so the pages come out
the same from the published warehouse and from a closed period's frozen figures
(orchestration/pipeline/reported.py).  A mart a source lacks (a period frozen before the mart existed, a
warehouse built without risks or benefits) gives an empty part with a note saying why, never an error.
Values stay as the marts hold them (DECIMAL money, DOUBLE indices); rounding is the template's.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import date
from decimal import Decimal

import duckdb

from .catalog import lacks_note, mart_columns
from .charts import sparkline_svg, svg_data_uri

#: How many rows each "what moved" list and the top-risk list shows.
TOP_N = 5
#: How many periods a dashboard sparkline covers (the project's own periods up to the pack's).
SPARK_PERIODS = 6
#: Severity of an overall RAG, for ordering the changes (the worst outcome first).
_RAG_ORDER = {"red": 3, "amber": 2, "green": 1, "n/a": 0}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _float(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _rag(value: object) -> str:
    text = str(value).strip().lower() if value is not None else "n/a"
    return text if text in _RAG_ORDER else "n/a"


# --------------------------------------------------------------------------------------------
# Executive summary
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RagChange:
    """An active project whose overall RAG differs from the previous period's."""
    project_code: str
    project_name: str | None
    previous: str
    current: str


@dataclass(frozen=True)
class Mover:
    """An active project's value of a measure in the previous period and now; ``change`` = now − previous."""
    project_code: str
    project_name: str | None
    previous: Decimal | float
    current: Decimal | float
    change: Decimal | float


@dataclass(frozen=True)
class TopRisk:
    rank: int
    project_code: str
    title: str | None
    category: str | None
    probability: float | None
    impact_cost: Decimal | None
    exposure: Decimal | None


@dataclass(frozen=True)
class BenefitsToDate:
    """The organisation's monetary benefits up to the period (fct_benefit_realisation, every project)."""
    planned: Decimal | None          # net: benefits minus dis-benefits
    realised: Decimal | None
    benefit_count: int
    disbenefit_count: int
    non_monetary_count: int

    @property
    def realised_pct(self) -> float | None:
        if self.planned is None or self.realised is None or self.planned == 0:
            return None
        return float(self.realised) / float(self.planned) * 100


#: The executive summary lists this many overall RAG changes (those now red first); at 2,000 projects hundreds
#: change in a month, which would push the summary over several pages.  Every change is on the dashboard.
RAG_CHANGES_SHOWN = 10


@dataclass(frozen=True)
class ExecutiveSummary:
    previous_period: str | None
    rag_changes: tuple[RagChange, ...] = ()
    #: how many active projects' overall RAG changed (``rag_changes`` holds the first RAG_CHANGES_SHOWN)
    rag_changes_total: int = 0
    rag_worse: int = 0
    rag_better: int = 0
    cpi_movers: tuple[Mover, ...] = ()
    spi_t_movers: tuple[Mover, ...] = ()
    eac_movers: tuple[Mover, ...] = ()
    top_risks: tuple[TopRisk, ...] = ()
    risks_note: str = ""
    benefits: BenefitsToDate | None = None
    benefits_note: str = ""


def previous_period(con: duckdb.DuckDBPyConnection, period: str) -> str | None:
    """The latest period before ``period`` with earned-value rows."""
    return con.execute("SELECT max(period) FROM marts.fct_earned_value WHERE period < ?", [period]).fetchone()[0]


def _top_movers(rows: Iterable[dict], key: str, names: dict[str, str | None], n: int = TOP_N) -> tuple[Mover, ...]:
    movers: list[Mover] = []
    for r in rows:
        now: Any = r[key]
        before: Any = r[f"prev_{key}"]
        if isinstance(now, float) or isinstance(before, float):
            now, before = _float(now), _float(before)
        if now is None or before is None:
            continue
        change = now - before
        if change == 0:
            continue
        movers.append(Mover(r["project_code"], names.get(r["project_code"]), before, now, change))
    # largest first, by size: -|change| written out, since abs() of Decimal | float types as object
    movers.sort(key=lambda m: (-m.change if m.change >= 0 else m.change, m.project_code))
    return tuple(movers[:n])


def load_executive_summary(con: duckdb.DuckDBPyConnection, period: str,
                           active: dict[str, str | None]) -> ExecutiveSummary:
    """What moved since the previous period among the ``active`` projects (code -> name), the top risks
    and the organisation's benefits to date."""
    prev = previous_period(con, period)
    rag_changes: tuple[RagChange, ...] = ()
    rag_total = rag_worse = rag_better = 0
    cpi: tuple[Mover, ...] = ()
    spi_t: tuple[Mover, ...] = ()
    eac: tuple[Mover, ...] = ()
    if prev is not None:
        status = [r for r in _rows(con, """
            SELECT c.project_code, p.rag_overall AS previous, c.rag_overall AS current, c.overall_trend
            FROM marts.fct_project_status AS c
            JOIN marts.fct_project_status AS p ON p.project_code = c.project_code AND p.period = ?
            WHERE c.period = ?
        """, [prev, period]) if r["project_code"] in active]
        changes = [RagChange(r["project_code"], active[r["project_code"]], _rag(r["previous"]), _rag(r["current"]))
                   for r in status]
        changed = sorted((c for c in changes if c.previous != c.current),
                         key=lambda c: (-_RAG_ORDER[c.current], -_RAG_ORDER[c.previous], c.project_code))
        rag_changes, rag_total = tuple(changed[:RAG_CHANGES_SHOWN]), len(changed)
        # the mart's trend (fct_project_status.overall_trend): to or from not rated is neither
        rag_worse = sum(r["overall_trend"] == "worse" for r in status)
        rag_better = sum(r["overall_trend"] == "improved" for r in status)
        ev = [r for r in _rows(con, """
            SELECT c.project_code, c.cpi, c.spi_t, c.eac_cpi AS eac,
                   p.cpi AS prev_cpi, p.spi_t AS prev_spi_t, p.eac_cpi AS prev_eac
            FROM marts.fct_earned_value AS c
            JOIN marts.fct_earned_value AS p ON p.project_code = c.project_code AND p.period = ?
            WHERE c.period = ?
        """, [prev, period]) if r["project_code"] in active]
        cpi, spi_t, eac = (_top_movers(ev, k, active) for k in ("cpi", "spi_t", "eac"))
    top_risks, risks_note = _load_top_risks(con, period)
    benefits, benefits_note = _load_benefits(con, period)
    return ExecutiveSummary(previous_period=prev, rag_changes=rag_changes, rag_changes_total=rag_total,
                            rag_worse=rag_worse, rag_better=rag_better, cpi_movers=cpi, spi_t_movers=spi_t,
                            eac_movers=eac, top_risks=top_risks, risks_note=risks_note, benefits=benefits,
                            benefits_note=benefits_note)


_TOP_RISK_COLUMNS = ("exposure_rank", "project_code", "title", "category", "probability", "impact_cost", "exposure")
_BENEFIT_COLUMNS = ("is_monetary", "is_disbenefit", "planned_amount_to_date", "realised_amount_to_date")


def _load_top_risks(con: duckdb.DuckDBPyConnection, period: str,
                    limit: int = TOP_N) -> tuple[tuple[TopRisk, ...], str]:
    note = lacks_note(con, "fct_top_risks", _TOP_RISK_COLUMNS)
    if note:
        return (), note
    rows = _rows(con, """
        SELECT exposure_rank, project_code, title, category, probability, impact_cost, exposure
        FROM marts.fct_top_risks WHERE period = ? ORDER BY exposure_rank LIMIT ?
    """, [period, limit])
    if not rows:
        held = [r["period"] for r in _rows(con, "SELECT DISTINCT period FROM marts.fct_top_risks ORDER BY period")]
        return (), ("marts.fct_top_risks holds no risks for this period"
                    + (f" (it is built for the reporting period, {', '.join(held)})." if held else "."))
    return tuple(TopRisk(rank=r["exposure_rank"], project_code=r["project_code"], title=r["title"],
                         category=r["category"], probability=_float(r["probability"]), impact_cost=r["impact_cost"],
                         exposure=r["exposure"]) for r in rows), ""


def _load_benefits(con: duckdb.DuckDBPyConnection, period: str) -> tuple[BenefitsToDate | None, str]:
    note = lacks_note(con, "fct_benefit_realisation", _BENEFIT_COLUMNS)
    if note:
        return None, note
    # Net: a dis-benefit counts against the benefits (the mart's net_* columns, derived here from the gross
    # amounts so that a snapshot frozen before those columns existed gives the same figures).
    r = _rows(con, """
        SELECT sum(CASE WHEN is_disbenefit THEN -planned_amount_to_date ELSE planned_amount_to_date END)
                   FILTER (WHERE is_monetary) AS planned,
               sum(CASE WHEN is_disbenefit THEN -realised_amount_to_date ELSE realised_amount_to_date END)
                   FILTER (WHERE is_monetary) AS realised,
               count(*) FILTER (WHERE is_monetary AND NOT is_disbenefit) AS benefits,
               count(*) FILTER (WHERE is_monetary AND is_disbenefit) AS disbenefits,
               count(*) FILTER (WHERE NOT is_monetary) AS non_monetary
        FROM marts.fct_benefit_realisation WHERE period = ?
    """, [period])[0]
    if not (r["benefits"] or r["disbenefits"] or r["non_monetary"]):
        return None, "marts.fct_benefit_realisation has no benefits for this period."
    return BenefitsToDate(planned=r["planned"], realised=r["realised"], benefit_count=r["benefits"],
                          disbenefit_count=r["disbenefits"], non_monetary_count=r["non_monetary"]), ""


# --------------------------------------------------------------------------------------------
# RAG dashboard: sparklines of the last periods' CPI and SPI(t)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexHistory:
    periods: tuple[str, ...]
    cpi: tuple[float | None, ...]
    spi_t: tuple[float | None, ...]
    cpi_spark: str
    spi_t_spark: str


def load_index_histories(con: duckdb.DuckDBPyConnection, period: str, codes: Iterable[str],
                         n: int = SPARK_PERIODS) -> dict[str, IndexHistory]:
    """Per project, CPI and SPI(t) of its last ``n`` periods up to ``period``, each with a sparkline."""
    wanted = set(codes)
    by_code: dict[str, list[dict]] = {}
    for r in _rows(con, """
        SELECT project_code, period, cpi, spi_t FROM (
            SELECT project_code, period, cpi, spi_t,
                   row_number() OVER (PARTITION BY project_code ORDER BY period DESC) AS rn
            FROM marts.fct_earned_value WHERE period <= ?)
        WHERE rn <= ? ORDER BY project_code, period
    """, [period, n]):
        if r["project_code"] in wanted:
            by_code.setdefault(r["project_code"], []).append(r)
    out = {}
    for code, rows in by_code.items():
        cpi = tuple(_float(r["cpi"]) for r in rows)
        spi_t = tuple(_float(r["spi_t"]) for r in rows)
        out[code] = IndexHistory(periods=tuple(r["period"] for r in rows), cpi=cpi, spi_t=spi_t,
                                 cpi_spark=svg_data_uri(sparkline_svg(cpi)),
                                 spi_t_spark=svg_data_uri(sparkline_svg(spi_t)))
    return out


# --------------------------------------------------------------------------------------------
# Completed this year
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompletedRow:
    """A project whose earned value first reached its BAC in a period of the pack's calendar year, up to the
    pack's period, with its figures in that period (final CPI, SPI(t), VAC at completion)."""
    project_code: str
    project_name: str | None
    portfolio: str | None
    completed_period: str
    bac: Decimal | None
    ac: Decimal | None
    cpi: float | None
    spi_t: float | None
    vac: Decimal | None
    sv_t: float | None               # ES − AT at completion, in periods (negative = late)
    baseline_finish: date | None

    @property
    def months_after_baseline(self) -> int | None:
        """Calendar months from the baseline finish's month to the completion period (0 = same month)."""
        if self.baseline_finish is None:
            return None
        y, m = map(int, self.completed_period.split("-"))
        return (y * 12 + m) - (self.baseline_finish.year * 12 + self.baseline_finish.month)


def load_completed(con: duckdb.DuckDBPyConnection, period: str) -> tuple[CompletedRow, ...]:
    ev_cols = mart_columns(con, "fct_earned_value")
    dim_cols = mart_columns(con, "dim_project")
    sv_t = 'f.es - f."at"' if {"es", "at"} <= ev_cols else "NULL"
    finish = next((f"d.{c}" for c in ("baseline_finish_date", "planned_finish_date") if c in dim_cols), "NULL")
    rows = _rows(con, f"""
        WITH first_complete AS (
            SELECT project_code, min(period) AS period
            FROM marts.fct_earned_value WHERE is_complete AND period <= ?
            GROUP BY project_code)
        SELECT f.project_code, d.project_name, d.portfolio, f.period, f.bac, f.ac, f.cpi, f.spi_t, f.vac,
               {sv_t} AS sv_t, {finish} AS baseline_finish
        FROM first_complete AS c
        JOIN marts.fct_earned_value AS f ON f.project_code = c.project_code AND f.period = c.period
        LEFT JOIN marts.dim_project AS d ON d.project_code = f.project_code
        WHERE c.period >= ?
        ORDER BY c.period, f.project_code
    """, [period, period[:4] + "-01"])
    return tuple(CompletedRow(project_code=r["project_code"], project_name=r["project_name"],
                              portfolio=r["portfolio"], completed_period=r["period"], bac=r["bac"], ac=r["ac"],
                              cpi=_float(r["cpi"]), spi_t=_float(r["spi_t"]), vac=r["vac"], sv_t=_float(r["sv_t"]),
                              baseline_finish=r["baseline_finish"]) for r in rows)


# --------------------------------------------------------------------------------------------
# Benefits
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BenefitCategoryRow:
    """Monetary benefits (or dis-benefits) of one category up to the period; amounts are net, so a
    dis-benefit's are negative and the rows add up to the total."""
    category: str | None
    is_disbenefit: bool
    count: int
    planned: Decimal | None
    realised: Decimal | None

    @property
    def realised_pct(self) -> float | None:
        if self.planned is None or self.realised is None or self.planned == 0:
            return None
        return float(self.realised) / float(self.planned) * 100


@dataclass(frozen=True)
class NonMonetaryRow:
    project_code: str
    benefit_name: str | None
    unit: str | None
    baseline_value: float | None
    target_value: float | None
    planned_improvement: float | None
    realised_improvement: float | None
    realised_pct: float | None


@dataclass(frozen=True)
class BenefitsPage:
    categories: tuple[BenefitCategoryRow, ...] = ()
    planned: Decimal | None = None
    realised: Decimal | None = None
    non_monetary: tuple[NonMonetaryRow, ...] = ()
    note: str = ""
    non_monetary_note: str = ""

    @property
    def realised_pct(self) -> float | None:
        return BenefitCategoryRow(None, False, 0, self.planned, self.realised).realised_pct


_NON_MONETARY_COLUMNS = ("benefit_name", "unit", "baseline_value", "target_value", "planned_improvement_to_date",
                         "realised_improvement_to_date", "realisation_pct_to_date")


def load_benefits_page(con: duckdb.DuckDBPyConnection, period: str) -> BenefitsPage | None:
    """Benefits by category, planned against realised to date, dis-benefits deducted, and the non-monetary
    benefits' improvements; None when the figures hold no benefits mart (the page is then left out)."""
    if not mart_columns(con, "fct_benefit_realisation"):
        return None
    note = lacks_note(con, "fct_benefit_realisation", _BENEFIT_COLUMNS + ("category",))
    if note:
        return BenefitsPage(note=note)
    rows = _rows(con, """
        SELECT category, is_disbenefit, count(*) AS n,
               sum(CASE WHEN is_disbenefit THEN -planned_amount_to_date ELSE planned_amount_to_date END) AS planned,
               sum(CASE WHEN is_disbenefit THEN -realised_amount_to_date ELSE realised_amount_to_date END) AS realised
        FROM marts.fct_benefit_realisation
        WHERE period = ? AND is_monetary
        GROUP BY category, is_disbenefit
        ORDER BY is_disbenefit, category NULLS LAST
    """, [period])
    categories = tuple(BenefitCategoryRow(category=r["category"], is_disbenefit=bool(r["is_disbenefit"]),
                                          count=r["n"], planned=r["planned"], realised=r["realised"]) for r in rows)

    def total(values: list[Decimal | None]) -> Decimal | None:
        present = [v for v in values if v is not None]
        return sum(present, Decimal(0)) if present else None

    non_monetary: tuple[NonMonetaryRow, ...] = ()
    nm_note = lacks_note(con, "fct_benefit_realisation", _NON_MONETARY_COLUMNS)
    if not nm_note:
        non_monetary = tuple(NonMonetaryRow(
            project_code=r["project_code"], benefit_name=r["benefit_name"], unit=r["unit"],
            baseline_value=_float(r["baseline_value"]), target_value=_float(r["target_value"]),
            planned_improvement=_float(r["planned_improvement_to_date"]),
            realised_improvement=_float(r["realised_improvement_to_date"]),
            realised_pct=_float(r["realisation_pct_to_date"])) for r in _rows(con, """
            SELECT project_code, benefit_name, unit, baseline_value, target_value, planned_improvement_to_date,
                   realised_improvement_to_date, realisation_pct_to_date
            FROM marts.fct_benefit_realisation
            WHERE period = ? AND NOT is_monetary
            ORDER BY project_code, benefit_name
        """, [period]))
    return BenefitsPage(categories=categories, planned=total([c.planned for c in categories]),
                        realised=total([c.realised for c in categories]), non_monetary=non_monetary,
                        note="" if categories or non_monetary else
                        "marts.fct_benefit_realisation has no benefits for this period.",
                        non_monetary_note=nm_note)


# --------------------------------------------------------------------------------------------
# Risks
# --------------------------------------------------------------------------------------------

#: How many risks and projects the risks page lists.
RISK_ROWS = 10


@dataclass(frozen=True)
class RiskTheme:
    """One risk category over every portfolio (fct_risk_themes)."""
    category: str | None
    open_risks: int
    closed_risks: int
    raised: int
    exposure: Decimal | None         # None when a portfolio's could not be converted
    mean_probability: float | None   # the portfolios' means weighted by their open risks
    by_portfolio: tuple[int, ...]    # open risks per portfolio, in RisksPage.portfolios order
    open_before: int | None = None   # open risks at RisksPage.previous_period; None without that period

    @property
    def change(self) -> int | None:
        """Open risks now less at the previous period: how the theme moved."""
        return None if self.open_before is None else self.open_risks - self.open_before


@dataclass(frozen=True)
class ProjectExposure:
    project_code: str
    project_name: str | None
    open_risks: int | None
    unquantified: int | None
    exposure: Decimal | None
    bac: Decimal | None
    exposure_pct_of_bac: float | None


@dataclass(frozen=True)
class RisksPage:
    portfolios: tuple[str, ...] = ()
    themes: tuple[RiskTheme, ...] = ()
    max_cell: int = 0
    top_risks: tuple[TopRisk, ...] = ()
    exposures: tuple[ProjectExposure, ...] = ()
    themes_note: str = ""
    top_note: str = ""
    exposure_note: str = ""
    #: the period the themes' change is measured from (the latest before the pack's in fct_risk_themes)
    previous_period: str | None = None

    #: Up to this many portfolios are columns of the category table; more (200 at 2,000 projects) would run
    #: off the page, so the category table keeps its totals and the counts turn into a portfolio × category
    #: table below it, one row a portfolio, which runs onto as many pages as it needs.
    MAX_PORTFOLIO_COLUMNS = 6

    @property
    def portfolios_as_rows(self) -> bool:
        return len(self.portfolios) > self.MAX_PORTFOLIO_COLUMNS

    def by_portfolio_rows(self) -> list[tuple[str, tuple[int, ...], int]]:
        """(portfolio, open risks per category in ``themes`` order, total) for the portfolio × category table."""
        return [(p, counts, sum(counts)) for i, p in enumerate(self.portfolios)
                for counts in [tuple(t.by_portfolio[i] for t in self.themes)]]

    def heat(self, count: int) -> int:
        """A shade 0-4 for a cell of the category × portfolio table (0 = no open risk)."""
        if count <= 0 or self.max_cell <= 0:
            return 0
        return min(4, 1 + (4 * (count - 1)) // self.max_cell)


_THEME_COLUMNS = ("portfolio", "category", "open_risks", "closed_risks", "risks_raised_in_period", "open_exposure",
                  "mean_open_probability")
_EXPOSURE_COLUMNS = ("project_code", "open_risks", "unquantified_open_risks", "exposure", "bac", "exposure_pct_of_bac")


def load_risks_page(con: duckdb.DuckDBPyConnection, period: str) -> RisksPage | None:
    """Open risks by category and portfolio, the top risks and the projects most exposed; None when the
    figures hold none of the risk marts (the page is then left out)."""
    if not any(mart_columns(con, t) for t in ("fct_risk_themes", "fct_top_risks", "fct_risk_exposure")):
        return None
    portfolios: tuple[str, ...] = ()
    themes: tuple[RiskTheme, ...] = ()
    before_period = None
    themes_note = lacks_note(con, "fct_risk_themes", _THEME_COLUMNS)
    if not themes_note:
        rows = _rows(con, """
            SELECT coalesce(portfolio, 'unassigned') AS portfolio, category, open_risks, closed_risks,
                   risks_raised_in_period, open_exposure, mean_open_probability
            FROM marts.fct_risk_themes WHERE period = ?
        """, [period])
        portfolios = tuple(sorted({r["portfolio"] for r in rows}))
        by_category: dict[str | None, list[dict]] = {}
        for r in rows:
            by_category.setdefault(r["category"], []).append(r)
        out = []
        for category, rs in by_category.items():
            open_risks = sum(r["open_risks"] or 0 for r in rs)
            weighted = [(r["mean_open_probability"], r["open_risks"]) for r in rs
                        if r["mean_open_probability"] is not None and r["open_risks"]]
            theme_exposures = [r["open_exposure"] for r in rs if r["open_risks"]]
            out.append(RiskTheme(
                category=category, open_risks=open_risks, closed_risks=sum(r["closed_risks"] or 0 for r in rs),
                raised=sum(r["risks_raised_in_period"] or 0 for r in rs),
                exposure=None if any(e is None for e in theme_exposures) else sum(theme_exposures, Decimal(0)),
                mean_probability=(sum(p * n for p, n in weighted) / sum(n for _, n in weighted)) if weighted else None,
                by_portfolio=tuple(sum(r["open_risks"] or 0 for r in rs if r["portfolio"] == p) for p in portfolios)))
        # How each theme moved: open risks at the latest earlier period the figures hold (a closed period
        # frozen before its history was kept holds none: the change is then not shown).
        before_period = con.execute("SELECT max(period) FROM marts.fct_risk_themes WHERE period < ?",
                                      [period]).fetchone()[0]
        if before_period is not None:
            before: dict[str | None, int] = {}
            for category, n in con.execute("SELECT category, sum(open_risks) FROM marts.fct_risk_themes "
                                           "WHERE period = ? GROUP BY category", [before_period]).fetchall():
                before[category] = int(n or 0)
            out = [dataclasses.replace(t, open_before=before.get(t.category, 0)) for t in out]
            # a theme with no open risk now but some before has been retired: keep it on the page
            out += [RiskTheme(category=c, open_risks=0, closed_risks=0, raised=0, exposure=Decimal(0),
                              mean_probability=None, by_portfolio=tuple(0 for _ in portfolios), open_before=n)
                    for c, n in before.items() if n and c not in by_category]
        out.sort(key=lambda t: (-t.open_risks, str(t.category)))
        themes = tuple(out)
        if not themes:
            themes_note = "marts.fct_risk_themes has no risks for this period."
    top, top_note = _load_top_risks(con, period, RISK_ROWS)
    exposures: tuple[ProjectExposure, ...] = ()
    exposure_note = lacks_note(con, "fct_risk_exposure", _EXPOSURE_COLUMNS)
    if not exposure_note:
        exposures = tuple(ProjectExposure(
            project_code=r["project_code"], project_name=r["project_name"], open_risks=r["open_risks"],
            unquantified=r["unquantified_open_risks"], exposure=r["exposure"], bac=r["bac"],
            exposure_pct_of_bac=_float(r["exposure_pct_of_bac"])) for r in _rows(con, """
            SELECT e.project_code, d.project_name, e.open_risks, e.unquantified_open_risks, e.exposure, e.bac,
                   e.exposure_pct_of_bac
            FROM marts.fct_risk_exposure AS e
            LEFT JOIN marts.dim_project AS d ON d.project_code = e.project_code
            WHERE e.period = ? AND e.open_risks > 0
            ORDER BY e.exposure_pct_of_bac DESC NULLS LAST, e.exposure DESC NULLS LAST, e.project_code
            LIMIT ?
        """, [period, RISK_ROWS]))
        if not exposures:
            exposure_note = "marts.fct_risk_exposure has no project with an open risk for this period."
    return RisksPage(portfolios=portfolios, themes=themes,
                     max_cell=max((n for t in themes for n in t.by_portfolio), default=0), top_risks=top,
                     exposures=exposures, themes_note=themes_note, top_note=top_note, exposure_note=exposure_note,
                     previous_period=before_period)
