"""A large pack laid out in two parts (orchestration/reports/split.py): where it is cut, when it is not split,
and a small pack of four sections written both ways.  The real portfolio pack's comparison is in
tests/integration/test_pack_layout.py."""
from __future__ import annotations

import io
import logging

import pypdf
import pytest

from orchestration.reports import split as S
from orchestration.reports.render import html_document
from tests.pdf_structure import links, outline

HEAD = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Pack</title>\n' \
       '<link rel="stylesheet" href="pack.css">\n</head>\n<body>\n'
COVER = ('<section class="cover">\n<h1>Portfolio pack</h1>\n<h2 class="cover-period">March 2026</h2>\n'
         '<dl><dt>Status date</dt><dd class="status-date">2026-03-31</dd>'
         '<dt>Generated</dt><dd class="generated">2026-04-02</dd>'
         '<dt>Rule</dt><dd class="rule-version">PMO-RAG-2</dd></dl>\n</section>\n')
CONTENTS = ('<section class="toc-section" id="contents">\n<h2>Contents</h2>\n<ol class="toc">\n'
            '<li><a href="#alpha">Alpha</a></li><li><a href="#beta">Beta</a></li>'
            '<li><a href="#gamma">Gamma</a></li><li><a href="#delta">Delta</a></li>\n</ol>\n</section>\n')


def section(anchor: str, title: str, rows: int) -> str:
    lines = "".join(f"<tr><td>{title} line {i}</td><td>{i * 7}</td></tr>" for i in range(rows))
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n<table>{lines}</table>\n</section>\n'


# Alpha and Gamma run over two pages each (45 lines), Beta and Delta fit on one
BODY = [section("alpha", "Alpha", 45), section("beta", "Beta", 5), section("gamma", "Gamma", 45),
        section("delta", "Delta", 5)]
PACK = HEAD + COVER + CONTENTS + "".join(BODY) + "</body>\n</html>\n"


def test_a_pack_is_cut_at_its_top_level_sections():
    cut = S.cut_sections(PACK)
    assert cut is not None
    assert cut.head == HEAD and cut.tail == "</body>\n</html>\n"
    assert cut.front == (COVER, CONTENTS) and cut.body == tuple(BODY)
    assert cut.part(cut.body[:1]) == HEAD + BODY[0] + cut.tail
    assert cut.part(cut.body[:1], "<style></style>\n").startswith(HEAD.replace("</head>", "<style></style>\n</head>"))
    assert S.cut_sections(HEAD + COVER + "".join(BODY) + "</body></html>") is None  # no contents page
    assert S.cut_sections("<html><body><p>a report</p></body></html>") is None


def test_the_sections_are_shared_out_by_their_elements(monkeypatch):
    # each line is 3 elements (tr, td, td); a section adds section, h2 and table
    weights = [S.weight(s) for s in BODY]
    assert weights == [138, 18, 138, 18]
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    monkeypatch.setattr(S, "START_ELEMENTS", 0)
    # the heaviest first, each to the process with less work: 138 + 18 here, 138 + 18 in the second process
    assert S.assign(weights, range(4)) == ([0, 1], [2, 3])
    assert S.assign([10, 500, 30, 400, 60], range(5)) == ([1], [0, 2, 3, 4])  # 500 | 400 + 60 + 30 + 10
    # the second process starts behind by what starting it costs
    monkeypatch.setattr(S, "START_ELEMENTS", 200)
    assert S.assign(weights, range(4)) == ([0, 2], [1, 3])  # 276 | 200 + 36, against 312 all here
    monkeypatch.setattr(S, "START_ELEMENTS", 400)
    assert S.assign(weights, range(4)) == ([0, 1, 2, 3], [])  # 312 | 400 + 0
    monkeypatch.setattr(S, "START_ELEMENTS", 200)
    assert S.assign([10, 500, 30, 400, 60], range(5)) == ([0, 1, 2, 4], [3])  # 600 | 200 + 400
    # what is left to lay out (the rest from the cache) is under the threshold: no second process
    monkeypatch.setattr(S, "START_ELEMENTS", 0)
    assert S.assign(weights, [1, 3]) == ([1, 3], [])


def test_the_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(S.SPLIT_ENV, raising=False)
    assert S.split_threshold() == S.DEFAULT_SPLIT_ELEMENTS
    monkeypatch.setenv(S.SPLIT_ENV, "400")
    assert S.split_threshold() == 400
    for bad in ("many", "0"):
        monkeypatch.setenv(S.SPLIT_ENV, bad)
        with pytest.raises(ValueError, match=S.SPLIT_ENV):
            S.split_threshold()


