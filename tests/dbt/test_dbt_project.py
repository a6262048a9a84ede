"""The dbt project (dbt_project/): its unit tests, and a build on a small hand-made organisation.

Each test builds its own DuckDB warehouse in a temporary folder, creates the raw tables from the
canonical contract (orchestration.contract.raw_table_ddl) and runs dbt in-process through dbtRunner,
with dbt's target and log folders inside that temporary folder so the repository stays clean and
tests can run in parallel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_harness import DBT_PROJECT, create_contract_tables
from dbt_harness import dbt_failures as _failures
from dbt_harness import run_dbt as _dbt
from dbt_project_org import EUR_PROJECT, GBP_PROJECT, TECHNIQUES_PROJECT, small_organisation

from orchestration.contract import ENTITIES

#: The unit tests of the earned value models and how many each file declares. A test that dbt
#: silently stops running (renamed, disabled, not parsed) makes test_unit_tests_pass fail. The unit
#: tests of the benefits, portfolio and agile models are run by test_dbt_portfolio_marts.py.
EXPECTED_UNIT_TESTS = {
    "models/intermediate/_intermediate__unit_tests.yml": 26,
    "models/marts/_marts__unit_tests.yml": 13,
    "models/marts/earned_value/_earned_value__unit_tests.yml": 2,
    "models/marts/forecast/_forecast__unit_tests.yml": 4,
    "models/marts/lessons/_lessons__unit_tests.yml": 5,
    "models/marts/quality/_quality__unit_tests.yml": 3,
}


# --------------------------------------------------------------------------- helpers


def _create_raw(db_path: Path, rows: dict[str, list[dict]] | None = None) -> None:
    """Create schema raw with one table per contract entity and insert the given rows."""
    rows = rows or {}
    unknown = set(rows) - set(ENTITIES)
    assert not unknown, f"not contract entities: {unknown}"
    con = duckdb.connect(str(db_path))
    try:
        create_contract_tables(con)
        loaded_at = dt.datetime(2024, 4, 1, 6, 0, 0)
        for name, entity in ENTITIES.items():
            entity_rows = rows.get(name, [])
            if not entity_rows:
                continue
            source_file = f"landing/{name}/fixture.csv"
            sha = hashlib.sha256(source_file.encode()).hexdigest()
            columns = entity.column_names + ["_source_file", "_source_sha256", "_source_row", "_loaded_at"]
            placeholders = ", ".join("?" for _ in columns)
            quoted = ", ".join(f'"{c}"' for c in columns)
            for index, row in enumerate(entity_rows, start=1):
                extra = set(row) - set(entity.column_names)
                assert not extra, f"{name}: not contract columns: {extra}"
                values = [row.get(c) for c in entity.column_names] + [source_file, sha, index, loaded_at]
                con.execute(f"insert into raw.{name} ({quoted}) values ({placeholders})", values)
    finally:
        con.close()


#: The marts of the earned value models; their unit tests test these and the models upstream of them.
EARNED_VALUE_MARTS = (
    "dim_project",
    "fct_earned_value",
    "fct_programme_earned_value",
    "fct_portfolio_earned_value",
    "fct_task_earned_value",
    "fct_baseline_history",
    "fct_forecast_range_rollup",
    "fct_lesson_themes",
    "fct_lesson_risk_links",
    "fct_quality_rollup",
)


def _declared_unit_tests() -> dict[str, set[str]]:
    """The unit tests declared under models/, by file (relative to dbt_project/)."""
    by_file = {}
    for path in (DBT_PROJECT / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text()) or {}
        names = {t["name"] for t in doc.get("unit_tests", [])}
        if names:
            by_file[path.relative_to(DBT_PROJECT).as_posix()] = names
    return by_file


# --------------------------------------------------------------------------- unit tests


def test_unit_tests_pass(tmp_path: Path, warehouse: Path) -> None:
    """Every unit test of the project runs and passes (formulas, EV techniques, ES, PV spreading, rates,
    fx, roll-ups, baseline history)."""
    _create_raw(warehouse)
    # Unit tests need the upstream relations to exist to learn their column types: the earned value
    # marts and everything upstream of them, built empty.
    seeded = _dbt(tmp_path, "seed", "--select", "lesson_risk_categories")
    assert seeded.success, _failures(seeded)
    built = _dbt(tmp_path, "run", "--empty", "--select", *(f"+{mart}" for mart in EARNED_VALUE_MARTS))
    assert built.success, _failures(built)

    selectors = [f"test_type:unit,path:{path}" for path in EXPECTED_UNIT_TESTS]
    result = _dbt(tmp_path, "test", "--select", *selectors)
    assert result.success, _failures(result)
    ran = {r.node.name: str(r.status) for r in result.result}
    declared = _declared_unit_tests()
    for path, count in EXPECTED_UNIT_TESTS.items():
        assert len(declared.get(path, ())) == count, path
    assert set(ran) == set().union(*(declared[path] for path in EXPECTED_UNIT_TESTS))
    assert all(status == "pass" for status in ran.values()), ran


VARS = "{reporting_period: '2024-03', reporting_currency: GBP}"


def _fetch(db_path: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(db_path))
    try:
        cur = con.execute(sql)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


#: Data tests whose severity is warn by design: a build may warn on them (published, listed in the run
#: summary), so a test of a build asserts their rows instead of requiring them to pass.
LABOUR_TEST = "assert_ledger_labour_within_tolerance"
WARNING_TESTS = {LABOUR_TEST}


def test_ledger_labour_inside_the_tolerance_does_not_warn(tmp_path: Path, warehouse: Path) -> None:
    """With labour_tolerance 0.25, Alpha's February gap of 281 on 1280 (21.95 %) is inside it: no warning."""
    _create_raw(warehouse, small_organisation())
    result = _dbt(tmp_path, "build", "--exclude-resource-type", "unit_test", "--select", f"+{LABOUR_TEST}",
                  "--indirect-selection", "cautious",
                  "--vars", "{reporting_period: '2024-03', reporting_currency: GBP, labour_tolerance: 0.25}")
    assert result.success, _failures(result)
    statuses = {r.node.name: str(r.status) for r in result.result}
    assert statuses[LABOUR_TEST] == "pass"
    assert _fetch(warehouse, f"select count(*) as n from dbt_test__audit.{LABOUR_TEST}") == [{"n": 0}]
    # at 0.2 the same gap is outside: 0.2 x 1280 = 256 < 281
    result = _dbt(tmp_path, "test", "--select", LABOUR_TEST,
                  "--vars", "{reporting_period: '2024-03', reporting_currency: GBP, labour_tolerance: 0.2}")
    assert result.success and [str(r.status) for r in result.result] == ["warn"]
    [row] = _fetch(warehouse, f"select difference, tolerance_amount from dbt_test__audit.{LABOUR_TEST}")
    assert row == {"difference": Decimal(-281), "tolerance_amount": Decimal(256)}


