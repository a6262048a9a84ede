"""A large pack laid out on both cores: its sections in two processes at once, joined into one PDF.

WeasyPrint lays out a document on one core.  A 2,000-project portfolio pack is about 110 pages and 25 s of
CPU, so the nightly run waited on one core while the other idled.  Here the pack's HTML is cut at its
top-level sections (each starts a page, pack.css) and:

1. the sections after the contents page are laid out and written, each as a document of its own, by this
   process and a spawned one at the same time (:func:`assign` shares them out by their size).  No section
   prints running headers or footers, and each hands back, page by page, the anchors, bookmarks and links
   WeasyPrint found on it instead of writing them.  A section whose HTML is the same as when the pack was
   last rendered in that folder is taken from :class:`SectionCache` instead of being laid out again;
2. a third document, the *frame*, holds the cover, the contents and one empty page for each body page: it
   prints every running header and footer ("Page 7 of 109" counts the whole pack), and its contents page
   finds each section's page number on the frame's empty pages.  The sections' anchors, bookmarks and links
   are put on the frame's pages before it is written, so the PDF's outline, named destinations and links
   are WeasyPrint's own, at the places the sections' layout found them;
3. pypdf draws each body page onto its frame page.

The pages are the ones the whole document would have had: a section's layout does not depend on the pages
before it (each starts on a new page, no counter but the page number runs across sections, and the running
headers' strings are set on the cover only), and the margins are the same with or without their boxes.  The
frame checks that each empty page landed where it should; if not, the caller renders the pack in one piece.
tests/unit/test_pack_split.py and tests/integration/test_pack_layout.py compare the two ways page by page.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import html as html_lib
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from .collector import paused

LOGGER = logging.getLogger(__name__)

#: The environment variable holding the size, in HTML elements of the pages after the contents (:func:`weight`),
#: from which a pack is laid out section by section on two processes.  The second process costs about 1.5 s of
#: a core to start (imports of WeasyPrint), so a small pack is laid out whole by the calling process: the demo's
#: (about 3,100 elements, 3.5 s of a core).  A 300-project pack has about 9,500 (8.6-8.9 s whole, 6.6-6.9 s
#: split), the 2,000-project pack about 35,000 (24.5 s whole, 13.4 s split).
SPLIT_ENV = "PMO_PACK_SPLIT_ELEMENTS"
DEFAULT_SPLIT_ELEMENTS = 6_000

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


#: What starting the second process costs, in elements of layout (about 1.5 s: the spawn, the imports of
#: WeasyPrint, fontconfig's first use): its share of the sections is that much smaller.
START_ELEMENTS = 2_000
#: The same for a second process started before the pack's HTML was ready (:class:`Helper`): its imports are
#: done, but its first sections still pay for fonts and caches this process has warm (at 2,000 projects it
#: laid out its share 1.3 s slower than this process laid out the same number of elements with no offset).
WARM_START_ELEMENTS = 1_000


def assign(weights: Sequence[int], todo: Sequence[int], start: int | None = None) -> tuple[list[int], list[int]]:
    """Which of the sections ``todo`` (indices into ``weights``) this process lays out and which the second
    process does: the heaviest first, each to the process with less work so far, the second process starting
    ``start`` elements behind (:data:`START_ELEMENTS`; :data:`WARM_START_ELEMENTS` when it was started
    beforehand, :class:`Helper`).
    Both lists in page order; the second is empty when the work left is under :func:`split_threshold` (not
    worth a process)."""
    if sum(weights[i] for i in todo) < split_threshold():
        return sorted(todo), []
    here: list[int] = []
    there: list[int] = []
    load = [0, START_ELEMENTS if start is None else start]
    for i in sorted(todo, key=lambda i: (-weights[i], i)):
        side = 0 if load[0] <= load[1] else 1
        (here if side == 0 else there).append(i)
        load[side] += weights[i]
    return sorted(here), sorted(there)


PageMarks = tuple[dict, list, list]


def lay_out_part(html: str) -> tuple[bytes, list[PageMarks]]:
    """Lay out and write one part (the head and a section, without margin boxes): its PDF without outline,
    destinations or links, and for each page the anchors, bookmarks and links (``(type, target, rectangle)``)
    WeasyPrint found there."""
    from .render import html_document

    document = html_document(html).render()
    marks: list[PageMarks] = []
    for page in document.pages:
        marks.append((dict(page.anchors), list(page.bookmarks), [link[:3] for link in page.links]))
        page.anchors.clear()
        page.bookmarks.clear()
        page.links.clear()
    return document.write_pdf(), marks


def lay_out_sections(parts: Sequence[str]) -> list[tuple[bytes, list[PageMarks]]]:
    """:func:`lay_out_part` of each part (a section alone, as a document of its own)."""
    out = []
    for part in parts:
        with paused():
            out.append(lay_out_part(part))
        if not gc.isenabled():
            gc.collect(0)
    return out


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


def render_split(html: str, write: Callable[[bytes], object], cache_dir: Path | None = None,
                 helper: Helper | None = None) -> bool:
    """Write ``html`` (a pack) as one PDF through ``write``, its sections laid out by two processes.  False,
    having written nothing, when the pack is too small to gain (:func:`split_threshold`), has no contents page,
    runs inside a document pool's worker, or the frame's pages did not land where they should.

    ``cache_dir`` keeps each section's pages (:class:`SectionCache`): a section whose HTML is unchanged since
    the pack was last rendered there is not laid out again.  ``helper``: the second process, started while the
    pack's figures were loaded (:func:`helper_for`); without it one is started here."""
    if _IN_WORKER:
        return False
    sections = cut_sections(html)
    if sections is None or len(sections.body) < 2:
        return False
    weights = [weight(s) for s in sections.body]
    if sum(weights) < split_threshold():
        return False
    cache = SectionCache(cache_dir, sections) if cache_dir is not None else None
    laid: dict[int, tuple[bytes, list[PageMarks]]] = cache.load() if cache is not None else {}
    ready = helper is not None and helper.warm.done() and helper.warm.exception() is None
    here, there = assign(weights, [i for i in range(len(weights)) if i not in laid],
                         WARM_START_ELEMENTS if ready else None)
    parts = {i: sections.part([sections.body[i]], _NO_MARGIN_BOXES) for i in here + there}
    started = time.perf_counter()
    try:
        if there:
            with contextlib.ExitStack() as stack:
                pool = helper.pool if helper is not None else stack.enter_context(_second_process())
                later = pool.submit(lay_out_sections, [parts[i] for i in there])
                laid.update(zip(here, lay_out_sections([parts[i] for i in here]), strict=True))
                here_done = time.perf_counter()
                laid.update(zip(there, later.result(), strict=True))
        else:
            laid.update(zip(here, lay_out_sections([parts[i] for i in here]), strict=True))
            here_done = time.perf_counter()
    except (BrokenProcessPool, OSError) as exc:  # no second process (a limit on processes, memory): one piece
        LOGGER.warning("pack split: the second process failed (%s); laying out in one piece", exc)
        return False
    parts_done = time.perf_counter()
    if cache is not None:
        try:
            cache.store({i: laid[i] for i in here + there})
        except OSError as exc:  # a full disk, a read-only folder: the pack does not need its cache
            LOGGER.warning("pack split: the sections' layout not kept in %s (%s)", cache.directory, exc)
    ordered = [laid[i] for i in range(len(weights))]
    joined = _join(sections, [m for _, marks in ordered for m in marks], [pdf for pdf, _ in ordered], write)
    if joined:
        if cache is not None:
            try:
                cache.keep_only_this_pack()
            except OSError as exc:
                LOGGER.warning("pack split: old sections' layout not removed from %s (%s)", cache.directory, exc)
        LOGGER.info("pack split: %d sections laid out here in %.1f s, %d by a second process in %.1f s, %d kept "
                    "from the last render; %d pages joined in %.1f s", len(here), here_done - started, len(there),
                    parts_done - started if there else 0.0, len(weights) - len(here) - len(there),
                    sum(len(marks) for _, marks in ordered), time.perf_counter() - parts_done)
    return joined