def test_a_small_pack_or_one_in_a_document_worker_is_laid_out_whole(monkeypatch):
    written = []
    monkeypatch.delenv(S.SPLIT_ENV, raising=False)
    assert S.render_split(PACK, written.append) is False  # 312 elements, under the default
    monkeypatch.setenv(S.SPLIT_ENV, "1")
    monkeypatch.setattr(S, "_IN_WORKER", True)
    assert S.render_split(PACK, written.append) is False
    assert written == []


def test_a_pack_laid_out_in_two_parts_has_the_pages_of_the_whole(monkeypatch):
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    monkeypatch.setattr(S, "START_ELEMENTS", 0)  # Alpha and Beta here, Gamma and Delta in the second process
    written: list[bytes] = []
    assert S.render_split(PACK, written.append) is True
    split = pypdf.PdfReader(io.BytesIO(written[0]))
    whole = pypdf.PdfReader(io.BytesIO(html_document(PACK).write_pdf()))
    # cover, contents, Alpha 2 pages, Beta, Gamma 2 pages, Delta
    assert len(split.pages) == len(whole.pages) == 8
    texts = [page.extract_text() for page in split.pages]
    assert texts == [page.extract_text() for page in whole.pages]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of 8" in text
    for text in texts[1:]:  # the running header, from the cover's strings, on every page but the cover
        assert "Portfolio pack · March 2026" in text and "Status date 2026-03-31" in text
    assert "Generated 2026-04-02 · RAG rule PMO-RAG-2" in texts[6]
    # the contents' page numbers, links and the bookmarks point where the sections are
    assert [line.split(".")[-1].strip() for line in texts[1].splitlines() if line.startswith(("Alpha", "Beta", "Gamma",
                                                                                       "Delta"))] == ["3", "5", "6", "8"]
    assert "Beta line 4" in texts[4] and "Delta line 4" in texts[7]
    assert links(split) == links(whole)  # WeasyPrint's rectangles: the entry's boxes, on the contents page
    assert {(page, target) for page, target, _ in links(split)} == {(1, t) for t in ("alpha", "beta", "gamma", "delta")}
    assert outline(split) == outline(whole)
    assert [(title, page) for _, title, page in outline(split)][-4:] == [("Alpha", 2), ("Beta", 4), ("Gamma", 5),
                                                                          ("Delta", 7)]
    assert {k: split.get_destination_page_number(v) for k, v in split.named_destinations.items()} == {
        "contents": 1, "alpha": 2, "beta": 4, "gamma": 5, "delta": 7}


def test_a_frame_page_out_of_place_falls_back_to_the_whole_pack(monkeypatch, caplog):
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    frame_html = S._frame_html
    # one empty page too few: the markers after it land a page early
    monkeypatch.setattr(S, "_frame_html", lambda sections, marks: frame_html(sections, marks).replace(
        f'<section class="pmo-frame"><div id="{S._MARK}0"></div>', '<div id="moved">', 1))
    written: list[bytes] = []
    with caplog.at_level(logging.WARNING, logger=S.__name__):
        assert S.render_split(PACK, written.append) is False
    assert written == []
    assert "did not land" in caplog.text


def test_a_section_unchanged_since_the_last_render_is_not_laid_out_again(monkeypatch, tmp_path):
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    cache = tmp_path / ".layout" / "2026-03" / "portfolio-pack"
    first: list[bytes] = []
    assert S.render_split(PACK, first.append, cache_dir=cache) is True
    assert len(list(cache.glob("*.pdf"))) == len(list(cache.glob("*.json"))) == 4  # one entry a section

    laid_out: list[str] = []
    real = S.lay_out_part
    monkeypatch.setattr(S, "lay_out_part", lambda html: laid_out.append(html) or real(html))
    again: list[bytes] = []
    assert S.render_split(PACK, again.append, cache_dir=cache) is True
    assert laid_out == []  # every section from the cache
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(again[0])).pages]
    assert texts == [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(first[0])).pages]

    # a night's data moves Beta onto two pages: Beta alone is laid out, and Gamma and Delta move down a page
    changed = PACK.replace(BODY[1], section("beta", "Beta", 40))
    written: list[bytes] = []
    assert S.render_split(changed, written.append, cache_dir=cache) is True
    assert len(laid_out) == 1 and "Beta line 39" in laid_out[0]
    split = pypdf.PdfReader(io.BytesIO(written[0]))
    whole = pypdf.PdfReader(io.BytesIO(html_document(changed).write_pdf()))
    assert [p.extract_text() for p in split.pages] == [p.extract_text() for p in whole.pages]
    assert len(split.pages) == 9 and "Page 9 of 9" in split.pages[8].extract_text()
    assert outline(split) == outline(whole) and links(split) == links(whole)
    assert len(list(cache.glob("*.pdf"))) == 4  # the old Beta's entry is gone

    # an entry that cannot be read is laid out again
    for path in cache.glob("*.json"):
        path.write_text("not json", encoding="utf-8")
    laid_out.clear()
    assert S.render_split(changed, written.append, cache_dir=cache) is True
    assert len(laid_out) == 4
    assert [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(written[-1])).pages] == [
        p.extract_text() for p in whole.pages]


