"""Reader of Primavera P6 XER exports: canonical ``tasks`` (one per activity) and ``projects``.

An XER file is a dump of P6 database tables in one text file::

    ERMHDR  <version> <export date> Project <user> ... <currency>     line 1 (tab separated)
    %T  TASK                                                           a table starts
    %F  task_id  proj_id  wbs_id  ...                                  its column names
    %R  101717   4507     26010   ...                                  one row each
    ...
    %E                                                                 end of file

Traps, for the next engineer (docs/input-formats.md §1.1 and the real files in ``shared/samples/xer``):

* **Encoding is Windows-1252**, not UTF-8 (the £ of CURRTYPE is byte 0xA3).  The reader uses UTF-8 only when
  the whole file is valid UTF-8 (some non-P6 tools write it), else cp1252; the bytes cp1252 leaves undefined
  (0x81, 0x8D, 0x8F, 0x90, 0x9D) are kept as the Latin-1 character with a warning.  ``encoding=`` forces one.
  Line ends are CRLF from P6, LF after git.  Free text never holds a raw newline (P6 writes 0x7F 0x7F), so
  the file is split on ``\\n`` only - never ``str.splitlines``, which also splits on \\x0b, \\x1c, \\x85 ...
* **Map columns by the ``%F`` names, never by position**: every P6 version adds columns.  A ``%R`` row with
  more or fewer cells than its ``%F`` line is quarantined (never padded) naming the line.
* **One file, several projects**: every PROJECT row is a project; TASK rows carry its ``proj_id``.
* **Data date** = ``PROJECT.last_recalc_date`` (the status date; the option ``status_date`` overrides it).
  Dates are ``YYYY-MM-DD HH:MM``; only the date is kept.
* **Activities only.**  WBS nodes (PROJWBS) are never emitted as tasks (MPXJ makes 6,260 "tasks" of the HS2
  file's 3,994 activities by adding them).  ``parent_task_code`` is the activity's WBS path *below* the
  project node, joined with PROJECT.name_sep_char ('.'), e.g. ``1.2.3``; blank for activities hanging
  straight off the project node.  No emitted task is ever the parent of another, so nothing is double
  counted.  Should a WBS path equal an activity code of the same project, the parent is left blank (with a
  warning) so the warehouse never mistakes that activity for a summary.
* **Percent complete is stored for one type only.**  ``phys_complete_pct`` is the physical %; the duration
  % and units % P6 shows are derived (as P6 and MPXJ do), chosen by the activity's ``complete_pct_type``:

  - ``CP_Phys``  -> ``phys_complete_pct``;
  - ``CP_Drtn``  -> (target_drtn_hr_cnt - remain_drtn_hr_cnt) / target_drtn_hr_cnt x 100, clamped to
    0-100 (remaining > original, as on a slipping active activity, gives 0); a zero-duration activity
    (milestone) is 100 when complete, else 0;
  - ``CP_Units`` -> actual / (actual + remaining) units, labour + nonlabour, from the activity's
    ``act_work_qty + act_equip_qty`` and ``remain_work_qty + remain_equip_qty`` (P6's definition, the one
    percent-complete-8.4.xer shows); when the activity has no such columns or both are zero, from its
    TASKRSRC rows (``act_reg_qty + act_ot_qty`` over that plus ``remain_qty``, material resources
    excluded); no units at all -> 100 when complete, else 0.
* **Costs live in TASKRSRC and PROJCOST, not TASK.**  Per activity: ``baseline_cost`` = sum of TASKRSRC
  ``target_cost`` + PROJCOST ``target_cost``; ``actual_cost`` = TASKRSRC ``act_reg_cost + act_ot_cost`` +
  PROJCOST ``act_cost``; ``remaining_cost`` = TASKRSRC + PROJCOST ``remain_cost``.  All are in the file's
  base currency (the CURRTYPE row whose ``base_exch_rate`` is 1 or blank).  A damaged TASKRSRC/PROJCOST
  row quarantines the activity it belongs to (its cost would be understated), naming that row's line.
* **No baselines in XER.**  ``PROJECT.sum_base_proj_id`` only points at a baseline project, which is not
  exported (the HS2 file points at 599).  Without ``baseline_path`` the planned (``target_*``) dates and
  cost are the baseline, ``baseline_version`` = ``'target'`` (P6 does the same for "<Current Project>").
  With ``baseline_path`` (a separate XER export of the baseline project) baseline dates and costs come
  from that file's planned values, matched by ``task_code``; ``baseline_version`` = the baseline project's
  ``proj_short_name``.  Activities added since the baseline keep their own planned values, marked
  ``baseline_version='target'``, and a warning counts them; activities dropped since are listed in a warning.
* Each P6 export of a project has its own ``proj_short_name`` (the real pair is ``BL-54069-B2-20250902`` /
  ``UP-54069-20260122``), so monthly exports of "one" project look like different projects: pass
  ``project_code=`` to file them under one code.
* ``forecast_finish`` = ``early_end_date`` (else ``reend_date``) for unfinished activities, blank for finished
  ones (P6 sets a finished activity's early dates to the data date).
* ``ev_method`` is ``percent_complete``, except level-of-effort activities (``TT_LOE``): ``loe``.
* A file without ``%E`` is truncated: rows read so far are kept, an error names the last line, and a last
  line cut mid-row is quarantined.  ``.gz`` files (the HS2 sample) are decompressed transparently.
* An unknown table is ignored with a warning; known tables this reader does not need (TASKPRED, CALENDAR,
  UDFVALUE ...) are skipped silently and not validated.

Public API: :func:`detect`, :func:`read` (see its docstring for the options).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from orchestration.sources.cells import CellError, bom_encoding, decode_bom, head_text, parse_date, parse_decimal
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

FORMAT = "p6-xer"

#: Tables a P6 XER export may contain (P6 8.x - 23.x).  Anything else is warned about and ignored.
KNOWN_TABLES = frozenset(
    [
        "ACCOUNT",
        "ACTVCODE",
        "ACTVTYPE",
        "APPLYACTOPTIONS",
        "ASGNMNTACAT",
        "ASGNMNTCAT",
        "BUDGCHNG",
        "CALENDAR",
        "COSTTYPE",
        "CURRTYPE",
        "DOCCATG",
        "DOCUMENT",
        "EXPTYPE",
        "FINDATES",
        "FINTMPL",
        "FUNDSRC",
        "ISSUHIST",
        "MEMOTYPE",
        "NONWORK",
        "OBS",
        "PCATTYPE",
        "PCATVAL",
        "PHASE",
        "POBS",
        "PROJCOST",
        "PROJECT",
        "PROJEST",
        "PROJFUND",
        "PROJISSU",
        "PROJPCAT",
        "PROJTHRS",
        "PROJWBS",
        "RCATTYPE",
        "RCATVAL",
        "RISKTYPE",
        "ROLECATTYPE",
        "ROLECATVAL",
        "ROLELIMIT",
        "ROLERATE",
        "ROLERCAT",
        "ROLES",
        "RSRC",
        "RSRCCURV",
        "RSRCCURVDATA",
        "RSRCLEVELLIST",
        "RSRCRATE",
        "RSRCRCAT",
        "RSRCROLE",
        "SCHEDOPTIONS",
        "SHIFT",
        "SHIFTPER",
        "TASK",
        "TASKACTV",
        "TASKDOC",
        "TASKFDBK",
        "TASKFIN",
        "TASKMEMO",
        "TASKNOTE",
        "TASKPRED",
        "TASKPROC",
        "TASKRSRC",
        "TASKUSER",
        "TRSRCFIN",
        "UDFTYPE",
        "UDFVALUE",
        "UMEASURE",
        "WBSBUDG",
        "WBSMEMO",
        "WBSRSRC",
        "WBSSTEP",
        "WBSRSRC_QTY",
        "PROJRISK",
        "RISKIMPACT",
        "RISKRESPONSEACTION",
        "RISKRESPONSEACTIONIMPACT",
        "RISKRESPONSEPLAN",
        "RISKTHRESHOLD",
        "RISKTHRESHOLDLEVEL",
        "TRSRCFIN",
        "TASKRSRCFIN",
        "EXTERNALCODE",
        "PROJSHAR",
    ]
)
#: Tables this reader reads, with the columns that must be in their %F line.
_USED = {
    "CURRTYPE": (),
    "PROJECT": ("proj_id", "proj_short_name"),
    "PROJWBS": ("wbs_id", "proj_id"),
    "TASK": ("task_id", "proj_id", "task_code", "target_start_date", "target_end_date"),
    "TASKRSRC": ("task_id",),
    "PROJCOST": ("task_id",),
}
_MILESTONE_TYPES = {"TT_Mile", "TT_FinMile"}
_OPTIONS = {"status_date", "baseline_path", "currency", "project_code", "encoding"}
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ZERO = Decimal(0)

# TASK columns parsed per activity, by type.
_TASK_DATES = ("target_start_date", "target_end_date", "act_start_date", "act_end_date", "early_end_date", "reend_date")
_TASK_NUMBERS = (
    "phys_complete_pct",
    "target_drtn_hr_cnt",
    "remain_drtn_hr_cnt",
    "act_work_qty",
    "remain_work_qty",
    "act_equip_qty",
    "remain_equip_qty",
)


# --------------------------------------------------------------------------------------------- detect


def detect(path: Path, head: bytes) -> bool:
    """True when ``head`` (the first bytes of the file) starts with the XER header ``ERMHDR``.

    A gzip stream (``.xer.gz``) is inflated far enough to look at its first line.
    """
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=47).decompress(head, 64)
        except zlib.error:
            return False
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif bom_encoding(head) is not None:  # UTF-16/32 with a BOM
        return head_text(head).startswith("ERMHDR")
    return head.startswith(b"ERMHDR")


# ----------------------------------------------------------------------------------------- low level


_CellError = CellError
_decimal = parse_decimal


def _date(raw: str) -> date | None:
    return parse_date(raw, _DATE_RE, "a P6 date (YYYY-MM-DD HH:MM)")


def _float(raw: str) -> float | None:
    d = _decimal(raw)
    return None if d is None else float(d)


@dataclass
class _Row:
    line: int
    values: dict[str, str]


@dataclass
class _Table:
    name: str
    fields: list[str]
    line: int  # line of its %T
    rows: list[_Row] = field(default_factory=list)
    bad: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)  # (line, reason, partial record)


@dataclass
class _Xer:
    """The tables of one XER file this reader needs, plus what went wrong reading it."""

    path: Path
    name: str
    sha256: str
    header: list[str]
    tables: dict[str, _Table]
    errors: list[str]
    warnings: list[str]


def _load_bytes(path: Path, errors: list[str]) -> bytes:
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    inflater = zlib.decompressobj(wbits=47)
    try:
        out = inflater.decompress(data) + inflater.flush()
    except zlib.error as exc:
        errors.append(f"{path.name}: damaged gzip stream ({exc}); nothing could be read")
        return b""
    if not inflater.eof:
        errors.append(f"{path.name}: the gzip stream is truncated; only the {len(out):,} bytes before the damage are read")
    return out


def _decode(data: bytes, name: str, encoding: str | None, warnings: list[str]) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            warnings.append(f"{name}: not valid {encoding} at byte {exc.start}; undecodable bytes replaced")
            return data.decode(encoding, errors="replace")
    text = decode_bom(data, name, warnings)  # UTF-16/32 with a BOM
    if text is not None:
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        warnings.append(
            f"{name}: byte 0x{data[exc.start]:02X} at offset {exc.start} is not defined in "
            "Windows-1252; such bytes are read as Latin-1"
        )
        return data.decode("cp1252", errors="_xer_latin1")


def _latin1_fallback(exc: UnicodeDecodeError):
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("_xer_latin1", _latin1_fallback)


def _parse(path: Path, encoding: str | None = None) -> _Xer:
    """Split an XER file into the tables this reader needs (rows still as strings)."""
    errors: list[str] = []
    warnings: list[str] = []
    name = path.name
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    data = _load_bytes(path, errors)
    text = _decode(data, name, encoding, warnings)
    lines = text.split("\n")
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines.pop()  # the empty string after the final newline
    header: list[str] = []
    tables: dict[str, _Table] = {}
    current: _Table | None = None
    skipping = False  # inside a table this reader does not use
    seen_end = False
    last_line = len(lines)
    for idx, line in enumerate(lines):
        line_no = idx + 1
        line = line.removesuffix("\r")
        if not line:
            continue
        tag = line[:2]
        if tag == "%R":
            if skipping:
                continue
            if current is None or not current.fields:
                errors.append(f"{name}: line {line_no}: a %R row before any %T/%F table header; ignored")
                continue
            cells = line.split("\t")[1:]
            fields_ = current.fields
            if len(cells) != len(fields_):
                partial = dict(zip(fields_, cells))
                cut = line_no == last_line and not ends_with_newline
                reason = (
                    f"cut short: the file ends in the middle of this {current.name} row"
                    if cut
                    else f"{current.name} row has {len(cells)} fields but its %F line has {len(fields_)}"
                )
                current.bad.append((line_no, reason, partial))
                continue
            current.rows.append(_Row(line_no, dict(zip(fields_, cells))))
        elif tag == "%T":
            table_name = line[2:].strip()
            skipping = table_name not in _USED
            if skipping:
                current = None
                if table_name not in KNOWN_TABLES:
                    warnings.append(f"{name}: line {line_no}: unknown table {table_name!r} ignored")
                continue
            current = tables.get(table_name)
            if current is None:
                current = tables[table_name] = _Table(table_name, [], line_no)
            else:
                # A second block of the same table (files concatenated by hand): keep its rows, map them
                # by their own %F line.
                current.fields = []
        elif tag == "%F":
            if skipping:
                continue
            if current is None:
                errors.append(f"{name}: line {line_no}: a %F line before any %T line; ignored")
                continue
            current.fields = [f.strip() for f in line.split("\t")[1:]]
        elif tag == "%E":
            seen_end = True
            if any(ln.strip() for ln in lines[idx + 1 :]):
                warnings.append(f"{name}: content after the %E end marker (line {line_no}) is ignored")
            break
        elif line.startswith("ERMHDR"):
            header = line.split("\t")
        else:
            warnings.append(f"{name}: line {line_no} is not a %T/%F/%R/%E line; ignored")
    if not header:
        warnings.append(f"{name}: no ERMHDR header on line 1; read as an XER anyway")
    if not tables:
        errors.append(f"{name}: no PROJECT or TASK table found: not a P6 XER export")
    elif not seen_end:
        errors.append(
            f"{name}: truncated: the file ends at line {last_line} without the %E end marker; "
            "the rows read up to that line are kept, everything after it is missing"
        )
    return _Xer(path, name, sha, header, tables, errors, warnings)


# --------------------------------------------------------------------------------------- the builder


@dataclass
class _Costs:
    target: Decimal = _ZERO
    actual: Decimal = _ZERO
    remain: Decimal = _ZERO
    act_qty: Decimal = _ZERO
    remain_qty: Decimal = _ZERO


@dataclass
class _Project:
    proj_id: str
    line: int
    values: dict[str, str]
    code: str
    status_date: date | None
    status_problem: tuple[str, str, str] | None  # (column, value, reason)
    sep: str


def _missing_columns(table: _Table) -> list[str]:
    return [c for c in _USED[table.name] if c not in table.fields]


def _quarantine(
    result_list: list, name: str, line: int, column: str | None, value: str | None, reason: str, record: dict[str, str]
) -> None:
    where = f"{name}: line {line}" + (f", column {column}" if column else "")
    result_list.append(QuarantineRecord(line, column, value, f"{where}: {reason}", dict(record)))


def _costs_by_task(xer: _Xer) -> tuple[dict[str, _Costs], dict[str, tuple[int, str, str | None, str]]]:
    """Sum TASKRSRC and PROJCOST per task_id; damaged rows 'taint' their task (line, column, value, reason)."""
    costs: dict[str, _Costs] = {}
    tainted: dict[str, tuple[int, str, str | None, str]] = {}
    specs = {
        "TASKRSRC": (("target_cost",), ("act_reg_cost", "act_ot_cost"), ("remain_cost",)),
        "PROJCOST": (("target_cost",), ("act_cost",), ("remain_cost",)),
    }
    for tname, (t_cols, a_cols, r_cols) in specs.items():
        table = xer.tables.get(tname)
        if table is None:
            continue
        missing = _missing_columns(table)
        if missing:
            xer.errors.append(
                f"{xer.name}: table {tname} (line {table.line}) has no column "
                f"{', '.join(missing)}: its costs cannot be assigned to activities and are ignored"
            )
            continue
        for line, reason, partial in table.bad:
            tid = partial.get("task_id", "")
            if tid:
                tainted.setdefault(tid, (line, None, None, f"{reason}; this activity's cost is incomplete"))
            else:
                xer.errors.append(
                    f"{xer.name}: line {line}: {reason}; its activity is unknown, so some cost is missing from the output"
                )
        qty_cols = tname == "TASKRSRC"
        for row in table.rows:
            v = row.values
            tid = v["task_id"]
            c = costs.get(tid)
            if c is None:
                c = costs[tid] = _Costs()
            try:
                col = ""
                for col in t_cols:
                    c.target += _decimal(v.get(col, "")) or _ZERO
                for col in a_cols:
                    c.actual += _decimal(v.get(col, "")) or _ZERO
                for col in r_cols:
                    c.remain += _decimal(v.get(col, "")) or _ZERO
                if qty_cols and v.get("rsrc_type", "") != "RT_Mat":
                    col = "act_reg_qty"
                    act = _decimal(v.get("act_reg_qty", "")) or _ZERO
                    col = "act_ot_qty"
                    act += _decimal(v.get("act_ot_qty", "")) or _ZERO
                    col = "remain_qty"
                    rem = _decimal(v.get("remain_qty", "")) or _ZERO
                    c.act_qty += act
                    c.remain_qty += rem
            except _CellError as exc:
                why = f"{tname}.{col} {v.get(col)!r}: {exc}; this activity's cost is unknown"
                tainted.setdefault(tid, (row.line, f"{tname}.{col}", v.get(col), why))
    return costs, tainted


def _xer_base_currency(xer: _Xer) -> str | None:
    """The CURRTYPE row whose ``base_exch_rate`` is 1 or blank, else the currency of the ERMHDR line."""
    table = xer.tables.get("CURRTYPE")
    hdr_cur = xer.header[8].strip() if len(xer.header) > 8 and xer.header[8].strip() else None
    if table is not None and "curr_short_name" in table.fields:
        cands = [row.values["curr_short_name"].strip() for row in table.rows
                 if is_unit_rate(row.values.get("base_exch_rate", "").strip(), blank=True)]
        if len(cands) == 1:
            return cands[0]
        if hdr_cur and hdr_cur in cands:
            return hdr_cur
    return hdr_cur


def _xer_wbs_paths(xer: _Xer, seps: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """wbs_id -> WBS path below the project node, and proj_id -> the project node's wbs_name.

    ``seps`` gives each project's separator (PROJECT.name_sep_char).
    """
    table = xer.tables.get("PROJWBS")
    if table is None or _missing_columns(table):
        if table is not None:
            xer.warnings.append(
                f"{xer.name}: table PROJWBS (line {table.line}) lacks "
                f"{', '.join(_missing_columns(table))}: parent_task_code is left blank"
            )
        return {}, {}
    for line, reason, _partial in table.bad:
        xer.warnings.append(f"{xer.name}: line {line}: {reason}; activities under that WBS node get a shorter parent_task_code")
    nodes = {r.values["wbs_id"]: r.values for r in table.rows}
    root_names: dict[str, str] = {}
    for v in nodes.values():
        if v.get("proj_node_flag") == "Y" and v.get("wbs_name", "").strip():
            root_names.setdefault(v["proj_id"], v["wbs_name"].strip())
    paths = wbs_paths(nodes, parent_of=lambda i: nodes[i].get("parent_wbs_id", ""),
                      code_of=lambda i: nodes[i].get("wbs_short_name", "").strip(),
                      is_root=lambda i: nodes[i].get("proj_node_flag") == "Y",
                      sep_of=lambda i: seps.get(nodes[i]["proj_id"], "."))
    return paths, root_names


def _projects(xer: _Xer, options: dict) -> dict[str, _Project]:
    table = xer.tables.get("PROJECT")
    out: dict[str, _Project] = {}
    if table is None:
        xer.errors.append(f"{xer.name}: no PROJECT table: activities cannot be given a project and status date")
        return out
    missing = _missing_columns(table)
    if missing:
        xer.errors.append(f"{xer.name}: table PROJECT (line {table.line}) has no column {', '.join(missing)}")
        return out
    for line, reason, _partial in table.bad:
        xer.errors.append(f"{xer.name}: line {line}: {reason}; this project and its activities are not read")
    override = options.get("project_code")
    opt_status = options.get("status_date")
    for row in table.rows:
        v = row.values
        code = v["proj_short_name"].strip()
        if isinstance(override, dict):
            code = override.get(code, code)
        elif override:
            if len(table.rows) == 1:
                code = str(override)
            else:
                xer.warnings.append(
                    f"{xer.name}: option project_code={override!r} ignored: the file holds "
                    f"{len(table.rows)} projects (pass a mapping {{proj_short_name: code}})"
                )
        problem = None
        status = None
        if opt_status is not None:
            status = date_option(opt_status, "status_date")
        else:
            raw = v.get("last_recalc_date", "").strip()
            try:
                status = _date(raw)
            except _CellError as exc:
                problem = ("last_recalc_date", raw, f"PROJECT.last_recalc_date {raw!r}: {exc}")
            if status is None and problem is None:
                why = "the project has no data date (PROJECT.last_recalc_date is blank) and no status_date option was given"
                problem = ("last_recalc_date", raw, why)
        sep = v.get("name_sep_char", "").strip() or "."
        out[v["proj_id"]] = _Project(v["proj_id"], row.line, v, code, status, problem, sep)
    return out


def _planned_by_code(xer: _Xer) -> dict[str, dict[str, PlannedValues]]:
    """proj_id -> task_code -> planned (target) dates and cost: what a baseline file contributes.

    Activities whose dates or cost rows are damaged are left out (with a warning), so they fall back to the
    current schedule's planned values rather than carry an understated baseline.
    """
    out: dict[str, dict[str, PlannedValues]] = {}
    table = xer.tables.get("TASK")
    if table is None or _missing_columns(table):
        what = "no TASK table" if table is None else f"TASK has no column {', '.join(_missing_columns(table))}"
        xer.errors.append(f"{xer.name}: {what}: it gives no baseline values")
        return out
    costs, tainted = _costs_by_task(xer)
    skipped: list[str] = [f"line {line}" for line, _reason, _partial in table.bad]
    for row in table.rows:
        v = row.values
        try:
            start = _date(v["target_start_date"].strip())
            finish = _date(v["target_end_date"].strip())
        except _CellError:
            start = finish = None
        if start is None or finish is None or v["task_id"] in tainted:
            skipped.append(f"{v['task_code'].strip() or '?'} (line {row.line})")
            continue
        c = costs.get(v["task_id"])
        out.setdefault(v["proj_id"], {})[v["task_code"].strip()] = PlannedValues(start, finish, c.target if c else _ZERO)
    if skipped:
        xer.warnings.append(
            f"{xer.name}: {len(skipped)} baseline activities are unusable (damaged dates or cost "
            f"rows) and give no baseline values: {', '.join(skipped)}"
        )
    return out


def _xer_percent_complete(v: dict[str, str], n: dict[str, float | None], cost: _Costs | None) -> float:
    """Percent complete by the activity's ``complete_pct_type`` (see the module docstring)."""
    kind = v.get("complete_pct_type", "").strip()
    complete = v.get("status_code", "").strip() == "TK_Complete" or bool(v.get("act_end_date", "").strip())
    if kind == "CP_Phys":
        pct = n["phys_complete_pct"] or 0.0
    elif kind == "CP_Units":
        act = (n["act_work_qty"] or 0.0) + (n["act_equip_qty"] or 0.0)
        rem = (n["remain_work_qty"] or 0.0) + (n["remain_equip_qty"] or 0.0)
        if act + rem == 0 and cost is not None:
            act, rem = float(cost.act_qty), float(cost.remain_qty)
        pct = units_percent(act, rem, complete)
    else:  # CP_Drtn, and P6's default when the column is blank
        pct = duration_percent(n["target_drtn_hr_cnt"] or 0.0, n["remain_drtn_hr_cnt"] or 0.0, complete)
    return clamp_percent(pct)


