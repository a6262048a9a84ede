"""A ``pmo-dbt`` process started with the run, so that the dbt build does not wait for dbt to start.

Every ``pmo-dbt`` process spends 1.5-2 s before dbt's command starts: the interpreter starts and imports dbt.
In a night's run at 2,000 projects that is on the run's critical path, while the run's own process spends
its first seconds importing Dagster and building the run on one core, leaving the second idle.  Handing the
command to a process that imported dbt then took about 1.1 s off the wait for dbt's first node
(bench/RESULTS.md, 2026-12-07).

:func:`warm_dbt` (used by :func:`orchestration.cli.runner.run_period`) starts a Python process running
:func:`serve` as the run begins and sets :data:`WARM_ENV` to its socket's path.  That
process listens at once, then imports dbt and waits.  When dagster-dbt later starts
``pmo-dbt``, :func:`hand_over` (the first thing :func:`orchestration.defs.dbt_main.main` does) connects and
sends its arguments, environment, working directory and its three standard streams (the descriptors
themselves, over the Unix socket); the warm process takes them over and runs dbt's command line exactly as
``pmo-dbt`` would, then sends the exit status, which ``pmo-dbt`` exits with.  dagster-dbt sees the same
process output on the same pipe; a SIGINT or SIGTERM that dagster-dbt sends ``pmo-dbt`` (a cancelled run) is
passed on to the warm process.

One warm process serves one command: it stops listening once a client connects, so a second ``pmo-dbt`` of
the same run starts dbt itself, as does any ``pmo-dbt`` run without :data:`WARM_ENV` (the Dagster UI's runs,
dbt by hand) or whose warm process is gone.  A warm process whose client vanished while dbt ran interrupts
dbt (SIGINT, as dagster-dbt does), and one never used ends with its run (:class:`WarmDbt` stops it; it also
stops on its own when the process that started it is gone).

This module is imported by every ``pmo-dbt``: it imports nothing heavy at module level.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

#: The warm process's socket, in the environment of the run (and so of the ``pmo-dbt`` dagster-dbt starts).
WARM_ENV = "PMO_DBT_WARM"
#: ``off`` disables the warm process (each ``pmo-dbt`` starts dbt itself, as before).
WARM_SWITCH_ENV = "PMO_DBT_WARM_START"
_HEADER = struct.Struct("!Q")
#: Signals ``pmo-dbt`` passes on to the warm process that runs its command.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


# ---------------------------------------------------------------------------------------------------------
# The client: pmo-dbt
# ---------------------------------------------------------------------------------------------------------
def hand_over(path: str, argv: list[str]) -> int | None:
    """Run ``argv`` (pmo-dbt's command line) in the warm process at ``path``; returns dbt's exit status, or
    None when no warm process took the command (the caller then runs dbt itself)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    with sock:
        env = {k: v for k, v in os.environ.items() if k != WARM_ENV}
        body = json.dumps({"argv": argv, "env": env, "cwd": os.getcwd()}).encode()
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            socket.send_fds(sock, [_HEADER.pack(len(body))], [0, 1, 2])
            sock.sendall(body)
        except OSError:
            return None
        reader = sock.makefile("rb")
        started = reader.readline()
        if not started:  # the warm process ended before it started dbt: nothing ran
            return None
        pid = json.loads(started)["pid"]
        previous = {}
        for signum in FORWARDED:
            previous[signum] = signal.signal(signum, lambda s, _f: _forward(pid, s))
        try:
            ended = reader.readline()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if not ended:
            print(f"pmo-dbt: the warm dbt process {pid} ended without an exit status", file=sys.stderr)
            return 1
        return int(json.loads(ended)["code"])


def _forward(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# ---------------------------------------------------------------------------------------------------------
# The warm process
# ---------------------------------------------------------------------------------------------------------
def serve(path: str, command: Callable[[], object] | None = None) -> int:
    """Listen at ``path``, import dbt, and run the one command a client sends (see the module docstring):
    dbt's command line, or ``command`` (the tests' probe), called as ``sys.exit(command())`` would be."""
    parent = os.getppid()  # before the imports: the run may be killed during them
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)  # a client that comes during the imports below waits in the backlog

    if command is None:
        from orchestration.defs.dbt_main import skip_unwritten_lines
        from orchestration.heap import one_process_command, settle

        one_process_command()
        skip_unwritten_lines()
        from dbt.cli.main import cli

        settle()
        command = cli

    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
            break
        except TimeoutError:
            if os.getppid() != parent:  # the run that started this process is gone (killed): clean up after it
                listener.close()
                for remove in (os.unlink, os.rmdir):
                    with contextlib.suppress(OSError):
                        remove(path if remove is os.unlink else os.path.dirname(path))
                return 0
    listener.close()
    with contextlib.suppress(OSError):
        os.unlink(path)  # one command: a later pmo-dbt starts dbt itself
    conn.settimeout(None)

    header, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
    (size,) = _HEADER.unpack(header)
    body = b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            return 1
        body += chunk
    request = json.loads(body)

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    # the streams as a new pmo-dbt process would have them (dagster-dbt asks for unbuffered output)
    sys.stdout = _text_stream(1, sys.stdout, unbuffered)
    sys.stderr = _text_stream(2, sys.stderr, True)
    sys.argv = list(request["argv"])

    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    done = threading.Event()
    threading.Thread(target=_watch_client, args=(conn, done), daemon=True).start()
    code = _run(command)
    done.set()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"code": code}).encode() + b"\n")
    conn.close()
    return code


