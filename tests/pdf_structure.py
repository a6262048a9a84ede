"""What a PDF holds besides its text, read with pypdf: its outline (bookmarks) and its link annotations.  The
pack laid out in two parts (orchestration/reports/split.py) is compared with the whole pack through them."""
from __future__ import annotations

import pypdf


def outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int]]:
    """The bookmarks in order: (depth, title, 0-based page)."""
    found: list[tuple[int, str, int]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))
    walk(reader.outline, 0)
    return found


def links(reader: pypdf.PdfReader) -> list[tuple[int, str, list[float]]]:
    """The link annotations in order: (0-based page, destination name, rectangle in points to 0.1)."""
    return [(i, str(a.get_object()["/Dest"]), [round(float(x), 1) for x in a.get_object()["/Rect"]])
            for i, page in enumerate(reader.pages) for a in page.get("/Annots") or []]
