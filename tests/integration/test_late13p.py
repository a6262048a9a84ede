"""LATE-13P (../shared/evm-oracle) through the whole pipeline: landing files in, the mart read back.

The worked example gives cumulative PV, EV and AC for 13 periods (PD = 9, BAC = 360.738) and the published
ES, SPI(t) and IEAC(t) for three performance factors. The test writes them as canonical landing files —
one baseline task per planned period whose cost is that period's PV increment (so linear spreading over
the month gives exactly the published period-end PV), a schedule snapshot per period whose percentages
earn exactly the published EV, and one ledger line per period carrying the AC increment — runs the flow
for the 13th period through Dagster and compares the mart with the published answers to 1e-6.
"""
from __future__ import annotations

import calendar
import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.runner import run_period
from orchestration.settings import init_home, load_settings

ORACLE = Path(__file__).resolve().parents[3] / "shared" / "evm-oracle" / "late_project_13period.csv"
pytestmark = pytest.mark.skipif(not ORACLE.exists(), reason="shared/evm-oracle is not beside the repository")

FIRST_YEAR = 2024


def month(t: int) -> tuple[int, int]:
    return FIRST_YEAR + (t - 1) // 12, (t - 1) % 12 + 1


def period(t: int) -> str:
    y, m = month(t)
    return f"{y:04d}-{m:02d}"


def month_end(t: int) -> str:
    y, m = month(t)
    return f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"


def write_landing(landing: Path, rows: list[dict]) -> None:
    pv = [Decimal(0)] + [Decimal(r["pv_cum"]) for r in rows]
    planned = [t for t in range(1, len(rows) + 1) if pv[t] > pv[t - 1]]
    costs = {t: pv[t] - pv[t - 1] for t in planned}
    for folder in ("projects", "tasks", "ledger"):
        (landing / folder).mkdir(parents=True)
    (landing / "projects" / "projects.csv").write_text(
        "project_code,project_name,programme,portfolio,methodology,currency,status\n"
        "LATE-13P,Late project (worked example),Oracle,Reference,waterfall,GBP,active\n")
    with open(landing / "tasks" / "tasks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["status_date", "project_code", "task_code", "baseline_start", "baseline_finish",
                    "baseline_cost", "percent_complete", "baseline_version"])
        for t, row in enumerate(rows, 1):
            remaining = Decimal(row["ev_cum"])
            for p in planned:
                earned = min(costs[p], remaining)
                remaining -= earned
                y, m = month(p)
                w.writerow([month_end(t), "LATE-13P", f"P{p:02d}", f"{y:04d}-{m:02d}-01", month_end(p),
                            costs[p], format(earned / costs[p] * 100, ".15f"), "BL1"])
    with open(landing / "ledger" / "ledger.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["posting_date", "document_id", "project_code", "cost_type", "amount", "currency"])
        previous = Decimal(0)
        for t, row in enumerate(rows, 1):
            y, m = month(t)
            w.writerow([f"{y:04d}-{m:02d}-15", f"AC-{t:02d}", "LATE-13P", "subcontract",
                        Decimal(row["ac_cum"]) - previous, "GBP"])
            previous = Decimal(row["ac_cum"])


def test_late_13p_through_the_pipeline(tmp_path, monkeypatch):
    rows = list(csv.DictReader(ORACLE.open()))
    monkeypatch.setenv("PMO_HOME", str(tmp_path))
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    settings = load_settings(tmp_path)
    init_home(settings)
    write_landing(settings.landing_dir, rows)
    outcome = run_period(settings, period(len(rows)))
    assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
    assert_published_answers(settings.serving_path, rows)


def assert_published_answers(serving: Path, rows: list[dict]) -> None:
    """The mart of ``serving`` against LATE-13P's published answers (also tests/spark/test_spark_pipeline.py's,
    on Spark)."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        mart = {r[0]: r[1:] for r in con.execute(
            "select period, pv, ev, ac, es, \"at\", spi_t, ieac_t, ieac_t_pf1, ieac_t_spi_t, ieac_t_cpi_spi_t "
            "from marts.fct_earned_value where project_code = 'LATE-13P' order by period").fetchall()}
    finally:
        con.close()
    assert list(mart) == [period(t) for t in range(1, len(rows) + 1)]
    for t, row in enumerate(rows, 1):
        pv, ev, ac, es, at, spi_t, ieac_t, pf1, pf_spi_t, pf_sci = mart[period(t)]
        assert (float(pv), float(ev), float(ac)) == pytest.approx(
            (float(row["pv_cum"]), float(row["ev_cum"]), float(row["ac_cum"])), abs=1e-6)
        assert at == t
        assert es == pytest.approx(float(row["exp_es"]), abs=1e-6), t
        assert spi_t == pytest.approx(float(row["exp_spi_t"]), abs=1e-6), t
        assert ieac_t == pytest.approx(float(row["exp_ieac_t_pf_spit"]), abs=1e-6), t
        assert pf1 == pytest.approx(float(row["exp_ieac_t_pf1"]), abs=1e-6), t
        assert pf_spi_t == pytest.approx(float(row["exp_ieac_t_pf_spit"]), abs=1e-6), t
        assert pf_sci == pytest.approx(float(row["exp_ieac_t_pf_scit"]), abs=1e-6), t
    # at completion: SPI = 1 and SV = 0 hide the lateness that SPI(t) = 0.69 and SV(t) = -4 show
    assert mart[period(13)][5] == pytest.approx(9 / 13, abs=1e-9)
