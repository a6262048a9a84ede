"""The Spark tests share the dbt tests' helpers (tests/dbt) and skip cleanly without pyspark or Java."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orchestration.pipeline.spark_engine import spark_missing

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))


def pytest_collection_modifyitems(config, items):
    reason = spark_missing()
    if reason is None:
        return
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DuckDB warehouse the dbt profile points at (as tests/dbt/conftest.py's)."""
    db_path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PMO_WAREHOUSE_PATH", str(db_path))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    return db_path
