"""A backfill with the Dagster instance on Postgres storage (PMO_DAGSTER_PG_URL).

The test starts its own PostgreSQL server (Debian's packages; `.ci/run` installs them where they are
missing) on a loopback port in a temporary directory, backfills the hand-worked project's January to
March 2026 with the instance on that server, and checks the run and its backfill tag are stored in
Postgres, not in SQLite files under the home.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli.main import app
from orchestration.settings import PG_URL_ENV

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    initdb, pg_ctl, psql = _pg_bin("initdb"), _pg_bin("pg_ctl"), shutil.which("psql")
    if not (initdb and pg_ctl and psql):
        message = "PostgreSQL server binaries not found (Debian: apt-get install postgresql)"
        if os.environ.get("PMO_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp_path: its folders are private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the packages' postgres user
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(prefix + [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-o",
                             f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run([psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                        "create database pmo_dagster"], check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/pmo_dagster", [psql, "-h", "127.0.0.1", "-p", str(port),
                                                                      "-U", "postgres", "-d", "pmo_dagster", "-tAc"]
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
