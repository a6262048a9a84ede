"""What every reader shares: the result types, the one rule for reader options, and (below) the table
toolkit of the spreadsheet-like readers (ledger, registers, timesheets, Jira).

Cell-level rules that are not about tables (the contract's numeric range, text decoding, the schedule
readers' date and number cells) live in :mod:`orchestration.sources.cells`; the fiscal calendar in
:mod:`orchestration.sources.fiscal`; what the schedule readers (XER, PMXML, MSPDI) share in
:mod:`orchestration.sources.schedule_common`.

**Options.**  Every reader takes its options as keywords and checks them with :func:`check_options`: an
option the reader does not know raises ``TypeError`` naming the reader, the unknown option(s) and the
known ones (a configuration error, not a data error, so it is never a warning lost in a log).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "QuarantineRecord",
    "ReadResult",
    "ReaderError",
    "check_options",
    "file_sha256",
]


class ReaderError(Exception):
    """The file cannot be read at all."""


@dataclass
class QuarantineRecord:
    source_row: int
    column: str | None
    value: str | None
    reason: str
    record: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadResult:
    """What a reader made of one file."""

    path: Path
    entity: str
    sha256: str
    rows: list[dict]            # contract column -> parsed value, plus "_source_row"
    quarantine: list[QuarantineRecord]
    warnings: list[str]
    extra_columns: list[str]    # kept open-ended columns, e.g. score_<criterion> on projects
    source_name: str | None = None  # how lineage names the file (e.g. landing/p6/x.zip!a.xer)

    @property
    def rows_in(self) -> int:
        return len(self.rows) + len(self.quarantine)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- options ------------------------------------------------------------------------------------


def check_options(options: dict, known: Iterable[str], reader: str) -> None:
    """Raise ``TypeError`` when ``options`` holds a name ``reader`` does not know (the one rule of every
    reader: an unknown option is a configuration mistake, never silently ignored)."""
    allowed = set(known)
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"{reader}: unknown option(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(sorted(allowed))}")
