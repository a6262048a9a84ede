"""Turn part of the demo organisation's canonical CSV into the files real tools export.

`pmo demo` calls :func:`write_vendor_exports` after :func:`orchestration.demo.generator.generate_demo`, so that a
demo run goes through the vendor readers as a real deployment does:

* schedules of waterfall projects in the reporting currency: one Primavera P6 XER per month holding
  all of them (``landing/p6/schedule-<YYYY-MM>.xer``);
* schedules of projects in another currency: one MS Project XML file per project and month
  (``landing/msproject/<project>-<YYYY-MM>.xml``);
* agile and hybrid schedules stay canonical CSV (``landing/tasks/``), and so do schedules that use an EV
  technique other than percent complete or carry a baseline version other than BL1 (a re-baseline): the
  XER and MSPDI readers give every activity percent complete and one baseline, so those would be lost;
* timesheets as Tempo CSV exports (even months) and Harvest CSV exports (odd months)
  (``landing/tempo/``, ``landing/harvest/``);
* agile work items as Jira issue CSV exports (``landing/jira/issues-<YYYY-MM>.csv``);
* the general ledger as SAP ACDOCA line-item CSV (``landing/sap/gl-<YYYY-MM>.csv``).

Each replaced canonical file is removed, so every row lands exactly once.

When the demo ends with the current month, :func:`clip_to_data_date` first cuts the generated month at
today: no timesheet or ledger line after today, and today's date as the status date of the month's
schedule, risk and Jira snapshots — a real export cannot hold the future, and the gates reject it.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.demo.exports.jira import write_jira_csv
from orchestration.demo.exports.ledger import write_sap_acdoca_csv
from orchestration.demo.exports.schedules import write_mspdi, write_xer
from orchestration.demo.exports.timesheets import write_harvest_csv, write_tempo_csv
from orchestration.sources.canonical import read_canonical_csv


def _write_canonical(path: Path, entity: str, rows: list[dict]) -> None:
    columns = ENTITIES[entity].column_names
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _cell(row[c]) for c in columns])


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, "f") if hasattr(value, "as_tuple") else str(value)


#: Per entity: the date column that cannot lie after the data date, and whether a later row is
#: dropped (an actual) or dated back to the data date (a snapshot).
_DATED = {
    "timesheets": ("work_date", "drop"),
    "ledger": ("posting_date", "drop"),
    "tasks": ("status_date", "restate"),
    "risks": ("status_date", "restate"),
    "work_items": ("status_date", "restate"),
    "quality_reviews": ("review_date", "drop"),
}


def clip_to_data_date(files: list[Path], data_date) -> None:
    """Cut the demo's generated exports at ``data_date`` (today, for a demo ending this month)."""
    for path in files:
        entity = path.parent.name
        if entity not in _DATED or not path.exists():
            continue
        column, how = _DATED[entity]
        if _latest(path, column) <= data_date.isoformat():
            continue  # every month but the last: nothing to cut, and no need to parse the file
        rows = read_canonical_csv(path, entity).rows
        if all(r[column] <= data_date for r in rows):
            continue
        kept = []
        for row in rows:
            if row[column] > data_date:
                if how == "drop" or (row.get("created_date") is not None and row["created_date"] > data_date):
                    continue  # an actual after the data date, or an item not yet created by then
                row[column] = data_date
                for later in ("actual_start", "actual_finish", "resolved_date"):
                    if row.get(later) is not None and row[later] > data_date:
                        row[later] = None
            kept.append(row)
        _write_canonical(path, entity, kept)


def _latest(path: Path, column: str) -> str:
    """The greatest value of an ISO-date column of a generated CSV, as text (ISO dates sort as text)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        at = next(reader).index(column)
        return max((row[at] for row in reader), default="")


def write_vendor_exports(landing: Path, files: list[Path], reporting_currency: str) -> list[Path]:
    """Rewrite the demo's schedule snapshots as XER and MSPDI files; returns the new list of files."""
    projects = {r["project_code"]: r for r in read_canonical_csv(landing / "projects" / "projects.csv", "projects").rows}
    kept = [f for f in files if f.parent.name != "tasks"]
    written: list[Path] = []
    tasks_files = sorted(f for f in files if f.parent.name == "tasks")
    canonical = {code for code, p in projects.items() if p.get("methodology") in ("agile", "hybrid")}
    for tasks_file in tasks_files:  # a project's schedule keeps one format across its snapshots
        for row in read_canonical_csv(tasks_file, "tasks").rows:
            if row.get("ev_method") not in (None, "percent_complete") or row.get("baseline_version") not in (None, "BL1"):
                canonical.add(row["project_code"])
    for tasks_file in tasks_files:
        month = tasks_file.stem.removeprefix("tasks-")
        rows = read_canonical_csv(tasks_file, "tasks").rows
        by_project: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_project[row["project_code"]].append(row)
        xer_projects, xer_rows, canonical_rows = [], [], []
        for code, task_rows in by_project.items():
            project = projects[code]
            if code in canonical:
                canonical_rows += task_rows
            elif project["currency"] == reporting_currency:
                xer_projects.append(project)
                xer_rows += task_rows
            else:
                target = landing / "msproject" / f"{code}-{month}.xml"
                target.parent.mkdir(parents=True, exist_ok=True)
                written.append(write_mspdi(target, project, task_rows, task_rows[0]["status_date"]))
        if xer_rows:
            target = landing / "p6" / f"schedule-{month}.xer"
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(write_xer(target, xer_projects, xer_rows, export_date=xer_rows[0]["status_date"],
                                     currency=reporting_currency))
        tasks_file.unlink()
        if canonical_rows:
            _write_canonical(tasks_file, "tasks", canonical_rows)
            written.append(tasks_file)
    converted = _convert_monthly_files(landing, kept) + written
    for folder in landing.iterdir():
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return converted


def _convert_monthly_files(landing: Path, files: list[Path]) -> list[Path]:
    """Timesheets, work items and ledger files, one per month, rewritten in their tools' formats."""
    out = []
    for path in files:
        entity = path.parent.name
        month = "-".join(path.stem.rsplit("-", 2)[-2:])
        if entity not in ("timesheets", "work_items", "ledger"):
            out.append(path)
            continue
        rows = read_canonical_csv(path, entity).rows
        if entity == "timesheets":
            tempo = int(month[-2:]) % 2 == 0
            target = landing / ("tempo" if tempo else "harvest") / f"worklogs-{month}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            (write_tempo_csv if tempo else write_harvest_csv)(target, rows)
        elif entity == "work_items":
            target = landing / "jira" / f"issues-{month}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_jira_csv(target, rows)
        else:
            target = landing / "sap" / f"gl-{month}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_sap_acdoca_csv(target, rows)
        path.unlink()
        out.append(target)
    return out
