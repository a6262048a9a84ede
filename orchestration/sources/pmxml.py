"""Reader of Primavera P6 XML exports (PMXML): canonical ``tasks`` (one per activity) and ``projects``.

PMXML is what P6 Professional / EPPM write for "Export > Primavera PM/EPPM XML"::

    <APIBusinessObjects xmlns="http://xmlns.oracle.com/Primavera/P6Professional/V20.12/API/BusinessObjects">
      <Currency>...</Currency>                      global data: currencies, calendars, resources ...
      <Project>                                     one per exported project
        <Id>BaselineCosts</Id> <DataDate>2023-10-06T00:00:00</DataDate> ...
        <CurrentBaselineProjectObjectId>5493</CurrentBaselineProjectObjectId>
        <WBS>...</WBS> <Activity>...</Activity> <ResourceAssignment>...</ResourceAssignment>
        <ActivityExpense>...</ActivityExpense>
      </Project>
      <BaselineProject>...</BaselineProject>        zero or more: the same layout, a frozen copy
    </APIBusinessObjects>

The file is streamed with expat (stdlib), so every activity keeps the line its ``<Activity>`` starts on
(``_source_row``), every value the line of its own element, and a truncated file keeps what was complete.

Traps, for the next engineer (docs/input-formats.md §1.2, §4; the real file ``shared/samples/p6xml``):

* **The only P6 export that carries baselines.**  A ``<BaselineProject>`` is a full copy of the project as
  it was when baselined (its own ObjectIds; ``OriginalProjectObjectId`` names the project it copies).
  Baseline start / finish / cost of an activity are the *planned* values of the activity with the same
  ``Id`` in the chosen baseline project, and ``baseline_version`` is that baseline project's ``Name``.
  Which baseline: option ``baseline`` (its ObjectId, Name or Id); else the project's
  ``CurrentBaselineProjectObjectId`` when that baseline is in the file; else the first baseline of the
  project in the file (with a warning).  Without any baseline, the activity's own planned values are the
  baseline, ``baseline_version = 'planned'`` (P6 itself does this for "<Current Project>").  Activities
  added since the baseline keep their own planned values (``'planned'``, counted in a warning); activities
  dropped since are listed in a warning.  A baseline activity with damaged values gives no baseline values
  (warning), so it falls back to the planned values rather than carry a wrong baseline.
* **Costs live in ResourceAssignment and ActivityExpense, not Activity.**  P6 does not write all of the
  Activity cost fields (the sample's activity has PlannedLaborCost and PlannedNonLaborCost but no material
  or expense cost, although it has both), so per activity, like MPXJ: planned = Σ ``PlannedCost``,
  actual = Σ ``ActualCost`` (an assignment without it: ``ActualRegularCost + ActualOvertimeCost``),
  remaining = Σ ``RemainingCost`` over its ResourceAssignment and ActivityExpense elements.  MPXJ's task
  "cost" is actual + remaining.  Proven against BaselineProjects.xml (SOURCES.md): cost 8,207, actual 698,
  planned 23,452; the current baseline (B2, ObjectId 5493) gives 7,503, baseline B1 gives 4,341.  Only an
  activity with no assignment and no expense at all falls back to its own Planned/Actual/Remaining
  {Labor,NonLabor,Material,Expense}Cost fields (other tools write PMXML that way; P6 writes zeros there).
  A damaged cost element quarantines the activity it belongs to (its cost would be understated), naming
  that element's line; a cost element of no known activity is an error (that cost is missing).
* **Percentages are fractions**: ``<PercentComplete>1</PercentComplete>`` is 100 %, 0.896 is 89.6 %.  A
  value outside 0-1 is quarantined (a writer that put 25 for 25 % would otherwise read as 2,500 %).
* **Percent complete by the activity's ``PercentCompleteType``** (blank: the project's
  ``ActivityDefaultPercentCompleteType``, else Duration), as in the XER reader: ``Physical`` ->
  ``PhysicalPercentComplete``; ``Duration`` -> ``DurationPercentComplete``, else derived as
  (PlannedDuration - RemainingDuration) / PlannedDuration, clamped to 0-100 (a zero-duration activity is
  100 when complete, else 0); ``Units`` -> ``UnitsPercentComplete``, else actual / (actual + remaining)
  labour + nonlabour units; ``Scope`` -> ``ScopePercentComplete``.
* **Data date** = ``Project/DataDate`` (the option ``status_date`` overrides it).  Without either, an error
  names the project and its activities are quarantined.  Dates are ``YYYY-MM-DDTHH:MM:SS``; only the date
  is kept.  Empty values are ``<X xsi:nil="true"/>``.
* **project_code** = ``Project/Id`` (option ``project_code``: a code for the single project, or a mapping
  ``{Id: code}``); ``project_name`` = ``Name``.  **task_code** = ``Activity/Id``; ObjectIds are database
  keys that differ between a project and its baselines, so they only link elements inside one project.
* **Activities only**: WBS elements are never emitted; ``parent_task_code`` is the activity's WBS path
  below the project node (``Code``s joined with ``WBSCodeSeparator``), blank for activities on the project
  node; a WBS path equal to an activity code of the project is left blank (warning).  Milestones are
  ``Type`` Start/Finish Milestone; ``ev_method`` is ``loe`` for Level of Effort, else ``percent_complete``.
* **Currency**: costs are in the database's base currency: the ``Currency`` named by
  ``GlobalPreferences/BaseCurrencyObjectId``, else the one ``Currency`` with ExchangeRate 1 (else the
  ``DisplayCurrency`` if its rate is 1); else option ``currency`` (default GBP) with a warning.
* ``forecast_finish`` = ``RemainingEarlyFinishDate`` (else ``FinishDate``) of unfinished activities.
* P6 writes characters XML forbids (control characters, ``&#0;`` after HTML notes): they are dropped
  with a warning before parsing (line numbers are unchanged).  An XML declaration naming an encoding
  expat lacks (``windows-1252`` ...) is decoded by Python instead.  A malformed or truncated file adds an error
  naming the line and column; activities of a project whose element is cut off are quarantined (its cost
  elements come after its activities, so their cost is unknown), and a baseline project that is cut off is
  not used.

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
from orchestration.sources.schedule_common import (
    PlannedValues,
    clamp_percent,
    date_option,
    duration_percent,
    file_currency,
    is_unit_rate,
    task_row,
    units_percent,
    wbs_collision_warning,
    wbs_paths,
)
from orchestration.sources.toolkit import QuarantineRecord, ReaderError, check_options

FORMAT = "p6-xml"
NAMESPACE_PREFIX = "http://xmlns.oracle.com/Primavera/"
ROOT = "APIBusinessObjects"
_OPTIONS = {"status_date", "baseline", "project_code", "currency"}
_DETECT_RE = re.compile(
    r"<(?:\w+:)?APIBusinessObjects\b[^>]*\sxmlns(?::\w+)?\s*=\s*[\"']http://xmlns\.oracle\.com/Primavera/P6")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?$")
_BAD_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CHAR_REF = re.compile(rb"&#(?:x([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_ZERO = Decimal(0)
_DECL_ENC = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}

_PROJECT_KINDS = ("Project", "BaselineProject")
_CHILD_KINDS = ("Activity", "ResourceAssignment", "ActivityExpense", "WBS")
_MILESTONES = {"Start Milestone", "Finish Milestone"}
_ACT_DATES = ("PlannedStartDate", "PlannedFinishDate", "ActualStartDate", "ActualFinishDate",
              "RemainingEarlyFinishDate", "FinishDate")
_ACT_NUMBERS = ("PlannedDuration", "RemainingDuration", "ActualLaborUnits", "ActualNonLaborUnits",
                "RemainingLaborUnits", "RemainingNonLaborUnits")
_PERCENTS = {"Physical": "PhysicalPercentComplete", "Duration": "DurationPercentComplete",
             "Units": "UnitsPercentComplete", "Scope": "ScopePercentComplete"}
_COST_KINDS = ("Labor", "NonLabor", "Material", "Expense")


# --------------------------------------------------------------------------------------------- detect

def detect(path: Path, head: bytes) -> bool:
    """True when ``head`` is XML whose root ``APIBusinessObjects`` is in Oracle's Primavera P6 namespace."""
    return xml_head_matches(head, _DETECT_RE)


