"""`pmo backfill`: one build for a range of periods, a pack and frozen figures for each.

On the hand-worked project HAND-1 (January to March 2026; February's AC is 50,880 and, once a late
invoice of 1,500 dated 2026-02-25 lands, 52,380: see test_restatement.py):

* a backfill of January..March issues three packs, freezes each period's figures and closes January
  and February, and its marts are exactly those of a plain run of March on a fresh home;
* a second backfill after the late invoice keeps the closed periods' figures as reported (their frozen
  files do not change by a byte) and shows February restated in fct_earned_value_restatement;
* with --restate, February's frozen AC becomes 52,380 and February stays closed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.pipeline.backfill import list_backfills, periods_between
from orchestration.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from mart_hashes import fingerprints  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
runner = CliRunner()
PERIODS = ["2026-01", "2026-02", "2026-03"]
OUTPUT: dict[Path, str] = {}  # what `pmo backfill` printed, by home
LATE_INVOICE = (
    "posting_date,document_id,line_id,project_code,task_code,account,cost_type,amount,currency,description\n"
    "2026-02-25,HL-7,1,HAND-1,T2,5200,material,1500,GBP,Fit-out fixings invoiced late\n"
)


def tree_sha(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def frozen_ac(home: Path, period: str) -> float:
    path = home / "reported" / period / "fct_earned_value.parquet"
    [(ac,)] = duckdb.sql(f"select ac from read_parquet('{path}') where period = '{period}'").fetchall()
    return float(ac)


def manifest(home: Path, period: str) -> dict:
    return json.loads((home / "reported" / period / "manifest.json").read_text())


def new_home(root: Path, name: str) -> Path:
    home = root / name
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    return home


def backfill(home: Path, *extra: str):
    return runner.invoke(app, ["backfill", "--start", PERIODS[0], "--end", PERIODS[-1], "--home", str(home), *extra])


def test_periods_between():
    assert periods_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods_between("2026-02", "2026-01") == []


def test_end_before_start_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["backfill", "--start", "2026-03", "--end", "2026-01", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "before" in result.output


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory) -> Path:
    home = new_home(tmp_path_factory.mktemp("backfill"), "home")
    result = backfill(home)
    assert result.exit_code == 0, result.output
    OUTPUT[home] = result.output
    return home


def test_a_backfill_without_a_terminal_prints_a_line_as_it_moves_on(backfilled):
    """No progress bar without a terminal (here, as from cron or into a log file): a line for each step the
    backfill's record shows, in order, then the summary."""
    lines = [line for line in OUTPUT[backfilled].splitlines()
             if line.startswith("Backfill 2026-01…2026-03: ") and line.endswith(" s)")]  # not the bar's last state
    assert re.fullmatch(r"Backfill 2026-01…2026-03: building the marts \(0/3, \d+ s\)", lines[0]), lines
    issued = [re.fullmatch(r"Backfill 2026-01…2026-03: issued (\d{4}-\d{2}) \((\d)/3, \d+ s\)", line) for line in lines[1:]]
    assert all(issued), lines
    assert [m.group(1) for m in issued] == sorted(m.group(1) for m in issued)  # oldest first, none twice
    assert all(PERIODS.index(m.group(1)) + 1 == int(m.group(2)) for m in issued)
    assert "✓ backfill " in OUTPUT[backfilled] and "3 period(s) issued 2026-01…2026-03" in OUTPUT[backfilled]


def test_a_backfill_issues_a_pack_and_frozen_figures_per_period(backfilled, monkeypatch):
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    for period in PERIODS:
        assert (backfilled / "reports" / period / "portfolio-pack.pdf").stat().st_size > 10_000
    assert [manifest(backfilled, p)["closed_at"] is not None for p in PERIODS] == [True, True, False]
    assert frozen_ac(backfilled, "2026-02") == pytest.approx(50_880, abs=1e-6)
    # One run built the marts for all three periods.
    [bf] = list_backfills(backfilled)
    assert (bf.state, bf.issued, len(bf.runs)) == ("completed", PERIODS, 1)


def test_a_backfill_builds_the_marts_of_a_plain_run_of_its_last_period(backfilled, tmp_path):
    plain = new_home(tmp_path, "plain")
    result = runner.invoke(app, ["run", "--home", str(plain), "--period", PERIODS[-1]])
    assert result.exit_code == 0, result.output
    # without a terminal, a line as each step ends (the spinner names them on one), in the job's order
    steps = re.findall(r"^2026-03: (\w+) done in \d+\.\d s$", result.output, re.MULTILINE)
    assert steps == ["ingest_landing", "raw_expectations", "dbt_models", "mart_expectations", "serving__snapshot",
                     "quality__run_summary", "reports__portfolio_pack"], result.output
    assert fingerprints(str(backfilled / "serving.duckdb")) == fingerprints(str(plain / "serving.duckdb"))


@pytest.mark.slow  # a few full runs; `make test-all` runs it (the default suite must stay well under 15 min)
def test_a_killed_backfill_resumes_and_builds_the_same_marts(backfilled, tmp_path):
    """SIGKILL the process group of `pmo backfill` once January's pack is issued; the same command then
    recovers the dead run, resumes from February and ends with the uninterrupted backfill's marts."""
    home = new_home(tmp_path, "killed")
    cmd = [str(Path(sys.executable).with_name("pmo")), "backfill", "--start", PERIODS[0], "--end", PERIODS[-1],
           "--home", str(home)]
    env = {**os.environ, "PMO_PACK_WORKERS": "1"}  # one pack at a time: a window to kill it between packs
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            backfills = list_backfills(home)
            if backfills and backfills[0].issued:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stdout.read().decode()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    [stopped] = list_backfills(home)
    assert stopped.issued[:1] == ["2026-01"] and stopped.state == "running" and stopped.resume_from is not None

    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Resuming backfill {stopped.backfill_id}" in result.stdout
    [resumed] = list_backfills(home)
    assert (resumed.state, resumed.issued, len(resumed.runs)) == ("completed", PERIODS, 2)
    assert fingerprints(str(home / "serving.duckdb")) == fingerprints(str(backfilled / "serving.duckdb"))
    assert frozen_ac(home, "2026-02") == pytest.approx(50_880, abs=1e-6)


@pytest.mark.slow  # a few full runs; `make test-all` runs it (the default suite must stay well under 15 min)
def test_closed_periods_keep_their_figures_unless_restated(backfilled):
    frozen_feb = tree_sha(backfilled / "reported" / "2026-02")
    (backfilled / "landing" / "ledger" / "late-invoice.csv").write_text(LATE_INVOICE)

    result = backfill(backfilled)
    assert result.exit_code == 0, result.output
    assert tree_sha(backfilled / "reported" / "2026-02") == frozen_feb
    con = duckdb.connect(str(backfilled / "serving.duckdb"), read_only=True)
    try:
        [(reported, restated, cause)] = con.execute(
            "select reported_ac, restated_ac, restatement_cause from marts.fct_earned_value_restatement "
            "where period = '2026-02' and is_restated").fetchall()
    finally:
        con.close()
    assert (float(reported), float(restated), cause) == (pytest.approx(50_880), pytest.approx(52_380),
                                                         "source_correction")

    result = backfill(backfilled, "--restate")
    assert result.exit_code == 0, result.output
    assert frozen_ac(backfilled, "2026-02") == pytest.approx(52_380, abs=1e-6)
    assert manifest(backfilled, "2026-02")["closed_at"] is not None
    assert [b.state for b in list_backfills(backfilled)] == ["completed"] * 3
