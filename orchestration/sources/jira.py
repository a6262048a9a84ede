"""Readers of Jira and Tempo exports: issues -> ``work_items``, worklogs -> ``timesheets``
(docs/input-formats.md §1.4 and §2).

Formats (``FORMATS`` maps each name to its ``(detect, read)`` pair):

===================== =============================================================================
``jira-csv``           Jira issue CSV export (Filters -> Export -> CSV, all fields or current fields)
``jira-issues-json``   Jira REST issue search (``/rest/api/N/search``, ``/rest/agile/1.0/sprint/{id}/issue``)
``tempo-worklog-json`` Tempo worklogs: Server REST v3 ``/rest/tempo-timesheets/3/worklogs`` (a list),
                       Cloud ``/worklogs`` (``{"results": [...]}``, v3 or v4)
``jira-worklog-json``  Jira REST worklogs: ``/rest/api/N/issue/{key}/worklog`` (``{"worklogs": [...]}``)
                       or ``/worklog/list`` (a list)
===================== =============================================================================

Messages name the file, the row (CSV: 1-based record number, header = row 1, as a spreadsheet shows
it; JSON: 1-based position of the record in its list) and the column or field.  A missing required
column is a file error (``SourceResult.errors``) and quarantines every row.

Traps of the **issue CSV** (read before changing anything):

* **Repeated column names.**  One column per value: ``Sprint,Sprint,Sprint``, ``Labels,Labels``,
  ``Fix Version/s`` x n, ``Component/s`` x n, ``Comment`` x n …  ``csv.DictReader`` silently keeps the
  last one, so rows are read as lists.  ``sprint`` is the *last* non-blank Sprint value (Jira lists
  the sprints in the order the issue entered them: the last is the current or final one); every
  value is kept in ``row["_sprints"]`` (a tuple, not a contract column).  ``release`` is the last
  non-blank ``Fix Version/s`` (Cloud: ``Fix versions``), all kept in ``row["_releases"]``.
* **Seconds.**  ``Original Estimate`` (Cloud: ``Original estimate``) and ``Time Spent`` are seconds
  (14400 = 4 h) -> ``original_estimate_hours`` / ``time_spent_hours``.  The ``Σ Original Estimate``
  / ``Σ Time Spent`` columns are aggregates including sub-tasks and are *not* used (sub-task rows
  carry their own time; adding the Σ would count it twice).  A Jira-style duration (``1w 2d 4h 30m``)
  is also read, with ``hours_per_day`` (8) and ``days_per_week`` (5), and warned about.
* **Dates** are in the exporting user's format, default ``dd/MMM/yy h:mm a`` (``25/Feb/26 10:17 PM``)
  or 24 h (``30/Jul/18 23:33``).  Month abbreviations are read in English, German, French, Spanish,
  Portuguese, Italian and Dutch (see ``toolkit.MONTHS``); ISO and ``dd.MM.yyyy`` also work;
  ``date_format=`` (a strptime pattern) forces one.  Two-digit years are 20yy below 70, else 19yy.
  Only the date part is kept (as written: no time-zone shift).
* **Custom fields** have instance-specific header names.  ``story_points_field`` (default
  ``Custom field (Story Points)``, then ``Custom field (Story point estimate)``, the Cloud
  team-managed name) and ``epic_field`` (default ``Custom field (Epic Link)``, then ``Parent key``,
  then ``Parent``: company-managed projects before 2024 used Epic Link, newer exports the parent)
  name them; where both default story-point columns exist (company- and team-managed projects in one
  export) each row takes the first non-blank.  Epic resolution: a numeric value is an issue *id* and
  is turned into the key of the issue with that ``Issue id`` when it is in the file.  An issue with no
  epic of its own looks at its parent (``Parent id`` / ``Parent key`` / ``Parent``): a parent in the
  file gives itself if it is an Epic, else its own epic (so sub-tasks inherit their story's epic); a
  parent not in the file is the epic, except for a sub-task (its parent is a story: no epic, warned).
  Epics get no epic (their parent is an initiative).
* **Status category**: the ``Status Category`` column when present (To Do / In Progress / Done,
  or the REST keys new / indeterminate / done), else ``Status`` mapped by ``status_map`` (option,
  status name -> todo/in_progress/done) then by a table of common workflow names
  (``DEFAULT_STATUS_MAP``).  An unknown status leaves the column NULL with a warning (the row is
  kept: a custom status must not cost the item).
* **project_code** is the ``Project key`` column, else the issue key's prefix (``ABC-12`` -> ``ABC``),
  else the ``project_code`` option.  Mapping Jira keys to the PMO's project codes is the caller's job.
* **status_date** is the ``status_date`` option (the snapshot date), else the newest ``Updated``
  date in the file, with a warning.  Without either, the file cannot be read.
* Multi-line descriptions inside quotes are fine (the csv module handles them); the row number is
  the record number, not the physical line.

Traps of the **worklog JSON**:

* ``timeSpentSeconds`` -> hours.  ``work_date`` is the date part of ``started`` (Jira),
  ``dateStarted`` (Tempo Server) or ``startDate`` (Tempo Cloud) *as written*: ``started`` carries
  the server's offset (``2024-01-15T09:00:00.000+0000``), so a late-evening worklog of a user far
  from UTC may fall on the neighbouring day; nothing here shifts it.
* ``person_id`` is ``author.accountId`` (Cloud), else ``author.name`` (Server username, as Tempo's CSV
  export shows it), else ``author.key``; ``person_name`` is ``author.displayName`` only when present.
* ``task_code`` is the issue key: Tempo ``issue.key``; Jira's worklog page has only ``issueId``, so
  the key comes from the ``issue_key`` option, a wrapping ``issueKey``/``key`` field, or a file
  named after the issue (``ABC-12.json``), else the id is used with a warning.  Tempo Cloud v4 has
  ``issue.id`` only: same warning.  ``project_code`` is the key's prefix, else the ``project_code``
  option; a row with neither is quarantined.
* ``approval_status``: Tempo's status when the record carries one (``approvalStatus``,
  ``timesheetApprovalStatus`` or ``approval.status``; mapped as in ``timesheets.TEMPO_APPROVAL``),
  else NULL (Jira has no approval; NULL is counted).  ``entry_id`` is ``tempoWorklogId`` / ``id``.
* Deleted worklogs (``/worklog/deleted``) are not read: export the current worklogs instead.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from orchestration.sources.base import SourceResult
from orchestration.sources.toolkit import (
    EXPORT_DATES,
    QuarantineRecord,
    RowProblems,
    Table,
    check_options,
    decide_day_first,
    parse_date,
    where,
)
from orchestration.sources.timesheets import (
    TEMPO_APPROVAL,
    as_date_option,
    export_table,
    head_text,
    header_names,
    key_prefix,
    load_export,
    map_approval,
    norm,
    parse_number,
    row_list,
    text_or_none,
)

__all__ = [
    "DEFAULT_STATUS_MAP",
    "FORMATS",
    "detect_jira_csv",
    "detect_jira_issues_json",
    "detect_jira_worklog_json",
    "detect_tempo_worklog_json",
    "read_jira_csv",
    "read_jira_issues_json",
    "read_jira_worklog_json",
    "read_tempo_worklog_json",
]

WORK_ITEMS = "work_items"
TIMESHEETS = "timesheets"

STORY_POINTS_FIELDS = ("Custom field (Story Points)", "Custom field (Story point estimate)")
EPIC_FIELDS = ("Custom field (Epic Link)", "Parent key", "Parent")
PARENT_FIELDS = ("Parent id", "Parent key", "Parent")

#: Status Category values (CSV names and REST keys) -> canonical status_category.
STATUS_CATEGORY = {
    "to do": "todo", "todo": "todo", "new": "todo",
    "in progress": "in_progress", "indeterminate": "in_progress",
    "done": "done", "complete": "done",
}

#: Common workflow status names -> status_category (lower case).  ``status_map=`` extends/overrides.
DEFAULT_STATUS_MAP = {
    **{s: "todo" for s in ("to do", "todo", "open", "new", "backlog", "reopened", "selected for development",
                           "ready", "ready for development", "planned", "triage")},
    **{s: "in_progress" for s in ("in progress", "in development", "in review", "code review", "review",
                                  "in testing", "testing", "qa", "in qa", "blocked", "ready for review",
                                  "ready for qa", "ready for test")},
    **{s: "done" for s in ("done", "closed", "resolved", "complete", "completed", "released", "won't do",
                           "cancelled", "canceled", "rejected")},
}

JIRA_CSV_OPTIONS = ("status_date", "story_points_field", "epic_field", "status_map", "project_code",
                    "day_first", "date_format", "hours_per_day", "days_per_week", "severity_field", "found_in_field")

#: Defect fields (docs/quality-kpi.md): Jira has no standard severity or found-in field, so the common custom
#: field names are looked up unless ``severity_field`` / ``found_in_field`` name the instance's own.
SEVERITY_FIELDS = ("Custom field (Severity)", "Severity")
FOUND_IN_FIELDS = ("Custom field (Found in)", "Custom field (Found In Phase)", "Found in")
#: Severity values (lower case) -> contract severity (orchestration/contract.py DEFECT_SEVERITIES).
SEVERITY_MAP = {
    **{s: "critical" for s in ("critical", "blocker", "s1", "sev1", "sev 1", "1 - critical")},
    **{s: "major" for s in ("major", "high", "s2", "sev2", "sev 2", "2 - major")},
    **{s: "minor" for s in ("minor", "medium", "moderate", "s3", "sev3", "sev 3", "3 - minor")},
    **{s: "trivial" for s in ("trivial", "low", "cosmetic", "s4", "sev4", "sev 4", "4 - trivial")},
}
#: Found-in values (lower case) -> contract found_in; ``production`` marks an escaped defect.
FOUND_IN_MAP = {
    **{s: "development" for s in ("development", "dev", "build", "unit test", "code review")},
    **{s: "test" for s in ("test", "testing", "qa", "sit", "system test", "integration test", "system")},
    **{s: "uat" for s in ("uat", "acceptance", "user acceptance", "user acceptance test", "acceptance test")},
    **{s: "production" for s in ("production", "prod", "live", "post-release", "post release", "field")},
}


# =====================================================================================================
# Jira issue CSV -> work_items
# =====================================================================================================


_SUBTASK_WORDS = ("sub-task", "subtask", "sub task", "unteraufgabe", "sous-tâche", "subtarea", "subtarefa",
                  "sottotask", "подзадача")


def is_subtask(issue_type: str | None) -> bool:
    """Jira's sub-task issue types (English and the common translations)."""
    low = (issue_type or "").strip().lower()
    return any(word in low for word in _SUBTASK_WORDS)


