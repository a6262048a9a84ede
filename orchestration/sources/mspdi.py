"""Reader of Microsoft Project XML (MSPDI): canonical ``tasks`` and ``projects``.

MSPDI is what MS Project, Project Online and ProjectLibre write for "Save As > XML": one ``<Project>`` in
the namespace ``http://schemas.microsoft.com/project`` with project properties, then ``<Calendars>``,
``<Tasks>``, ``<Resources>``, ``<Assignments>``.  The file is streamed with expat (stdlib), so every task
keeps the line its ``<Task>`` starts on (``_source_row``) and a truncated file keeps the tasks before the
damage.

Traps, for the next engineer (docs/input-formats.md §1.3; samples in ``shared/samples/mspdi``):

* **Money is in hundredths of the currency unit**: ``<Cost>505200</Cost>`` is 5,052.00 and
  ``<ActualCost>29908.45</ActualCost>`` is 299.0845 (MPXJ divides by 100 too).  This applies to Cost,
  ActualCost, RemainingCost and the Baseline's Cost; the reader divides all of them by 100 exactly
  (Decimal).  Proven against the samples: mspdiassignmentfields' "Task One" gives actual 299.0845 +
  remaining 4,752.9155 = cost 5,052.00; task-baselines' Baseline<n> Cost 100..1100 gives 1.00..11.00.
* **Baselines are child elements** ``<Baseline><Number>n</Number><Start/><Finish/><Cost/>...`` with n = 0
  ("Baseline") to 10 ("Baseline10"); empty fields are omitted, so a task may carry only a baseline finish.
  The slot read is the option ``baseline_slot``, else the project's ``BaselineForEarnedValue`` (the slot
  MS Project's own EV uses), else 0.  Per task and field, a missing baseline Start / Finish / Cost falls
  back to the current Start / Finish / Cost (a filled-in date that would put the baseline start after
  the baseline finish is set to the slot's own other date instead): ``baseline_version`` is the slot's name ("Baseline",
  "Baseline1" ...) when the slot supplied all three, "<slot>+planned" when it supplied some, and
  "planned" when the task has no such slot at all.  Each case is counted in a warning.
* **Summary tasks are emitted**, and every task's ``parent_task_code`` points at its summary (found from
  OutlineNumber, else OutlineLevel in document order).  A summary's Cost and Baseline Cost are the sums of
  its children; the warehouse (``int_tasks_classified``) drops any task that is another task's parent from
  BAC / PV / EV, so nothing is double counted and the WBS names survive for grouping.  The project summary
  task (UID 0 / OutlineLevel 0, the whole project) is not emitted, nor are blank rows (``IsNull``),
  inactive tasks (``Active`` 0 - they do not roll up cost in MS Project) and external (cross-project
  placeholder) tasks; each skip is counted in a warning.
* **task_code** is the ``WBS`` field by default (what people and finance systems quote; UID is only stable
  inside one file's history).  Option ``task_code_field``: ``WBS`` | ``UID`` | ``ID`` | ``OutlineNumber``.
  A blank code falls back to the UID; a repeated code quarantines the later task.
* **Percent complete**: ``PhysicalPercentComplete`` where the task's ``EarnedValueMethod`` (else the
  project's ``DefaultTaskEVMethod``) is 1 (physical), else ``PercentComplete`` (duration based).  Both are
  whole numbers in MSPDI.
* **Status date** = ``Project/StatusDate``; when the file has none (none of the samples has one) the option
  ``status_date`` is used; with neither, an error names the file and every task is quarantined.
  ``CurrentDate`` is *not* a status date (it is usually the day the file was saved).
* **project_code** = option ``project_code``, else ``Project/Name`` (the file name MS Project saved, minus
  an .xml/.mpp/.mpt extension), else ``Title``, else the file's stem.  ``project_name`` = Title, else Name.
* Durations and work are ISO-8601-like ``PT103H0M0S`` (hours even for multi-day tasks): not needed for the
  canonical rows.  BCWS/BCWP/ACWP are ignored (0 in every sample): the warehouse computes EV itself.
  TimephasedData, ExtendedAttribute, PredecessorLink subtrees are skipped.
* ``forecast_finish`` = ``Finish`` of unfinished tasks, blank once ``ActualFinish`` is set.

Public API: :func:`detect`, :func:`read` (see its docstring for the options).
"""

from __future__ import annotations

import hashlib
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from orchestration.sources.cells import CellError, parse_date, parse_decimal, xml_head_matches
from orchestration.sources.base import SourceResult
from orchestration.sources.schedule_common import date_option, file_currency, task_row
from orchestration.sources.toolkit import QuarantineRecord, ReaderError, check_options

