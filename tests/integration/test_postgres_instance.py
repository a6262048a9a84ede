"""A backfill with the Dagster instance on Postgres storage (PMO_DAGSTER_PG_URL).

The test starts its own PostgreSQL server (the ``pg_url`` fixture, tests/integration/conftest.py),
backfills the hand-worked project's January to March 2026 with the instance on that server, and checks
the run and its backfill tag are stored in Postgres, not in SQLite files under the home.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli.main import app
from orchestration.settings import PG_URL_ENV

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"


def test_a_backfill_runs_with_the_instance_on_postgres(pg_url, tmp_path, monkeypatch):
    url, psql = pg_url
    monkeypatch.setenv(PG_URL_ENV, url)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    result = CliRunner().invoke(app, ["backfill", "--start", "2026-01", "--end", "2026-03", "--home", str(home)])
    assert result.exit_code == 0, result.output

    assert "postgres_url" in (home / "dagster" / "dagster.yaml").read_text()
    assert url not in (home / "dagster" / "dagster.yaml").read_text()  # the URL stays in the environment
    assert not list((home / "dagster").rglob("runs.db"))  # no SQLite run storage

    def query(sql: str) -> str:
        return subprocess.run(psql + [sql], check=True, capture_output=True, text=True).stdout.strip()

    assert query("select status from runs") == "SUCCESS"
    assert query("select count(*) from run_tags where key = 'dagster/backfill'") == "1"
    assert query("select value from run_tags where key = 'dagster/asset_partition_range_end'") == "2026-03"
    for period in ("2026-01", "2026-02", "2026-03"):
        assert (home / "reports" / period / "portfolio-pack.pdf").is_file()
