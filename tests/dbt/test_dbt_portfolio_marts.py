"""The benefits, portfolio and agile marts of the dbt project (issue 4): their unit tests, and the two
things a unit test cannot show, the prioritisation scores read from whatever score_<criterion> columns
raw.projects has (none included) and the personal-data model landing outside the published schema.

As tests/dbt/test_dbt_project.py does, each test builds its own DuckDB warehouse in a temporary folder
with the raw tables of the canonical contract (orchestration.contract.raw_table_ddl) and runs dbt
in-process, with dbt's target and log folders inside that folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_harness import DBT_PROJECT, create_contract_tables
from dbt_harness import dbt_failures as _failures
from dbt_harness import run_dbt as _dbt

#: The folders of these marts; their unit tests are the ones this module runs.
FOLDERS = (
    "models/intermediate/benefits",
    "models/intermediate/portfolio",
    "models/intermediate/agile",
    "models/marts/benefits",
    "models/marts/portfolio",
    "models/marts/agile",
    "models/marts/restatement",
)

#: What the unit tests check, so a test that dbt silently stops running (renamed, disabled, not
#: parsed) fails test_portfolio_unit_tests_pass.
EXPECTED_UNIT_TESTS = {
    # benefits
    "benefit_rows_converted_signed_and_cut_at_the_reporting_period",
    "project_cash_flows_from_ac_increments_etc_spread_and_net_benefits",
    "realisation_percent_to_date_and_against_target",
    "disbenefits_are_netted_off_a_projects_benefits",
    "npv_roi_bcr_and_payback_on_a_worked_cash_flow",
    # agile
    "agile_release_inputs_from_the_latest_work_items_snapshot",
    "sprint_commitment_from_first_snapshot_and_content_from_latest",
    "agile_evm_worked_example",
    "sprint_velocity_scope_change_and_rolling_average",
    # portfolio
    "risk_exposure_is_probability_times_converted_impact",
    "project_exposure_sums_open_quantified_risks",
    "status_measures_benefit_realisation_to_date_and_risk_share",
    "rag_bands_at_the_edges_from_the_seed",
    "quality_rag_bands_at_the_edges_and_not_rated_without_quality_data",
    "overall_rag_trend_against_the_previous_period",
    "utilisation_and_over_allocation",
    "team_and_role_utilisation_are_ratios_of_sums",
    "data_completeness_flags",
    "weighted_prioritisation_score_from_the_seed_weights",
    "equal_weighted_scores_tie_whatever_the_summation_order",
    "milestone_slippage_against_baseline",
    "open_risks_on_the_probability_impact_matrix_at_the_band_edges",
    # as reported vs restated
    "restatement_sets_reported_beside_restated_figures",
}


# --------------------------------------------------------------------------- helpers


def _create_raw(db_path: Path, score_columns: tuple[str, ...] = ()) -> None:
    """Create schema raw with one empty table per contract entity, plus extra score columns."""
    con = duckdb.connect(str(db_path))
    try:
        create_contract_tables(con)
        for column in score_columns:
            con.execute(f'alter table raw.projects add column "{column}" DOUBLE')
    finally:
        con.close()


def _fetch(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _declared_unit_tests() -> set[str]:
    names = set()
    for folder in FOLDERS:
        for path in (DBT_PROJECT / folder).glob("*.yml"):
            doc = yaml.safe_load(path.read_text()) or {}
            names |= {t["name"] for t in doc.get("unit_tests", [])}
    return names


# --------------------------------------------------------------------------- unit tests


def test_portfolio_unit_tests_pass(tmp_path: Path, warehouse: Path) -> None:
    """Every unit test of the benefits, portfolio and agile models runs and passes: AgileEVM, NPV, ROI,
    BCR, payback, realisation % (both definitions), dis-benefit netting, RAG bands at the seed's edges,
    utilisation and over-allocation, risk exposure, data completeness, prioritisation, slippage."""
    _create_raw(warehouse)
    # Unit tests need their inputs' relations to learn column types; the seeds are inputs too.
    seeded = _dbt(tmp_path, "seed")
    assert seeded.success, _failures(seeded)
    built = _dbt(tmp_path, "run", "--empty")
    assert built.success, _failures(built)

    selectors = [f"test_type:unit,path:{folder}" for folder in FOLDERS]
    result = _dbt(tmp_path, "test", "--select", *selectors)
    assert result.success, _failures(result)
    ran = {r.node.name: str(r.status) for r in result.result}
    assert _declared_unit_tests() == EXPECTED_UNIT_TESTS
    assert set(ran) == EXPECTED_UNIT_TESTS
    assert all(status == "pass" for status in ran.values()), ran

    # The model with people's names is built outside the published schema.
    schemas = dict(
        _fetch(
            warehouse,
            "select table_name, table_schema from information_schema.tables "
            "where table_name in ('restricted_person_utilisation', 'fct_resource_utilisation')",
        )
    )
    assert schemas == {"restricted_person_utilisation": "restricted", "fct_resource_utilisation": "marts"}
    columns = {
        name
        for (name,) in _fetch(
            warehouse,
            "select column_name from information_schema.columns where table_schema = 'marts'",
        )
    }
    assert "person_name" not in columns


# --------------------------------------------------------------------------- prioritisation scores


def _register_rows(db_path: Path, rows: list[dict]) -> None:
    con = duckdb.connect(str(db_path))
    try:
        for index, row in enumerate(rows, start=1):
            row = {**row, "_source_file": "landing/projects/p.csv", "_source_row": index,
                   "_loaded_at": dt.datetime(2024, 4, 1)}
            names = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into raw.projects ({names}) values ({marks})", list(row.values()))
    finally:
        con.close()


def test_prioritisation_reads_whatever_score_columns_the_register_has(tmp_path: Path, warehouse: Path) -> None:
    """score_<criterion> columns are found when the model compiles: weighted with the seed's weights
    (strategic_fit 0.5, financial_value 0.3, risk_reduction 0.2); an unweighted one is ignored."""
    _create_raw(warehouse, ("score_strategic_fit", "score_Financial_Value", "score_risk_reduction", "score_innovation"))
    _register_rows(
        warehouse,
        [
            {"project_code": "A", "project_name": "A", "currency": "GBP", "score_strategic_fit": 5,
             "score_Financial_Value": 4, "score_risk_reduction": 3, "score_innovation": 1},
            {"project_code": "B", "project_name": "B", "currency": "GBP", "score_strategic_fit": 2},
        ],
    )
    result = _dbt(tmp_path, "build", "--select", "+fct_project_prioritisation", "--indirect-selection", "cautious",
                  "--exclude-resource-type", "unit_test")
    assert result.success, _failures(result)
    scores = _fetch(warehouse, "select project_code, criterion, score from staging.stg_raw__project_scores order by all")
    assert scores == [
        ("A", "financial_value", 4.0),
        ("A", "innovation", 1.0),
        ("A", "risk_reduction", 3.0),
        ("A", "strategic_fit", 5.0),
        ("B", "strategic_fit", 2.0),
    ]
    ranked = _fetch(
        warehouse,
        "select project_code, weighted_score, is_fully_scored, priority_rank "
        "from marts.fct_project_prioritisation order by project_code",
    )
    assert ranked[0][0] == "A" and ranked[0][1] == pytest.approx(4.3) and ranked[0][2:] == (True, 1)
    assert ranked[1] == ("B", pytest.approx(2.0), False, 2)


def test_prioritisation_without_score_columns_is_empty_not_an_error(tmp_path: Path, warehouse: Path) -> None:
    """A register file without score columns: no scores, NULL weighted scores, and the build passes."""
    _create_raw(warehouse)
    _register_rows(warehouse, [{"project_code": "A", "project_name": "A", "currency": "GBP"}])
    result = _dbt(tmp_path, "build", "--select", "+fct_project_prioritisation", "--indirect-selection", "cautious",
                  "--exclude-resource-type", "unit_test")
    assert result.success, _failures(result)
    assert _fetch(warehouse, "select count(*) from staging.stg_raw__project_scores") == [(0,)]
    assert _fetch(
        warehouse, "select project_code, criteria_scored, weighted_score, priority_rank from marts.fct_project_prioritisation"
    ) == [("A", 0, None, None)]
