"""The dbt project as Dagster sees it: where it lives, where its artefacts go, its manifest, and
the parameters a build gets.

Parsing the project (about 320 nodes) costs as much as building it at demo scale, so every build
should reuse dbt's saved parse (``partial_parse.msgpack`` in the target folder). dbt throws that
away whenever the ``--vars`` differ from the previous invocation's, so the vars hold only what is
fixed for a home (:func:`dbt_vars`) and the reporting period, which changes every run, goes in the
environment variable :data:`REPORTING_PERIOD_ENV` (a changed environment variable only makes dbt
re-parse the one model that reads it). :class:`PmoDbtProjectPreparer` parses with the same vars and hands
its saved parse to the build folder, so even a home's first build does not parse the project again. A new
home does not parse at all when the installation has parsed the same project before
(orchestration/defs/parse_cache.py).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject, DbtProjectPreparer
from packaging import version

from orchestration.defs import parse_cache
from orchestration.envvars import one_of
from orchestration.settings import DBT_PROJECT_DIR, Settings, load_quality_settings

log = logging.getLogger(__name__)

#: The environment variable that carries the run's reporting period ('YYYY-MM') to dbt; read by
#: int_reporting_parameters_resolved (a ``reporting_period`` var, when given, wins).
REPORTING_PERIOD_ENV = "PMO_REPORTING_PERIOD"

#: dbt's saved parse, reused by the next invocation with the same vars, profile and project files.
PARTIAL_PARSE_FILE = parse_cache.PARTIAL_PARSE_FILE


#: The environment variable that sets the level of dbt's own log file (``dbt.log`` in the build's target folder).
DBT_LOG_LEVEL_ENV = "PMO_DBT_LOG_LEVEL"
DBT_LOG_LEVELS = ("debug", "info", "warn", "error", "none")
#: info: each node's start, result and timing, every warning and error with the failing model's message and
#: the path of its compiled SQL.  debug adds every statement dbt sends and every adapter event, about 9 MB
#: of JSON a build written under a lock that dbt's threads queue on: 1 to 5 s of a 12 s build at demo scale
#: (bench/RESULTS.md, 2026-12-06).  ``PMO_DBT_LOG_LEVEL=debug`` brings it back when a build needs it.
DBT_LOG_LEVEL_DEFAULT = "info"


def dbt_log_level() -> str:
    """The ``--log-level-file`` of every build: :data:`DBT_LOG_LEVEL_ENV`, else :data:`DBT_LOG_LEVEL_DEFAULT`.
    Raises ValueError naming the variable when it holds another value."""
    return one_of(DBT_LOG_LEVEL_ENV, DBT_LOG_LEVEL_DEFAULT, DBT_LOG_LEVELS)


def dbt_vars(settings: Settings) -> dict:
    """The --vars of every dbt invocation for this home: settings that do not change from run to run
    (so dbt can reuse its parse). The reporting period is not one of them: see :func:`reporting_period_env`."""
    return {"reporting_currency": settings.reporting_currency,
            "labour_tolerance": load_quality_settings(settings.home).labour_tolerance}


def build_target_dir(settings: Settings) -> Path:
    """The target folder of the builds: the same for every run, so each reuses the last one's parse (one
    folder an engine: dbt throws its saved parse away when the target changes)."""
    return settings.dbt_target_dir / ("build" if settings.engine == "duckdb" else f"build-{settings.engine}")


#: Where dbt-spark's session keeps its tables and metastore (dbt_project/profiles.yml reads it).
SPARK_WAREHOUSE_ENV = "PMO_SPARK_WAREHOUSE_DIR"


@contextlib.contextmanager
def _env_var(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` in this process's environment (dbt is started with a copy of it), then
    restored, so the value never leaks into a later dbt invocation of the same process."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


#: Set to ``ready`` while dbt is started after :func:`orchestration.defs.dbt_keep.ensure_node_versions`: the
#: project's macros then record each node's inputs without first looking the table up
#: (dbt_project/macros/unchanged_inputs.sql).
NODE_VERSIONS_ENV = "PMO_NODE_VERSIONS"


def node_versions_env(ready: bool) -> contextlib.AbstractContextManager[None]:
    """Tell dbt's nodes that the table they record in is there (nothing when ``ready`` is false)."""
    return _env_var(NODE_VERSIONS_ENV, "ready") if ready else contextlib.nullcontext()


