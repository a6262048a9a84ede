"""Project reports (orchestration/reports/project.py), the period manifest and `pmo report` (issue #11).

A small serving.duckdb is built by hand; the figures printed in the PDFs are checked against it.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.reports import charts as C
from orchestration.reports import project as P
from orchestration.reports.period import render_period_reports

pypdf = pytest.importorskip("pypdf")

PERIOD = "2026-11"
GENERATED = datetime(2026, 12, 3, 9, 15, tzinfo=UTC)
HISTORY = ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
LONG_NAME = ("Programme-wide replacement of the regional network operations centre telemetry, alarms and "
             "field-force dispatch stack, 2")
HTML_NAME = '<img src="http://example.com/x"> Portal'
assert len(LONG_NAME) == 120

# code, name, programme, portfolio, status, baseline finish
PROJECTS = [
    ("P-RED", "Data centre move", "Data centre", "Infrastructure", "active", date(2027, 2, 28)),
    ("P-LONG", LONG_NAME, "Network", "Infrastructure", "active", date(2027, 6, 30)),
    ("P-HTML", HTML_NAME, "Customer", "Digital", "active", None),
    ("P-DONE", "Finished refit", "Network", "Infrastructure", "closed", date(2026, 10, 15)),
    ("P-LAST", "Finishing now", "Network", "Infrastructure", "active", date(2026, 11, 30)),
]

# P-RED by period: (bac, pv, ev, ac, cpi, spi_t, eac_cpi, vac, rag_cost).  CPI red since 2026-09.
RED_HISTORY = {
    "2026-07": ("1234567.89", "300000", "291000", "300000", 0.97, 0.99, "1272750.40", "-38182.51", "green"),
    "2026-08": ("1234567.89", "400000", "372000", "400000", 0.93, 0.98, "1327492.35", "-92924.46", "amber"),
    "2026-09": ("1234567.89", "500000", "440000", "500000", 0.88, 0.97, "1402918.06", "-168350.17", "red"),
    "2026-10": ("1234567.89", "600000", "516000", "600000", 0.86, 0.96, "1435543.87", "-200975.98", "red"),
    # PV 700,000.40 -> 700,000; EV 588,000.50 -> 588,001 (half away from zero); AC 700,000.60 -> 700,001;
    # CPI 588,000.50 / 700,000.60 = 0.83999... -> 0.84; EAC = BAC / CPI -> 1,469,724; VAC -> -235,156.
    "2026-11": ("1234567.89", "700000.40", "588000.50", "700000.60", 588000.50 / 700000.60, 0.96,
                "1469723.6751", "-235155.7851", "red"),
}


def _ev_insert(con, code, period, bac, pv, ev, ac, cpi, spi_t, eac, vac, *, complete=False, forecast=None,
               status_date=None):
    con.execute(
        "INSERT INTO marts.fct_earned_value (project_code, period, status_date, currency, bac, pv, ev, ac, sv, cv,"
        " spi, cpi, eac_cpi, eac_atypical, etc, vac, tcpi_bac, spi_t, es, sv_t, forecast_finish_date, is_complete,"
        " baseline_version) VALUES (?, ?, ?, 'GBP', ?, ?, ?, ?, CAST(? AS DECIMAL(18,4)) - CAST(? AS DECIMAL(18,4)),"
        " CAST(? AS DECIMAL(18,4)) - CAST(? AS DECIMAL(18,4)), ?, ?, ?, NULL, CAST(? AS DECIMAL(18,4)) -"
        " CAST(? AS DECIMAL(18,4)), ?, 1.1, ?, 3.5, -0.2, ?, ?, 'BL1')",
        [code, period, status_date or date(int(period[:4]), int(period[5:]), 28), bac, pv, ev, ac, ev, pv, ev, ac,
         float(ev) / float(pv) if float(pv) else None, cpi, eac, eac, ac, vac, spi_t, forecast, complete])


def _status_insert(con, code, period, cost, schedule="green", overall=None, cpi=None, spi_t=None):
    con.execute("INSERT INTO marts.fct_project_status VALUES (?, ?, 'PMO-RAG-1', ?, ?, NULL, 'green', ?, ?, ?, ?, ?)",
                [code, period, cost, schedule, overall or cost, "same", cpi, spi_t, 2.0])


def build_serving(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute("""CREATE TABLE marts.dim_project (project_code VARCHAR, project_name VARCHAR, programme VARCHAR,
            portfolio VARCHAR, currency VARCHAR, status VARCHAR, start_date DATE, planned_finish_date DATE,
            baseline_finish_date DATE)""")
        con.execute("""CREATE TABLE marts.fct_earned_value (project_code VARCHAR, period VARCHAR, status_date DATE,
            currency VARCHAR, bac DECIMAL(18,4), pv DECIMAL(18,4), ev DECIMAL(18,4), ac DECIMAL(18,4),
            sv DECIMAL(18,4), cv DECIMAL(18,4), spi DOUBLE, cpi DOUBLE, eac_cpi DECIMAL(18,4),
            eac_atypical DECIMAL(18,4), eac_composite DECIMAL(18,4), etc DECIMAL(18,4), vac DECIMAL(18,4),
            tcpi_bac DOUBLE, tcpi_eac DOUBLE, spi_t DOUBLE, es DOUBLE, sv_t DOUBLE, forecast_finish_date DATE,
            is_complete BOOLEAN, baseline_version VARCHAR)""")
        con.execute("""CREATE TABLE marts.fct_project_status (project_code VARCHAR, period VARCHAR, rule_version VARCHAR,
            rag_cost VARCHAR, rag_schedule VARCHAR, rag_benefits VARCHAR, rag_risk VARCHAR, rag_overall VARCHAR,
            overall_trend VARCHAR, cpi DOUBLE, spi_t DOUBLE, risk_exposure_pct_of_bac DOUBLE)""")
        rollup = ("period VARCHAR, status_date DATE, currency VARCHAR, project_count INTEGER, bac DECIMAL(18,4),"
                  " pv DECIMAL(18,4), ev DECIMAL(18,4), ac DECIMAL(18,4), cpi DOUBLE, spi DOUBLE,"
                  " eac_cpi DECIMAL(18,4), vac DECIMAL(18,4)")
        con.execute(f"CREATE TABLE marts.fct_portfolio_earned_value (portfolio VARCHAR, {rollup})")
        con.execute(f"CREATE TABLE marts.fct_programme_earned_value (programme VARCHAR, {rollup})")
        con.execute("""CREATE TABLE marts.fct_milestone_slippage (project_code VARCHAR, task_code VARCHAR,
            period VARCHAR, task_name VARCHAR, baseline_finish DATE, forecast_finish DATE, actual_finish DATE,
            expected_finish DATE, slip_days INTEGER, is_achieved BOOLEAN, milestone_status VARCHAR)""")
        con.execute("""CREATE TABLE marts.fct_top_risks (project_code VARCHAR, risk_id VARCHAR, period VARCHAR,
            exposure_rank INTEGER, title VARCHAR, category VARCHAR, probability DOUBLE, impact_cost DECIMAL(18,4),
            exposure DECIMAL(18,4), impact_days DOUBLE, target_date DATE, mitigation VARCHAR)""")
        con.execute("""CREATE TABLE marts.fct_risk_exposure (project_code VARCHAR, period VARCHAR, open_risks INTEGER,
            unquantified_open_risks INTEGER, exposure DECIMAL(18,4), max_risk_exposure DECIMAL(18,4),
            exposure_pct_of_bac DOUBLE)""")
        con.execute("""CREATE TABLE marts.fct_project_benefits (project_code VARCHAR, period VARCHAR,
            monetary_benefit_count BIGINT, monetary_disbenefit_count BIGINT, non_monetary_benefit_count BIGINT,
            net_benefits_planned_to_date DECIMAL(18,4), net_benefits_realised_to_date DECIMAL(18,4),
            realisation_pct_to_date DOUBLE, net_benefits_planned_whole_life DECIMAL(18,4),
            net_benefits_target DECIMAL(18,4))""")
        con.execute("""CREATE TABLE marts.fct_benefit_realisation (benefit_id VARCHAR, period VARCHAR,
            project_code VARCHAR, benefit_name VARCHAR, category VARCHAR, is_monetary BOOLEAN, is_disbenefit BOOLEAN,
            unit VARCHAR, planned_amount_to_date DECIMAL(18,4), realised_amount_to_date DECIMAL(18,4),
            planned_value_to_date DOUBLE, realised_value_to_date DOUBLE, realisation_pct_to_date DOUBLE)""")
        con.execute("""CREATE TABLE marts.fct_forecast_range (project_code VARCHAR, period VARCHAR,
            cost_range_available BOOLEAN, schedule_range_available BOOLEAN, cpi_history_periods INTEGER,
            spi_t_history_periods INTEGER, eac_p10 DECIMAL(18,6), eac_p50 DECIMAL(18,6), eac_p90 DECIMAL(18,6),
            eac_point DECIMAL(18,6), finish_p10 DATE, finish_p50 DATE, finish_p90 DATE, finish_point DATE,
            baseline_finish_date DATE, finish_p90_after_baseline BOOLEAN, range_method VARCHAR)""")

        for code, name, programme, portfolio, status, finish in PROJECTS:
            con.execute("INSERT INTO marts.dim_project VALUES (?, ?, ?, ?, 'GBP', ?, DATE '2026-01-01', ?, ?)",
                        [code, name, programme, portfolio, status, finish, finish])
        for period, (bac, pv, ev, ac, cpi, spi_t, eac, vac, rag) in RED_HISTORY.items():
            _ev_insert(con, "P-RED", period, bac, pv, ev, ac, cpi, spi_t, eac, vac,
                       forecast=date(2027, 3, 15) if period == PERIOD else None)
            _status_insert(con, "P-RED", period, rag, cpi=cpi, spi_t=spi_t)
        for period in HISTORY[-2:]:
            _ev_insert(con, "P-LONG", period, "500000", "100000", "100000", "100000", 1.0, 1.0, "500000", "0",
                       forecast=date(2027, 6, 20))
            _status_insert(con, "P-LONG", period, "green", cpi=1.0, spi_t=1.0)
            _ev_insert(con, "P-HTML", period, "80000", "10000", "10000", "10000", 1.0, 1.0, "80000", "0")
            _status_insert(con, "P-HTML", period, "green", cpi=1.0, spi_t=1.0)
        # P-DONE completed in 2026-10 (not reported in 2026-11); P-LAST completes in 2026-11 (reported).
        for period, complete in (("2026-10", True), (PERIOD, True)):
            _ev_insert(con, "P-DONE", period, "100", "100", "100", "100", 1.0, 1.0, "100", "0", complete=complete)
            _status_insert(con, "P-DONE", period, "green", cpi=1.0, spi_t=1.0)
        for period, complete in (("2026-10", False), (PERIOD, True)):
            _ev_insert(con, "P-LAST", period, "200", "200", "190", "200", 0.95, 0.97, "210.53", "-10.53",
                       complete=complete)
            _status_insert(con, "P-LAST", period, "green", cpi=0.95, spi_t=0.97)

        con.execute("INSERT INTO marts.fct_milestone_slippage VALUES "
                    "('P-RED', 'M10', ?, 'Racks installed', DATE '2026-10-01', NULL, DATE '2026-09-30',"
                    " DATE '2026-09-30', -1, true, 'achieved_on_time'),"
                    "('P-RED', 'M20', ?, 'Cut-over weekend', DATE '2027-01-10', DATE '2027-01-22', NULL,"
                    " DATE '2027-01-22', 12, false, 'forecast_late')", [PERIOD, PERIOD])
        con.execute("INSERT INTO marts.fct_top_risks VALUES ('P-RED', 'R-7', ?, 2, 'Power feed delayed', 'supply',"
                    " 0.4, 250000, 100000, 20, DATE '2027-01-01', 'Second feed')", [PERIOD])
        con.execute("INSERT INTO marts.fct_risk_exposure VALUES ('P-RED', ?, 3, 1, 123456.5, 100000, 10.0)", [PERIOD])
        con.execute("INSERT INTO marts.fct_project_benefits VALUES ('P-RED', ?, 1, 0, 0, 50000, 40000, 80.0,"
                    " 900000, 1000000)", [PERIOD])
        con.execute("INSERT INTO marts.fct_forecast_range VALUES "
                    "('P-RED', ?, true, true, 4, 4, 1066790.4, 1250000, 1464670.2, 1250000, DATE '2027-02-20',"
                    " DATE '2027-03-15', DATE '2027-04-30', DATE '2027-03-15', DATE '2027-02-28', true, 'test method'),"
                    "('P-LONG', ?, false, false, 2, 2, NULL, NULL, NULL, 500000, NULL, NULL, NULL, DATE '2027-06-20',"
                    " DATE '2027-06-30', NULL, 'test method')", [PERIOD, PERIOD])
        con.execute("INSERT INTO marts.fct_benefit_realisation VALUES ('B-1', ?, 'P-RED', 'Lower hosting cost',"
                    " 'cost saving', true, false, NULL, 50000, 40000, NULL, NULL, 80.0)", [PERIOD])
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def serving(tmp_path_factory) -> Path:
    return build_serving(tmp_path_factory.mktemp("wh") / "serving.duckdb")


@pytest.fixture(scope="module")
def issued(serving, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / PERIOD
    return out, render_period_reports(PERIOD, out, serving=serving, generated_at=GENERATED)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join((page.extract_text() or "") for page in reader.pages).split())


def load(serving: Path, **kw) -> P.ReportSet:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return P.load_project_reports(con, PERIOD, **kw)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Scope and content
# ---------------------------------------------------------------------------------------------

def test_one_report_per_project_reported_in_the_period(issued):
    out, done = issued
    assert sorted(p.name for p in (out / "projects").iterdir()) == ["P-HTML.pdf", "P-LAST.pdf", "P-LONG.pdf",
                                                                    "P-RED.pdf"]
    assert "P-DONE" not in done.projects.scope  # completed in 2026-10: no longer reported
    assert "P-LAST" in done.projects.scope      # completed in this period: still reported
    for pdf in (out / "projects").iterdir():
        pages = len(pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages)
        assert 1 <= pages <= 2, (pdf.name, pages)


def test_ev_figures_print_as_the_mart_rounded(issued):
    text = pdf_text(issued[0] / "projects" / "P-RED.pdf")
    assert "P-RED — Data centre move" in text
    for label, shown in [("BAC", "1,234,568"), ("PV", "700,000"), ("EV", "588,001"), ("AC", "700,001"),
                         ("CPI", "0.84"), ("SPI(t)", "0.96"), ("EAC (CPI)", "1,469,724"), ("VAC", "-235,156"),
                         ("SV", "-112,000"), ("CV", "-112,000"), ("ETC", "769,723"), ("TCPI (BAC)", "1.10")]:
        assert re.search(rf"(?<![\w(]){re.escape(label)} {re.escape(shown)}(?![\d,])", text), (label, shown)
    # The header: programme, portfolio, status date, currency, RAG as words (not colour alone).
    assert "Programme Data centre" in text and "Portfolio Infrastructure" in text
    assert "Status date 2026-11-28" in text and "Currency GBP" in text
    assert re.search(r"Cost Schedule Benefits Risk Overall Red \(R\) Green \(G\) n/a Green \(G\) Red \(R\)", text)


def test_narrative_names_the_threshold_by_how_much_and_since_when(issued):
    text = pdf_text(issued[0] / "projects" / "P-RED.pdf")
    assert ("Cost: CPI 0.84 is below the red threshold 0.90 by 0.06 (rule PMO-RAG-1: CPI below 0.90), "
            "since 2026-09 (3 periods).") in text


def test_narrative_unit():
    rules = P.read_rules("PMO-RAG-1")
    history = [{"period": "2026-10", "rag_schedule": "green"}, {"period": "2026-11", "rag_schedule": "amber"}]
    status = {"period": "2026-11", "rag_schedule": "amber", "spi_t": 0.92, "rag_risk": "red",
              "risk_exposure_pct_of_bac": 12.5}
    lines = P.narrate(status, history, rules, "PMO-RAG-1", "2026-10")
    assert [n.text for n in lines] == [
        "Schedule: SPI(t) 0.92 is below the amber threshold 0.95 by 0.03 (rule PMO-RAG-1: SPI(t) 0.90 to below "
        "0.95), in 2026-11 (this period only so far).",
        "Risk: Open risk exposure 12.5 % of BAC is at or above the red threshold 10 % by 2.5 percentage points "
        "(rule PMO-RAG-1: Open risk exposure 10 % of BAC or more), in 2026-11 (this period only so far).",
    ]
    # A one-sided rule: risk exposure is amber from 5 % (green below it), benefits amber below 95 % (green above).
    status = {"period": "2026-11", "rag_risk": "amber", "risk_exposure_pct_of_bac": 5.1,
              "rag_benefits": "amber", "benefit_realisation_pct_to_date": 90.0}
    texts = [n.text for n in P.narrate(status, [], rules, "PMO-RAG-1", None)]
    assert texts[0].startswith("Benefits: Benefits realised to date 90.0 % of planned to date is below the amber "
                               "threshold 95 % by 5.0 percentage points")
    assert texts[1].startswith("Risk: Open risk exposure 5.1 % of BAC is at or above the amber threshold 5 % by "
                               "0.1 percentage points")


def test_forecast_finish_milestones_risks_benefits(issued):
    text = pdf_text(issued[0] / "projects" / "P-RED.pdf")
    assert "Forecast finish 2027-03-15 against the baseline finish 2027-02-28: 15 days late." in text
    assert re.search(r"Cut-over weekend \(M20\) 2027-01-10 2027-01-22 \+12 forecast late", text)
    assert "Racks installed (M10)" in text and "achieved on time" in text
    assert "Open risks 3 (1 unquantified); exposure 123,457 GBP (10.0 % of BAC)" in text
    assert re.search(r"2 R-7 Power feed delayed 0\.40 250,000 100,000", text)
    assert "Net benefits planned to date 50,000, realised to date 40,000 (80.0 % of planned)" in text
    assert re.search(r"Lower hosting cost cost saving 50,000 40,000 80\.0 %", text)


def test_forecast_ranges_beside_the_point_forecasts(issued, serving):
    """The project's fct_forecast_range row, as printed: P10/P50/P90 and the point of EAC and finish, a bar
    for each, and the P90 finish past the baseline said in words; too short a history gives no range."""
    text = pdf_text(issued[0] / "projects" / "P-RED.pdf")
    assert "EAC (GBP) 1,066,790 1,250,000 1,464,670 1,250,000" in text
    assert "Finish 2027-02-20 2027-03-15 2027-04-30 2027-03-15" in text
    assert "The P90 finish is after the baseline finish 2027-02-28." in text
    html = P.build_project_html(next(r for r in load(serving).reports if r.project_code == "P-RED"),
                                GENERATED)
    assert html.count('class="range-bar"') == 2
    long_text = pdf_text(issued[0] / "projects" / "P-LONG.pdf")
    assert "no range: 2 period(s) of CPI history, 3 needed 500,000" in long_text
    assert "no range: 2 period(s) of SPI(t) history, 3 needed 2027-06-20" in long_text
    assert "P90 finish is after" not in long_text


def test_empty_sections_say_none_recorded(issued):
    text = pdf_text(issued[0] / "projects" / "P-LONG.pdf")
    assert "No milestones recorded." in text
    assert "No open risks recorded." in text
    assert "No benefits recorded." in text
    assert "No threshold of rule PMO-RAG-1 is tripped" in text
    assert "Forecast finish 2027-06-20 against the baseline finish 2027-06-30: 10 days early." in text


def _text_boxes(box):
    """Every box of WeasyPrint's layout tree under ``box``."""
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _text_boxes(child)