def test_a_sections_key_leaves_out_the_title_and_time_of_rendering(tmp_path):
    def keys(html: str) -> list[str]:
        sections = S.cut_sections(html)
        assert sections is not None
        return S.SectionCache(tmp_path, sections).keys

    base = keys(PACK)
    assert len(set(base)) == 4
    later = PACK.replace("<title>Pack</title>", '<title>Pack</title>\n<meta name="dcterms.created" content="2026-04-03">')
    assert keys(later) == base  # rendered again at another time: the same layout
    assert keys(PACK.replace('<html lang="en">', '<html lang="fr">')) != base  # hyphenated in French
    assert keys(PACK.replace("Beta line 4<", "Beta line four<"))[1] != base[1]
    assert keys(PACK.replace("Beta line 4<", "Beta line four<"))[::2] == base[::2]


def test_a_cache_that_cannot_be_written_does_not_stop_the_pack(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    written: list[bytes] = []
    with caplog.at_level(logging.WARNING, logger=S.__name__):
        assert S.render_split(PACK, written.append, cache_dir=blocked / "portfolio-pack") is True
    assert "not kept" in caplog.text
    assert len(pypdf.PdfReader(io.BytesIO(written[0])).pages) == 8


def test_a_second_process_started_early_lays_out_the_same_pages(monkeypatch):
    """The helper started before a large portfolio pack's figures are loaded (S.helper_for) is the second
    process render_split uses: no other is started, it counts as already running when the sections are shared
    out, and the pack is the same as laid out with a process started on the spot."""
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    monkeypatch.setattr(S, "START_ELEMENTS", 500)  # a process started on the spot would get no section
    monkeypatch.setattr(S, "WARM_START_ELEMENTS", 0)
    assert S.assign([S.weight(s) for s in BODY], range(4)) == ([0, 1, 2, 3], [])
    on_the_spot: list[bytes] = []
    assert S.render_split(PACK, on_the_spot.append) is True
    started = []
    second_process = S._second_process
    monkeypatch.setattr(S, "_second_process", lambda: started.append(1) or second_process())
    with S.helper_for(projects=10) as helper:  # 10 projects x 30 elements is above the threshold of 100
        assert isinstance(helper, S.Helper) and started == [1]
        helper.warm.result(timeout=120)
        laid = []
        lay_out = S.lay_out_part  # in this process only: the helper imported the module on its own
        monkeypatch.setattr(S, "lay_out_part", lambda part: laid.append(1) or lay_out(part))
        early: list[bytes] = []
        assert S.render_split(PACK, early.append, helper=helper) is True
    assert started == [1]  # render_split used the helper's process
    assert len(laid) == 2  # this process laid out two sections; the helper, counted as started, the other two
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(early[0])).pages]
    assert texts == [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(on_the_spot[0])).pages]


def test_no_second_process_is_started_early_for_a_small_pack_or_in_a_worker(monkeypatch):
    monkeypatch.setenv(S.SPLIT_ENV, "6000")
    with S.helper_for(projects=30) as helper:  # a demo's pack: about 3,100 elements
        assert helper is None
    monkeypatch.setattr(S, "_IN_WORKER", True)
    with S.helper_for(projects=2_000) as helper:
        assert helper is None


def test_no_second_process_is_started_early_when_the_packs_sections_are_kept(monkeypatch, tmp_path):
    """A pack rendered before in its folder keeps its sections' layout: the night's render lays out the few that
    changed, so nothing is started before it knows which."""
    monkeypatch.setenv(S.SPLIT_ENV, "100")
    cache = tmp_path / ".layout" / "2026-11" / "portfolio-pack"
    with S.helper_for(projects=2_000, cache_dir=cache) as helper:  # no folder yet: a first render
        assert isinstance(helper, S.Helper)
    cache.mkdir(parents=True)
    (cache / "0123.pdf").write_bytes(b"%PDF")
    with S.helper_for(projects=2_000, cache_dir=cache) as helper:
        assert helper is None
