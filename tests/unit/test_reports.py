"""The portfolio pack renderer (orchestration/reports): formatting, fetcher, PDF content, RAG from the mart."""
from __future__ import annotations

import calendar
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.reports import (
    PackRenderError,
    RefusedURLError,
    make_url_fetcher,
    render_portfolio_pack,
)
from orchestration.reports import render as R

pypdf = pytest.importorskip("pypdf")

PERIOD = "2026-11"
GENERATED = datetime(2026, 12, 3, 9, 15, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Formatting (render-time rounding only)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1543209.8625"), "1,543,210"), (Decimal("-308641.9725"), "-308,642"),
        (Decimal("0.5"), "1"), (Decimal("-0.5"), "-1"), (Decimal("-0.4"), "0"),
        (Decimal("999.49"), "999"), (0, "0"), (1234567.5, "1,234,568"), (None, "—"),
    ],
)
def test_fmt_money(value, expected):
    assert R.fmt_money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.8, "0.80"), (1.0204081632653061, "1.02"), (None, "—"), (float("nan"), "—"), (-0.001, "0.00"),
     (Decimal("0.925"), "0.93")],
)
def test_fmt_index(value, expected):
    assert R.fmt_index(value) == expected


def test_period_label():
    assert R.period_label("2026-11") == "November 2026"
    assert R.period_label("2027-01") == "January 2027"
    with pytest.raises(ValueError):
        R.period_label("2026-13")


# ---------------------------------------------------------------------------------------------
# A tiny published warehouse
# ---------------------------------------------------------------------------------------------

DIM_PROJECT = """
CREATE TABLE marts.dim_project (
    project_code VARCHAR, project_name VARCHAR, programme VARCHAR, portfolio VARCHAR,
    methodology VARCHAR, currency VARCHAR, status VARCHAR, start_date DATE, planned_finish_date DATE,
    first_baseline_period VARCHAR, last_baseline_period VARCHAR, planned_duration_periods INTEGER,
    bac_native DECIMAL(18,4), has_manager BOOLEAN, has_sponsor BOOLEAN)
"""
FCT_EV = """
CREATE TABLE marts.fct_earned_value (
    project_code VARCHAR, period VARCHAR, status_date DATE, currency VARCHAR,
    bac DECIMAL(18,4), pv DECIMAL(18,4), ev DECIMAL(18,4), ac DECIMAL(18,4),
    sv DECIMAL(18,4), cv DECIMAL(18,4), sv_pct DOUBLE, cv_pct DOUBLE, spi DOUBLE, cpi DOUBLE,
    eac_cpi DECIMAL(18,4), eac_atypical DECIMAL(18,4), eac_composite DECIMAL(18,4),
    etc DECIMAL(18,4), vac DECIMAL(18,4), tcpi_bac DOUBLE, tcpi_eac DOUBLE,
    es DOUBLE, "at" DOUBLE, sv_t DOUBLE, spi_t DOUBLE, ieac_t DOUBLE, forecast_finish_date DATE,
    is_complete BOOLEAN)
"""
ROLLUP_COLUMNS = """
    period VARCHAR, status_date DATE, currency VARCHAR, project_count INTEGER,
    bac DECIMAL(18,4), pv DECIMAL(18,4), ev DECIMAL(18,4), ac DECIMAL(18,4),
    sv DECIMAL(18,4), cv DECIMAL(18,4), sv_pct DOUBLE, cv_pct DOUBLE, spi DOUBLE, cpi DOUBLE,
    eac_cpi DECIMAL(18,4), eac_atypical DECIMAL(18,4), eac_composite DECIMAL(18,4),
    etc DECIMAL(18,4), vac DECIMAL(18,4), tcpi_bac DOUBLE, tcpi_eac DOUBLE
"""