def spark_env(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """Point dbt's ``spark`` profile at the home's Spark warehouse while dbt is started."""
    settings.spark_warehouse_dir.mkdir(parents=True, exist_ok=True)
    return _env_var(SPARK_WAREHOUSE_ENV, str(settings.spark_warehouse_dir))


def reporting_period_env(period: str) -> contextlib.AbstractContextManager[None]:
    """Set :data:`REPORTING_PERIOD_ENV` to ``period`` while dbt is started."""
    return _env_var(REPORTING_PERIOD_ENV, period)


def seed_partial_parse(parsed_target: Path, build_target: Path) -> bool:
    """Copy the saved parse of ``parsed_target`` into ``build_target`` when that has none or an older
    one (a fresh home, or project files changed since its last build). Returns whether it copied."""
    source = Path(parsed_target) / PARTIAL_PARSE_FILE
    dest = Path(build_target) / PARTIAL_PARSE_FILE
    if not source.is_file():
        return False
    if dest.is_file() and dest.stat().st_mtime >= source.stat().st_mtime:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    shutil.copy2(source, tmp)
    os.replace(tmp, dest)
    return True


def dbt_project_for(settings: Settings) -> DbtProject:
    """The dbt project, with its target (manifest, run artefacts) under the deployment home."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=settings.dbt_target_dir)


#: Beside a home's manifest: the project folder it was parsed from. A parse names files by absolute path (a
#: seed is loaded from <root path>/seeds/<name>.csv), so a home that another installation of the project
#: (another clone, a new release beside the old one) used last is parsed again, even when this installation's
#: files are older than that manifest; otherwise its builds would read the other installation's seeds, or
#: fail once that folder is gone.
PARSED_FROM_FILE = "pmo_parsed_from.txt"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for pattern in ("*.sql", "*.yml", "*.yaml", "*.csv"):
        for p in project_dir.rglob(pattern):
            if "target" in p.parts or "logs" in p.parts:
                continue
            newest = max(newest, p.stat().st_mtime)
    return newest


class PmoDbtProjectPreparer(DbtProjectPreparer):
    """dagster-dbt's project preparation (``DbtProjectPreparer``), for a pmo home.

    The default preparer runs ``dbt parse`` without ``--vars`` into the project's target folder and only
    under ``dagster dev``.  Here the manifest is needed by every run (``pmo run`` too), it lives under the
    home (``<home>/dbt/target``), and the parse must be made with the builds' vars so the builds can reuse it
    (:func:`seed_partial_parse`).  It is also skipped when the manifest is newer than every project file.
    """

    def __init__(self, settings: Settings):
        self.settings = settings

    def prepare_if_dev(self, project: DbtProject) -> None:
        self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        """Parse the dbt project when its manifest is missing, older than any project file or made from a
        project in another folder, and give the build folder the saved parse."""
        settings = self.settings
        manifest = Path(project.manifest_path)
        marker = Path(project.target_path) / PARSED_FROM_FILE
        here = str(Path(project.project_dir).resolve())
        if (manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(Path(project.project_dir))
                and _read_text(marker) == here):
            seed_partial_parse(Path(project.target_path), build_target_dir(settings))
            return
        os.environ.setdefault("PMO_WAREHOUSE_PATH", str(settings.warehouse_path))
        key = cached_parse(project, settings)
        if key is None:
            marker.write_text(here, encoding="utf-8")
            return  # the installation's parse, given this home's profile hash
        from dbt.cli.main import dbtRunner

        settings.dbt_log_dir.mkdir(parents=True, exist_ok=True)
        # dbt reuses a saved parse whose files have the same contents wherever the project is; one made from
        # another folder would keep that folder's paths
        elsewhere = _read_text(marker) != here
        result = dbtRunner().invoke(
            [
                "parse",
                *(["--no-partial-parse"] if elsewhere else []),
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(project.target_path),
                "--log-path",
                str(settings.dbt_log_dir),
                # The builds' vars, so that they can reuse this parse.
                "--vars",
                json.dumps(dbt_vars(settings)),
            ]
        )
        if not result.success or not manifest.exists():
            raise RuntimeError(
                f"dbt could not parse {project.project_dir}: "
                f"{result.exception or 'see dbt logs in ' + str(settings.dbt_log_dir)}"
            )
        parse_cache.store(key, Path(project.target_path))
        seed_partial_parse(Path(project.target_path), build_target_dir(settings))
        marker.write_text(here, encoding="utf-8")


def cached_parse(project: DbtProject, settings: Settings) -> str | None:
    """Give the home the installation's saved parse of this project (orchestration/defs/parse_cache.py) and
    its build folder a copy. Returns None when it did, else the cache key the parse about to be made is to be
    stored under."""
    project_vars = dbt_vars(settings)
    key = parse_cache.cache_key(Path(project.project_dir), project_vars, os.environ["PMO_WAREHOUSE_PATH"])
    if parse_cache.cache_dir() is None:
        return key
    try:
        home_hash = parse_cache.profile_hash(Path(project.project_dir), Path(project.profiles_dir), project_vars)
    except Exception as exc:  # noqa: BLE001 - a profile dbt cannot render here: the parse itself will say why
        log.info("dbt parse cache not used: %s", exc)
        return key
    if not parse_cache.restore(key, Path(project.target_path), home_hash):
        return key
    seed_partial_parse(Path(project.target_path), build_target_dir(settings))
    return None


def ensure_manifest(project: DbtProject, settings: Settings) -> Path:
    """The project's manifest, prepared for this home by :class:`PmoDbtProjectPreparer`."""
    PmoDbtProjectPreparer(settings).prepare(project)
    return Path(project.manifest_path)


#: The project's own dbt command (orchestration/defs/dbt_main.py): dbt, less the formatting of log lines no
#: logger writes. pyproject.toml installs it beside dbt.
PMO_DBT = "pmo-dbt"


def dbt_executable() -> str:
    """``pmo-dbt`` installed beside this Python (the project's venv), else that venv's dbt, else the dbt on
    PATH."""
    for name in (PMO_DBT, "dbt"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return str(beside)
    return shutil.which("dbt") or "dbt"


def _installed_beside(executable: str) -> bool:
    """Whether ``executable`` is the venv's dbt or ``pmo-dbt``: the installed dbt-core either way."""
    resolved = Path(executable).resolve()
    return any(resolved == Path(sys.executable).with_name(name).resolve() for name in (PMO_DBT, "dbt"))


class PmoDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs of every ``dbt.cli()`` that a run does not use.

    - dagster-dbt learns the dbt version by running ``dbt --version`` (a second dbt start-up, 1.5-3 s on
      2 cores). When the executable is the one installed beside this Python (``dbt`` or ``pmo-dbt``), its
      version is the installed dbt-core's, read from the package metadata instead.
    - dagster-dbt also opens a dbt adapter in the step's own process (importing dbt, loading the profile and
      project: 1.5-4 s). It serves only ``fetch_row_counts()`` and ``fetch_column_metadata()``, which the
      build does not call; without it those would attach nothing (dagster-dbt handles a missing adapter).

    Both are private to dagster-dbt (pinned in pyproject.toml); tests/unit/test_dbt_resource.py fails if an
    upgrade renames them, since neither the version subprocess nor the adapter may then come back silently.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if _installed_beside(self.dbt_executable):
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource(project: DbtProject) -> DbtCliResource:
    # DbtCliResource.__init__ takes the DbtProject; mypy's pydantic plugin sees only the str field
    return PmoDbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),  # type: ignore[arg-type]
                             dbt_executable=dbt_executable())
