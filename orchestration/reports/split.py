"""A large pack laid out on both cores: its sections in two parts at once, joined into one PDF.

WeasyPrint lays out a document on one core.  A 2,000-project portfolio pack is about 110 pages and 25 s of
CPU, so the nightly run waited on one core while the other idled.  Here the pack's HTML is cut at a
section boundary (every top-level ``<section>`` starts a page, pack.css) and:

1. the two parts of the body (everything after the contents page) are laid out and written at the same
   time, this process taking the first and a spawned worker the second.  Neither part prints running
   headers or footers, and each hands back, page by page, the anchors, bookmarks and links WeasyPrint
   found on it instead of writing them;
2. a third document, the *frame*, holds the cover, the contents and one empty page for each body page: it
   prints every running header and footer ("Page 7 of 109" counts the whole pack), and its contents page
   finds each section's page number on the frame's empty pages.  The parts' anchors, bookmarks and links
   are put on the frame's pages before it is written, so the PDF's outline, named destinations and links
   are WeasyPrint's own, at the places the parts found them;
3. pypdf draws each body page onto its frame page.

The pages are the ones the whole document would have had: a section's layout does not depend on the pages
before it (each starts on a new page, no counter but the page number runs across sections, and the running
headers' strings are set on the cover only), and the margins are the same with or without their boxes.  The
frame checks that each empty page landed where it should; if not, the caller renders the pack in one piece.
tests/unit/test_pack_split.py and tests/integration/test_pack_layout.py compare the two ways page by page.
"""
from __future__ import annotations

import html as html_lib
import io
import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from types import SimpleNamespace

LOGGER = logging.getLogger(__name__)

#: The environment variable holding the size, in HTML elements of the pages after the contents (:func:`weight`),
#: from which a pack is laid out in two parts.  The demo's portfolio pack has about 3,100 and takes 3.5 s of a
#: core; the 2,000-project pack about 35,000 and 24.5 s (13.4 s of wall split).  The second process costs
#: about 1.5 s of a core to start (imports of WeasyPrint), so a small pack is laid out by the calling process.
SPLIT_ENV = "PMO_PACK_SPLIT_ELEMENTS"
DEFAULT_SPLIT_ELEMENTS = 15_000

_SECTION = re.compile(r"(?m)^<section\b")
_CONTENTS = re.compile(r'^<section\b[^>]*\bid="contents"')
_NO_MARGIN_BOXES = """<style>
@page { @top-left { content: none } @top-right { content: none }
        @bottom-left { content: none } @bottom-right { content: none } }
</style>
"""
_MARK = "pmo-frame-page-"
_FORM = "/PmoPage"

#: Set in the document pool's workers: there the other worker is busy with other documents, so a pack is
#: laid out in one piece.
_IN_WORKER = False


def mark_worker() -> None:
    """A document pool's initializer: packs rendered in this process are not split."""
    global _IN_WORKER
    _IN_WORKER = True


def split_threshold() -> int:
    """Elements from which a pack is split (:data:`SPLIT_ENV`, default :data:`DEFAULT_SPLIT_ELEMENTS`)."""
    from orchestration.envvars import whole_number

    return whole_number(SPLIT_ENV, DEFAULT_SPLIT_ELEMENTS, minimum=1, unit="HTML elements",
                        too_small="a pack has at least one element")


@dataclass(frozen=True)
class PackSections:
    """A pack's HTML cut at its top-level sections: ``head`` (up to the first section, ``<body>`` included),
    ``front`` (the cover and the contents), ``body`` (the sections after the contents) and ``tail``."""
    head: str
    front: tuple[str, ...]
    body: tuple[str, ...]
    tail: str

    def part(self, sections: Sequence[str], extra_head: str = "") -> str:
        head = self.head.replace("</head>", extra_head + "</head>", 1) if extra_head else self.head
        return head + "".join(sections) + self.tail


