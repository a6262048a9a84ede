"""Readers of timesheet-tool exports -> canonical ``timesheets`` rows (docs/input-formats.md §2).

Formats (``FORMATS`` maps each name to its ``(detect, read)`` pair):

=============== ================================================================================
``tempo-csv``    Tempo Timesheets (Server/DC) "Export to Excel" worklog report, saved as CSV
``harvest-csv``  Harvest "Detailed time report" CSV
``clockify-csv`` Clockify "Detailed report" CSV
``toggl-csv``    Toggl Track "Detailed report" CSV
``sap-cats-csv`` SAP CATS time sheet records (table CATSDB, via SE16/SE16N or a CATS report) as CSV
=============== ================================================================================

The canonical timesheet CSV is read by :mod:`orchestration.sources.canonical`, not here.

Every reader returns a :class:`~orchestration.sources.base.SourceResult` whose only entity is
``timesheets``.  Columns are matched by their header text, case-insensitively, never by position.
A bad cell quarantines its row with a reason that names the file, the row (1-based record number,
header = row 1, as a spreadsheet shows it) and the column; a missing required column is a file
error and quarantines every row.  Warnings about the file go to ``SourceResult.warnings``.

Traps, tool by tool (read these before changing anything):

* **Approval is counted downstream.**  The warehouse costs rows whose ``approval_status`` is
  ``approved`` or NULL (NULL = the tool has no approval workflow); ``submitted`` and ``rejected``
  rows are kept but not counted.  So every reader maps its tool's notion onto those three words and
  leaves NULL only where the tool really has no approval:

  - Tempo: approval is per *period*, not per worklog, so the standard export has no approval
    column: NULL.  If an ``Approval Status`` column is present (appended like Tempo appends
    instance fields; our demo writer does) its value is mapped: APPROVED -> approved;
    OPEN / READY_TO_SUBMIT / WAITING_FOR_APPROVAL / IN_REVIEW / SUBMITTED -> submitted
    (not approved yet, not counted); REJECTED -> rejected.
  - Harvest: ``Approved?`` Yes -> approved, No -> submitted (Harvest has no "rejected" state at
    rest: a rejected timesheet goes back to unsubmitted, i.e. "No"); blank -> NULL.  An account
    that does not use approvals exports "No" everywhere, which would count nothing: the reader
    warns when no row is approved, and ``ignore_approval=True`` reads every row as NULL.
  - Clockify and Toggl detailed reports carry no approval: NULL.
  - SAP CATS: see below.

* **SAP CATS statuses** (CATSDB ``STATUS``): 10 in process, 20 released for approval, 30 approved,
  40 rejected, 50 changed after approval, 60 cancelled.  Changing an approved record keeps the
  original (status 50 until the new version is approved, then 60) and adds a new record whose
  ``REFCOUNTER`` is the original's ``COUNTER``.  So: 30 -> approved, 10/20 -> submitted,
  40 -> rejected, and 50/60 rows are *not loaded* (superseded or cancelled copies; a warning lists
  them), nor is any row whose ``COUNTER`` is the ``REFCOUNTER`` of an approved row (a stale copy of
  a superseded record).  Where the extract carries ``STOKZ`` (reversal indicator, as CO-transfer
  tables do), a reversal record and the record with the same ``COUNTER`` cancel each other and
  neither is loaded; a reversal whose original is not in the file is loaded with negative hours.
  Note for reconciliation: while a change is pending, CO still holds the old approved hours (the
  status-50 row); the warehouse shows them only once the new version is approved.
  ``RPROJ`` is the WBS element's *internal* number in a raw table download (SE16 shows the external
  id); ``PSPID``/``POSID`` columns, when the layout has them, are preferred.  ``project_code`` is
  PSPID, else the receiver object (WBS, network, order); ``task_code`` is the WBS element (POSID or
  RPROJ), else ``network/activity`` (RNPLNR/VORNR), else the order (RAUFNR); the caller maps them to
  PMO project codes.  ``role`` is the activity type ``LSTAR`` (CO prices are per activity type).
  Numbers may use a decimal comma and SAP's trailing minus (``1,50-``); dates ``YYYYMMDD``,
  ``DD.MM.YYYY`` or ISO.  A unit other than hours (``MIN``) is converted; days are refused.

* **Durations**: Tempo, Harvest and Clockify's ``Duration (decimal)`` are decimal hours (a decimal
  comma is accepted); Clockify's ``Duration (h)`` and Toggl's ``Duration`` are ``h:mm:ss`` (hours
  may exceed 24).  Negative hours (corrections) are kept.  Harvest also has ``Hours Rounded``
  (billing rounding): ignored, ``Hours`` is what was worked.

* **Dates** follow the exporting user's settings.  Accepted: ISO with or without zero padding and
  with a time (Tempo writes ``2016-8-1 14:33``), ``YYYYMMDD``, ``DD.MM.YYYY``, Jira-style
  ``25/Feb/26`` (month abbreviations in English, German, French, Spanish, Portuguese, Italian and
  Dutch) and numeric ``A/B/YYYY``.  For the last, the order is decided per file: a first number
  above 12 means day/month, a second above 12 means month/day; if no date in the file settles it,
  the tool's default is used (Clockify and Toggl: US month/day; others: day/month) with a warning.
  ``day_first=`` or ``date_format=`` (a ``strptime`` pattern) override.  Clockify/Toggl dates are
  the start date in the exporting user's time zone.

* **People**: person_id must be stable.  Tempo: ``Username``; Harvest: ``Employee Id`` when the
  account exports it, else the full name (warned); Clockify/Toggl: ``Email``, else the user name;
  CATS: ``PERNR``.  ``person_name`` is filled only where the export has a name.

* **entry_id** is the tool's entry id when the export has one (Tempo ``Worklog Id``, Harvest
  ``Entry Id``, CATS ``COUNTER``; our demo writers append those columns).  Otherwise it is a
  content hash of the row's cells plus its occurrence number in the file
  (``clockify-csv:3f2a9c0d51e7.1``): the same export landed twice still gives equal rows (the ingest
  quarantines them as duplicates), while two identical-looking entries in one file stay distinct.

* **Project codes**: Tempo ``Project Key`` (else the prefix of the issue key); Harvest
  ``Project Code`` (else the project name, warned); Clockify/Toggl have only project *names*.
  ``project_code=`` fills the rows whose file gives none.  Mapping tool codes to the PMO's project
  codes is the caller's job.

Options common to every reader: ``project_code``, ``day_first``, ``date_format``; all but CATS also
take ``ignore_approval``.  An unknown option raises ``TypeError``
(:func:`orchestration.sources.toolkit.check_options`).

The helpers in the first section (loading an export, its table, number and duration parsing) are shared
with :mod:`orchestration.sources.jira`; dates (``toolkit.parse_date`` with ``toolkit.EXPORT_DATES``, and
``decide_day_first``), the text decoding, the table class (:class:`~orchestration.sources.toolkit.Table`,
the same one the ledger and register readers use), quarantine messages (``RowProblems``, ``where``) and the
option rule come from :mod:`orchestration.sources.toolkit`.
"""
from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from orchestration.sources.base import SourceResult
from orchestration.sources.toolkit import (
    EXPORT_DATES,
    QuarantineRecord,
    ReaderError,
    ReadResult,
    RowProblems,
    Table,
    check_options,
    decide_day_first,
    decode_text,
    parse_date,
    where,
)
from orchestration.sources.cells import csv_delimiter
from orchestration.sources.cells import head_text as _head_text

