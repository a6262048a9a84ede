"""orchestration/defs/parse_cache.py: a new home takes the installation's saved dbt parse, and dbt accepts it.

The proof is dbt's own: a parse started in the second home's build folder, with that home's environment, must
not say "Unable to do partial parsing" (it would parse the whole project again inside the build step). Without
the profile hash rewritten it does say so, which the test also shows.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.defs import parse_cache
from orchestration.defs.dbt import build_target_dir, dbt_project_for, dbt_vars, ensure_manifest
from orchestration.settings import DBT_PROJECT_DIR, activate, load_settings


FRESH_PROCESS_HASH = """
import json, sys
from pathlib import Path
from orchestration.defs.parse_cache import profile_hash
print(profile_hash(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])))
"""


def _home(root: Path, monkeypatch: pytest.MonkeyPatch):
    settings = load_settings(root)
    for name in ("PMO_HOME", "DAGSTER_HOME", "PMO_WAREHOUSE_PATH", "PMO_DAGSTER_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    activate(settings)
    return settings, dbt_project_for(settings)


def _reparse_reasons(settings, project) -> list[str]:
    """Why dbt would not reuse the build folder's saved parse ([] when it does), asked the way a build asks."""
    from dbt.cli.main import dbtRunner

    reasons: list[str] = []

    def collect(event) -> None:
        if event.info.name in ("UnableToPartialParse", "ParsedFileLoadFailed"):
            reasons.append(event.info.msg)

    result = dbtRunner(callbacks=[collect]).invoke([
        "parse", "--quiet", "--project-dir", str(project.project_dir), "--profiles-dir", str(project.profiles_dir),
        "--target-path", str(build_target_dir(settings)), "--log-path", str(settings.dbt_log_dir),
        "--vars", json.dumps(dbt_vars(settings))])
    assert result.success, result.exception
    return reasons