# code, name, programme, portfolio, status
PROJECTS = [
    ("P-GRN", "Fibre & <Core> upgrade", "Network", "Infrastructure", "active"),
    ("P-RED", "Data centre move", "Data centre", "Infrastructure", "active"),
    ("P-NUL", "Edge rollout (not started)", "Network", "Infrastructure", "active"),
    ("P-AMB", "Customer portal", "Customer", "Digital", "active"),
    ("P-NEW", "Mobile app", "Customer", "Digital", "on_hold"),
    ("P-OLD", "Legacy decommission", "Network", "Infrastructure", "closed"),
]

# code -> (bac, pv, ev, ac, cpi, spi_t, eac_cpi, vac) for PERIOD
EV_ROWS = {
    "P-GRN": ("1000000", "510000", "500000", "490000", 500000 / 490000, 0.98, "980000", "20000"),
    "P-RED": ("1234567.89", "700000", "600000", "750000", 0.8, 0.93, "1543209.8625", "-308641.9725"),
    "P-NUL": ("500000", "0", "0", "0", None, 1.0, None, None),
    "P-AMB": ("250000", "95000", "100000", "108000", 100000 / 108000, 1.07, "270000", "-20000"),
    "P-NEW": ("80000", "0", "0", "0", None, None, None, None),
}

# code -> RAG from fct_project_status for PERIOD (cost, schedule, benefits, risk, overall, trend). The pack
# prints the mart's ratings: P-GRN's risk is amber, so its overall is amber although cost and schedule are
# green; NULL (not rated) prints as n/a.
STATUS_ROWS = {
    "P-GRN": ("green", "green", "green", "amber", "amber", "worse"),
    "P-RED": ("red", "amber", None, "green", "red", "same"),
    "P-NUL": (None, "green", None, None, "green", None),
    "P-AMB": ("amber", "amber", "green", "green", "amber", "improved"),
    "P-NEW": (None, None, None, None, None, None),
}

# portfolio -> {period: (count, bac, pv, ev, ac, eac_cpi, vac)}
PORTFOLIO_ROWS = {
    "Infrastructure": {
        "2026-09": (4, "2734567.89", "600000", "500000", "560000", "3062716.04", "-328148.15"),
        "2026-10": (4, "2734567.89", "950000", "820000", "930000", "3101268.46", "-366700.57"),
        "2026-11": (3, "2734567.89", "1210000", "1100000", "1240000", "3082585.61", "-348017.72"),
        "2026-12": (3, "2734567.89", "1500000", "1400000", "1600000", "3125220.45", "-390652.56"),
    },
    "Digital": {
        "2026-09": (2, "330000", "30000", "30000", "31000", "341000", "-11000"),
        "2026-10": (2, "330000", "60000", "62000", "66000", "351290.32", "-21290.32"),
        "2026-11": (2, "330000", "95000", "100000", "108000", "356400", "-26400"),
        "2026-12": (2, "330000", "140000", "150000", "160000", "352000", "-22000"),
    },
}

# The organisation's roll-up (fct_organisation_earned_value) for PERIOD, worked by hand from the portfolios:
# BAC 2,734,567.89 + 330,000; PV 1,210,000 + 95,000; EV 1,100,000 + 100,000; AC 1,240,000 + 108,000;
# CPI = 1,200,000 / 1,348,000 = 0.8902; EAC = BAC / CPI = 3,064,567.89 x 1,348,000 / 1,200,000 = 3,442,531.26
# (a ratio of sums, as for a portfolio: not the sum of the portfolios' EACs, 3,438,985.61); VAC = BAC - EAC.
ORGANISATION_ROWS = {
    "2026-11": (5, "3064567.89", "1305000", "1200000", "1348000", "3442531.26", "-377963.37"),
}


