"""orchestration/defs/dbt_main.py: ``pmo-dbt`` writes the same log lines as dbt and formats no others.

The hook replaces dbt-common's private ``_Logger.write_line``: these tests fail if an upgrade renames what it
relies on, rather than the saving disappearing (or the log changing) unnoticed."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from dbt_common.events import logger as dbt_logger
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.types import Note, PrintEvent

from orchestration.defs import dbt_main
from orchestration.defs.dbt import PMO_DBT, dbt_executable


def _logger(level: EventLevel, line_format=dbt_logger.LineFormat.Json, name: str = "pmo-test"):
    """A dbt-common logger writing to a string (each name is one Python logger: dbt-common moves the handler)."""
    stream = io.StringIO()
    config = dbt_logger.LoggerConfig(name=name, line_format=line_format, level=level, output_stream=stream)
    kind = dbt_logger._JsonLogger if line_format == dbt_logger.LineFormat.Json else dbt_logger._TextLogger
    return kind(config), stream


@pytest.fixture
def hooked(monkeypatch: pytest.MonkeyPatch):
    """The hook installed for one test, dbt's own write_line restored after it."""
    original = dbt_logger._Logger.write_line
    monkeypatch.setattr(dbt_logger._Logger, "write_line", original)
    assert dbt_main.skip_unwritten_lines()
    assert dbt_logger._Logger.write_line is not original
    return original


def test_an_event_below_the_loggers_level_is_not_formatted(hooked, monkeypatch: pytest.MonkeyPatch) -> None:
    logger, stream = _logger(EventLevel.INFO)
    monkeypatch.setattr(logger, "create_line", lambda msg: pytest.fail(f"formatted a {msg.info.level} event"))
    logger.write_line(msg_from_base_event(Note(msg="select 1"), level=EventLevel.DEBUG))
    assert stream.getvalue() == ""


@pytest.mark.parametrize("line_format", [dbt_logger.LineFormat.Json, dbt_logger.LineFormat.DebugText])
@pytest.mark.parametrize("logger_level", [EventLevel.DEBUG, EventLevel.INFO, EventLevel.ERROR])
def test_the_lines_written_are_dbts(hooked, logger_level: EventLevel, line_format) -> None:
    """Every event at every level, to a logger at each level, JSON and text: the same output as dbt's own
    write_line (a print event is written even at error level, as --quiet keeps it)."""
    events = [msg_from_base_event(Note(msg=f"{level} line"), level=level)
              for level in (EventLevel.DEBUG, EventLevel.INFO, EventLevel.WARN, EventLevel.ERROR)]
    events.append(msg_from_base_event(PrintEvent(msg="printed")))
    patched, theirs = _logger(logger_level, line_format, "pmo-test-patched"), _logger(logger_level, line_format, "pmo-test-dbt")
    for msg in events:
        patched[0].write_line(msg)
        hooked(theirs[0], msg)
    assert patched[1].getvalue() == theirs[1].getvalue()
    written = patched[1].getvalue().splitlines()
    expected = {EventLevel.DEBUG: 5, EventLevel.INFO: 4, EventLevel.ERROR: 2}[logger_level]
    assert len(written) == expected
    if line_format == dbt_logger.LineFormat.Json:
        assert json.loads(written[-1])["info"]["msg"] == "printed"


def test_installing_twice_wraps_once(hooked) -> None:
    first = dbt_logger._Logger.write_line
    assert dbt_main.skip_unwritten_lines()
    assert dbt_logger._Logger.write_line is first


def test_the_runs_dbt_is_pmo_dbt_and_it_is_dbt() -> None:
    executable = dbt_executable()
    assert Path(executable) == Path(sys.executable).with_name(PMO_DBT)
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"installed: {installed_version('dbt-core')}" in done.stdout