def detect_jira_csv(path: Path, head: bytes) -> bool:
    names = set(header_names(head))
    return ("issue key" in names and bool(names & {"summary", "issue id", "status"})
            and "work date" not in names)


_DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)w)?\s*(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*"
                          r"(?:(\d+(?:\.\d+)?)m)?$")


def seconds_to_hours(raw, hours_per_day: float = 8, days_per_week: float = 5) -> tuple[float | None, bool]:
    """Jira time tracking cell -> (hours, was_pretty).  Seconds normally; ``1w 2d 4h 30m`` accepted."""
    if raw is None:
        return None, False
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw / 3600, False
    text = str(raw).strip()
    if not text:
        return None, False
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return float(text) / 3600, False
    m = _DURATION_RE.match(text)
    if m and any(m.groups()):
        w, d, h, mi = (float(g) if g else 0.0 for g in m.groups())
        return (w * days_per_week + d) * hours_per_day + h + mi / 60, True
    raise ValueError("not a time in seconds")


class _JiraCtx:
    def __init__(self, table: Table, options: dict, result: SourceResult):
        self.table = table
        self.options = options
        self.result = result
        self.file = table.path.name
        find = table.find
        self.c_key = find(["Issue key"])
        self.c_id = find(["Issue id"])
        self.c_type = find(["Issue Type"])
        self.c_status = find(["Status"])
        self.c_category = find(["Status Category"])
        self.c_project = find(["Project key"])
        self.c_resolved = find(["Resolved"])
        self.c_updated = find(["Updated"])
        self.c_sprint = find(["Sprint"])
        self.c_fix = find(["Fix Version/s", "Fix versions", "Fix Version"])
        self.c_orig = find(["Original Estimate"])
        self.c_spent = find(["Time Spent"])
        self.c_created = find(["Created"])
        self.c_priority = find(["Priority"])
        self.c_severity = next(iter(self._option_columns("severity_field", SEVERITY_FIELDS)), None)
        self.c_found_in = next(iter(self._option_columns("found_in_field", FOUND_IN_FIELDS)), None)
        # several default columns may coexist (company- and team-managed projects in one export):
        # the first non-blank of them is the row's value
        self.c_points = self._option_columns("story_points_field", STORY_POINTS_FIELDS)
        self.c_epic = next(iter(self._option_columns("epic_field", EPIC_FIELDS)), None)
        self.c_parent = find(PARENT_FIELDS)
        self.status_map = {**DEFAULT_STATUS_MAP,
                           **{norm(k): str(v).strip().lower() for k, v in (options.get("status_map") or {}).items()}}
        bad = {k: v for k, v in self.status_map.items() if v not in ("todo", "in_progress", "done")}
        if bad:
            result.warnings.append(f"{self.file}: status_map entries ignored (a category must be todo, "
                                   f"in_progress or done): {bad}")
            for k in bad:
                self.status_map.pop(k)

    def _option_columns(self, option: str, defaults: tuple[str, ...]) -> list[str]:
        wanted = self.options.get(option)
        if wanted:
            col = self.table.find([wanted])
            if col is None:
                self.result.warnings.append(f"{self.file}: column {wanted!r} (option {option}) is not in the file; "
                                            f"{option.replace('_field', '')} is left blank")
            return [col] if col else []
        return [c for c in (self.table.find([d]) for d in defaults) if c]