# ------------------------------------------------------------------------------------------- parsing

@dataclass
class _Rec:
    """One element of interest: its direct leaf children as text, each with its own line."""

    kind: str
    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass
class _Proj(_Rec):
    closed: bool = False
    activities: list[_Rec] = field(default_factory=list)
    assignments: list[_Rec] = field(default_factory=list)
    expenses: list[_Rec] = field(default_factory=list)
    wbs: list[_Rec] = field(default_factory=list)


class _Collector:
    """expat handlers: projects, baselines, their activities / cost elements / WBS, and currencies."""

    def __init__(self, parser):
        self.parser = parser
        self.root: tuple[str, str] | None = None      # (namespace, local name)
        self.root_line = 1
        self.projects: list[_Proj] = []
        self.currencies: list[_Rec] = []
        self.display_currency: _Rec | None = None
        self.prefs: _Rec | None = None
        self.orphans: dict[str, list[int]] = {}
        # stack of (local name, record opened by this element or None, is a captured field)
        self.stack: list[tuple[str, _Rec | None, bool]] = []
        self.text: list[str] | None = None
        self.field_line = 0

    @staticmethod
    def _split(tag: str) -> tuple[str, str]:
        ns, sep, local = tag.rpartition("}")
        return (ns, local) if sep else ("", tag)

    def start(self, tag: str, attrs) -> None:
        ns, local = self._split(tag)
        line = self.parser.CurrentLineNumber
        depth = len(self.stack)
        if depth == 0:
            self.root = (ns, local)
            self.root_line = line
            self.stack.append((local, None, False))
            return
        if self.root is None or self.root[1] != ROOT:
            self.stack.append((local, None, False))
            return
        parent_name, parent_rec, parent_is_field = self.stack[-1]
        if parent_is_field:
            # The "field" has children (UDF, Code ...): not a value; drop it.
            self.text = None
        rec: _Rec | None = None
        if depth == 1:
            if local in _PROJECT_KINDS:
                rec = _Proj(local, line)
                self.projects.append(rec)
            elif local in ("Currency", "GlobalPreferences"):
                rec = _Rec(local, line)
            elif local == "DisplayCurrency":
                self.stack.append((local, None, False))
                return
            elif local in _CHILD_KINDS:
                self.orphans.setdefault(local, []).append(line)
        elif depth == 2 and parent_name == "DisplayCurrency" and local == "Currency":
            rec = _Rec("DisplayCurrency", line)
        elif depth == 2 and isinstance(parent_rec, _Proj) and local in _CHILD_KINDS:
            rec = _Rec(local, line)
        if rec is not None:
            self.stack.append((local, rec, False))
            return
        if parent_rec is not None and not parent_is_field:
            self.text = []
            self.field_line = line
            self.stack.append((local, parent_rec, True))
            return
        self.stack.append((local, None, False))

    def end(self, tag: str) -> None:
        local, rec, is_field = self.stack.pop()
        if is_field:
            if self.text is not None and rec is not None and local not in rec.values:
                rec.values[local] = "".join(self.text).strip()
                rec.lines[local] = self.field_line
            self.text = None
            return
        if rec is None:
            return
        depth = len(self.stack)
        if isinstance(rec, _Proj):
            rec.closed = True
        elif depth == 1 and rec.kind == "Currency":
            self.currencies.append(rec)
        elif rec.kind == "DisplayCurrency":
            self.display_currency = rec
        elif rec.kind == "GlobalPreferences":
            self.prefs = rec
        elif depth == 2:
            proj = self.stack[-1][1]
            if isinstance(proj, _Proj):
                {"Activity": proj.activities, "ResourceAssignment": proj.assignments,
                 "ActivityExpense": proj.expenses, "WBS": proj.wbs}[rec.kind].append(rec)

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


