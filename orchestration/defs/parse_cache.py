"""One saved dbt parse per installation, handed to every new home instead of parsing the project again.

A home's first run needs the dbt manifest (Dagster builds its assets from it) and a saved parse
(``partial_parse.msgpack``) for its builds to reuse. Parsing the project's ~400 nodes costs 6 s on an idle
2-core machine and 12 to 18 s on a busy one, in every new home: every ``pmo demo``, every test's home, every
organisation of a bench. The parse depends on the project's files, dbt's version, the ``--vars`` and the
profile, but the only part of the profile that differs between homes of one installation is the connection's
values (the warehouse path, DuckDB's memory limit and threads).

dbt rejects a saved parse whose ``state_check.profile_hash`` is not its own profile's ("Unable to do partial
parsing because profile has changed": ``ManifestLoader.is_partial_parsable`` in dbt-core), and that hash is
dbt's ``FileHash`` of the sorted connection info (``ManifestLoader.build_manifest_state_check``). So the cache
keeps the manifest and the saved parse under a key of everything else, and :func:`restore` writes the copy's
profile hash as this home's profile gives it, computed the way dbt computes it (:func:`profile_hash`). The
build then accepts the copy as its own and only re-reads what its environment changes (the one model that
reads the reporting period).

``PMO_PARSE_CACHE_DIR`` sets where the cache lives (default ``$XDG_CACHE_HOME/pmo-warehouse/dbt-parse``,
else ``~/.cache/...``); ``off`` turns it off. An entry that cannot be read or written is ignored: the home
parses as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pprint
import shutil
import tempfile
from argparse import Namespace
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_ENV = "PMO_PARSE_CACHE_DIR"
MANIFEST_FILE = "manifest.json"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
#: The newest entries kept (one per version of the project files and vars); older ones are removed.
KEEP_ENTRIES = 8
#: What the key hashes under the project folder: everything dbt reads, nothing it writes.
_SKIP_DIRS = {"target", "logs", "__pycache__", ".pytest_cache"}


def cache_dir() -> Path | None:
    """Where the cache lives, or None when ``PMO_PARSE_CACHE_DIR=off``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pmo-warehouse" / "dbt-parse"


def _versions() -> list[str]:
    out = []
    for dist in ("dbt-core", "dbt-adapters", "dbt-duckdb"):
        try:
            out.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist}==none")
    return out


def cache_key(project_dir: Path, dbt_vars: dict, warehouse_path: str) -> str:
    """A sha256 of what the parse depends on besides the connection's values: dbt's and the adapter's versions,
    the vars, where the project is, every file of the project (path and bytes) and the warehouse file's name
    without its folder (dbt-duckdb names each node's database after it).

    Where the project is counts because the saved parse holds absolute paths under it (each node's root path;
    a seed is loaded from ``<root path>/seeds/<name>.csv``). Two clones with the same files once shared an
    entry, and after the first clone was deleted every build of the second failed on its seeds ("No files
    found that match the pattern /tmp/<first clone>/dbt_project/seeds/rag_rules.csv")."""
    h = hashlib.sha256()
    h.update("\n".join(_versions()).encode())
    h.update(json.dumps(dbt_vars, sort_keys=True).encode())
    h.update(Path(warehouse_path).stem.encode())
    project_dir = Path(project_dir)
    h.update(b"\0" + str(project_dir.resolve()).encode() + b"\0")
    files = sorted(p for p in project_dir.rglob("*")
                   if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(project_dir).parts))
    for p in files:
        h.update(b"\0" + p.relative_to(project_dir).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def profile_hash(project_dir: Path, profiles_dir: Path, dbt_vars: dict) -> str:
    """The ``state_check.profile_hash`` a dbt invocation started now, in this environment, gives its saved
    parse: dbt's FileHash of the sorted connection info of the profile's default target."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.project import load_raw_project
    from dbt.config.renderer import ProfileRenderer
    from dbt.contracts.files import FileHash
    from dbt_common.context import get_invocation_context, set_invocation_context

    from dbt.flags import get_flags, set_from_args

    if not hasattr(get_flags(), "LOG_CACHE_EVENTS"):  # no dbt command has run in this process: dbt's defaults
        set_from_args(Namespace(), {})
    previous = None
    with contextlib.suppress(LookupError):
        previous = get_invocation_context()
    set_invocation_context(dict(os.environ))
    try:
        profile_name = load_raw_project(str(project_dir)).get("profile")
        profile = Profile.from_raw_profiles(read_profile(str(profiles_dir)), profile_name,
                                            ProfileRenderer(dict(dbt_vars)), target_override=None)
        keys = sorted(profile.credentials.connection_info())
        return FileHash.from_contents(pprint.pformat(keys)).checksum
    finally:
        if previous is not None:
            set_invocation_context(previous.env)


def store(key: str, target_path: Path) -> bool:
    """Keep the manifest and saved parse of ``target_path`` under ``key``. Returns whether it stored them."""
    root = cache_dir()
    manifest, parsed = Path(target_path) / MANIFEST_FILE, Path(target_path) / PARTIAL_PARSE_FILE
    if root is None or not manifest.is_file() or not parsed.is_file():
        return False
    entry = root / key
    if (entry / PARTIAL_PARSE_FILE).is_file():
        return False
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
        shutil.copyfile(manifest, staging / MANIFEST_FILE)
        shutil.copyfile(parsed, staging / PARTIAL_PARSE_FILE)
        try:
            os.rename(staging, entry)  # atomic: a concurrent reader sees a whole entry or none
        except OSError:  # another process stored the same key first
            shutil.rmtree(staging, ignore_errors=True)
            return False
    except OSError as exc:
        log.info("dbt parse cache: could not store in %s (%s)", root, exc)
        return False
    _prune(root)
    return True


def _prune(root: Path) -> None:
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)


def restore(key: str, target_path: Path, home_profile_hash: str) -> bool:
    """Copy the entry ``key`` into ``target_path``, its saved parse given ``home_profile_hash``. Returns
    whether it did; nothing is written when the entry is missing or unreadable."""
    root = cache_dir()
    if root is None:
        return False
    entry = root / key
    if not (entry / PARTIAL_PARSE_FILE).is_file() or not (entry / MANIFEST_FILE).is_file():
        return False
    from dbt.contracts.files import FileHash
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumaro_encoder, extended_mashumuro_decoder

    try:
        saved = Manifest.from_msgpack((entry / PARTIAL_PARSE_FILE).read_bytes(), decoder=extended_mashumuro_decoder)
        saved.state_check.profile_hash = FileHash(name="sha256", checksum=home_profile_hash)
        payload = saved.to_msgpack(extended_mashumaro_encoder)
        target_path = Path(target_path)
        target_path.mkdir(parents=True, exist_ok=True)
        # Temporary names of this process's own: a code location and a run may restore at once.
        tmp = target_path / f"{MANIFEST_FILE}.{os.getpid()}.tmp"
        shutil.copyfile(entry / MANIFEST_FILE, tmp)
        os.replace(tmp, target_path / MANIFEST_FILE)
        tmp = target_path / f"{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp"
        tmp.write_bytes(payload)
        os.replace(tmp, target_path / PARTIAL_PARSE_FILE)
        os.utime(entry)  # recently used: kept by _prune
    except Exception as exc:  # noqa: BLE001 - a cache entry dbt cannot read (another dbt, a torn file): parse
        log.info("dbt parse cache: entry %s not used (%s)", entry, exc)
        return False
    return True