def read(path: Path | str, **options) -> SourceResult:
    """Read a P6 XER export (``.xer``, or ``.xer.gz``) into canonical ``tasks`` and ``projects`` rows.

    Options:

    * ``status_date`` (date or 'YYYY-MM-DD'): use it instead of each project's data date
      (``PROJECT.last_recalc_date``).
    * ``baseline_path``: an XER export of the baseline project; baseline dates and costs come from its
      planned values, matched by ``task_code``, and ``baseline_version`` is its ``proj_short_name``.
    * ``currency``: used when the file names no base currency (CURRTYPE / ERMHDR); default ``'GBP'``, with a
      warning.  A file's own currency always wins (its costs are in it).
    * ``project_code``: a code for the single project of the file, or a mapping
      ``{proj_short_name: code}`` for several.
    * ``encoding``: force a text encoding (default: UTF-8 if the file is valid UTF-8, else Windows-1252).

    Only a missing file (``ReaderError``) or an unknown option (``TypeError``) raises.  Bad content never
    does: damaged rows are quarantined naming the file, line and column; a damaged file (truncated, missing
    required column) adds an entry to ``errors``, naming the file and line.
    """
    check_options(options, _OPTIONS, "xer.read")
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    xer = _parse(path, options.get("encoding"))
    result = SourceResult(FORMAT, path, xer.sha256)
    tasks_out = result.entity("tasks")
    projects_out = result.entity("projects")
    name = xer.name

    projects = _projects(xer, options)
    costs, tainted = _costs_by_task(xer)
    paths, root_names = _xer_wbs_paths(xer, {pid: p.sep for pid, p in projects.items()})

    # Currency ------------------------------------------------------------------------------------
    currency = file_currency(_xer_base_currency(xer), options.get("currency"), name,
                             "the file names no base currency (no CURRTYPE row with exchange rate 1, "
                             "no currency in ERMHDR)", xer.warnings)

    # Baseline ------------------------------------------------------------------------------------
    baseline: dict[str, tuple[str, dict[str, PlannedValues]]] = {}  # current proj_id -> (version, by code)
    if options.get("baseline_path"):
        baseline = _load_baseline(Path(options["baseline_path"]), xer, projects)
    else:
        for p in projects.values():
            base_id = p.values.get("sum_base_proj_id", "").strip()
            if base_id and base_id != p.proj_id:
                xer.warnings.append(
                    f"{name}: project {p.code} is assigned baseline project id {base_id}, which an XER never "
                    "carries; its planned (target) dates and costs are used as the baseline "
                    "(baseline_version 'target'). Export the baseline project and pass it as baseline_path."
                )

    # Projects ------------------------------------------------------------------------------------
    for p in projects.values():
        v = p.values
        row = {
            "project_code": p.code,
            "project_name": root_names.get(p.proj_id) or v["proj_short_name"].strip(),
            "currency": currency,
            "status": "active",
        }
        problems = []
        for out_col, cols in (("start_date", ("plan_start_date",)), ("planned_finish_date", ("scd_end_date", "plan_end_date"))):
            row[out_col] = None
            for col in cols:
                raw = v.get(col, "").strip()
                try:
                    d = _date(raw)
                except _CellError as exc:
                    problems.append((col, raw, f"PROJECT.{col} {raw!r}: {exc}"))
                    break
                if d is not None:
                    row[out_col] = d
                    break
        if problems:
            _quarantine(
                projects_out.quarantine,
                name,
                p.line,
                ", ".join(x[0] for x in problems),
                " | ".join(x[1] for x in problems),
                "; ".join(x[2] for x in problems),
                v,
            )
            continue
        row["_source_row"] = p.line
        projects_out.rows.append(row)

    # Tasks ---------------------------------------------------------------------------------------
    task_table = xer.tables.get("TASK")
    if task_table is None:
        if projects:
            xer.errors.append(f"{name}: no TASK table: the file holds no activities")
    else:
        missing = _missing_columns(task_table)
        if missing:
            xer.errors.append(
                f"{name}: table TASK (line {task_table.line}) has no column "
                f"{', '.join(missing)}: none of its {len(task_table.rows)} activities can be read"
            )
            for row in task_table.rows:
                _quarantine(
                    tasks_out.quarantine,
                    name,
                    row.line,
                    ", ".join(missing),
                    None,
                    f"TASK has no column {', '.join(missing)}",
                    row.values,
                )
        else:
            absent = [
                c
                for c in ("complete_pct_type", "task_type", "wbs_id", "act_start_date", "act_end_date")
                if c not in task_table.fields
            ]
            if absent:
                xer.warnings.append(
                    f"{name}: table TASK (line {task_table.line}) has no column "
                    f"{', '.join(absent)}; those values are taken as blank"
                )
            _xer_tasks(xer, task_table, projects, costs, tainted, paths, baseline, tasks_out.rows, tasks_out.quarantine)
        for line, reason, partial in task_table.bad:
            _quarantine(tasks_out.quarantine, name, line, None, None, reason, partial)
        tasks_out.quarantine.sort(key=lambda q: q.source_row)

    result.errors.extend(xer.errors)
    result.warnings.extend(xer.warnings)
    return result


