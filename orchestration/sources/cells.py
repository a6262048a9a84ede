"""What every reader shares about cells and text: number and date rules (the schedule readers), the
numeric range of the contract (every reader), how text files are decoded and split (every text reader),
and recognising an XML export by its first bytes.

**The numeric range.** ``raw.<entity>`` stores money as ``DECIMAL(18,4)`` (contract.DUCKDB_TYPES), so a
money cell must be finite and below 10^14 in magnitude once rounded to 4 places; hours, points, rates and
other quantities are DOUBLE in raw but are multiplied into money (hours x rate) and summed into it in the
marts, so they are held to the same range. NaN and infinity are never numbers. :func:`number_problem`
says why a value is outside it, and :func:`quarantine_out_of_range` moves every row of a reader's result
that holds one to quarantine (``registry.read_source`` calls it for every reader, so no reader can let
one through).

**Text.** Exports arrive as UTF-8 (with or without a BOM), as Windows-1252, or as Excel's "Unicode text":
UTF-16 with a BOM, tab-separated. :func:`decode_bom` decodes a file that starts with a UTF-16 or UTF-32
BOM (:func:`orchestration.sources.toolkit.decode_text`, the one decoding rule of the CSV and JSON
readers, adds UTF-8 and the Windows-1252 fallback; XER keeps its own), :func:`head_text` turns the first
bytes of any of them into text for detection, and :func:`csv_delimiter` picks tab or comma from the
header line.
"""
from __future__ import annotations

import math
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from orchestration.contract import DUCKDB_TYPES, ENTITIES, MONEY, NUMBER

NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class CellError(ValueError):
    """A cell's text is not what its column holds; the message is the reason quarantined rows carry."""


def parse_decimal(raw: str | None) -> Decimal | None:
    """A plain decimal number ('.' as the mark, no separators); blank is None."""
    if raw is None or raw == "":
        return None
    if not NUMBER_RE.match(raw):
        raise CellError("not a number")
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex already guards
        raise CellError("not a number") from None


def parse_date(raw: str | None, pattern: re.Pattern, expected: str) -> date | None:
    """The date at the start of ``raw`` (groups 1-3 of ``pattern`` are year, month, day); blank is None.

    The schedule readers' check of a machine-written format (XER, PMXML, MSPDI): one pattern, refused as
    ``not <expected>``.  Spreadsheet and export dates, written as people set them, are
    :func:`orchestration.sources.toolkit.parse_date`'s."""
    if not raw:
        return None
    m = pattern.match(raw)
    if not m:
        raise CellError(f"not {expected}")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise CellError(f"not a valid date ({exc})") from None


def xml_head_matches(head: bytes, root_pattern: re.Pattern) -> bool:
    """True when ``head`` (a file's first bytes, UTF-8 or UTF-16, a BOM allowed) is XML whose text matches
    ``root_pattern`` (the root element and namespace a format declares)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if not text.lstrip().startswith("<"):
        return False
    return bool(root_pattern.search(text))


# ---- the contract's numeric range -----------------------------------------------------------------


def _decimal_limit(duckdb_type: str) -> tuple[Decimal, Decimal]:
    """``DECIMAL(p,s)`` -> (10^(p-s), the quantum 10^-s): magnitudes must stay below the first once
    rounded to the second."""
    m = re.fullmatch(r"DECIMAL\((\d+)\s*,\s*(\d+)\)", duckdb_type)
    if m is None:  # pragma: no cover - contract.py declares a DECIMAL for money
        raise AssertionError(f"money is not a DECIMAL(p,s) in the contract: {duckdb_type}")
    precision, scale = int(m.group(1)), int(m.group(2))
    return Decimal(10) ** (precision - scale), Decimal(10) ** -scale


#: Every money and number cell must be below this in magnitude (10^14 for DECIMAL(18,4)).
NUMBER_LIMIT, _QUANTUM = _decimal_limit(DUCKDB_TYPES[MONEY])
_FLOAT_LIMIT = float(NUMBER_LIMIT)
_RANGE = f"{NUMBER_LIMIT:,.0f}"


def _show(value) -> str:
    """A parsed number as a message shows it: 1e+20, 1E+300, 123456789012345678.00."""
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if isinstance(value, Decimal) and value.is_finite() and "E" in text:
        text = str(value.normalize())
    return text if len(text) <= 40 else text[:37] + "…"


def number_problem(value, text: str | None = None) -> str | None:
    """Why ``value`` (a Decimal, float or int parsed from a money or number cell) cannot be stored by
    the warehouse, or None when it can. ``text`` is the cell as written, for the message."""
    if value is None or isinstance(value, bool):
        return None
    shown = text.strip() if text else _show(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"{shown} is not a finite number"
        if -_FLOAT_LIMIT < value < _FLOAT_LIMIT:
            return None
        return f"{shown} is out of range: amounts and quantities must be below {_RANGE} in magnitude"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return f"{shown} is not a finite number"
        if -NUMBER_LIMIT < value < NUMBER_LIMIT and (
                abs(value) < NUMBER_LIMIT - 1 or abs(value.quantize(_QUANTUM, ROUND_HALF_UP)) < NUMBER_LIMIT):
            return None
        return f"{shown} is out of range: amounts and quantities must be below {_RANGE} in magnitude"
    if isinstance(value, int):
        return None if -NUMBER_LIMIT < value < NUMBER_LIMIT else (
            f"{shown} is out of range: amounts and quantities must be below {_RANGE} in magnitude")
    return None


def numeric_columns(entity: str, extra_columns: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The money and number columns of ``entity`` (plus kept extra columns such as score_<criterion>)."""
    ent = ENTITIES.get(entity)
    if ent is None:
        return []
    return [c.name for c in ent.columns if c.type in (MONEY, NUMBER)] + [c for c in extra_columns]


