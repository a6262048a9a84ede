"""The layout checks of tests/layout.py find each fault they are for, and pass a page without one."""
from __future__ import annotations

from orchestration.reports.render import html_document
from tests.layout import overflows

PAGE = "<style>@page { size: A5; margin: 10mm } body { font: 10pt 'DejaVu Sans' }</style>"


def faults(body: str) -> list[str]:
    return overflows(html_document(f"<html><head>{PAGE}</head><body>{body}</body></html>").render())


def test_a_page_that_fits_has_no_fault():
    assert faults("<h2>Costs</h2><table><tr><td>Project</td><td>1,000</td></tr></table><p>Note.</p>") == []


def test_text_past_the_printable_area():
    found = faults("<p style='white-space: nowrap'>" + "overflowing " * 20 + "</p>")
    assert found and all(f.startswith("page 1: ") and "outside the printable area" in f for f in found)


def test_text_wider_than_its_table_cell():
    found = faults("<table style='table-layout: fixed; width: 60mm'><col style='width: 20mm'><col>"
                   "<tr><td style='white-space: nowrap'>Schedule-and-cost</td><td>x</td></tr></table>")
    assert found == [f for f in found if "wider than its table cell" in f] and found
    assert "'Schedule-and-cost'" in found[0]


def test_a_heading_left_alone_on_its_page():
    """A table too tall for a page inside a flex row (the executive summary's 'what moved' at 2,000 projects,
    before it was capped) goes to the next page whole and leaves its heading behind."""
    found = faults("<h3>What moved</h3><div style='display: flex'><div><table>"
                   + "<tr><td>row</td></tr>" * 80 + "</table></div></div>")
    assert found == ["page 1: ends with the heading 'What moved', its content on the next page"]
    assert faults("<h3>What moved</h3><div><table>" + "<tr><td>row</td></tr>" * 80 + "</table></div>") == []