def _text_stream(fd: int, like: TextIO, unbuffered: bool) -> io.TextIOWrapper:
    binary = io.FileIO(fd, "w", closefd=False)
    buffered = binary if unbuffered else io.BufferedWriter(binary)
    return io.TextIOWrapper(buffered, encoding=like.encoding, errors=like.errors, write_through=unbuffered,
                            line_buffering=not unbuffered)


def _run(command: Callable[[], object]) -> int:
    """The exit status ``sys.exit(command())`` would give."""
    try:
        code = command()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        return 130
    except BaseException:  # noqa: BLE001 - reported as Python would, on the client's stderr
        import traceback

        traceback.print_exc()
        return 1
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _watch_client(conn: socket.socket, done: threading.Event) -> None:
    """The client has nothing more to send: an end of the connection before dbt is ``done`` means it is gone
    (killed), and dbt is interrupted as dagster-dbt would interrupt it."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGINT)


# ---------------------------------------------------------------------------------------------------------
# The run's side
# ---------------------------------------------------------------------------------------------------------
_SERVER = "import sys; from orchestration.defs.dbt_warm import serve; sys.exit(serve(sys.argv[1]))"


class WarmDbt:
    """A warm process for one run: started by :func:`warm_dbt`, stopped when the run ends."""

    def __init__(self, python: str = sys.executable) -> None:
        self.directory = tempfile.mkdtemp(prefix="pmo-dbt-")
        self.path = str(Path(self.directory) / "dbt.sock")
        # -c, not -m: its __main__ is a script's, as pmo-dbt's is (click names the program in dbt's messages
        # after it: "pmo-dbt", not "python -m ...")
        self.process = subprocess.Popen(
            [python, "-c", _SERVER, self.path], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)

    def stop(self) -> None:
        """End the process if it is still waiting (or still running a command whose client is gone)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.rmdir(self.directory)


def load_dagster_dbt_without_dbt_core() -> bool:
    """Import dagster-dbt in this process as if dbt-core were not installed here; returns whether it did.

    dagster-dbt runs dbt as a subprocess (``pmo-dbt``, or the warm process above), but on import it also loads
    dbt-core's adapter and result types into the importing process when it finds dbt-core installed
    (``dagster_dbt.compat``), and evaluates the assets' selection with dbt's selector: about 2 s of a
    ``pmo run``'s start (1.6-1.8 s less in runs on this 2-core machine), for nothing the run uses (its own
    resource reads dbt's version from the package metadata and opens no adapter, orchestration/defs/dbt.py).
    Without dbt-core, dagster-dbt uses its own copies of those types and takes the default selection (every
    node of the manifest) without dbt, as it does beside dbt Fusion. dbt-core stays importable afterwards.

    For ``pmo run``'s own process only (:func:`orchestration.cli.runner.run_period`, DuckDB engine): the Dagster
    UI's code location keeps dagster-dbt with dbt-core, since it evaluates other selections (a subset of the
    assets). Does nothing when dagster-dbt is already imported (the tests' process)."""
    if "dagster_dbt" in sys.modules:
        return False
    sys.modules["dbt.version"] = None  # type: ignore[assignment]  # ``from dbt.version import …`` fails
    try:
        import dagster_dbt  # noqa: F401
    finally:
        del sys.modules["dbt.version"]
    return True


def warm_dbt_applies(engine: str) -> bool:
    """Whether a run's dbt command is ``pmo-dbt`` of this Python (the DuckDB engine; the Spark engine runs
    dbt-spark's own command, orchestration/pipeline/spark_engine.py)."""
    return engine == "duckdb" and Path(sys.executable).with_name("pmo-dbt").exists()


@contextlib.contextmanager
def warm_dbt(enabled: bool = True) -> Iterator[WarmDbt | None]:
    """Start a warm ``pmo-dbt`` process for the run in the block, its socket in :data:`WARM_ENV`; yields
    None (nothing started) when not ``enabled`` or when :data:`WARM_SWITCH_ENV` is ``off``."""
    if not enabled or os.environ.get(WARM_SWITCH_ENV, "").strip().lower() == "off":
        yield None
        return
    warm = WarmDbt()
    before = os.environ.get(WARM_ENV)
    os.environ[WARM_ENV] = warm.path
    try:
        yield warm
    finally:
        if before is None:
            os.environ.pop(WARM_ENV, None)
        else:
            os.environ[WARM_ENV] = before
        warm.stop()
