"""The dbt project as Dagster sees it: where it lives, where its artefacts go, its manifest."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR, Settings


def dbt_project_for(settings: Settings) -> DbtProject:
    """The dbt project, with its target (manifest, run artefacts) under the deployment home."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=settings.dbt_target_dir)


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for pattern in ("*.sql", "*.yml", "*.yaml", "*.csv"):
        for p in project_dir.rglob(pattern):
            if "target" in p.parts or "logs" in p.parts:
                continue
            newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject, settings: Settings) -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file."""
    manifest = Path(project.manifest_path)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(Path(project.project_dir)):
        return manifest
    from dbt.cli.main import dbtRunner

    settings.dbt_log_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PMO_WAREHOUSE_PATH", str(settings.warehouse_path))
    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            "--target-path",
            str(project.target_path),
            "--log-path",
            str(settings.dbt_log_dir),
        ]
    )
    if not result.success or not manifest.exists():
        raise RuntimeError(
            f"dbt could not parse {project.project_dir}: {result.exception or 'see dbt logs in ' + str(settings.dbt_log_dir)}"
        )
    return manifest


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=dbt_executable())
