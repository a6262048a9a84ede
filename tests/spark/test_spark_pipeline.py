"""``pmo run`` with ``engine: spark`` (issue #14): the same landing files run through the whole flow once on
DuckDB and once on Spark local[2], and what each published is compared.

* a small organisation (the generated demo's 5 projects over 4 months, in its tools' formats) with the
  hand-worked project HAND-1 (tests/fixtures/hand_project) beside it;
* the worked example LATE-13P (../shared/evm-oracle), 13 periods.

Every published mart must be the same on both engines: the same tables, columns and column types, and
rows (money exactly, doubles within 1e-9), and HAND-1's and LATE-13P's published answers are asserted on
the Spark run's ``serving.duckdb``. Marked ``spark``: ``make test-spark`` runs it, not ``make test``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.runner import run_period
from orchestration.demo.formats import write_vendor_exports
from orchestration.demo.generator import generate_demo
from orchestration.pipeline.spark_sources import compare_published
from orchestration.settings import init_home, load_settings
from tests.integration import test_late13p as late
from tests.integration.test_pipeline import assert_hand_project_figures, copy_hand_project

pytestmark = pytest.mark.spark

#: Columns that record when a run happened, not what it computed.
VOLATILE = ("loaded_at", "_loaded_at", "ingested_at", "published_at", "generated_at", "run_id", "built_at",
            "reported_run_id", "reported_at", "closed_at")


def _run(root: Path, engine: str, write_landing, last: str, first: str, monkeypatch: pytest.MonkeyPatch):
    """A home under ``root/engine`` whose landing folder ``write_landing`` fills, run from ``first`` to
    ``last`` (one build) on ``engine``; returns its settings."""
    home = root / engine
    monkeypatch.setenv("PMO_HOME", str(home))
    monkeypatch.setenv("PMO_ENGINE", engine)
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    settings = load_settings(home)
    assert settings.engine == engine
    init_home(settings)
    write_landing(settings.landing_dir)
    outcome = run_period(settings, last, start=first if first != last else None)
    assert outcome.success, (engine, outcome.failed_checks, outcome.failed_steps)
    return settings


def _assert_same_marts(duck, spark) -> dict[str, str]:
    verdicts = compare_published(duck.serving_path, spark.serving_path, ignore=VOLATILE)
    differ = {t: v for t, v in verdicts.items() if not v.startswith("equal")}
    assert not differ, f"published marts that differ between DuckDB and Spark: {differ}"
    return verdicts


def test_small_organisation_and_hand_project_on_both_engines(tmp_path, monkeypatch):
    def landing(folder: Path) -> None:
        summary = generate_demo(folder, seed=11, projects=5, months=4, as_of="2026-03")
        write_vendor_exports(folder, summary.files, "GBP")
        copy_hand_project(folder)

    duck = _run(tmp_path, "duckdb", landing, "2026-03", "2026-01", monkeypatch)
    spark = _run(tmp_path, "spark", landing, "2026-03", "2026-01", monkeypatch)

    # Spark built the marts: its Parquet tables are there, and what was published came from them.
    assert (spark.spark_warehouse_dir / "marts.db" / "fct_earned_value").is_dir()
    assert not (duck.home / "spark").exists()
    verdicts = _assert_same_marts(duck, spark)
    assert len(verdicts) >= 30
    with_rows = [t for t, v in verdicts.items() if v != "equal (0 rows)"]
    assert len(with_rows) >= 20, verdicts
    assert_hand_project_figures(spark)
    # the packs read the same figures
    for settings in (duck, spark):
        assert (settings.reports_dir / "2026-03" / "portfolio-pack.pdf").is_file()


@pytest.mark.skipif(not late.ORACLE.exists(), reason="shared/evm-oracle is not beside the repository")
def test_late_13p_on_both_engines(tmp_path, monkeypatch):
    rows = list(csv.DictReader(late.ORACLE.open()))

    def landing(folder: Path) -> None:
        late.write_landing(folder, rows)

    last = late.period(len(rows))
    duck = _run(tmp_path, "duckdb", landing, last, last, monkeypatch)
    spark = _run(tmp_path, "spark", landing, last, last, monkeypatch)
    _assert_same_marts(duck, spark)
    late.assert_published_answers(spark.serving_path, rows)
    con = duckdb.connect(str(spark.serving_path), read_only=True)
    try:
        periods = con.execute("select count(*) from marts.fct_earned_value where project_code = 'LATE-13P'").fetchone()
    finally:
        con.close()
    assert periods == (len(rows),)
