"""`pmo inspect FILE`: what the warehouse would make of a file, without loading anything.

:func:`inspect_path` never raises on a bad file: a container that cannot be opened (a truncated ``.gz``,
a damaged ``.zip``) or a reader that fails comes back as a description with ``format`` None (or the
reader's name) and a one-line reason in ``errors``, the same reason ``pmo run`` records in
``quarantine.files``.
"""
from __future__ import annotations

import gzip
import tempfile
import zipfile
import zlib
from decimal import Decimal, localcontext
from pathlib import Path

from orchestration.contract import ENTITIES, MONEY, NUMBER
from orchestration.sources.registry import detect_format, read_source

#: Number columns summed besides money: hours and story points.
QUANTITY_COLUMNS = {"hours", "original_estimate_hours", "time_spent_hours", "story_points", "available_hours"}
MAX_REASONS = 20
#: What opening a damaged container raises (the landing zone catches the same).
DECOMPRESS_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error)


def _totals(entity: str, rows: list[dict]) -> dict[str, float]:
    """Money and quantity totals, to the cent. Every value is finite and within the contract's range
    (the readers quarantine the rest), so the sum fits a wide decimal context."""
    ent = ENTITIES.get(entity)
    if ent is None:
        return {}
    columns = [c.name for c in ent.columns if c.type == MONEY or (c.type == NUMBER and c.name in QUANTITY_COLUMNS)]
    out = {}
    with localcontext() as ctx:
        ctx.prec = 60
        for col in columns:
            values = [r[col] for r in rows if r.get(col) is not None]
            if values:
                total = sum((Decimal(str(v)) for v in values), Decimal(0))
                out[col] = float(round(total, 2))
    return out


def failure(display: str, reason: str, **extra) -> dict:
    """The description of a file that could not be inspected: one reason, valid JSON."""
    return {"file": display, "format": None, "reader": None, "entities": {}, "errors": [reason],
            "warnings": [], "failed": True, **extra}


def inspect_path(path: Path, reader: str | None = None, options: dict | None = None,
                 display: str | None = None) -> dict:
    """Describe ``path`` as the JSON object `pmo inspect --json` prints; ``failed`` is True when the file
    could not be read at all (then ``errors`` holds the one-line reason)."""
    display = display or str(path)
    name = path.name.lower()
    if name.endswith(".zip"):
        members = []
        try:
            with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory() as tmp:
                for member in sorted(m for m in zf.namelist() if not m.endswith("/")):
                    target = Path(tmp) / Path(member).name
                    target.write_bytes(zf.read(member))
                    members.append(inspect_path(target, reader, options, f"{display}!{member}"))
        except DECOMPRESS_ERRORS as exc:
            return failure(display, f"{display}: cannot decompress ({exc})", compression="zip", members=members)
        return {"file": display, "format": "zip", "reader": None, "members": members,
                "entities": {}, "errors": [e for m in members for e in m["errors"]], "warnings": []}
    if name.endswith(".gz"):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / path.name[:-3]
            try:
                target.write_bytes(gzip.decompress(path.read_bytes()))
            except DECOMPRESS_ERRORS as exc:
                return failure(display, f"{display}: cannot decompress ({exc})", compression="gzip")
            described = inspect_path(target, reader, options, display)
        described["compression"] = "gzip"
        return described
    folder = path.parent.name
    fmt = reader or detect_format(path, folder=folder)
    if fmt is None:
        return failure(display, f"{display}: no reader recognises this file; pass --reader NAME "
                       "(see `pmo inspect --help`) or name it in sources.yaml")
    try:
        result = read_source(path, fmt, folder=folder, display_name=display, **(options or {}))
    except Exception as exc:  # a reader bug or an unreadable file: one line, as the landing zone says it
        return {**failure(display, f"{display}: {fmt} reader failed: {type(exc).__name__}: {exc}"),
                "format": fmt, "reader": fmt}
    entities = {}
    for entity, res in result.entities.items():
        entities[entity] = {
            "rows": len(res.rows),
            "quarantined": len(res.quarantine),
            "totals": _totals(entity, res.rows),
            "quarantine_reasons": [
                {"row": q.source_row, "column": q.column, "value": q.value, "reason": q.reason}
                for q in res.quarantine[:MAX_REASONS]
            ],
        }
    return {"file": display, "format": fmt, "reader": fmt, "entities": entities,
            "errors": list(result.errors), "warnings": list(result.warnings)}
