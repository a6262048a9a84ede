"""Reader of the canonical CSV of every entity (docs/design.md §3).

Any tool that can write a CSV can feed the warehouse through this reader.  It never raises on
bad content: every row either parses into the contract's types or comes back as a quarantine
record naming the file, the row (1-based, header = row 1), the column, the offending value and
the reason.  Only an unreadable file (missing, not a file) raises :class:`ReaderError`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, PERIOD, TEXT, Entity
from orchestration.sources.cells import csv_delimiter, number_problem
from orchestration.sources.toolkit import QuarantineRecord, ReaderError, ReadResult, decode_text, file_sha256

__all__ = ["HeaderPlan", "QuarantineRecord", "ReadResult", "ReaderError", "file_sha256", "parse_value",
           "plan_header", "read_canonical_csv", "to_text"]

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def to_text(value) -> str | None:
    """The text a parsed value is stored as before DuckDB casts it to the raw column's type: ISO dates,
    ``true``/``false``, money as written (``format(Decimal, 'f')``), numbers as ``repr(float)``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def parse_value(type_: str, raw: str):
    """Parse one cell into its contract type; raises ValueError with a reason on bad input.

    A blank cell is NULL (returns None).
    """
    text = raw.strip()
    if text == "":
        return None
    if type_ == TEXT:
        return text
    if type_ == DATE:
        if not _DATE_RE.match(text):
            raise ValueError("not an ISO date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not a valid date ({exc})") from None
    if type_ == PERIOD:
        if not _PERIOD_RE.match(text):
            raise ValueError("not a period (YYYY-MM)")
        return text
    if type_ in (MONEY, NUMBER):
        if not _NUMBER_RE.match(text):
            raise ValueError("not a number (use '.' for decimals, no thousands separators)")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("not a number") from None
        problem = number_problem(value, text)  # NaN, infinity, or beyond what raw's DECIMAL(18,4) holds
        if problem is not None:
            raise ValueError(problem)
        return value if type_ == MONEY else float(value)
    if type_ == BOOL:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("not a boolean (true/false, yes/no, 1/0)")
    raise AssertionError(f"unknown column type {type_}")


@dataclass
class HeaderPlan:
    """What a canonical CSV's header row says: how each column is found, and what is wrong with it."""

    names: list[str]            # the header cells, trimmed and lower-cased, in file order
    index: dict[str, int]       # column name -> its cell (the first one when a name appears twice)
    extras: list[str]           # kept open-ended columns (e.g. score_<criterion>), in header order
    missing: list[str]          # required contract columns the header lacks
    warnings: list[str]


def plan_header(header: list[str], ent: Entity, file_name: str) -> HeaderPlan:
    """Match a header row to the contract of ``ent``: names are matched case-insensitively after trimming,
    unknown columns are ignored with a warning, except the entity's open-ended prefixes. Shared by the
    Python reader and the SQL fast path (:mod:`orchestration.sources.canonical_sql`)."""
    warnings: list[str] = []
    names = [h.strip().lower() for h in header]
    known = set(ent.column_names)
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index:
            warnings.append(f"{file_name}: column {name!r} appears twice; the first one is used")
            continue
        index[name] = i
    extras = [n for n in index if n not in known and any(n.startswith(p) for p in ent.extra_prefixes)]
    ignored = [n for n in index if n not in known and n not in extras and n]
    if ignored:
        warnings.append(f"{file_name}: columns not in the {ent.name} contract are ignored: {', '.join(ignored)}")
    missing = [c for c in ent.required if c not in index]
    return HeaderPlan(names, index, extras, missing, warnings)


def read_canonical_csv(path: Path | str, entity: str | Entity) -> ReadResult:
    """Read one canonical CSV file of ``entity``.

    Header names are matched case-insensitively after trimming.  Unknown columns are ignored
    (with a warning), except the entity's open-ended prefixes (``score_*`` on projects), which
    are kept as numbers.  A missing required column quarantines every row of the file.
    """
    path = Path(path)
    ent = ENTITIES[entity] if isinstance(entity, str) else entity
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    warnings: list[str] = []
    text = decode_text(data, path.name, warnings, encoding_option=False)
    result = ReadResult(path, ent.name, sha, [], [], warnings, [])

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        warnings.append(f"{path.name}: empty file, no header row")
        return result
    except csv.Error as exc:
        result.quarantine.append(QuarantineRecord(1, None, None, f"unreadable header: {exc}"))
        return result
    plan = plan_header(header, ent, path.name)
    names, index, extras, missing = plan.names, plan.index, plan.extras, plan.missing
    warnings += plan.warnings
    result.extra_columns = extras

    row_no = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_no += 1
            result.quarantine.append(QuarantineRecord(row_no, None, None, f"malformed CSV line: {exc}"))
            continue
        row_no += 1
        if not any(c.strip() for c in cells):
            continue  # blank line
        record = {names[i]: cells[i] for i in range(min(len(names), len(cells)))}
        if missing:
            result.quarantine.append(
                QuarantineRecord(row_no, ", ".join(missing), None,
                                 f"required column(s) {', '.join(missing)} missing from the header", record)
            )
            continue
        if len(cells) != len(names):
            result.quarantine.append(
                QuarantineRecord(row_no, None, None,
                                 f"row has {len(cells)} cells but the header has {len(names)}", record)
            )
            continue
        parsed: dict = {}
        problems: list[tuple[str, str, str]] = []
        for col in ent.columns:
            raw = cells[index[col.name]] if col.name in index else ""
            try:
                value = parse_value(col.type, raw)
            except ValueError as exc:
                problems.append((col.name, raw, str(exc)))
                continue
            if value is None and col.required:
                problems.append((col.name, raw, "required value is blank"))
                continue
            if value is not None and col.allowed is not None:
                value = value.lower()
                if value not in col.allowed:
                    problems.append((col.name, raw, f"not one of {', '.join(col.allowed)}"))
                    continue
            parsed[col.name] = value
        for name in extras:
            raw = cells[index[name]]
            try:
                parsed[name] = parse_value(NUMBER, raw)
            except ValueError as exc:
                problems.append((name, raw, str(exc)))
        if problems:
            result.quarantine.append(
                QuarantineRecord(
                    row_no,
                    ", ".join(p[0] for p in problems),
                    " | ".join(p[1] for p in problems),
                    "; ".join(f"{p[0]}: {p[2]}" for p in problems),
                    record,
                )
            )
            continue
        parsed["_source_row"] = row_no
        result.rows.append(parsed)
    return result
