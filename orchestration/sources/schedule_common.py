"""What the schedule readers (P6 XER :mod:`~orchestration.sources.xer`, P6 XML
:mod:`~orchestration.sources.pmxml`, MS Project XML :mod:`~orchestration.sources.mspdi`) share: the date
options, the planned values a baseline contributes, WBS paths, percent-complete arithmetic, the base
currency rule and the canonical task row.  What each format stores where (which element or column holds
what) stays in its reader; these helpers take plain values.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "PlannedValues",
    "clamp_percent",
    "date_option",
    "duration_percent",
    "file_currency",
    "is_unit_rate",
    "task_row",
    "units_percent",
    "wbs_collision_warning",
    "wbs_paths",
]


def date_option(value, what: str) -> date:
    """A date option (``status_date``): a date, or text 'YYYY-MM-DD'; anything else raises ValueError."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} must be a date or 'YYYY-MM-DD', got {value!r}") from None


@dataclass
class PlannedValues:
    """What a baseline contributes to one activity: its planned dates and cost."""

    start: date
    finish: date
    cost: Decimal


def wbs_paths(ids: Iterable[Hashable], parent_of: Callable[[Hashable], Hashable], code_of: Callable[[Hashable], str],
              is_root: Callable[[Hashable], bool], sep_of: Callable[[Hashable], str]) -> dict:
    """WBS node id -> the path of its codes below the project node, joined with its ``sep_of``.

    ``ids`` are the nodes of the file; ``parent_of`` names a node's parent, ``code_of`` its code (blank codes
    are skipped), ``is_root`` says whether a node is the project node (which is not part of any path).  A
    cycle or a parent outside the file ends the path.
    """
    order = list(ids)  # file order: with a cycle, where a path starts decides where it stops
    nodes = set(order)
    paths: dict = {}
    for node in order:
        chain: list[str] = []
        seen: set = set()
        cur = node
        while cur in nodes and cur not in seen and not is_root(cur):
            if cur in paths:  # an ancestor already resolved
                if paths[cur]:
                    chain.append(paths[cur])
                break
            seen.add(cur)
            code = code_of(cur)
            if code:
                chain.append(code)
            cur = parent_of(cur)
        paths[node] = sep_of(node).join(reversed(chain))
    return paths


def wbs_collision_warning(name: str, code: str, paths: Iterable[str]) -> str:
    return (f"{name}: project {code}: WBS path(s) {', '.join(sorted(paths))} equal activity codes; "
            "parent_task_code is left blank on the activities under them")


def clamp_percent(pct: float) -> float:
    return min(100.0, max(0.0, pct))


def units_percent(actual: float, remaining: float, complete: bool) -> float:
    """Units percent complete: actual / (actual + remaining) units; no units at all -> 100 when complete,
    else 0 (not clamped)."""
    if actual + remaining == 0:
        return 100.0 if complete else 0.0
    return actual / (actual + remaining) * 100.0


def duration_percent(planned: float, remaining: float, complete: bool) -> float:
    """Duration percent complete: (planned - remaining) / planned; a zero-duration activity (milestone) is
    100 when complete, else 0 (not clamped)."""
    if planned == 0:
        return 100.0 if complete else 0.0
    return (planned - remaining) / planned * 100.0


def is_unit_rate(raw: str, *, blank: bool) -> bool:
    """Whether an exchange-rate cell says 1 (the base currency); ``blank`` is the answer for an empty cell."""
    if raw == "":
        return blank
    try:
        return Decimal(raw) == 1
    except InvalidOperation:
        return False


def file_currency(found: str | None, option: str | None, name: str, why_none: str, warnings: list[str],
                  *, warn_ignored: bool = True) -> str:
    """The currency of a schedule's costs: the file's own (``found``), else the ``currency`` option, else GBP,
    with a warning starting ``'<file>: <why_none>; <currency> is assumed'``.  An option that disagrees with
    the file's currency is ignored, with a warning when ``warn_ignored``."""
    if found is None:
        currency = (option or "GBP").strip().upper()
        warnings.append(f"{name}: {why_none}; {currency} is assumed" + ("" if option else " (pass currency= to set it)"))
        return currency
    if warn_ignored and option and option.strip().upper() != found.upper():
        warnings.append(f"{name}: option currency={option!r} ignored: the file's costs are in its base currency {found}")
    return found


def task_row(*, status_date, project_code, task_code, parent_task_code, task_name, is_milestone, ev_method,
             baseline_start, baseline_finish, baseline_cost, percent_complete, actual_start, actual_finish,
             forecast_finish, baseline_version, actual_cost, remaining_cost, source_row) -> dict:
    """One canonical ``tasks`` row, in the contract's column order, plus ``_source_row``."""
    return {
        "status_date": status_date,
        "project_code": project_code,
        "task_code": task_code,
        "parent_task_code": parent_task_code,
        "task_name": task_name,
        "is_milestone": is_milestone,
        "ev_method": ev_method,
        "baseline_start": baseline_start,
        "baseline_finish": baseline_finish,
        "baseline_cost": baseline_cost,
        "percent_complete": percent_complete,
        "actual_start": actual_start,
        "actual_finish": actual_finish,
        "forecast_finish": forecast_finish,
        "baseline_version": baseline_version,
        "actual_cost": actual_cost,
        "remaining_cost": remaining_cost,
        "_source_row": source_row,
    }