# ------------------------------------------------------------------------------------------ helpers

_CellError = CellError
_decimal = parse_decimal


def _date(raw: str) -> date | None:
    return parse_date(raw, _DATE_RE, "a P6 XML date (YYYY-MM-DDTHH:MM:SS)")


def _fraction(raw: str) -> float | None:
    d = _decimal(raw)
    if d is None:
        return None
    if d < 0 or d > Decimal("1.000001"):
        raise _CellError("not a fraction 0-1 (P6 XML writes 25 % as 0.25)")
    return float(d)


def _quarantine(out: list, name: str, rec: _Rec, label: str, problems: list[tuple[str, str | None, int, str]]
                ) -> None:
    """One quarantine record for ``rec``; problems are (element, value, line, why)."""
    cols = ", ".join(p[0] for p in problems)
    values = " | ".join("" if p[1] is None else p[1] for p in problems)
    detail = "; ".join(f"line {p[2]}, element {p[0]}" + (f" {p[1]!r}" if p[1] else "") + f": {p[3]}"
                       for p in problems)
    out.append(QuarantineRecord(rec.line, cols, values, f"{name}: line {rec.line} ({label}): {detail}",
                                dict(rec.values)))


@dataclass
class _Costs:
    planned: Decimal = _ZERO
    actual: Decimal = _ZERO
    remain: Decimal = _ZERO


