"""Settings for unattended operation: the nightly schedule, the landing sensor, Postgres storage."""
from __future__ import annotations

import pytest
import yaml
from dagster import DefaultScheduleStatus, DefaultSensorStatus, define_asset_job

from orchestration.defs.sensors import build_landing_sensor
from orchestration.settings import (
    PG_DRIVER_URL_ENV,
    PG_URL_ENV,
    SettingsError,
    instance_yaml_text,
    load_settings,
    psycopg2_url,
)


def write_settings(tmp_path, text: str):
    (tmp_path / "settings.yaml").write_text(text)
    return load_settings(tmp_path)


def test_the_nightly_run_and_the_sensor_are_on_by_default(tmp_path):
    s = load_settings(tmp_path)
    assert (s.nightly_enabled, s.nightly_time, s.timezone, s.landing_sensor_enabled) == (True, "02:00", "UTC", True)
    assert s.nightly_cron == "0 2 * * *"


def test_schedule_settings_are_read(tmp_path):
    s = write_settings(tmp_path, 'schedule:\n  time: "23:45"\n  timezone: Europe/London\n  nightly: false\n'
                                 '  landing_sensor: false\n')
    assert (s.nightly_enabled, s.nightly_cron, s.timezone, s.landing_sensor_enabled) == (
        False, "45 23 * * *", "Europe/London", False)
    # YAML 1.1 reads an unquoted 02:30 as a sexagesimal number of minutes (150).
    assert write_settings(tmp_path, "schedule:\n  time: 02:30\n").nightly_cron == "30 2 * * *"


@pytest.mark.parametrize("block, message", [
    ('schedule:\n  time: "25:00"\n', "schedule.time must be HH:MM"),
    ("schedule:\n  timezone: Mars/Olympus\n", "not an IANA timezone"),
    ("schedule:\n  nightly: sometimes\n", "schedule.nightly must be true or false"),
    ("schedule:\n  cron: '* * * * *'\n", "unknown schedule setting(s) cron"),
    ("schedule: daily\n", "schedule must be a mapping"),
])
def test_bad_schedule_settings_say_which_and_where(tmp_path, block, message):
    with pytest.raises(SettingsError) as info:
        write_settings(tmp_path, block)
    assert message in str(info.value) and "settings.yaml" in str(info.value)


def test_the_definitions_follow_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PMO_HOME", str(tmp_path))
    from orchestration.defs.definitions import build_definitions

    defs = build_definitions()
    nightly = defs.resolve_schedule_def("nightly_open_period")
    assert (nightly.cron_schedule, nightly.execution_timezone, nightly.default_status) == (
        "0 2 * * *", "UTC", DefaultScheduleStatus.RUNNING)
    assert defs.resolve_sensor_def("landing_files").default_status == DefaultSensorStatus.RUNNING

    (tmp_path / "settings.yaml").write_text('schedule:\n  nightly: false\n  time: "06:15"\n  timezone: Europe/Paris\n'
                                            "  landing_sensor: false\n")
    defs = build_definitions()
    nightly = defs.resolve_schedule_def("nightly_open_period")
    assert (nightly.cron_schedule, nightly.execution_timezone, nightly.default_status) == (
        "15 6 * * *", "Europe/Paris", DefaultScheduleStatus.STOPPED)
    assert defs.resolve_sensor_def("landing_files").default_status == DefaultSensorStatus.STOPPED


def test_the_landing_sensor_can_be_built_stopped():
    sensor = build_landing_sensor(define_asset_job("monthly_reporting"), running=False)
    assert sensor.default_status == DefaultSensorStatus.STOPPED


def test_instance_storage_is_sqlite_unless_a_postgres_url_is_set(monkeypatch):
    monkeypatch.delenv(PG_URL_ENV, raising=False)
    assert yaml.safe_load(instance_yaml_text())["storage"]["custom"] == {
        "module": "orchestration.defs.instance_storage", "class": "PmoSqliteStorage",
        "config": {"base_dir": {"env": "PMO_DAGSTER_STORAGE"}}}  # SQLite, its event log pooled
    monkeypatch.setenv(PG_URL_ENV, "postgresql://pmo:secret@db:5432/dagster")
    text = instance_yaml_text()
    assert yaml.safe_load(text)["storage"] == {"postgres": {"postgres_url": {"env": PG_DRIVER_URL_ENV}}}
    assert "secret" not in text
    # The rest of the template (pools, run queue) is kept.
    assert yaml.safe_load(text)["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_a_bare_postgres_url_names_the_psycopg2_driver():
    assert psycopg2_url("postgresql://u@h:5432/d") == "postgresql+psycopg2://u@h:5432/d"
    assert psycopg2_url("postgres://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert psycopg2_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
