"""orchestration.defs.dbt.PmoDbtCliResource: dagster-dbt's resource without the ``dbt --version`` subprocess and
the in-process dbt adapter, two start-up costs of every build that a run does not use.

Both hooks are private to dagster-dbt: these tests fail if an upgrade renames them, so that neither cost comes
back without notice."""
from __future__ import annotations

import stat
from importlib.metadata import version as installed_version

import pytest
from dagster_dbt.core import resource as dagster_dbt_resource

from orchestration.defs.dbt import PmoDbtCliResource, dbt_executable
from orchestration.settings import DBT_PROJECT_DIR


def resource(executable: str) -> PmoDbtCliResource:
    return PmoDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                             dbt_executable=executable)


def test_the_installed_dbt_gives_its_version_without_being_run(monkeypatch):
    monkeypatch.setattr(dagster_dbt_resource, "check_output",
                        lambda *a, **k: pytest.fail(f"dagster-dbt ran {a[0]} to learn the dbt version"))
    assert str(resource(dbt_executable())._cli_version) == installed_version("dbt-core")


def test_another_dbt_is_asked_its_version(tmp_path):
    other = tmp_path / "dbt"
    other.write_text("#!/bin/sh\necho 'Core:'\necho '  - installed: 1.10.7'\n")
    other.chmod(other.stat().st_mode | stat.S_IXUSR)
    assert str(resource(str(other))._cli_version) == "1.10.7"


def test_a_dbt_invocation_opens_no_adapter_in_this_process(monkeypatch, tmp_path):
    import dbt.adapters.factory

    opened = []  # dagster-dbt swallows any exception from opening the adapter, so count the attempts
    real = dbt.adapters.factory.get_adapter
    monkeypatch.setattr(dbt.adapters.factory, "get_adapter", lambda *a, **k: opened.append(a) or real(*a, **k))
    invocation = resource(dbt_executable()).cli(["--version"], target_path=tmp_path / "target")
    invocation.wait()
    assert invocation.is_successful()
    assert (invocation.adapter, opened) == (None, [])
