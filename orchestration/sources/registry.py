"""Which reader takes a file: by the landing folder's setting, else by the file's signature.

Every export format has a name (``p6-xer``, ``mspdi``, ``jira-csv``, ``tempo-csv``, ``sap-acdoca-csv``,
``canonical-csv`` …) and a ``(detect, read)`` pair.  A file is never guessed at silently: when no
setting names its reader and no signature matches, :func:`detect_format` returns None and the caller
reports the file as unknown.

:func:`read_source` is the one door every reader's rows leave by (the landing zone and `pmo inspect` both
read through it): there, rows holding a money or number value outside the contract's range, NaN or
infinity are moved to quarantine (:func:`orchestration.sources.cells.quarantine_out_of_range`), whatever
reader produced them.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.sources.base import SourceResult
from orchestration.sources.canonical import read_canonical_csv
from orchestration.sources.toolkit import file_sha256
from orchestration.sources.cells import csv_delimiter, head_text, quarantine_out_of_range

CANONICAL = "canonical-csv"
HEAD_BYTES = 64 * 1024
#: Canonical CSV file names: ``.csv``, and ``.tsv``/``.txt`` (Excel's "Unicode text" save) when the
#: header holds an entity's required columns.
CSV_SUFFIXES = (".csv",)
TEXT_TABLE_SUFFIXES = (".tsv", ".txt")

Detect = Callable[[Path, bytes], bool]
Read = Callable[..., SourceResult]


def vendor_formats() -> dict[str, tuple[Detect, Read]]:
    """Every vendor format, in detection order (most specific signatures first)."""
    from orchestration.sources import jira, ledger, mpp, mspdi, pmxml, timesheets, xer

    table: dict[str, tuple[Detect, Read]] = {
        "p6-xer": (xer.detect, xer.read),
        "p6-xml": (pmxml.detect, pmxml.read),
        "mspdi": (mspdi.detect, mspdi.read),
        "mpp": (mpp.detect, mpp.read),
    }
    for module in (timesheets, jira, ledger):
        table.update(module.FORMATS)
    return table


def register_formats() -> dict[str, tuple[Detect, Read]]:
    """Benefit, risk, dependency, capacity and lessons registers: every PMO's headings differ, so these readers
    are used when sources.yaml names them with a heading mapping, never by signature."""
    from orchestration.sources import registers

    return dict(registers.FORMATS)


def format_names() -> list[str]:
    return [CANONICAL, *vendor_formats(), *register_formats()]


def canonical_entity(head: bytes, folder: str | None = None) -> str | None:
    """The canonical entity a CSV's header row belongs to, or None.

    A file under ``landing/<entity>/`` is that entity's canonical CSV.  Elsewhere, a header that
    holds every required column of exactly one entity (and more of its columns than of any other)
    identifies it.
    """
    if folder in ENTITIES:
        return folder
    names = header_names(head)
    candidates = []
    for name, ent in ENTITIES.items():
        if set(ent.required) <= names:
            candidates.append((len(names & set(ent.column_names)), name))
    if not candidates:
        return None
    candidates.sort(reverse=True)
    if len(candidates) > 1 and candidates[0][0] == candidates[1][0]:
        return None
    return candidates[0][1]


def header_names(head: bytes) -> set[str]:
    """The header row of a CSV or tab-separated head (UTF-8, UTF-16 or UTF-32), trimmed and lower-cased."""
    text = head_text(head)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)), [])
    except csv.Error:
        return set()
    return {h.strip().lower() for h in header}


def _text_table_entity(head: bytes, folder: str | None) -> str | None:
    """The entity of a ``.tsv``/``.txt`` file: its folder's entity when the header holds that entity's
    required columns, else the entity its header identifies (never a text file with another header)."""
    names = header_names(head)
    if folder in ENTITIES:
        return folder if set(ENTITIES[folder].required) <= names else None
    return canonical_entity(head)


def read_head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES)


def detect_format(path: Path, folder: str | None = None, head: bytes | None = None) -> str | None:
    """The format name of ``path`` from its signature, or None when nothing matches."""
    head = read_head(path) if head is None else head
    for name, (detect, _) in vendor_formats().items():
        try:
            if detect(path, head):
                return name
        except Exception:  # a detector must never stop the others
            continue
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES and canonical_entity(head, folder):
        return CANONICAL
    if suffix in TEXT_TABLE_SUFFIXES and _text_table_entity(head, folder):
        return CANONICAL
    return None


def read_source(path: Path, fmt: str, *, folder: str | None = None, display_name: str | None = None,
                **options) -> SourceResult:
    """Read ``path`` with the reader of ``fmt``."""
    if fmt == CANONICAL:
        entity = options.get("entity") or canonical_entity(read_head(path), folder)
        sha = file_sha256(path)
        result = SourceResult(CANONICAL, path, sha)
        if entity is None:
            result.errors.append(f"{display_name or path}: header does not match any canonical entity's required "
                                 "columns (see orchestration/contract.py)")
            return result
        res = read_canonical_csv(path, entity)
        result.entities[entity] = res
        result.warnings += res.warnings
        return result  # parse_value already holds every cell to the contract's range
    formats = {**vendor_formats(), **register_formats()}
    if fmt not in formats:
        raise ValueError(f"unknown reader {fmt!r}; known readers: {', '.join(format_names())}")
    result = formats[fmt][1](path, **options)
    quarantine_out_of_range(result.entities, display_name or path.name)
    return result