def _csv_date(table: Table, cells: list[str], col: str | None, problems: RowProblems,
              date_opts: dict) -> date | None:
    if col is None:
        return None
    try:
        return parse_date(table.cell(cells, col), rules=EXPORT_DATES, **date_opts)
    except ValueError as exc:
        problems.add(col, table.cell(cells, col), str(exc))
        return None


def _vocabulary(table: Table, cells: list[str], col: str | None, known: dict[str, str], row: int,
                unknown: dict[tuple[str, str], list[int]]) -> str | None:
    """A defect field's value through ``known`` (lower case); an unknown value is left blank and warned about
    (a custom value must not cost the item)."""
    if col is None:
        return None
    value = table.cell(cells, col).strip()
    if not value:
        return None
    mapped = known.get(value.lower())
    if mapped is None:
        unknown.setdefault((col, value), []).append(row)
    return mapped


def _csv_seconds(table: Table, cells: list[str], col: str | None, problems: RowProblems,
                 hpd: float, dpw: float) -> tuple[float | None, bool]:
    if col is None:
        return None, False
    try:
        return seconds_to_hours(table.cell(cells, col), hpd, dpw)
    except ValueError as exc:
        problems.add(col, table.cell(cells, col), str(exc))
        return None, False


def read_jira_csv(path: Path | str, **options) -> SourceResult:
    """Jira issue CSV -> work_items.

    Options: ``status_date`` (date or ISO text; default: newest Updated, warned), ``story_points_field``,
    ``epic_field`` (header names), ``status_map`` (status name -> todo/in_progress/done),
    ``project_code`` (used when neither Project key nor the issue key gives one), ``day_first``,
    ``date_format``, ``hours_per_day`` / ``days_per_week`` (only for ``1w 2d`` durations).
    """
    check_options(options, JIRA_CSV_OPTIONS, "read_jira_csv")
    result, text = load_export(path, "jira-csv", WORK_ITEMS)
    res = result.entity(WORK_ITEMS)
    table = export_table(result.path, text, res)
    file = table.path.name
    if not table.headers:
        result.errors.append(f"{file}: empty file, no header row")
        return result
    ctx = _JiraCtx(table, options, result)
    if ctx.c_key is None:
        msg = "required column 'Issue key' missing (not a readable Jira issue export)"
        result.errors.append(f"{file}: {msg}")
        for row, cells in table.rows:
            res.quarantine.append(QuarantineRecord(row, "Issue key", None, f"{where(file, row, None)}: not loaded, {msg}",
                                                   table.record_dict(cells)))
        return result

    date_opts = {"date_format": options.get("date_format")}
    if ctx.c_updated or ctx.c_resolved:
        values = [table.cell(c, col) for _, c in table.rows for col in (ctx.c_updated, ctx.c_resolved) if col]
        day_first, warns = decide_day_first(values, True, file, ctx.c_updated or ctx.c_resolved,
                                            options.get("day_first"))
        result.warnings += warns
        date_opts["day_first"] = day_first
    hpd = float(options.get("hours_per_day", 8))
    dpw = float(options.get("days_per_week", 5))

    # ---- first pass: parse each row ------------------------------------------------------------
    parsed_rows: list[tuple[dict, RowProblems, list[str]]] = []
    unknown_defect_values: dict[tuple[str, str], list[int]] = {}
    pretty_rows: list[int] = []
    updated: list[tuple[date, int]] = []
    for row, cells in table.rows:
        problems = RowProblems(file, row, per_cell=True)
        if len(cells) != len(table.headers):
            problems.add("", None, f"row has {len(cells)} cells but the header has {len(table.headers)}")
            res.quarantine.append(problems.quarantine(table.record_dict(cells)))
            continue
        key = text_or_none(table.cell(cells, ctx.c_key))
        points = None
        points_col = next((c for c in ctx.c_points if table.cell(cells, c).strip()), None)
        if points_col:
            try:
                points = parse_number(table.cell(cells, points_col))
            except ValueError as exc:
                problems.add(points_col, table.cell(cells, points_col), str(exc))
        upd = _csv_date(table, cells, ctx.c_updated, problems, date_opts)
        resolved = _csv_date(table, cells, ctx.c_resolved, problems, date_opts)
        created = _csv_date(table, cells, ctx.c_created, problems, date_opts)
        severity = _vocabulary(table, cells, ctx.c_severity, SEVERITY_MAP, row, unknown_defect_values)
        found_in = _vocabulary(table, cells, ctx.c_found_in, FOUND_IN_MAP, row, unknown_defect_values)
        original, pretty_o = _csv_seconds(table, cells, ctx.c_orig, problems, hpd, dpw)
        spent, pretty_s = _csv_seconds(table, cells, ctx.c_spent, problems, hpd, dpw)
        if pretty_o or pretty_s:
            pretty_rows.append(row)
        if upd is not None:
            updated.append((upd, row))
        sprints = tuple(v.strip() for v in table.cells(cells, ctx.c_sprint) if v.strip())
        releases = tuple(v.strip() for v in table.cells(cells, ctx.c_fix) if v.strip())
        item = {
            "status_date": None,
            "project_code": text_or_none(table.cell(cells, ctx.c_project)) or key_prefix(key)
            or text_or_none(options.get("project_code")),
            "item_key": key,
            "item_type": text_or_none(table.cell(cells, ctx.c_type)),
            "story_points": points,
            "status_category": None,
            "resolved_date": resolved,
            "sprint": sprints[-1] if sprints else None,
            "epic": None,
            "release": releases[-1] if releases else None,
            "original_estimate_hours": original,
            "time_spent_hours": spent,
            "created_date": created,
            "severity": severity,
            "priority": text_or_none(table.cell(cells, ctx.c_priority)) if ctx.c_priority else None,
            "found_in": found_in,
            "_source_row": row,
            "_sprints": sprints,
            "_releases": releases,
        }
        if key is None:
            problems.add(ctx.c_key, "", "required value is blank (item_key)")
        if item["project_code"] is None:
            problems.add(ctx.c_project or "Project key", "", "required value is blank (project_code): no Project "
                         "key, no key prefix and no project_code option")
        parsed_rows.append((item, problems, cells))

    for (col, value), rows in unknown_defect_values.items():
        result.warnings.append(f"{file}, column {col!r}: {row_list(rows)} hold {value!r}, not a known value; "
                               "left blank (docs/quality-kpi.md lists the values read)")
    if pretty_rows:
        result.warnings.append(
            f"{file}, columns {ctx.c_orig!r}/{ctx.c_spent!r}: {row_list(pretty_rows)} hold Jira durations "
            f"(like '1w 2d') instead of seconds; read with {hpd:g} h/day and {dpw:g} days/week")

    # ---- status date ----------------------------------------------------------------------------
    status_msg = ("status_date unknown: no status_date option and no readable 'Updated' column; "
                  "pass status_date=YYYY-MM-DD")
    try:
        status_date = as_date_option(options.get("status_date"), "status_date")
    except ValueError as exc:
        status_date, status_msg = None, str(exc)
    else:
        if status_date is None and updated:
            status_date, at = max(updated)
            result.warnings.append(
                f"{file}: no status_date option; status_date is the newest {ctx.c_updated!r} date, "
                f"{status_date.isoformat()} ({where(file, at, ctx.c_updated)}). "
                "Pass status_date= to pin the snapshot.")
    if status_date is None:
        result.errors.append(f"{file}: {status_msg}")

    # ---- second pass: status category, epic ---------------------------------------------------------
    by_key = {item["item_key"]: (item, cells) for item, _, cells in parsed_rows if item["item_key"]}
    by_id = {}
    if ctx.c_id:
        for item, _, cells in parsed_rows:
            iid = table.cell(cells, ctx.c_id).strip()
            if iid and item["item_key"]:
                by_id[iid] = item["item_key"]

    def ref(value: str) -> str | None:
        value = value.strip()
        if not value:
            return None
        return by_id.get(value, value)

    def is_epic(key: str) -> bool:
        item = by_key.get(key, (None,))[0]
        return bool(item and (item["item_type"] or "").strip().lower() == "epic")

    epic_from_parent = ctx.c_epic is not None and norm(ctx.c_epic) in {norm(p) for p in PARENT_FIELDS}
    unresolved_ids: list[int] = []
    orphan_subtasks: list[int] = []

    def epic_of(key: str, depth: int = 0) -> str | None:
        item, cells = by_key[key]
        if (item["item_type"] or "").strip().lower() == "epic":
            return None  # an epic's parent is an initiative, not an epic
        direct = None
        if ctx.c_epic and not epic_from_parent:
            direct = ref(table.cell(cells, ctx.c_epic))
        if direct:
            return direct
        parent = ref(table.cell(cells, ctx.c_parent)) if ctx.c_parent else None
        if ctx.c_epic and epic_from_parent:
            parent = ref(table.cell(cells, ctx.c_epic)) or parent
        if not parent or parent == key or depth > 10:
            return None
        if parent in by_key:
            return parent if is_epic(parent) else epic_of(parent, depth + 1)
        if is_subtask(item["item_type"]):
            orphan_subtasks.append(item["_source_row"])  # its parent is a story, not an epic
            return None
        return parent  # a standard issue's parent is its epic

    unknown_status: dict[tuple[str, str], list[int]] = {}
    for item, problems, cells in parsed_rows:
        if problems:
            res.quarantine.append(problems.quarantine(table.record_dict(cells)))
            continue
        if status_date is None:
            res.quarantine.append(QuarantineRecord(item["_source_row"], ctx.c_updated or "Updated", None,
                                                   f"{where(file, item['_source_row'], None)}: not loaded, "
                                                   f"{status_msg}", table.record_dict(cells)))
            continue
        item["status_date"] = status_date
        category = table.cell(cells, ctx.c_category).strip() if ctx.c_category else ""
        status = table.cell(cells, ctx.c_status).strip() if ctx.c_status else ""
        if category:
            item["status_category"] = STATUS_CATEGORY.get(category.lower())
            if item["status_category"] is None:
                unknown_status.setdefault((ctx.c_category, category), []).append(item["_source_row"])
        elif status:
            item["status_category"] = ctx.status_map.get(status.lower())
            if item["status_category"] is None:
                unknown_status.setdefault((ctx.c_status, status), []).append(item["_source_row"])
        item["epic"] = epic_of(item["item_key"])
        if item["epic"] and item["epic"].isdigit():
            unresolved_ids.append(item["_source_row"])
        res.rows.append(item)

    for (col, value), at in unknown_status.items():
        result.warnings.append(f"{file}, column {col!r}: {value!r} in {row_list(at)} has no known status category; "
                               "status_category left blank. Pass status_map={'<status>': 'todo'|'in_progress'|'done'}.")
    if orphan_subtasks:
        result.warnings.append(f"{file}, column {ctx.c_parent or ctx.c_epic!r}: sub-task(s) in "
                               f"{row_list(orphan_subtasks)} have a parent that is not in the file; epic left blank")
    if unresolved_ids:
        col = ctx.c_epic if epic_from_parent else (ctx.c_parent or ctx.c_epic)
        result.warnings.append(f"{file}, column {col!r}: epic in {row_list(unresolved_ids)} is an issue id "
                               "whose issue is not in the file; kept as the id")
    return result


