"""Layout checks on a rendered WeasyPrint document: nothing overflows its page or its table cell.

The packs and reports are checked by eye as PNG pages (README, "Looking at the packs"); these checks make
the two faults that slip past the eye most often fail a test instead: a box that runs past the page's
printable area (cut off at the edge, or pushed onto a page margin) and text wider than its table cell
(drawn over the neighbouring column); and a page that ends with a heading, whose content went to the next
page (a table too tall for its page leaves the heading alone on a nearly blank one).  They walk the laid-out
boxes of :meth:`weasyprint.HTML.render`, so they see exactly what the PDF draws.
"""
from __future__ import annotations

from weasyprint.formatting_structure import boxes

TOLERANCE = 0.5  # CSS px: rounding in WeasyPrint's layout


def _label(box) -> str:
    text = getattr(box, "text", None)
    if text:
        return repr(text[:60])
    return f"<{getattr(box, 'element_tag', None) or type(box).__name__}>"


def _leaves(box):
    for child in box.descendants():
        if isinstance(child, boxes.TextBox | boxes.ReplacedBox):
            yield child


HEADINGS = {"h1", "h2", "h3", "h4"}


def _leaves_with_tags(box, tags=()):
    """(leaf, the element tags of its ancestors) for every text or image box under ``box``."""
    tags = (*tags, getattr(box, "element_tag", None))
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.TextBox | boxes.ReplacedBox):
            yield child, tags
        else:
            yield from _leaves_with_tags(child, tags)


def overflows(document) -> list[str]:
    """Every text or image box of ``document`` (a rendered WeasyPrint document) that lies outside its page's
    printable area, or outside the table cell it is in, as 'page N: what, by how much'."""
    faults: list[str] = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        for child in page_box.children:
            if isinstance(child, boxes.MarginBox):
                area = (0, 0, page.width, page.height)  # running headers and footers: inside the sheet
            else:
                area = (left, top, right, bottom)
            for leaf in _leaves(child):
                x0, y0 = leaf.border_box_x(), leaf.border_box_y()
                x1, y1 = x0 + leaf.border_width(), y0 + leaf.border_height()
                out = max(area[0] - x0, x1 - area[2], area[1] - y0, y1 - area[3])
                if out > TOLERANCE:
                    faults.append(f"page {number}: {_label(leaf)} is {out:.1f}px outside the printable area")
            for cell in child.descendants():
                if not isinstance(cell, boxes.TableCellBox):
                    continue
                c0 = cell.border_box_x()
                c1 = c0 + cell.border_width()
                for leaf in _leaves(cell):
                    x0 = leaf.border_box_x()
                    x1 = x0 + leaf.border_width()
                    out = max(c0 - x0, x1 - c1)
                    if out > TOLERANCE:
                        faults.append(f"page {number}: {_label(leaf)} is {out:.1f}px wider than its table cell")
        body = [(leaf, tags) for child in page_box.children if not isinstance(child, boxes.MarginBox)
                for leaf, tags in _leaves_with_tags(child)]
        if body and number < len(document.pages):
            last, tags = max(body, key=lambda lt: lt[0].border_box_y() + lt[0].border_height())
            if HEADINGS & set(tags):
                faults.append(f"page {number}: ends with the heading {_label(last)}, its content on the next page")
    return faults
