"""The landing zone: what arrived, which reader takes it, and the archive that keeps every file.

Layout and rules (the README documents them for users):

* Files are dropped under ``landing/<source>/`` — a folder per source system or entity. A folder
  named after a canonical entity (``landing/timesheets/``) holds that entity's canonical CSV unless
  a file's signature says it is a vendor export.  ``<home>/sources.yaml`` may name the reader and
  its options per folder; without it a reader is chosen by the file's signature, and an unknown
  file is reported (``quarantine.files``), never guessed at.
* ``.gz`` files and ``.zip`` archives (one or more exports) are read transparently.
* Every file taken is copied to ``archive/<sha256>``, its original name, landing path and first
  arrival time appended to ``archive/index.jsonl``; nothing in the archive is ever changed.  A file is read
  to be hashed only when its status changed since it was last hashed (:class:`LandingHashes`).
* The same content arriving twice (two files with one sha256) is loaded once.
* A corrected file replaces the earlier one by taking its place: drop it under the same name in
  the same folder. The next run loads the new content, and the earlier version stays in the archive.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import errno
import gzip
import hashlib
import json
import logging
import os
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import yaml

from orchestration.settings import switched_off
from orchestration.sources.base import SourceResult
from orchestration.sources.registry import CANONICAL, detect_format, format_names, read_source

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"
#: OSError numbers that a network share or a busy disk gives for a moment: reading again may succeed.
TRANSIENT_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EIO", "EAGAIN", "EBUSY", "ETIMEDOUT", "ESTALE", "ECONNRESET", "ECONNABORTED", "EINTR", "EHOSTUNREACH",
    "ENETUNREACH", "ENETRESET") if hasattr(errno, name))
#: Tries of one read (the first and the retries), and the first wait; each wait doubles (0.5, 1, 2 s).
READ_ATTEMPTS = 4
READ_BACKOFF_SECONDS = float(os.environ.get("PMO_INGEST_BACKOFF_SECONDS", "0.5"))
PROJECT_CODE_COLUMNS = ("project_code", "from_project_code", "to_project_code")


class SourcesConfigError(ValueError):
    """sources.yaml is malformed; the message names the file and the key."""


@dataclass
class SourceSettings:
    """What sources.yaml says about one landing folder."""

    reader: str | None = None
    options: dict = field(default_factory=dict)
    status_date: date | None = None
    project_codes: dict[str, str] = field(default_factory=dict)  # this system's id -> warehouse code


@dataclass
class SourcesConfig:
    sources: dict[str, SourceSettings] = field(default_factory=dict)

    def for_folder(self, folder: str) -> SourceSettings:
        return self.sources.get(folder, SourceSettings())


def load_sources_config(home: Path) -> SourcesConfig:
    """Read ``<home>/sources.yaml`` (absent is fine).

    ``sources.<folder>``: ``reader``, ``options``, ``status_date``, ``project_codes`` (a map from the
    source system's project id to the warehouse project_code). A top-level ``project_codes`` maps a
    warehouse code to its name in each folder: ``PRJ-001: {p6: HS2-040, jira: FIN, sap: P-000123}``.
    """
    path = home / SOURCES_FILE
    if not path.exists():
        return SourcesConfig()
    try:
        data = yaml.safe_load(path.read_bytes()) or {}  # bytes: PyYAML decodes UTF-8 and UTF-16 by their BOM
    except yaml.YAMLError as exc:
        raise SourcesConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise SourcesConfigError(f"{path}: expected a mapping with 'sources' and/or 'project_codes'")
    config = SourcesConfig()
    known = set(format_names())
    for folder, raw in (data.get("sources") or {}).items():
        raw = raw or {}
        if not isinstance(raw, dict):
            raise SourcesConfigError(f"{path}: sources.{folder} must be a mapping")
        reader = raw.get("reader")
        if reader is not None and reader not in known:
            raise SourcesConfigError(f"{path}: sources.{folder}.reader {reader!r} is not a reader; "
                                     f"known readers: {', '.join(sorted(known))}")
        status = raw.get("status_date")
        if status is not None and not isinstance(status, date):
            try:
                status = date.fromisoformat(str(status))
            except ValueError:
                raise SourcesConfigError(f"{path}: sources.{folder}.status_date {status!r} is not YYYY-MM-DD") from None
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            raise SourcesConfigError(f"{path}: sources.{folder}.options must be a mapping")
        codes = {str(k): str(v) for k, v in (raw.get("project_codes") or {}).items()}
        config.sources[str(folder)] = SourceSettings(reader, dict(options), status, codes)
    for code, names in (data.get("project_codes") or {}).items():
        if not isinstance(names, dict):
            raise SourcesConfigError(f"{path}: project_codes.{code} must map folder names to that system's id")
        for folder, alias in names.items():
            config.sources.setdefault(str(folder), SourceSettings()).project_codes[str(alias)] = str(code)
    return config


@dataclass
class LandingFile:
    """One readable export: a landing file, or a member of a compressed one."""

    display: str          # e.g. landing/p6/schedules.zip!UP-54069.xer
    path: Path            # where its bytes are (the landing file, or an unpacked copy)
    folder: str           # the landing folder (source) it arrived in
    sha256: str
    container_sha256: str | None = None


@dataclass
class FileReport:
    """What happened to one landing file (or member)."""

    display: str
    sha256: str
    format: str | None
    status: str                      # loaded | duplicate | unknown | error
    message: str = ""
    result: SourceResult | None = None


def is_transient(exc: BaseException) -> bool:
    """An I/O error worth trying again (a timeout, a stale handle on a share), not a missing file."""
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def with_retries(read: Callable[[], object], what: str, attempts: int = READ_ATTEMPTS,
                 backoff: float | None = None):
    """``read()``, tried again on a transient I/O error with exponential backoff; the last error is raised."""
    delay = READ_BACKOFF_SECONDS if backoff is None else backoff
    for attempt in range(1, attempts + 1):
        try:
            return read()
        except OSError as exc:
            if not is_transient(exc) or attempt == attempts:
                raise
            log.warning("reading %s failed (%s); trying again in %.1f s (attempt %d of %d)",
                        what, exc, delay, attempt + 1, attempts)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: The file, in the archive's folder, that remembers each landing file's sha256 with the file's status.
LANDING_HASHES = ".landing-hashes.json"
#: ``off`` (or ``0``, ``false``, ``no``): hash every landing file on every run, remembering nothing.
HASH_CACHE_ENV = "PMO_LANDING_HASH_CACHE"
#: A hash is trusted again only when it was taken this long after the file's last change: a file written
#: again within its file system's timestamp granularity (a few ms on Linux, up to 2 s on some network shares)
#: and with the same size could otherwise keep its status.
SETTLED_NS = 2_000_000_000


class LandingHashes:
    """Each landing file's sha256, remembered with its status (size, modification and change times in
    nanoseconds, inode, device): a run hashes again only the files whose status changed, not the whole
    landing folder (466 MB at 2,000 projects, 0.3-0.5 s of every run and of every landing-sensor tick).

    As git's index and rsync do, a file whose content changes gets a new status: its change time (``st_ctime``)
    moves with every write, and cannot be set back, as a modification time can.  A hash taken less than
    :data:`SETTLED_NS` after the file's last change is not trusted the next time; a file whose status moved while
    it was hashed is not remembered.  ``PMO_LANDING_HASH_CACHE=off`` hashes every file on every run.

    Kept in ``archive/.landing-hashes.json``, written whole (atomically) after a look at the landing folder that
    changed it; a file that cannot be read is ignored (everything is hashed again)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.enabled = not switched_off(HASH_CACHE_ENV)
        self._old: dict[str, dict] = {}
        if self.enabled:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self._old = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._old = {}
        self._seen: dict[str, dict] = {}

    @staticmethod
    def _status(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]

    def sha256(self, path: Path) -> str:
        """The file's sha256: remembered when its status is the one it had when last hashed, else read."""
        if not self.enabled:
            return _sha256(path)
        key = str(path.absolute())
        status = self._status(path)
        old = self._old.get(key)
        if (isinstance(old, dict) and old.get("status") == status and isinstance(old.get("sha256"), str)
                and isinstance(old.get("hashed_ns"), int) and old["hashed_ns"] - max(status[1], status[2]) >= SETTLED_NS):
            self._seen[key] = old
            return old["sha256"]
        hashed_ns = time.time_ns()
        sha = _sha256(path)
        if self._status(path) == status:  # not written while it was read
            self._seen[key] = {"status": status, "sha256": sha, "hashed_ns": hashed_ns}
        return sha

    def save(self) -> None:
        """Remember the files seen by this look (a file gone from landing is forgotten); nothing is written when
        that is what the file holds already.  A failure to write only costs the next run its hashing."""
        if not self.enabled or self._seen == self._old:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path, json.dumps(self._seen, sort_keys=True).encode("utf-8"))
        except OSError as exc:
            log.warning("the landing files' hashes could not be kept in %s (%s); the next run hashes them again",
                        self.path, exc)