# =====================================================================================================
# JSON helpers
# =====================================================================================================


def _load_json(path, fmt: str, entity: str) -> tuple[SourceResult, object | None]:
    result, text = load_export(path, fmt, entity)
    try:
        return result, json.loads(text)
    except json.JSONDecodeError as exc:
        result.errors.append(f"{result.path.name} line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})")
        return result, None


def _dig(obj, *path):
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def _json_date(raw) -> date | None:
    """'2024-01-15T09:00:00.000+0000' / '2018-04-08T20:40:00Z' / '2024-01-15' -> date as written."""
    if raw is None or raw == "":
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$", str(raw).strip())
    if not m:
        raise ValueError("not an ISO date/time")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise ValueError(f"not a valid date ({exc})") from None


def _list_of(obj, keys: tuple[str, ...]) -> list | None:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for k in keys:
            if isinstance(obj.get(k), list):
                return obj[k]
    return None


def _json_head_keys(head: bytes) -> tuple[str, set[str]]:
    text = head_text(head).lstrip()
    return text[:1], set(re.findall(r'"([A-Za-z_]+)"\s*:', text))


# =====================================================================================================
# Worklogs (Tempo and Jira) -> timesheets
# =====================================================================================================


def detect_tempo_worklog_json(path: Path, head: bytes) -> bool:
    first, keys = _json_head_keys(head)
    return (first in "[{" and first != "" and "timeSpentSeconds" in keys and "issues" not in keys
            and bool(keys & {"dateStarted", "tempoWorklogId", "startDate"}))