def test_a_120_character_name_wraps_inside_the_page(serving):
    import weasyprint

    from orchestration.reports.render import TEMPLATES_DIR, make_url_fetcher

    report = next(r for r in load(serving, projects=["P-LONG"]).reports)
    html = P.build_project_html(report, GENERATED)
    doc = weasyprint.HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                          url_fetcher=make_url_fetcher(TEMPLATES_DIR)).render()
    page = doc.pages[0]
    right_edge = page.width - page._page_box.margin_right  # noqa: SLF001 (WeasyPrint's layout tree)
    h1 = next(b for b in _text_boxes(page._page_box) if getattr(b, "element_tag", None) == "h1")  # noqa: SLF001
    lines = [c for c in h1.children if type(c).__name__ == "LineBox"]
    assert len(lines) >= 2  # wrapped, not one overflowing line
    texts = [b for b in _text_boxes(page._page_box) if type(b).__name__ == "TextBox"]  # noqa: SLF001
    assert texts
    assert max(b.position_x + b.width for b in texts) <= right_edge + 0.5


def test_html_in_a_name_is_printed_as_text_and_fetches_nothing(issued, serving, monkeypatch):
    report = next(r for r in load(serving, projects=["P-HTML"]).reports)
    html = P.build_project_html(report, GENERATED)
    assert "&lt;img src=&#34;http://example.com/x&#34;&gt; Portal" in html
    assert '<img src="http://example.com' not in html
    # The restrictive fetcher would have stopped the render (PackRenderError) had the name been fetched.
    text = pdf_text(issued[0] / "projects" / "P-HTML.pdf")
    assert '<img src="http://example.com/x"> Portal' in text

    from orchestration.reports import render as R

    fetched: list[str] = []
    real = R.make_url_fetcher

    def spy(root=R.TEMPLATES_DIR):
        fetcher = real(root)
        original = fetcher.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return original(url, headers)
        fetcher.fetch = fetch
        return fetcher
    monkeypatch.setattr(R, "make_url_fetcher", spy)
    P.render_one(report, str(issued[0].parent / "spy" / "P-HTML.pdf"), GENERATED)
    assert fetched and all(u.startswith("data:") or u.endswith("project_report.css") for u in fetched)
    assert not any("example.com" in u for u in fetched)


