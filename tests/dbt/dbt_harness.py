"""What the dbt tests share: running dbt in-process with its target and logs in a temporary folder,
reading its failures, and creating the contract's raw tables (and the frozen-figures table) in a
fresh warehouse."""
from __future__ import annotations

from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.contract import ENTITIES, raw_table_ddl
from orchestration.pipeline.reported import REPORTED_DDL

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def run_dbt(tmp_path: Path, *args: str) -> dbtRunnerResult:
    """Run a dbt command on the project with target and logs inside tmp_path."""
    return dbtRunner().invoke([
        *args,
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(tmp_path / "target"),
        "--log-path", str(tmp_path / "logs"),
    ])


def dbt_failures(result: dbtRunnerResult) -> list[str]:
    """Every node of a dbt result that did not pass, for an assertion message."""
    if result.exception is not None:
        return [repr(result.exception)]
    return [
        f"{r.node.unique_id}: {r.status} {r.message or ''}"
        for r in (result.result or [])
        if str(r.status) not in ("pass", "success")
    ]


def create_contract_tables(con) -> None:
    """Schema raw with one empty table per contract entity, and the empty reported.earned_value."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists reported")
    con.execute(REPORTED_DDL)
    for entity in ENTITIES.values():
        con.execute(raw_table_ddl(entity))