def detect_jira_worklog_json(path: Path, head: bytes) -> bool:
    first, keys = _json_head_keys(head)
    return (first in "[{" and first != "" and "timeSpentSeconds" in keys and "started" in keys
            and "issues" not in keys and not detect_tempo_worklog_json(path, head))


def _read_worklogs(path, fmt: str, options: dict, known: tuple[str, ...],
                   issue_of: Callable[[dict, RowProblems], tuple[str | None, str | None]],
                   started_fields: tuple[str, ...], id_fields: tuple[str, ...], approval: bool) -> SourceResult:
    check_options(options, known, f"read_{fmt.replace('-', '_')}")
    result, obj = _load_json(path, fmt, TIMESHEETS)
    res = result.entity(TIMESHEETS)
    if obj is None:
        return result
    file = result.path.name
    records = _list_of(obj, ("results", "worklogs", "values"))
    if records is None:
        result.errors.append(f"{file}: no worklog list found (expected a JSON list, or 'results'/'worklogs')")
        return result
    id_warned: list[int] = []
    for n, rec in enumerate(records, start=1):
        problems = RowProblems(file, n, unit="record", per_cell=True)
        if not isinstance(rec, dict):
            problems.add("", None, "a worklog must be a JSON object")
            res.quarantine.append(problems.quarantine({"value": json.dumps(rec)[:200]}))
            continue
        started_field = next((f for f in started_fields if rec.get(f) not in (None, "")), started_fields[0])
        try:
            work_date = _json_date(rec.get(started_field))
        except ValueError as exc:
            problems.add(started_field, rec.get(started_field), str(exc))
            work_date = None
        seconds = rec.get("timeSpentSeconds")
        hours = None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)) or seconds == "":
            if seconds is not None:
                problems.add("timeSpentSeconds", seconds, "not a number of seconds")
        else:
            try:
                hours = float(seconds) / 3600
            except ValueError:
                problems.add("timeSpentSeconds", seconds, "not a number of seconds")
        author = rec.get("author") if isinstance(rec.get("author"), dict) else {}
        person_id = next((str(author[k]).strip() for k in ("accountId", "name", "key")
                          if author.get(k) not in (None, "")), None)
        if person_id is None and isinstance(rec.get("worker"), str):
            person_id = rec["worker"].strip() or None  # Tempo Server v2/v3 'worker' username
        task, id_only = issue_of(rec, problems)
        if id_only:
            id_warned.append(n)
        project = key_prefix(task) or text_or_none(options.get("project_code"))
        status = None
        if approval:
            raw = (rec.get("approvalStatus") or rec.get("timesheetApprovalStatus")
                   or _dig(rec, "approval", "status"))
            try:
                status = map_approval(raw, TEMPO_APPROVAL)
            except ValueError as exc:
                problems.add("approvalStatus", raw, str(exc))
        entry = next((str(rec[k]) for k in id_fields if rec.get(k) not in (None, "")), None)
        row = {
            "work_date": work_date,
            "person_id": person_id,
            "person_name": text_or_none(author.get("displayName")),
            "project_code": project,
            "task_code": task,
            "hours": hours,
            "role": None,
            "approval_status": status,
            "entry_id": entry,
            "_source_row": n,
        }
        for name, fld in (("work_date", started_field), ("person_id", "author.accountId/name/key"),
                          ("project_code", "issue key (or option project_code)"), ("hours", "timeSpentSeconds")):
            if row[name] is None and not any(p[0] == fld for p in problems.items):
                problems.add(fld, "", f"required value is blank ({name})")
        if problems:
            flat = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                    for k, v in rec.items() if k not in ("self", "avatarUrls")}
            res.quarantine.append(problems.quarantine(flat))
            continue
        res.rows.append(row)
    if id_warned:
        result.warnings.append(
            f"{file}, field 'issue': {row_list(id_warned).replace('row', 'record')}: the issue is named by id only; "
            "task_code is the issue id, and project_code comes from the project_code option")
    return result