def _load_baseline(bpath: Path, xer: _Xer, projects: dict[str, _Project]
                   ) -> dict[str, tuple[str, dict[str, PlannedValues]]]:
    if not bpath.is_file():
        xer.errors.append(f"{xer.name}: baseline_path {bpath} does not exist; planned values are used as baseline")
        return {}
    bx = _parse(bpath)
    bprojects = _projects(bx, {})
    planned = _planned_by_code(bx)
    for msg in bx.errors:
        xer.errors.append(f"baseline {msg}")
    for msg in bx.warnings:
        xer.warnings.append(f"baseline {msg}")
    if not bprojects:
        xer.errors.append(
            f"{xer.name}: baseline file {bpath.name} holds no readable project; planned values are used as baseline"
        )
        return {}
    out: dict[str, tuple[str, dict[str, PlannedValues]]] = {}
    by_code = {bp.values["proj_short_name"].strip(): bp for bp in bprojects.values()}
    for pid, p in projects.items():
        if len(bprojects) == 1:
            bp = next(iter(bprojects.values()))
        else:
            bp = by_code.get(p.values["proj_short_name"].strip())
            if bp is None:
                xer.warnings.append(
                    f"{xer.name}: baseline file {bpath.name} holds {len(bprojects)} projects, "
                    f"none named {p.values['proj_short_name']!r}; project {p.code} keeps its "
                    "planned values as baseline"
                )
                continue
        out[pid] = (bp.values["proj_short_name"].strip(), planned.get(bp.proj_id, {}))
    return out


