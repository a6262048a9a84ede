"""Layout at the sizes a large PMO has (issue #11): a programme of 42 projects and a 120-character name.

One organisation of 42 projects, all in one programme (``generate_demo(programme_size=42)``), one of them
renamed to a 120-character name, goes through the flow for its last period (the portfolio pack only:
the programme pack and the project report are rendered here, from the published snapshot, as `pmo report`
renders them). Every text and image box of the laid-out documents is checked against its page's printable
area and its table cell (tests/layout.py): nothing may be cut off at an edge or drawn over the next
column. The figures are checked too: every project of the programme is in its pack, and the long name is
printed whole in the dashboards and in its project report.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import duckdb
import pypdf
import pytest

from orchestration.cli.runner import run_period
from orchestration.demo.generator import generate_demo
from orchestration.reports import render as R
from orchestration.reports.project import build_project_html, load_project_reports
from orchestration.reports.scope import open_programme
from orchestration.settings import init_home, load_settings
from tests.layout import overflows

SEED, PROJECTS, MONTHS, AS_OF = 5, 42, 6, "2026-10"
PROGRAMME = "Cloud First"
LONG_CODE = "PRJ-007"
LONG_NAME = ("Enterprise Resource Planning Consolidation and Finance Operating Model Transformation "
             "Programme Phase Two Wave B (North)")
GENERATED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def home(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("layout")
    monkeypatch_module.setenv("PMO_HOME", str(root / "home"))
    monkeypatch_module.delenv("PMO_REPORTING_CURRENCY", raising=False)
    monkeypatch_module.setenv("PMO_PROJECT_REPORTS_MAX", "0")  # rendered by the tests below
    settings = load_settings(root / "home")
    init_home(settings)
    generate_demo(settings.landing_dir, seed=SEED, projects=PROJECTS, months=MONTHS, as_of=AS_OF,
                  programme_size=PROJECTS)
    register = settings.landing_dir / "projects" / "projects.csv"
    with open(register, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["programme"] for r in rows} == {PROGRAMME} and len(LONG_NAME) == 120
    for r in rows:
        if r["project_code"] == LONG_CODE:
            r["project_name"] = LONG_NAME
    with open(register, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    outcome = run_period(settings, AS_OF)
    assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
    return settings


def pdf_text(document) -> str:
    """The text of a rendered document's PDF, whitespace collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(document.write_pdf()))
    return " ".join(" ".join((page.extract_text() or "") for page in reader.pages).split())


def reported(settings) -> set[str]:
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        return {r[0] for r in con.execute(
            "SELECT project_code FROM marts.fct_project_status WHERE period = ?", [AS_OF]).fetchall()}
    finally:
        con.close()


def test_a_programme_of_42_projects_lays_out_inside_its_pages(home):
    con = open_programme(PROGRAMME, serving=home.serving_path)
    try:
        data = R.load_pack_data(con, AS_OF)
        quality = R.load_quality_appendix(con, None)
    finally:
        con.close()
    codes = reported(home)
    assert len(codes) >= 30  # active and completed projects of the period (the proposed ones are not rated)
    assert {p.project_code for p in data.projects} == codes
    document = R.html_document(R.build_html(data, GENERATED, quality, None, PROGRAMME)).render()
    assert len(document.pages) > 20  # the per-project tables run over several pages
    assert overflows(document) == []
    text = pdf_text(document)
    assert f"Programme pack: {PROGRAMME}" in text
    assert sorted(c for c in codes if c not in text) == []
    assert LONG_NAME in text  # printed whole, wrapped inside its cell


def portfolio_figures(home):
    """The portfolio pack's figures and data-quality appendix, read from the published snapshot."""
    con = duckdb.connect(str(home.serving_path), read_only=True)
    try:
        return R.load_pack_data(con, AS_OF), R.load_quality_appendix(con, None)
    finally:
        con.close()


def test_the_portfolio_pack_lays_out_inside_its_pages(home):
    data, quality = portfolio_figures(home)
    document = R.html_document(R.build_html(data, GENERATED, quality)).render()
    assert overflows(document) == []
    assert LONG_NAME in pdf_text(document)
    assert (home.reports_dir / AS_OF / R.PACK_FILENAME).is_file()  # the run issued it


def test_the_long_named_project_report_lays_out_inside_its_pages(home):
    con = duckdb.connect(str(home.serving_path), read_only=True)
    try:
        (report,) = load_project_reports(con, AS_OF, projects=[LONG_CODE]).reports
    finally:
        con.close()
    document = R.html_document(build_project_html(report, GENERATED)).render()
    assert 1 <= len(document.pages) <= 2
    assert overflows(document) == []
    text = pdf_text(document)
    assert LONG_NAME in text and re.search(rf"{LONG_CODE}\b", text)


