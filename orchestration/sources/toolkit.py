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

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.sources.cells import decode_bom

__all__ = [
    "DIGITS_RE",
    "MONTH_ABBREVIATIONS",
    "PERIOD_RE",
    "QuarantineRecord",
    "ReadResult",
    "ReaderError",
    "RowProblems",
    "Table",
    "cell_text",
    "check_options",
    "file_sha256",
    "infer_decimal_separator",
    "load_mapping_file",
    "norm_header",
    "parse_date",
    "parse_decimal",
    "parse_period",
    "read_table",
    "resolve_columns",
    "row_record",
    "table_headers",
    "where",
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


# ---- headings, numbers, dates (spreadsheet cells: CSV text or native XLSX values) -------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def norm_header(name: Any) -> str:
    """Heading key for matching: lower case, every non-alphanumeric character (spaces, '_', '/',
    '.', '-', brackets) removed.  'G/L Account', 'gl_account' and 'GLAccount' are equal."""
    if name is None:
        return ""
    return _NON_ALNUM.sub("", str(name).strip().lower())


_SPACES = ("\u00a0", "\u202f", "\u2009", " ")
_CURRENCY_SYMBOLS = "£$€¥"
DIGITS_RE = re.compile(r"^[0-9]+$")


def _separator_vote(t: str) -> str | None:
    """Which character is the decimal separator of one cleaned number text: '.', ',', '' (no
    separator at all) or None (ambiguous: a single separator followed by exactly 3 digits)."""
    has_dot, has_comma = "." in t, "," in t
    if has_dot and has_comma:
        return "." if t.rfind(".") > t.rfind(",") else ","
    for sep, other in ((",", "."), (".", ",")):
        if (sep == "," and has_comma) or (sep == "." and has_dot):
            if t.count(sep) > 1:
                return other  # repeated separator = thousands
            tail = t.rsplit(sep, 1)[1]
            return None if len(tail) == 3 else sep
    return ""


def _clean_number_text(value: str, allow_symbols: bool) -> tuple[str, bool]:
    t = value.strip()
    for s in _SPACES:
        t = t.replace(s, "")
    t = t.replace("'", "")  # Swiss thousands separator
    neg = False
    if t.startswith("(") and t.endswith(")"):
        neg, t = True, t[1:-1]
    if allow_symbols:
        t = t.strip(_CURRENCY_SYMBOLS)
    if t.endswith("-"):
        neg, t = not neg, t[:-1]
    elif t.startswith("-"):
        neg, t = not neg, t[1:]
    elif t.startswith("+"):
        t = t[1:]
    if allow_symbols:
        t = t.strip(_CURRENCY_SYMBOLS)
    return t, neg


def infer_decimal_separator(values) -> tuple[str | None, bool]:
    """The decimal separator the unambiguous cells of a column agree on, and whether they disagree.

    Returns ``(sep, conflict)``: sep is '.' or ',' or None (nothing decides)."""
    votes = set()
    for v in values:
        if not isinstance(v, str) or not v.strip():
            continue
        t, _ = _clean_number_text(v, True)
        vote = _separator_vote(t)
        if vote:
            votes.add(vote)
    if len(votes) == 1:
        return votes.pop(), False
    return None, len(votes) > 1


def parse_decimal(value: Any, decimal_separator: str = ".", *, allow_symbols: bool = False) -> Decimal | None:
    """Parse a money/number cell into a Decimal; blank -> None; raises ValueError with a reason.

    Accepts a leading or *trailing* minus (SAP ``1.234,56-``), parentheses for negatives, spaces,
    NBSP or apostrophes as thousands separators, and the other separator as thousands separator
    (groups of 3 digits enforced).  ``decimal_separator`` is '.', ',' or 'auto' (decide from this
    cell; a lone separator followed by exactly 3 digits is then ambiguous).  Native XLSX numbers are
    converted exactly (floats through their shortest repr).  ``allow_symbols`` strips £ $ € ¥.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a true/false cell, not a number")  # noqa: TRY004 - bad content
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return Decimal(repr(value))
    if isinstance(value, (date, datetime)):
        raise ValueError("a date, not a number")  # noqa: TRY004 - bad content
    text = str(value)
    if not text.strip():
        return None
    t, neg = _clean_number_text(text, allow_symbols)
    if not t:
        raise ValueError(f"not a number: {text.strip()!r}")
    dec = decimal_separator
    if dec == "auto":
        vote = _separator_vote(t)
        if vote is None:
            raise ValueError(
                f"ambiguous number {text.strip()!r}: the separator may be a thousands or a decimal "
                "separator; pass decimal_separator='.' or ','"
            )
        dec = vote or "."
    if dec not in (".", ","):
        raise ValueError(f"decimal_separator must be '.', ',' or 'auto', not {decimal_separator!r}")
    thousands = "," if dec == "." else "."
    if t.count(dec) > 1:
        raise ValueError(f"not a number: {text.strip()!r} (more than one decimal separator {dec!r})")
    int_part, _, frac = t.partition(dec)
    if frac and not DIGITS_RE.match(frac):
        raise ValueError(f"not a number: {text.strip()!r}")
    if thousands in int_part:
        groups = int_part.split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise ValueError(
                f"not a number: {text.strip()!r} (thousands separator {thousands!r} not followed by "
                f"groups of 3 digits; is the decimal separator really {dec!r}?)"
            )
        int_part = "".join(groups)
    if int_part == "" and frac:
        int_part = "0"
    if not DIGITS_RE.match(int_part):
        raise ValueError(f"not a number: {text.strip()!r}")
    number = Decimal(f"{int_part}.{frac}" if frac else int_part)
    return -number if neg else number


MONTH_ABBREVIATIONS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO_RE = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DOTTED_RE = re.compile(rf"^(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}){_TIME}$")
_ORACLE_RE = re.compile(rf"^(\d{{1,2}})-([A-Za-z]{{3}})-(\d{{2}}|\d{{4}}){_TIME}$")
_YMD_SLASH_RE = re.compile(rf"^(\d{{4}})/(\d{{1,2}})/(\d{{1,2}}){_TIME}$")
_SLASH_RE = re.compile(rf"^(\d{{1,2}})/(\d{{1,2}})/(\d{{2,4}}){_TIME}$")


def _mkdate(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise ValueError(f"not a valid date ({exc})") from None


def parse_date(value: Any, date_format: str | None = None) -> date | None:
    """Parse a date cell; blank (and SAP's ``00000000``) -> None; raises ValueError with a reason.

    Without ``date_format``: ISO ``YYYY-MM-DD`` (a time part is dropped), ``YYYYMMDD``,
    ``DD.MM.YYYY``, ``DD-MON-YY``/``DD-MON-YYYY`` (2-digit years are 20YY) and ``YYYY/MM/DD``.
    ``DD/MM/YYYY`` vs ``MM/DD/YYYY`` is ambiguous and needs ``date_format`` (strptime syntax), which
    is tried first; the unambiguous forms above are still accepted next to it.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a number ({value}), not a date: format the cell as a date or text")  # noqa: TRY004 - bad content
    t = str(value).strip()
    if not t or t in ("00000000", "00.00.0000"):
        return None
    if date_format:
        try:
            return datetime.strptime(t, date_format).date()
        except ValueError:
            pass
    m = _ISO_RE.match(t)
    if m:
        return _mkdate(int(m[1]), int(m[2]), int(m[3]))
    m = _COMPACT_RE.match(t)
    if m:
        return _mkdate(int(m[1]), int(m[2]), int(m[3]))
    m = _DOTTED_RE.match(t)
    if m:
        return _mkdate(int(m[3]), int(m[2]), int(m[1]))
    m = _ORACLE_RE.match(t)
    if m and m[2].lower() in MONTH_ABBREVIATIONS:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _mkdate(year, MONTH_ABBREVIATIONS[m[2].lower()], int(m[1]))
    m = _YMD_SLASH_RE.match(t)
    if m:
        return _mkdate(int(m[1]), int(m[2]), int(m[3]))
    if date_format:
        raise ValueError(f"not a date {t!r} in the configured format {date_format!r} nor ISO YYYY-MM-DD")
    if _SLASH_RE.match(t):
        raise ValueError(
            f"ambiguous date {t!r}: day/month order unknown; pass date_format='%d/%m/%Y' or '%m/%d/%Y'"
        )
    raise ValueError(f"not a date {t!r} (expected YYYY-MM-DD, DD.MM.YYYY, YYYYMMDD or DD-MON-YYYY)")


PERIOD_RE = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MON_YEAR_RE = re.compile(r"^([A-Za-z]{3,9})[-\s.]*(\d{2}|\d{4})$")


def parse_period(value: Any, date_format: str | None = None) -> str | None:
    """A calendar month 'YYYY-MM' from 'YYYY-MM', 'YYYY/MM', 'Mar 2026', 'March-2026', 'MAR-26' or any
    date :func:`parse_date` reads (its month); blank -> None; raises ValueError."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    t = str(value).strip()
    if not t:
        return None
    m = PERIOD_RE.match(t)
    if m:
        if not 1 <= int(m[2]) <= 12:
            raise ValueError(f"not a period {t!r} (month {m[2]} is not 1-12)")
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    m = _MON_YEAR_RE.match(t)
    if m and m[1][:3].lower() in MONTH_ABBREVIATIONS:
        year = int(m[2]) + (2000 if len(m[2]) == 2 else 0)
        return f"{year:04d}-{MONTH_ABBREVIATIONS[m[1][:3].lower()]:02d}"
    try:
        d = parse_date(t, date_format)
    except ValueError:
        raise ValueError(f"not a period {t!r} (expected YYYY-MM, 'Mar 2026' or a date)") from None
    return None if d is None else f"{d.year:04d}-{d.month:02d}"


# ---- tables: CSV or XLSX -----------------------------------------------------------------------------


@dataclass
class Table:
    """A rectangular source: headings and data rows (file row number, cells).

    CSV cells are strings; XLSX cells are native (str, int, float, datetime, bool, None)."""

    path: Path
    headers: list[str]
    rows: list[tuple[int, list]]
    header_row: int = 1
    is_xlsx: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    broken: list[QuarantineRecord] = field(default_factory=list)  # lines the CSV parser could not split

    def shape_problem(self, cells: list) -> str | None:
        """A CSV row whose cell count differs from the header's (trailing empty cells excepted)."""
        n, m = len(cells), len(self.headers)
        if self.is_xlsx or n == m:
            return None
        if n < m:
            return f"row has {n} cells but the header has {m} (a broken line: a line break inside an unquoted value?)"
        if any(cell_text(c) for c in cells[m:]):
            return f"row has {n} cells but the header has {m} (an unquoted delimiter inside a value?)"
        return None

    def index(self) -> dict[str, int]:
        """Normalised heading -> first column index (duplicates warned once)."""
        out: dict[str, int] = {}
        for i, h in enumerate(self.headers):
            key = norm_header(h)
            if not key:
                continue
            if key in out:
                self.warnings.append(
                    f"{self.path.name}, row {self.header_row}, column {h!r}: heading appears twice "
                    f"(also column {out[key] + 1}); the first one is used"
                )
                continue
            out[key] = i
        return out


def _is_xlsx(path: Path, head: bytes | None = None) -> bool:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return True
    if head is None:
        try:
            with open(path, "rb") as fh:
                head = fh.read(4)
        except OSError:
            return False
    return head[:4] == b"PK\x03\x04"


def _decode_table_text(data: bytes, path: Path, encoding: str | None, warnings: list[str]) -> str:
    if encoding:
        return data.decode(encoding, errors="replace")
    text = decode_bom(data, path.name, warnings)  # UTF-16/32 with a BOM (Excel's "Unicode text")
    if text is not None:
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warnings.append(
            f"{path.name}: not valid UTF-8 (byte {exc.start}); read as Windows-1252. "
            "Export as UTF-8 or pass encoding=... to silence this warning."
        )
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: Path | str, *, sheet: str | int | None = None, header_row: int = 1,
               delimiter: str | None = None, encoding: str | None = None, headers_only: bool = False) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`.  Never raises on content: problems land in
    ``errors``/``warnings``/``broken``.  Raises :class:`ReaderError` if the file is missing."""
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    if header_row < 1:
        raise ValueError("header_row must be >= 1")
    if _is_xlsx(path):
        return _read_xlsx(path, sheet, header_row, headers_only)
    table = Table(path, [], [], header_row)
    text = _decode_table_text(path.read_bytes(), path, encoding, table.warnings)
    lines = text.splitlines()
    if len(lines) < header_row:
        table.errors.append(f"{path.name}: empty file, no header row at row {header_row}")
        return table
    delim = delimiter or _sniff_delimiter(lines[header_row - 1])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    row_no = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_no += 1
            table.broken.append(QuarantineRecord(
                row_no, None, None, f"{path.name}, row {row_no}: malformed CSV line ({exc})"))
            continue
        row_no += 1
        if row_no < header_row:
            continue
        if row_no == header_row:
            table.headers = [c.strip() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        table.rows.append((row_no, cells))
    if not table.headers:
        table.errors.append(f"{path.name}: no header row at row {header_row}")
    return table


def _read_xlsx(path: Path, sheet: str | int | None, header_row: int, headers_only: bool = False) -> Table:
    table = Table(path, [], [], header_row, is_xlsx=True)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover
        table.errors.append(f"{path.name}: reading XLSX needs the openpyxl package")
        return table
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a file error
        table.errors.append(f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        return table
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(wb.worksheets):
                table.errors.append(f"{path.name}: no sheet number {sheet} (sheets: {', '.join(wb.sheetnames)})")
                return table
            ws = wb.worksheets[sheet]
        else:
            names = {n.strip().lower(): n for n in wb.sheetnames}
            if sheet.strip().lower() not in names:
                table.errors.append(f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(wb.sheetnames)})")
                return table
            ws = wb[names[sheet.strip().lower()]]
        ws.reset_dimensions()  # read-only mode trusts the stored dimension, which some writers get wrong
        for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(values)
            if row_no < header_row:
                continue
            if row_no == header_row:
                table.headers = [cell_text(c) or "" for c in cells]
                if headers_only:
                    break
                continue
            if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                continue
            table.rows.append((row_no, cells))
    finally:
        wb.close()
    if not table.headers:
        table.errors.append(f"{path.name}: no header row at row {header_row}")
    return table


def table_headers(path: Path, head: bytes, *, sheet=None, header_row: int = 1) -> list[str]:
    """Headings for detection: from ``head`` for CSV, from the workbook for XLSX; [] on any error."""
    try:
        if _is_xlsx(path, head):
            return read_table(path, sheet=sheet, header_row=header_row, headers_only=True).headers
        text = _decode_table_text(head, path, None, [])
        lines = text.splitlines()
        if len(lines) < header_row:
            return []
        line = lines[header_row - 1]
        return [c.strip() for c in next(csv.reader([line], delimiter=_sniff_delimiter(line)))]
    except Exception:  # noqa: BLE001 - detection never raises
        return []


def load_mapping_file(path: Path | str) -> dict:
    """Load a YAML mapping file: either a flat ``canonical: heading`` dict, or a dict with a
    ``columns:`` mapping plus reader options (``date_format``, ``sheet``, ``defaults`` ...)."""
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_bytes()) or {}  # bytes: PyYAML honours a UTF-8/UTF-16 BOM
    if not isinstance(data, dict):
        raise TypeError(f"{path}: a mapping file must hold a dict")
    if "columns" in data:
        options = dict(data)
        columns = options.pop("columns") or {}
    else:
        options, columns = {}, data
    if not isinstance(columns, dict):
        raise TypeError(f"{path}: 'columns' must be a dict of canonical column -> source heading")
    options["mapping"] = {str(k): str(v) for k, v in columns.items()}
    return options


def cell_text(value: Any) -> str | None:
    """Text of a cell (XLSX numbers without a spurious '.0'); blank -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def row_record(headers: list[str], cells: list) -> dict[str, str]:
    rec = {}
    for i, h in enumerate(headers):
        if i < len(cells):
            rec[h or f"column {i + 1}"] = cell_text(cells[i]) or ""
    return rec


class RowProblems:
    """Collects the bad cells of one row; ``quarantine()`` turns them into one QuarantineRecord naming the
    file, the row and every column.

    ``file`` is the file (a Path or its name); ``unit`` is what a row is called (``"record"`` for JSON,
    where columns are called fields).  ``per_cell`` chooses the message layout:

    * False (the spreadsheet readers: ledger, registers): one prefix, cells as read
      (``"x.csv, row 7: column 'Amount': not a number; column 'Date': ..."``, values through
      :func:`cell_text`);
    * True (the export readers: timesheets, Jira): every cell its own prefix and the raw value
      (``"x.csv row 7, column 'Hours': not a number (got 'abc'); x.csv row 7, column ..."``).
    """

    def __init__(self, file: Path | str, row: int, unit: str = "row", *, per_cell: bool = False):
        self.file = file.name if isinstance(file, Path) else file
        self.row, self.unit, self.per_cell = row, unit, per_cell
        self.items: list[tuple[str, str, str]] = []  # (column heading, value, reason)
        self.keys: set[str] = set()  # roles / canonical columns already reported

    def add(self, column: str, value: Any, reason: str, key: str | None = None) -> None:
        if value is None:
            shown = ""
        else:
            shown = str(value) if self.per_cell else (cell_text(value) or "")
        self.items.append((column, shown, reason))
        if key:
            self.keys.add(key)

    def __bool__(self) -> bool:
        return bool(self.items)

    def quarantine(self, record: dict) -> QuarantineRecord:
        if self.per_cell:
            reason = "; ".join(f"{where(self.file, self.row, c, self.unit)}: {r}" + (f" (got {v!r})" if v else "")
                               for c, v, r in self.items)
        else:
            reason = f"{self.file}, {self.unit} {self.row}: " + "; ".join(
                f"column {c!r}: {r}" for c, _, r in self.items)
        return QuarantineRecord(self.row, ", ".join(c for c, _, _ in self.items),
                                " | ".join(v for _, v, _ in self.items), reason,
                                {k: "" if v is None else str(v) for k, v in record.items()})


def where(file: str, row: int | None, column: str | None, unit: str = "row") -> str:
    """``'tempo.csv row 7, column 'Hours''`` — the prefix of every export reader's message."""
    text = file
    if row is not None:
        text += f" {unit} {row}"
    if column:
        text += f", {'column' if unit == 'row' else 'field'} {column!r}"
    return text


def resolve_columns(index: dict[str, int], aliases: dict[str, list[str]]) -> dict[str, int]:
    """Role -> column index (``index`` maps :func:`norm_header` keys to columns), first alias present wins."""
    out = {}
    for role, names in aliases.items():
        for name in names:
            i = index.get(norm_header(name))
            if i is not None:
                out[role] = i
                break
    return out
