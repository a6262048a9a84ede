"""The gates as they ran before they ran in SQL: pandas frames, helper columns derived in pandas, and
great-expectations as the engine.  tests/unit/test_suite_parity.py runs every suite both this way and
through orchestration.pipeline.quality (SQL in DuckDB) and requires the same verdicts; this module is the
reference, kept as it was (orchestration/pipeline/quality.py at 98081c1), not used at run time.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.pipeline.quality import (
    ISO_4217,
    MARTS_SCHEMA,
    RAW_SUITE_PREFIX,
    date_horizon,
    load_suite_dict,
    mart_keys,
    period_end,
    previous_published_mart_rows,
    previous_published_rows,
    validate_frame_gx,
    volume_band,
)
from orchestration.settings import EXPECTATIONS_DIR, QualitySettings


def _scalar_list(con, sql: str) -> list:
    try:
        return [r[0] for r in con.execute(sql).fetchall()]
    except duckdb.Error:
        return []


def _key(frame: pd.DataFrame, cols: list[str], sep: str = "|") -> pd.Series:
    parts = [frame[c].astype("string").fillna("") for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + sep + p
    return out.astype(object)


def derive_columns(entity: str, frame: pd.DataFrame, con) -> pd.DataFrame:
    """Add the helper columns the entity's suite validates (each documented in the suite's meta)."""
    frame = frame.copy()
    if entity in ("timesheets", "ledger"):
        has_task = frame["task_code"].notna()
        frame["_project_task"] = (frame["project_code"].astype("string") + "/"
                                  + frame["task_code"].astype("string")).where(has_task, None).astype(object)
    if entity == "timesheets":
        counted = frame["approval_status"].fillna("approved").ne("rejected")
        hours = frame["hours"].where(counted, 0.0)
        frame["_daily_hours"] = hours.groupby([frame["person_id"], frame["work_date"]]).transform("sum") \
            if len(frame) else pd.Series(dtype="float64")
        people = set(_scalar_list(con, "SELECT DISTINCT person_id FROM raw.rates WHERE person_id IS NOT NULL"))
        roles = set(_scalar_list(con, "SELECT DISTINCT role FROM raw.rates WHERE role IS NOT NULL AND person_id IS NULL"))
        frame["_person_costable"] = (frame["person_id"].isin(people) | frame["role"].isin(roles)).astype(object)
    elif entity == "ledger":
        frame["_document_line"] = _key(frame, ["document_id", "line_id"], "#")
        closed = {}
        try:
            # a closed project's finish: the latest actual finish in its schedules, else its planned finish
            closed = dict(con.execute("""
                SELECT p.project_code, coalesce(max(t.actual_finish), p.planned_finish_date)
                FROM raw.projects AS p LEFT JOIN raw.tasks AS t ON t.project_code = p.project_code
                WHERE p.status = 'closed' GROUP BY p.project_code, p.planned_finish_date""").fetchall())
        except duckdb.Error:
            pass
        finish = frame["project_code"].map(lambda c: closed.get(c, date.max) if c in closed else None)
        # month-end accruals of the finish month are normal; a posting in a later month is not
        late = [bool(f is not None and p is not None and not pd.isna(p) and f is not date.max
                     and p.date() > period_end(f"{f.year:04d}-{f.month:02d}"))
                for f, p in zip(finish, frame["posting_date"])]
        frame["_closed_project_posting"] = pd.Series(late, index=frame.index, dtype=object)
    elif entity == "tasks":
        frame["_task_key"] = _key(frame, ["status_date", "project_code", "task_code"])
    elif entity == "baseline_phasing":
        frame["_project_task"] = (frame["project_code"].astype("string") + "/"
                                  + frame["task_code"].astype("string")).astype(object)
        frame["_phase_key"] = _key(frame, ["project_code", "task_code", "baseline_version", "phase_start"])
    elif entity == "rates":
        frame["_rate_subject"] = frame["person_id"].where(frame["person_id"].notna(), frame["role"]).astype(object)
        frame["_rate_key"] = _key(frame, ["person_id", "role", "valid_from"])
    elif entity == "fx_rates":
        frame["_fx_key"] = _key(frame, ["period", "from_currency", "to_currency"])
    elif entity == "benefits":
        frame["_benefit_key"] = _key(frame, ["benefit_id", "period"])
    elif entity == "risks":
        frame["_risk_key"] = _key(frame, ["status_date", "risk_id"])
    elif entity == "capacity":
        frame["_capacity_key"] = _key(frame, ["person_id", "period"])
    elif entity == "work_items":
        frame["_item_key"] = _key(frame, ["status_date", "item_key"])
    return frame


def suite_parameters(entity: str, con, period: str | None, quality: QualitySettings,
                     serving: Path | None = None, today: date | None = None) -> dict:
    """The values the raw suites' ``$PARAMETER`` placeholders take for this run."""
    from datetime import datetime

    vmin, vmax = volume_band(previous_published_rows(serving, entity), quality)
    tasks = _scalar_list(con, "SELECT DISTINCT project_code || '/' || task_code FROM raw.tasks")
    return {
        "known_project_codes": _scalar_list(con, "SELECT DISTINCT project_code FROM raw.projects"),
        "known_project_tasks": tasks,
        "known_currencies": sorted(ISO_4217 | set(quality.extra_currencies)),
        "date_horizon": datetime.combine(date_horizon(period, quality, today), datetime.min.time()),
        "max_daily_hours": quality.max_daily_hours,
        "volume_min_rows": vmin,
        "volume_max_rows": vmax,
    }