__all__ = [
    "FORMATS",
    "detect_clockify_csv",
    "detect_harvest_csv",
    "detect_sap_cats_csv",
    "detect_tempo_csv",
    "detect_toggl_csv",
    "read_clockify_csv",
    "read_harvest_csv",
    "read_sap_cats_csv",
    "read_tempo_csv",
    "read_toggl_csv",
]

ENTITY = "timesheets"

# =====================================================================================================
# Shared helpers (also used by orchestration.sources.jira)
# =====================================================================================================


def load_export(path: Path | str, fmt: str, entity: str = ENTITY) -> tuple[SourceResult, str]:
    """Read ``path`` and return an empty SourceResult (with its sha256) and the decoded text.

    UTF-8 (with or without BOM) is expected, and UTF-16 with a BOM (Excel's "Unicode text"); anything
    else is read as Windows-1252 with a warning. A path that is not a readable file raises
    :class:`ReaderError`.
    """
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    data = path.read_bytes()
    result = SourceResult(format=fmt, path=path, sha256=hashlib.sha256(data).hexdigest())
    text = decode_text(data, path.name, result.warnings, encoding_option=False)
    result.entity(entity)  # every reader has exactly one entity; make it exist even when empty
    return result, text


def head_text(head: bytes) -> str:
    """The first few KB of a file as text, for detection (never raises; the head may end mid-character)."""
    return _head_text(head)