def test_a_new_home_takes_the_installations_parse_and_dbt_accepts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    ) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("PMO_DUCKDB_THREADS", "2")
    first, project = _home(tmp_path / "first", monkeypatch)
    ensure_manifest(project, first)  # parses: the cache is empty
    entries = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "partial_parse.msgpack").is_file()
    first_hash = parse_cache.profile_hash(Path(project.project_dir), Path(project.profiles_dir), dbt_vars(first))

    # The second home differs in everything the profile hash covers: its warehouse path and DuckDB's threads.
    monkeypatch.setenv("PMO_DUCKDB_THREADS", "1")
    second, project2 = _home(tmp_path / "second", monkeypatch)
    import dbt.cli.main

    def no_parse(*args, **kwargs):
        raise AssertionError("the second home parsed the project instead of taking the cached parse")

    with monkeypatch.context() as m:
        m.setattr(dbt.cli.main.dbtRunner, "invoke", no_parse)
        manifest = ensure_manifest(project2, second)
    assert manifest.is_file() and manifest.parent == tmp_path / "second" / "dbt" / "target"
    nodes = json.loads(manifest.read_text())["nodes"]
    assert "model.pmo_warehouse.fct_earned_value" in nodes
    second_hash = parse_cache.profile_hash(Path(project2.project_dir), Path(project2.profiles_dir), dbt_vars(second))
    assert second_hash != first_hash
    # The same hash in a process where no dbt command has run yet (as in `pmo run`, which never parses here).
    fresh = subprocess.run([sys.executable, "-c", FRESH_PROCESS_HASH, project2.project_dir, project2.profiles_dir,
                            json.dumps(dbt_vars(second))], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == second_hash
    assert (build_target_dir(second) / "partial_parse.msgpack").is_file()
    # dbt, started as the build starts it, reuses the copy.
    assert _reparse_reasons(second, project2) == []

    # The same copy with the first home's profile hash: dbt would parse everything again.
    parse_cache.restore(entries[0].name, build_target_dir(second), first_hash)
    assert _reparse_reasons(second, project2) == ["Unable to do partial parsing because profile has changed"]


def test_the_key_follows_the_project_files_and_the_vars(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "a.sql").write_text("select 1 as x\n")
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    key = parse_cache.cache_key(project, {"reporting_currency": "GBP"}, "/a/warehouse.duckdb")
    # dbt's own output and the warehouse's folder do not count.
    (project / "target" / "run_results.json").write_text("{}")
    assert parse_cache.cache_key(project, {"reporting_currency": "GBP"}, "/b/warehouse.duckdb") == key
    assert parse_cache.cache_key(project, {"reporting_currency": "EUR"}, "/a/warehouse.duckdb") != key
    assert parse_cache.cache_key(project, {"reporting_currency": "GBP"}, "/a/other.duckdb") != key
    (project / "models" / "a.sql").write_text("select 2 as x\n")
    assert parse_cache.cache_key(project, {"reporting_currency": "GBP"}, "/a/warehouse.duckdb") != key


def test_two_clones_with_the_same_files_do_not_share_a_parse(tmp_path: Path) -> None:
    """The saved parse names files by their absolute path (a seed is read from <root>/seeds/<name>.csv): a
    second clone given the first clone's entry failed every build once the first clone was deleted."""
    first, second = tmp_path / "first" / "dbt_project", tmp_path / "second" / "dbt_project"
    for project in (first, second):
        (project / "seeds").mkdir(parents=True)
        (project / "seeds" / "rag_rules.csv").write_text("rule_version\nPMO-RAG-2\n")
    key = parse_cache.cache_key(first, {"reporting_currency": "GBP"}, "/a/warehouse.duckdb")
    assert parse_cache.cache_key(second, {"reporting_currency": "GBP"}, "/a/warehouse.duckdb") != key
    # the same clone reached by another spelling of its path is the same entry
    assert parse_cache.cache_key(tmp_path / "first" / ".." / "first" / "dbt_project", {"reporting_currency": "GBP"},
                                 "/a/warehouse.duckdb") == key


def test_off_and_a_torn_entry_mean_a_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    assert parse_cache.cache_dir() is None
    assert parse_cache.restore("k", tmp_path / "t", "h") is False
    monkeypatch.setenv(parse_cache.CACHE_ENV, str(tmp_path / "cache"))
    entry = tmp_path / "cache" / "k"
    entry.mkdir(parents=True)
    (entry / "manifest.json").write_text("{}")
    (entry / "partial_parse.msgpack").write_bytes(b"not msgpack")
    assert parse_cache.restore("k", tmp_path / "t", "h") is False
    assert not (tmp_path / "t" / "partial_parse.msgpack").exists()


def test_a_home_used_by_another_installation_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home's manifest and saved parse name the seeds by the absolute path of the project they were parsed
    from. A second installation of the project (another clone, a release beside the old one) whose files are
    older than that manifest must not take it: its builds would read the first installation's seed CSVs, and
    fail once that folder is deleted."""
    import os
    import shutil

    from dagster_dbt import DbtProject

    monkeypatch.setenv(parse_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("PMO_DUCKDB_THREADS", "2")
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__")
    installs = {name: tmp_path / name / "dbt_project" for name in ("old", "new")}
    for folder in installs.values():
        shutil.copytree(DBT_PROJECT_DIR, folder, ignore=ignore)
    week_ago = time.time() - 7 * 86400
    for path in installs["new"].rglob("*"):
        os.utime(path, (week_ago, week_ago))  # cloned before the home was last used by the other installation
    settings, _ = _home(tmp_path / "home", monkeypatch)

    def seeds_root(manifest: Path) -> str:
        return json.loads(manifest.read_text())["nodes"]["seed.pmo_warehouse.rag_rules"]["root_path"]

    for name in ("old", "new", "new"):
        project = DbtProject(project_dir=installs[name], profiles_dir=installs[name],
                             target_path=settings.dbt_target_dir)
        manifest = ensure_manifest(project, settings)
        assert seeds_root(manifest) == str(installs[name].resolve())
        assert (settings.dbt_target_dir / "pmo_parsed_from.txt").read_text() == str(installs[name].resolve())