def run_raw_suite_gx(entity: str, warehouse: Path, period: str | None, quality: QualitySettings | None = None,
                     serving: Path | None = None, suite: str | None = None, today: date | None = None,
                     directory: Path = EXPECTATIONS_DIR):
    """Validate ``raw.<entity>`` of ``warehouse`` with its suite, for the run of ``period``."""
    quality = quality or QualitySettings()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM raw.{entity} ORDER BY _source_file, _source_row").df()
        frame = derive_columns(entity, frame, con)
        params = suite_parameters(entity, con, period, quality, serving, today)
    finally:
        con.close()
    return validate_frame_gx(suite or f"{RAW_SUITE_PREFIX}{entity}", frame, params, directory, quality)


def derive_mart_columns(frame: pd.DataFrame, keys: list[str], mart: str, period: str | None) -> pd.DataFrame:
    """Helper columns the mart suites validate, and a location for failing rows.

    ``_source_file`` is ``marts.<mart>`` and ``_source_row`` the row's key (e.g. ``PRJ-1|2026-03``), so a
    failure names the mart row the way a raw failure names the file row.  ``_period_not_after_run`` is
    False on rows of a period after the run's; ``_status_date_is_period_end`` is False where a row's
    status_date is not the last day of its period.
    """
    frame = frame.copy()
    present = [k for k in keys if k in frame.columns]
    frame["_source_file"] = f"{MARTS_SCHEMA}.{mart}"
    frame["_source_row"] = _key(frame, present) if present and len(frame) else pd.Series(dtype=object)
    if "period" in frame.columns:
        frame["_period_not_after_run"] = (frame["period"].isna() | (frame["period"].astype(object) <= period)
                                          if period else True)
        frame["_period_not_after_run"] = frame["_period_not_after_run"].astype(object)
        if "status_date" in frame.columns:
            ends = [None if p is None or pd.isna(p) or d is None or pd.isna(d) else
                    bool(pd.Timestamp(d).date() == period_end(str(p))) if len(str(p)) == 7 else False
                    for p, d in zip(frame["period"], frame["status_date"])]
            frame["_status_date_is_period_end"] = pd.Series(ends, index=frame.index, dtype=object)
    return frame


def run_mart_suite_gx(mart: str, warehouse: Path, period: str | None, quality: QualitySettings | None = None,
                      serving: Path | None = None, reporting_currency: str = "GBP",
                      directory: Path = EXPECTATIONS_DIR):
    """Validate ``marts.<mart>`` of ``warehouse`` with its suite: the frame, sorted by key, helper columns."""
    quality = quality or QualitySettings()
    suite = f"mart_{mart}"
    keys = mart_keys(load_suite_dict(suite, directory))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM {MARTS_SCHEMA}.{mart}").df()
    finally:
        con.close()
    built = list(frame.columns)  # the mart as built: no volume band when its columns changed since published
    if len(frame) and keys and all(k in frame.columns for k in keys):
        frame = frame.sort_values(keys, kind="stable", na_position="first")
    frame = derive_mart_columns(frame, keys, mart, period)
    vmin, vmax = volume_band(previous_published_mart_rows(serving, mart, period, built), quality)
    params = {"reporting_currency": [reporting_currency], "volume_min_rows": vmin, "volume_max_rows": vmax}
    return validate_frame_gx(suite, frame, params, directory, quality)
