"""Write canonical work items as a Jira issue CSV export, traps included.

The mirror of :func:`orchestration.sources.jira.read_jira_csv`: the file reads back to the same
canonical rows (pinned by the round-trip tests).  What makes it a realistic export:

* repeated column names: ``Sprint`` at least twice (more when an item has a sprint history),
  ``Labels`` twice, ``Fix Version/s`` as often as the most releases on one item;
* time tracking in **seconds** (``Original Estimate``, ``Remaining Estimate``, ``Time Spent``) next to
  the ``Σ`` aggregates the reader must not use;
* dates in Jira's default ``dd/MMM/yy h:mm a`` (``25/Feb/26 10:17 PM``);
* story points and epic in ``Custom field (Story Points)`` / ``Custom field (Epic Link)``;
* ``Status`` names (To Do / In Progress / Done), no ``Status Category`` column (as Server exports).

A row may carry ``_sprints`` (every sprint the item was in, oldest first) and ``_releases``; the
canonical ``sprint``/``release`` is written last, which is what the reader takes.  ``Updated`` is the
rows' ``status_date`` (a Jira export is one snapshot, so all rows must share it); the reader falls
back to the newest Updated when it is not given a status_date.  A NULL ``status_category`` is written
as a blank Status.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

__all__ = ["jira_date", "write_jira_csv"]

_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_STATUS = {"todo": "To Do", "in_progress": "In Progress", "done": "Done", None: ""}


def jira_date(d: date, time: str = "5:00 PM") -> str:
    """``date(2026, 2, 25)`` -> ``25/Feb/26 5:00 PM`` (Jira's default export format)."""
    return f"{d.day:02d}/{_MON[d.month - 1]}/{d.year % 100:02d} {time}"


def _date(value) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def _seconds(hours) -> str:
    return "" if hours is None else str(round(float(hours) * 3600))


def _points(value) -> str:
    return "" if value is None else repr(float(value))


def _values(row: Mapping, many: str, one: str) -> list[str]:
    values = [str(v) for v in (row.get(many) or []) if v not in (None, "")]
    last = row.get(one)
    if last not in (None, "") and (not values or values[-1] != str(last)):
        values.append(str(last))
    return values


def write_jira_csv(path: Path | str, rows: Iterable[Mapping]) -> Path:
    """Write canonical work_items rows as a Jira issue CSV (UTF-8)."""
    path = Path(path)
    rows = list(rows)
    dates = {_date(r["status_date"]) for r in rows}
    if len(dates) > 1:
        raise ValueError(f"a Jira export is one snapshot: rows have {len(dates)} status dates")
    sprints = [_values(r, "_sprints", "sprint") for r in rows]
    releases = [_values(r, "_releases", "release") for r in rows]
    n_sprint = max([2, *map(len, sprints)])
    n_fix = max([1, *map(len, releases)])
    header = (["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
               "Priority", "Resolution", "Created", "Updated", "Resolved"]
              + ["Fix Version/s"] * n_fix + ["Sprint"] * n_sprint + ["Labels", "Labels"]
              + ["Original Estimate", "Remaining Estimate", "Time Spent",
                 "Σ Original Estimate", "Σ Remaining Estimate", "Σ Time Spent",
                 "Custom field (Story Points)", "Custom field (Epic Link)", "Description"])
    # defect fields only when a row has them, so an export of stories is as before
    defects = any(r.get("severity") or r.get("found_in") for r in rows)
    if defects:
        header += ["Custom field (Severity)", "Custom field (Found in)"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, (r, sp, rel) in enumerate(zip(rows, sprints, releases)):
            status_date = _date(r["status_date"])
            resolved = _date(r.get("resolved_date"))
            orig, spent = r.get("original_estimate_hours"), r.get("time_spent_hours")
            remaining = None if orig is None else max(float(orig) - float(spent or 0), 0.0)
            category = r.get("status_category")
            category = category.strip().lower() if isinstance(category, str) and category.strip() else None
            if category not in _STATUS:
                raise ValueError(f"status_category {category!r} is not todo, in_progress or done")
            w.writerow(
                [f"{r.get('item_type') or 'Issue'} {r['item_key']}", r["item_key"], str(10000 + i),
                 r.get("item_type") or "", _STATUS[category], r["project_code"], r["project_code"],
                 r.get("priority") or "Medium", "Done" if resolved else "",
                 jira_date(_date(r.get("created_date")) or status_date, "9:00 AM"), jira_date(status_date),
                 jira_date(resolved, "10:17 PM") if resolved else ""]
                + rel + [""] * (n_fix - len(rel))
                + sp + [""] * (n_sprint - len(sp))
                + ["demo", ""]
                + [_seconds(orig), _seconds(remaining), _seconds(spent)] * 2
                + [_points(r.get("story_points")), r.get("epic") or "",
                   f"Demo item {r['item_key']}.\nGenerated for the PMO warehouse demo."]
                + ([(r.get("severity") or "").title(), (r.get("found_in") or "").upper() if r.get("found_in") == "uat"
                    else (r.get("found_in") or "").title()] if defects else [])
            )
    return path
