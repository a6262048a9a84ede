"""The mart gates: one GX suite per published mart, each passing a good frame and failing a bad one."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.pipeline.quality import (
    load_suite_dict,
    mart_keys,
    mart_suites,
    previous_published_mart_rows,
    validate_mart_frame,
)
from orchestration.settings import QualitySettings

DBT_MARTS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts")
                   .rglob("fct_*.sql")) + ["dim_project"]

EV = {"bac": [1000.0, 1000.0], "pv": [200.0, 500.0], "ev": [150.0, 450.0], "ac": [180.0, 470.0]}

#: A good two-row frame per mart (the columns its suite reads), and how to break it: (column, value in
#: row 2, expectation id that must fail).
#: The measures both quality marts carry (fct_project_quality, fct_quality_rollup), two rows.
QUALITY = {"open_defects": [3, 0], "open_critical_defects": [1, 0], "defects_found": [2, 0],
           "escaped_defects_found": [1, 0], "defects_fixed": [1, 0], "defects_found_to_date": [4, 4],
           "defects_with_origin_to_date": [4, 4], "escaped_defects_to_date": [1, 1],
           "defect_escape_rate_pct": [25.0, 25.0], "mean_open_critical_age_days": [12.0, None],
           "reviews_to_date": [2, 3], "first_attempts_to_date": [2, 2], "first_time_passes_to_date": [1, 2],
           "first_time_pass_rate_pct": [50.0, 100.0], "open_nonconformances": [1, 0],
           "rework_cost_to_date": [500.0, None]}

GOOD = {
    "dim_project": ({"project_code": ["A", "B"], "project_name": ["a", "b"], "currency": ["GBP", "EUR"],
                     "status": ["active", "closed"], "methodology": ["waterfall", "agile"],
                     "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                     "planned_finish_date": pd.to_datetime(["2026-12-31", "2027-01-31"]), "bac_native": [1.0, 2.0]},
                    ("status", "paused", "status_values")),
    "fct_earned_value": ({"project_code": ["A", "A"], "period": ["2026-02", "2026-03"],
                          "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]), "currency": ["GBP", "GBP"],
                          **EV, "pct_complete": [15.0, 45.0], "pct_scheduled": [20.0, 50.0], "pct_spent": [18.0, 47.0],
                          "spi": [0.75, 0.9], "cpi": [0.83, 0.96], "spi_t": [0.8, 0.9]},
                         ("ac", -1.0, "ac_not_negative")),
    "fct_programme_earned_value": ({"programme": ["P", "P"], "period": ["2026-02", "2026-03"],
                                    "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                                    "currency": ["GBP", "GBP"], "project_count": [2, 2], **EV,
                                    "pct_complete": [15.0, 45.0], "pct_scheduled": [20.0, 50.0]},
                                   ("pct_complete", 140.0, "pct_complete_range")),
    "fct_portfolio_earned_value": ({"portfolio": ["F", "F"], "period": ["2026-02", "2026-03"],
                                    "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                                    "currency": ["GBP", "GBP"], "project_count": [2, 2], **EV,
                                    "pct_complete": [15.0, 45.0], "pct_scheduled": [20.0, 50.0]},
                                   ("currency", "EUR", "currency_is_reporting")),
    "fct_organisation_earned_value": ({"organisation": ["All portfolios", "All portfolios"],
                                       "period": ["2026-02", "2026-03"],
                                       "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                                       "currency": ["GBP", "GBP"], "project_count": [2, 2], **EV,
                                       "pct_complete": [15.0, 45.0], "pct_scheduled": [20.0, 50.0]},
                                      ("project_count", 0, "project_count_range")),
    "fct_forecast_range": ({"project_code": ["A", "A"], "period": ["2026-02", "2026-03"],
                            "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]), "currency": ["GBP", "GBP"],
                            "eac_p10": [900.0, 950.0], "eac_p50": [1000.0, 1000.0], "eac_p90": [1150.0, 1100.0],
                            "finish_p10": pd.to_datetime(["2026-10-01", "2026-10-05"]),
                            "finish_p50": pd.to_datetime(["2026-11-01", "2026-11-01"]),
                            "finish_p90": pd.to_datetime(["2026-12-20", "2026-12-01"]), "ln_cpi_se": [0.1, 0.08]},
                           ("ln_cpi_se", -0.1, "ln_cpi_se_not_negative")),
    "fct_forecast_range_rollup": ({"rollup_level": ["portfolio", "portfolio"], "rollup_name": ["F", "F"],
                                   "period": ["2026-02", "2026-03"],
                                   "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                                   "currency": ["GBP", "GBP"], "project_count": [2, 2],
                                   "eac_p10": [1900.0, 1950.0], "eac_p50": [2000.0, 2000.0],
                                   "eac_p90": [2150.0, 2100.0]},
                                  ("rollup_level", "team", "rollup_level_values")),
    "fct_lessons_learned": ({"lesson_id": ["L1", "L2"], "project_code": ["A", "B"],
                             "category": ["estimating", "supplier"], "status": ["open", "embedded"]},
                            ("status", "closed", "status_values")),
    "fct_lesson_themes": ({"category": ["estimating", "estimating"], "period": ["2026-02", "2026-03"],
                           "raised_to_date": [1, 2]},
                          ("period", "2026-3", "period_format")),
    "fct_lesson_risk_links": ({"project_code": ["A", "A"], "risk_id": ["R1", "R1"], "lesson_id": ["L1", "L2"]},
                              ("lesson_id", "L1", "key_unique")),
    "fct_project_quality": ({"project_code": ["A", "A"], "period": ["2026-02", "2026-03"],
                             "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                             "has_quality_data": [True, True], **QUALITY},
                            ("defect_escape_rate_pct", 120.0, "defect_escape_rate_pct_range")),
    "fct_quality_rollup": ({"rollup_level": ["programme", "organisation"], "rollup_name": ["PG", "All portfolios"],
                            "period": ["2026-03", "2026-03"], "projects": [2, 5], "projects_with_quality_data": [1, 3],
                            **QUALITY},
                           ("first_time_passes_to_date", 9, "passes_not_above_attempts")),
    "fct_task_earned_value": ({"project_code": ["A", "A"], "task_code": ["T1", "T1"], "period": ["2026-02", "2026-03"],
                               "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]), "currency": ["GBP", "GBP"],
                               **EV, "ac_hours": [3.0, 9.0], "pct_complete": [15.0, 45.0],
                               "percent_complete": [15.0, 45.0]},
                              ("status_date", pd.Timestamp("2026-03-30"), "status_date_is_period_end")),
    "fct_baseline_history": ({"project_code": ["A", "A"], "baseline_version": ["BL1", "BL2"], "version_sequence": [1, 2],
                              "first_status_date": pd.to_datetime(["2026-01-31", "2026-03-31"]),
                              "last_status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]),
                              "bac_native": [100.0, 120.0]},
                             ("baseline_version", "BL1", "key_unique")),
    "fct_project_status": ({"project_code": ["A", "A"], "period": ["2026-02", "2026-03"],
                            "status_date": pd.to_datetime(["2026-02-28", "2026-03-31"]), "rule_version": ["R1", "R1"],
                            "rag_cost": ["green", "red"], "rag_schedule": ["amber", "red"], "rag_benefits": [None, None],
                            "rag_risk": ["green", "green"], "rag_overall": ["amber", "red"], "rag_overall_rank": [2, 3],
                            "previous_rag_overall": [None, "amber"], "overall_trend": [None, "worse"]},
                           ("rag_overall", "purple", "rag_overall_values")),
    "fct_benefit_realisation": ({"benefit_id": ["B1", "B1"], "period": ["2026-03", "2026-04"], "project_code": ["A", "A"],
                                 "currency": ["GBP", "GBP"]},
                                ("period", "2026-4", "period_format")),
    "fct_project_benefits": ({"project_code": ["A", "B"], "period": ["2026-03", "2026-03"], "currency": ["GBP", "GBP"],
                              "monetary_benefit_count": [1, 0], "monetary_disbenefit_count": [0, 0],
                              "non_monetary_benefit_count": [2, 1]},
                             ("period", "2026-04", "period_not_after_run")),
    "fct_project_prioritisation": ({"project_code": ["A", "B"], "criteria_weighted": [3, 3], "criteria_scored": [3, 2],
                                    "priority_rank": [1, 2]},
                                   ("priority_rank", 0, "priority_rank_range")),
    "fct_resource_utilisation": ({"person_id": ["P1", "P2"], "period": ["2026-03", "2026-03"],
                                  "available_hours": [160.0, 150.0], "approved_hours": [150.0, 170.0],
                                  "utilisation_pct": [93.75, 113.3]},
                                 ("approved_hours", -8.0, "approved_hours_not_negative")),
    "fct_team_utilisation": ({"group_type": ["team", "role"], "group_name": ["T", "engineer"],
                              "period": ["2026-03", "2026-03"], "available_hours": [160.0, 150.0],
                              "approved_hours": [150.0, 120.0], "utilisation_pct": [93.75, 80.0]},
                             ("group_type", "squad", "group_type_values")),
    "fct_risk_exposure": ({"project_code": ["A", "B"], "period": ["2026-03", "2026-03"], "currency": ["GBP", "GBP"],
                           "status_date": pd.to_datetime(["2026-03-31", "2026-03-31"]), "open_risks": [2, 0],
                           "unquantified_open_risks": [0, 0], "exposure": [500.0, 0.0]},
                          ("project_code", None, "project_code_not_null")),
    "fct_portfolio_risk_exposure": ({"portfolio": ["F", "G"], "period": ["2026-03", "2026-03"],
                                     "currency": ["GBP", "GBP"],
                                     "status_date": pd.to_datetime(["2026-03-31", "2026-03-31"]), "open_risks": [2, 0],
                                     "unquantified_open_risks": [0, 0], "exposure": [500.0, 0.0]},
                                    ("open_risks", -1, "open_risks_not_negative")),
    "fct_risk_themes": ({"portfolio": ["F", "F"], "category": ["tech", "legal"], "period": ["2026-03", "2026-03"],
                         "currency": ["GBP", "GBP"], "status_date": pd.to_datetime(["2026-03-31", "2026-03-31"]),
                         "open_risks": [2, 1], "closed_risks": [0, 3], "mean_open_probability": [0.4, 0.2]},
                        ("mean_open_probability", 1.5, "mean_open_probability_range")),
    "fct_top_risks": ({"exposure_rank": [1, 2], "project_code": ["A", "B"], "risk_id": ["R1", "R9"],
                       "period": ["2026-03", "2026-03"], "currency": ["GBP", "GBP"], "probability": [0.5, 0.3]},
                      ("probability", 30.0, "probability_range")),
    "fct_open_risks": ({"project_code": ["A", "B"], "risk_id": ["R1", "R9"], "period": ["2026-03", "2026-03"],
                        "currency": ["GBP", "GBP"], "probability": [0.5, None], "probability_band": [3, None],
                        "impact_band": [4, 2], "risk_zone": ["high", None]},
                       ("impact_band", 6, "impact_band_values")),
    "fct_milestone_slippage": ({"project_code": ["A", "A"], "task_code": ["M1", "M2"], "period": ["2026-03", "2026-03"],
                                "milestone_status": ["achieved", "late"],
                                "baseline_finish": pd.to_datetime(["2026-02-01", "2026-03-01"]),
                                "forecast_finish": pd.to_datetime(["2026-02-01", "2026-04-01"]),
                                "actual_finish": pd.to_datetime(["2026-02-03", None])},
                               ("milestone_status", None, "milestone_status_not_null")),
    "fct_dependency_status": ({"dependency_id": ["D1", "D2"], "period": ["2026-03", "2026-03"],
                               "needed_by_date": pd.to_datetime(["2026-05-01", "2026-06-01"]),
                               "provider_rag_overall": ["green", None], "provider_rag_schedule": ["amber", None]},
                              ("provider_rag_schedule", "blue", "provider_rag_schedule_values")),
    "fct_data_completeness": ({"project_code": ["A", "B"], "period": ["2026-03", "2026-03"], "missing_item_count": [0, 2]},
                              ("project_code", "A", "key_unique")),
    "fct_agile_release_ev": ({"project_code": ["A", "A"], "release": ["R1", "R2"], "period": ["2026-03", "2026-03"],
                              "status_date": pd.to_datetime(["2026-03-31", "2026-03-31"]), "currency": ["GBP", "GBP"],
                              "item_count": [10, 4], "points_done": [20.0, 3.0], "points_remaining": [5.0, 13.0]},
                             ("item_count", -2, "item_count_not_negative")),
    "fct_earned_value_restatement": ({"project_code": ["A", "B"], "period": ["2026-02", "2026-02"],
                                      "is_restated": [True, False], "reported_run_id": ["r1", "r1"],
                                      "closed_at": pd.to_datetime(["2026-03-01", "2026-03-01"]),
                                      "reported_ac": [500.0, 100.0], "restated_ac": [550.0, 100.0],
                                      "ac_restatement": [50.0, 0.0], "reported_ev": [400.0, 100.0],
                                      "restated_ev": [400.0, 100.0], "reported_bac": [1000.0, 200.0],
                                      "restated_bac": [1000.0, 200.0]},
                                     ("period", "2026-04", "period_not_after_run")),
    "fct_sprint_velocity": ({"project_code": ["A", "A"], "sprint_sequence": [1, 2], "sprint": ["S1", "S2"],
                             "committed_points": [20.0, 22.0], "final_points": [21.0, 22.0], "velocity": [18.0, 20.0]},
                            ("sprint", None, "sprint_not_null")),
}


def test_a_suite_per_published_mart():
    assert set(mart_suites()) == set(DBT_MARTS) == set(GOOD)
    for name in mart_suites().values():
        suite = load_suite_dict(name)
        ids = [e["meta"]["id"] for e in suite["expectations"]]
        assert len(ids) == len(set(ids)), name
        assert {"key_unique", "volume"} <= set(ids), name
        for key in mart_keys(suite):
            assert f"column_{key}" in ids and f"{key}_not_null" in ids, (name, key)
        assert {e["meta"]["severity"] for e in suite["expectations"]} <= {"blocking", "warning"}


@pytest.mark.parametrize("mart", sorted(GOOD))
def test_mart_suite_passes_a_good_frame_and_fails_a_bad_one(mart):
    columns, (column, value, expected) = GOOD[mart]
    good = pd.DataFrame(columns)
    outcome = validate_mart_frame(mart, good, "2026-03")
    assert outcome.status == "passed", outcome.summary()
    assert outcome.rows == 2 and outcome.evaluated == len(load_suite_dict(f"mart_{mart}")["expectations"])

    bad = good.copy()
    bad[column] = bad[column].astype(object)
    bad.loc[1, column] = value
    outcome = validate_mart_frame(mart, bad, "2026-03")
    assert [f.id for f in outcome.failures] == [expected], outcome.summary()
    [failure] = outcome.failures
    assert failure.unexpected_count in (None, 1, 2)
    if failure.rows:  # a failing row is located by its key in the mart
        assert failure.rows[0]["file"] == f"marts.{mart}"


def test_earned_value_mart_failures_name_the_row_and_block():
    columns, _ = GOOD["fct_earned_value"]
    bad = pd.DataFrame(columns)
    bad.loc[1, "ev"] = -450.0
    bad.loc[0, "period"] = "2026-04"  # a period after the run's, and its status date is not its end
    outcome = validate_mart_frame("fct_earned_value", bad, "2026-03")
    assert outcome.status == "failed"
    by_id = {f.id: f for f in outcome.failures}
    assert set(by_id) == {"ev_not_negative", "period_not_after_run", "status_date_is_period_end"}
    assert by_id["ev_not_negative"].unexpected_count == 1
    assert by_id["ev_not_negative"].rows == [{"file": "marts.fct_earned_value", "row": "A|2026-03", "value": -450.0}]
    assert by_id["period_not_after_run"].rows[0]["row"] == "A|2026-04"
    # quality.yaml can lower one expectation to a warning: the suite then passes with a warning
    q = QualitySettings(severity=(("mart_fct_earned_value.ev_not_negative", "warning"),
                                  ("mart_fct_earned_value.period_not_after_run", "off"),
                                  ("mart_fct_earned_value.status_date_is_period_end", "off")))
    warned = validate_mart_frame("fct_earned_value", bad, "2026-03", quality=q)
    assert warned.success and warned.status == "warned" and [f.id for f in warned.warnings] == ["ev_not_negative"]


def test_mart_volume_band_counts_published_rows_up_to_the_run_period(tmp_path):
    serving = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(serving))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_earned_value AS SELECT 'A' AS project_code, "
                "strftime(DATE '2025-01-01' + INTERVAL (i) MONTH, '%Y-%m') AS period FROM range(12) t(i)")
    con.close()
    assert previous_published_mart_rows(serving, "fct_earned_value", "2025-12") == 12
    assert previous_published_mart_rows(serving, "fct_earned_value", "2025-06") == 6  # a rebuild of June
    assert previous_published_mart_rows(serving, "fct_missing", "2025-06") is None
    columns, _ = GOOD["fct_earned_value"]
    good = pd.DataFrame(columns)  # 2 rows; the band from 12 published rows is 6 .. unbounded
    outcome = validate_mart_frame("fct_earned_value", good, "2026-03", serving=serving)
    [failure] = outcome.blocking_failures
    assert failure.id == "volume" and failure.sample == [2]
    grown = validate_mart_frame("fct_earned_value", good, "2026-03", serving=serving,
                                quality=QualitySettings(volume_min_ratio=0.1))
    assert grown.status == "passed"