def test_build_on_small_organisation(tmp_path: Path, warehouse: Path) -> None:
    """dbt build on two projects (GBP and EUR) gives the figures worked out by hand below."""
    _create_raw(warehouse, small_organisation())
    result = _dbt(tmp_path, "build", "--exclude-resource-type", "unit_test", "--vars", VARS)
    assert result.success, _failures(result)
    tests = [r for r in result.result if r.node.resource_type == "test"]
    assert any(r.node.name == "checks_fct_earned_value" for r in tests)
    assert any(r.node.name.startswith("ev_not_above_bac_fct_earned_value") for r in tests)
    # Every test passes except the warnings this organisation is built to raise, asserted one by one.
    warned = {r.node.name: r for r in tests if str(r.status) == "warn"}
    assert set(warned) == {LABOUR_TEST}, _failures(result)
    assert all(str(r.status) == "pass" for r in tests if r.node.name not in WARNING_TESTS), _failures(result)
    # Alpha's February: the ledger's payroll line D2 says 999; the timesheets say U1 8h x 50 + U1 8h x 60
    # + U2 10h x 40 = 1280. The gap, -281, is more than 5 % of 1280 (64): a warning, with the gap.
    assert warned[LABOUR_TEST].failures == 1
    assert _fetch(warehouse, f"select * from dbt_test__audit.{LABOUR_TEST}") == [
        {"project_code": GBP_PROJECT, "period": "2024-02", "ledger_labour": Decimal(999),
         "timesheet_labour": Decimal(1280), "difference": Decimal(-281), "labour_tolerance": 0.05,
         "tolerance_amount": Decimal(64)}]

    rows = _fetch(warehouse, "select * from marts.fct_earned_value order by project_code, period")
    by_key = {(r["project_code"], r["period"]): r for r in rows}
    # Alpha and Gamma run Jan..Mar (reporting period 2024-03); Beta's baseline starts in February.
    assert set(by_key) == {
        (GBP_PROJECT, "2024-01"),
        (GBP_PROJECT, "2024-02"),
        (GBP_PROJECT, "2024-03"),
        (EUR_PROJECT, "2024-02"),
        (EUR_PROJECT, "2024-03"),
        (TECHNIQUES_PROJECT, "2024-01"),
        (TECHNIQUES_PROJECT, "2024-02"),
        (TECHNIQUES_PROJECT, "2024-03"),
    }

    # ---- Alpha (GBP), March 2024.
    # Current baseline = snapshot of 29 Feb (the 5 Apr one is after the period end); S1 is a summary task.
    # BAC = T1 3100 + T2 6000 + T3 3000 = 12100.
    # PV at 31 Mar: T1 3100 (all 31 days) + T2 6000 (all 60 days, 1 Feb..31 Mar)
    #               + T3 3000 x 17/30 (15..31 Mar of 15 Mar..13 Apr) = 1700 -> 10800.
    # EV at 31 Mar: latest snapshot on or before 31 Mar is 29 Feb: 3100 x 100% + 6000 x 40% + 3000 x 0 (NULL)
    #               = 5500 (the summary task's 9999 x 60% is not counted).
    # AC at 31 Mar (labour = hours x rate; person rate wins over the role rate):
    #   Jan: U1 8h x 50 = 400;                  ledger material 1000                 -> 1400
    #   Feb: U1 8h x 50 (14th, old rate) = 400, U1 8h x 60 (15th, new rate, no approval workflow) = 480,
    #        U2 10h x 40 (role rate) = 400;     ledger travel 300 (ledger labour 999 is not added) -> 1580
    #   Mar: U2 5h x 40 = 200 (submitted and rejected hours excluded);
    #        reversal of travel -300, uncategorised cost 150 (counts as non-labour); April lines excluded -> 50
    #   AC = 1400 + 1580 + 50 = 3030.
    # CPI = 5500 / 3030 = 1.815181518...; SPI = 5500 / 10800 = 0.509259259...
    # ES: PV curve PV1..PV4 = 3100, 6000, 10800, 12100 (PD = Jan..Apr = 4). EV 5500 -> C = 1,
    #     ES = 1 + (5500 - 3100) / (6000 - 3100) = 1.827586207; AT = 3; SPI(t) = 0.609195402;
    #     IEAC(t) = 4 / SPI(t) = 6.566037736 periods;
    #     forecast finish = 1 Jan 2024 + 6 months = 1 Jul, + 0.566037736 x 31 days (Jul) = 17.5 -> 18 days = 19 Jul.
    alpha = by_key[(GBP_PROJECT, "2024-03")]
    assert alpha["currency"] == "GBP"
    assert alpha["status_date"] == dt.date(2024, 3, 31)
    assert alpha["bac"] == Decimal(12100)
    assert alpha["pv"] == Decimal(10800)
    assert alpha["ev"] == Decimal(5500)
    assert alpha["ac"] == Decimal(3030)
    assert alpha["ac_labour"] == Decimal(1880)
    assert alpha["ac_non_labour"] == Decimal(1150)
    assert alpha["ledger_labour"] == Decimal(999)
    assert alpha["cv"] == Decimal(2470)
    assert alpha["sv"] == Decimal(-5300)
    assert alpha["cpi"] == pytest.approx(5500 / 3030, abs=1e-12)
    assert alpha["spi"] == pytest.approx(5500 / 10800, abs=1e-12)
    assert alpha["es"] == pytest.approx(1 + 2400 / 2900, abs=1e-12)
    assert alpha["at"] == 3
    assert alpha["spi_t"] == pytest.approx((1 + 2400 / 2900) / 3, abs=1e-12)
    assert alpha["ieac_t"] == pytest.approx(4 / ((1 + 2400 / 2900) / 3), abs=1e-12)
    assert alpha["forecast_finish_date"] == dt.date(2024, 7, 19)
    assert alpha["cpi_undefined"] is False

    # Alpha, January: PV = T1 3100; EV from the 31 Jan snapshot = 3100 + 6000 x 10% = 3700; AC = 1400.
    # ES = 1 + (3700 - 3100) / (6000 - 3100) = 1.206896552 with AT = 1.
    jan = by_key[(GBP_PROJECT, "2024-01")]
    assert (jan["pv"], jan["ev"], jan["ac"]) == (Decimal(3100), Decimal(3700), Decimal(1400))
    assert jan["es"] == pytest.approx(1 + 600 / 2900, abs=1e-12)
    # Alpha, February: PV = 3100 + 6000 x 29/60 = 6000; EV (29 Feb snapshot) = 5500; AC = 2980.
    feb = by_key[(GBP_PROJECT, "2024-02")]
    assert (feb["pv"], feb["ev"], feb["ac"]) == (Decimal(6000), Decimal(5500), Decimal(2980))

    # ---- Beta (EUR project, reported in GBP). BAC 6000 EUR, PD = Feb..Mar = 2.
    # February: rate from the inverse quote, 1 / 1.25 = 0.8.
    #   BAC 6000 x 0.8 = 4800; PV (A1 all of February) 2900 x 0.8 = 2320;
    #   EV (15 Feb snapshot) 2900 x 50% = 1450 EUR x 0.8 = 1160;
    #   AC: Jan subcontract 1000 EUR x 0.85 = 850 + Feb U3 10h x 70 EUR = 700 EUR x 0.8 = 560 -> 1410.
    beta_feb = by_key[(EUR_PROJECT, "2024-02")]
    assert beta_feb["project_currency"] == "EUR"
    assert beta_feb["fx_rate"] == pytest.approx(0.8, abs=1e-15)
    assert beta_feb["bac"] == Decimal(4800)
    assert beta_feb["pv"] == Decimal(2320)
    assert beta_feb["ev"] == Decimal(1160)
    assert beta_feb["ac"] == Decimal(1410)
    assert beta_feb["at"] == 1
    # March at 0.86: BAC 5160; PV 6000 x 0.86 = 5160; EV (20 Mar snapshot) 2900 + 3100 x 20% = 3520 EUR
    #   -> 3027.2; AC 1410 + material 500 EUR x 0.86 = 430 -> 1840.
    #   ES = 1 + (3520 - 2900) / (6000 - 2900) = 1.2; AT = 2; SPI(t) = 0.6; IEAC(t) = 2 / 0.6 = 3.333;
    #   forecast finish = 1 Feb + 3 months = 1 May, + 0.333 x 31 = 10.3 -> 10 days = 11 May.
    beta = by_key[(EUR_PROJECT, "2024-03")]
    assert (beta["bac"], beta["pv"], beta["ev"], beta["ac"]) == (
        Decimal(5160),
        Decimal(5160),
        Decimal("3027.2"),
        Decimal(1840),
    )
    assert beta["es"] == pytest.approx(1.2, abs=1e-12)
    assert beta["spi_t"] == pytest.approx(0.6, abs=1e-12)
    assert beta["ieac_t"] == pytest.approx(2 / 0.6, abs=1e-12)
    assert beta["forecast_finish_date"] == dt.date(2024, 5, 11)

    # ---- Roll-up: portfolio PF-1 in March sums the two projects and recomputes CPI from the sums.
    # EV 5500 + 3027.2 = 8527.2; AC 3030 + 1840 = 4870; CPI = 8527.2 / 4870 = 1.750965...
    # (the mean of the project CPIs, (1.815 + 1.645) / 2 = 1.730, would be wrong).
    (portfolio,) = _fetch(
        warehouse,
        "select * from marts.fct_portfolio_earned_value where portfolio = 'PF-1' and period = '2024-03'",
    )
    assert portfolio["project_count"] == 2
    assert portfolio["bac"] == Decimal(17260)
    assert portfolio["ev"] == Decimal("8527.2")
    assert portfolio["ac"] == Decimal(4870)
    assert portfolio["cpi"] == pytest.approx(8527.2 / 4870, abs=1e-12)
    (programme_jan,) = _fetch(
        warehouse,
        "select * from marts.fct_programme_earned_value where programme = 'PRG-1' and period = '2024-01'",
    )
    assert programme_jan["project_count"] == 1  # Beta has no row before February

    # ---- The organisation (the pack's "All portfolios" line) sums every portfolio and recomputes EAC from
    # its own sums: BAC / CPI of the whole, not the sum of the portfolios' EACs.
    (organisation,) = _fetch(
        warehouse, "select * from marts.fct_organisation_earned_value where period = '2024-03'")
    portfolios = _fetch(warehouse, "select * from marts.fct_portfolio_earned_value where period = '2024-03'")
    assert organisation["organisation"] == "All portfolios"
    assert organisation["project_count"] == sum(p["project_count"] for p in portfolios) == 3
    for measure in ("bac", "pv", "ev", "ac"):
        assert organisation[measure] == sum(p[measure] for p in portfolios)
    assert organisation["cpi"] == pytest.approx(float(organisation["ev"] / organisation["ac"]), abs=1e-12)
    assert float(organisation["eac_cpi"]) == pytest.approx(
        float(organisation["bac"] * organisation["ac"] / organisation["ev"]), abs=0.006)

    # ---- dim_project: current baseline and no personal data.
    dims = {r["project_code"]: r for r in _fetch(warehouse, "select * from marts.dim_project")}
    assert dims[GBP_PROJECT]["bac_native"] == Decimal(12100)
    assert dims[GBP_PROJECT]["first_baseline_period"] == "2024-01"
    assert dims[GBP_PROJECT]["last_baseline_period"] == "2024-04"
    assert dims[GBP_PROJECT]["planned_duration_periods"] == 4
    assert (dims[GBP_PROJECT]["has_manager"], dims[GBP_PROJECT]["has_sponsor"]) == (True, False)
    assert dims[EUR_PROJECT]["currency"] == "EUR"
    assert not {"manager", "sponsor", "person_name"} & set(dims[GBP_PROJECT])

    # ---- Alpha's period values and the new indices (the columns after the flags).
    # March: PV 10800 - 6000 = 4800; EV 5500 - 5500 = 0; AC 3030 - 2980 = 50.
    assert (alpha["pv_period"], alpha["ev_period"], alpha["ac_period"]) == (Decimal(4800), Decimal(0), Decimal(50))
    assert alpha["cpi_period"] == 0 and alpha["spi_period"] == 0
    # 3-period window = the whole project so far: CPI_3p = cumulative CPI.
    assert alpha["cpi_3p"] == pytest.approx(5500 / 3030, abs=1e-12)
    assert alpha["pct_complete"] == pytest.approx(5500 / 12100 * 100, abs=1e-12)
    assert alpha["pct_spent"] == pytest.approx(3030 / 12100 * 100, abs=1e-12)
    assert alpha["pct_scheduled"] == pytest.approx(10800 / 12100 * 100, abs=1e-12)
    cpi, spi = 5500 / 3030, 5500 / 10800
    assert float(alpha["eac_weighted"]) == pytest.approx(3030 + 6600 / (0.8 * cpi + 0.2 * spi), abs=1e-6)
    assert alpha["eac_bottom_up"] is None  # the export has no remaining cost
    # BEI: T1 (due 31 Jan) and T2 (due 31 Mar) are due; only T1 is at 100 % in the 29 Feb snapshot.
    assert (alpha["bei_tasks_finished"], alpha["bei_tasks_due"], alpha["bei"]) == (1, 2, 0.5)
    es = 1 + 2400 / 2900
    assert alpha["tspi"] == pytest.approx((4 - es) / (4 - 3), abs=1e-12)
    assert alpha["ieac_t_pf1"] == pytest.approx(3 + (4 - es), abs=1e-12)
    assert alpha["ieac_t_spi_t"] == pytest.approx(alpha["ieac_t"], abs=1e-9)
    assert alpha["ieac_t_cpi_spi_t"] == pytest.approx(3 + (4 - es) / (es / 3 * cpi), abs=1e-9)
    assert alpha["baseline_version"] == "unversioned"
    # Beta, March: the February work at February's rate, March's at March's, not the revaluation.
    assert beta["pv_period"] == Decimal(2666)  # (6000 - 2900) EUR x 0.86
    assert beta["ev_period"] == Decimal("1780.2")  # (3520 - 1450) EUR x 0.86
    assert beta["ac_period"] == Decimal(430)
    columns = list(alpha)
    assert columns.index("is_complete") < columns.index("baseline_version") < columns.index("pv_period")

    _assert_techniques_project(warehouse)
    _assert_model_checks_name_the_failures(tmp_path, warehouse)