def _second_process() -> ProcessPoolExecutor:
    """The second process: a document pool of one worker (spawned, and marked so that it never splits)."""
    from .project import document_pool  # project imports render, which imports this module

    return document_pool(1)


def _warm_up() -> None:
    """In the second process: what its first section would otherwise wait for, the imports of WeasyPrint
    (Pango and HarfBuzz through cffi) and of the renderer, and fontconfig's first look at the fonts."""
    from .render import html_document

    html_document("<p>pmo</p>").write_pdf()


#: Elements of layout (:func:`weight`) a portfolio pack has for each project it reports, roughly: a demo pack of
#: 30 projects had about 3,100, a 300-project pack 9,500 and the 2,000-project pack 35,000.  With
#: :func:`split_threshold` it tells, before the figures are loaded, whether the pack is likely to be split (from
#: about 200 projects at the default threshold).
ELEMENTS_PER_PROJECT = 30


class Helper:
    """A split pack's second process, started (:func:`helper_for`) before the pack's figures are loaded and its
    HTML built, so that its start (about 1.5 s of imports) overlaps them instead of delaying its first section.
    Closed by its context; a pack that turns out not to be split, or is kept, leaves it unused."""

    def __init__(self) -> None:
        self.pool = _second_process()
        self.warm = self.pool.submit(_warm_up)

    def close(self) -> None:
        # not waiting: a pack that was kept can be done before the warm-up is, and need not wait for it
        self.pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def helper_for(projects: int, cache_dir: Path | None = None):
    """A :class:`Helper` for a pack of ``projects`` projects when it will be split (its estimated elements,
    :data:`ELEMENTS_PER_PROJECT` a project, at least :func:`split_threshold`) and this process may split
    (not a document pool's worker); otherwise None.  None too when ``cache_dir`` (the pack's
    :func:`layout_cache_dir`) holds sections: a night's pack lays out only the few that changed, often on this
    process alone, and the early process would take a core from the figures' queries for nothing."""
    if (_IN_WORKER or projects * ELEMENTS_PER_PROJECT < split_threshold()
            or (cache_dir is not None and any(Path(cache_dir).glob("*.pdf")))):
        yield None
        return
    try:
        helper = Helper()
    except OSError as exc:  # no second process now: render_split tries again, and else lays out in one piece
        LOGGER.warning("pack split: the second process could not be started early (%s)", exc)
        yield None
        return
    try:
        yield helper
    finally:
        helper.close()