def _costs(proj: _Proj, name: str, errors: list[str]
           ) -> tuple[dict[str, _Costs], dict[str, tuple[str, str | None, int, str]], set[str]]:
    """ObjectId -> summed costs of its ResourceAssignment and ActivityExpense elements.

    Returns (costs, tainted: ObjectId -> (element, value, line, why), ObjectIds that have any cost element).
    """
    ids = {a.get("ObjectId") for a in proj.activities}
    costs: dict[str, _Costs] = {}
    tainted: dict[str, tuple[str, str | None, int, str]] = {}
    has: set[str] = set()
    strays: list[str] = []
    for kind, recs in (("ResourceAssignment", proj.assignments), ("ActivityExpense", proj.expenses)):
        for r in recs:
            aid = r.get("ActivityObjectId")
            if aid not in ids:
                strays.append(f"{kind} at line {r.line} (ActivityObjectId {aid or '-'})")
                continue
            has.add(aid)
            c = costs.setdefault(aid, _Costs())
            col = ""
            try:
                col = "PlannedCost"
                c.planned += _decimal(r.get(col)) or _ZERO
                if "ActualCost" in r.values and r.get("ActualCost") != "":
                    col = "ActualCost"
                    c.actual += _decimal(r.get(col)) or _ZERO
                else:
                    for col in ("ActualRegularCost", "ActualOvertimeCost"):
                        c.actual += _decimal(r.get(col)) or _ZERO
                col = "RemainingCost"
                c.remain += _decimal(r.get(col)) or _ZERO
            except _CellError as exc:
                tainted.setdefault(aid, (f"{kind}/{col}", r.get(col), r.line_of(col),
                                         f"{exc}; this activity's cost is unknown"))
    if strays:
        errors.append(f"{name}: {proj.kind} {proj.get('Id') or proj.get('ObjectId') or '?'} (line {proj.line}): "
                      f"{len(strays)} cost element(s) belong to no activity of the project, so their cost is "
                      f"missing from the output: {', '.join(strays)}")
    return costs, tainted, has


def _own_costs(act: _Rec) -> tuple[_Costs | None, tuple[str, str, int, str] | None]:
    """An activity's own cost fields (used only when it has no cost element at all)."""
    c = _Costs()
    seen = False
    for prefix, attr in (("Planned", "planned"), ("Actual", "actual"), ("Remaining", "remain")):
        for kind in _COST_KINDS:
            col = f"{prefix}{kind}Cost"
            try:
                d = _decimal(act.get(col))
            except _CellError as exc:
                return None, (col, act.get(col), act.line_of(col), str(exc))
            if d is not None:
                seen = True
                setattr(c, attr, getattr(c, attr) + d)
    return (c if seen else None), None


def _pmxml_wbs_paths(proj: _Proj, sep: str) -> dict[str, str]:
    """WBS ObjectId -> path of Codes below the project node (the project's ``WBSObjectId``)."""
    root = proj.get("WBSObjectId")
    nodes = {w.get("ObjectId"): w for w in proj.wbs if w.get("ObjectId")}
    return wbs_paths(nodes, parent_of=lambda i: nodes[i].get("ParentObjectId"),
                     code_of=lambda i: nodes[i].get("Code"), is_root=lambda i: i == root, sep_of=lambda i: sep)


def _pmxml_base_currency(col: _Collector) -> str | None:
    """The Currency named by GlobalPreferences/BaseCurrencyObjectId, else the one with ExchangeRate 1, else
    the DisplayCurrency if its rate is 1."""
    if col.prefs is not None and col.prefs.get("BaseCurrencyObjectId"):
        for c in col.currencies:
            if c.get("ObjectId") == col.prefs.get("BaseCurrencyObjectId") and c.get("Id"):
                return c.get("Id")

    def is_base(c: _Rec) -> bool:
        return is_unit_rate(c.get("ExchangeRate"), blank=False)
    cands = [c.get("Id") for c in col.currencies if is_base(c) and c.get("Id")]
    disp = col.display_currency
    disp_id = disp.get("Id") if disp is not None and is_base(disp) else None
    if len(cands) == 1:
        return cands[0]
    if disp_id and (not cands or disp_id in cands):
        return disp_id
    return None


def _baseline_values(bp: _Proj, name: str, errors: list[str], warnings: list[str]) -> dict[str, PlannedValues]:
    """Activity Id -> planned dates and cost of a baseline project (damaged activities left out)."""
    costs, tainted, has = _costs(bp, name, errors)
    out: dict[str, PlannedValues] = {}
    skipped: list[str] = []
    for a in bp.activities:
        code = a.get("Id")
        try:
            start = _date(a.get("PlannedStartDate"))
            finish = _date(a.get("PlannedFinishDate"))
        except _CellError:
            start = finish = None
        oid = a.get("ObjectId")
        cost = costs.get(oid)
        bad = oid in tainted
        if oid not in has:
            cost, problem = _own_costs(a)
            bad = bad or problem is not None
        if not code or start is None or finish is None or bad:
            skipped.append(f"{code or '?'} (line {a.line})")
            continue
        out.setdefault(code, PlannedValues(start, finish, cost.planned if cost else _ZERO))
    if skipped:
        warnings.append(f"{name}: baseline {bp.get('Name') or bp.get('Id')!r}: {len(skipped)} activities are "
                        f"unusable (damaged or missing dates or costs) and give no baseline values: "
                        f"{', '.join(skipped)}")
    return out


def _xml_char_ok(cp: int) -> bool:
    return (cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD
            or 0x10000 <= cp <= 0x10FFFF)


def _clean(raw: bytes) -> tuple[bytes, int]:
    """Drop raw control characters and character references XML 1.0 forbids (P6 writes both)."""
    data, n = _BAD_BYTES.subn(b"", raw)
    dropped = 0

    def ref(m: re.Match) -> bytes:
        nonlocal dropped
        cp = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        if _xml_char_ok(cp):
            return m.group(0)
        dropped += 1
        return b""
    data = _CHAR_REF.sub(ref, data)
    return data, n + dropped