def test_index_trend_chart_is_vector_and_greyscale_readable():
    svg = C.index_trend_svg([C.IndexPoint("2026-10", 0.9, 1.0), C.IndexPoint("2026-11", 0.85, None)],
                            thresholds=[(0.9, "red < 0.90")])
    assert svg.lstrip().startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "stroke-dasharray" in svg  # SPI(t) dashed, CPI solid: not colour alone


def test_a_chart_is_drawn_once_and_as_with_the_dry_run(monkeypatch):
    """savefig draws a chart once: tight_layout leaves no layout engine behind to ask for a dry run first,
    and the SVG is the same as with that dry run."""
    from matplotlib.figure import Figure

    points = [C.SCurvePoint(f"2026-{m:02d}", 1000 * m, 900 * m, 950 * m, 12_000) for m in range(1, 12)]
    indices = [C.IndexPoint(p.period, 0.9 + 0.01 * i, 1.0 - 0.02 * i) for i, p in enumerate(points)]
    charts = {
        "s_curve": lambda: C.s_curve_svg(points, "GBP", width_in=7.2, height_in=2.7, max_ticks=7, legend_columns=2),
        "index_trend": lambda: C.index_trend_svg(indices, thresholds=[(0.9, "red < 0.90")]),
        "eac_trend": lambda: C.eac_trend_svg([C.EacPoint(p.period, 12_000 + 10 * i, 11_000 + 10 * i, 13_000 + 10 * i, 12_000)
                                              for i, p in enumerate(points)], "GBP"),
        "exposure_trend": lambda: C.exposure_trend_svg([C.ExposurePoint(p.period, 500 * i, i) for i, p in
                                                        enumerate(points)], "GBP"),
    }
    draws: list[str] = []
    real_draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(type(renderer).__name__)
                        or real_draw(self, renderer))
    once = {name: chart() for name, chart in charts.items()}
    assert len(draws) == len(charts)
    monkeypatch.setattr(C, "_tight_layout", lambda fig: fig.tight_layout())  # savefig then dry-runs first
    draws.clear()
    assert {name: chart() for name, chart in charts.items()} == once
    assert len(draws) == 2 * len(charts)