def _assert_model_checks_name_the_failures(tmp_path: Path, warehouse: Path) -> None:
    """A model's not-null, uniqueness and accepted-values checks are one test (model_checks): it fails on
    any of them, counts the failing rows of each and stores one row per failing check, which is what the
    run summary shows."""
    test = "checks_fct_task_earned_value"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("UPDATE marts.fct_task_earned_value SET currency = NULL, ev = NULL "
                    "WHERE project_code = ? AND period = '2024-03' AND task_code = 'T1'", [GBP_PROJECT])
        con.execute("UPDATE marts.fct_task_earned_value SET ev = NULL "
                    "WHERE project_code = ? AND period = '2024-02' AND task_code = 'T1'", [GBP_PROJECT])
        con.execute("UPDATE marts.fct_task_earned_value SET pv_method = 'straight_line' "
                    "WHERE project_code = ? AND period = '2024-01' AND task_code = 'T1'", [GBP_PROJECT])
        con.execute("INSERT INTO marts.fct_task_earned_value SELECT * FROM marts.fct_task_earned_value "
                    "WHERE project_code = ? AND period = '2024-01' AND task_code = 'T1'", [GBP_PROJECT])
    finally:
        con.close()
    result = _dbt(tmp_path, "test", "--select", test, "--vars", VARS)
    [outcome] = result.result
    # 3 NULL cells, the two rows (original and copy) holding a value outside time_phased / linear, and
    # the two rows sharing one key
    assert str(outcome.status) == "fail" and outcome.failures == 7
    assert _fetch(warehouse, f"select * from dbt_test__audit.{test} order by check_name, column_name") == [
        {"check_name": "accepted_values", "column_name": "pv_method", "failing_rows": 2},
        {"check_name": "not_null", "column_name": "currency", "failing_rows": 1},
        {"check_name": "not_null", "column_name": "ev", "failing_rows": 2},
        {"check_name": "unique", "column_name": "project_code, task_code, period", "failing_rows": 2}]


