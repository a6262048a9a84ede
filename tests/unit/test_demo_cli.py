"""`pmo demo --no-run [--canonical]`: scale data for anyone, written without running anything."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli.main import app
from orchestration.demo.runbook import DEMO_MANIFEST
from orchestration.contract import ENTITIES
from orchestration.sources.canonical import read_canonical_csv

runner = CliRunner()
SMALL = ["--projects", "12", "--months", "6", "--as-of", "2026-06", "--seed", "7"]


@pytest.fixture
def no_runs(monkeypatch):
    """Any attempt to run the flow fails the test."""
    import orchestration.cli.runner

    def refuse(settings, period):
        raise AssertionError(f"pmo demo --no-run started a run of {period}")

    monkeypatch.setattr(orchestration.cli.runner, "run_period", refuse)


def _landing_files(home: Path) -> list[Path]:
    landing = home / "landing"
    return sorted(p for p in landing.rglob("*") if p.is_file() and p.name != DEMO_MANIFEST)


def _nothing_built(home: Path) -> None:
    assert not list(home.rglob("*.duckdb")), "no warehouse and no serving snapshot"
    assert not list(home.rglob("*.pdf")), "no pack"
    assert not list((home / "dagster").rglob("*")), "no Dagster run or event storage"
    assert not (home / "quality").exists() and not (home / "reported").exists()


def test_no_run_writes_the_demo_files_and_runs_nothing(tmp_path, no_runs):
    home = tmp_path / "home"
    result = runner.invoke(app, ["demo", "--home", str(home), *SMALL, "--no-run"])
    assert result.exit_code == 0, result.output
    assert "nothing was run" in result.output
    assert f"pmo run --home {home} --period 2026-06" in " ".join(result.output.split())
    files = _landing_files(home)
    manifest = json.loads((home / "landing" / DEMO_MANIFEST).read_text())
    assert manifest == [p.relative_to(home / "landing").as_posix() for p in files]
    folders = {p.parent.relative_to(home / "landing").parts[0] for p in files}
    # the vendor formats, as a full demo writes them; no late invoice (that belongs to the runs)
    assert {"p6", "tempo", "harvest", "sap", "jira"} <= folders
    assert not any("late-invoice" in p.name for p in files)
    _nothing_built(home)


def test_canonical_writes_every_entity_as_canonical_csv(tmp_path, no_runs):
    home = tmp_path / "home"
    result = runner.invoke(app, ["demo", "--home", str(home), *SMALL, "--no-run", "--canonical"])
    assert result.exit_code == 0, result.output
    assert "(canonical CSV)" in result.output
    rows: Counter[str] = Counter()
    for path in _landing_files(home):
        entity = path.parent.relative_to(home / "landing").as_posix()
        assert entity in ENTITIES, f"{path}: not a canonical entity folder"
        read = read_canonical_csv(path, entity)
        assert not read.quarantine, (path, read.quarantine[:3])
        rows[entity] += len(read.rows)
    # 12 projects over 6 months: 48 people, 3 currencies; the same files for the same seed
    assert rows["projects"] == 12
    assert rows["capacity"] == 48 * 6
    assert rows["fx_rates"] == 6 * 6
    assert rows["dependencies"] == 4
    assert dict(rows) == {
        "projects": 12, "tasks": 546, "baseline_phasing": 97, "timesheets": 5917, "rates": 106, "ledger": 228,
        "budgets": 25, "fx_rates": 36, "benefits": 348, "risks": 186, "dependencies": 4, "capacity": 288,
        "work_items": 872, "lessons": 20, "quality_reviews": 25,
    }
    _nothing_built(home)


def test_canonical_demo_of_the_current_month_holds_no_future_row(tmp_path, no_runs):
    """A demo ending this month is cut at today in canonical CSV too (the gates reject the future)."""
    home = tmp_path / "home"
    this_month = date.today().strftime("%Y-%m")
    result = runner.invoke(app, ["demo", "--home", str(home), "--projects", "6", "--months", "3", "--as-of",
                                 this_month, "--no-run", "--canonical"])
    assert result.exit_code == 0, result.output
    timesheets = [r for p in (home / "landing" / "timesheets").glob("*.csv")
                  for r in read_canonical_csv(p, "timesheets").rows]
    assert timesheets and max(r["work_date"] for r in timesheets) <= date.today()