# ---------------------------------------------------------------------------------------------
# Manifest and re-rendering
# ---------------------------------------------------------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_every_file_with_its_sha256(issued, serving):
    out, _ = issued
    m = json.loads((out / "manifest.json").read_text())
    on_disk = {p.relative_to(out).as_posix(): _sha(p) for p in out.rglob("*") if p.is_file()
               and p.name != "manifest.json"}
    assert {k: v["sha256"] for k, v in m["files"].items()} == on_disk
    assert "portfolio-pack.pdf" in on_disk and "projects/P-RED.pdf" in on_disk
    assert m["period"] == PERIOD
    assert m["source"]["kind"] == "serving" and m["source"]["sha256"] == _sha(serving)
    assert m["rule_versions"] == {"rag": ["PMO-RAG-1"]}
    assert set(m["projects"]) == {"P-RED", "P-LONG", "P-HTML", "P-LAST"}
    assert m["projects"]["P-RED"]["sha256"] == on_disk["projects/P-RED.pdf"]
    assert len(m["projects"]["P-RED"]["input_sha256"]) == 64
    assert not [p for p in out.rglob(".*")]  # no temporary file left


def test_only_changed_reports_are_rendered_again(serving, tmp_path):
    path = tmp_path / "serving.duckdb"
    path.write_bytes(serving.read_bytes())
    out = tmp_path / "reports" / PERIOD
    first = render_period_reports(PERIOD, out, serving=path, pack=False, generated_at=GENERATED)
    assert sorted(first.projects.rendered) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]

    second = render_period_reports(PERIOD, out, serving=path, pack=False)
    assert second.projects.rendered == []
    assert sorted(second.projects.unchanged) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]

    con = duckdb.connect(str(path))
    con.execute("UPDATE marts.fct_earned_value SET ac = 110000, cpi = 100000 / 110000 "
                "WHERE project_code = 'P-LONG' AND period = ?", [PERIOD])
    con.close()
    before = _sha(out / "projects" / "P-RED.pdf")
    third = render_period_reports(PERIOD, out, serving=path, pack=False)
    assert third.projects.rendered == ["P-LONG"]
    assert re.search(r"(?<![\w(])AC 110,000", pdf_text(out / "projects" / "P-LONG.pdf"))
    assert _sha(out / "projects" / "P-RED.pdf") == before

    # A PDF changed on disk no longer matches its manifest entry: it is rendered again.
    (out / "projects" / "P-HTML.pdf").write_bytes(b"%PDF-1.7 tampered")
    fourth = render_period_reports(PERIOD, out, serving=path, pack=False)
    assert fourth.projects.rendered == ["P-HTML"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["files"]["projects/P-HTML.pdf"]["sha256"] == _sha(out / "projects" / "P-HTML.pdf")


def test_input_hash_is_deterministic_and_sensitive(serving):
    a = load(serving, projects=["P-RED"]).reports[0]
    b = load(serving, projects=["P-RED"]).reports[0]
    assert P.input_hash(a) == P.input_hash(b)
    changed = P.ProjectReport(**{**a.__dict__, "ev": {**a.ev, "ac": a.ev["ac"] + 1}})
    assert P.input_hash(changed) != P.input_hash(a)


def test_load_uses_bulk_queries(serving):
    con = duckdb.connect(str(serving), read_only=True)
    calls: list[str] = []
    real = P._rows

    def counting(c, sql, params=()):
        calls.append(sql)
        return real(c, sql, params)
    try:
        P._rows = counting
        data = P.load_project_reports(con, PERIOD)
    finally:
        P._rows = real
        con.close()
    assert len(data.reports) == 4
    # columns + head + EV history + status history + (span + rows) per list mart in the snapshot: independent of
    # the projects (this one has every list mart but fct_project_quality).
    present = [t for t in P._SECTION_COLUMNS if t != "fct_project_quality"]
    assert len(calls) == 4 + 2 * len(present)


# ---------------------------------------------------------------------------------------------
# Closed periods: frozen figures, including ones frozen by an older version
# ---------------------------------------------------------------------------------------------

def test_closed_period_frozen_without_the_new_tables(serving, tmp_path, monkeypatch):
    from orchestration.pipeline import reported as RP

    old = {"dim_project": None, "fct_earned_value": "period <= ?", "fct_programme_earned_value": "period <= ?",
           "fct_portfolio_earned_value": "period <= ?", "fct_project_status": "period = ?"}
    monkeypatch.setattr(RP, "FROZEN_MARTS", old)
    home = tmp_path / "home"
    RP.record_reported(home, serving, PERIOD, "run-0001")
    rp = RP.close_period(home, PERIOD)
    monkeypatch.undo()
    out = tmp_path / "reports" / PERIOD
    done = render_period_reports(PERIOD, out, home=home, reported=rp, pack=False, projects=["P-RED"])
    assert done.projects.rendered == ["P-RED"] and done.source["kind"] == "frozen"
    text = pdf_text(out / "projects" / "P-RED.pdf")
    assert re.search(r"(?<![\w(])EV 588,001", text)
    assert "Not frozen: the figures of 2026-11 were frozen before marts.fct_milestone_slippage" in text
    assert "ratings before 2026-11 are not in this snapshot" in text
    assert "as reported" in text and "run run-0001" in text
    m = json.loads((out / "manifest.json").read_text())
    assert m["source"]["run_id"] == "run-0001" and m["source"]["manifest_sha256"] == _sha(rp.directory / "manifest.json")


def test_closed_period_frozen_now_keeps_what_the_reports_read(serving, tmp_path):
    from orchestration.pipeline import reported as RP

    home = tmp_path / "home"
    RP.record_reported(home, serving, PERIOD, "run-0002")
    rp = RP.close_period(home, PERIOD)
    assert {"fct_milestone_slippage", "fct_top_risks", "fct_risk_exposure", "fct_project_benefits",
            "fct_benefit_realisation"} <= set(rp.tables)
    assert rp.tables["fct_project_status"]["rows"] == 5 + 2 * 4  # P-RED's history + 2 periods of 4 projects
    con = RP.open_frozen(rp)
    try:
        data = P.load_project_reports(con, PERIOD, frozen=True, projects=["P-RED"])
    finally:
        con.close()
    red = data.reports[0]
    assert red.narrative[0].since == "2026-09" and red.narrative[0].periods == 3
    assert [m["task_code"] for m in red.milestones.rows] == ["M20", "M10"]


def test_a_mart_built_for_another_period_says_so(serving, tmp_path):
    path = tmp_path / "serving.duckdb"
    path.write_bytes(serving.read_bytes())
    con = duckdb.connect(str(path))
    con.execute("UPDATE marts.fct_milestone_slippage SET period = '2026-12'")  # built by a run for 2026-12
    con.execute("DELETE FROM marts.fct_top_risks")  # frozen from such a run: no rows at all
    con.close()
    red = load(path, projects=["P-RED"]).reports[0]
    assert red.milestones.rows == () and red.milestones.note.startswith(
        "Not available for 2026-11: marts.fct_milestone_slippage holds 2026-12 only")
    assert red.risks.note.startswith("Not available for 2026-11: marts.fct_top_risks has no rows for it")
    assert red.risk_summary is not None  # fct_risk_exposure has the period's rows


# ---------------------------------------------------------------------------------------------
# pmo report
# ---------------------------------------------------------------------------------------------

@pytest.fixture()
def home(serving, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "serving.duckdb").write_bytes(serving.read_bytes())
    monkeypatch.delenv("PMO_HOME", raising=False)
    return home


def test_pmo_report_project(home):
    from orchestration.cli.main import app

    result = CliRunner().invoke(app, ["report", "--home", str(home), "--period", PERIOD, "--project", "P-RED"])
    assert result.exit_code == 0, result.output
    assert "1 rendered, 0 unchanged" in " ".join(result.output.split())
    assert (home / "reports" / PERIOD / "projects" / "P-RED.pdf").is_file()
    assert not (home / "reports" / PERIOD / "portfolio-pack.pdf").exists()
    m = json.loads((home / "reports" / PERIOD / "manifest.json").read_text())
    assert set(m["files"]) == {"projects/P-RED.pdf"}


def test_pmo_report_says_what_it_rendered_and_kept(home):
    """The whole period twice: everything rendered, then everything kept (the second issue's output says so)."""
    from orchestration.cli.main import app

    first = CliRunner().invoke(app, ["report", "--home", str(home), "--period", PERIOD])
    assert first.exit_code == 0, first.output
    out = " ".join(first.output.split())
    assert "4 rendered, 0 unchanged" in out and "programme packs 3 rendered, 0 unchanged" in out
    assert "(unchanged, kept)" not in out
    # no terminal here, so no bars: a line at the start, at each tenth and at the end of each kind of document
    assert re.search(rf"{PERIOD}: project reports 0/4 \(\d+ s\) .*{PERIOD}: project reports 4/4 \(\d+ s\)", out)
    assert re.search(rf"{PERIOD}: programme packs 0/3 .*{PERIOD}: programme packs 3/3", out)
    second = CliRunner().invoke(app, ["report", "--home", str(home), "--period", PERIOD])
    assert second.exit_code == 0, second.output
    out = " ".join(second.output.split())
    assert "portfolio-pack.pdf (unchanged, kept)" in out
    assert "0 rendered, 4 unchanged" in out and "programme packs 0 rendered, 3 unchanged" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2027-03"], "no project is reported in 2027-03"),
    (["--period", PERIOD, "--project", "P-NOPE"], "P-NOPE: not reported in 2026-11"),
    (["--period", PERIOD, "--project", "P-DONE"], "P-DONE: not reported in 2026-11"),
    (["--period", PERIOD, "--programme", "Nowhere"], "programme 'Nowhere' has no project"),
    (["--period", "2026-13"], "YYYY-MM"),
])
def test_pmo_report_refuses_unknown_period_project_programme(home, args, message):
    from orchestration.cli.main import app

    result = CliRunner().invoke(app, ["report", "--home", str(home), *args])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert message in out
    assert "Traceback" not in result.output
    assert not (home / "reports" / "2027-03").exists()


