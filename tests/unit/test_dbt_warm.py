"""orchestration/defs/dbt_warm.py: ``pmo-dbt`` hands its command to the run's warm dbt process.

The warm process must behave as the ``pmo-dbt`` it stands in for: the same output on the same streams, the
client's arguments, environment and directory, the command's exit status, a cancelled run's signal, and no
process left behind. Most tests give the warm process a probe instead of dbt (``serve(path, command=...)``),
so that they run in a fraction of a second; one runs dbt itself."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration.defs import dbt_warm
from orchestration.defs.dbt import PMO_DBT

PMO_DBT_PATH = Path(sys.executable).with_name(PMO_DBT)

#: A warm process whose command prints what it was given, writes a file if asked, sleeps if asked, and
#: exits with the status in PROBE_EXIT.
PROBE_SERVER = textwrap.dedent("""
    import json, os, sys, time
    from orchestration.defs import dbt_warm

    def probe():
        print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "probe": os.environ.get("PROBE_VALUE"),
                          "warm": os.environ.get(dbt_warm.WARM_ENV), "pid": os.getpid()}))
        print("to stderr", file=sys.stderr)
        time.sleep(float(os.environ.get("PROBE_SLEEP", "0")))
        return int(os.environ.get("PROBE_EXIT", "0"))

    sys.exit(dbt_warm.serve(sys.argv[1], command=probe))
""")


def _listening(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the warm process did not listen at {path}")
        time.sleep(0.02)


@pytest.fixture
def probe_server(tmp_path: Path):
    """A warm process running the probe: (its Popen, its socket path)."""
    path = tmp_path / "dbt.sock"
    server = subprocess.Popen([sys.executable, "-c", PROBE_SERVER, str(path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    _listening(path)
    yield server, path
    if server.poll() is None:
        server.kill()
        server.wait()


def _client(path: Path, *args: str, cwd: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([str(PMO_DBT_PATH), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, dbt_warm.WARM_ENV: str(path), **env})


def test_the_warm_process_runs_the_clients_command_with_its_streams_env_and_directory(probe_server, tmp_path):
    import json

    server, path = probe_server
    work = tmp_path / "work"
    work.mkdir()
    client = _client(path, "build", "--select", "fqn:*", cwd=work, PROBE_VALUE="from the client", PROBE_EXIT="3")
    out, err = client.communicate(timeout=30)
    assert client.returncode == 3  # the command's exit status is pmo-dbt's
    seen = json.loads(out.splitlines()[0])
    assert seen["argv"][1:] == ["build", "--select", "fqn:*"]
    assert seen["cwd"] == str(work)
    assert seen["probe"] == "from the client"
    assert seen["warm"] is None  # the command does not see the socket: a dbt it starts runs on its own
    assert seen["pid"] == server.pid  # it ran in the warm process, not in pmo-dbt
    assert err.strip() == "to stderr"
    assert server.wait(timeout=10) == 3
    assert not path.exists()  # one command: nothing listens any more


def test_without_a_warm_process_pmo_dbt_runs_dbt_itself(tmp_path: Path):
    gone = tmp_path / "nobody.sock"
    client = _client(gone, "--help", cwd=tmp_path)
    out, _ = client.communicate(timeout=60)
    assert client.returncode == 0
    assert "Usage: pmo-dbt" in out and "build" in out


def test_sigint_to_pmo_dbt_interrupts_the_command_in_the_warm_process(probe_server, tmp_path):
    server, path = probe_server
    client = _client(path, "build", cwd=tmp_path, PROBE_SLEEP="30")
    assert client.stdout is not None
    client.stdout.readline()  # the probe has started
    client.send_signal(signal.SIGINT)  # what dagster-dbt sends when the run is cancelled
    client.communicate(timeout=15)
    assert client.returncode == 130
    assert server.wait(timeout=10) == 130


def test_a_killed_client_interrupts_the_command(probe_server, tmp_path):
    server, path = probe_server
    client = _client(path, "build", cwd=tmp_path, PROBE_SLEEP="30")
    assert client.stdout is not None
    client.stdout.readline()
    client.kill()
    client.wait()
    assert server.wait(timeout=10) == 130  # not left running dbt (and holding the warehouse) for nobody


def test_warm_dbt_starts_one_process_for_the_block_and_stops_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(dbt_warm.WARM_ENV, raising=False)
    monkeypatch.delenv(dbt_warm.WARM_SWITCH_ENV, raising=False)
    with dbt_warm.warm_dbt() as warm:
        assert warm is not None
        assert os.environ[dbt_warm.WARM_ENV] == warm.path
        _listening(Path(warm.path))
        assert warm.process.poll() is None
    assert dbt_warm.WARM_ENV not in os.environ
    assert warm.process.returncode is not None  # an unused warm process ends with the run
    assert not Path(warm.directory).exists()

    monkeypatch.setenv(dbt_warm.WARM_SWITCH_ENV, "off")
    with dbt_warm.warm_dbt() as warm:
        assert warm is None and dbt_warm.WARM_ENV not in os.environ
    with dbt_warm.warm_dbt(enabled=False) as warm:
        assert warm is None


def test_only_the_duckdb_engine_warms_pmo_dbt():
    assert dbt_warm.warm_dbt_applies("duckdb") is PMO_DBT_PATH.exists()
    assert dbt_warm.warm_dbt_applies("spark") is False


@pytest.mark.skipif(not PMO_DBT_PATH.exists(), reason="pmo-dbt is not installed beside this Python")
def test_dbt_itself_in_the_warm_process_prints_what_pmo_dbt_prints(tmp_path: Path):
    plain = subprocess.run([str(PMO_DBT_PATH), "build", "--help"], capture_output=True, text=True, timeout=60,
                           cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != dbt_warm.WARM_ENV})
    with dbt_warm.warm_dbt() as warm:
        assert warm is not None
        _listening(Path(warm.path))  # a pmo-dbt that comes before the process listens runs dbt itself
        served = subprocess.run([str(PMO_DBT_PATH), "build", "--help"], capture_output=True, text=True, timeout=60,
                                cwd=tmp_path)
        assert warm.process.wait(timeout=30) == 0  # the warm process ran it, and ended
    assert (served.returncode, served.stdout) == (plain.returncode, plain.stdout)
    assert "Usage: pmo-dbt build" in served.stdout


def test_a_warm_process_whose_run_was_killed_ends_and_removes_its_socket(tmp_path: Path):
    """The run's process killed outright (no ``WarmDbt.stop``): the warm process notices within a second or two
    that its parent is gone, ends, and leaves no socket behind."""
    import psutil

    directory = tmp_path / "warm"
    directory.mkdir()
    path = directory / "dbt.sock"
    starter = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         f"p = subprocess.Popen([sys.executable, '-c', {dbt_warm._SERVER!r}, {str(path)!r}])\n"
         "print(p.pid, flush=True)\ntime.sleep(120)"], stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    warm = psutil.Process(int(starter.stdout.readline()))
    _listening(path)
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if warm.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        warm.kill()
        raise AssertionError("the warm process outlived its run")
    assert not path.exists() and not directory.exists()
