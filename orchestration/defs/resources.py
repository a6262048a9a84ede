"""Dagster resources: the dbt CLI (``orchestration.defs.dbt``) and the warehouse.

:class:`WarehouseResource` is the DuckDB resource of the assets.  dagster-duckdb's ``DuckDBResource``
is not used: it always opens its database read-write (and the file is fixed when the definitions load),
while the assets that only read (the run summary reads serving.duckdb) must open read-only so BI clients
can keep reading, and every asset resolves its home's paths when it runs (``$PMO_HOME``).  The opening
itself is :mod:`orchestration.warehouse`, shared with the pipeline steps and the CLI.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster import ConfigurableResource

from orchestration import warehouse
from orchestration.settings import Settings, load_settings


class WarehouseResource(ConfigurableResource):
    """The home's warehouse and its published snapshot, opened through :mod:`orchestration.warehouse`."""

    def settings(self) -> Settings:
        """The settings of the home the run belongs to (``$PMO_HOME``), read when the step runs."""
        return load_settings()

    @contextmanager
    def serving(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """serving.duckdb, read-only (BI clients may be reading it at the same time)."""
        with warehouse.connect(self.settings().serving_path, read_only=True) as con:
            yield con

    @contextmanager
    def working(self, *, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """warehouse.duckdb; read-write only from a step that holds the ``duckdb_writer`` pool slot."""
        with warehouse.connect(self.settings().warehouse_path, read_only=read_only) as con:
            yield con
