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
    "EXPORT_DATES",
    "MONTHS",
    "MONTH_ABBREVIATIONS",
    "SHEET_DATES",
    "DateRules",
    "PERIOD_RE",
    "QuarantineRecord",
    "ReadResult",
    "ReaderError",
    "RowProblems",
    "Table",
    "cell_text",
    "check_options",
    "decide_day_first",
    "decode_text",
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

#: Month names and abbreviations the export readers accept in dates like Jira's ``25/Feb/26`` (lower case,
#: trailing dot removed): English, German, French, Spanish, Portuguese, Italian, Dutch.  No abbreviation
#: means two months.
MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "jan janv january januar janvier ene enero gen gennaio januari janeiro",
        "feb febr february februar fév févr février fev fevereiro febrero febbraio februari",
        "mar march mär mrz märz mars marzo março mrt maart",
        "apr april avr avril abr abril aprile",
        "may mai mag mei mayo maggio",
        "jun june juni juin junio giu giugno junho",
        "jul july juli juil juillet julio lug luglio julho",
        "aug august août aout ago agosto augustus",
        "sep sept september septembre set septiembre settembre setembro",
        "oct october okt oktober octobre ott ottobre out outubro octubre",
        "nov november novembre noviembre novembro",
        "dec december dez dezember déc décembre dic diciembre dicembre dezembro",
    ],
    start=1,
):
    for _n in _names.split():
        MONTHS[_n] = _num


@dataclass(frozen=True)
class DateRules:
    """What one family of readers accepts as a date and how it words a refusal, for :func:`parse_date`.

    There are two: :data:`SHEET_DATES` (ledger and register cells, CSV or XLSX) and :data:`EXPORT_DATES`
    (timesheet and Jira exports).  They differ where the readers always differed -- which time suffixes,
    two-digit years, month names, numeric ``A/B/YYYY`` dates (refused vs. settled by ``day_first`` or by a
    number above 12), whether ``date_format`` is the only form accepted, SAP's ``00000000`` -- and each
    difference is a field here, so that making the families agree is a visible (behaviour) change.
    ``numeric`` has the groups ``a``, ``b`` (the two numbers, order unknown) and ``y``; ``named`` has
    day, month name, year.  Messages take ``{value!r}`` and ``{date_format!r}``.
    """

    iso: re.Pattern            # YYYY-MM-DD, YYYY/MM/DD (groups y, m, d; a time part may follow)
    dotted: re.Pattern         # DD.MM.YYYY
    named: re.Pattern          # DD-MON-YY and friends
    numeric: re.Pattern        # A/B/YYYY
    months: dict[str, int]     # month names accepted in ``named``
    century_pivot: int | None  # two-digit year YY: 20YY below the pivot, else 19YY; None: always 20YY
    zero_dates_blank: bool     # SAP's 00000000 / 00.00.0000 mean "no date"
    format_exclusive: bool     # with date_format, nothing else is accepted
    infer_order: bool          # A/B/YYYY with a number above 12 settles its own order
    unknown_month: str | None  # refusal of an unknown month name; None: not a named date at all
    bad_format: str            # refusal when date_format was given
    ambiguous: str             # refusal of A/B/YYYY whose order is unknown
    not_a_date: str            # any other refusal


_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")


def _date_rules(time: str, *, dotted_year: str, named: str, numeric: str, **kwargs) -> DateRules:
    return DateRules(
        iso=re.compile(rf"^(?P<y>\d{{4}})(?P<sep>[-/])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){time}$"),
        dotted=re.compile(rf"^(\d{{1,2}})\.(\d{{1,2}})\.({dotted_year}){time}$"),
        named=re.compile(named + time + "$"),
        numeric=re.compile(numeric + time + "$"),
        **kwargs,
    )