_LAYOUT_TAGS = re.compile(r"<html\b[^>]*>|<body\b[^>]*>|<link\b[^>]*>|<style\b.*?</style>|<base\b[^>]*>",
                          re.IGNORECASE | re.DOTALL)


def layout_head(head: str) -> list[str]:
    """The parts of a pack's head that its pages' layout depends on: the ``<html>`` and ``<body>`` tags (their
    language hyphenates), the stylesheet links (whose files :func:`~orchestration.reports.render.pack_code_version`
    covers), ``<style>`` and ``<base>``.  Not ``<title>`` or ``<meta>``, which hold the period and the time of
    rendering and reach the PDF through the frame only."""
    return _LAYOUT_TAGS.findall(head)


def layout_cache_dir(pdf: Path) -> Path:
    """Where a pack's sections' layout is kept: beside the period folders, not in them (the folder is what is
    handed out), ``reports/.layout/<period>/<pack name>/`` for ``reports/<period>/<pack name>.pdf``."""
    pdf = Path(pdf)
    return pdf.parent.parent / ".layout" / pdf.parent.name / pdf.stem


class SectionCache:
    """Each section's pages as last laid out (its PDF and :data:`PageMarks`), in ``directory``, under the
    sha256 of everything its layout depends on: the section's HTML (its figures and charts), what of the
    ``<head>`` lays pages out (:func:`layout_head`; not the title or the time in its metadata, which change with
    every render), :func:`~orchestration.reports.render.pack_code_version` (the templates,
    pack.css and this package's code) and WeasyPrint's version.  A night whose data changes a few sections of a
    large pack lays out only those.  After a pack is joined the directory keeps only its sections; an entry that
    cannot be read is laid out again."""

    def __init__(self, directory: Path, sections: PackSections) -> None:
        import weasyprint

        from .render import pack_code_version

        self.directory = Path(directory)
        common = hashlib.sha256()
        for text in (weasyprint.__version__, pack_code_version(), *layout_head(sections.head), _NO_MARGIN_BOXES):
            common.update(text.encode())
            common.update(b"\0")
        self.keys = []
        for section in sections.body:
            key = common.copy()
            key.update(section.encode())
            self.keys.append(key.hexdigest())

    def load(self) -> dict[int, tuple[bytes, list[PageMarks]]]:
        found: dict[int, tuple[bytes, list[PageMarks]]] = {}
        for i, key in enumerate(self.keys):
            try:
                pdf = (self.directory / f"{key}.pdf").read_bytes()
                marks = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found[i] = (pdf, [(dict(anchors), list(bookmarks), list(links)) for anchors, bookmarks, links in marks])
        return found

    def store(self, laid: dict[int, tuple[bytes, list[PageMarks]]]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for i, (pdf, marks) in laid.items():
            for suffix, data in ((".json", json.dumps(marks).encode()), (".pdf", pdf)):
                target = self.directory / f"{self.keys[i]}{suffix}"
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, target)  # the PDF last: an entry is read only when both are whole

    def keep_only_this_pack(self) -> None:
        keep = {f"{key}{suffix}" for key in self.keys for suffix in (".pdf", ".json")}
        for path in self.directory.glob("*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)


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
    """Draw ``body`` (a section's page) onto ``page`` (the frame's, in ``writer``) as a form XObject: its
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