def _tempo_issue(rec: dict, problems: RowProblems) -> tuple[str | None, bool]:
    issue = rec.get("issue")
    if isinstance(issue, dict):
        if issue.get("key"):
            return str(issue["key"]).strip(), False
        if issue.get("id") not in (None, ""):
            return str(issue["id"]), True
    if isinstance(rec.get("issueKey"), str) and rec["issueKey"].strip():
        return rec["issueKey"].strip(), False
    problems.add("issue.key", "", "worklog names no issue")
    return None, False


def read_tempo_worklog_json(path: Path | str, **options) -> SourceResult:
    """Tempo worklogs (Server v3 list, Cloud ``results``) -> timesheets.  Options: ``project_code``
    (for worklogs whose issue key gives none, e.g. Cloud v4 ids)."""
    return _read_worklogs(path, "tempo-worklog-json", options, ("project_code",), _tempo_issue,
                          ("startDate", "dateStarted", "started"), ("tempoWorklogId", "id", "jiraWorklogId"),
                          approval=True)


def read_jira_worklog_json(path: Path | str, **options) -> SourceResult:
    """Jira REST worklogs -> timesheets.  Options: ``issue_key`` (the issue the page belongs to),
    ``project_code``."""
    path = Path(path)
    wrapper_key = None
    stem_key = path.stem if key_prefix(path.stem) else None

    def issue_of(rec: dict, problems: RowProblems) -> tuple[str | None, bool]:
        key = text_or_none(options.get("issue_key")) or wrapper_key or stem_key
        if key:
            return key, False
        if isinstance(rec.get("issueKey"), str) and rec["issueKey"].strip():
            return rec["issueKey"].strip(), False
        if rec.get("issueId") not in (None, ""):
            return str(rec["issueId"]), True
        problems.add("issueId", "", "worklog names no issue (pass issue_key=)")
        return None, False

    if path.is_file():
        try:
            obj = json.loads(head_text(path.read_bytes()))
            if isinstance(obj, dict):
                wrapper_key = text_or_none(obj.get("issueKey")) or (
                    text_or_none(obj.get("key")) if key_prefix(str(obj.get("key") or "")) else None)
        except json.JSONDecodeError:
            pass  # reported by _read_worklogs
    return _read_worklogs(path, "jira-worklog-json", options, ("project_code", "issue_key"), issue_of,
                          ("started",), ("id",), approval=False)


