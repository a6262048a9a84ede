"""The demo's data model: what a generation produces (``DemoSummary``, ``Anomaly``) and the simulated
organisation every entity module reads and fills (``_Period``, ``_Task``, ``_Person``, ``_Project``), with
the calendar and money helpers they share.

It generates no file itself and feeds no contract entity directly: the ``_Project`` objects carry what
``projects``, ``tasks``, ``timesheets``, ``ledger`` and the registers are written from.  Names with a
leading underscore are internal to ``orchestration.demo``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

#: Approximate value of one unit in GBP, the centre of each currency's wander.
_GBP_VALUE = {
    "GBP": 1.0,
    "EUR": 0.86,
    "USD": 0.79,
    "CHF": 0.89,
    "CAD": 0.57,
    "AUD": 0.51,
    "NZD": 0.47,
    "SEK": 0.073,
    "NOK": 0.072,
    "DKK": 0.115,
    "PLN": 0.2,
    "SGD": 0.59,
    "ZAR": 0.043,
    "INR": 0.0094,
    "JPY": 0.0052,
}

_HOURS_PER_DAY = 7.5


# --------------------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------------------
@dataclass
class Anomaly:
    """One deliberate piece of mess in the demo data, and where it is."""

    kind: str
    entity: str
    file: str  # path relative to landing/
    where: str  # lines (header = line 1), document ids, dates...
    description: str

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "entity": self.entity,
            "file": self.file,
            "where": self.where,
            "description": self.description,
        }


@dataclass
class DemoSummary:
    """What :func:`generate_demo` wrote."""

    landing: Path
    seed: int
    as_of: str
    reporting_currency: str
    periods: list[str]
    files: list[Path] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    scenarios: dict[str, list[str]] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    portfolios: int = 0
    programmes: int = 0
    projects: int = 0
    people: int = 0
    bac: dict[str, float] = field(default_factory=dict)  # project code -> BAC in its currency (current baseline)
    ev_methods: dict[str, list[str]] = field(default_factory=dict)  # EV technique -> projects using it
    rebaselined: dict[str, str] = field(default_factory=dict)  # project code -> first period of BL2
    #: The quality stories (demo/quality.py): "red_quality" (green on cost and schedule, failing its reviews)
    #: and "rushed_release" (escaped defects rise after its release) -> project code.
    quality_stories: dict[str, str] = field(default_factory=dict)

    @property
    def scenario_of(self) -> dict[str, str]:
        """Project code -> scenario."""
        return {code: s for s, codes in self.scenarios.items() for code in codes}

    def to_dict(self) -> dict:
        return {
            "landing": str(self.landing),
            "seed": self.seed,
            "as_of": self.as_of,
            "reporting_currency": self.reporting_currency,
            "periods": self.periods,
            "files": [str(p) for p in self.files],
            "row_counts": self.row_counts,
            "scenarios": self.scenarios,
            "anomalies": [a.to_dict() for a in self.anomalies],
            "notes": self.notes,
            "currencies": self.currencies,
            "portfolios": self.portfolios,
            "programmes": self.programmes,
            "projects": self.projects,
            "people": self.people,
            "bac": self.bac,
            "ev_methods": self.ev_methods,
            "rebaselined": self.rebaselined,
            "quality_stories": self.quality_stories,
        }


# --------------------------------------------------------------------------------------------------------
# Internal model
# --------------------------------------------------------------------------------------------------------
@dataclass
class _Period:
    label: str
    start: int  # ordinals
    end: int
    workdays: list[int]


@dataclass
class _Task:
    code: str
    name: str
    parent: str = ""
    kind: str = "leaf"  # leaf | summary | milestone
    bs: int = 0
    bf: int = 0
    cost: int = 0  # cents
    a_start: int = 0  # simulated actual (or forecast) dates
    a_finish: int = 0
    children: list[_Task] = field(default_factory=list)
    method: str = "percent_complete"  # ev_method
    units: int = 0  # units-measured tasks: how many units the work is
    base: list[_Task] = field(default_factory=list)  # apportioned tasks: the discrete tasks they follow
    bl2: tuple[int, int, int] | None = None  # re-baselined: (start, finish, cost) from the BL2 snapshot on


@dataclass
class _Person:
    pid: str
    name: str
    role: str
    ccy: str
    rate0: float  # before the change date, in ccy
    rate1: float
    personal: bool
    assignments: list[tuple[int, float]] = field(default_factory=list)  # (project index, allocation)


@dataclass
class _Project:
    idx: int
    code: str
    name: str
    programme: str
    portfolio: str
    sponsor: str
    scenario: str
    methodology: str = "waterfall"
    currency: str = "GBP"
    closed_on_time: bool = False
    ps: int = 0
    pf: int = 0
    speed: float = 1.0
    delay: int = 0
    cost_factor: float = 1.0
    labour_share: float = 0.5
    manager: str = ""
    bac: int = 0  # cents
    tasks: list[_Task] = field(default_factory=list)  # WBS order
    leaves: list[_Task] = field(default_factory=list)  # the measured (non-summary) tasks that carry cost
    work: list[_Task] = field(default_factory=list)  # what time and costs are booked to
    rich: bool = False  # its schedule mixes EV techniques
    rebase_m: int | None = None  # period index from which the schedule is re-baselined (BL2)
    act_start: int = 0
    act_finish: int = 0
    appear: int = 0  # first period index with a snapshot
    team: list[tuple[int, float]] = field(default_factory=list)  # (person index, allocation)
    pct: list[dict[str, float]] = field(default_factory=list)  # per period: leaf code -> pct (1 dp)
    ev_task: list[dict[str, float]] = field(default_factory=list)  # per period: leaf code -> EV (cents)
    ev: list[float] = field(default_factory=list)  # cumulative EV per period (currency units)
    target: list[float] = field(default_factory=list)  # cost to spend per period (currency units)
    ac: list[int] = field(default_factory=list)  # cost per period (cents), labour + non-labour
    booking: dict[int, str | tuple[str, ...]] = field(default_factory=dict)  # day -> task(s) open to bookings
    progress_on: dict[int, float] = field(default_factory=dict)  # day -> _progress (once the schedule is final)

    @property
    def started(self) -> bool:
        return self.scenario != "not_started"

    def version(self, m: int) -> str:
        return "BL2" if self.rebase_m is not None and m >= self.rebase_m else "BL1"

    def base(self, t: _Task, m: int | None) -> tuple[int, int, int]:
        """(baseline start, finish, cost) of a task in the snapshot of period m (None: the current one)."""
        if t.bl2 is not None and self.rebase_m is not None and (m is None or m >= self.rebase_m):
            return t.bl2
        return t.bs, t.bf, t.cost

    def bac_at(self, m: int | None) -> int:
        return sum(self.base(t, m)[2] for t in self.leaves)

    @property
    def status(self) -> str:
        if self.scenario == "not_started":
            return "proposed"
        if self.scenario == "finished_late" or self.closed_on_time:
            return "closed"
        return "active"


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


@cache
def _iso(ordinal: int | None) -> str:
    return date.fromordinal(ordinal).isoformat() if ordinal else ""


def _weekday_on_or_after(o: int) -> int:
    wd = date.fromordinal(o).weekday()
    return o + (7 - wd if wd >= 5 else 0)


def _weekday_on_or_before(o: int) -> int:
    wd = date.fromordinal(o).weekday()
    return o - (wd - 4 if wd >= 5 else 0)


def _month(label: str, k: int) -> str:
    y, m = int(label[:4]), int(label[5:7])
    t = y * 12 + (m - 1) + k
    return f"{t // 12:04d}-{t % 12 + 1:02d}"


def _make_periods(as_of: str, months: int) -> list[_Period]:
    out = []
    for k in range(months - 1, -1, -1):
        label = _month(as_of, -k)
        y, m = int(label[:4]), int(label[5:7])
        start = date(y, m, 1).toordinal()
        end = date(y, m, calendar.monthrange(y, m)[1]).toordinal()
        wd = [o for o in range(start, end + 1) if date.fromordinal(o).weekday() < 5]
        out.append(_Period(label, start, end, wd))
    return out


def _split_cents(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    parts = [round(total * w / s) for w in weights[:-1]]
    parts.append(total - sum(parts))
    return parts