def _period_end(period: str) -> date:
    y, m = map(int, period.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def build_serving(path: Path, *, periods_for_projects=(PERIOD,), currency="GBP") -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute(DIM_PROJECT)
        con.execute(FCT_EV)
        con.execute(f"CREATE TABLE marts.fct_portfolio_earned_value (portfolio VARCHAR, {ROLLUP_COLUMNS})")
        con.execute(f"CREATE TABLE marts.fct_programme_earned_value (programme VARCHAR, {ROLLUP_COLUMNS})")
        con.execute(f"CREATE TABLE marts.fct_organisation_earned_value (organisation VARCHAR, {ROLLUP_COLUMNS})")
        con.execute("CREATE TABLE marts.fct_project_status (project_code VARCHAR, period VARCHAR, rule_version VARCHAR,"
                    " rag_cost VARCHAR, rag_schedule VARCHAR, rag_benefits VARCHAR, rag_risk VARCHAR,"
                    " rag_overall VARCHAR, overall_trend VARCHAR)")
        for period in periods_for_projects:
            for code, ratings in STATUS_ROWS.items():
                con.execute("INSERT INTO marts.fct_project_status VALUES (?, ?, 'PMO-RAG-1', ?, ?, ?, ?, ?, ?)",
                            [code, period, *ratings])
        for code, name, programme, portfolio, status in PROJECTS:
            con.execute(
                "INSERT INTO marts.dim_project (project_code, project_name, programme, portfolio, methodology,"
                " currency, status, start_date) VALUES (?, ?, ?, ?, 'waterfall', ?, ?, DATE '2026-01-01')",
                [code, name, programme, portfolio, currency, status])
        # P-OLD only reported before the pack's period: it must not be listed.
        con.execute(
            "INSERT INTO marts.fct_earned_value (project_code, period, status_date, currency, bac, pv, ev, ac,"
            " cpi, spi_t, eac_cpi, vac) VALUES ('P-OLD', '2026-09', DATE '2026-09-30', ?, 100, 100, 100, 90,"
            " 1.1111, 1.0, 90, 10)", [currency])
        for period in periods_for_projects:
            for code, (bac, pv, ev, ac, cpi, spi_t, eac, vac) in EV_ROWS.items():
                con.execute(
                    "INSERT INTO marts.fct_earned_value (project_code, period, status_date, currency, bac, pv,"
                    " ev, ac, cpi, spi_t, eac_cpi, vac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [code, period, _period_end(period), currency, bac, pv, ev, ac, cpi, spi_t, eac, vac])
        for portfolio, by_period in PORTFOLIO_ROWS.items():
            for period, (count, bac, pv, ev, ac, eac, vac) in by_period.items():
                cpi = float(Decimal(ev) / Decimal(ac))
                spi = float(Decimal(ev) / Decimal(pv))
                con.execute(
                    "INSERT INTO marts.fct_portfolio_earned_value (portfolio, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [portfolio, period, _period_end(period), currency, count, bac, pv, ev, ac, cpi, spi, eac, vac])
        for period, (count, bac, pv, ev, ac, eac, vac) in ORGANISATION_ROWS.items():
            con.execute(
                "INSERT INTO marts.fct_organisation_earned_value (organisation, period, status_date, currency,"
                " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac)"
                " VALUES ('All portfolios', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [period, _period_end(period), currency, count, bac, pv, ev, ac,
                 float(Decimal(ev) / Decimal(ac)), float(Decimal(ev) / Decimal(pv)), eac, vac])
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def serving(tmp_path_factory) -> Path:
    return build_serving(tmp_path_factory.mktemp("wh") / "serving.duckdb")


@pytest.fixture(scope="module")
def pack(serving, tmp_path_factory) -> Path:
    return render_portfolio_pack(serving, PERIOD, tmp_path_factory.mktemp("out") / "reports" / PERIOD,
                                 generated_at=GENERATED)


def pdf_pages_text(path: Path) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return [page.extract_text() or "" for page in reader.pages]


def section_text(path: Path, heading: str) -> str:
    """The text of the pages whose heading starts with ``heading`` (the contents page names sections
    without the period, so it never matches ``"Project earned value —"``)."""
    pages = [p for p in pdf_pages_text(path) if heading in p]
    assert pages, f"no page headed {heading!r}"
    return "\n".join(pages)


def _project_row_text(text: str, code: str) -> str:
    """The extracted text from a project code up to the next line that starts another row."""
    start = text.index(code)
    end = len(text)
    for other in EV_ROWS:
        if other != code:
            i = text.find(other, start + len(code))
            if i != -1:
                end = min(end, i)
    for marker in ("Portfolio:", "Active = "):
        i = text.find(marker, start)
        if i != -1:
            end = min(end, i)
    return " ".join(text[start:end].split())


# ---------------------------------------------------------------------------------------------
# The rendered pack
# ---------------------------------------------------------------------------------------------

def test_pack_is_a_valid_pdf_with_pages(pack):
    assert pack.name == "portfolio-pack.pdf"
    data = pack.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-1024:]
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    # A4 landscape: 842 x 595 pt
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595
    assert not list(pack.parent.glob("*.tmp")), "temporary file left behind"


def test_cover_page(pack):
    cover = " ".join(pdf_pages_text(pack)[0].split())
    assert "Portfolio pack" in cover
    assert "November 2026" in cover
    assert "2026-11-30" in cover  # status date
    assert "GBP" in cover
    assert "2026-12-03 09:15 UTC" in cover
    assert "PMO-RAG-1" in cover
    # the rules of that version, from the seed the mart applied
    assert "Cost (CPI) Green: CPI 0.95 to 1.05 inclusive; Amber: CPI 0.90 to below 0.95" in cover
    assert "Schedule (SPI(t)) Green: SPI(t) 0.95 to 1.05 inclusive" in cover
    assert "Overall = the worst of the ratings" in cover
    # totals from the organisation's mart (ORGANISATION_ROWS): BAC 2,734,567.89 + 330,000;
    # EAC = BAC / CPI = 3,442,531.26; VAC = BAC - EAC
    assert "3,064,568" in cover
    assert "3,442,531" in cover
    assert "-377,963" in cover
    # counts of the mart's overall RAG: 5 active, red 1 (P-RED), amber 2 (P-AMB, P-GRN), green 1 (P-NUL),
    # n/a 1 (P-NEW)
    tiles = {label: int(n) for n, label in re.findall(r"(\d+) ?(Active projects reported|Red|Amber|Green|n/a)", cover)}
    assert tiles == {"Active projects reported": 5, "Red": 1, "Amber": 2, "Green": 1, "n/a": 1}


def test_ev_table_rows(pack):
    """BAC, CPI, SPI(t), EAC (CPI) and VAC of every active project; its RAG is the dashboard's (test_pack_pages),
    not repeated here."""
    text = section_text(pack, "Project earned value —")
    for code in EV_ROWS:
        assert code in text
    assert "P-OLD" not in text  # no row for the period
    # Autoescaped, shown literally.
    assert "Fibre & <Core> upgrade" in _project_row_text(text, "P-GRN")

    red = " ".join(_project_row_text(text, "P-RED").split())
    assert red.endswith("1,234,568 0.80 0.93 1,543,210 -308,642")  # BAC, CPI, SPI(t), EAC (CPI), VAC
    amb = " ".join(_project_row_text(text, "P-AMB").split())
    assert amb.endswith("0.93 1.07 270,000 -20,000")
    grn = " ".join(_project_row_text(text, "P-GRN").split())
    assert grn.endswith("1,000,000 1.02 0.98 980,000 20,000")
    nul = " ".join(_project_row_text(text, "P-NUL").split())  # CPI NULL: no EAC (CPI), no VAC
    assert nul.endswith("500,000 — 1.00 — —")
    assert not re.search(r"\b(Red|Amber|Green|n/a)\b", text.split("Active = ")[0])


def test_ev_table_sorted_by_portfolio_programme_code(pack):
    text = section_text(pack, "Project earned value —")
    order = [text.index(c) for c in ("P-AMB", "P-NEW", "P-RED", "P-GRN", "P-NUL")]
    assert order == sorted(order)  # Digital/Customer, then Infrastructure/Data centre, /Network


def test_portfolio_table_and_chart_page(pack):
    last = " ".join(section_text(pack, "Portfolio S-curve —").split())
    assert "Infrastructure 3 2,734,568 1,210,000 1,100,000 1,240,000 0.89 0.91 3,082,586 -348,018" in last
    assert "Digital 2 330,000 95,000 100,000 108,000 0.93 1.05 356,400 -26,400" in last
    # the organisation's mart row (ORGANISATION_ROWS): ratio of sums 1,200,000 / 1,348,000 and
    # 1,200,000 / 1,305,000, EAC = BAC / CPI of the whole
    assert "All portfolios 5 3,064,568 1,305,000 1,200,000 1,348,000 0.89 0.92 3,442,531 -377,963" in last
    reader = pypdf.PdfReader(io.BytesIO(pack.read_bytes()))
    assert any("/XObject" in str(p.get("/Resources", {})) for p in reader.pages), "chart not embedded"


def test_running_header_and_page_numbers(pack):
    pages = pdf_pages_text(pack)
    assert "Page 1 of" in pages[0]
    assert "Portfolio pack · November 2026" in pages[1]
    assert f"Page 2 of {len(pages)}" in pages[1]


def test_s_curve_data_stops_at_period(serving):
    con = duckdb.connect(str(serving), read_only=True)
    try:
        data = R.load_pack_data(con, PERIOD)
    finally:
        con.close()
    assert [p.period for p in data.s_curve] == ["2026-09", "2026-10", "2026-11"]
    last = data.s_curve[-1]
    assert (last.pv, last.ev, last.ac, last.bac) == (Decimal(1305000), Decimal(1200000),
                                                      Decimal(1348000), Decimal("3064567.89"))


def test_connection_is_closed_after_render(serving, tmp_path, monkeypatch):
    """Every connection the renderer opens is closed by it: the test holds each one, so a connection the
    renderer forgot cannot be closed behind its back by garbage collection, and asks DuckDB whether it is."""
    opened: list[duckdb.DuckDBPyConnection] = []
    connect = duckdb.connect

    def recording_connect(*args, **kwargs):
        con = connect(*args, **kwargs)
        opened.append(con)  # held here, so a leaked connection cannot be closed by garbage collection
        return con

    monkeypatch.setattr(R.duckdb, "connect", recording_connect)  # the module orchestration.warehouse opens with
    render_portfolio_pack(serving, PERIOD, tmp_path, generated_at=GENERATED)
    monkeypatch.undo()

    assert len(opened) == 1
    with pytest.raises(duckdb.ConnectionException, match="(?i)closed"):
        opened[0].execute("select 1")
    # DuckDB refuses a read-write connection while a read-only one to the same file is open.
    duckdb.connect(str(serving)).close()


def test_html_is_autoescaped(serving):
    con = duckdb.connect(str(serving), read_only=True)
    try:
        html = R.build_html(R.load_pack_data(con, PERIOD), GENERATED)
    finally:
        con.close()
    assert "Fibre &amp; &lt;Core&gt; upgrade" in html
    assert "<Core>" not in html
    assert "http://" not in html and "https://" not in html


def test_empty_period_renders_a_clear_page(serving, tmp_path):
    out = render_portfolio_pack(serving, "2027-03", tmp_path, generated_at=GENERATED)
    pages = pdf_pages_text(out)
    text = " ".join(" ".join(pages).split())
    assert len(pages) >= 2
    assert "No projects reported for March 2027" in text
    assert re.search(r"\b0 ?Active projects reported", text)


def test_project_finished_in_an_earlier_period_is_not_active(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO marts.dim_project (project_code, project_name, programme, portfolio, currency, "
                    "status) VALUES ('P-DONE', 'Finished refit', 'Network', 'Infrastructure', 'GBP', 'closed'), "
                    "('P-LAST', 'Finishing now', 'Network', 'Infrastructure', 'GBP', 'active')")
        for code, period, complete in [("P-DONE", "2026-10", True), ("P-DONE", PERIOD, True),
                                       ("P-LAST", "2026-10", False), ("P-LAST", PERIOD, True)]:
            con.execute("INSERT INTO marts.fct_earned_value (project_code, period, status_date, currency, bac, pv, "
                        "ev, ac, cpi, spi_t, eac_cpi, vac, is_complete) VALUES (?, ?, ?, 'GBP', 100, 100, 100, 100, "
                        "1.0, 1.0, 100, 0, ?)", [code, period, _period_end(period), complete])
    finally:
        con.close()
    out = render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED)
    for heading in ("Project earned value —", "RAG dashboard —"):
        text = section_text(out, heading)
        assert "P-LAST" in text  # completed in this period: still reported
        assert "P-DONE" not in text  # completed before this period: no longer active
    completed = section_text(out, "Completed this year —")  # both finished this year
    assert "P-DONE Finished refit Infrastructure 2026-10" in completed
    assert "P-LAST Finishing now Infrastructure 2026-11" in completed


def test_forecast_ranges_page(tmp_path):
    """The pack prints the EAC ranges of fct_forecast_range_rollup as the mart holds them (rounded as shown)
    and lists the active projects whose P90 finish passes the baseline finish, latest first."""
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE marts.fct_forecast_range_rollup (rollup_level VARCHAR, rollup_name VARCHAR, "
                    "period VARCHAR, project_count INTEGER, projects_with_range INTEGER, eac_point_sum DECIMAL(38,6), "
                    "eac_p10 DECIMAL(38,6), eac_p50 DECIMAL(38,6), eac_p90 DECIMAL(38,6))")
        con.execute("INSERT INTO marts.fct_forecast_range_rollup VALUES "
                    "('organisation', 'All portfolios', ?, 5, 3, 3442531.26, 3301004.5, 3439980.49, 3612577.51), "
                    "('portfolio', 'Infrastructure', ?, 3, 2, 3082585.61, 2950000.4, 3080000.5, 3250000.5), "
                    "('portfolio', 'Digital', ?, 2, 1, 356400, 340000, 356000, 372000), "
                    "('programme', 'Network', ?, 2, 1, 1, 1, 1, 1)", [PERIOD] * 4)
        con.execute("CREATE TABLE marts.fct_forecast_range (project_code VARCHAR, period VARCHAR, "
                    "baseline_finish_date DATE, finish_p50 DATE, finish_p90 DATE, finish_p90_after_baseline BOOLEAN)")
        con.execute("INSERT INTO marts.fct_forecast_range VALUES "
                    "('P-RED', ?, DATE '2027-03-31', DATE '2027-05-10', DATE '2027-06-30', true), "
                    "('P-AMB', ?, DATE '2027-01-31', DATE '2027-02-01', DATE '2027-02-14', true), "
                    "('P-GRN', ?, DATE '2027-06-30', DATE '2027-05-01', DATE '2027-06-01', false)", [PERIOD] * 3)
    finally:
        con.close()
    pages = pdf_pages_text(render_portfolio_pack(path, PERIOD, tmp_path / "out", generated_at=GENERATED))
    page = " ".join(next(p for p in pages if "How sure the forecasts are" in p).split())
    assert "All portfolios 5 3 3,442,531 3,301,005 3,439,980 3,612,578" in page
    assert "Infrastructure 3 2 3,082,586 2,950,000 3,080,001 3,250,001" in page
    assert "Digital 2 1 356,400 340,000 356,000 372,000" in page
    assert "Network" not in page.split("Projects whose P90")[0]  # programmes are not in the portfolio table
    # P-RED 91 days after its baseline finish, then P-AMB 14; P-GRN's P90 is before its baseline finish.
    assert ("P-RED Data centre move 2027-03-31 2027-05-10 2027-06-30 91 "
            "P-AMB Customer portal 2027-01-31 2027-02-01 2027-02-14 14") in page
    assert "P-GRN" not in page
    # the executive summary says which projects' P90 finish passes their baseline finish (issue #13)
    summary = " ".join(next(p for p in pages if "Executive summary — " in p).split())
    assert ("Forecast finishes: 2 active projects may finish after the baseline finish (P90 later): "
            "P-RED by 91 days, P-AMB by 14 days (forecast ranges page).") in summary


def test_no_forecast_page_without_the_marts(pack):
    assert not any("How sure the forecasts are" in p for p in pdf_pages_text(pack))


def test_rerender_replaces_previous_pack(serving, tmp_path):
    first = render_portfolio_pack(serving, PERIOD, tmp_path, generated_at=GENERATED)
    second = render_portfolio_pack(serving, "2027-03", tmp_path, generated_at=GENERATED)
    assert first == second
    assert "March 2027" in pdf_pages_text(second)[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio-pack.pdf"]


# ---------------------------------------------------------------------------------------------
# Errors and security
# ---------------------------------------------------------------------------------------------

def test_missing_serving_file(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        render_portfolio_pack(tmp_path / "nope.duckdb", PERIOD, tmp_path / "out")
    assert not (tmp_path / "nope.duckdb").exists()


def test_missing_marts(tmp_path):
    path = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.dim_project (project_code VARCHAR)")
    con.close()
    with pytest.raises(ValueError, match="marts.fct_earned_value"):
        render_portfolio_pack(path, PERIOD, tmp_path / "out")
    assert not (tmp_path / "out" / "portfolio-pack.pdf").exists()


def test_missing_column(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE marts.fct_earned_value DROP COLUMN spi_t")
    con.close()
    with pytest.raises(ValueError, match="fct_earned_value lacks spi_t"):
        render_portfolio_pack(path, PERIOD, tmp_path / "out")


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "serving.duckdb"
    path.write_text("not a database")
    with pytest.raises(ValueError, match="DuckDB"):
        render_portfolio_pack(path, PERIOD, tmp_path / "out")


def test_bad_period(serving, tmp_path):
    with pytest.raises(ValueError, match="YYYY-MM"):
        render_portfolio_pack(serving, "2026-11-30", tmp_path)


def test_mixed_currencies_are_refused(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    con.execute("UPDATE marts.fct_portfolio_earned_value SET currency = 'EUR' WHERE portfolio = 'Digital'")
    con.close()
    with pytest.raises(ValueError, match="mixes currencies"):
        render_portfolio_pack(path, PERIOD, tmp_path / "out")


@pytest.mark.parametrize("url", [
    "http://example.com/logo.png",
    "https://fonts.example.com/font.woff2",
    "ftp://example.com/x.css",
    "file:///etc/passwd",
    "file://remotehost/share/pack.css",
])
def test_url_fetcher_refuses_everything_but_data_and_templates(url):
    fetcher = make_url_fetcher()
    with pytest.raises(RefusedURLError):
        fetcher.fetch(url)


def test_url_fetcher_refuses_escape_from_templates():
    fetcher = make_url_fetcher()
    with pytest.raises(RefusedURLError):
        fetcher.fetch((R.TEMPLATES_DIR / ".." / "render.py").as_uri())


def test_url_fetcher_serves_data_uris_and_template_files():
    fetcher = make_url_fetcher()
    resp = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert resp.read() == b"hello"
    css = fetcher.fetch((R.TEMPLATES_DIR / "pack.css").as_uri())
    assert css.content_type == "text/css"
    assert b"@page" in css.read()


def test_external_resource_stops_the_render(tmp_path):
    target = tmp_path / "portfolio-pack.pdf"
    html = '<html><body><p>x</p><img src="http://127.0.0.1:9/logo.png"></body></html>'
    with pytest.raises(PackRenderError, match="network"):
        R._write_pdf_atomically(html, target)
    assert list(tmp_path.iterdir()) == []  # neither the pack nor a temporary file
