"""Write canonical timesheet rows as Tempo and Harvest exports, in those tools' real shapes.

Each writer is the mirror of its reader in :mod:`orchestration.sources.timesheets`: what is written
reads back to the same canonical values (the round-trip tests pin this).  Where a tool's standard
export has no column for a canonical field, the writer appends one, the way real exports append
instance columns after the standard ones, and says so below:

* ``write_tempo_csv``: the 29 standard columns of Tempo's "Export to Excel" worklog report, then
  ``Worklog Id`` (entry_id), ``Approval Status`` (Tempo's words: APPROVED / WAITING_FOR_APPROVAL /
  REJECTED, blank for NULL) and ``Role``.  ``Username`` carries person_id, ``Full name``
  person_name, ``Project Key`` project_code, ``Issue Key`` task_code.  ``Work date`` is written as
  Tempo does, without zero padding and with a time (``2026-3-2 09:00``).
* ``write_harvest_csv``: the Harvest detailed time report columns, then ``Employee Id`` (person_id;
  some accounts export it) and ``Entry Id`` (entry_id).  ``First Name``/``Last Name`` carry
  person_name (split at the first space), ``Project Code`` project_code, ``Task`` task_code,
  ``Roles`` role, ``Approved?`` the approval: Yes = approved, No = submitted, blank = NULL.  Harvest
  has no rejected state at rest (a rejected timesheet returns to unsubmitted), so *rejected is written
  "No" and reads back as submitted* — still not counted.  ``Hours Rounded`` is Harvest's billing
  rounding (up to the quarter hour): the reader ignores it.

Rows are dicts keyed by canonical column names; values may be parsed (date, float, Decimal) or text.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

__all__ = ["HARVEST_COLUMNS", "TEMPO_COLUMNS", "write_harvest_csv", "write_tempo_csv"]

TEMPO_COLUMNS = [
    "Issue Key", "Issue summary", "Hours", "Work date", "Username", "Full name", "Period", "Account Key",
    "Account Name", "Account Lead", "Account Category", "Account Customer", "Activity Name", "Component",
    "All Components", "Version Name", "Issue Type", "Issue Status", "Project Key", "Project Name", "Epic",
    "Epic Link", "Work Description", "Parent Key", "Reporter", "External Hours", "Billed Hours",
    "Issue Original Estimate", "Issue Remaining Estimate",
    # appended instance columns
    "Worklog Id", "Approval Status", "Role",
]

HARVEST_COLUMNS = [
    "Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?",
    "Invoiced?", "Approved?", "First Name", "Last Name", "Roles", "Employee?", "Billable Rate",
    "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL",
    # present on some accounts / appended
    "Employee Id", "Entry Id",
]

_TEMPO_APPROVAL = {"approved": "APPROVED", "submitted": "WAITING_FOR_APPROVAL", "rejected": "REJECTED"}
_HARVEST_APPROVAL = {"approved": "Yes", "submitted": "No", "rejected": "No"}


def _date(value) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _num(value) -> str:
    """A float as text that parses back to the same float ('8', '7.5', '0.3333333333333333')."""
    f = float(value if not isinstance(value, Decimal) else float(value))
    return str(int(f)) if f.is_integer() else repr(f)


def _text(value) -> str:
    return "" if value is None else str(value)


def _approval(value, table: Mapping[str, str]) -> str:
    if value is None or str(value).strip() == "":
        return ""
    key = str(value).strip().lower()
    if key not in table:
        raise ValueError(f"approval_status {value!r} is not approved, submitted or rejected")
    return table[key]


def write_tempo_csv(path: Path | str, rows: Iterable[Mapping]) -> Path:
    """Write canonical timesheet rows as a Tempo worklog export (CSV, UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(TEMPO_COLUMNS)
        for r in rows:
            d = _date(r["work_date"])
            hours = _num(r["hours"])
            rec = dict.fromkeys(TEMPO_COLUMNS, "")
            rec.update({
                "Issue Key": _text(r.get("task_code")),
                "Issue summary": f"Work on {_text(r.get('task_code')) or _text(r.get('project_code'))}",
                "Hours": hours,
                "Work date": f"{d.year}-{d.month}-{d.day} 09:00",
                "Username": _text(r["person_id"]),
                "Full name": _text(r.get("person_name")),
                "Period": f"{d.year}-{d.month:02d}",
                "Issue Type": "Task",
                "Project Key": _text(r["project_code"]),
                "Project Name": _text(r["project_code"]),
                "Billed Hours": hours,
                "Worklog Id": _text(r.get("entry_id")),
                "Approval Status": _approval(r.get("approval_status"), _TEMPO_APPROVAL),
                "Role": _text(r.get("role")),
            })
            w.writerow([rec[c] for c in TEMPO_COLUMNS])
    return path


def write_harvest_csv(path: Path | str, rows: Iterable[Mapping]) -> Path:
    """Write canonical timesheet rows as a Harvest detailed time report (CSV, UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HARVEST_COLUMNS)
        for r in rows:
            name = _text(r.get("person_name")).strip()
            first, _, last = name.partition(" ")
            hours = float(r["hours"])
            rounded = math.ceil(hours * 4) / 4 if hours >= 0 else -math.ceil(-hours * 4) / 4
            rec = dict.fromkeys(HARVEST_COLUMNS, "")
            rec.update({
                "Date": _date(r["work_date"]).isoformat(),
                "Client": "Demo Client",
                "Project": _text(r["project_code"]),
                "Project Code": _text(r["project_code"]),
                "Task": _text(r.get("task_code")),
                "Hours": _num(hours),
                "Hours Rounded": _num(rounded),
                "Billable?": "Yes",
                "Invoiced?": "No",
                "Approved?": _approval(r.get("approval_status"), _HARVEST_APPROVAL),
                "First Name": first,
                "Last Name": last.strip(),
                "Roles": _text(r.get("role")),
                "Employee?": "Yes",
                "Employee Id": _text(r["person_id"]),
                "Entry Id": _text(r.get("entry_id")),
            })
            w.writerow([rec[c] for c in HARVEST_COLUMNS])
    return path