FORMAT = "mspdi"
NAMESPACE = "http://schemas.microsoft.com/project"
_NS = NAMESPACE + "}"
_OPTIONS = {"status_date", "baseline_slot", "project_code", "currency", "task_code_field"}
_CODE_FIELDS = ("WBS", "UID", "ID", "OutlineNumber")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DETECT_RE = re.compile(r"<(?:\w+:)?Project\b[^>]*\sxmlns(?::\w+)?\s*=\s*[\"']http://schemas\.microsoft\.com/project[\"']")
_ZERO = Decimal(0)

#: Task children kept as text.
_TASK_FIELDS = frozenset(
    [
        "UID",
        "ID",
        "Name",
        "WBS",
        "OutlineNumber",
        "OutlineLevel",
        "Summary",
        "Milestone",
        "IsNull",
        "Active",
        "ExternalTask",
        "Start",
        "Finish",
        "ActualStart",
        "ActualFinish",
        "Cost",
        "ActualCost",
        "RemainingCost",
        "PercentComplete",
        "PhysicalPercentComplete",
        "EarnedValueMethod",
    ]
)
_BASELINE_FIELDS = frozenset(["Number", "Start", "Finish", "Cost"])
#: Project children kept as text.
_PROJECT_FIELDS = frozenset(
    [
        "Name",
        "Title",
        "StatusDate",
        "CurrentDate",
        "CurrencyCode",
        "StartDate",
        "FinishDate",
        "DefaultTaskEVMethod",
        "BaselineForEarnedValue",
    ]
)


# --------------------------------------------------------------------------------------------- detect


def detect(path: Path, head: bytes) -> bool:
    """True when ``head`` is XML whose root ``Project`` element is in the MSPDI namespace."""
    return xml_head_matches(head, _DETECT_RE)


# ------------------------------------------------------------------------------------------- parsing


@dataclass
class _Task:
    line: int
    index: int  # 1-based position among <Task> elements
    values: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, dict[str, str]] = field(default_factory=dict)  # Number -> fields


class _Collector:
    """expat handlers: project properties and tasks, nothing else kept."""

    def __init__(self, parser):
        self.parser = parser
        self.root_ns_ok: bool | None = None
        self.root_line = 1
        self.project: dict[str, str] = {}
        self.tasks: list[_Task] = []
        self.stack: list[str] = []
        self.text: list[str] | None = None
        self.task: _Task | None = None
        self.baseline: dict[str, str] | None = None

    def start(self, tag: str, attrs) -> None:
        depth = len(self.stack)
        self.stack.append(tag)
        if depth == 0:
            self.root_ns_ok = tag == _NS + "Project"
            self.root_line = self.parser.CurrentLineNumber
            return
        if not self.root_ns_ok or not tag.startswith(_NS):
            return
        local = tag[len(_NS) :]
        if depth == 1:
            if local in _PROJECT_FIELDS:
                self.text = []
        elif depth == 2:
            if local == "Task" and self.stack[1] == _NS + "Tasks":
                self.task = _Task(self.parser.CurrentLineNumber, len(self.tasks) + 1)
        elif self.task is not None:
            if depth == 3:
                if local in _TASK_FIELDS:
                    self.text = []
                elif local == "Baseline":
                    self.baseline = {}
            elif depth == 4 and self.baseline is not None and self.stack[3] == _NS + "Baseline" and local in _BASELINE_FIELDS:
                self.text = []

    def end(self, tag: str) -> None:
        depth = len(self.stack) - 1
        self.stack.pop()
        if not self.root_ns_ok or depth == 0:
            return
        local = tag[len(_NS) :] if tag.startswith(_NS) else None
        if self.text is not None:
            value = "".join(self.text).strip()
            self.text = None
            if depth == 1:
                self.project[local] = value
            elif depth == 3 and self.task is not None:
                self.task.values[local] = value
            elif depth == 4 and self.baseline is not None:
                self.baseline[local] = value
            return
        if depth == 3 and local == "Baseline" and self.task is not None and self.baseline is not None:
            number = self.baseline.get("Number", "0") or "0"
            self.task.baselines.setdefault(number, self.baseline)
            self.baseline = None
        elif depth == 2 and local == "Task" and self.task is not None:
            self.tasks.append(self.task)
            self.task = None

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


# ------------------------------------------------------------------------------------------ helpers


_CellError = CellError
_number = parse_decimal


def _date(raw: str | None) -> date | None:
    return parse_date(raw, _DATE_RE, "an MSPDI date (YYYY-MM-DDTHH:MM:SS)")