def test_pmo_report_without_a_snapshot(tmp_path, monkeypatch):
    from orchestration.cli.main import app

    monkeypatch.delenv("PMO_HOME", raising=False)
    result = CliRunner().invoke(app, ["report", "--home", str(tmp_path / "empty"), "--period", PERIOD])
    assert result.exit_code == 1
    assert "no published snapshot" in " ".join(result.output.split())


# ---------------------------------------------------------------------------------------------
# issue_packs: which periods get project reports
# ---------------------------------------------------------------------------------------------

def test_project_reports_policy(monkeypatch):
    from orchestration.pipeline import backfill as B

    monkeypatch.delenv("PMO_PROJECT_REPORTS", raising=False)
    assert B.project_reports_policy() == "last"
    monkeypatch.setenv("PMO_PROJECT_REPORTS", "All")
    assert B.project_reports_policy() == "all"
    monkeypatch.setenv("PMO_PROJECT_REPORTS", "some")
    with pytest.raises(ValueError, match="all, last, off"):
        B.project_reports_policy()
    # a run's tag wins over the variable (even a bad one), and a bad tag is named as the tag
    assert B.project_reports_policy("OFF") == "off"
    with pytest.raises(ValueError, match="pmo/project_reports='none': use one of all, last, off"):
        B.project_reports_policy("none")