#: Ledger and register cells: ISO (a time part dropped), YYYYMMDD, DD.MM.YYYY, DD-MON-YY(YY) in English
#: (20YY), YYYY/MM/DD; A/B/YYYY is refused as ambiguous unless ``date_format`` or ``day_first`` says.
SHEET_DATES = _date_rules(
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
    dotted_year=r"\d{4}",
    named=r"^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})",
    numeric=r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{2,4})",
    months=MONTH_ABBREVIATIONS,
    century_pivot=None,
    zero_dates_blank=True,
    format_exclusive=False,
    infer_order=False,
    unknown_month=None,
    bad_format="not a date {value!r} in the configured format {date_format!r} nor ISO YYYY-MM-DD",
    ambiguous=("ambiguous date {value!r}: day/month order unknown; pass date_format='%d/%m/%Y' or "
               "'%m/%d/%Y'"),
    not_a_date="not a date {value!r} (expected YYYY-MM-DD, DD.MM.YYYY, YYYYMMDD or DD-MON-YYYY)",
)

#: Timesheet and Jira exports (the exporting user's settings): ISO with or without zero padding, with a
#: time (AM/PM, a zone), YYYYMMDD, DD.MM.YY(YY), ``25/Feb/26`` in seven languages (YY: 20YY below 70),
#: and A/B/YYYY or A-B-YYYY settled by ``day_first`` or by a number above 12; ``date_format`` is exclusive.
EXPORT_DATES = _date_rules(
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?\s?[Mm]\.?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?)?",
    dotted_year=r"\d{4}|\d{2}",
    named=r"^(\d{1,2})[/\- ]([^\W\d_]{3,9}\.?)[/\- ,]*(\d{4}|\d{2})",
    numeric=r"^(?P<a>\d{1,2})(?P<sep>[/-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})",
    months=MONTHS,
    century_pivot=70,
    zero_dates_blank=False,
    format_exclusive=True,
    infer_order=True,
    unknown_month="unknown month name {value!r}",
    bad_format="does not match the date format {date_format!r}",
    ambiguous="ambiguous date: day/month order unknown (pass day_first)",
    not_a_date="not a date",
)


