"""DuckDB's thread count: the usable CPUs, capped, so the memory limits hold on a machine showing many cores.

DuckDB's default is the host's core count.  A CI container limited to 2 CPUs but showing 32 ran the ingest
of the bad-input corpus out of its memory limit, 512 MB at the time (32 CSV readers' buffers at once); these tests pin the rule
that prevents it.
"""
from __future__ import annotations

import pytest

from orchestration import warehouse


def test_default_is_the_usable_cpus_capped_at_four(monkeypatch):
    monkeypatch.delenv(warehouse.THREADS_ENV, raising=False)
    monkeypatch.setattr(warehouse, "available_cpus", lambda: 32)
    assert warehouse.duckdb_threads() == 4
    monkeypatch.setattr(warehouse, "available_cpus", lambda: 2)
    assert warehouse.duckdb_threads() == 2


def test_the_setting_overrides_and_a_bad_value_is_named(monkeypatch):
    monkeypatch.setenv(warehouse.THREADS_ENV, "7")
    assert warehouse.duckdb_threads() == 7
    monkeypatch.setenv(warehouse.THREADS_ENV, "lots")
    with pytest.raises(ValueError, match="PMO_DUCKDB_THREADS='lots' is not a whole number"):
        warehouse.duckdb_threads()
    monkeypatch.setenv(warehouse.THREADS_ENV, "0")
    with pytest.raises(ValueError, match="at least one thread"):
        warehouse.duckdb_threads()


def test_every_connection_gets_the_thread_count(monkeypatch):
    monkeypatch.delenv(warehouse.THREADS_ENV, raising=False)
    monkeypatch.setattr(warehouse, "available_cpus", lambda: 64)
    with warehouse.connect() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 4
    monkeypatch.setenv(warehouse.THREADS_ENV, "1")
    with warehouse.connect() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_usable_cpus_follow_the_affinity_mask():
    assert 1 <= warehouse.available_cpus() <= len(__import__("os").sched_getaffinity(0))