def test_a_bad_project_reports_value_stops_a_backfill_before_it_is_recorded(tmp_path):
    from orchestration.pipeline import backfill as B
    from orchestration.settings import Settings

    with pytest.raises(ValueError, match="pmo/project_reports='most'"):
        B.run_backfill(Settings(home=tmp_path, reporting_currency="GBP"), "2026-01", "2026-03", project_reports="most")
    assert not B.backfills_dir(tmp_path).exists()



def test_a_backfill_hands_the_longest_packs_to_its_workers_first():
    """Six periods, the last with its project reports: the other five packs go to the workers from the newest
    back, and the last period is not one task (its documents are shared out one by one); oldest first, the
    longest jobs came last and one worker idled while the other rendered them."""
    from orchestration.pipeline import backfill as B

    jobs = [(f"2026-0{k + 1}", None, ("serving", f"2026-0{k + 1}", "out", None, 1, k == 5), None) for k in range(6)]
    assert B.submission_order(jobs) == [4, 3, 2, 1, 0]
    jobs[5] = (*jobs[5][:2], jobs[5][2][:-1] + (False,), None)  # PMO_PROJECT_REPORTS=off: packs only
    assert B.submission_order(jobs) == [5, 4, 3, 2, 1, 0]


def test_a_period_issued_without_project_reports_gets_the_pack_and_its_manifest(serving, issued, tmp_path):
    from orchestration.pipeline import backfill as B

    out = tmp_path / PERIOD
    assert B._render_open(str(serving), PERIOD, str(out), None, 1, False) == str(out / "portfolio-pack.pdf")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "portfolio-pack.pdf"]
    m = json.loads((out / "manifest.json").read_text())
    pack_sha = _sha(out / "portfolio-pack.pdf")
    assert m["period"] == PERIOD and m["files"] == {"portfolio-pack.pdf": {
        "sha256": pack_sha, "bytes": (out / "portfolio-pack.pdf").stat().st_size}}
    assert m["source"]["kind"] == "serving" and m["source"]["sha256"] == _sha(serving)
    assert m["packs"]["portfolio-pack.pdf"]["sha256"] == pack_sha and m["projects"] == {}
    # the same rule versions and the same projects as the whole folder's issue of the period
    full = json.loads((issued[0] / "manifest.json").read_text())
    assert m["rule_versions"] == full["rule_versions"] and m["rule_versions"]["rag"]
    assert m["projects_not_rendered"]["projects"] == sorted(full["projects"]) == list(issued[1].projects.scope)
    assert "P-DONE" not in m["projects_not_rendered"]["projects"]  # completed in an earlier period
    assert f"pmo report --period {PERIOD}" in m["projects_not_rendered"]["reason"]

    # issued again from the same snapshot: the pack's inputs did not change, so its PDF is kept
    before = (out / "portfolio-pack.pdf").stat().st_mtime_ns
    B._render_open(str(serving), PERIOD, str(out), None, 1, False)
    assert (out / "portfolio-pack.pdf").stat().st_mtime_ns == before
    assert _sha(out / "portfolio-pack.pdf") == pack_sha


