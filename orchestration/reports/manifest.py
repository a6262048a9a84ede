"""``reports/<period>/manifest.json``: what a period's folder holds and what it was rendered from.

Written atomically (a temporary file renamed into place) after the PDFs, it lists every file of the
folder with its sha256 and size, the period, the snapshot the reports were rendered from (the published
``serving.duckdb`` by path and sha256, or a closed period's frozen figures by their directory, run and
the sha256 of their own manifest), the RAG rule version(s), the code version, and per project report and
per pack the hash of its inputs: the next issue of the period renders only the documents whose inputs
changed or whose PDF no longer matches (orchestration/reports/project.py, ``pack_input_hash`` in
orchestration/reports/render.py).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_NAME = "manifest.json"
FORMAT = 1


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def serving_source(serving: Path) -> dict:
    """The published snapshot a period's reports were rendered from.  Its sha256 is read once per file
    version in a process (a backfill's periods share one snapshot, and hashing a large one takes seconds)."""
    serving = Path(serving).resolve()
    stat = serving.stat()
    return dict(_serving_source(str(serving), stat.st_ino, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _serving_source(path: str, inode: int, size: int, mtime_ns: int) -> tuple:
    # keyed by the file's identity and version: a publish replaces the file (a new inode and mtime)
    modified = datetime.fromtimestamp(mtime_ns / 1e9, UTC).isoformat(timespec="seconds")
    return (("kind", "serving"), ("path", path), ("sha256", file_sha256(Path(path))), ("bytes", size),
            ("modified_at", modified))


def frozen_source(reported) -> dict:
    """A closed period's frozen figures (orchestration/pipeline/reported.py), by their own manifest."""
    directory = Path(reported.directory)
    frozen_manifest = directory / "manifest.json"
    return {"kind": "frozen", "path": str(directory.resolve()), "run_id": reported.run_id,
            "reported_at": reported.reported_at, "closed_at": reported.closed_at,
            "manifest_sha256": file_sha256(frozen_manifest) if frozen_manifest.is_file() else None}


def read_manifest(out_dir: Path) -> dict | None:
    """The period folder's manifest, or None when absent or unreadable (then every report is rendered)."""
    path = Path(out_dir) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_files(out_dir: Path) -> dict[str, dict]:
    """Every regular file of the folder (recursively, relative POSIX paths), but the manifest and
    temporary files (names starting with a dot)."""
    out_dir = Path(out_dir)
    files = {}
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts) or rel.as_posix() == MANIFEST_NAME:
            continue
        files[rel.as_posix()] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    return files


def write_manifest(out_dir: Path, period: str, *, source: dict, rule_versions: list[str] | tuple[str, ...],
                   projects: dict[str, dict], code_version: str, generated_at: datetime | None = None,
                   projects_not_rendered: dict | None = None, packs: dict[str, dict] | None = None) -> Path:
    """Write ``out_dir/manifest.json`` atomically; ``projects`` are the per-report entries (file,
    input_sha256, sha256, rendered_at) and ``packs`` the same per pack file (portfolio and programme packs).
    Entries whose PDF is gone are dropped.  ``projects_not_rendered``
    (``{"reason": ..., "projects": [...]}``) records reports a run left to ``pmo report``."""
    out_dir = Path(out_dir)
    files = list_files(out_dir)
    kept = {code: e for code, e in sorted(projects.items()) if e.get("file") in files}
    data = {
        "format": FORMAT,
        "period": period,
        "written_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "source": source,
        "rule_versions": {"rag": sorted(set(rule_versions))},
        "code_version": code_version,
        "files": files,
        "projects": kept,
        "packs": {name: e for name, e in sorted((packs or {}).items()) if name in files},
    }
    if projects_not_rendered:
        data["projects_not_rendered"] = projects_not_rendered
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".json.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out_dir / MANIFEST_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_dir / MANIFEST_NAME