# =====================================================================================================
# Jira REST issue search -> work_items
# =====================================================================================================


def detect_jira_issues_json(path: Path, head: bytes) -> bool:
    first, keys = _json_head_keys(head)
    return first == "{" and "issues" in keys and ("fields" in keys or "key" in keys)


_SPRINT_NAME_RE = re.compile(r"name=([^,\]]*)")


def _sprint_name(value) -> str | None:
    if isinstance(value, dict):
        return text_or_none(value.get("name"))
    if isinstance(value, str):
        m = _SPRINT_NAME_RE.search(value)  # Server: "com.atlassian.greenhopper...Sprint@1[id=1,name=S 1,...]"
        return text_or_none(m[1] if m else value)
    return None


def _field_date(fields: dict, name: str, problems: RowProblems) -> date | None:
    try:
        return _json_date(fields.get(name))
    except ValueError as exc:
        problems.add(f"fields.{name}", fields.get(name), str(exc))
        return None


def _field_seconds(fields: dict, problems: RowProblems, *names: str) -> float | None:
    """The first of ``names`` (dotted paths under ``fields``) that is set, in hours."""
    for name in names:
        value = _dig(fields, *name.split("."))
        if value is not None:
            try:
                return seconds_to_hours(value)[0]
            except (ValueError, TypeError):
                problems.add(f"fields.{name}", value, "not a number of seconds")
                return None
    return None