def _xer_tasks(
    xer: _Xer,
    table: _Table,
    projects: dict[str, _Project],
    costs: dict[str, _Costs],
    tainted: dict,
    parents: dict[str, str],
    baseline: dict,
    rows_out: list,
    quarantine_out: list,
) -> None:
    name = xer.name
    codes_by_proj: dict[str, set[str]] = {}
    for row in table.rows:
        codes_by_proj.setdefault(row.values["proj_id"], set()).add(row.values["task_code"].strip())
    collisions: dict[str, set[str]] = {}
    seen_codes: dict[tuple[str, str], int] = {}
    unbaselined: dict[str, int] = {}
    matched: dict[str, set[str]] = {}

    for row in table.rows:
        v = row.values
        line = row.line
        project = projects.get(v["proj_id"])
        if project is None:
            _quarantine(
                quarantine_out,
                name,
                line,
                "proj_id",
                v["proj_id"],
                f"TASK.proj_id {v['proj_id']!r} is not a project of this file's PROJECT table",
                v,
            )
            continue
        if project.status_problem is not None:
            col, raw, why = project.status_problem
            _quarantine(
                quarantine_out, name, line, "status_date", raw, f"{why} (PROJECT row at line {project.line}, column {col})", v
            )
            continue
        task_code = v["task_code"].strip()
        if not task_code:
            _quarantine(quarantine_out, name, line, "task_code", "", "TASK.task_code: required value is blank", v)
            continue
        key = (project.code, task_code)
        if key in seen_codes:
            _quarantine(
                quarantine_out,
                name,
                line,
                "task_code",
                task_code,
                f"TASK.task_code {task_code!r} repeats the activity at line {seen_codes[key]} of project {project.code}",
                v,
            )
            continue
        tid = v["task_id"]
        if tid in tainted:
            t_line, t_col, t_val, t_reason = tainted[tid]
            _quarantine(
                quarantine_out,
                name,
                line,
                t_col,
                t_val,
                f"activity {task_code}: its cost row at line {t_line} is damaged: {t_reason}",
                v,
            )
            continue

        problems: list[tuple[str, str, str]] = []
        d: dict[str, date | None] = {}
        for col in _TASK_DATES:
            raw = v.get(col, "").strip()
            try:
                d[col] = _date(raw)
            except _CellError as exc:
                problems.append((col, raw, f"TASK.{col} {raw!r}: {exc}"))
        n: dict[str, float | None] = {}
        for col in _TASK_NUMBERS:
            raw = v.get(col, "").strip()
            try:
                n[col] = _float(raw)
            except _CellError as exc:
                problems.append((col, raw, f"TASK.{col} {raw!r}: {exc}"))
        if not problems:
            for col in ("target_start_date", "target_end_date"):
                if d[col] is None:
                    problems.append((col, "", f"TASK.{col}: required value is blank (it is the baseline date)"))
        if problems:
            _quarantine(
                quarantine_out,
                name,
                line,
                ", ".join(p[0] for p in problems),
                " | ".join(p[1] for p in problems),
                "; ".join(p[2] for p in problems),
                v,
            )
            continue
        seen_codes[key] = line

        c = costs.get(tid)
        base_start, base_finish = d["target_start_date"], d["target_end_date"]
        base_cost = c.target if c else _ZERO
        version = "target"
        if v["proj_id"] in baseline:
            bver, bcodes = baseline[v["proj_id"]]
            planned = bcodes.get(task_code)
            if planned is not None:
                base_start, base_finish, base_cost = planned.start, planned.finish, planned.cost
                version = bver
                matched.setdefault(v["proj_id"], set()).add(task_code)
            else:
                unbaselined[project.code] = unbaselined.get(project.code, 0) + 1

        parent = parents.get(v.get("wbs_id", ""), "") or None
        if parent is not None and parent in codes_by_proj.get(v["proj_id"], ()):
            collisions.setdefault(project.code, set()).add(parent)
            parent = None
        finished = d["act_end_date"] is not None
        task_type = v.get("task_type", "").strip()
        rows_out.append(task_row(
            status_date=project.status_date,
            project_code=project.code,
            task_code=task_code,
            parent_task_code=parent,
            task_name=v.get("task_name", "").strip() or None,
            is_milestone=task_type in _MILESTONE_TYPES,
            ev_method="loe" if task_type == "TT_LOE" else "percent_complete",
            baseline_start=base_start,
            baseline_finish=base_finish,
            baseline_cost=base_cost,
            percent_complete=_xer_percent_complete(v, n, c),
            actual_start=d["act_start_date"],
            actual_finish=d["act_end_date"],
            forecast_finish=None if finished else (d["early_end_date"] or d["reend_date"]),
            baseline_version=version,
            actual_cost=c.actual if c else _ZERO,
            remaining_cost=c.remain if c else _ZERO,
            source_row=line,
        ))

    for code, paths in collisions.items():
        xer.warnings.append(wbs_collision_warning(name, code, paths))
    for pid, (bver, bcodes) in baseline.items():
        p = projects[pid]
        if unbaselined.get(p.code):
            xer.warnings.append(
                f"{name}: project {p.code}: {unbaselined[p.code]} activities are not in baseline "
                f"{bver}; their own planned dates and costs are used (baseline_version 'target')"
            )
        dropped = sorted(set(bcodes) - matched.get(pid, set()) - codes_by_proj.get(pid, set()))
        if dropped:
            xer.warnings.append(
                f"{name}: project {p.code}: {len(dropped)} activities of baseline {bver} are no "
                f"longer in the schedule (dropped scope): {', '.join(dropped)}"
            )
