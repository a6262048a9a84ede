from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh warehouse file that the dbt profile points at (PMO_WAREHOUSE_PATH)."""
    db_path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PMO_WAREHOUSE_PATH", str(db_path))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    return db_path