def quarantine_out_of_range(entities: dict, file: str) -> int:
    """Move every row of ``entities`` (entity -> ReadResult) holding a money or number value outside the
    contract's range (or NaN, or infinite) to that result's quarantine, naming file, row, column and
    value; returns how many rows moved."""
    from orchestration.sources.toolkit import QuarantineRecord

    moved = 0
    for entity, res in entities.items():
        columns = numeric_columns(entity, res.extra_columns)
        if not columns or not res.rows:
            continue
        kept = []
        for row in res.rows:
            problems = []
            for col in columns:
                value = row.get(col)
                if value is None:
                    continue
                reason = number_problem(value)
                if reason is not None:
                    problems.append((col, _show(value), reason))
            if not problems:
                kept.append(row)
                continue
            line = row.get("_source_row")
            res.quarantine.append(QuarantineRecord(
                line,
                ", ".join(p[0] for p in problems),
                " | ".join(p[1] for p in problems),
                "; ".join(f"{file} row {line}, column {col!r}: {reason}" for col, _, reason in problems),
                {k: "" if v is None else _show(v) if isinstance(v, (float, Decimal)) else str(v)
                 for k, v in row.items() if not k.startswith("_")},
            ))
            moved += 1
        res.rows = kept
    return moved


# ---- text files ---------------------------------------------------------------------------------

#: Byte-order marks, longest first (a UTF-32-LE BOM starts with the UTF-16-LE one).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_LABELS = {"utf-32": "UTF-32", "utf-16": "UTF-16", "utf-8-sig": "UTF-8"}


def bom_encoding(data: bytes) -> str | None:
    """The encoding a file's byte-order mark declares (``utf-8-sig``, ``utf-16``, ``utf-32``), or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def decode_bom(data: bytes, name: str, warnings: list[str]) -> str | None:
    """The text of a file that starts with a UTF-16 or UTF-32 BOM (Excel's "Unicode text" is UTF-16-LE
    with one), else None: the caller applies its own rule (UTF-8, with or without a BOM, else
    Windows-1252). Undecodable bytes (a truncated file ending in half a character) are replaced, with a
    warning naming the byte."""
    encoding = bom_encoding(data)
    if encoding is None or encoding == "utf-8-sig":
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        warnings.append(f"{name}: not valid {_LABELS[encoding]} at byte {exc.start} (a truncated file?); "
                        "undecodable bytes replaced")
        return data.decode(encoding, errors="replace")


def head_text(head: bytes) -> str:
    """The first bytes of a file as text, for detection: UTF-16/32 by their BOM, else UTF-8 (a BOM
    dropped); never raises (the head may end mid-character)."""
    encoding = bom_encoding(head) or "utf-8-sig"
    if encoding != "utf-8-sig":
        unit = 4 if encoding == "utf-32" else 2
        head = head[: len(head) - len(head) % unit]
    return head.decode(encoding, errors="replace").lstrip("\ufeff")


def csv_delimiter(text: str) -> str:
    """Tab when the first line of ``text`` (the header) is tab-separated (Excel's "Unicode text", a
    .tsv), else comma."""
    end = text.find("\n")
    header_line = text if end < 0 else text[:end]
    return "\t" if header_line.count("\t") > header_line.count(",") else ","