def test_the_appendix_s_fixed_columns_wrap_a_long_detail_and_file_name_inside_the_page(home):
    """The appendix's two wide tables have fixed columns (pack.css): a detail and a landing path with no space to
    break at still wrap inside their columns, printed whole."""
    from dataclasses import replace

    data, quality = portfolio_figures(home)
    detail = "dbt_test__audit." + "x" * 240 + "_rows"
    path = "landing/timesheets/" + "night_" * 40 + "2026-12-01.csv"
    issue = {"asset": "marts/fct_earned_value", "check": "assert_" + "y" * 60, "outcome": "warned",
             "failing_rows": 12, "detail": detail}
    source = {"source": "timesheets", "files": 40, "rows_in": 12_000, "rows_loaded": 11_990, "rows_quarantined": 10,
              "files_not_read": 0, "latest_file": path, "latest_date": "2026-12-01"}
    quality = replace(quality, issues=(issue,), sources=(source,))
    document = R.html_document(R.build_html(data, GENERATED, quality)).render()
    assert overflows(document) == []
    text = re.sub(r"\s+", "", pdf_text(document))
    assert detail in text and path in text


def test_a_large_organisations_programme_lines_lay_out_inside_their_pages(home, monkeypatch):
    """Above PMO_PACK_PROJECT_ROWS the dashboard and earned-value tables have one line a programme, with their
    column widths fixed (pack.css, ``table.programme-table``): a 120-character programme name wraps inside its
    cell, and the counts and money stay inside theirs."""
    from dataclasses import replace

    monkeypatch.setenv(R.PACK_PROJECT_ROWS_ENV, "5")
    data, quality = portfolio_figures(home)
    (row,) = data.programme_rows
    assert (row.programme, row.projects) == (PROGRAMME, len(data.projects))
    data = replace(data, programme_rows=(replace(row, programme=LONG_NAME),))
    document = R.html_document(R.build_html(data, GENERATED, quality)).render()
    assert overflows(document) == []
    text = pdf_text(document)
    assert "RAG dashboard by programme" in text and "Programme earned value" in text
    assert text.count(LONG_NAME) >= 2  # whole, in both tables


def test_the_portfolio_pack_laid_out_in_two_parts_is_the_pack_laid_out_whole(home, monkeypatch):
    """A large pack is laid out on two processes and joined (orchestration/reports/split.py); forced here on
    this 42-project pack, it has the whole pack's pages, text, contents, links and bookmarks."""
    from orchestration.reports import split as S
    from tests.pdf_structure import links, outline

    monkeypatch.setenv(S.SPLIT_ENV, "1")
    data, quality = portfolio_figures(home)
    html = R.build_html(data, GENERATED, quality)
    written: list[bytes] = []
    assert S.render_split(html, written.append) is True
    split = pypdf.PdfReader(io.BytesIO(written[0]))
    whole = pypdf.PdfReader(io.BytesIO(R.html_document(html).write_pdf()))
    assert len(split.pages) == len(whole.pages) > 20
    texts = [page.extract_text() for page in split.pages]
    assert texts == [page.extract_text() for page in whole.pages]
    assert all(f"Page {n} of {len(texts)}" in text for n, text in enumerate(texts, start=1))
    assert outline(split) == outline(whole) and len(outline(split)) > 15
    assert links(split) == links(whole)
    assert {k: split.get_destination_page_number(v) for k, v in split.named_destinations.items()} == {
        k: whole.get_destination_page_number(v) for k, v in whole.named_destinations.items()}
    assert split.metadata == whole.metadata


def test_an_issued_split_pack_keeps_its_sections_layout_beside_the_period_folder(home, monkeypatch, tmp_path):
    """issue_portfolio_pack splits a pack above the threshold and keeps its sections' layout in
    reports/.layout/<period>/portfolio-pack/, outside the folder and its manifest; a second issue reuses it."""
    from orchestration.reports import split as S

    monkeypatch.setenv(S.SPLIT_ENV, "1")
    out = tmp_path / "reports" / AS_OF
    first = R.issue_portfolio_pack(home.serving_path, AS_OF, out, generated_at=GENERATED)
    cache = tmp_path / "reports" / ".layout" / AS_OF / "portfolio-pack"
    assert S.layout_cache_dir(first.path) == cache
    entries = sorted(p.name for p in cache.glob("*.pdf"))
    assert len(entries) > 10  # one a section after the contents
    assert sorted(p.name for p in out.iterdir()) == ["portfolio-pack.pdf"]
    again = R.issue_portfolio_pack(home.serving_path, AS_OF, out, generated_at=GENERATED, force=True)
    assert sorted(p.name for p in cache.glob("*.pdf")) == entries
    assert again.path.read_bytes() == first.path.read_bytes()  # the same sections, the same time: the same file
