"""Python's cycle collector paused while a document is built, and run once when it is done.

Laying out a document allocates hundreds of thousands of container objects (WeasyPrint's boxes and styles,
matplotlib's artists), and CPython's collector examines its youngest generation every 700 of them: about 6 %
of a project report's or a programme pack's CPU and 13 % of the 2,000-project portfolio pack's went to
collections that found little (bench/RESULTS.md, 2026-12-07).  :func:`paused` switches the automatic
collector off for the document and collects the youngest generation once at the end, where every object
the document allocated still is: the same garbage is freed, a document later.  Reference counting frees
everything that is not in a cycle as before; the cycles of one document are the extra memory it holds until
its end (about 7 % of the portfolio pack's peak).  A pack laid out section by section
(:func:`orchestration.reports.split.lay_out_sections`) collects after each section: holding a whole half of the
2,000-project pack's garbage to its end cost that process more than the collections it saved.

Nested or concurrent use is harmless: where the collector is already off (an outer document, or a caller
that switched it off), :func:`paused` changes nothing.
"""
from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The automatic collector off for the block; afterwards on again, and the youngest generation (every
    object allocated in the block that is still tracked) collected once."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def one_collection(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` run :func:`paused`: for a function that builds one document."""
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with paused():
            return fn(*args, **kwargs)
    return wrapper
