"""`pmo serve`: the webserver and the daemon on the home, the nightly schedule and the landing sensor
running, and a clean stop on SIGTERM."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name scheduleState { status } } sensors { name sensorState { status } } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": QUERY}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.mark.slow
def test_serve_runs_the_schedule_and_sensor_and_stops_on_sigterm(tmp_path):
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    (home / "settings.yaml").write_text('schedule:\n  time: "03:30"\n  timezone: Europe/London\n')
    port = _free_port()
    pmo = Path(sys.executable).with_name("pmo")
    proc = subprocess.Popen([str(pmo), "serve", "--home", str(home), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "PMO_HOME": str(home)})
    try:
        deadline, states = time.monotonic() + 240, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                nodes = _graphql(port)["data"]["repositoriesOrError"]["nodes"]
                states = {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]}
                states |= {s["name"]: s["sensorState"]["status"] for n in nodes for s in n["sensors"]}
                break
            except (OSError, KeyError, TypeError, ValueError):
                time.sleep(2)
        assert proc.poll() is None, proc.stdout.read()
        assert states is not None and states["nightly_open_period"] == "RUNNING"
        assert states["landing_files"] == "RUNNING"
        # The daemon is up: it heartbeats into the home's instance.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list((home / "dagster").rglob("*.db")):
            time.sleep(2)
        assert (home / "dagster" / "workspace.yaml").is_file()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    output = proc.stdout.read()
    assert code == 0, output
    assert "nightly run at 03:30 Europe/London" in output
