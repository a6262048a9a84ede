"""The `pmo` command: exit statuses, and a blocking check that stops publication."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli import app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
runner = CliRunner()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_usage_errors_exit_2(tmp_path):
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--period", "2026-13"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["run", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "landing" in result.output
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--bogus"])
    assert result.exit_code == 2


def test_bad_reporting_currency_setting_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PMO_REPORTING_CURRENCY", "pounds")
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--period", "2026-03"])
    assert result.exit_code == 2
    assert "PMO_REPORTING_CURRENCY" in result.output


def test_blocking_check_keeps_the_last_good_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.setenv("PMO_HOME", str(home))

    good = runner.invoke(app, ["run", "--home", str(home)])
    assert good.exit_code == 0, good.output
    serving = home / "serving.duckdb"
    pack = home / "reports" / "2026-03" / "portfolio-pack.pdf"
    parquet = home / "parquet" / "fct_earned_value.parquet"
    before = (sha(serving), sha(pack), sha(parquet))

    # A 30-hour entry breaks the timesheet suite (hours within 0-24): the run must stop before publishing.
    with open(home / "landing" / "timesheets" / "hand-timesheets.csv", "a", encoding="utf-8") as fh:
        fh.write("2026-03-13,H1,Hana Example,HAND-1,T2,30,engineer,approved,HAND-TS-99\n")
    bad = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert bad.exit_code == 1, bad.output
    assert "timesheets_expectations" in bad.output
    assert "expect_column_values_to_be_between" in bad.output
    assert (sha(serving), sha(pack), sha(parquet)) == before

    # Once the file is corrected, the next run publishes again.
    path = home / "landing" / "timesheets" / "hand-timesheets.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if "HAND-TS-99" not in line))
    again = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert again.exit_code == 0, again.output
    assert str(serving) in again.output
    assert "1 row(s) quarantined" in again.output  # the exact duplicate timesheet row
    assert "landing/timesheets/hand-timesheets.csv: 1 → quarantine.timesheets" in again.output