def _assert_techniques_project(warehouse: Path) -> None:
    """P-GAMMA, worked by hand (see _gamma_tasks); current baseline BL2 (15 Mar), BAC 6605.

    PV (BL2): Jan M1 455 + L 310 + D 620 + QA 155 = 1540; Feb 455 + 455 + Z 600 + 600 + 1200 + 300 = 3610;
    Mar 6605. EV, by technique:
      Jan (31 Jan snapshot): M1 455 (weighted milestone reached) + L 310 (LOE: PV at 31 Jan) + D 25 % = 455
          + QA 455 x 455 / 1820 = 113.75 (apportioned to D) = 1333.75
      Feb (still the 31 Jan snapshot): LOE moves to its PV at 29 Feb, 600: 1623.75
      Mar (15 Mar snapshot): M1 + M2 910 + Z 600 (0/100, finished) + F 500 (50/50, started) + L 910
          + D 910 + QA 227.5 = 4057.5
    AC: D 10 h x 50 (Jan) = 500; Z ledger 200 and 4 h x 40 on no task (Feb) = 360; F 5 h x 60 (Mar) = 300.
    """
    rows = _fetch(warehouse, f"select * from marts.fct_earned_value where project_code = '{TECHNIQUES_PROJECT}' "
                             "order by period")
    jan, feb, mar = rows
    assert [r["bac"] for r in rows] == [Decimal(6605)] * 3
    assert [r["pv"] for r in rows] == [Decimal(1540), Decimal(3610), Decimal(6605)]
    assert [r["ev"] for r in rows] == [Decimal("1333.75"), Decimal("1623.75"), Decimal("4057.5")]
    assert [r["ac"] for r in rows] == [Decimal(500), Decimal(860), Decimal(1160)]
    assert mar["baseline_version"] == "BL2"
    assert (mar["pv_period"], mar["ev_period"], mar["ac_period"]) == (Decimal(2995), Decimal("2433.75"), Decimal(300))
    assert mar["cpi_3p"] == pytest.approx(4057.5 / 1160, abs=1e-12)
    # Bottom-up: the 15 Mar export gives remaining cost (M3 910, F 500, L 310, D 910, QA 227.5; finished
    # tasks none): 1160 + 2857.5; the 31 Jan export has none.
    assert mar["etc_bottom_up"] == Decimal("2857.5") and mar["eac_bottom_up"] == Decimal("4017.5")
    assert jan["eac_bottom_up"] is None and feb["eac_bottom_up"] is None
    # BEI: due (BL2, LOE excepted) Jan M1; Feb M1, M2, Z; Mar all 7. Finished: M1 by 31 Jan; M1, M2, Z by 15 Mar.
    assert [(r["bei_tasks_finished"], r["bei_tasks_due"]) for r in rows] == [(1, 1), (1, 3), (3, 7)]
    assert mar["bei"] == pytest.approx(3 / 7, abs=1e-12)
    # ES in February: C = 1, ES = 1 + (1623.75 - 1540) / (3610 - 1540); TSPI = (3 - ES) / (3 - 2).
    es_feb = 1 + 83.75 / 2070
    assert feb["es"] == pytest.approx(es_feb, abs=1e-12)
    assert feb["tspi"] == pytest.approx(3 - es_feb, abs=1e-12)
    assert mar["tspi"] is None and mar["tspi_undefined"] is True  # AT = PD = 3

    tasks = _fetch(warehouse, f"select * from marts.fct_task_earned_value where project_code = '{TECHNIQUES_PROJECT}'")
    by_task = {(r["task_code"], r["period"]): r for r in tasks}
    assert {code for code, _ in by_task} == {"M1", "M2", "M3", "Z", "F", "L", "D", "QA"}  # no summary tasks
    for period, project_row in zip(("2024-01", "2024-02", "2024-03"), rows):
        period_rows = [r for r in tasks if r["period"] == period]
        for column in ("bac", "pv", "ev"):
            assert sum(r[column] for r in period_rows) == project_row[column], (period, column)
    for period, value in (("2024-01", 310), ("2024-02", 600), ("2024-03", 910)):
        loe = by_task[("L", period)]
        assert loe["ev"] == loe["pv"] == Decimal(value)
    assert by_task[("M2", "2024-03")]["ev_method_applied"] == "milestone_weights"
    assert by_task[("M2", "2024-03")]["ev"] == Decimal(455)
    assert by_task[("QA", "2024-03")]["ev_method_applied"] == "apportioned"
    assert by_task[("QA", "2024-03")]["ev"] == Decimal("227.5")
    assert by_task[("F", "2024-03")]["ev"] == Decimal(500)
    assert by_task[("F", "2024-02")]["is_in_ev_snapshot"] is False  # F is new in BL2
    assert by_task[("Z", "2024-03")]["ev"] == Decimal(600)
    assert (by_task[("D", "2024-01")]["ac"], by_task[("D", "2024-01")]["ac_hours"]) == (Decimal(500), 10)
    assert (by_task[("F", "2024-03")]["ac"], by_task[("F", "2024-03")]["ac_hours_period"]) == (Decimal(300), 5)
    assert by_task[("Z", "2024-02")]["ac"] == Decimal(200)

    history = _fetch(warehouse, f"select * from marts.fct_baseline_history where project_code = '{TECHNIQUES_PROJECT}' "
                                "order by version_sequence")
    assert [(h["baseline_version"], h["is_current"], h["bac_native"], h["task_count"]) for h in history] == [
        ("BL1", False, Decimal(5605), 7),
        ("BL2", True, Decimal(6605), 8),
    ]
    assert history[1]["bac_change_native"] == Decimal(1000)
    assert history[1]["first_status_date"] == dt.date(2024, 3, 15)


