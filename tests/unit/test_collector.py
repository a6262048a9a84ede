"""orchestration/reports/collector.py: the cycle collector paused for a document and run once at its end."""
from __future__ import annotations

import gc
import pickle
import weakref

import pytest

from orchestration.reports import collector
from orchestration.reports.project import render_one
from orchestration.reports.split import lay_out_sections


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_holds_cycles_until_the_end_then_frees_them():
    with collector.paused():
        assert not gc.isenabled()
        refs = [weakref.ref(_Node()) for _ in range(5_000)]  # far past the 700 that start a collection
        assert all(r() is not None for r in refs)  # nothing collected inside
    assert gc.isenabled()
    assert all(r() is None for r in refs)  # one collection at the end freed them all


def test_nested_pause_leaves_the_outer_one_in_charge():
    with collector.paused():
        with collector.paused():
            ref = weakref.ref(_Node())
        assert not gc.isenabled()  # the inner block did not switch the collector back on
        assert ref() is not None
    assert gc.isenabled()
    assert ref() is None


def test_a_caller_that_switched_the_collector_off_keeps_it_off():
    gc.disable()
    with collector.paused():
        ref = weakref.ref(_Node())
    assert not gc.isenabled()
    assert ref() is not None  # not collected behind the caller's back
    gc.collect()
    assert ref() is None


def test_the_collector_comes_back_after_a_failure():
    with pytest.raises(RuntimeError, match="layout failed"):
        with collector.paused():
            ref = weakref.ref(_Node())
            raise RuntimeError("layout failed")
    assert gc.isenabled()
    assert ref() is None


def test_decorated_document_functions_still_reach_worker_processes():
    """The pool pickles the function it runs by name: the decorated one must be what the module holds."""
    for fn in (render_one, lay_out_sections):
        assert pickle.loads(pickle.dumps(fn)) is fn
    assert render_one.__wrapped__.__name__ == "render_one"


@pytest.mark.parametrize("caller_paused", [False, True])
def test_a_pack_split_frees_each_sections_cycles_before_the_next(monkeypatch, caller_paused):
    """The sections of a split pack are laid out one after another in one call: each is laid out with the
    collector paused, and its cycles are freed before the next starts, also when the caller (the pack's
    own pause) holds the collector off; holding them to the end cost the second process time."""
    from orchestration.reports import split

    refs: list[weakref.ref] = []
    seen = []

    def lay_out_part(part):
        seen.append((part, gc.isenabled(), [r() is None for r in refs]))
        refs.append(weakref.ref(_Node()))
        return part.encode(), []

    monkeypatch.setattr(split, "lay_out_part", lay_out_part)
    if caller_paused:
        with collector.paused():
            out = split.lay_out_sections(["a", "b", "c"])
    else:
        out = split.lay_out_sections(["a", "b", "c"])
    assert out == [(b"a", []), (b"b", []), (b"c", [])]
    assert seen == [("a", False, []), ("b", False, [True]), ("c", False, [True, True])]
    assert gc.isenabled()


def test_one_collection_returns_the_result_and_pauses_inside():
    seen = []

    @collector.one_collection
    def build(x):
        seen.append(gc.isenabled())
        return x * 2

    assert build(21) == 42
    assert seen == [False]
    assert gc.isenabled()