def _recode(data: bytes, name: str, warnings: list[str]) -> tuple[bytes, str | None]:
    """Re-encode as UTF-8 a file whose XML declaration names an encoding expat does not know
    (``windows-1252`` ...); returns the bytes and the encoding to force on the parser (or None)."""
    m = _DECL_ENC.match(data)
    if not m:
        return data, None
    declared = m.group(1).decode("ascii").lower()
    if declared.replace("_", "-") in _EXPAT_ENCODINGS:
        return data, None
    try:
        text = data.decode(declared)
    except LookupError:
        return data, None          # expat reports the unknown encoding as a parse error
    except UnicodeDecodeError as exc:
        warnings.append(f"{name}: not valid {declared} at byte {exc.start}; undecodable bytes replaced")
        text = data.decode(declared, errors="replace")
    return text.encode("utf-8"), "UTF-8"


# ---------------------------------------------------------------------------------------------- read

def read(path: Path | str, **options) -> SourceResult:
    """Read a Primavera P6 XML (PMXML) export into canonical ``tasks`` and ``projects`` rows.

    Options:

    * ``status_date`` (date or 'YYYY-MM-DD'): use it instead of each project's ``DataDate``.
    * ``baseline``: the ``<BaselineProject>`` to take baseline dates and costs from, by its ObjectId,
      Name or Id; default: the project's ``CurrentBaselineProjectObjectId`` if that baseline is in the file,
      else the project's first baseline in the file.  ``False`` or ``'planned'``: ignore the file's
      baselines and use planned values (``baseline_version 'planned'``).
    * ``project_code``: a code for the single project of the file, or a mapping ``{Project Id: code}``.
    * ``currency``: used when the file names no base currency; default ``'GBP'``, with a warning.

    Only a missing file raises (``ReaderError``); an unknown option ``TypeError``, a bad option value
    ``ValueError``.  Bad content
    never does: damaged activities are quarantined naming the file, the activity's line and each bad
    element with its own line; a malformed or truncated file adds an error naming the line and column.
    """
    check_options(options, _OPTIONS, "pmxml.read")
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    name = path.name
    raw = path.read_bytes()
    result = SourceResult(FORMAT, path, hashlib.sha256(raw).hexdigest())
    tasks_out = result.entity("tasks")
    projects_out = result.entity("projects")
    errors, warnings = result.errors, result.warnings

    opt_status = options.get("status_date")
    if opt_status is not None:
        opt_status = date_option(opt_status, "status_date")

    # Parse ------------------------------------------------------------------------------------------
    data = raw
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data, n_bad = _clean(raw)
        if n_bad:
            warnings.append(f"{name}: {n_bad} character(s) that XML does not allow (control characters, "
                            "&#0; ...) were dropped before reading")
    data, override = _recode(data, name, warnings)
    parser = xml.parsers.expat.ParserCreate(override, namespace_separator="}")
    col = _Collector(parser)
    parser.StartElementHandler = col.start
    parser.EndElementHandler = col.end
    parser.CharacterDataHandler = col.chars
    parser.buffer_text = True
    parse_error: str | None = None
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        parse_error = (f"line {exc.lineno}, column {exc.offset + 1}: "
                       f"{xml.parsers.expat.ErrorString(exc.code)}")
    except LookupError as exc:     # an encoding neither expat nor Python knows
        parse_error = f"line 1: {exc}"
    if col.root is None:
        errors.append(f"{name}: no XML root element" + (f" ({parse_error})" if parse_error else "")
                      + ": not a P6 XML file")
        return result
    ns, local = col.root
    if local != ROOT:
        errors.append(f"{name}: line {col.root_line}: the root element is <{local}>, not <{ROOT}>: "
                      "not a P6 XML (PMXML) file")
        return result
    if not ns.startswith(NAMESPACE_PREFIX):
        warnings.append(f"{name}: the root element's namespace is {ns or 'empty'!r}, not Primavera's "
                        f"({NAMESPACE_PREFIX}...); read as P6 XML anyway")
    if parse_error:
        errors.append(f"{name}: malformed or truncated XML at {parse_error}; only the elements complete "
                      "before it are read")
    for kind, lines in col.orphans.items():
        warnings.append(f"{name}: {len(lines)} <{kind}> element(s) outside any <Project> ignored "
                        f"(line {', '.join(map(str, lines[:5]))}{' ...' if len(lines) > 5 else ''})")

    projects = [p for p in col.projects if p.kind == "Project"]
    baselines = [p for p in col.projects if p.kind == "BaselineProject"]
    if not projects:
        errors.append(f"{name}: no <Project> element: the file holds no project to read"
                      + (f" (only {len(baselines)} baseline project(s))" if baselines else ""))
        return result

    # Currency -----------------------------------------------------------------------------------------
    currency = file_currency(_pmxml_base_currency(col), options.get("currency"), name,
                             "the file names no base currency (no <Currency> with ExchangeRate 1)", warnings)

    # Baselines per project ---------------------------------------------------------------------------
    chosen = _choose_baselines(projects, baselines, options, name, errors, warnings, parse_error is not None)

    # Projects and their activities ----------------------------------------------------------------------
    override = options.get("project_code")
    if override and not isinstance(override, dict) and len(projects) > 1:
        warnings.append(f"{name}: option project_code={override!r} ignored: the file holds {len(projects)} "
                        "projects (pass a mapping {Project Id: code})")
    codes_used: dict[str, int] = {}
    for p in projects:
        pid = p.get("Id")
        if isinstance(override, dict):
            code = str(override.get(pid, pid)).strip()
        elif override and len(projects) == 1:
            code = str(override).strip()
        else:
            code = pid
        label = f"Project {pid or '?'}"
        if not code:
            errors.append(f"{name}: line {p.line}: a <Project> without <Id>: its {len(p.activities)} "
                          "activities are quarantined (pass project_code= to name it)")
            for a in p.activities:
                _quarantine(tasks_out.quarantine, name, a, f"Activity {a.get('Id') or '?'}",
                            [("Project/Id", None, p.line, "the project has no Id")])
            continue
        if code in codes_used:
            errors.append(f"{name}: line {p.line}: project code {code!r} repeats the project at line "
                          f"{codes_used[code]}; its activities are quarantined")
            for a in p.activities:
                _quarantine(tasks_out.quarantine, name, a, f"Activity {a.get('Id') or '?'}",
                            [("Project/Id", code, p.line,
                              f"project code repeats the project at line {codes_used[code]}")])
            continue
        codes_used[code] = p.line
        _project_row(p, code, currency, name, projects_out)

        # Status date
        status: date | None = opt_status
        status_problem: tuple[str | None, int, str] | None = None
        if status is None:
            try:
                status = _date(p.get("DataDate"))
            except _CellError as exc:
                status_problem = (p.get("DataDate"), p.line_of("DataDate"), f"Project/DataDate: {exc}")
            if status is None and status_problem is None:
                why = "the project has no data date (Project/DataDate is blank or absent) and no status_date " \
                      "option was given"
                status_problem = (None, p.line, why)
        if status_problem is not None:
            errors.append(f"{name}: {label} (line {p.line}): {status_problem[2]}; its {len(p.activities)} "
                          "activities are quarantined")
        if not p.closed:
            errors.append(f"{name}: {label} (line {p.line}) is cut off before its end: its "
                          f"{len(p.activities)} activities read are quarantined (their ResourceAssignment / "
                          "ActivityExpense elements, which follow them, may be missing)")
        _pmxml_tasks(p, code, status, status_problem, chosen.get(id(p)), name, warnings, errors,
                     tasks_out.rows, tasks_out.quarantine)
    tasks_out.quarantine.sort(key=lambda q: q.source_row)
    return result


