"""html_document gives WeasyPrint the template's own stylesheet parsed once a process (render.PackDocument)
instead of its <link>: the same PDF bytes as the link, and a changed stylesheet is parsed again."""
from __future__ import annotations

import io
import os
import shutil

import duckdb
import pypdf
import pytest

from orchestration.reports import render as R
from orchestration.reports.project import build_project_html
from tests.unit import test_pack_split as SP
from tests.unit import test_project_reports as PR


def _linked_pdf(html: str) -> bytes:
    """The document as before: WeasyPrint reading the <link> itself, with the same URL fetcher."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=R.TEMPLATES_DIR.as_uri() + "/",
                           url_fetcher=R.make_url_fetcher(R.TEMPLATES_DIR)).write_pdf()


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """A portfolio pack's and a project report's HTML, from the project reports' serving fixture."""
    path = PR.build_serving(tmp_path_factory.mktemp("css") / "serving.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    try:
        pack = R.build_html(R.load_pack_data(con, PR.PERIOD), PR.GENERATED, R.load_quality_appendix(con, None))
    finally:
        con.close()
    report = PR.load(path).reports[0]
    return {"pack": pack, "report": build_project_html(report, PR.GENERATED)}


@pytest.mark.parametrize("kind", ["pack", "report"])
def test_the_parsed_stylesheet_writes_the_same_pdf_as_the_link(documents, kind):
    html = documents[kind]
    document = R.html_document(html)
    assert isinstance(document, R.PackDocument) and len(document.stylesheets) == 1
    pdf = document.write_pdf()
    assert pdf == _linked_pdf(html)
    # the stylesheet did apply: A4 landscape for the pack, portrait for the report, and the running header
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (width > height) == (kind == "pack")


def test_a_split_packs_part_keeps_its_margin_boxes_removed():
    """A part of a split pack carries an author <style> removing the running headers and footers; given the
    stylesheet at user origin, the author's rule still wins, as it did after the link."""
    cut = SP.S.cut_sections(SP.PACK)
    part = cut.part([cut.body[0]], SP.S._NO_MARGIN_BOXES)
    pdf = R.html_document(part).write_pdf()
    assert pdf == _linked_pdf(part)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Alpha line 0" in text and "Page 1" not in text


def test_the_stylesheet_is_parsed_once_and_again_when_it_changes(monkeypatch, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(R.TEMPLATES_DIR, templates)
    monkeypatch.setattr(R, "TEMPLATES_DIR", templates)
    R._parsed_stylesheet.cache_clear()
    first = R.html_document(SP.PACK).stylesheets[0]
    assert R.html_document(SP.PACK).stylesheets[0] is first
    css = templates / "pack.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh2 { color: #123456; }\n", encoding="utf-8")
    stat = css.stat()
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    changed = R.html_document(SP.PACK)
    assert changed.stylesheets[0] is not first
    assert changed.write_pdf() == _linked_pdf(SP.PACK)  # the link now reads the changed file too
    R._parsed_stylesheet.cache_clear()


def test_other_html_is_left_to_weasyprint():
    """Without the template's own link, or with another link beside it, the HTML goes to WeasyPrint as it is."""
    plain = R.html_document("<html><body><p>x</p></body></html>")
    assert not isinstance(plain, R.PackDocument)
    two = SP.PACK.replace("</head>", '<link rel="stylesheet" href="project_report.css">\n</head>')
    assert not isinstance(R.html_document(two), R.PackDocument)
