"""The package's layout is a contract for the next engineer: the pipeline steps, readers, reports and demo
work without Dagster, so they can be called from tests, the CLI or another orchestrator."""
import subprocess
import sys

import pytest

DAGSTER_FREE = [
    "orchestration.contract",
    "orchestration.settings",
    "orchestration.pipeline.landing",
    "orchestration.pipeline.ingest",
    "orchestration.pipeline.row_rules",
    "orchestration.pipeline.quality",
    "orchestration.pipeline.suite_sql",
    "orchestration.pipeline.dbt_plans",
    "orchestration.pipeline.publish",
    "orchestration.pipeline.reported",
    "orchestration.pipeline.backfill",
    "orchestration.pipeline.alerts",
    "orchestration.pipeline.inspection",
    "orchestration.sources.registry",
    "orchestration.reports",
    "orchestration.demo.generator",
    "orchestration.demo.runbook",
]


@pytest.mark.parametrize("module", DAGSTER_FREE)
def test_pipeline_steps_do_not_import_dagster(module):
    code = (f"import sys, importlib; importlib.import_module({module!r}); "
            "loaded = sorted(m for m in sys.modules if m == 'dagster' or m.startswith(('dagster.', 'dagster_')));"
            "print(','.join(loaded[:5]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} pulls in Dagster: {out}"


def test_the_code_location_is_the_defs_package():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["tool"]["dagster"]["module_name"] == "orchestration.defs.definitions"
    assert pyproject["project"]["scripts"]["pmo"] == "orchestration.cli.main:main"


def test_importing_the_code_location_has_no_side_effects(tmp_path):
    """Importing the definitions writes nothing and leaves the environment alone; the home is activated
    and dbt's manifest prepared only when Dagster (or `pmo run`) loads the definitions."""
    home = tmp_path / "home"
    code = ("import os, orchestration.defs.definitions as d; "
            "print(os.environ.get('DAGSTER_HOME', '-'), os.environ.get('PMO_WAREHOUSE_PATH', '-'))")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DAGSTER_HOME", "PMO_WAREHOUSE_PATH")}
    env["PMO_HOME"] = str(home)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["-", "-"]
    assert not home.exists()