def _project_row(p: _Proj, code: str, currency: str, name: str, projects_out) -> None:
    row = {"project_code": code, "project_name": p.get("Name") or p.get("Id") or code,
           "currency": currency, "status": "active"}
    problems = []
    for out_col, cols in (("start_date", ("PlannedStartDate", "StartDate")),
                          ("planned_finish_date", ("ScheduledFinishDate", "FinishDate"))):
        row[out_col] = None
        for c in cols:
            try:
                d = _date(p.get(c))
            except _CellError as exc:
                problems.append((f"Project/{c}", p.get(c), p.line_of(c), str(exc)))
                break
            if d is not None:
                row[out_col] = d
                break
    if problems:
        _quarantine(projects_out.quarantine, name, p, f"Project {p.get('Id') or '?'}", problems)
        return
    row["_source_row"] = p.line
    projects_out.rows.append(row)


def _choose_baselines(projects: list[_Proj], baselines: list[_Proj], options: dict, name: str,
                      errors: list[str], warnings: list[str], damaged: bool
                      ) -> dict[int, tuple[str, dict[str, PlannedValues]]]:
    """id(project) -> (baseline_version, activity Id -> planned values of the chosen baseline)."""
    def label(b: _Proj) -> str:
        return b.get("Name") or b.get("Id") or b.get("ObjectId") or f"line {b.line}"

    def owner(b: _Proj) -> _Proj | None:
        orig = b.get("OriginalProjectObjectId")
        if orig:
            return next((p for p in projects if p.get("ObjectId") == orig), None)
        return projects[0] if len(projects) == 1 else None

    per_project: dict[int, list[_Proj]] = {}
    unowned: list[str] = []
    for b in baselines:
        p = owner(b)
        if p is None:
            unowned.append(label(b))
        else:
            per_project.setdefault(id(p), []).append(b)
    if unowned:
        warnings.append(f"{name}: baseline project(s) {', '.join(unowned)} belong to no <Project> of the file "
                        "(OriginalProjectObjectId) and are not used")

    picks: dict[int, _Proj] = {}
    opt = options.get("baseline")
    if opt is False or (isinstance(opt, str) and opt.strip().lower() == "planned"):
        return {}
    if opt is not None and opt != "":
        want = str(opt).strip()
        matches = [b for b in baselines if want in (b.get("ObjectId"), b.get("Name"), b.get("Id"))]
        if not matches:
            avail = ", ".join(f"{b.get('ObjectId') or '?'} ({label(b)!r})" for b in baselines) or "none"
            errors.append(f"{name}: option baseline={opt!r} names no <BaselineProject> of the file (baselines: "
                          f"{avail}); planned values are used as the baseline (baseline_version 'planned')")
            return {}
        for b in matches:
            p = owner(b)
            if p is not None:
                picks.setdefault(id(p), b)
        if not picks:
            errors.append(f"{name}: option baseline={opt!r}: that baseline belongs to no <Project> of the file; "
                          "planned values are used as the baseline")
            return {}
    out: dict[int, tuple[str, dict[str, PlannedValues]]] = {}
    for p in projects:
        cands = per_project.get(id(p), [])
        pick = picks.get(id(p))
        current = p.get("CurrentBaselineProjectObjectId")
        if pick is None:
            pick = next((b for b in cands if b.get("ObjectId") == current), None) if current else None
        if pick is None and cands:
            pick = cands[0]
            if current and current != p.get("ObjectId"):
                warnings.append(f"{name}: project {p.get('Id')}: its current baseline (ObjectId {current}) is "
                                f"not in the file; the first baseline in the file, {label(pick)!r}, is used")
        if pick is None:
            if current and current != p.get("ObjectId") and p.closed:
                where = ("in the part of the file read before the damage" if damaged else "in the file")
                warnings.append(f"{name}: project {p.get('Id')} is assigned baseline project ObjectId {current}, "
                                f"which is not {where}; its planned dates and costs are used as the baseline "
                                "(baseline_version 'planned'). Export it with its baseline to read it.")
            continue
        if not pick.closed:
            errors.append(f"{name}: baseline {label(pick)!r} (line {pick.line}) is cut off before its end and is "
                          f"not used: project {p.get('Id')} gets its planned values as the baseline "
                          "(baseline_version 'planned')")
            continue
        out[id(p)] = (label(pick), _baseline_values(pick, name, errors, warnings))
    return out