def test_ac_reconciliation_agrees_with_overlapping_rates_and_catches_a_wrong_ac(tmp_path: Path,
                                                                              warehouse: Path) -> None:
    """assert_ac_equals_timesheets_and_ledger recomputes AC from staging its own way (anti-joins, monthly
    sums). U1 gets an older open-ended rate under the two it has, and the engineer role an older one
    spelt ' Engineer': the latest valid rate still wins in both, so the test passes; one AC off by 1
    then fails it."""
    organisation = small_organisation()
    organisation["rates"] = organisation["rates"] + [
        {"person_id": "U1", "valid_from": dt.date(2023, 6, 1), "hourly_cost": 45, "currency": "GBP"},
        {"role": " Engineer", "valid_from": dt.date(2023, 1, 1), "hourly_cost": 30, "currency": "GBP"},
    ]
    _create_raw(warehouse, organisation)
    test = "assert_ac_equals_timesheets_and_ledger"
    result = _dbt(tmp_path, "build", "--exclude-resource-type", "unit_test", "--vars", VARS)
    assert not [r for r in result.result if str(r.status) in ("fail", "error")], _failures(result)
    assert [str(r.status) for r in result.result if r.node.name == test] == ["pass"]

    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"update marts.fct_earned_value set ac = ac + 1 where project_code = '{GBP_PROJECT}' "
                    "and period = '2024-03'")
    finally:
        con.close()
    result = _dbt(tmp_path, "test", "--select", test, "--vars", VARS)
    [outcome] = [r for r in result.result if r.node.name == test]
    assert (str(outcome.status), outcome.failures) == ("fail", 1)