def _mkdate(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise ValueError(f"not a valid date ({exc})") from None


def _year(text: str, pivot: int | None) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if pivot is None or y < pivot else 1900
    return y


def parse_date(value: Any, date_format: str | None = None, *, day_first: bool | None = None,
               rules: DateRules = SHEET_DATES) -> date | None:
    """Parse a date cell; blank -> None; raises ValueError with a reason.  The one date parser of the
    spreadsheet and export readers (the schedule readers' fixed formats are :func:`cells.parse_date`).

    Native XLSX dates are taken as they are, numbers refused.  Text is read by ``rules``
    (:class:`DateRules`; default :data:`SHEET_DATES`, the ledger's and registers'; :data:`EXPORT_DATES`
    for timesheet and Jira exports).  ``date_format`` (strptime syntax) is tried first.  ``day_first``
    settles numeric ``A/B/YYYY`` dates (None: unknown, so refused unless the rules let a number above 12
    settle it; :func:`decide_day_first` decides it for a whole column).
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
    if not t or (rules.zero_dates_blank and t in ("00000000", "00.00.0000")):
        return None
    if date_format:
        try:
            return datetime.strptime(t, date_format).date()
        except ValueError:
            if rules.format_exclusive:
                raise ValueError(rules.bad_format.format(value=t, date_format=date_format)) from None
    m = rules.iso.match(t) or _COMPACT_RE.match(t)
    if m:
        return _mkdate(int(m["y"]), int(m["m"]), int(m["d"]))
    m = rules.dotted.match(t)
    if m:
        return _mkdate(_year(m[3], rules.century_pivot), int(m[2]), int(m[1]))
    m = rules.named.match(t)
    if m:
        month = rules.months.get(m[2].lower().rstrip("."))
        if month is not None:
            return _mkdate(_year(m[3], rules.century_pivot), month, int(m[1]))
        if rules.unknown_month is not None:
            raise ValueError(rules.unknown_month.format(value=m[2]))
    if date_format:
        raise ValueError(rules.bad_format.format(value=t, date_format=date_format))
    m = rules.numeric.match(t)
    if m:
        a, b, y = int(m["a"]), int(m["b"]), _year(m["y"], rules.century_pivot)
        if day_first is None and rules.infer_order:
            if a > 12 and b <= 12:
                day_first = True
            elif b > 12 and a <= 12:
                day_first = False
        if day_first is None:
            raise ValueError(rules.ambiguous.format(value=t))
        return _mkdate(y, b, a) if day_first else _mkdate(y, a, b)
    raise ValueError(rules.not_a_date.format(value=t))


def decide_day_first(values: Iterable[str], default: bool, file: str, column: str,
                     option: bool | None, rules: DateRules = EXPORT_DATES) -> tuple[bool | None, list[str]]:
    """Settle the day/month order of numeric ``A/B/YYYY`` dates (``rules.numeric``) for a whole file column.

    Returns (day_first, warnings).  ``None`` means the file contradicts itself: each date must then
    settle its own order (rows where it cannot are quarantined).
    """
    if option is not None:
        return option, []
    first_big = second_big = 0
    ambiguous = 0
    for value in values:
        m = rules.numeric.match(value.strip())
        if not m:
            continue
        a, b = int(m["a"]), int(m["b"])
        if a > 12:
            first_big += 1
        elif b > 12:
            second_big += 1
        else:
            ambiguous += 1
    if first_big and second_big:
        return None, [(f"{file}, column {column!r}: dates are written both day/month and month/day; "
                       "each date is read only where its own numbers settle the order")]
    if first_big:
        return True, []
    if second_big:
        return False, []
    if ambiguous:
        order = "day/month" if default else "month/day"
        return default, [(f"{file}, column {column!r}: every date like 03/04/2026 is ambiguous; read as {order} "
                          f"(the tool's default). Pass day_first={not default} if that is wrong.")]
    return default, []


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
    """The one class for a rectangular source: a CSV decoded to text (:meth:`from_text`, :func:`read_table`)
    or an XLSX sheet, as headings and data rows (file row number, cells).

    CSV cells are strings; XLSX cells are native (str, int, float, datetime, bool, None).  Headings are
    trimmed.  Two ways to find columns:

    * :meth:`index` (+ :func:`resolve_columns`): :func:`norm_header` key -> first column, for the readers
      whose users name the columns (ledger, registers: 'G/L Account' = 'gl_account');
    * :meth:`find` / :meth:`cell` / :meth:`cells`: the first of a tool's known headings the file has, then
      its cells, keeping repeated columns (Jira's ``Sprint,Sprint``), for the export presets (timesheets,
      Jira).  These match trimmed and case-insensitive only, not by :func:`norm_header`: the presets'
      aliases are the tools' literal headings, and ignoring punctuation makes other tools' headings match
      (SAP's ``WORKDATE`` would be Tempo's ``Work date``, a canonical ``start_date`` Clockify's
      ``Start Date``), which changes what a file is read as -- bench/reader_outputs.py showed 88 results
      changing when it was tried.
    """

    path: Path
    headers: list[str]
    rows: list[tuple[int, list]]
    header_row: int = 1
    is_xlsx: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: CSV records the csv module could not split: (file row, the csv module's message)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    _positions: dict[str, list[int]] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_text(cls, path: Path, text: str, *, header_row: int = 1, delimiter: str | None = None,
                  field_size_limit: int | None = None) -> Table:
        """Split decoded CSV text into a Table.  Never raises on content: an empty text is an ``errors``
        entry, a record the csv module cannot split goes to ``malformed`` (and on).  ``delimiter`` None
        sniffs the header line (',', ';', tab or '|'); ``field_size_limit`` raises the csv module's
        per-cell limit (128 KiB) while reading, for exports with long texts (Jira descriptions)."""
        table = cls(path, [], [], header_row)
        lines = text.splitlines()
        if len(lines) < header_row:
            table.errors.append(f"{path.name}: empty file, no header row at row {header_row}")
            return table
        delim = delimiter or _sniff_delimiter(lines[header_row - 1])
        old_limit = csv.field_size_limit()
        if field_size_limit:
            csv.field_size_limit(max(old_limit, field_size_limit))
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
            row_no = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    row_no += 1
                    table.malformed.append((row_no, str(exc)))
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
        finally:
            csv.field_size_limit(old_limit)
        if not table.headers:
            table.errors.append(f"{path.name}: no header row at row {header_row}")
        return table

    @property
    def broken(self) -> list[QuarantineRecord]:
        """The malformed CSV records as quarantine records (the spreadsheet readers' wording)."""
        return [QuarantineRecord(row, None, None, f"{self.path.name}, row {row}: malformed CSV line ({msg})")
                for row, msg in self.malformed]

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

    # ---- columns by known headings (the export presets) ------------------------------------------

    def _by_heading(self) -> dict[str, list[int]]:
        """Trimmed, lower-cased heading -> its columns, in file order (built once)."""
        if self._positions is None:
            self._positions = {}
            for i, h in enumerate(self.headers):
                self._positions.setdefault(_exact_key(h), []).append(i)
        return self._positions

    def positions(self, name: str | None) -> list[int]:
        """Every column whose heading is ``name`` (trimmed, case-insensitive), in file order."""
        return [] if name is None else self._by_heading().get(_exact_key(name), [])

    def find(self, names: Iterable[str]) -> str | None:
        """The heading, as written in the file, of the first of ``names`` the file has (trimmed,
        case-insensitive: see the class docstring for why not :func:`norm_header`); None when none."""
        for name in names:
            pos = self.positions(name)
            if pos:
                return self.headers[pos[0]]
        return None

    def cell(self, cells: list, name: str | None) -> str:
        """The (first) cell of the column headed ``name`` in this record; '' when absent."""
        pos = self.positions(name)
        if not pos or pos[0] >= len(cells):
            return ""
        return cells[pos[0]]

    def cells(self, cells: list, name: str | None) -> list:
        """Every cell of a repeated column, in file order."""
        return [cells[i] for i in self.positions(name) if i < len(cells)]

    def record_dict(self, cells: list) -> dict[str, str]:
        """The raw record for a quarantine entry, cells as written (repeated columns joined with ' | ')."""
        out: dict[str, str] = {}
        for i, name in enumerate(self.headers):
            value = cells[i] if i < len(cells) else ""
            out[name] = f"{out[name]} | {value}" if name in out and value else (value or out.get(name, ""))
        return out

    def repeated(self) -> list[str]:
        """Headings that appear more than once (each once, as first written)."""
        return [self.headers[pos[0]] for pos in self._by_heading().values() if len(pos) > 1]


def _exact_key(name: Any) -> str:
    return str(name).strip().lower()


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


def decode_text(data: bytes, name: str, warnings: list[str], encoding: str | None = None, *,
                encoding_option: bool = True) -> str:
    """The text of an export file, the one decoding rule of every CSV/JSON reader (canonical, tables,
    timesheets, Jira): ``encoding`` when given; else UTF-16/32 with a BOM (Excel's "Unicode text"); else
    UTF-8 (a BOM dropped); else Windows-1252, warned.  ``name`` is the file name the warning starts with;
    ``encoding_option`` says whether the reader takes ``encoding=`` (only then does the warning suggest it).
    """
    if encoding:
        return data.decode(encoding, errors="replace")
    text = decode_bom(data, name, warnings)
    if text is not None:
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = "Export as UTF-8 or pass encoding=... to silence this warning." if encoding_option else \
            "Export as UTF-8 to silence this warning."
        warnings.append(f"{name}: not valid UTF-8 (byte {exc.start}); read as Windows-1252. {hint}")
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
    warnings: list[str] = []
    text = decode_text(path.read_bytes(), path.name, warnings, encoding)
    table = Table.from_text(path, text, header_row=header_row, delimiter=delimiter)
    table.warnings[:0] = warnings
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
        text = decode_text(head, path.name, [])
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