def _pmxml_percent_complete(kind: str, f: dict[str, float | None], n: dict[str, Decimal | None], complete: bool
                            ) -> float:
    """Percent complete by the activity's PercentCompleteType (see the module docstring)."""
    if kind == "Physical":
        pct = (f["PhysicalPercentComplete"] or 0.0) * 100
    elif kind == "Scope":
        pct = (f["ScopePercentComplete"] or 0.0) * 100
    elif kind == "Units":
        if f["UnitsPercentComplete"] is not None:
            pct = f["UnitsPercentComplete"] * 100
        else:
            act = float((n["ActualLaborUnits"] or _ZERO) + (n["ActualNonLaborUnits"] or _ZERO))
            rem = float((n["RemainingLaborUnits"] or _ZERO) + (n["RemainingNonLaborUnits"] or _ZERO))
            pct = units_percent(act, rem, complete)
    else:  # Duration
        if f["DurationPercentComplete"] is not None:
            pct = f["DurationPercentComplete"] * 100
        else:
            pct = duration_percent(float(n["PlannedDuration"] or 0), float(n["RemainingDuration"] or 0), complete)
    return clamp_percent(pct)


def _pmxml_tasks(p: _Proj, code: str, status: date | None, status_problem, baseline, name: str,
                 warnings: list[str], errors: list[str], rows_out: list, quarantine_out: list) -> None:
    costs, tainted, has = _costs(p, name, errors)
    sep = p.get("WBSCodeSeparator") or "."
    parents = _pmxml_wbs_paths(p, sep)
    act_codes = {a.get("Id") for a in p.activities if a.get("Id")}
    default_kind = p.get("ActivityDefaultPercentCompleteType") or "Duration"
    seen: dict[str, int] = {}
    collisions: set[str] = set()
    own_cost_used = 0
    unbaselined = 0
    matched: set[str] = set()
    for a in p.activities:
        task_code = a.get("Id")
        label = f"Activity {task_code or '?'} of project {code}"
        if status_problem is not None:
            raw, line, why = status_problem
            _quarantine(quarantine_out, name, a, label, [("Project/DataDate", raw, line, why)])
            continue
        if not p.closed:
            _quarantine(quarantine_out, name, a, label,
                        [(p.kind, None, p.line,
                          "the file is cut off inside this project: the activity's cost elements may be missing")])
            continue
        if not task_code:
            _quarantine(quarantine_out, name, a, label, [("Id", "", a.line, "required value is blank")])
            continue
        if task_code in seen:
            _quarantine(quarantine_out, name, a, label,
                        [("Id", task_code, a.line_of("Id"),
                          f"activity Id repeats the activity at line {seen[task_code]} of project {code}")])
            continue
        oid = a.get("ObjectId")
        problems: list[tuple[str, str | None, int, str]] = []
        if oid in tainted:
            problems.append(tainted[oid])
        d: dict[str, date | None] = {}
        for c in _ACT_DATES:
            try:
                d[c] = _date(a.get(c))
            except _CellError as exc:
                problems.append((c, a.get(c), a.line_of(c), str(exc)))
        n: dict[str, Decimal | None] = {}
        for c in _ACT_NUMBERS:
            try:
                n[c] = _decimal(a.get(c))
            except _CellError as exc:
                problems.append((c, a.get(c), a.line_of(c), str(exc)))
        fr: dict[str, float | None] = {}
        for c in _PERCENTS.values():
            try:
                fr[c] = _fraction(a.get(c))
            except _CellError as exc:
                problems.append((c, a.get(c), a.line_of(c), str(exc)))
        kind = a.get("PercentCompleteType") or default_kind
        if kind not in _PERCENTS:
            problems.append(("PercentCompleteType", kind, a.line_of("PercentCompleteType"),
                             f"not one of {', '.join(_PERCENTS)}"))
        c_ = costs.get(oid)
        if oid not in has and oid not in tainted:
            c_, cost_problem = _own_costs(a)
            if cost_problem is not None:
                problems.append(cost_problem)
            elif c_ is not None and (c_.planned or c_.actual or c_.remain):
                own_cost_used += 1
        if problems:
            _quarantine(quarantine_out, name, a, label, problems)
            continue

        base_start, base_finish = d["PlannedStartDate"], d["PlannedFinishDate"]
        base_cost = c_.planned if c_ else _ZERO
        version = "planned"
        if baseline is not None:
            bver, bvalues = baseline
            planned = bvalues.get(task_code)
            if planned is not None:
                base_start, base_finish, base_cost = planned.start, planned.finish, planned.cost
                version = bver
                matched.add(task_code)
            else:
                unbaselined += 1
        missing = [c for c, v in (("PlannedStartDate", base_start), ("PlannedFinishDate", base_finish))
                   if v is None]
        if missing:
            _quarantine(quarantine_out, name, a, label,
                        [(c, "", a.line_of(c), "required value is blank (it is the baseline date)")
                         for c in missing])
            continue
        seen[task_code] = a.line

        parent = parents.get(a.get("WBSObjectId"), "") or None
        if parent is not None and parent in act_codes:
            collisions.add(parent)
            parent = None
        complete = d["ActualFinishDate"] is not None or a.get("Status") == "Completed"
        finished = d["ActualFinishDate"] is not None
        act_type = a.get("Type")
        rows_out.append(task_row(
            status_date=status,
            project_code=code,
            task_code=task_code,
            parent_task_code=parent,
            task_name=a.get("Name") or None,
            is_milestone=act_type in _MILESTONES,
            ev_method="loe" if act_type == "Level of Effort" else "percent_complete",
            baseline_start=base_start,
            baseline_finish=base_finish,
            baseline_cost=base_cost,
            percent_complete=_pmxml_percent_complete(kind, fr, n, complete),
            actual_start=d["ActualStartDate"],
            actual_finish=d["ActualFinishDate"],
            forecast_finish=None if finished else (d["RemainingEarlyFinishDate"] or d["FinishDate"]),
            baseline_version=version,
            actual_cost=c_.actual if c_ else _ZERO,
            remaining_cost=c_.remain if c_ else _ZERO,
            source_row=a.line,
        ))

    if collisions:
        warnings.append(wbs_collision_warning(name, code, collisions))
    if own_cost_used:
        warnings.append(f"{name}: project {code}: {own_cost_used} activities have no ResourceAssignment or "
                        "ActivityExpense; their own Planned/Actual/Remaining cost fields are used")
    if baseline is not None:
        bver, bvalues = baseline
        if unbaselined:
            warnings.append(f"{name}: project {code}: {unbaselined} activities are not in baseline {bver!r}; "
                            "their own planned dates and costs are used (baseline_version 'planned')")
        dropped = sorted(set(bvalues) - matched - act_codes)
        if dropped:
            warnings.append(f"{name}: project {code}: {len(dropped)} activities of baseline {bver!r} are no "
                            f"longer in the schedule (dropped scope): {', '.join(dropped)}")
