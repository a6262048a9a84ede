"""The Dagster instance's SQLite storage, with the event log's connections kept open between events.

Dagster's ``SqliteEventLogStorage`` creates a SQLAlchemy engine and opens a new SQLite connection for
every statement group it runs (``NullPool``): each event of a run costs three to five file opens, schema
reads and engine set-ups.  A run of the monthly job stores about 1,400 events (a backfill of 14 periods
about 4,000: one materialization per asset and partition), and at 7 ms an event that was 10 s of a
40-second demo run.  :class:`PooledSqliteEventLogStorage` keeps one engine, with one pooled connection,
per database file it recently used; an event then costs about 2 ms (``bench/RESULTS.md``).

Nothing else changes: the same files under ``<home>/dagster/storage`` (existing homes keep their
history), the same WAL journal and SQLite's default ``synchronous`` setting, so each event is as durable
as before.  A connection is only checked out inside the storage's own lock, for one statement group, and
is returned with its transaction ended: between events it holds no lock on the file, and the webserver,
the daemon and other runs write the same files as before.  A batch of events (Dagster hands one over when
``DAGSTER_EVENT_BATCH_SIZE`` is set, as ``pmo run`` sets it: the planned events of a new run) is stored in one
transaction per database, committed when the batch is whole.  ``dagster.yaml`` selects it as custom storage
(:class:`PmoSqliteStorage`); with ``PMO_DAGSTER_PG_URL`` the instance uses Postgres and none of this.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, SqliteStorageConfig, _event_logs_directory
from dagster._serdes import ConfigurableClassData

#: Events Dagster may hand over at once (``DAGSTER_EVENT_BATCH_SIZE``, set by ``pmo run``): more than a run's
#: planned events, which Dagster ends as one batch anyway.
EVENT_BATCH_SIZE = 10_000

#: Engines (each with its open connection) kept at once: the run's own database and the cross-run index,
#: with room for a webserver that reads a few runs in turn.  The least recently used one is closed.
MAX_OPEN_DATABASES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose connections are pooled per database file (see the module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._batch = threading.local()  # .connections: shard -> connection, while this thread stores a batch
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has ``table_name``, remembered once it has.

        Dagster asks before every asset event's tags and every check evaluation it stores (whether the
        migrations that made those tables have run), and each question builds an engine and opens the index
        database: 0.5 s of a run at 2,000 projects.  A table that exists stays (only :meth:`wipe` removes the
        files); one that does not is asked about again, since ``dagster instance migrate`` may add it."""
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def _engine(self, shard: str) -> db.engine.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard), poolclass=db.pool.QueuePool, pool_size=1, max_overflow=2,
                # one connection stays open; _initdb opens a second for a moment (create_all inside its own
                # connection).  The storage's lock, not the thread, guards a connection (watcher threads read).
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # the most recently used last
        while len(self._engines) > MAX_OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:  # type: ignore[override]
        held = getattr(self._batch, "connections", None)
        if held is not None:  # inside store_event_batch on this thread, which holds the storage's lock
            conn = held.get(shard)
            if conn is None:
                conn = held[shard] = self._engine(shard).connect()
                conn.begin()
            yield conn
            return
        with self._db_lock:
            with self._engine(shard).connect() as conn:
                with conn.begin():
                    yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store ``events`` in one transaction per database instead of one per event and table.

        Dagster hands a batch over when ``DAGSTER_EVENT_BATCH_SIZE`` is set, as ``pmo run`` sets it
        (:data:`EVENT_BATCH_SIZE`): the 180 "planned" events it writes as it creates a run at 2,000
        projects took about 450 commits, 0.6 s.  The storage's lock is held for the whole batch, so another
        thread of the process waits for it rather than for SQLite's lock on a database the batch is writing.
        An event that cannot be stored rolls the whole batch back, and Dagster then stores its events one by one.
        The databases are separate SQLite files, committed one after the other (the run's, then the index), as
        a single event's are."""
        if getattr(self._batch, "connections", None) is not None:  # already inside a batch on this thread
            for event in events:
                self.store_event(event)
            return
        with self._db_lock:
            held: dict[str, db.engine.Connection] = {}
            self._batch.connections = held
            try:
                for event in events:
                    self.store_event(event)
                for conn in held.values():
                    conn.commit()
            finally:
                self._batch.connections = None
                for conn in held.values():
                    conn.close()  # rolls back what was not committed

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # its files are deleted: no connection may stay open on them
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


class PmoSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event log, schedules under ``base_dir``) with the event log of
    :class:`PooledSqliteEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage.dispose()
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: SqliteStorageConfig
    ) -> PmoSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
