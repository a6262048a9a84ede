"""The pack loaders' catalogue lookups (orchestration/reports/catalog.py) and the S-curve drawn once a pack."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import duckdb
import pytest

from orchestration.reports import catalog
from orchestration.reports import render as R
from orchestration.reports.charts import SCurvePoint


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA marts")
    c.execute("CREATE SCHEMA quality")
    c.execute("CREATE TABLE marts.fct_a (project_code VARCHAR, cpi DOUBLE)")
    c.execute("CREATE VIEW marts.v_b AS SELECT 1 AS one")
    c.execute("CREATE TABLE quality.load_log (source_file VARCHAR)")
    c.execute("ATTACH ':memory:' AS other")
    c.execute("CREATE SCHEMA other.marts")
    c.execute("CREATE TABLE other.marts.fct_elsewhere (x INTEGER)")
    yield c
    c.close()


def test_lookups_read_the_connections_own_database(con):
    assert catalog.marts_tables(con) == {"fct_a", "v_b"}
    assert catalog.mart_columns(con, "fct_a") == {"project_code", "cpi"}
    assert catalog.mart_columns(con, "v_b") == {"one"}
    assert catalog.mart_columns(con, "fct_elsewhere") == set()  # the attached database's marts are not ours
    assert catalog.has_table(con, "quality", "load_log")
    assert not catalog.has_table(con, "quality", "fct_a")
    assert catalog.lacks_note(con, "fct_a", ["cpi", "spi"]) == "marts.fct_a in these figures lacks spi."
    assert catalog.lacks_note(con, "fct_none", ["cpi"]) == "The figures this pack is rendered from hold no marts.fct_none."


def test_remembered_reads_the_catalogue_once_and_forgets_it_after(con):
    with catalog.remembered(con):
        assert catalog.marts_tables(con) == {"fct_a", "v_b"}
        con.execute("CREATE TABLE marts.fct_new (x INTEGER)")
        # answered from the first reading: the block is for loaders that only read
        assert catalog.marts_tables(con) == {"fct_a", "v_b"}
        assert not catalog.has_table(con, "marts", "fct_new")
        # a caller's change to the answer does not change the remembered catalogue
        catalog.mart_columns(con, "fct_a").add("spi")
        assert catalog.mart_columns(con, "fct_a") == {"project_code", "cpi"}
    assert catalog._REMEMBERED == {}
    assert catalog.has_table(con, "marts", "fct_new")  # outside the block, read afresh
    assert catalog.marts_tables(con) == {"fct_a", "v_b", "fct_new"}


def test_remembered_is_per_connection(con):
    second = duckdb.connect()
    second.execute("CREATE SCHEMA marts")
    second.execute("CREATE TABLE marts.fct_second (y INTEGER)")
    try:
        with catalog.remembered(con), catalog.remembered(second):
            assert catalog.marts_tables(con) == {"fct_a", "v_b"}
            assert catalog.marts_tables(second) == {"fct_second"}
    finally:
        second.close()


def test_a_pack_draws_its_s_curve_once_for_its_hash_and_its_document(monkeypatch):
    drawn = []

    def counting(points, currency):
        drawn.append((len(points), currency))
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"

    monkeypatch.setattr(R, "s_curve_svg", counting)
    R._s_curve_uri.cache_clear()
    curve = (SCurvePoint("2026-11", Decimal("10"), Decimal("9"), Decimal("11"), Decimal("100")),
             SCurvePoint("2026-12", Decimal("20"), Decimal("18"), Decimal("21"), Decimal("100")))
    assert R._s_curve_uri(curve, "GBP") == R._s_curve_uri(curve, "GBP")
    assert drawn == [(2, "GBP")]
    other = (curve[0], replace(curve[1], ac=Decimal("22")))
    R._s_curve_uri(other, "GBP")
    assert drawn == [(2, "GBP"), (2, "GBP")]  # other figures, another chart
    R._s_curve_uri.cache_clear()


def test_the_pack_loaders_ask_the_catalogue_once_inside_remembered(tmp_path, monkeypatch):
    """A pack's whole load (check_marts, the pages, the appendix) reads information_schema once when remembered."""
    from tests.unit.test_pack_pages import PERIOD, build_board_serving  # the pack pages' test warehouse

    db = build_board_serving(tmp_path / "serving.duckdb")
    reads = []
    real = catalog._read
    monkeypatch.setattr(catalog, "_read", lambda c, schema=None: reads.append(schema) or real(c, schema))
    con = duckdb.connect(str(db), read_only=True)
    try:
        with catalog.remembered(con):
            R.check_marts(con, "test")
            R.load_pack_data(con, PERIOD)
            R.load_quality_appendix(con, None)
        assert reads == [None]
        reads.clear()
        R.load_pack_data(con, PERIOD)
        assert len(reads) > 10  # what each pack paid before
    finally:
        con.close()
