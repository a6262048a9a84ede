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
        assert fn.__wrapped__.__name__ == fn.__name__


def test_one_collection_returns_the_result_and_pauses_inside():
    seen = []

    @collector.one_collection
    def build(x):
        seen.append(gc.isenabled())
        return x * 2

    assert build(21) == 42
    assert seen == [False]
    assert gc.isenabled()