def _money(raw: str | None) -> Decimal | None:
    """MSPDI money (hundredths of the currency unit) -> currency units, exactly."""
    value = _number(raw)
    return None if value is None else value.scaleb(-2)


def slot_name(slot: int) -> str:
    """MS Project's name of a baseline slot: 0 -> 'Baseline', n -> 'Baseline<n>'."""
    return "Baseline" if slot == 0 else f"Baseline{slot}"


# ---------------------------------------------------------------------------------------------- read


def read(path: Path | str, **options) -> SourceResult:
    """Read an MSPDI file into canonical ``tasks`` and ``projects`` rows.

    Options:

    * ``status_date`` (date or 'YYYY-MM-DD'): used when the file has no ``StatusDate``.
    * ``baseline_slot`` (0-10): which ``<Baseline><Number>`` to read; default: the project's
      ``BaselineForEarnedValue``, else 0.
    * ``project_code``: the project's code (default: Project/Name without extension, else Title).
    * ``currency``: used when the file has no ``CurrencyCode``; default ``'GBP'`` with a warning.
    * ``task_code_field``: ``'WBS'`` (default), ``'UID'``, ``'ID'`` or ``'OutlineNumber'``.

    Only a missing file (``ReaderError``), an unknown option (``TypeError``) or an invalid option value
    (``ValueError``) raises.  Bad content
    never does: bad values are quarantined naming the file, the line of the ``<Task>`` and the element; a
    malformed or truncated file adds an error naming the line and keeps the tasks read before it.
    """
    check_options(options, _OPTIONS, "mspdi.read")
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    name = path.name
    raw = path.read_bytes()
    result = SourceResult(FORMAT, path, hashlib.sha256(raw).hexdigest())
    tasks_out = result.entity("tasks")
    projects_out = result.entity("projects")
    errors, warnings = result.errors, result.warnings

    code_field = options.get("task_code_field") or "WBS"
    if code_field not in _CODE_FIELDS:
        raise ValueError(f"task_code_field must be one of {', '.join(_CODE_FIELDS)}, got {code_field!r}")

    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    collector = _Collector(parser)
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.chars
    parser.buffer_text = True
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError as exc:
        errors.append(
            f"{name}: malformed or truncated XML at line {exc.lineno}, column {exc.offset}: "
            f"{xml.parsers.expat.ErrorString(exc.code)}; the {len(collector.tasks)} <Task> elements "
            "complete before it are kept"
        )
    if collector.root_ns_ok is None:
        errors.append(f"{name}: no XML root element: not an MSPDI file")
        return result
    if not collector.root_ns_ok:
        errors.append(
            f"{name}: line {collector.root_line}: the root element is not <Project> in the "
            f"namespace {NAMESPACE}: not an MSPDI file"
        )
        return result
    proj = collector.project

    # Project-level values ------------------------------------------------------------------------
    if options.get("project_code"):
        project_code = str(options["project_code"]).strip()
    else:
        project_code = (
            re.sub(r"\.(xml|mpp|mpt)$", "", proj.get("Name", ""), flags=re.IGNORECASE).strip()
            or proj.get("Title", "").strip()
            or path.name.split(".")[0]
        )
    project_name = proj.get("Title", "").strip() or proj.get("Name", "").strip() or project_code
    currency = file_currency(proj.get("CurrencyCode", "").strip() or None, options.get("currency"), name,
                             "no <CurrencyCode> in the file", warnings, warn_ignored=False)

    status_date: date | None = None
    status_problem: str | None = None
    try:
        status_date = _date(proj.get("StatusDate"))
    except _CellError as exc:
        status_problem = f"Project/StatusDate {proj.get('StatusDate')!r}: {exc}"
    if status_date is not None and options.get("status_date") is not None:
        opt = date_option(options["status_date"], "status_date")
        if opt != status_date:
            warnings.append(f"{name}: option status_date={opt} ignored: the file's StatusDate is {status_date}")
    if status_date is None and status_problem is None and options.get("status_date") is not None:
        status_date = date_option(options["status_date"], "status_date")
    if status_date is None and status_problem is None:
        current = proj.get("CurrentDate", "")[:10]
        status_problem = (
            f"no status date: the file has no <StatusDate> (its CurrentDate {current or '-'} is "
            "not a status date) and no status_date option was given"
        )
    if status_problem is not None:
        errors.append(f"{name}: {status_problem}; every task is quarantined")

    # Baseline slot ---------------------------------------------------------------------------------
    if options.get("baseline_slot") is not None:
        slot = int(options["baseline_slot"])
    else:
        try:
            slot = int(proj.get("BaselineForEarnedValue") or 0)
        except ValueError:
            slot = 0
        if slot:
            warnings.append(f"{name}: the project's BaselineForEarnedValue is {slot}: {slot_name(slot)} is read")
    if not 0 <= slot <= 10:
        raise ValueError(f"baseline_slot must be 0-10, got {slot}")
    slot_key = str(slot)
    slot_label = slot_name(slot)
    default_ev = proj.get("DefaultTaskEVMethod", "0").strip() or "0"

    # Projects row ------------------------------------------------------------------------------------
    prow: dict = {"project_code": project_code, "project_name": project_name, "currency": currency, "status": "active"}
    pproblems = []
    for col, elem in (("start_date", "StartDate"), ("planned_finish_date", "FinishDate")):
        try:
            prow[col] = _date(proj.get(elem))
        except _CellError as exc:
            pproblems.append((elem, proj.get(elem), f"Project/{elem} {proj.get(elem)!r}: {exc}"))
    if pproblems:
        projects_out.quarantine.append(
            QuarantineRecord(
                collector.root_line,
                ", ".join(p[0] for p in pproblems),
                " | ".join(p[1] for p in pproblems),
                f"{name}: line {collector.root_line}: " + "; ".join(p[2] for p in pproblems),
                dict(proj),
            )
        )
    else:
        prow["_source_row"] = collector.root_line
        projects_out.rows.append(prow)

    # Tasks -------------------------------------------------------------------------------------------
    skipped = {"project summary": 0, "blank (IsNull)": 0, "inactive": 0, "external": 0}
    kept: list[_Task] = []
    for t in collector.tasks:
        v = t.values
        if v.get("IsNull") == "1":
            skipped["blank (IsNull)"] += 1
        elif v.get("UID") == "0" or v.get("OutlineLevel") == "0":
            skipped["project summary"] += 1
        elif v.get("Active") == "0":
            skipped["inactive"] += 1
        elif v.get("ExternalTask") == "1":
            skipped["external"] += 1
        else:
            kept.append(t)
    for what, count in skipped.items():
        if count and what != "project summary":
            warnings.append(f"{name}: {count} {what} task(s) skipped")

    # Codes and parents
    def code_of(t: _Task) -> str:
        return (t.values.get(code_field) or "").strip() or (t.values.get("UID") or "").strip()

    codes = {id(t): code_of(t) for t in kept}
    parents: dict[int, str | None] = {}
    if all((t.values.get("OutlineNumber") or "").strip() for t in kept):
        # OutlineNumber "1.2.3" -> parent "1.2"
        by_outline: dict[str, _Task] = {}
        for t in kept:
            by_outline.setdefault(t.values["OutlineNumber"].strip(), t)
        for t in kept:
            on = t.values["OutlineNumber"].strip()
            parent = by_outline.get(on.rsplit(".", 1)[0]) if "." in on else None
            parents[id(t)] = codes[id(parent)] if parent is not None else None
    else:
        # No OutlineNumber: the nearest preceding task with a smaller OutlineLevel is the parent.
        level_stack: list[tuple[int, _Task]] = []
        for t in kept:
            try:
                level = int(t.values.get("OutlineLevel") or 1)
            except ValueError:
                level = 1
            while level_stack and level_stack[-1][0] >= level:
                level_stack.pop()
            parents[id(t)] = codes[id(level_stack[-1][1])] if level_stack else None
            level_stack.append((level, t))

    seen: dict[str, int] = {}
    n_partial = n_planned = 0
    fallback_fields: set[str] = set()
    for t in kept:
        v = t.values
        line = t.line
        record = dict(v)
        where = f"{name}: line {line} (task {t.index}, UID {v.get('UID', '?')})"
        if status_problem is not None:
            tasks_out.quarantine.append(
                QuarantineRecord(
                    line, "StatusDate", proj.get("StatusDate"), f"{where}, column StatusDate: {status_problem}", record
                )
            )
            continue
        code = codes[id(t)]
        if not code:
            tasks_out.quarantine.append(
                QuarantineRecord(
                    line, code_field, "", f"{where}, column {code_field}: the task has no {code_field} and no UID", record
                )
            )
            continue
        if code in seen:
            tasks_out.quarantine.append(
                QuarantineRecord(
                    line,
                    code_field,
                    code,
                    f"{where}, column {code_field}: task code {code!r} repeats the task at line {seen[code]}",
                    record,
                )
            )
            continue

        problems: list[tuple[str, str | None, str]] = []
        parsed: dict = {}
        for elem in ("Start", "Finish", "ActualStart", "ActualFinish"):
            try:
                parsed[elem] = _date(v.get(elem))
            except _CellError as exc:
                problems.append((elem, v.get(elem), f"{elem} {v.get(elem)!r}: {exc}"))
        for elem in ("Cost", "ActualCost", "RemainingCost"):
            try:
                parsed[elem] = _money(v.get(elem))
            except _CellError as exc:
                problems.append((elem, v.get(elem), f"{elem} {v.get(elem)!r}: {exc}"))
        for elem in ("PercentComplete", "PhysicalPercentComplete"):
            try:
                parsed[elem] = _number(v.get(elem))
            except _CellError as exc:
                problems.append((elem, v.get(elem), f"{elem} {v.get(elem)!r}: {exc}"))
        bl = t.baselines.get(slot_key)
        b: dict = {}
        if bl is not None:
            for elem, fn in (("Start", _date), ("Finish", _date), ("Cost", _money)):
                try:
                    b[elem] = fn(bl.get(elem))
                except _CellError as exc:
                    problems.append((f"Baseline[{slot}]/{elem}", bl.get(elem), f"Baseline {slot} {elem} {bl.get(elem)!r}: {exc}"))
        if problems:
            tasks_out.quarantine.append(
                QuarantineRecord(
                    line,
                    ", ".join(p[0] for p in problems),
                    " | ".join(str(p[1]) for p in problems),
                    f"{where}, column {', '.join(p[0] for p in problems)}: " + "; ".join(p[2] for p in problems),
                    record,
                )
            )
            continue

        # Baseline: the slot's value per field, else the current plan's.
        base = {}
        from_plan = []
        for elem in ("Start", "Finish", "Cost"):
            if b.get(elem) is not None:
                base[elem] = b[elem]
            else:
                base[elem] = parsed[elem]
                from_plan.append(elem)
        if bl is not None and base["Start"] and base["Finish"] and base["Start"] > base["Finish"]:
            # A date filled in from the current plan must not turn the slot's own date range inside out.
            if "Start" in from_plan and "Finish" not in from_plan:
                base["Start"] = base["Finish"]
            elif "Finish" in from_plan and "Start" not in from_plan:
                base["Finish"] = base["Start"]
        if bl is None:
            version = "planned"
            n_planned += 1
        elif from_plan:
            version = f"{slot_label}+planned"
            n_partial += 1
            fallback_fields.update(from_plan)
        else:
            version = slot_label
        if base["Cost"] is None:
            base["Cost"] = _ZERO  # MS Project omits a zero cost
        missing = [e for e in ("Start", "Finish") if base[e] is None]
        if missing:
            cols = ", ".join(missing)
            tasks_out.quarantine.append(
                QuarantineRecord(
                    line, cols, "", f"{where}, column {cols}: no baseline nor current {cols}: baseline dates are required", record
                )
            )
            continue

        method = (v.get("EarnedValueMethod") or default_ev).strip()
        pct = parsed["PhysicalPercentComplete"] if method == "1" else parsed["PercentComplete"]
        seen[code] = line
        finished = parsed["ActualFinish"] is not None
        tasks_out.rows.append(task_row(
            status_date=status_date,
            project_code=project_code,
            task_code=code,
            parent_task_code=parents[id(t)],
            task_name=(v.get("Name") or "").strip() or None,
            is_milestone=v.get("Milestone") == "1",
            ev_method="percent_complete",
            baseline_start=base["Start"],
            baseline_finish=base["Finish"],
            baseline_cost=base["Cost"],
            percent_complete=float(pct) if pct is not None else None,
            actual_start=parsed["ActualStart"],
            actual_finish=parsed["ActualFinish"],
            forecast_finish=None if finished else parsed["Finish"],
            baseline_version=version,
            actual_cost=parsed["ActualCost"],
            remaining_cost=parsed["RemainingCost"],
            source_row=line,
        ))

    if kept and n_planned == len(kept):
        warnings.append(
            f"{name}: no task has {slot_label} (baseline slot {slot}): the current Start, Finish "
            "and Cost are used as the baseline (baseline_version 'planned')"
        )
    elif n_planned:
        warnings.append(
            f"{name}: {n_planned} task(s) have no {slot_label} (baseline slot {slot}): their current "
            "Start, Finish and Cost are used (baseline_version 'planned')"
        )
    if n_partial:
        warnings.append(
            f"{name}: {n_partial} task(s) have an incomplete {slot_label}: the missing "
            f"{', '.join(sorted(fallback_fields))} are taken from the current plan "
            f"(baseline_version '{slot_label}+planned')"
        )
    return result