def test_the_snapshot_is_hashed_once_per_version(tmp_path, monkeypatch):
    """A backfill's pack-only periods share one snapshot: its sha256 is read once, and again after a publish
    replaces the file."""
    import os

    from orchestration.reports import manifest as M

    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(b"first snapshot")
    reads = []
    real = M.file_sha256
    monkeypatch.setattr(M, "file_sha256", lambda path: reads.append(path) or real(path))
    first = M.serving_source(serving)
    assert M.serving_source(serving) == first and len(reads) == 1
    assert first["sha256"] == _sha(serving) and first["bytes"] == 14 and first["path"] == str(serving.resolve())
    (tmp_path / "next").write_bytes(b"second snapshot!")
    os.replace(tmp_path / "next", serving)  # as a publish does
    second = M.serving_source(serving)
    assert len(reads) == 2 and second["sha256"] == _sha(serving) != first["sha256"] and second["bytes"] == 16


def test_a_folder_with_project_reports_is_rendered_whole_even_without_them(serving, tmp_path):
    """A pack-only issue must not leave an earlier issue's reports beside a manifest of another snapshot."""
    from orchestration.pipeline import backfill as B
    from orchestration.reports.period import issue_pack_only

    out = tmp_path / PERIOD
    render_period_reports(PERIOD, out, serving=serving, generated_at=GENERATED, projects=["P-RED"])
    with pytest.raises(ValueError, match="holds project reports or programme packs"):
        issue_pack_only(PERIOD, out, serving=serving)
    B._render_open(str(serving), PERIOD, str(out), None, 1, False)
    m = json.loads((out / "manifest.json").read_text())
    assert "P-RED" in m["projects"] and "projects_not_rendered" not in m
    assert sorted(m["projects"]) == sorted(p.stem for p in (out / "projects").glob("*.pdf"))


def test_a_closed_period_issued_without_project_reports(serving, tmp_path):
    from orchestration.pipeline import backfill as B
    from orchestration.pipeline import reported as RP

    home = tmp_path / "home"
    RP.record_reported(home, serving, PERIOD, "run-0003")
    rp = RP.close_period(home, PERIOD)
    out = tmp_path / "reports" / PERIOD
    assert B._render_closed(str(home), PERIOD, str(out), 1, False) == str(out / "portfolio-pack.pdf")
    m = json.loads((out / "manifest.json").read_text())
    assert m["source"] == {"kind": "frozen", "path": str(rp.directory.resolve()), "run_id": "run-0003",
                           "reported_at": rp.reported_at, "closed_at": rp.closed_at,
                           "manifest_sha256": _sha(rp.directory / "manifest.json")}
    assert sorted(m["files"]) == ["portfolio-pack.pdf"] and "P-RED" in m["projects_not_rendered"]["projects"]


def test_project_reports_limit(monkeypatch):
    from orchestration.pipeline import backfill as B

    monkeypatch.delenv("PMO_PROJECT_REPORTS_MAX", raising=False)
    assert B.project_reports_limit() == 300
    monkeypatch.setenv("PMO_PROJECT_REPORTS_MAX", "2500")
    assert B.project_reports_limit() == 2500
    monkeypatch.setenv("PMO_PROJECT_REPORTS_MAX", "many")
    with pytest.raises(ValueError, match="PMO_PROJECT_REPORTS_MAX='many' is not a whole number"):
        B.project_reports_limit()


