"""orchestration/defs/dbt.py: what lets every dbt build reuse the saved parse (the period in the environment,
not in --vars; the code location's parse handed to the build folder)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orchestration.defs.dbt import (
    PARTIAL_PARSE_FILE,
    REPORTING_PERIOD_ENV,
    build_target_dir,
    dbt_vars,
    reporting_period_env,
    seed_partial_parse,
)
from orchestration.settings import load_settings


def test_the_vars_hold_only_what_is_fixed_for_a_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    settings = load_settings(tmp_path)
    assert dbt_vars(settings) == {"reporting_currency": "GBP", "labour_tolerance": 0.05}
    assert dbt_vars(settings) == dbt_vars(load_settings(tmp_path))
    assert build_target_dir(settings) == tmp_path / "dbt" / "target" / "build"


def test_the_period_is_in_the_environment_only_while_dbt_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPORTING_PERIOD_ENV, raising=False)
    with reporting_period_env("2026-03"):
        assert os.environ[REPORTING_PERIOD_ENV] == "2026-03"
    assert REPORTING_PERIOD_ENV not in os.environ

    monkeypatch.setenv(REPORTING_PERIOD_ENV, "2025-12")
    with pytest.raises(RuntimeError), reporting_period_env("2026-04"):
        assert os.environ[REPORTING_PERIOD_ENV] == "2026-04"
        raise RuntimeError("dbt could not start")
    assert os.environ[REPORTING_PERIOD_ENV] == "2025-12"


def test_the_build_folder_gets_the_newer_saved_parse(tmp_path: Path) -> None:
    parsed, build = tmp_path / "target", tmp_path / "target" / "build"
    assert seed_partial_parse(parsed, build) is False  # nothing parsed yet
    parsed.mkdir()
    (parsed / PARTIAL_PARSE_FILE).write_bytes(b"first parse")
    assert seed_partial_parse(parsed, build) is True
    assert (build / PARTIAL_PARSE_FILE).read_bytes() == b"first parse"
    # The build has since saved its own (newer) parse: it is kept.
    later = time.time() + 60
    (build / PARTIAL_PARSE_FILE).write_bytes(b"the build's parse")
    os.utime(build / PARTIAL_PARSE_FILE, (later, later))
    assert seed_partial_parse(parsed, build) is False
    assert (build / PARTIAL_PARSE_FILE).read_bytes() == b"the build's parse"
    # The project changed and was parsed again: the newer parse replaces the build's.
    (parsed / PARTIAL_PARSE_FILE).write_bytes(b"second parse")
    os.utime(parsed / PARTIAL_PARSE_FILE, (later + 60, later + 60))
    assert seed_partial_parse(parsed, build) is True
    assert (build / PARTIAL_PARSE_FILE).read_bytes() == b"second parse"
    assert not list(build.glob("*.tmp"))


@pytest.mark.parametrize("value, level", [(None, "info"), ("", "info"), ("debug", "debug"), (" DEBUG ", "debug"),
                                          ("none", "none")])
def test_dbt_log_level_comes_from_the_environment(monkeypatch, value, level):
    from orchestration.defs.dbt import DBT_LOG_LEVEL_ENV, dbt_log_level

    if value is None:
        monkeypatch.delenv(DBT_LOG_LEVEL_ENV, raising=False)
    else:
        monkeypatch.setenv(DBT_LOG_LEVEL_ENV, value)
    assert dbt_log_level() == level


@pytest.mark.parametrize("value", ["verbose", "info; rm -rf /", "2"])
def test_a_bad_dbt_log_level_names_the_variable_and_the_choices(monkeypatch, value):
    from orchestration.defs.dbt import DBT_LOG_LEVEL_ENV, dbt_log_level

    monkeypatch.setenv(DBT_LOG_LEVEL_ENV, value)
    with pytest.raises(ValueError) as err:
        dbt_log_level()
    assert str(err.value) == f"PMO_DBT_LOG_LEVEL={value!r} is not one of debug, info, warn, error, none"