def _atomic_write(target: Path, data: bytes) -> None:
    """``data`` in ``target``, whole or not at all, through a temporary file of this process's own: a run and the
    landing sensor (in the daemon) may write the same file at the same moment, and with one temporary name one
    could rename the other's half-written file, or find its own gone."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


class Archive:
    """Content-addressed store: ``archive/<sha256>`` plus an append-only ``index.jsonl``."""

    def __init__(self, root: Path):
        self.root = root
        self.index = root / "index.jsonl"
        self._known: set[tuple[str, str]] | None = None

    def _load(self) -> set[tuple[str, str]]:
        if self._known is None:
            self._known = set()
            if self.index.exists():
                for line in self.index.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        rec = json.loads(line)
                        self._known.add((rec["sha256"], rec["landing_path"]))
        return self._known

    def keep(self, path: Path, sha: str, landing_path: str) -> Path:
        """Copy ``path`` in (once) and record this arrival (once per sha and landing path)."""
        self.root.mkdir(parents=True, exist_ok=True)
        stored = self.root / sha
        if not stored.exists():
            _atomic_write(stored, path.read_bytes())
        if (sha, landing_path) not in self._load():
            record = {"sha256": sha, "original_name": Path(landing_path.split("!")[-1]).name,
                      "landing_path": landing_path, "size": stored.stat().st_size,
                      "arrived_at": datetime.now(UTC).replace(microsecond=0).isoformat()}
            with open(self.index, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, sort_keys=True) + "\n")
            self._known.add((sha, landing_path))
        return stored

    def unpacked(self, sha: str, name: str, data: bytes) -> Path:
        """A readable copy of a compressed member, named as in its container (derived data)."""
        folder = self.root / "unpacked" / sha
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / Path(name).name
        if not target.exists():
            _atomic_write(target, data)
        return target


def iter_landing_files(landing: Path, archive: Archive) -> list[LandingFile | FileReport]:
    """Every export in landing/, compressed ones expanded, each archived; bad containers reported."""
    out: list[LandingFile | FileReport] = []
    if not landing.is_dir():
        return out
    hashes = LandingHashes(archive.root / LANDING_HASHES)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing)
        if any(part.startswith(".") for part in rel.parts):
            continue
        display = f"{landing.name}/{rel.as_posix()}"
        folder = rel.parts[0] if len(rel.parts) > 1 else ""
        try:
            sha = with_retries(partial(hashes.sha256, path), display)
            with_retries(partial(archive.keep, path, sha, display), display)
        except OSError as exc:  # unreadable even after the retries: reported, the other files go on
            out.append(FileReport(display, "", None, "error", f"{display}: cannot be read ({exc})"))
            continue
        name = path.name.lower()
        try:
            if name.endswith(".zip"):
                with zipfile.ZipFile(path) as zf:
                    for member in sorted(m for m in zf.namelist() if not m.endswith("/")):
                        data = zf.read(member)
                        msha = hashlib.sha256(data).hexdigest()
                        inner = archive.unpacked(msha, member, data)
                        out.append(LandingFile(f"{display}!{member}", inner, folder, msha, sha))
                continue
            if name.endswith(".gz"):
                data = gzip.decompress(with_retries(path.read_bytes, display))
                msha = hashlib.sha256(data).hexdigest()
                inner = archive.unpacked(msha, path.name[:-3], data)
                out.append(LandingFile(display, inner, folder, msha, sha))
                continue
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # damaged or truncated
            out.append(FileReport(display, sha, None, "error", f"{display}: cannot decompress ({exc})"))
            continue
        out.append(LandingFile(display, path, folder, sha))
    hashes.save()
    return out


def read_landing_file(item: LandingFile, config: SourcesConfig) -> FileReport:
    """Choose the reader (setting, else signature) and read one file; never raises on bad content."""
    settings = config.for_folder(item.folder)
    fmt = settings.reader or detect_format(item.path, folder=item.folder)
    if fmt is None:
        return FileReport(item.display, item.sha256, None, "unknown",
                          f"{item.display}: no reader recognises this file. Name its reader in sources.yaml "
                          f"(sources.{item.folder or '<folder>'}.reader: one of {', '.join(format_names())}), "
                          "or put canonical CSV under landing/<entity>/.")
    options = dict(settings.options)
    if settings.status_date is not None and fmt != CANONICAL:
        options.setdefault("status_date", settings.status_date)
    try:
        result = with_retries(lambda: read_source(item.path, fmt, folder=item.folder, display_name=item.display,
                                                  **options), item.display)
    except Exception as exc:  # a reader bug or an unreadable file must not stop the other files
        return FileReport(item.display, item.sha256, fmt, "error", f"{item.display}: {fmt} reader failed: {exc}")
    for res in result.entities.values():
        res.source_name = item.display
        res.sha256 = item.sha256
        if settings.project_codes:
            for row in res.rows:
                for col in PROJECT_CODE_COLUMNS:
                    if row.get(col) in settings.project_codes:
                        row[col] = settings.project_codes[row[col]]
    status = "error" if result.errors and not any(r.rows_in for r in result.entities.values()) else "loaded"
    message = "; ".join(result.errors)
    return FileReport(item.display, item.sha256, fmt, status, message, result)


def read_landing_zone(landing: Path, archive_dir: Path, config: SourcesConfig) -> list[FileReport]:
    """Read every file in landing/: one report per file, the same content loaded once."""
    archive = Archive(archive_dir)
    return [item if isinstance(item, FileReport) else read_landing_file(item, config)
            for item in unique_landing_files(landing, archive)]


def unique_landing_files(landing: Path, archive: Archive) -> Iterator[LandingFile | FileReport]:
    """:func:`iter_landing_files` with the same content kept once: a later copy is reported as a duplicate."""
    seen: dict[str, str] = {}
    for item in iter_landing_files(landing, archive):
        if isinstance(item, LandingFile) and item.sha256 in seen:
            yield FileReport(item.display, item.sha256, None, "duplicate",
                             f"{item.display}: same content as {seen[item.sha256]}; loaded once")
            continue
        if isinstance(item, LandingFile):
            seen[item.sha256] = item.display
        yield item
