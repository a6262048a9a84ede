"""The instance's SQLite storage with pooled event-log connections (orchestration/defs/instance_storage.py):
the same files as Dagster's own SQLite storage, readable both ways, with one engine per database file."""
from __future__ import annotations

import pytest
import sqlalchemy
from dagster import AssetKey, DagsterInstance, asset, materialize

from orchestration.defs import instance_storage as S
from orchestration.settings import DAGSTER_YAML_TEMPLATE


@asset
def numbers() -> int:
    return 3


@pytest.fixture()
def instance_dir(tmp_path, monkeypatch):
    """A Dagster home with the repository's dagster.yaml, its storage under ``storage/``."""
    monkeypatch.setenv("PMO_DAGSTER_STORAGE", str(tmp_path / "storage"))
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML_TEMPLATE.read_text())
    return tmp_path


def _plain_instance(directory, tmp_path):
    """Dagster's own SQLite storage on the same files (what a home used before this storage)."""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {directory / 'storage'}\n"
                                        "telemetry:\n  enabled: false\n")
    return DagsterInstance.from_config(str(plain))


def test_runs_stored_by_either_storage_are_read_by_the_other(instance_dir, tmp_path):
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        assert isinstance(instance.event_log_storage, S.PooledSqliteEventLogStorage)
        first = materialize([numbers], instance=instance).run_id
    with _plain_instance(instance_dir, tmp_path) as plain:
        assert plain.get_run_by_id(first).is_success
        assert plain.get_latest_materialization_event(AssetKey("numbers")).run_id == first
        second = materialize([numbers], instance=plain).run_id
        before = len(plain.all_logs(second))
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        assert instance.get_latest_materialization_event(AssetKey("numbers")).run_id == second
        assert len(instance.all_logs(second)) == before > 10
        assert len(instance.all_logs(first)) > 10


def test_one_engine_per_database_file_at_most_eight_open(tmp_path, monkeypatch):
    made = []
    real = sqlalchemy.create_engine

    def counting(url, **kwargs):
        made.append(url)
        return real(url, **kwargs)

    monkeypatch.setattr(S.db, "create_engine", counting)
    storage = S.PooledSqliteEventLogStorage(str(tmp_path))
    for _ in range(5):  # five statement groups on the index: one engine, its connection kept
        with storage.index_connection() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    assert len([u for u in made if u.endswith("index.db")]) == 1
    for k in range(10):  # ten runs' databases: the least recently used are closed beyond eight
        with storage.run_connection(f"run{k}") as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    assert list(storage._engines) == [f"run{k}" for k in range(2, 10)]  # the index was used least recently
    storage.wipe()  # deletes the run databases (closing their engines first) and empties the index
    assert list(storage._engines) == ["index"] and not list(tmp_path.glob("run*.db"))
    storage.dispose()
