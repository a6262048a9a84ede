"""What every export reader returns, so the landing zone, `pmo inspect` and the ingest treat all
formats alike.

A reader module (``xer.py``, ``mspdi.py``, ``jira.py``, ``timesheets.py``, ``ledger.py``,
``registers.py``) exposes, per format it reads:

* ``detect(path: Path, head: bytes) -> bool`` — True when the file's signature (the first few KB in
  ``head``: an XER header, the MSPDI namespace, known CSV headers) says it is this format;
* ``read(path: Path, **options) -> SourceResult`` — the canonical rows it holds, entity by entity.

Readers are pure Python (no Dagster import) and never raise on bad *content*: a bad row becomes a
:class:`~orchestration.sources.toolkit.QuarantineRecord` naming the row and column; a bad *file*
(truncated, wrong encoding, missing required column) becomes an entry in ``errors`` naming the file
and, where known, the row and column, and the rows read before the damage are kept or quarantined.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestration.sources.toolkit import QuarantineRecord, ReadResult

__all__ = ["QuarantineRecord", "ReadResult", "SourceResult", "new_entity_result"]


@dataclass
class SourceResult:
    """What a reader made of one file: canonical rows per entity, plus file-level errors."""

    format: str                      # e.g. "p6-xer", "mspdi", "jira-csv", "tempo-csv", "sap-acdoca-csv"
    path: Path
    sha256: str
    entities: dict[str, ReadResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def entity(self, name: str) -> ReadResult:
        """The (possibly new, empty) result for a canonical entity."""
        if name not in self.entities:
            self.entities[name] = new_entity_result(self.path, name, self.sha256)
        return self.entities[name]


def new_entity_result(path: Path, entity: str, sha256: str) -> ReadResult:
    return ReadResult(path=path, entity=entity, sha256=sha256, rows=[], quarantine=[], warnings=[],
                      extra_columns=[])