def header_names(head: bytes) -> list[str]:
    """The header row of a CSV head, lower-cased and trimmed ([] when there is none)."""
    text = head_text(head)
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        return []
    try:
        cells = next(csv.reader([first], delimiter=csv_delimiter(first)))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().lower() for c in cells]


def norm(name: str) -> str:
    return name.strip().lower()


#: Jira descriptions can be longer than the csv module's default cell limit (128 KiB).
EXPORT_FIELD_SIZE_LIMIT = 64 * 1024 * 1024


def export_table(path: Path, text: str, res: ReadResult) -> Table:
    """An export's decoded text as a :class:`~orchestration.sources.toolkit.Table` (comma or tab, long cells
    allowed).  Records the csv module cannot split are quarantined in ``res`` naming file and row; an
    unreadable header row is the only one reported (the file then has no header)."""
    table = Table.from_text(path, text, delimiter=csv_delimiter(text), field_size_limit=EXPORT_FIELD_SIZE_LIMIT)
    for row, err in table.malformed:
        header = row == table.header_row
        reason = f"unreadable header: {err}" if header else f"malformed CSV record: {err}"
        res.quarantine.append(QuarantineRecord(row, None, None, f"{where(path.name, row, None)}: {reason}"))
        if header:
            break
    return table


def row_list(rows: list[int], limit: int = 8) -> str:
    """'rows 2, 5, 9' or 'rows 2, 5, … (40 in all)'."""
    rows = sorted(set(rows))
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", … ({len(rows)} in all)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


# ---- numbers -------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")