def read_jira_issues_json(path: Path | str, **options) -> SourceResult:
    """Jira REST issue search / agile sprint issues -> work_items.

    Options: ``status_date`` (default: newest ``fields.updated``, warned), ``story_points_field``,
    ``epic_field``, ``sprint_field`` (field ids like ``customfield_10105``; resolved from the ``names``
    map when the search used ``expand=names``), ``project_code``.
    """
    check_options(options, ("status_date", "story_points_field", "epic_field", "sprint_field", "project_code"),
                  "read_jira_issues_json")
    result, obj = _load_json(path, "jira-issues-json", WORK_ITEMS)
    res = result.entity(WORK_ITEMS)
    if obj is None:
        return result
    file = result.path.name
    issues = _list_of(obj, ("issues",))
    if issues is None:
        result.errors.append(f"{file}: no 'issues' list found")
        return result
    names = obj.get("names") if isinstance(obj, dict) and isinstance(obj.get("names"), dict) else {}
    by_name = {str(v).strip().lower(): k for k, v in names.items()}

    def field_id(option: str, *labels: str) -> str | None:
        if options.get(option):
            return str(options[option])
        return next((by_name[label] for label in labels if label in by_name), None)

    points_id = field_id("story_points_field", "story points", "story point estimate")
    epic_id = field_id("epic_field", "epic link")
    sprint_id = field_id("sprint_field", "sprint")
    if points_id is None:
        result.warnings.append(f"{file}: story points not read: their custom field id is unknown. Pass "
                               "story_points_field='customfield_NNNNN' or search with expand=names.")
    try:
        status_date = as_date_option(options.get("status_date"), "status_date")
    except ValueError as exc:
        result.errors.append(f"{file}: {exc}")
        return result
    pending: list[tuple[dict, RowProblems, dict]] = []
    updated: list[tuple[date, int]] = []
    for n, issue in enumerate(issues, start=1):
        problems = RowProblems(file, n, unit="record", per_cell=True)
        fields = issue.get("fields") if isinstance(issue, dict) and isinstance(issue.get("fields"), dict) else {}
        key = text_or_none(issue.get("key")) if isinstance(issue, dict) else None
        upd = _field_date(fields, "updated", problems)
        if upd:
            updated.append((upd, n))
        points = None
        if points_id and fields.get(points_id) is not None:
            try:
                points = parse_number(str(fields[points_id]))
            except ValueError as exc:
                problems.add(f"fields.{points_id}", fields[points_id], str(exc))
        epic = _dig(fields, "epic", "key")
        if not epic and epic_id:
            value = fields.get(epic_id)
            epic = value.get("key") if isinstance(value, dict) else value
        if not epic and (_dig(fields, "parent", "fields", "issuetype", "name") or "").lower() == "epic":
            epic = _dig(fields, "parent", "key")
        sprint = _sprint_name(fields.get("sprint"))
        if sprint is None and sprint_id and isinstance(fields.get(sprint_id), list) and fields[sprint_id]:
            sprint = _sprint_name(fields[sprint_id][-1])
        if sprint is None and isinstance(fields.get("closedSprints"), list) and fields["closedSprints"]:
            sprint = _sprint_name(fields["closedSprints"][-1])
        versions = [v.get("name") for v in fields.get("fixVersions") or [] if isinstance(v, dict) and v.get("name")]
        category_key = str(_dig(fields, "status", "statusCategory", "key") or "").lower()
        item = {
            "status_date": status_date,
            "project_code": text_or_none(_dig(fields, "project", "key")) or key_prefix(key)
            or text_or_none(options.get("project_code")),
            "item_key": key,
            "item_type": text_or_none(_dig(fields, "issuetype", "name")),
            "story_points": points,
            "status_category": STATUS_CATEGORY.get(category_key),
            "resolved_date": _field_date(fields, "resolutiondate", problems),
            "sprint": sprint,
            "epic": text_or_none(epic),
            "release": versions[-1] if versions else None,
            "original_estimate_hours": _field_seconds(fields, problems, "timeoriginalestimate",
                                                      "timetracking.originalEstimateSeconds"),
            "time_spent_hours": _field_seconds(fields, problems, "timespent", "timetracking.timeSpentSeconds"),
            "created_date": _field_date(fields, "created", problems),
            "priority": text_or_none(_dig(fields, "priority", "name")),
            "_source_row": n,
        }
        if key is None:
            problems.add("key", "", "required value is blank (item_key)")
        if item["project_code"] is None:
            problems.add("fields.project.key", "", "required value is blank (project_code)")
        pending.append((item, problems, issue if isinstance(issue, dict) else {"value": issue}))
    if status_date is None and updated:
        status_date, at = max(updated)
        result.warnings.append(f"{file}: no status_date option; status_date is the newest fields.updated date, "
                               f"{status_date.isoformat()} (record {at}). Pass status_date= to pin the snapshot.")
    for item, problems, raw in pending:
        if status_date is None:
            problems.add("fields.updated", "", "status_date unknown: pass status_date=YYYY-MM-DD")
        if problems:
            res.quarantine.append(problems.quarantine({"key": raw.get("key"), "id": raw.get("id")}))
            continue
        item["status_date"] = status_date
        res.rows.append(item)
    return result


FORMATS: dict[str, tuple[Callable[[Path, bytes], bool], Callable[..., SourceResult]]] = {
    "jira-csv": (detect_jira_csv, read_jira_csv),
    "jira-issues-json": (detect_jira_issues_json, read_jira_issues_json),
    "tempo-worklog-json": (detect_tempo_worklog_json, read_tempo_worklog_json),
    "jira-worklog-json": (detect_jira_worklog_json, read_jira_worklog_json),
}