def test_above_the_limit_a_run_leaves_the_reports_to_pmo_report(serving, tmp_path, monkeypatch):
    """Three reports to render, a limit of 2: none is rendered, the manifest says why and which, the report
    already up to date is kept and the out-of-date one is removed; pmo report (no limit) renders them."""
    from orchestration.pipeline import backfill as B

    path = tmp_path / "serving.duckdb"
    path.write_bytes(serving.read_bytes())
    out = tmp_path / "reports" / PERIOD
    render_period_reports(PERIOD, out, serving=path, pack=False, generated_at=GENERATED)
    red_before = _sha(out / "projects" / "P-RED.pdf")
    con = duckdb.connect(str(path))
    con.execute("UPDATE marts.fct_earned_value SET ac = ac + 1 WHERE period = ? AND project_code <> 'P-RED'",
                [PERIOD])
    con.close()

    monkeypatch.setenv("PMO_PROJECT_REPORTS_MAX", "2")
    B._render_open(str(path), PERIOD, str(out), None, 1, True)
    assert sorted(p.name for p in (out / "projects").iterdir()) == ["P-RED.pdf"]
    assert _sha(out / "projects" / "P-RED.pdf") == red_before
    m = json.loads((out / "manifest.json").read_text())
    assert sorted(m["projects"]) == ["P-RED"]
    assert m["projects_not_rendered"]["projects"] == ["P-HTML", "P-LAST", "P-LONG"]
    assert m["projects_not_rendered"]["reason"] == (
        "3 project reports to render, more than the limit of 2 (PMO_PROJECT_REPORTS_MAX): "
        f"run `pmo report --period {PERIOD}` to render them")
    assert (out / "portfolio-pack.pdf").is_file()

    monkeypatch.setenv("PMO_PROJECT_REPORTS_MAX", "3")
    done = render_period_reports(PERIOD, out, serving=path, pack=False, limit=B.project_reports_limit())
    assert sorted(done.projects.rendered) == ["P-HTML", "P-LAST", "P-LONG"]
    assert "projects_not_rendered" not in json.loads((out / "manifest.json").read_text())


def test_above_the_limit_with_no_report_to_keep_no_input_is_hashed(serving, tmp_path, monkeypatch):
    """A large organisation's nightly run: the folder's manifest lists no project report and there are more to
    render than the limit, so none is rendered and no report's inputs are hashed; a stale PDF is removed."""
    import orchestration.reports.project as P

    out = tmp_path / "reports" / PERIOD
    (out / "projects").mkdir(parents=True)
    (out / "projects" / "P-RED.pdf").write_bytes(b"%PDF stale")
    hashed: list[str] = []
    real = P.input_hash
    monkeypatch.setattr(P, "input_hash", lambda report: hashed.append(report.project_code) or real(report))
    done = render_period_reports(PERIOD, out, serving=serving, pack=False, limit=2, generated_at=GENERATED)
    assert hashed == []
    assert done.projects.rendered == [] and sorted(done.projects.skipped) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]
    assert not (out / "projects" / "P-RED.pdf").exists()
    m = json.loads((out / "manifest.json").read_text())
    assert m["projects"] == {} and m["projects_not_rendered"]["projects"] == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]
    # under the limit the reports are hashed and rendered as before
    done = render_period_reports(PERIOD, out, serving=serving, pack=False, limit=4, generated_at=GENERATED)
    assert sorted(hashed) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]
    assert sorted(done.projects.rendered) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]


def test_above_the_limit_with_nothing_to_keep_the_reports_are_only_counted(serving, tmp_path, monkeypatch):
    """A large organisation's nightly run: more reports than the limit and none of an earlier issue in the
    folder. Their scope and rule versions are read, not the reports (29 queries, 0.7 s at 2,000 projects), and
    the folder and its manifest are the same as when the reports are loaded and then left to `pmo report`."""
    out = {}
    for how in ("loaded", "counted"):
        folder = tmp_path / how / PERIOD
        (folder / "projects").mkdir(parents=True)
        (folder / "projects" / "P-RED.pdf").write_bytes(b"an earlier issue's PDF the manifest does not list")
        (folder / "projects" / "P-GONE.pdf").write_bytes(b"a project no longer reported")
        with monkeypatch.context() as m:
            if how == "loaded":  # the count says nothing is over the limit: the reports are loaded
                m.setattr("orchestration.reports.period.count_project_reports",
                          lambda con, period: P.ReportSet(period, (), (), (), counted=False))
            else:
                m.setattr("orchestration.reports.period.load_project_reports",
                          lambda *a, **k: pytest.fail("the reports were loaded"))
            done = render_period_reports(PERIOD, folder, serving=serving, pack=False, generated_at=GENERATED,
                                         limit=2)
        out[how] = done
        assert sorted(p.name for p in (folder / "projects").iterdir()) == []
        assert done.projects.rendered == [] and done.projects.entries == {}
    loaded, counted = (json.loads((tmp_path / how / PERIOD / "manifest.json").read_text())
                       for how in ("loaded", "counted"))
    assert counted == loaded
    assert counted["projects_not_rendered"]["projects"] == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]
    assert counted["projects_not_rendered"]["reason"].startswith("4 project reports to render, more than the "
                                                                 "limit of 2")
    assert counted["rule_versions"]["rag"] and counted["projects"] == {}
    assert out["counted"].projects.removed == out["loaded"].projects.removed == ["P-GONE.pdf"]
    assert out["counted"].projects.scope == out["loaded"].projects.scope

    # under the limit the reports are loaded and rendered, as before
    done = render_period_reports(PERIOD, tmp_path / "under" / PERIOD, serving=serving, pack=False,
                                 generated_at=GENERATED, limit=4)
    assert sorted(done.projects.rendered) == ["P-HTML", "P-LAST", "P-LONG", "P-RED"]


def test_counted_reports_cannot_be_rendered(serving, tmp_path):
    with duckdb.connect(str(serving), read_only=True) as con:
        counted = P.count_project_reports(con, PERIOD)
    assert counted.counted and counted.reports == () and len(counted.scope) == 4
    for limit in (None, 4):
        with pytest.raises(ValueError, match="only counted"):
            P.render_project_reports(counted, tmp_path, limit=limit)


def test_counting_needs_the_marts_loading_needs():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_earned_value (project_code VARCHAR, period VARCHAR, is_complete BOOLEAN)")
    con.execute("CREATE TABLE marts.dim_project (project_code VARCHAR)")
    for read in (P.count_project_reports, P.load_project_reports):
        with pytest.raises(ValueError, match="missing mart table marts.fct_project_status; publish the warehouse"):
            read(con, PERIOD)
    con.close()