def test_missing_fx_rate_fails_the_build(tmp_path: Path, warehouse: Path) -> None:
    """Without a EUR/GBP rate for March the build fails on a test whose failing row names the rate."""
    organisation = small_organisation()
    organisation["fx_rates"] = [r for r in organisation["fx_rates"] if r["period"] != "2024-03"]
    _create_raw(warehouse, organisation)
    # fct_earned_value and everything upstream of it, with their tests (the gate is one of them)
    result = _dbt(tmp_path, "build", "--exclude-resource-type", "unit_test", "--select", "+fct_earned_value",
                  "--vars", VARS)
    assert not result.success
    failed = {r.node.name: r for r in result.result if str(r.status) == "fail"}
    fx_tests = [name for name in failed if "fx_rate" in name]
    assert fx_tests, sorted(failed)
    missing = _fetch(
        warehouse,
        "select period, from_currency, to_currency from dbt_test__audit.fx_rate_available_for_every_conversion",
    )
    assert missing == [{"period": "2024-03", "from_currency": "EUR", "to_currency": "GBP"}]
    # A failed gate blocks everything downstream of it: no mart is built from unconverted amounts.
    statuses = {r.node.name: str(r.status) for r in result.result}
    assert statuses["fct_earned_value"] == "skipped"


def test_time_phased_baseline_drives_pv_and_must_add_up(tmp_path: Path, warehouse: Path) -> None:
    """Alpha's T2 (6000 over 1 Feb..31 Mar) carries its own phasing, 4500 in February and 1500 in March:
    its PV at 29 Feb is 4500 instead of the linear 6000 x 29/60 = 2900, so Alpha's February PV is
    3100 + 4500 = 7600 instead of 6000, and March is unchanged (10800). Phases that no longer add up
    to the baseline cost fail the reconciliation test with the difference."""
    phasing = [
        {"project_code": GBP_PROJECT, "task_code": "T2", "phase_start": dt.date(2024, 2, 1),
         "phase_finish": dt.date(2024, 2, 29), "planned_cost": 4500},
        {"project_code": GBP_PROJECT, "task_code": "T2", "phase_start": dt.date(2024, 3, 1),
         "phase_finish": dt.date(2024, 3, 31), "planned_cost": 1500},
    ]
    _create_raw(warehouse, {**small_organisation(), "baseline_phasing": phasing})
    result = _dbt(tmp_path, "build", "--exclude-resource-type", "unit_test", "--vars", VARS)
    failed = {r.node.name for r in result.result if str(r.status) in ("fail", "error")}
    assert not failed, _failures(result)
    tasks = {(r["period"], r["task_code"]): r for r in _fetch(warehouse, f"""
        select period, task_code, pv, pv_method from marts.fct_task_earned_value
        where project_code = '{GBP_PROJECT}' and task_code in ('T1', 'T2')""")}
    assert tasks[("2024-02", "T2")] == {"period": "2024-02", "task_code": "T2", "pv": Decimal(4500),
                                        "pv_method": "time_phased"}
    assert tasks[("2024-03", "T2")]["pv"] == Decimal(6000)
    assert tasks[("2024-02", "T1")]["pv_method"] == "linear"
    pv = {r["period"]: r["pv"] for r in _fetch(warehouse, f"""
        select period, pv from marts.fct_earned_value where project_code = '{GBP_PROJECT}'""")}
    assert pv["2024-02"] == Decimal(7600) and pv["2024-03"] == Decimal(10800)

    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update raw.baseline_phasing set planned_cost = 1400 where phase_start = DATE '2024-03-01'")
    finally:
        con.close()
    result = _dbt(tmp_path, "build", "--select", "stg_raw__baseline_phasing", "assert_baseline_phasing_adds_up",
                  "--vars", VARS)
    assert [str(r.status) for r in result.result if r.node.name == "assert_baseline_phasing_adds_up"] == ["fail"]
    [row] = _fetch(warehouse, "select task_code, baseline_cost, phased_cost, difference "
                              "from dbt_test__audit.assert_baseline_phasing_adds_up")
    assert row == {"task_code": "T2", "baseline_cost": Decimal(6000), "phased_cost": Decimal(5900),
                   "difference": Decimal(-100)}


