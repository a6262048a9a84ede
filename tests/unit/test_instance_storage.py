"""The instance's SQLite storage with pooled event-log connections (orchestration/defs/instance_storage.py):
the same files as Dagster's own SQLite storage, readable both ways, with one engine per database file."""
from __future__ import annotations

import pytest
import sqlalchemy
from dagster import AssetCheckResult, AssetKey, DagsterInstance, asset, asset_check, materialize

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


@asset
def more_numbers(numbers: int) -> int:
    return numbers + 1


def _commits(storage) -> list[str]:
    """The commits of every engine the storage opens from now on, by database file name."""
    seen: list[str] = []
    real = storage._engine

    def engine(shard):
        made = real(shard)
        if not getattr(made, "_pmo_counted", False):
            sqlalchemy.event.listen(made, "commit", lambda conn, shard=shard: seen.append(shard))
            made._pmo_counted = True
        return made

    storage._engine = engine
    return seen


def test_a_batch_of_events_is_one_transaction_per_database(instance_dir, monkeypatch):
    """With DAGSTER_EVENT_BATCH_SIZE (set by `pmo run`) a run's planned events are stored in one commit for the
    run's database and one for the index, and read back as the events stored one by one."""
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        storage = instance.event_log_storage
        single = _commits(storage)
        one_by_one = materialize([numbers, more_numbers], instance=instance).run_id
        planned_single = [e for e in instance.all_logs(one_by_one)
                          if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION_PLANNED"]
        commits_single = len(single)

        monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(S.EVENT_BATCH_SIZE))
        batches = []
        real_batch = storage.store_event_batch

        def batch(events):
            before = len(single)
            real_batch(events)
            batches.append((len(events), sorted(single[before:])))

        monkeypatch.setattr(storage, "store_event_batch", batch)
        single.clear()
        batched = materialize([numbers, more_numbers], instance=instance).run_id
    # the two planned materializations, handed over together: one commit on the run's database, one on the index
    assert batches == [(2, sorted([batched, "index"]))]
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        planned = [e for e in instance.all_logs(batched)
                   if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION_PLANNED"]
        assert [e.dagster_event.asset_key for e in planned] == [e.dagster_event.asset_key for e in planned_single]
        assert instance.get_latest_materialization_event(AssetKey("more_numbers")).run_id == batched
        assert len(instance.all_logs(batched)) == len(instance.all_logs(one_by_one))
    assert len(single) <= commits_single - 2  # one by one, each planned event committed on both databases


def test_a_batch_that_fails_stores_none_of_its_events(instance_dir):
    from dagster import DagsterEvent, DagsterEventType
    from dagster._core.events import AssetMaterializationPlannedData
    from dagster._core.events.log import EventLogEntry

    with DagsterInstance.from_config(str(instance_dir)) as instance:
        storage = instance.event_log_storage

        def planned(name):
            event = DagsterEvent(event_type_value=DagsterEventType.ASSET_MATERIALIZATION_PLANNED.value,
                                 job_name="job", event_specific_data=AssetMaterializationPlannedData(AssetKey(name)))
            return EventLogEntry(error_info=None, level=10, user_message="", run_id="r1", timestamp=1.0,
                                 dagster_event=event)

        storage.store_event_batch([planned("a"), planned("b")])
        assert len(storage.get_logs_for_run("r1")) == 2
        real = storage.store_event
        calls = []

        def failing(event):
            calls.append(event)
            if len(calls) == 2:
                raise RuntimeError("disk full")
            real(event)

        storage.store_event = failing
        with pytest.raises(RuntimeError, match="disk full"):
            storage.store_event_batch([planned("c"), planned("d")])
        storage.store_event = real
        # "c" was written in the batch's transaction, which was rolled back; the storage is usable at once
        assert len(storage.get_logs_for_run("r1")) == 2
        storage.store_event(planned("e"))
        assert [e.dagster_event.asset_key.path[0] for e in storage.get_logs_for_run("r1")] == ["a", "b", "e"]


def test_a_table_found_in_the_index_is_not_looked_for_again(instance_dir, monkeypatch):
    """Dagster asks whether the index has its tags and checks tables before each asset event and check it stores;
    the storage opens the index to look once per table that exists, and again each time for one that does not."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    looked: list[str] = []
    real = SqliteEventLogStorage.has_table

    def counted(self, table_name):
        looked.append(table_name)
        return real(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)

    @asset(tags={"team": "pmo"})
    def tagged() -> int:
        return 1

    @asset_check(asset=tagged)
    def tagged_positive(tagged: int) -> AssetCheckResult:
        return AssetCheckResult(passed=tagged > 0)

    with DagsterInstance.from_config(str(instance_dir)) as instance:
        storage = instance.event_log_storage
        for _ in range(3):
            assert materialize([tagged, tagged_positive], instance=instance).success
        asked = [name for name in looked if name in ("asset_event_tags", "asset_check_executions")]
        # three runs, each storing a materialization and a check evaluation: each table looked for once
        assert sorted(set(asked)) == ["asset_check_executions", "asset_event_tags"]
        assert len(asked) == 2
        looked.clear()
        assert storage.has_table("no_such_table") is False
        assert storage.has_table("no_such_table") is False
        assert looked == ["no_such_table", "no_such_table"]
        storage.wipe()  # the files are made again; their tables are still found
        assert storage.has_table("asset_event_tags") is True
