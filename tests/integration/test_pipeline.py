"""The whole flow through Dagster on a small demo organisation plus the hand-worked project HAND-1.

HAND-1 (tests/fixtures/hand_project), GBP, worked by hand:

Baseline (summary task T0 excluded): T1 2026-01-01..01-31 31,000; T2 2026-02-01..03-31 (59 days) 59,000;
T3 2026-04-01..04-30 30,000.  BAC = 120,000; baseline periods 2026-01..2026-04, PD = 4.
PV at period ends: Jan 31,000; Feb 31,000 + 28/59*59,000 = 59,000; Mar 90,000; Apr 120,000.
EV: Jan 80% of T1 = 24,800; Feb 31,000 + 25% of 59,000 = 45,750; Mar 31,000 + 60% of 59,000 = 66,400.
AC (labour at 50/h to 2026-02-15, 60/h from 02-16; duplicate and rejected rows not costed; the ledger's
labour line not added):
  Jan 5 x 8 h x 50 = 2,000 + subcontract 28,000                      = 30,000
  Feb 8 h x 50 + 8 h x 60 = 880 + material 20,000             cum.   = 50,880
  Mar 10 h x 60 = 600 + 12,000 - 20,000 (reversal) + 15,000   cum.   = 58,480
March: CPI = 66,400 / 58,480 = 1.1354309...; SPI = 66,400 / 90,000 = 0.7377...
ES: PV_2 = 59,000 <= 66,400 < PV_3 = 90,000 -> C = 2, I = 7,400 / 31,000; ES = 2.2387096...; AT = 3;
SPI(t) = 0.7462365...; IEAC(t) = 4 / SPI(t) = 5.3602305...; EAC(CPI) = 120,000 / CPI = 105,686.75;
VAC = 14,313.25.
February: CPI = 45,750 / 50,880 = 0.8991745...; ES = 1 + 14,750 / 28,000 = 1.5267857...
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from pypdf import PdfReader

from orchestration.demo.generator import generate_demo
from orchestration.demo.formats import write_vendor_exports
from orchestration.cli.runner import run_period
from orchestration.defs.dbt import DBT_LOG_LEVEL_ENV
from orchestration.defs import dbt_warm
from orchestration.defs.dbt_keep import KEEP_ENV
from orchestration.settings import init_home, load_settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
PERIODS = ["2026-02", "2026-03"]
#: HAND-1's actual cost to the end of March, worked by hand (assert_hand_project_figures).
HAND_AC_2026_03 = 58_480


def copy_hand_project(landing: Path) -> None:
    for entity_dir in FIXTURE.iterdir():
        if entity_dir.is_dir():
            for f in entity_dir.iterdir():
                (landing / entity_dir.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(f, landing / entity_dir.name / f.name)


def serving_rows(settings, sql, params=()):
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def marts_fingerprint(settings) -> dict[str, str]:
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("select table_name from information_schema.tables "
                                    "where table_schema = 'marts' order by 1").fetchall():
            rows = con.execute(f"select * from marts.{table} order by all").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("home")
    monkeypatch_module.setenv("PMO_HOME", str(root))
    monkeypatch_module.delenv("PMO_REPORTING_CURRENCY", raising=False)
    # dbt's debug log, which test_no_build_parses_the_whole_project_again reads (the default is info)
    monkeypatch_module.setenv(DBT_LOG_LEVEL_ENV, "debug")
    settings = load_settings(root)
    init_home(settings)
    summary = generate_demo(settings.landing_dir, seed=11, projects=5, months=4, as_of="2026-03")
    # as `pmo demo` does: schedules, timesheets, Jira issues and the ledger in their tools' formats
    write_vendor_exports(settings.landing_dir, summary.files, settings.reporting_currency)
    copy_hand_project(settings.landing_dir)
    outcomes = [run_period(settings, p) for p in PERIODS]
    for o in outcomes:
        assert o.success, (o.failed_checks, o.failed_steps)
    return settings


def test_hand_project_figures_in_the_mart(home):
    assert_hand_project_figures(home)


def assert_hand_project_figures(home) -> None:
    """HAND-1's figures, worked by hand (this module's docstring), in the published fct_earned_value of
    ``home`` (also tests/spark/test_spark_pipeline.py's, on Spark)."""
    rows = serving_rows(home, "select period, status_date::varchar, currency, bac, pv, ev, ac, cpi, spi, es, \"at\", "
                              "spi_t, sv_t, ieac_t, eac_cpi, vac from marts.fct_earned_value "
                              "where project_code = 'HAND-1' order by period")
    by_period = {r[0]: r for r in rows}
    assert list(by_period) == ["2026-01", "2026-02", "2026-03"]
    _, status_date, currency, bac, pv, ev, ac, cpi, spi, es, at, spi_t, sv_t, ieac_t, eac_cpi, vac = by_period["2026-03"]
    assert status_date == "2026-03-31" and currency == "GBP"
    assert float(bac) == pytest.approx(120_000, abs=1e-6)
    assert float(pv) == pytest.approx(90_000, abs=1e-6)
    assert float(ev) == pytest.approx(66_400, abs=1e-6)
    assert float(ac) == pytest.approx(58_480, abs=1e-6)
    assert cpi == pytest.approx(66_400 / 58_480, rel=1e-9)
    assert spi == pytest.approx(66_400 / 90_000, rel=1e-9)
    assert es == pytest.approx(2 + 7_400 / 31_000, rel=1e-9)
    assert at == 3
    assert spi_t == pytest.approx((2 + 7_400 / 31_000) / 3, rel=1e-9)
    assert sv_t == pytest.approx(2 + 7_400 / 31_000 - 3, rel=1e-9)
    assert ieac_t == pytest.approx(4 / ((2 + 7_400 / 31_000) / 3), rel=1e-9)
    assert float(eac_cpi) == pytest.approx(120_000 * 58_480 / 66_400, abs=1e-4)
    assert float(vac) == pytest.approx(120_000 - 120_000 * 58_480 / 66_400, abs=1e-4)
    feb = by_period["2026-02"]
    assert float(feb[6]) == pytest.approx(50_880, abs=1e-6)
    assert feb[7] == pytest.approx(45_750 / 50_880, rel=1e-9)
    assert feb[9] == pytest.approx(1 + 14_750 / 28_000, rel=1e-9)
    jan = by_period["2026-01"]
    assert (float(jan[4]), float(jan[5]), float(jan[6])) == pytest.approx((31_000, 24_800, 30_000))


def test_a_row_for_every_project_and_period_since_baseline_start(home):
    dims = serving_rows(home, "select project_code, first_baseline_period from marts.dim_project")
    facts = serving_rows(home, "select project_code, period from marts.fct_earned_value")
    have = {}
    for code, period in facts:
        have.setdefault(code, set()).add(period)
    for code, first in dims:
        if first is None or first > "2026-03":
            assert code not in have  # not started by the reporting period: no rows
            continue
        y, m = map(int, first.split("-"))
        expected = set()
        while (y, m) <= (2026, 3):
            expected.add(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        assert have.get(code) == expected, code
    columns = [r[0] for r in serving_rows(
        home, "select column_name from information_schema.columns where table_schema='marts' "
              "and table_name='fct_earned_value' order by ordinal_position")]
    assert columns[:27] == [
        "project_code", "period", "status_date", "currency", "bac", "pv", "ev", "ac", "sv", "cv", "sv_pct",
        "cv_pct", "spi", "cpi", "eac_cpi", "eac_atypical", "eac_composite", "etc", "vac", "tcpi_bac", "tcpi_eac",
        "es", "at", "sv_t", "spi_t", "ieac_t", "forecast_finish_date"]


def test_rollups_are_ratios_of_sums(home):
    rows = serving_rows(home, """
        select p.portfolio, p.cpi, sum(f.ev) / sum(f.ac), p.bac, sum(f.bac), p.project_count, count(*)
        from marts.fct_portfolio_earned_value p
        join marts.fct_earned_value f on f.period = p.period
        join marts.dim_project d on d.project_code = f.project_code and d.portfolio = p.portfolio
        where p.period = '2026-03' group by all""")
    assert rows
    for portfolio, cpi, expected_cpi, bac, sum_bac, count, n in rows:
        assert float(bac) == pytest.approx(float(sum_bac), abs=1e-6), portfolio
        assert count == n
        if cpi is not None:
            assert cpi == pytest.approx(float(expected_cpi), rel=1e-9)


def test_parquet_and_pack_published(home):
    for mart in ("fct_earned_value", "dim_project", "fct_programme_earned_value", "fct_portfolio_earned_value"):
        assert (home.parquet_dir / f"{mart}.parquet").exists()
    for period in PERIODS:
        assert (home.reports_dir / period / "portfolio-pack.pdf").exists()
    con = duckdb.connect()
    n = con.execute(f"select count(*) from '{home.parquet_dir / 'fct_earned_value.parquet'}'").fetchone()[0]
    assert n == serving_rows(home, "select count(*) from marts.fct_earned_value")[0][0]


def test_pack_numbers_equal_the_mart(home):
    text = "\n".join(page.extract_text() for page in PdfReader(home.reports_dir / "2026-03" / "portfolio-pack.pdf").pages)
    assert "March 2026" in text
    codes = [r[0] for r in serving_rows(home, "select project_code from marts.fct_earned_value where period='2026-03'")]

    def row(heading: str) -> str:
        """HAND-1's row of the table under ``heading``, wrapped cells joined, up to the next project's code."""
        start = text.index("HAND-1 Hand-checked refit", text.index(heading))
        ends = [i for i in (text.find(c, start + 6) for c in codes if c != "HAND-1") if i != -1]
        ends += [i for i in (text.find(m, start) for m in ("Portfolio:", "Active = ", "Ratings from")) if i != -1]
        return " ".join(text[start:min(ends)].split())

    # the project earned-value table (pages before it, such as the executive summary, may name the project too):
    # CPI 1.14, SPI(t) 0.75, EAC 105,687, VAC 14,313 (rounded at render time only)
    line = row("Project earned value —")
    for figure in ("1.14", "0.75", "105,687", "14,313"):
        assert figure in line, (figure, line)
    # The dashboard's RAG cells are the mart's (fct_project_status): CPI 1.135 > 1.10 and SPI(t) 0.746 < 0.90 are
    # red. Its columns: cost, schedule, quality (PMO-RAG-2; HAND-1 has no quality data: not rated), benefits, risk,
    # overall.
    [ratings] = serving_rows(home, "select rag_cost, rag_schedule, rag_quality, rag_benefits, rag_risk, rag_overall "
                                   "from marts.fct_project_status where project_code = 'HAND-1' and period = '2026-03'")
    assert ratings[0] == "red" and ratings[1] == "red" and ratings[2] is None and ratings[5] == "red"
    assert " ".join((r or "n/a").replace("red", "Red").replace("amber", "Amber").replace("green", "Green")
                    for r in ratings) in row("RAG dashboard —")
    for code in codes:
        assert code in text


def test_a_second_run_gives_identical_marts(home, monkeypatch):
    before = marts_fingerprint(home)
    monkeypatch.delenv(DBT_LOG_LEVEL_ENV)  # this run with dbt's default file log
    monkeypatch.setenv(KEEP_ENV, "off")  # and every node built, so that the log has a line for each
    warmed = []
    start_warm = dbt_warm.WarmDbt.__init__

    def recorded(self, *args, **kwargs):
        start_warm(self, *args, **kwargs)
        warmed.append(self)

    monkeypatch.setattr(dbt_warm.WarmDbt, "__init__", recorded)
    outcome = run_period(home, "2026-03")
    assert outcome.success
    # dbt ran in the run's warm process (orchestration/defs/dbt_warm.py), which then ended with dbt's status
    assert [w.process.returncode for w in warmed] == [0]
    assert marts_fingerprint(home) == before
    assert serving_rows(home, "select count(*) from marts.fct_earned_value where project_code='HAND-1'")[0][0] == 3
    # dbt's log file of that build: info lines only (each node's result), no debug lines (every statement)
    def json_lines(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text(errors="replace").splitlines() if line.startswith("{")]

    logs = home.dbt_target_dir / "build"
    last = json_lines(logs / "dbt.log")[-1]["info"]["invocation_id"]
    lines = [line for p in logs.glob("dbt.log*") for line in json_lines(p)]
    levels = Counter(line["info"]["level"] for line in lines if line["info"]["invocation_id"] == last)
    assert levels["debug"] == 0 and levels["info"] > 100, levels
    assert {line["info"]["pid"] for line in lines if line["info"]["invocation_id"] == last} == {warmed[0].process.pid}
    assert any(line["info"]["level"] == "debug" for line in lines)  # the earlier builds' debug log


def _build_results(settings) -> list[dict]:
    """The node results of the last dbt build (its hooks left out)."""
    results = json.loads((settings.dbt_target_dir / "build" / "run_results.json").read_text())["results"]
    return [r for r in results if not r["unique_id"].startswith("operation.")]


def _built_nodes(settings) -> set[str]:
    """The unique_ids the last dbt build was given (the nodes the run did not keep)."""
    return {r["unique_id"] for r in _build_results(settings)}


def _unchanged_nodes(settings) -> set[str]:
    """The unique_ids the last dbt build did not run again, their inputs being those of their last build
    (dbt_project/macros/unchanged_inputs.sql)."""
    return {r["unique_id"] for r in _build_results(settings)
            if (r.get("adapter_response") or {}).get("code") == "UNCHANGED"}


def _summary(outcome) -> dict:
    return json.loads(Path(outcome.summary_path).read_text())


def test_a_run_whose_sources_did_not_change_keeps_every_dbt_node(home):
    """Nothing landed since the last build: dbt builds no node, the marts are the same, and the run's quality
    summary still reports every check with the outcome it had (orchestration/defs/dbt_keep.py)."""
    before = marts_fingerprint(home)
    full = run_period(home, "2026-03")  # the state of a build of every node (the previous test's was not kept)
    assert full.success
    results = home.dbt_target_dir / "build" / "run_results.json"
    built_before = results.stat().st_mtime_ns
    kept = run_period(home, "2026-03")
    assert kept.success, (kept.failed_checks, kept.failed_steps)
    assert results.stat().st_mtime_ns == built_before  # dbt was not started
    assert marts_fingerprint(home) == before
    with DagsterInstance.get() as instance:
        records = instance.fetch_materializations(AssetKey(["marts", "fct_earned_value"]), limit=1).records
    assert records[0].run_id == kept.run_id
    assert "pmo/kept" in records[0].asset_materialization.metadata
    first, second = _summary(full), _summary(kept)
    assert second["counts"] == first["counts"] and second["counts"]["run"] > 100
    assert ({(c["check"], c["outcome"]) for c in second["checks"]}
            == {(c["check"], c["outcome"]) for c in first["checks"]})


def _hand_timesheet(home, name: str, work_date: str, entry_id: str) -> Path:
    """A timesheet file of one approved entry: six hours of H1 on HAND-1's task T2 on ``work_date``."""
    path = home.landing_dir / "timesheets" / name
    path.write_text("work_date,person_id,person_name,project_code,task_code,hours,role,approval_status,entry_id\n"
                    f"{work_date},H1,Hana Example,HAND-1,T2,6,engineer,approved,{entry_id}\n")
    return path


def test_a_new_timesheet_file_rebuilds_only_what_reads_timesheets(home, monkeypatch):
    """A night's timesheet file: the build runs the nodes downstream of raw.timesheets and keeps the rest, and
    the marts are those a build of every node gives from the same rows. The file's removal is a change too."""
    import orchestration.defs.dbt_keep as keep

    night = _hand_timesheet(home, "hand-night.csv", "2026-03-02", "HAND-TS-NIGHT")
    try:
        outcome = run_period(home, "2026-03")
        assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
        built = _built_nodes(home)
        manifest = json.loads((home.dbt_target_dir / "manifest.json").read_text())
        downstream = keep.reached_from(manifest, ["source.pmo_warehouse.raw.timesheets"])
        assert built and built <= downstream
        assert "model.pmo_warehouse.int_timesheets_costed" in built
        assert "model.pmo_warehouse.fct_earned_value" in built
        # March's AC moves, so the earned value chain runs (it is not replayed as unchanged)
        assert {"model.pmo_warehouse.int_timesheets_costed", "model.pmo_warehouse.fct_earned_value",
                "test.pmo_warehouse.assert_ac_equals_timesheets_and_ledger"}.isdisjoint(_unchanged_nodes(home))
        # the run's log says what was kept and why, beside dbt's own output
        log = Path(outcome.log_path).read_text()
        assert "nodes kept; changed sources: raw.timesheets" in log
        assert "Running dbt command" in log and "START sql table_by_source_file model" in log
        assert "model.pmo_warehouse.int_tasks_classified" not in built  # tasks did not change
        assert "model.pmo_warehouse.fct_baseline_history" not in built
        # a test of a rebuilt mart against a kept one runs (dbt's eager exclusion would have dropped it)
        assert any(uid.startswith("test.pmo_warehouse.relationships_fct_earned_value_project_code") for uid in built)
        incremental = marts_fingerprint(home)
        # six more hours at H1's rate from 2026-02-16 (60 an hour) in March
        assert serving_rows(home, "select ac from marts.fct_earned_value where project_code = 'HAND-1' "
                                  "and period = '2026-03'")[0][0] == pytest.approx(HAND_AC_2026_03 + 360)
        monkeypatch.setenv(keep.KEEP_ENV, "off")
        full = run_period(home, "2026-03")
        assert full.success
        assert len(_built_nodes(home)) > len(built)
        assert _unchanged_nodes(home) == set()  # PMO_DBT_KEEP=off runs every node
        assert marts_fingerprint(home) == incremental
        # every check reported both ways, with the same outcome
        assert ({(c["check"], c["outcome"]) for c in _summary(outcome)["checks"]}
                == {(c["check"], c["outcome"]) for c in _summary(full)["checks"]})
        monkeypatch.delenv(keep.KEEP_ENV)
    finally:
        night.unlink()
    before = marts_fingerprint(home)
    outcome = run_period(home, "2026-03")
    assert outcome.success
    assert "model.pmo_warehouse.int_timesheets_costed" in _built_nodes(home)
    assert marts_fingerprint(home) != before
    assert serving_rows(home, "select ac from marts.fct_earned_value where project_code = 'HAND-1' "
                              "and period = '2026-03'")[0][0] == pytest.approx(HAND_AC_2026_03)


def test_timesheets_after_the_period_rerun_only_what_reads_them_before_the_monthly_sums(home):
    """A timesheet file of the month after the reporting period: the priced lines take its row, but the monthly
    actual costs up to the period come out the same, so what reads them is reported unchanged without running
    (dbt_project/macros/unchanged_inputs.sql), and every mart is the same as before the file landed."""
    first = run_period(home, "2026-03")
    assert first.success
    before = marts_fingerprint(home)
    later = _hand_timesheet(home, "hand-april.csv", "2026-04-01", "HAND-TS-APRIL")
    try:
        outcome = run_period(home, "2026-03")
        assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
        unchanged = _unchanged_nodes(home)
        ran = _built_nodes(home) - unchanged
        assert "model.pmo_warehouse.int_timesheets_costed" in ran
        assert "model.pmo_warehouse.int_actual_costs_monthly" in ran  # rebuilt into the same rows
        # what reads the monthly sums, the AC accumulations and the labour reconciliation first
        assert {"model.pmo_warehouse.int_actual_costs_accumulated",
                "model.pmo_warehouse.int_task_actual_costs_accumulated",
                "test.pmo_warehouse.assert_ledger_labour_within_tolerance",
                "model.pmo_warehouse.fct_earned_value", "model.pmo_warehouse.fct_task_earned_value",
                "test.pmo_warehouse.assert_bac_equals_current_baseline_tasks"} <= unchanged
        assert marts_fingerprint(home) == before
        assert serving_rows(home, "select ac from marts.fct_earned_value where project_code = 'HAND-1' "
                                  "and period = '2026-03'")[0][0] == pytest.approx(HAND_AC_2026_03)
        assert f"{len(ran)} of {len(ran) + len(unchanged)} selected nodes run; {len(unchanged)} had the inputs " \
            "of their last build" in Path(outcome.log_path).read_text()
        # every check reported, with the outcome it had (a replayed test's included)
        assert ({(c["check"], c["outcome"]) for c in _summary(outcome)["checks"]}
                == {(c["check"], c["outcome"]) for c in _summary(first)["checks"]})
    finally:
        later.unlink()
    assert run_period(home, "2026-03").success
    assert marts_fingerprint(home) == before


def test_a_bad_dbt_log_level_fails_the_dbt_step_and_publishes_nothing(home, monkeypatch):
    before = marts_fingerprint(home)
    monkeypatch.setenv(DBT_LOG_LEVEL_ENV, "verbose")
    outcome = run_period(home, "2026-03")
    assert not outcome.success
    assert outcome.failed_steps == ["dbt_models: dbt was not started: PMO_DBT_LOG_LEVEL='verbose' is not one of "
                                    "debug, info, warn, error, none"]
    assert marts_fingerprint(home) == before


def test_no_build_parses_the_whole_project_again(home):
    """The period travels in PMO_REPORTING_PERIOD, not --vars, and the home's first build starts from the
    parse the code location made (orchestration/defs/dbt.py): every build of the home reuses dbt's saved parse,
    re-parsing at most the one model that reads the period."""
    logs = "".join(p.read_text(errors="replace") for p in (home.dbt_target_dir / "build").glob("dbt.log*"))
    assert "Unable to do partial parsing" not in logs
    reused = logs.count("Partial parsing enabled") + logs.count("Nothing changed, skipping partial parsing")
    assert reused >= len(PERIODS)
    assert "int_reporting_parameters_resolved.sql" in logs


def test_runs_are_in_the_dagster_instance(home):
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=RunsFilter(job_name="monthly_reporting"))
    assert len(runs) >= 3
    assert {r.tags.get("dagster/partition") for r in runs} >= set(PERIODS)


def test_vendor_exports_went_through_their_readers(home):
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        formats = {r[0] for r in con.execute("select distinct format from raw.load_log").fetchall()}
        assert {"p6-xer", "tempo-csv", "harvest-csv", "jira-csv", "sap-acdoca-csv", "canonical-csv"} <= formats
        # every file's rows are accounted for
        bad = con.execute("select count(*) from raw.load_log where rows_in <> rows_loaded + rows_quarantined").fetchone()
        assert bad == (0,)
        xer_tasks = con.execute("select count(*) from raw.tasks where _source_file like 'landing/p6/%'").fetchone()[0]
        assert xer_tasks > 0
    finally:
        con.close()
    index = (home.archive_dir / "index.jsonl").read_text().splitlines()
    assert len(index) == len({line for line in index})
    assert all((home.archive_dir / json.loads(line)["sha256"]).exists() for line in index)


def test_pmo_docs_builds_a_catalogue_with_every_mart_column_described(home):
    from typer.testing import CliRunner

    from orchestration.cli.main import app

    result = CliRunner().invoke(app, ["docs", "--home", str(home.home), "--no-serve"])
    assert result.exit_code == 0, result.output
    docs = home.home / "dbt" / "docs"
    assert (docs / "static_index.html").stat().st_size > 100_000
    catalog = json.loads((docs / "catalog.json").read_text())
    manifest = json.loads((docs / "manifest.json").read_text())
    marts = {uid: node for uid, node in catalog["nodes"].items() if node["metadata"]["schema"] == "marts"}
    assert "model.pmo_warehouse.fct_earned_value_restatement" in marts
    assert len(marts) >= 20
    undocumented = {
        uid: [c for c in node["columns"]
              if not ({k.lower(): v for k, v in manifest["nodes"][uid]["columns"].items()}.get(c.lower()) or {})
              .get("description")]
        for uid, node in marts.items()}
    assert {uid: cols for uid, cols in undocumented.items() if cols} == {}


def test_pv_follows_the_baseline_phasing_where_there_is_one(home):
    """The demo phases its agile and hybrid projects' baselines by month (landing/baseline_phasing): their tasks'
    PV is time-phased and equals, at every period end, the phases' cost spread over each phase's days,
    recomputed here from the landing file and converted at the period's rate."""
    import csv
    from datetime import date, timedelta

    phases = list(csv.DictReader((home.landing_dir / "baseline_phasing" / "baseline-phasing.csv").open()))
    assert phases
    rows = serving_rows(home, """
        select t.project_code, t.task_code, t.period, t.status_date, t.pv, t.pv_method, f.fx_rate
        from marts.fct_task_earned_value t
        join marts.fct_earned_value f using (project_code, period)
        where t.project_code in (select distinct project_code from marts.fct_task_earned_value
                                 where pv_method = 'time_phased')
          and t.is_in_current_baseline""")
    phased_tasks = {(p["project_code"], p["task_code"]) for p in phases}
    rows = [r for r in rows if (r[0], r[1]) in phased_tasks]  # milestones (no cost) are not phased
    assert len({(r[0], r[1]) for r in rows}) >= 3 and {r[5] for r in rows} == {"time_phased"}
    for code, task, period, status_date, pv, _, fx in rows:
        expected = 0.0
        for p in phases:
            if (p["project_code"], p["task_code"]) != (code, task):
                continue
            start, finish = date.fromisoformat(p["phase_start"]), date.fromisoformat(p["phase_finish"])
            days = (finish - start).days + 1
            done = min(max((status_date - start + timedelta(days=1)).days, 0), days)
            expected += float(p["planned_cost"]) * done / days
        assert float(pv) == pytest.approx(expected * fx, abs=0.01), (code, task, period)


# --- BI clients (README "For BI users") ----------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
OLD_CLIENT_READS = r"""
import json, sys
import duckdb
serving, parquet_dir = sys.argv[1], sys.argv[2]
con = duckdb.connect(serving, read_only=True)
marts = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                   "where table_schema = 'marts' order by 1").fetchall()]
rows = {}
for t in marts:
    data = con.execute(f"select * from marts.{t}").fetchall()  # every column of every row, decoded
    rows[t] = len(data)
ac = con.execute("select ac::varchar from marts.fct_earned_value "
                 "where project_code = 'HAND-1' and period = '2026-03'").fetchone()[0]
parquet = con.execute(f"select count(*) from read_parquet('{parquet_dir}/fct_earned_value.parquet')").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "rows": rows, "ac": ac, "parquet_rows": parquet}))
"""


def _old_client_version() -> str:
    import re

    return re.search(r"^OLD_DUCKDB_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M).group(1)


def test_oldest_promised_client_reads_serving(home):
    """serving.duckdb is written by DuckDB 1.5; the README promises that 1.x clients from the version `make
    install` puts in .venv/duckdb-<version> (1.1.3) read it: every mart, every row, and HAND-1's March AC."""
    import os
    import subprocess
    import sys

    version = _old_client_version()
    client = Path(sys.prefix) / f"duckdb-{version}"  # .venv/duckdb-<version>
    if not (client / "duckdb").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{client} is missing: `make install` installs DuckDB {version} there")
        pytest.skip(f"DuckDB {version} is not installed in {client} (run `make install`)")
    assert f"DuckDB {version}" in (REPO / "README.md").read_text()
    result = subprocess.run([sys.executable, "-c", OLD_CLIENT_READS, str(home.serving_path), str(home.parquet_dir)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(client)})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["version"] == version
    con = duckdb.connect(str(home.serving_path), read_only=True)
    try:
        expected = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                    for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()}
    finally:
        con.close()
    assert len(expected) >= 20 and seen["rows"] == expected
    assert float(seen["ac"]) == pytest.approx(58_480, abs=1e-6)  # worked by hand in the module docstring
    assert seen["parquet_rows"] == expected["fct_earned_value"]


def test_sqlalchemy_through_duckdb_engine_reads_serving_read_only(home):
    """The URL form the README gives Superset-style tools: duckdb:///<absolute path>?access_mode=read_only."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{home.serving_path}?access_mode=read_only")
    try:
        with engine.connect() as conn:
            assert "fct_earned_value" in sa.inspect(conn).get_table_names(schema="marts")
            ac = conn.execute(sa.text("select ac from marts.fct_earned_value "
                                      "where project_code = :p and period = :m"), {"p": "HAND-1", "m": "2026-03"}).scalar()
            assert float(ac) == pytest.approx(58_480, abs=1e-6)
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                conn.execute(sa.text("create table marts.scratch (a integer)"))
    finally:
        engine.dispose()


def test_readme_question_table_names_real_marts_and_columns(home):
    """Every mart and column the README's "Which mart answers which question" table names exists in serving."""
    import re

    text = (REPO / "README.md").read_text()
    table = text[text.index("**Which mart answers which question**"):]
    table = table[:table.index("\n\n", table.index("| question"))]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| question")]
    assert len(rows) >= 15
    con = duckdb.connect(str(home.serving_path), read_only=True)
    try:
        columns: dict[str, set[str]] = {}
        for schema, name, column in con.execute("select table_schema, table_name, column_name "
                                                "from information_schema.columns").fetchall():
            columns.setdefault(name if schema == "marts" else f"{schema}.{name}", set()).add(column)
    finally:
        con.close()
    for row in rows:
        _, _question, marts, keys, figures, _ = row.split("|")
        named = re.findall(r"`([^`]+)`", marts)
        assert named and all(m in columns for m in named), row
        for col in re.findall(r"`([^`]+)`", keys + figures):
            if "<" in col:  # a pattern such as reported_<measure>
                col = col.replace("<measure>", "ac")
            assert any(col in columns[m] for m in named), (col, row)


#: Loads the code location in a process of its own as ``pmo run`` does (dagster-dbt without dbt-core) and prints
#: what a run sees: its assets and checks, and whether dbt-core was loaded.
_RUN_PROCESS_VIEW = """
import json, sys
from orchestration.defs.dbt_warm import load_dagster_dbt_without_dbt_core
loaded = load_dagster_dbt_without_dbt_core()
from dagster_dbt.compat import DBT_PYTHON_VERSION
from orchestration.defs import definitions
job = definitions.monthly_job()
graph = job.asset_layer.asset_graph
print(json.dumps({"loaded": loaded, "dbt_version": str(DBT_PYTHON_VERSION),
                  "dbt_core_imported": "dbt.adapters.base.impl" in sys.modules,
                  "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
                  "checks": sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)}))
"""


def test_a_run_process_sees_the_same_assets_and_checks_without_dbt_core(home):
    """``pmo run`` imports dagster-dbt as if dbt-core were not installed in its process (dbt runs in its own,
    orchestration/defs/dbt_warm.py): the job it runs has the assets and checks this process (dagster-dbt with
    dbt-core) builds from the same manifest, and dbt-core's modules are never loaded there."""
    import subprocess
    import sys

    from orchestration.defs import definitions

    graph = definitions.monthly_job().asset_layer.asset_graph
    out = subprocess.run([sys.executable, "-c", _RUN_PROCESS_VIEW], capture_output=True, text=True, check=True,
                         env={**os.environ, "PMO_HOME": str(home.home)}, timeout=300)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["loaded"] is True and seen["dbt_version"] == "None" and seen["dbt_core_imported"] is False
    assert seen["assets"] == sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    assert seen["checks"] == sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)
    assert len(seen["checks"]) > 100 and any(a.startswith("marts/fct_earned_value") for a in seen["assets"])