def test_a_timesheet_row_landed_twice_or_without_lineage_fails_its_key_check(tmp_path: Path, warehouse: Path) -> None:
    """checks_stg_raw__timesheets checks the line key on the lineage it is the md5 of (source file hash, row):
    two rows of one file and row fail it as a shared key, a row without its row number as a NULL key."""
    _create_raw(warehouse, small_organisation())
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("insert into raw.timesheets select * from raw.timesheets where _source_row = 1")
        con.execute("update raw.timesheets set _source_row = null where _source_row = 2")
    finally:
        con.close()
    test = "checks_stg_raw__timesheets"
    result = _dbt(tmp_path, "build", "--select", "stg_raw__timesheets", "--vars", VARS)
    [outcome] = [r for r in result.result if r.node.name == test]
    assert (str(outcome.status), outcome.failures) == ("fail", 3)
    assert _fetch(warehouse, f"select check_name, column_name, failing_rows from dbt_test__audit.{test} "
                             "order by 1, 2") == [
        {"check_name": "not_null", "column_name": "source_row", "failing_rows": 1},
        {"check_name": "unique", "column_name": "source_sha256, source_row", "failing_rows": 2},
    ]
    # the key itself shows the same rows: one NULL, one shared by two
    assert _fetch(warehouse, "select count(*) - count(timesheet_line_id) as nulls, count(timesheet_line_id) "
                             "- count(distinct timesheet_line_id) as repeated from staging.stg_raw__timesheets") \
        == [{"nulls": 1, "repeated": 1}]
