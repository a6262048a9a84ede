"""Write canonical schedule rows as the files real tools export: Primavera P6 XER and MS Project XML.

The demo organisation uses these so that the readers in ``orchestration.sources`` (``xer.py``,
``mspdi.py``) are exercised end to end.  Each writer is the inverse of its reader for the columns that
matter to earned value: ``project_code``, ``task_code``, ``baseline_start``/``baseline_finish``,
``baseline_cost``, ``percent_complete`` and ``status_date`` survive the round trip (tests/unit/sources).

Input rows are canonical dicts (contract column -> value); values may be typed (``date``, ``Decimal``,
``float``, ``bool``) or the strings of a canonical CSV.

What does *not* survive, by the nature of the formats:

* XER: summary tasks (tasks that are another task's parent) become WBS nodes, not activities - P6 has no
  summary activities - so the reader gives their children ``parent_task_code`` = the WBS path (equal to the
  summary's code for one level, ``S1.S2`` for nested ones) and the summary row itself is gone.  Costs
  are written as one PROJCOST expense per activity (``target_cost`` = baseline_cost, ``act_cost``,
  ``remain_cost``); percent complete as ``CP_Phys`` / ``phys_complete_pct`` (exact).  One XER has *one*
  base currency, so all projects must share it (``ValueError`` otherwise: write one file per currency).
  Text is written in Windows-1252 (P6's encoding); characters outside it become '?'.
  ``baseline_version`` is always 'target' on reading back (P6 exports carry no baseline).
* MSPDI: ``PercentComplete`` is a whole number in MS Project, so a percent like 33.3 is written as 33
  (round half up); money is written in hundredths (MSPDI's unit), exactly.  ``baseline_version`` reads
  back as 'Baseline' (slot 0); the project's status is not carried.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["write_mspdi", "write_xer"]


# --------------------------------------------------------------------------------------- conversions

def _date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"true", "t", "yes", "y", "1"}


def _num(d: Decimal | None, default: str = "") -> str:
    return default if d is None else format(d, "f")


def _text(value) -> str:
    return "" if value is None else str(value)


def _latest_snapshot(tasks_rows) -> list[dict]:
    """Keep, per project, only the rows of its latest status_date (rows without one are kept)."""
    latest: dict[str, dt.date] = {}
    for r in tasks_rows:
        sd = _date(r.get("status_date"))
        code = _text(r.get("project_code"))
        if sd is not None and (code not in latest or sd > latest[code]):
            latest[code] = sd
    return [r for r in tasks_rows
            if _date(r.get("status_date")) is None
            or _date(r.get("status_date")) == latest.get(_text(r.get("project_code")))]


def _parents(rows: list[dict]) -> set[str]:
    codes = {_text(r.get("task_code")) for r in rows}
    return {_text(r.get("parent_task_code")) for r in rows
            if r.get("parent_task_code") and _text(r.get("parent_task_code")) in codes
            and _text(r.get("parent_task_code")) != _text(r.get("task_code"))}


def _working_hours(start: dt.date | None, finish: dt.date | None) -> int:
    """8 h per weekday from start to finish inclusive (a rough planned duration for the files)."""
    if start is None or finish is None or finish < start:
        return 0
    days = (finish - start).days + 1
    weeks, rest = divmod(days, 7)
    workdays = weeks * 5 + sum(1 for i in range(rest) if (start.weekday() + i) % 7 < 5)
    return workdays * 8


# ------------------------------------------------------------------------------------------------ XER

_XER_CURRENCY_NAMES = {"GBP": ("Pound Sterling", "£"), "EUR": ("Euro", "€"), "USD": ("US Dollar", "$")}
_CALENDAR_DATA = (
    "(0||CalendarData()((0||DaysOfWeek()((0||1()())"
    + "".join(f"(0||{d}()((0||0(s|08:00|f|12:00)())(0||1(s|13:00|f|17:00)())))" for d in range(2, 7))
    + "(0||7()())))(0||Exceptions()())))"
)


def _xer_cell(value) -> str:
    return _text(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _xer_dt(d: dt.date | None, time: str) -> str:
    return "" if d is None else f"{d.isoformat()} {time}"


def _add_wbs_node(code: str, by_code: dict[str, dict], parents: set[str], wbs_of: dict[str, int],
                  wbs_rows: list[dict], root: int, proj_id: int, next_wbs: int, depth: int = 0) -> int:
    """Add the PROJWBS node of summary task ``code`` (and of its summary ancestors); returns the next id."""
    if code in wbs_of:
        return next_wbs
    row = by_code[code]
    grand = _text(row.get("parent_task_code"))
    parent_id = root
    if grand in parents and grand != code and depth < 50:
        next_wbs = _add_wbs_node(grand, by_code, parents, wbs_of, wbs_rows, root, proj_id, next_wbs, depth + 1)
        parent_id = wbs_of.get(grand, root)
    wbs_of[code] = next_wbs
    wbs_rows.append({"wbs_id": next_wbs, "proj_id": proj_id, "seq_num": len(wbs_rows) * 10, "est_wt": 1,
                     "proj_node_flag": "N", "sum_data_flag": "N", "status_code": "WS_Open",
                     "wbs_short_name": code, "wbs_name": _text(row.get("task_name")) or code,
                     "parent_wbs_id": parent_id, "ev_compute_type": "EC_Cmp_pct", "ev_etc_compute_type": "EE_Rem_hr"})
    return next_wbs + 1


def write_xer(path, projects_rows, tasks_rows, *, export_date: dt.date | None = None,
              currency: str | None = None) -> Path:
    """Write one XER holding several projects: their latest schedule snapshot.

    ``projects_rows``: canonical projects rows (project_code, project_name, currency, start_date,
    planned_finish_date ...).  ``tasks_rows``: canonical tasks rows of those projects; when they hold
    several status dates, only each project's latest snapshot is written.  All projects must share one
    currency (an XER has one base currency); ``currency`` forces it when the rows carry none.
    Returns the path written.
    """
    path = Path(path)
    projects_rows = list(projects_rows)
    tasks = _latest_snapshot(list(tasks_rows))
    currencies = {_text(p.get("currency")).strip().upper() for p in projects_rows if p.get("currency")}
    if currency:
        currencies |= {currency.upper()}
    if len(currencies) > 1:
        raise ValueError("an XER file has one base currency, but these projects use "
                         f"{', '.join(sorted(currencies))}: write one XER per currency")
    base = next(iter(currencies)) if currencies else "GBP"

    by_project: OrderedDict[str, list[dict]] = OrderedDict()
    for p in projects_rows:
        by_project.setdefault(_text(p.get("project_code")), [])
    for t in tasks:
        by_project.setdefault(_text(t.get("project_code")), []).append(t)
    project_info = {_text(p.get("project_code")): p for p in projects_rows}

    export_date = export_date or dt.date.today()
    out: list[str] = []

    def table(name: str, fields: list[str], rows: list[dict]) -> None:
        out.append(f"%T\t{name}")
        out.append("%F\t" + "\t".join(fields))
        for r in rows:
            out.append("%R\t" + "\t".join(_xer_cell(r.get(f, "")) for f in fields))

    out.append(f"ERMHDR\t20.12\t{export_date.isoformat()}\tProject\tadmin\tpmo-warehouse demo\t"
               f"dbxDatabaseNoName\tProject Management\t{base}")
    cname, csym = _XER_CURRENCY_NAMES.get(base, (base, base))
    table("CURRTYPE", ["curr_id", "decimal_digit_cnt", "curr_symbol", "decimal_symbol", "digit_group_symbol",
                       "pos_curr_fmt_type", "neg_curr_fmt_type", "curr_type", "curr_short_name",
                       "group_digit_cnt", "base_exch_rate"],
          [{"curr_id": 1, "decimal_digit_cnt": 2, "curr_symbol": csym, "decimal_symbol": ".",
            "digit_group_symbol": ",", "pos_curr_fmt_type": "#1.1", "neg_curr_fmt_type": "(#1.1)",
            "curr_type": cname, "curr_short_name": base, "group_digit_cnt": 3, "base_exch_rate": 1}])

    proj_rows, wbs_rows, task_rows, cost_rows = [], [], [], []
    next_wbs, next_task, next_cost = 10000, 100000, 1
    for i, (code, rows) in enumerate(by_project.items()):
        proj_id = 1000 + i
        info = project_info.get(code, {})
        status = max((d for d in (_date(r.get("status_date")) for r in rows) if d), default=None)
        starts = [d for d in (_date(r.get("baseline_start")) for r in rows) if d]
        finishes = [d for d in (_date(r.get("forecast_finish")) or _date(r.get("actual_finish"))
                                or _date(r.get("baseline_finish")) for r in rows) if d]
        plan_start = _date(info.get("start_date")) or (min(starts) if starts else None)
        plan_end = _date(info.get("planned_finish_date"))
        proj_rows.append({
            "proj_id": proj_id, "fy_start_month_num": 1, "name_sep_char": ".", "def_complete_pct_type": "CP_Phys",
            "proj_short_name": code, "clndr_id": 1, "sum_base_proj_id": "", "task_code_base": 1000,
            "task_code_step": 10, "last_recalc_date": _xer_dt(status, "00:00"),
            "plan_start_date": _xer_dt(plan_start, "00:00"), "plan_end_date": _xer_dt(plan_end, "17:00"),
            "scd_end_date": _xer_dt(max(finishes) if finishes else plan_end, "17:00"),
            "def_duration_type": "DT_FixedDUR2", "def_qty_type": "QT_Hour", "def_rate_type": "COST_PER_QTY",
            "def_task_type": "TT_Task", "critical_path_type": "CT_TotFloat", "export_flag": "Y",
        })
        root = next_wbs
        next_wbs += 1
        wbs_rows.append({"wbs_id": root, "proj_id": proj_id, "seq_num": 0, "est_wt": 1, "proj_node_flag": "Y",
                         "sum_data_flag": "N", "status_code": "WS_Open", "wbs_short_name": code,
                         "wbs_name": _text(info.get("project_name")) or code, "parent_wbs_id": "",
                         "ev_compute_type": "EC_Cmp_pct", "ev_etc_compute_type": "EE_Rem_hr"})
        parents = _parents(rows)
        by_code = {_text(r.get("task_code")): r for r in rows}
        wbs_of: dict[str, int] = {}
        for summary in [c for c in by_code if c in parents]:
            next_wbs = _add_wbs_node(summary, by_code, parents, wbs_of, wbs_rows, root, proj_id, next_wbs)
        for r in rows:
            tcode = _text(r.get("task_code"))
            if tcode in parents:
                continue
            task_id = next_task
            next_task += 1
            parent = _text(r.get("parent_task_code"))
            b_start, b_finish = _date(r.get("baseline_start")), _date(r.get("baseline_finish"))
            a_start, a_finish = _date(r.get("actual_start")), _date(r.get("actual_finish"))
            forecast = _date(r.get("forecast_finish")) or b_finish
            pct = _dec(r.get("percent_complete"))
            milestone = _bool(r.get("is_milestone"))
            target_hrs = 0 if milestone else _working_hours(b_start, b_finish)
            frac = (pct or Decimal(0)) / 100
            remain_hrs = 0 if a_finish else (Decimal(target_hrs) * (1 - frac)).quantize(Decimal("0.01"))
            status_code = "TK_Complete" if a_finish else ("TK_Active" if a_start else "TK_NotStart")
            early_start = None if a_finish else (status if a_start else b_start)
            early_end = status if a_finish else forecast
            task_rows.append({
                "task_id": task_id, "proj_id": proj_id, "wbs_id": wbs_of.get(parent, root), "clndr_id": 1,
                "phys_complete_pct": _num(pct, "0"), "rev_fdbk_flag": "N", "est_wt": 1, "lock_plan_flag": "N",
                "auto_compute_act_flag": "N", "complete_pct_type": "CP_Phys",
                "task_type": "TT_FinMile" if milestone else "TT_Task", "duration_type": "DT_FixedDUR2",
                "status_code": status_code, "task_code": tcode, "task_name": _text(r.get("task_name")),
                "remain_drtn_hr_cnt": remain_hrs, "target_drtn_hr_cnt": target_hrs,
                "act_work_qty": 0, "remain_work_qty": 0, "target_work_qty": 0,
                "act_start_date": _xer_dt(a_start, "08:00"), "act_end_date": _xer_dt(a_finish, "17:00"),
                "early_start_date": _xer_dt(early_start, "08:00"), "early_end_date": _xer_dt(early_end, "17:00"),
                "restart_date": "" if a_finish else _xer_dt(early_start, "08:00"),
                "reend_date": "" if a_finish else _xer_dt(forecast, "17:00"),
                "target_start_date": _xer_dt(b_start, "08:00"), "target_end_date": _xer_dt(b_finish, "17:00"),
                "priority_type": "PT_Normal",
            })
            bcost, acost, rcost = (_dec(r.get("baseline_cost")), _dec(r.get("actual_cost")),
                                   _dec(r.get("remaining_cost")))
            if any(x is not None and x != 0 for x in (bcost, acost, rcost)):
                cost_rows.append({"cost_item_id": next_cost, "proj_id": proj_id, "task_id": task_id,
                                  "cost_name": f"{tcode} budget", "act_cost": _num(acost, "0"),
                                  "cost_per_qty": _num(bcost, "0"), "remain_cost": _num(rcost, "0"),
                                  "target_cost": _num(bcost, "0"), "cost_load_type": "CL_Uniform",
                                  "auto_compute_act_flag": "N", "target_qty": 1})
                next_cost += 1

    table("PROJECT", ["proj_id", "fy_start_month_num", "name_sep_char", "def_complete_pct_type", "proj_short_name",
                      "clndr_id", "sum_base_proj_id", "task_code_base", "task_code_step", "last_recalc_date",
                      "plan_start_date", "plan_end_date", "scd_end_date", "def_duration_type", "def_qty_type",
                      "def_rate_type", "def_task_type", "critical_path_type", "export_flag"], proj_rows)
    table("CALENDAR", ["clndr_id", "default_flag", "clndr_name", "proj_id", "base_clndr_id", "last_chng_date",
                       "clndr_type", "day_hr_cnt", "week_hr_cnt", "month_hr_cnt", "year_hr_cnt", "rsrc_private",
                       "clndr_data"],
          [{"clndr_id": 1, "default_flag": "Y", "clndr_name": "Standard 5 Day Workweek",
            "last_chng_date": _xer_dt(export_date, "00:00"), "clndr_type": "CA_Base", "day_hr_cnt": 8,
            "week_hr_cnt": 40, "month_hr_cnt": 172, "year_hr_cnt": 2000, "rsrc_private": "N",
            "clndr_data": _CALENDAR_DATA}])
    table("PROJWBS", ["wbs_id", "proj_id", "seq_num", "est_wt", "proj_node_flag", "sum_data_flag", "status_code",
                      "wbs_short_name", "wbs_name", "parent_wbs_id", "ev_compute_type", "ev_etc_compute_type"],
          wbs_rows)
    table("TASK", ["task_id", "proj_id", "wbs_id", "clndr_id", "phys_complete_pct", "rev_fdbk_flag", "est_wt",
                   "lock_plan_flag", "auto_compute_act_flag", "complete_pct_type", "task_type", "duration_type",
                   "status_code", "task_code", "task_name", "remain_drtn_hr_cnt", "act_work_qty",
                   "remain_work_qty", "target_work_qty", "target_drtn_hr_cnt", "act_start_date", "act_end_date",
                   "early_start_date", "early_end_date", "restart_date", "reend_date", "target_start_date",
                   "target_end_date", "priority_type"], task_rows)
    table("PROJCOST", ["cost_item_id", "proj_id", "task_id", "cost_name", "act_cost", "cost_per_qty",
                       "remain_cost", "target_cost", "cost_load_type", "auto_compute_act_flag", "target_qty"],
          cost_rows)
    out.append("%E")
    path.write_bytes(("\r\n".join(out) + "\r\n").encode("cp1252", errors="replace"))
    return path


# ---------------------------------------------------------------------------------------------- MSPDI

def _x(value) -> str:
    return escape(_text(value))


def _mspdi_dt(d: dt.date | None, time: str) -> str | None:
    return None if d is None else f"{d.isoformat()}T{time}"


def _hundredths(d: Decimal | None) -> str | None:
    return None if d is None else format(d.scaleb(2).normalize() if d != 0 else Decimal(0), "f")


def _whole_percent(d: Decimal | None) -> str:
    if d is None:
        return "0"
    return str(int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def write_mspdi(path, project_row, tasks_rows, status_date) -> Path:
    """Write one project's schedule snapshot as MS Project XML (MSPDI), with Baseline (slot 0).

    ``project_row``: the canonical projects row; ``tasks_rows``: its canonical tasks rows (when they carry
    several status dates, those of ``status_date`` are written); ``status_date`` becomes
    ``Project/StatusDate``.  Tasks are written in outline order (a parent before its children, input order
    otherwise); a task that is another's parent is a summary task.  ``task_code`` goes into ``WBS`` (what
    the reader reads back), ``project_code`` into ``Name``, ``project_name`` into ``Title``.
    Returns the path written.
    """
    path = Path(path)
    status = _date(status_date)
    if status is None:
        raise ValueError("write_mspdi needs a status_date")
    code = _text(project_row.get("project_code"))
    rows = [r for r in tasks_rows if not r.get("project_code") or _text(r.get("project_code")) == code]
    if any(_date(r.get("status_date")) for r in rows):
        rows = [r for r in rows if _date(r.get("status_date")) in (None, status)]
    by_code = OrderedDict((_text(r.get("task_code")), r) for r in rows)
    parents = _parents(rows)
    children: dict[str | None, list[str]] = OrderedDict()
    for c, r in by_code.items():
        p = _text(r.get("parent_task_code")) or None
        if p not in by_code or p == c:
            p = None
        children.setdefault(p, []).append(c)

    ordered: list[tuple[str, str, int]] = []           # (code, outline number, level)
    visiting: set[str] = set()

    def walk(parent: str | None, prefix: str, level: int) -> None:
        for i, c in enumerate(children.get(parent, []), start=1):
            if c in visiting:
                continue
            visiting.add(c)
            number = f"{prefix}{i}"
            ordered.append((c, number, level))
            walk(c, number + ".", level + 1)

    walk(None, "", 1)
    for c in by_code:                                   # a parent cycle: written at top level
        if c not in visiting:
            visiting.add(c)
            ordered.append((c, str(len(children.get(None, [])) + len(ordered) + 1), 1))

    starts = [d for d in (_date(r.get("actual_start")) or _date(r.get("baseline_start")) for r in rows) if d]
    finishes = [d for d in (_date(r.get("actual_finish")) or _date(r.get("forecast_finish"))
                            or _date(r.get("baseline_finish")) for r in rows) if d]
    p_start = _date(project_row.get("start_date")) or (min(starts) if starts else status)
    p_finish = max(finishes) if finishes else (_date(project_row.get("planned_finish_date")) or status)
    leaves = [r for c, r in by_code.items() if c not in parents]
    total_cost = sum(((_dec(r.get("actual_cost")) or 0) + (_dec(r.get("remaining_cost")) or 0)
                      if r.get("actual_cost") not in (None, "") or r.get("remaining_cost") not in (None, "")
                      else (_dec(r.get("baseline_cost")) or 0) for r in leaves), Decimal(0))
    total_base = sum(((_dec(r.get("baseline_cost")) or Decimal(0)) for r in leaves), Decimal(0))
    currency = _text(project_row.get("currency")).strip().upper() or "GBP"

    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
             '<Project xmlns="http://schemas.microsoft.com/project">']

    def el(tag: str, value, indent: int = 1) -> None:
        if value is None:
            return
        lines.append("\t" * indent + f"<{tag}>{_x(value)}</{tag}>")

    el("SaveVersion", 14)
    el("Name", code)
    el("Title", _text(project_row.get("project_name")) or code)
    el("Manager", project_row.get("manager") or None)
    el("ScheduleFromStart", 1)
    el("StartDate", _mspdi_dt(p_start, "08:00:00"))
    el("FinishDate", _mspdi_dt(p_finish, "17:00:00"))
    el("FYStartDate", 1)
    el("CurrencyDigits", 2)
    el("CurrencyCode", currency)
    el("CalendarUID", 1)
    el("DefaultStartTime", "08:00:00")
    el("DefaultFinishTime", "17:00:00")
    el("MinutesPerDay", 480)
    el("MinutesPerWeek", 2400)
    el("DaysPerMonth", 20)
    el("DefaultTaskType", 0)
    el("DurationFormat", 7)
    el("WorkFormat", 2)
    el("EarnedValueMethod", 0)
    el("BaselineForEarnedValue", 0)
    el("StatusDate", _mspdi_dt(status, "17:00:00"))
    el("CurrentDate", _mspdi_dt(status, "08:00:00"))
    el("DefaultTaskEVMethod", 0)
    lines.append("\t<Calendars>")
    lines.append("\t\t<Calendar>")
    el("UID", 1, 3)
    el("Name", "Standard", 3)
    el("IsBaseCalendar", 1, 3)
    el("BaseCalendarUID", -1, 3)
    lines.append("\t\t\t<WeekDays>")
    for day in range(1, 8):
        lines.append("\t\t\t\t<WeekDay>")
        el("DayType", day, 5)
        working = 2 <= day <= 6
        el("DayWorking", 1 if working else 0, 5)
        if working:
            lines.append("\t\t\t\t\t<WorkingTimes>")
            for a, b in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                lines.append(f"\t\t\t\t\t\t<WorkingTime><FromTime>{a}</FromTime><ToTime>{b}</ToTime></WorkingTime>")
            lines.append("\t\t\t\t\t</WorkingTimes>")
        lines.append("\t\t\t\t</WeekDay>")
    lines.append("\t\t\t</WeekDays>")
    lines.append("\t\t</Calendar>")
    lines.append("\t</Calendars>")

    lines.append("\t<Tasks>")

    def task(uid: int, values: list[tuple[str, object]], baseline: list[tuple[str, object]] | None) -> None:
        lines.append("\t\t<Task>")
        for tag, value in values:
            el(tag, value, 3)
        if baseline:
            lines.append("\t\t\t<Baseline>")
            for tag, value in baseline:
                el(tag, value, 4)
            lines.append("\t\t\t</Baseline>")
        lines.append("\t\t</Task>")

    hours = _working_hours(p_start, p_finish)
    task(0, [("UID", 0), ("ID", 0), ("Name", _text(project_row.get("project_name")) or code), ("Type", 1),
             ("IsNull", 0), ("WBS", 0), ("OutlineNumber", 0), ("OutlineLevel", 0),
             ("Start", _mspdi_dt(p_start, "08:00:00")), ("Finish", _mspdi_dt(p_finish, "17:00:00")),
             ("Duration", f"PT{hours}H0M0S"), ("DurationFormat", 7), ("Milestone", 0), ("Summary", 1),
             ("Cost", _hundredths(total_cost)), ("CalendarUID", -1)],
         [("Number", 0), ("Cost", _hundredths(total_base))])

    for n, (c, outline, level) in enumerate(ordered, start=1):
        r = by_code[c]
        b_start, b_finish = _date(r.get("baseline_start")), _date(r.get("baseline_finish"))
        a_start, a_finish = _date(r.get("actual_start")), _date(r.get("actual_finish"))
        start = a_start or b_start
        finish = a_finish or _date(r.get("forecast_finish")) or b_finish
        bcost, acost, rcost = _dec(r.get("baseline_cost")), _dec(r.get("actual_cost")), _dec(r.get("remaining_cost"))
        cost = (acost or 0) + (rcost or 0) if (acost is not None or rcost is not None) else bcost
        pct = _whole_percent(_dec(r.get("percent_complete")))
        milestone = _bool(r.get("is_milestone"))
        dur = 0 if milestone else _working_hours(start, finish)
        bdur = 0 if milestone else _working_hours(b_start, b_finish)
        task(n, [("UID", n), ("ID", n), ("Name", _text(r.get("task_name")) or c), ("Type", 0), ("IsNull", 0),
                 ("WBS", c), ("OutlineNumber", outline), ("OutlineLevel", level),
                 ("Start", _mspdi_dt(start, "08:00:00")), ("Finish", _mspdi_dt(finish, "17:00:00")),
                 ("Duration", f"PT{dur}H0M0S"), ("DurationFormat", 7),
                 ("Milestone", 1 if milestone else 0), ("Summary", 1 if c in parents else 0),
                 ("PercentComplete", pct), ("Cost", _hundredths(cost)),
                 ("ActualStart", _mspdi_dt(a_start, "08:00:00")), ("ActualFinish", _mspdi_dt(a_finish, "17:00:00")),
                 ("ActualCost", _hundredths(acost)), ("RemainingCost", _hundredths(rcost)),
                 ("CalendarUID", -1), ("PhysicalPercentComplete", pct), ("EarnedValueMethod", 0)],
             [("Number", 0), ("Start", _mspdi_dt(b_start, "08:00:00")), ("Finish", _mspdi_dt(b_finish, "17:00:00")),
              ("Duration", f"PT{bdur}H0M0S"), ("DurationFormat", 7), ("Cost", _hundredths(bcost))])
    lines.append("\t</Tasks>")
    lines.append("</Project>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
