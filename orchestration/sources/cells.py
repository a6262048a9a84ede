"""Cell parsing shared by the schedule readers (XER, PMXML, MSPDI): one place for number and date rules,
and for recognising an XML export by its first bytes."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

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
    """The date at the start of ``raw`` (groups 1-3 of ``pattern`` are year, month, day); blank is None."""
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