def cut_sections(html: str) -> PackSections | None:
    """The pack's sections, or None when the HTML is not shaped as a pack with a contents page."""
    starts = [m.start() for m in _SECTION.finditer(html)]
    end = html.rfind("</body>")
    if not starts or end < starts[-1] or "</head>" not in html[:starts[0]]:
        return None
    sections = [html[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
    contents = next((i for i, s in enumerate(sections) if _CONTENTS.match(s)), None)
    if contents is None:
        return None
    return PackSections(html[:starts[0]], tuple(sections[:contents + 1]), tuple(sections[contents + 1:]), html[end:])


def weight(section: str) -> int:
    """A section's layout cost, counted in elements (WeasyPrint's time grows with its boxes, most of them
    table cells); charts are ``data:`` URIs and count as one."""
    return section.count("<") - section.count("</")


def split_point(body: Sequence[str]) -> int:
    """The index that cuts ``body`` into two parts of about the same weight, each with a section at least."""
    weights = [weight(s) for s in body]
    total, run, best, best_gap = sum(weights), 0, 1, None
    for i, w in enumerate(weights[:-1], start=1):
        run += w
        gap = abs(total - 2 * run)
        if best_gap is None or gap < best_gap:
            best, best_gap = i, gap
    return best


PageMarks = tuple[dict, list, list]


def lay_out_part(html: str) -> tuple[bytes, list[PageMarks]]:
    """Lay out and write one part: its PDF without outline, destinations or links, and for each page the
    anchors, bookmarks and links (``(type, target, rectangle)``) WeasyPrint found there."""
    from .render import html_document

    document = html_document(html).render()
    marks: list[PageMarks] = []
    for page in document.pages:
        marks.append((dict(page.anchors), list(page.bookmarks), [link[:3] for link in page.links]))
        page.anchors.clear()
        page.bookmarks.clear()
        page.links.clear()
    return document.write_pdf(), marks


def _frame_html(sections: PackSections, marks: Sequence[PageMarks]) -> str:
    """The cover, the contents and an empty page per body page, holding the anchors that first appear on that
    page (so that the contents' page numbers resolve) and a marker that says where it landed."""
    pages: list[str] = []
    seen: set[str] = set()
    for j, (anchors, _, _) in enumerate(marks):
        # a section running over pages has its anchor on each of them: the first is its target
        ids = "".join(f'<div id="{html_lib.escape(name)}"></div>' for name in anchors if name not in seen)
        seen.update(anchors)
        pages.append(f'<section class="pmo-frame"><div id="{_MARK}{j}"></div>{ids}</section>\n')
    return sections.part([*sections.front, *pages])


def render_split(html: str, write: Callable[[bytes], object]) -> bool:
    """Write ``html`` (a pack) as one PDF through ``write``, laid out in two parts on two processes.  False,
    having written nothing, when the pack is too small to gain (:func:`split_threshold`), has no contents page,
    runs inside a document pool's worker, or the frame's pages did not land where they should."""
    if _IN_WORKER:
        return False
    sections = cut_sections(html)
    if sections is None or len(sections.body) < 2:
        return False
    if sum(weight(s) for s in sections.body) < split_threshold():
        return False
    k = split_point(sections.body)
    first = sections.part(sections.body[:k], _NO_MARGIN_BOXES)
    second = sections.part(sections.body[k:], _NO_MARGIN_BOXES)
    started = time.perf_counter()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=mark_worker) as pool:
            later = pool.submit(lay_out_part, second)
            first_pdf, first_marks = lay_out_part(first)
            first_done = time.perf_counter()
            second_pdf, second_marks = later.result()
    except (BrokenProcessPool, OSError) as exc:  # no second process (a limit on processes, memory): one piece
        LOGGER.warning("pack split: the second process failed (%s); laying out in one piece", exc)
        return False
    parts_done = time.perf_counter()
    marks = first_marks + second_marks
    joined = _join(sections, marks, [first_pdf, second_pdf], write)
    if joined:
        LOGGER.info("pack split: sections 1-%d (%d pages) in %.1f s here, %d-%d (%d pages) in %.1f s by a second "
                    "process; joined in %.1f s", k, len(first_marks), first_done - started, k + 1,
                    len(sections.body), len(second_marks), parts_done - started, time.perf_counter() - parts_done)
    return joined


def _join(sections: PackSections, marks: Sequence[PageMarks], parts: Sequence[bytes],
          write: Callable[[bytes], object]) -> bool:
    from pypdf import PdfReader, PdfWriter

    from .render import html_document

    frame = html_document(_frame_html(sections, marks)).render()
    front = len(frame.pages) - len(marks)
    for j, (anchors, bookmarks, links) in enumerate(marks):
        page = frame.pages[front + j] if front >= 0 else None
        if page is None or f"{_MARK}{j}" not in page.anchors:
            LOGGER.warning("pack split: the frame's page %d did not land on page %d; laying out in one piece",
                           j + 1, front + j + 1)
            return False
        page.anchors.clear()
        page.anchors.update(anchors)
        page.bookmarks[:] = bookmarks
        page.links[:] = [(*link, SimpleNamespace()) for link in links]
    writer = PdfWriter(clone_from=io.BytesIO(frame.write_pdf()))
    bodies = [page for part in parts for page in PdfReader(io.BytesIO(part)).pages]
    for j, body in enumerate(bodies):
        _draw_onto(writer, writer.pages[front + j], body, f"{_FORM}{j}")
    out = io.BytesIO()
    writer.write(out)
    write(out.getvalue())
    return True


def _draw_onto(writer, page, body, name: str) -> None:
    """Draw ``body`` (a part's page) onto ``page`` (the frame's, in ``writer``) as a form XObject: its
    compressed drawing and resources are copied as they are.  pypdf's ``merge_page`` parses and rewrites both
    pages' drawings instead, 0.4 s a page of the 2,000-project pack.  ``name`` is the form's name in the page's
    resources, which WeasyPrint shares between pages; the form is drawn first, with the page's initial
    coordinates (WeasyPrint's drawing of a page leaves its own transformation in place)."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    contents = body["/Contents"].get_object()
    if isinstance(contents, ArrayObject):  # WeasyPrint writes one stream a page; pypdf joins several
        contents = body.get_contents()
    contents[NameObject("/Type")] = NameObject("/XObject")
    contents[NameObject("/Subtype")] = NameObject("/Form")
    contents[NameObject("/BBox")] = body.mediabox
    contents[NameObject("/Resources")] = body["/Resources"]
    if "/Group" in body:
        contents[NameObject("/Group")] = body["/Group"]
    form = contents.clone(writer)
    resources = page["/Resources"].get_object()
    xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
    xobjects[NameObject(name)] = form.indirect_reference
    draw = DecodedStreamObject()
    draw.set_data(f"q {name} Do Q".encode())
    frame = page["/Contents"]
    drawings = list(frame.get_object()) if isinstance(frame.get_object(), ArrayObject) else [frame]
    page[NameObject("/Contents")] = ArrayObject([writer._add_object(draw), *drawings])