def parse_number(raw: str) -> float | None:
    """A decimal number as exports write it: '1.5', '1,5', '1.234,5', '1,234.5', '-2', SAP '1,50-'.

    Blank -> None; anything else that is not a number raises ValueError.
    """
    text = raw.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    negative = False
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    elif text.startswith("+"):
        text = text[1:]
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if text.count(",") > 1:
            raise ValueError("not a number")
        text = text.replace(",", ".")
    if not _NUM_RE.match(text):
        raise ValueError("not a number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    return float(-value if negative else value)


def parse_hours(raw: str) -> float | None:
    """Hours as decimal ('7.5', '7,5') or clock time ('7:30', '07:30:00', '-0:15', '25:00:00')."""
    text = raw.strip().replace("\u2212", "-")
    if not text:
        return None
    if ":" not in text:
        return parse_number(text)
    negative = text.startswith("-")
    parts = text.lstrip("+-").split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError("not a duration (h:mm or h:mm:ss)")
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if m >= 60 or s >= 60:
        raise ValueError("not a duration (minutes and seconds must be below 60)")
    hours = h + m / 60 + s / 3600
    return -hours if negative else hours


def text_or_none(raw) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def key_prefix(issue_key: str | None) -> str | None:
    """'ABC-123' -> 'ABC' (a Jira issue key always starts with its project key)."""
    if not issue_key:
        return None
    m = re.match(r"^([A-Za-z][A-Za-z0-9_]*)-\d+$", issue_key.strip())
    return m[1] if m else None


# ---- approval ------------------------------------------------------------------------------------

#: Tempo's timesheet-approval statuses (Server and Cloud spellings) and the canonical words.
TEMPO_APPROVAL = {
    "approved": "approved",
    "rejected": "rejected",
    "open": "submitted",
    "ready_to_submit": "submitted",
    "waiting_for_approval": "submitted",
    "in_review": "submitted",
    "submitted": "submitted",
}


def map_approval(raw: str | None, table: dict[str, str]) -> str | None:
    """Map a tool's approval word; blank -> None; unknown -> ValueError."""
    if raw is None or not str(raw).strip():
        return None
    key = re.sub(r"[\s\-]+", "_", str(raw).strip().lower())
    if key not in table:
        raise ValueError(f"unknown approval status (expected one of {', '.join(sorted(set(table)))})")
    return table[key]


# ---- options -------------------------------------------------------------------------------------


def as_date_option(value, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"option {name}={value!r} is not an ISO date (YYYY-MM-DD)") from None


# =====================================================================================================
# The preset machinery
# =====================================================================================================


@dataclass(frozen=True)
class Preset:
    """What one tool's CSV looks like.  ``columns`` maps a role to the header names it may have."""

    name: str
    label: str
    columns: dict[str, tuple[str, ...]]
    signature: tuple[str, ...]            # roles whose columns must all be present to detect the format
    required: tuple[str, ...]             # roles without which the file cannot be read
    day_first_default: bool
    excluded: tuple[str, ...] = ()        # header names whose presence means "not this format"

    def has_signature(self, names: list[str]) -> bool:
        present = {norm(n) for n in names}
        if any(norm(x) in present for x in self.excluded):
            return False
        return all(any(norm(alias) in present for alias in self.columns[role]) for role in self.signature)


class Ctx:
    """What a row converter needs: the table, the resolved header of each role, options, the file."""

    def __init__(self, table: Table, preset: Preset, options: dict):
        self.table = table
        self.preset = preset
        self.options = options
        self.file = table.path.name
        self.col = {role: table.find(aliases) for role, aliases in preset.columns.items()}
        self.day_first: bool | None = None
        self.seen_ids: Counter = Counter()
        self.fallback_person: list[int] = []   # rows whose person_id had to fall back (warned once)
        self.fallback_project: list[int] = []  # rows whose project_code had to fall back (warned once)

    def get(self, cells: list[str], role: str) -> str:
        return self.table.cell(cells, self.col.get(role))

    def date(self, cells, role, problems: RowProblems) -> date | None:
        raw = self.get(cells, role)
        try:
            return parse_date(raw, self.options.get("date_format"), day_first=self.day_first, rules=EXPORT_DATES)
        except ValueError as exc:
            problems.add(self.col[role], raw, str(exc))
            return None

    def hours(self, cells, role, problems: RowProblems) -> float | None:
        raw = self.get(cells, role)
        try:
            return parse_hours(raw)
        except ValueError as exc:
            problems.add(self.col[role], raw, str(exc))
            return None

    def content_id(self, cells: list[str]) -> str:
        """A deterministic entry id for exports that carry none (see the module docstring)."""
        digest = hashlib.sha1("\x1f".join(c.strip() for c in cells).encode("utf-8")).hexdigest()[:12]
        self.seen_ids[digest] += 1
        return f"{self.preset.name}:{digest}.{self.seen_ids[digest]}"


RowFn = Callable[[Ctx, int, list[str], RowProblems], dict]

COMMON_OPTIONS = ("project_code", "day_first", "date_format", "ignore_approval")

#: The canonical columns every timesheet row must have (contract: required).
REQUIRED_FIELDS = ("work_date", "person_id", "project_code", "hours")


def read_preset(path: Path | str, preset: Preset, row_fn: RowFn, options: dict,
                known_options: Iterable[str] = COMMON_OPTIONS,
                finish: Callable[[Ctx, SourceResult, list[dict]], list[dict]] | None = None) -> SourceResult:
    """Read one preset CSV: header check, per-file date order, row conversion, quarantine."""
    check_options(options, known_options, f"read_{preset.name.replace('-', '_')}")
    result, text = load_export(path, preset.name)
    res = result.entity(ENTITY)
    table = export_table(result.path, text, res)
    file = result.path.name
    if not table.headers:
        result.errors.append(f"{file}: empty file, no header row")
        return result
    ctx = Ctx(table, preset, options)
    used = {norm(c) for c in ctx.col.values() if c}
    dupes = [d for d in table.repeated() if norm(d) in used]
    if dupes:
        result.warnings.append(f"{file}: column(s) {', '.join(map(repr, dupes))} appear more than once; "
                               "the first is used")
    missing = [role for role in preset.required if ctx.col[role] is None]
    if missing:
        names = "; ".join(" or ".join(repr(a) for a in preset.columns[r][:3]) for r in missing)
        msg = f"required column(s) missing: {names} (not a readable {preset.label})"
        result.errors.append(f"{file}: {msg}")
        for row, cells in table.rows:
            res.quarantine.append(QuarantineRecord(row, ", ".join(preset.columns[r][0] for r in missing), None,
                                                   f"{where(file, row, None)}: not loaded, {msg}",
                                                   table.record_dict(cells)))
        return result
    if ctx.col.get("date"):
        ctx.day_first, warns = decide_day_first(
            (table.cell(c, ctx.col["date"]) for _, c in table.rows), preset.day_first_default,
            file, ctx.col["date"], options.get("day_first"))
        result.warnings += warns
    rows: list[dict] = []
    for row, cells in table.rows:
        problems = RowProblems(file, row, per_cell=True)
        if len(cells) != len(table.headers):
            problems.add("", None, f"row has {len(cells)} cells but the header has {len(table.headers)}")
            res.quarantine.append(problems.quarantine(table.record_dict(cells)))
            continue
        parsed = row_fn(ctx, row, cells, problems)
        if parsed.get("project_code") is None and options.get("project_code"):
            parsed["project_code"] = str(options["project_code"])
        for name in REQUIRED_FIELDS:
            col = parsed.get(f"_col_{name}") or name
            if parsed.get(name) is None and not any(p[0] == col for p in problems.items):
                problems.add(col, "", f"required value is blank ({name})")
        if problems:
            res.quarantine.append(problems.quarantine(table.record_dict(cells)))
            continue
        out = {k: v for k, v in parsed.items() if not k.startswith("_col_")}
        out["_source_row"] = row
        rows.append(out)
    if finish is not None:
        rows = finish(ctx, result, rows)
    res.rows.extend(rows)
    return result


def _approval(ctx: Ctx, cells, problems, table: dict[str, str]) -> str | None:
    if ctx.options.get("ignore_approval") or ctx.col.get("approval") is None:
        return None
    raw = ctx.get(cells, "approval")
    try:
        return map_approval(raw, table)
    except ValueError as exc:
        problems.add(ctx.col["approval"], raw, str(exc))
        return None


def _entry_id(ctx: Ctx, cells) -> str:
    return text_or_none(ctx.get(cells, "entry_id")) or ctx.content_id(cells)


def _fill(parsed: dict, ctx: Ctx, **cols: str) -> dict:
    """Record which file column fed each required field (for the 'required value is blank' message)."""
    for field_name, role in cols.items():
        parsed[f"_col_{field_name}"] = ctx.col.get(role) or " or ".join(ctx.preset.columns.get(role, (role,)))
    return parsed


# =====================================================================================================
# Tempo Timesheets (Server/DC) worklog export
# =====================================================================================================

TEMPO = Preset(
    name="tempo-csv",
    label="Tempo worklog export",
    columns={
        # English header as exported by Tempo Server; Russian as exported for a ru_RU user.
        "issue": ("Issue Key", "Ключ запроса"),
        "hours": ("Hours", "Часов"),
        "date": ("Work date", "Дата работы"),
        "user": ("Username", "Имя пользователя"),
        "name": ("Full name", "Полное имя"),
        "project": ("Project Key", "Ключ проекта"),
        # not in the standard 29 columns: appended like instance fields (our demo writer does)
        "entry_id": ("Worklog Id", "Tempo Worklog Id", "Jira Worklog Id"),
        "approval": ("Approval Status", "Timesheet Approval Status", "Timesheet Status"),
        "role": ("Role", "Team Role"),
    },
    signature=("issue", "hours", "date"),
    required=("hours", "date", "user"),
    day_first_default=True,
    excluded=("Summary", "Issue id"),
)


def _tempo_row(ctx: Ctx, row: int, cells: list[str], problems: RowProblems) -> dict:
    issue = text_or_none(ctx.get(cells, "issue"))
    return _fill({
        "work_date": ctx.date(cells, "date", problems),
        "person_id": text_or_none(ctx.get(cells, "user")),
        "person_name": text_or_none(ctx.get(cells, "name")),
        "project_code": text_or_none(ctx.get(cells, "project")) or key_prefix(issue),
        "task_code": issue,
        "hours": ctx.hours(cells, "hours", problems),
        "role": text_or_none(ctx.get(cells, "role")),
        "approval_status": _approval(ctx, cells, problems, TEMPO_APPROVAL),
        "entry_id": _entry_id(ctx, cells),
    }, ctx, work_date="date", person_id="user", project_code="project", hours="hours")


def detect_tempo_csv(path: Path, head: bytes) -> bool:
    return TEMPO.has_signature(header_names(head))


def read_tempo_csv(path: Path | str, **options) -> SourceResult:
    """Tempo worklog export -> timesheets.  Options: project_code, day_first, date_format, ignore_approval."""
    return read_preset(path, TEMPO, _tempo_row, options)


# =====================================================================================================
# Harvest detailed time report
# =====================================================================================================

HARVEST = Preset(
    name="harvest-csv",
    label="Harvest detailed time report",
    columns={
        "date": ("Date",),
        "client": ("Client",),
        "project": ("Project",),
        "project_code": ("Project Code",),
        "task": ("Task",),
        "hours": ("Hours",),
        "first": ("First Name",),
        "last": ("Last Name",),
        "employee_id": ("Employee Id", "User Id"),
        "roles": ("Roles", "Role"),
        "approval": ("Approved?", "Approved"),
        "entry_id": ("Entry Id", "Time Entry Id", "Id"),
    },
    signature=("date", "project", "task", "hours", "first", "last"),
    required=("date", "project", "hours", "first"),
    day_first_default=False,
)

HARVEST_APPROVAL = {"yes": "approved", "y": "approved", "true": "approved",
                    "no": "submitted", "n": "submitted", "false": "submitted"}


def _harvest_row(ctx: Ctx, row: int, cells: list[str], problems: RowProblems) -> dict:
    name = " ".join(p for p in (ctx.get(cells, "first").strip(), ctx.get(cells, "last").strip()) if p) or None
    emp = text_or_none(ctx.get(cells, "employee_id"))
    code = text_or_none(ctx.get(cells, "project_code"))
    if code is None and text_or_none(ctx.get(cells, "project")):
        ctx.fallback_project.append(row)
        code = text_or_none(ctx.get(cells, "project"))
    if emp is None and name:
        ctx.fallback_person.append(row)
    parsed = {
        "work_date": ctx.date(cells, "date", problems),
        "person_id": emp or name,
        "person_name": name,
        "project_code": code,
        "task_code": text_or_none(ctx.get(cells, "task")),
        "hours": ctx.hours(cells, "hours", problems),
        "role": text_or_none(ctx.get(cells, "roles")),
        "approval_status": _approval(ctx, cells, problems, HARVEST_APPROVAL),
        "entry_id": _entry_id(ctx, cells),
    }
    return _fill(parsed, ctx, work_date="date", person_id="first", project_code="project_code", hours="hours")


def _harvest_finish(ctx: Ctx, result: SourceResult, rows: list[dict]) -> list[dict]:
    file = ctx.file
    if ctx.fallback_person:
        result.warnings.append(
            f"{file}: no 'Employee Id' in {row_list(ctx.fallback_person)}; person_id is the full name "
            "(First Name + Last Name). Add Employee Id to the export if names are not unique.")
    if ctx.fallback_project:
        result.warnings.append(
            f"{file}: column 'Project Code' blank or absent in {row_list(ctx.fallback_project)}; "
            "project_code is the project name (column 'Project').")
    if rows and ctx.col.get("approval") and not ctx.options.get("ignore_approval") \
            and not any(r["approval_status"] == "approved" for r in rows):
        result.warnings.append(
            f"{file}, column {ctx.col['approval']!r}: no row is approved, so none of these hours will be costed. "
            "If this Harvest account does not use approvals, read it with ignore_approval=True.")
    return rows


def detect_harvest_csv(path: Path, head: bytes) -> bool:
    return HARVEST.has_signature(header_names(head))


def read_harvest_csv(path: Path | str, **options) -> SourceResult:
    """Harvest detailed time report -> timesheets.  Options: project_code, day_first, date_format,
    ignore_approval."""
    return read_preset(path, HARVEST, _harvest_row, options, finish=_harvest_finish)


# =====================================================================================================
# Clockify detailed report and Toggl Track detailed report
# =====================================================================================================

CLOCKIFY = Preset(
    name="clockify-csv",
    label="Clockify detailed report",
    columns={
        "project": ("Project",),
        "client": ("Client",),
        "task": ("Task",),
        "user": ("User",),
        "email": ("Email",),
        "date": ("Start Date",),
        "decimal": ("Duration (decimal)",),
        "clock": ("Duration (h)",),
        "entry_id": ("Id", "Entry Id", "Time Entry Id"),
    },
    signature=("project", "user", "date", "clock"),
    required=("project", "date", "user"),
    day_first_default=False,
)

TOGGL = Preset(
    name="toggl-csv",
    label="Toggl Track detailed report",
    columns={
        "project": ("Project",),
        "client": ("Client",),
        "task": ("Task",),
        "user": ("User", "Member"),
        "email": ("Email",),
        "date": ("Start date",),
        "clock": ("Duration",),
        "entry_id": ("Id", "Entry Id", "Time Entry Id"),
    },
    signature=("project", "user", "email", "date", "clock"),
    required=("project", "date", "user", "clock"),
    day_first_default=False,
    excluded=("Duration (h)", "Duration (decimal)"),
)


def _tracker_row(ctx: Ctx, row: int, cells: list[str], problems: RowProblems) -> dict:
    user = text_or_none(ctx.get(cells, "user"))
    if ctx.col.get("decimal") and ctx.get(cells, "decimal").strip():
        hours, hours_role = ctx.hours(cells, "decimal", problems), "decimal"
    else:
        hours, hours_role = ctx.hours(cells, "clock", problems), "clock"
    return _fill({
        "work_date": ctx.date(cells, "date", problems),
        "person_id": text_or_none(ctx.get(cells, "email")) or user,
        "person_name": user,
        "project_code": text_or_none(ctx.get(cells, "project")),
        "task_code": text_or_none(ctx.get(cells, "task")),
        "hours": hours,
        "role": None,
        "approval_status": None,
        "entry_id": _entry_id(ctx, cells),
    }, ctx, work_date="date", person_id="user", project_code="project", hours=hours_role)


def detect_clockify_csv(path: Path, head: bytes) -> bool:
    return CLOCKIFY.has_signature(header_names(head))


def read_clockify_csv(path: Path | str, **options) -> SourceResult:
    """Clockify detailed report -> timesheets.  Options: project_code, day_first, date_format."""
    return read_preset(path, CLOCKIFY, _tracker_row, options)


def detect_toggl_csv(path: Path, head: bytes) -> bool:
    return TOGGL.has_signature(header_names(head))


def read_toggl_csv(path: Path | str, **options) -> SourceResult:
    """Toggl Track detailed report -> timesheets.  Options: project_code, day_first, date_format."""
    return read_preset(path, TOGGL, _tracker_row, options)


# =====================================================================================================
# SAP CATS (CATSDB records)
# =====================================================================================================

SAP_CATS = Preset(
    name="sap-cats-csv",
    label="SAP CATS (CATSDB) extract",
    columns={
        "counter": ("COUNTER",),
        "person": ("PERNR",),
        "name": ("ENAME", "SNAME"),
        "date": ("WORKDATE",),
        "hours": ("CATSHOURS",),
        "unit": ("UNIT", "MEINH"),
        "status": ("STATUS",),
        "refcounter": ("REFCOUNTER",),
        "reversal": ("STOKZ",),
        "pspid": ("PSPID", "PS_PSPID"),
        "posid": ("POSID", "PS_POSID"),
        "rproj": ("RPROJ",),
        "network": ("RNPLNR",),
        "activity": ("VORNR",),
        "order": ("RAUFNR",),
        "activity_type": ("LSTAR",),
    },
    signature=("person", "date", "hours"),
    required=("person", "date", "hours", "status"),
    day_first_default=True,
)

CATS_STATUS = {"10": "submitted", "20": "submitted", "30": "approved", "40": "rejected"}
_CATS_HISTORY = {"50": "changed after approval", "60": "cancelled"}
_HOUR_UNITS = {"", "h", "hr", "hrs", "std", "hur", "hour", "hours"}
_MINUTE_UNITS = {"min", "mi", "minute", "minutes"}


def _cats_row(ctx: Ctx, row: int, cells: list[str], problems: RowProblems) -> dict:
    status_raw = ctx.get(cells, "status").strip()
    if status_raw not in CATS_STATUS and status_raw not in _CATS_HISTORY:
        problems.add(ctx.col["status"], ctx.get(cells, "status"),
                     "unknown CATS processing status (expected 10, 20, 30, 40, 50 or 60)")
    hours = ctx.hours(cells, "hours", problems)
    unit = ctx.get(cells, "unit").strip().lower()
    if hours is not None and unit not in _HOUR_UNITS:
        if unit in _MINUTE_UNITS:
            hours = hours / 60
        else:
            problems.add(ctx.col["unit"], ctx.get(cells, "unit"),
                         "unit is not hours or minutes; convert the time to hours before loading")
    pspid = text_or_none(ctx.get(cells, "pspid"))
    wbs = text_or_none(ctx.get(cells, "posid")) or text_or_none(ctx.get(cells, "rproj"))
    network = text_or_none(ctx.get(cells, "network"))
    activity = text_or_none(ctx.get(cells, "activity"))
    order = text_or_none(ctx.get(cells, "order"))
    netact = f"{network}/{activity}" if network and activity else network
    task = wbs or netact or order
    reversal = ctx.get(cells, "reversal").strip().upper() == "X"
    if reversal and hours is not None:
        hours = -abs(hours)
    return _fill({
        "work_date": ctx.date(cells, "date", problems),
        "person_id": text_or_none(ctx.get(cells, "person")),
        "person_name": text_or_none(ctx.get(cells, "name")),
        "project_code": pspid or wbs or network or order,
        "task_code": task,
        "hours": hours,
        "role": text_or_none(ctx.get(cells, "activity_type")),
        "approval_status": CATS_STATUS.get(status_raw),
        "entry_id": text_or_none(ctx.get(cells, "counter")) or ctx.content_id(cells),
        "_cats_status": status_raw,
        "_cats_ref": text_or_none(ctx.get(cells, "refcounter")),
        "_cats_reversal": reversal,
        "_col_project_code": "PSPID/POSID/RPROJ/RNPLNR/RAUFNR (receiver object)",
    }, ctx, work_date="date", person_id="person", hours="hours")


def _cats_finish(ctx: Ctx, result: SourceResult, rows: list[dict]) -> list[dict]:
    """Net out history: 50/60 copies, copies superseded by an approved record, reversal pairs."""
    file = ctx.file
    dropped: dict[tuple[str, str], list[int]] = defaultdict(list)
    drop: set[int] = set()
    # 1. reversal records (STOKZ = X) cancel the record with the same COUNTER
    originals = {r["entry_id"]: r for r in rows if not r["_cats_reversal"]}
    for r in rows:
        if r["_cats_reversal"]:
            orig = originals.get(r["entry_id"])
            if orig is not None and id(orig) not in drop:
                drop.update((id(orig), id(r)))
                dropped[("STOKZ", "reversal (X) and the record it reverses (same COUNTER) cancel out")] += [
                    orig["_source_row"], r["_source_row"]]
    # 2. superseded: the COUNTER of an approved record's REFCOUNTER
    superseded = {r["_cats_ref"] for r in rows if r["_cats_ref"] and r["_cats_status"] == "30"
                  and id(r) not in drop}
    for r in rows:
        if id(r) in drop:
            continue
        if r["_cats_status"] in _CATS_HISTORY:
            drop.add(id(r))
            dropped[("STATUS", f"status {r['_cats_status']} ({_CATS_HISTORY[r['_cats_status']]})")].append(
                r["_source_row"])
        elif r["entry_id"] in superseded:
            drop.add(id(r))
            dropped[("REFCOUNTER", "superseded: an approved record's REFCOUNTER names this COUNTER")].append(
                r["_source_row"])
    for (column, reason), at in dropped.items():
        result.warnings.append(f"{file}, column {column!r}: {row_list(at)} not loaded: {reason}; "
                               "only the current version of each CATS record counts")
    kept = []
    for r in rows:
        if id(r) in drop:
            continue
        for k in ("_cats_status", "_cats_ref", "_cats_reversal"):
            r.pop(k)
        kept.append(r)
    return kept


def detect_sap_cats_csv(path: Path, head: bytes) -> bool:
    return SAP_CATS.has_signature(header_names(head))


def read_sap_cats_csv(path: Path | str, **options) -> SourceResult:
    """SAP CATS records -> timesheets (current versions only).  Options: project_code, day_first,
    date_format."""
    return read_preset(path, SAP_CATS, _cats_row, options,
                       known_options=("project_code", "day_first", "date_format"), finish=_cats_finish)


FORMATS: dict[str, tuple[Callable[[Path, bytes], bool], Callable[..., SourceResult]]] = {
    "tempo-csv": (detect_tempo_csv, read_tempo_csv),
    "harvest-csv": (detect_harvest_csv, read_harvest_csv),
    "clockify-csv": (detect_clockify_csv, read_clockify_csv),
    "toggl-csv": (detect_toggl_csv, read_toggl_csv),
    "sap-cats-csv": (detect_sap_cats_csv, read_sap_cats_csv),
}
