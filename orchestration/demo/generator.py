"""A deterministic demo organisation, written as canonical CSV exports under ``landing/<entity>/``.

Why it exists
-------------
The warehouse needs data that *tells a story*, so that every mart, gate and report can be shown and tested
end to end without a customer's files.  A PMO analyst opening the demo pack must see on-track projects in
green, at-risk ones amber (CPI and SPI(t) in 0.90-0.95), late ones red on SPI / SPI(t), over-budget ones red
on CPI, projects that finished late (SPI = 1 at completion but SPI(t) < 1, docs/evm.md §3) and proposed ones with a
plan but no actuals; every EV technique of docs/evm.md §2, a re-baselined project, agile releases and a
dis-benefit.  So the numbers are *constructed*, not noise, and a test can compute them back from the CSV
rows alone (tests/integration/test_demo_coverage.py does, against the marts).

How the numbers are built
-------------------------
* Each project has a baseline window [start, planned finish] cut into 4-10 tasks.  Its simulated actual
  dates are the baseline "time-warped": ``actual = start + delay + (baseline - start) / speed``.  Speed is
  ~1 for on_track / over_budget, 0.92-0.935 for at_risk, 0.72-0.8 for late (so EV/PV ~0.8 mid-flight) and
  D / (D + slip) for finished_late.  percent_complete at a status date is linear in days between a task's
  actual start and finish (inclusive), rounded to 0.1 (a units task: whole units done / units, a milestone:
  0 or 100).  EV is summed over non-summary tasks, each by its technique as the warehouse measures it
  (``int_tasks_classified``): percent_complete and units B x % / 100; 0/100 B once finished; 50/50 B / 2
  once started, B once finished; a weighted milestone its own B once finished; loe the linear planned value
  of its baseline at the status date; apportioned B x EV / budget of the discrete tasks beside it.
* Each month a project must cost ``(EV gained that month) x cost_factor x U(0.97, 1.03)`` in its own
  currency (at risk: x U(0.995, 1.005), the amber band is narrow); cost_factor is 0.98-1.02 on track,
  1.08-1.09 at risk, 0.98-1.04 late, 1.2-1.3 over budget, 1.0-1.06 finished late.  About 35-65 % of it is
  labour (its team's hours x their rates, converted at the month's fx rate), capped by the team's
  allocation; the rest is non-labour ledger lines.  So AC = timesheets x rates + non-labour
  ledger, computed the warehouse's way, gives CPI = 1 / cost_factor (within a few %).
* The cost plan counts approved and submitted timesheet rows; the warehouse costs approved rows only, so the
  few entries still awaiting approval at the end of the last month are left out of its AC.

What it writes (docs/design.md §3; columns come from ``orchestration.contract.ENTITIES``, in contract order)
-----------------------------------------------------------------------------------------------------
UTF-8, header row, ISO dates, ``.`` decimals, blank = NULL, ``\\n`` line ends, csv-module quoting.

* ``projects/projects.csv``: codes ``PRJ-001``...; portfolios = max(1, projects//10), programmes =
  max(1, round(projects/3.75)); methodology mostly waterfall, ~35 % agile, one hybrid per 15 projects;
  currency mostly the reporting currency (GBP), ~10 % in a second one (EUR), one per 20 projects in a third
  (USD).  Status active / closed (finished) / proposed.  Three ``score_<criterion>`` columns (1-5) follow
  the contract columns (the contract's extra prefix for projects).
* ``tasks/tasks-<YYYY-MM>.csv``: one schedule snapshot per project per month, status_date = month end.  A
  started project appears from the month its baseline starts (every project that has started did so
  inside the window, so its whole cost history is in the files); a proposed (not_started) project appears
  in every snapshot from the first, with its baseline after as_of.  Tasks: leaves, 0-2 summary tasks
  (children carry ``parent_task_code``; a summary's baseline_cost = the sum of its children, so a
  consumer must exclude summaries - tasks that are a parent - from sums), 1-2 milestones (cost 0),
  ev_method ``percent_complete``.  About a quarter of the schedules (``DemoSummary.ev_methods``; never an
  at-risk, the re-baselined or the first on-track project) mix techniques: ``loe`` "Project management"
  over the whole baseline (6-10 % of BAC), a ``0/100`` "Mobilisation" of 10-24 days, a ``50/50`` review of
  25-50 days, a middle phase in ``units`` (the count in its name), an ``apportioned`` "Quality assurance"
  in the one stage (summary), following the stage's other tasks, and the longest top-level phase as a
  ``milestone_weights`` work package: a summary whose three milestones (25/35/40 % of its budget, at 35 %,
  70 % and 100 % of its span) earn it.  baseline_version ``BL1``; the re-baselined project
  (``DemoSummary.rebaselined``: a late one when there are two or more, else an over-budget one) is ``BL2``
  from its middle snapshot on: unfinished tasks move to their forecast dates, tasks not yet started cost
  8-15 % more, finished ones keep their baseline, so EV earned so far is unchanged and BAC grows.  BAC
  (sum of the leaves of the current baseline) is 150k-2M (plus the uplift) in the project currency.
  percent_complete never decreases and is 100 exactly when actual_finish is set; actual_start once
  started; forecast_finish (the simulated finish) on unfinished tasks.  actual_cost and remaining_cost are
  filled as well: a project's leaves' actual_cost sums to its AC from timesheets +
  ledger, so "the schedule as cost source" gives the same answer.
* ``baseline_phasing/baseline-phasing.csv``: the agile and hybrid projects' BL1 baseline cost of each leaf task by
  month (its days in the month; whole cents adding up to the task's baseline cost), so PV of those tasks
  is time-phased (``pv_method = 'time_phased'``).
* ``timesheets/timesheets-<YYYY-MM>.csv``: daily entries (Mon-Fri) per person per project while the project
  is running, hours in 0.25 steps within 0.5-10, task_code = a leaf task in progress that day (or the
  weighted-milestone work package: its milestones take no bookings), entry_id
  ``TS-000001``... sorted by date and person.  4 people per project (one is
  its project_manager, named in projects.manager); ~25 % of people, and everyone whose project is proposed
  or finished more than 4 months before as_of, also work on a second project (a person's day stays under
  ~9 h).  approval_status ``approved``; some ``submitted`` in the last three working days of as_of; ~1 %
  extra ``rejected`` rows.
* ``rates/rates.csv``: per person (person_id set, role blank) in the person's home currency (the reporting
  currency, or EUR for people of EUR projects), plus role defaults (person_id blank, role set) in the
  reporting currency.  Every rate rises by 4 % on one date - 1 April when one is inside the window (not
  its first month), else the window's middle month: the first row's valid_to is the day before
  (inclusive), the second row's valid_to is blank.  ~1 person in 60 has no personal rate: their hours are
  costed with the role default.
* ``ledger/ledger-<YYYY-MM>.csv``: per running project and month one non-labour document (2-4 lines of
  material / subcontract / travel / overhead) in the project currency, and at month end one payroll
  allocation document per currency with a ``labour`` line per project equal to that month's timesheet cost
  in the project currency - to reconcile against, not to add to AC.  document_id ``GL-<year>-<6 digits>``
  (numbered per posting year), line_id 1..n, fiscal_period = posting month, is_reversal false.
* ``budgets/budgets.csv``: per project ``BL1`` = BAC and ``MR`` (management reserve, 5-15 %), task_code
  blank, approved before the baseline start (for proposed projects: before as_of's month end); the
  re-baselined project also ``BL2`` = its new BAC, approved on the first working day of its first BL2 month.
* ``fx_rates/fx_rates.csv``: every period x every ordered pair of the three currencies; rates wander a
  little around a centre (EUR->GBP 0.84-0.88) and the inverse row is round(1 / rate, 6).
* ``benefits/benefits.csv``: 1-3 benefits per started project, one row per period for the 12 months from
  the planned-finish month (periods after as_of carry planned_value only; realised_value starts the month
  after the actual finish, so late projects realise late); monetary (unit = currency) and non-monetary
  (NPS points, minutes, incidents; their values are levels, not amounts); max(1, projects//30)
  dis-benefits (so at least one whenever a project has started; closed projects first, whose benefits are
  already due), category ``operational cost``.
* ``risks/risks-<YYYY-MM>.csv``: a register snapshot per started project per month until it finishes
  (all closed in its finish month), 2-6 risks; late / over-budget projects carry likelier schedule / cost
  risks.  impact_cost is in the project currency.  On-track and at-risk registers are mitigated (open risks'
  probabilities scaled down) whenever their exposure would pass 4 % / 7.5 % of BAC, so the risk measure
  keeps them green / below red.
* ``dependencies/dependencies.csv``: projects//3 between tasks of two projects; needed_by_date is the
  receiving task's baseline start; status met / met_late / late / at_risk / open from the simulated dates.
* ``capacity/capacity.csv``: per person per period, working days x 7.5 h minus 0-10 days of leave.
* ``work_items/work_items-<YYYY-MM>.csv``: 18-40 stories / bugs / tasks per agile or hybrid project, per
  month; an item is done (resolved_date = the day it happened) once the project's EV / BAC passes its
  cumulative share of the points, so done points track EV.  Two-week sprints ``Sprint <n>``; releases R1-R3.
  The first on-track project (running since the first period, never closed) is agile, so a release with
  sprints done - AgileEVM PV, EV, CPI and SPI - exists at any size.

Scenarios (``DemoSummary.scenarios``)
------------------------------------
on_track (CPI, SPI ~1; with months >= 9 a few finished on time and are ``closed``), at_risk (CPI and
SPI(t) ~0.92-0.94: amber), late (SPI ~0.6-0.85), over_budget (AC / EV ~1.2-1.3), finished_late
(``closed``; baseline finished >= 2 months before as_of, work 100 % done 2-4 months after it), not_started
(``proposed``, baseline after as_of, tasks / budgets / work items only: no timesheets, ledger, risks or
benefits).  Quotas are fixed by size (on_track 40, at_risk 10, late 15, over_budget 15, finished_late 10,
not_started 10 % after one of each; 11/3/5/5/3/3 for 30 projects); which project gets which is random.
With fewer than 6 projects the priority is on_track, late, over_budget, not_started, finished_late,
at_risk.  finished_late needs
``months >= 4`` (a baseline of >= 1 month plus >= 2 months of slip must fit in the window); with fewer
months there is none, the other scenarios share its projects, and ``DemoSummary.notes`` says so.

Deliberate mess (``DemoSummary.anomalies`` says where)
-----------------------------------------------------
3-6 exact duplicate timesheet rows (same entry_id and every field, repeated later in the same file; the
ingest quarantines them); one non-labour ledger document keyed with a decimal slip (x10), reversed later
in the same month (negative amounts, is_reversal true, reverses_document_id) and re-posted correctly, so
the month still nets to the right cost; the +4 % rate change; the second and third currency; the people
costed by a role-default rate.  Every other row satisfies the contract (allowed values, required
columns, known project codes, hours 0-24, actual dates not after as_of's month end), because the
blocking gates would reject the run otherwise.

Determinism and scale
---------------------
Only ``random.Random`` instances seeded from (seed, stream name), no global state, no clock except
``date.today()`` when ``as_of`` is None: the same seed and options give byte-identical files.  The work is
linear in projects x months; timesheets and ledger are built and written one month at a time (CPU time on
a 2-core machine: 300 projects x 36 months ~4 s, 595k timesheet rows; 2,000 x 36 ~28 s, 5.4 M rows, 430 MB,
340 MB of memory).  Speed matters at that scale (``pmo demo --no-run --canonical`` feeds bench/bench_scale.py),
so the hot loops build rows as lists of strings (``_Table.adder``), the cyclic GC is paused while generating
and files without quoting are joined directly (``_plain_csv``); any such change must keep every random draw
and float operation in the same order: test_demo pins the default organisation's sha256.  Files with the same
names are overwritten and nothing else is touched; ``pmo demo`` clears the previous demo's files itself.

Run it alone: ``python -m orchestration.demo.generator LANDING [--seed 7] [--projects 30] [--months 18]
[--as-of YYYY-MM] [--reporting-currency GBP]`` (prints the summary as JSON).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import gc
import json
import math
import random
from collections import defaultdict
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path

from orchestration.contract import ENTITIES

SCENARIOS = ("on_track", "at_risk", "late", "over_budget", "finished_late", "not_started")
#: The lesson each scenario teaches: (phase, category, what happened, root cause, recommendation).
_LESSON_THEMES = {
    "late": ("build", "estimating", "Integration testing took twice the planned weeks",
             "Durations estimated top-down, with no allowance for integration defects",
             "Estimate bottom-up from the tasks and hold contingency for integration testing"),
    "over_budget": ("build", "supplier", "The supplier's change requests were priced after the work was done",
                    "No agreed change-control rates in the contract",
                    "Agree change-control rates before the contract is signed"),
    "finished_late": ("deployment", "resourcing", "Specialists were pulled onto another project at go-live",
                      "No named deputies for critical roles",
                      "Name a deputy for every critical role before the build phase"),
    "at_risk": ("design", "requirements", "Acceptance criteria changed after design sign-off",
                "Business owners not involved in design reviews",
                "Have the business owner sign each design review"),
    "on_track": ("initiation", "governance", "Fortnightly steering with a decision log kept decisions moving",
                 "Clear decision rights from the start",
                 "Keep a decision log and a fortnightly steering group"),
}
# Which scenarios survive when there are fewer projects than scenarios.
_SCENARIO_PRIORITY = ("on_track", "late", "over_budget", "not_started", "finished_late", "at_risk")
# Weights for the projects beyond the first one of each scenario.
_SCENARIO_WEIGHTS = {
    "on_track": 40,
    "at_risk": 10,
    "late": 15,
    "over_budget": 15,
    "finished_late": 10,
    "not_started": 10,
}
#: EV techniques (docs/evm.md §2) in the order the summary lists them.
EV_METHODS = ("0/100", "50/50", "percent_complete", "milestone_weights", "units", "loe", "apportioned")
# Open risk exposure (sum of probability x impact) a register is mitigated down to, as a share of BAC: on-track
# projects stay in the green risk band (< 5 %), at-risk ones below the red one (10 %).
_RISK_APPETITE = {"on_track": 0.04, "at_risk": 0.075}
# What a units-measured task counts, by phase name.
_UNIT_WORDS = {
    "Data migration": "data batches",
    "Training": "training sessions",
    "Deployment": "site deployments",
    "User acceptance test": "test scripts",
    "System test": "test cases",
    "Integration test": "test cases",
    "Integration": "interfaces",
    "Beta release": "pilot sites",
}

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

_ROLE_BASE_GBP = {
    "project_manager": 72.0,
    "architect": 85.0,
    "developer": 62.0,
    "engineer": 64.0,
    "analyst": 55.0,
    "tester": 48.0,
}
_TEAM_ROLES = ("developer", "analyst", "engineer", "tester", "architect")
_TEAM_ROLE_WEIGHTS = (4, 2, 2, 2, 1)
_ROLE_TEAM = {
    "project_manager": "Project Management",
    "architect": "Engineering",
    "developer": "Engineering",
    "engineer": "Engineering",
    "analyst": "Business Analysis",
    "tester": "Quality Assurance",
}
_RATE_CHANGE = 1.04
_JITTER = 1.15 - 0.85  # random.uniform(0.85, 1.15) = 0.85 + _JITTER * random()
_HOURS_PER_DAY = 7.5

_FIRST = (
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Imani",
    "Jonas",
    "Keira",
    "Liam",
    "Maya",
    "Nikhil",
    "Olivia",
    "Pavel",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xena",
    "Yusuf",
    "Zoe",
    "Amelia",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Esme",
    "Felix",
    "Greta",
    "Hamid",
    "Iris",
    "Jake",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Theo",
    "Ursula",
    "Viktor",
    "Willa",
    "Yara",
    "Zane",
    "Anya",
    "Callum",
    "Delia",
    "Emeka",
    "Fiona",
    "Gideon",
    "Hana",
    "Ivo",
    "Jun",
    "Leila",
)
_LAST = (
    "Abbott",
    "Brennan",
    "Castellano",
    "Dunmore",
    "Ellery",
    "Fairweather",
    "Gallagher",
    "Hartley",
    "Iqbal",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okonkwo",
    "Pemberton",
    "Quayle",
    "Ravensworth",
    "Sandoval",
    "Thackeray",
    "Underwood",
    "Valdez",
    "Whitlock",
    "Yardley",
    "Zielinski",
    "Ashdown",
    "Blackwood",
    "Carrow",
    "Delacroix",
    "Eastwood",
    "Fenwick",
    "Grantham",
    "Holloway",
    "Ingram",
    "Jessop",
    "Kingsley",
    "Lockhart",
    "Marsden",
    "Northcott",
    "Oakes",
    "Prescott",
    "Redfern",
    "Stanhope",
    "Tillman",
    "Upton",
    "Vance",
    "Wexford",
    "Yeoman",
    "Ashworth",
    "Brightwell",
    "Coldwell",
    "Dashwood",
    "Everly",
    "Fothergill",
    "Greaves",
    "Hawthorne",
    "Ivesdale",
    "Kettering",
    "Larkspur",
    "Merriweather",
)
_PORTFOLIOS = (
    "Digital Transformation",
    "Operational Excellence",
    "Customer Experience",
    "Infrastructure & Security",
    "Regulatory & Compliance",
    "Growth & Innovation",
    "People & Culture",
    "Data & Analytics",
)
_PROGRAMMES = (
    "Cloud First",
    "One Finance",
    "Connected Field Force",
    "Customer 360",
    "Zero Trust",
    "Smart Supply Chain",
    "Future Workplace",
    "Data Foundations",
    "Self-Service",
    "Green Estate",
    "Core Systems Renewal",
    "Digital Channels",
)
_AREAS = (
    "Customer",
    "Payroll",
    "Warehouse",
    "Finance",
    "HR",
    "Logistics",
    "Field Service",
    "Procurement",
    "Billing",
    "Network",
    "Identity",
    "Analytics",
    "Mobile",
    "Supplier",
    "Asset",
    "Case Management",
    "Document",
    "Fleet",
    "Contact Centre",
    "Claims",
    "Inventory",
    "Treasury",
    "Learning",
    "Facilities",
    "Cyber Security",
    "Data",
    "Order",
    "Pricing",
    "Compliance",
    "Workforce",
)
_THINGS = (
    "Portal",
    "Platform",
    "System",
    "App",
    "Hub",
    "Gateway",
    "Workflow",
    "Data Store",
    "Service Desk",
    "Reporting Suite",
    "Scheduler",
    "Integration Layer",
)
_ACTIONS = (
    "Rebuild",
    "Upgrade",
    "Migration",
    "Rollout",
    "Modernisation",
    "Consolidation",
    "Replacement",
    "Automation",
    "Refresh",
    "Implementation",
)
_PHASES = {
    "waterfall": (
        "Requirements",
        "Solution design",
        "Build",
        "Integration",
        "System test",
        "Data migration",
        "User acceptance test",
        "Training",
        "Deployment",
        "Hypercare",
    ),
    "agile": (
        "Discovery",
        "Platform set-up",
        "Increment 1",
        "Increment 2",
        "Increment 3",
        "Increment 4",
        "Hardening",
        "Beta release",
        "Release readiness",
        "Hypercare",
    ),
    "hybrid": (
        "Requirements",
        "Architecture",
        "Increment 1",
        "Increment 2",
        "Increment 3",
        "Integration test",
        "User acceptance test",
        "Training",
        "Deployment",
        "Hypercare",
    ),
}
# Which phases a schedule with n leaf tasks keeps: the first n of these (indices into _PHASES).
_PHASE_PRIORITY = {
    "waterfall": (0, 2, 8, 4, 1, 6, 5, 7, 3, 9),
    "agile": (0, 2, 8, 3, 1, 4, 6, 7, 5, 9),
    "hybrid": (0, 2, 8, 3, 1, 6, 4, 5, 7, 9),
}
_EPICS = (
    "Onboarding",
    "Self-service",
    "Reporting",
    "Notifications",
    "Payments",
    "Search",
    "Admin console",
    "Data import",
    "Single sign-on",
    "Audit trail",
    "Mobile experience",
    "Integrations",
)
_VENDORS = {
    "material": ("Summit Hardware Ltd", "Bluefield Components", "Kestrel Software Ltd"),
    "subcontract": ("Northwind Consulting Ltd", "Oakridge Engineering", "Brightpath Digital"),
    "travel": ("Harbourline Travel", "Metro Rail Services"),
    "overhead": ("Greystone Facilities", "Shared services recharge"),
}
_ACCOUNTS = {
    "labour": "5000",
    "material": "5100",
    "subcontract": "5200",
    "travel": "5300",
    "overhead": "5400",
}
_NONLABOUR_WEIGHTS = {"subcontract": 0.45, "material": 0.25, "travel": 0.08, "overhead": 0.22}
_RISKS = {
    "schedule": (
        ("Key supplier delivery slips", "Agree weekly delivery checkpoints with the supplier"),
        ("Test environment not ready on time", "Book shared environment early; prepare a fallback"),
        ("Late sign-off of requirements", "Escalate to sponsor; time-box the review"),
    ),
    "cost": (
        ("Licence costs exceed estimate", "Negotiate enterprise agreement; review user counts"),
        ("Contractor day rates rise", "Fix rates in the framework call-off"),
        ("Currency movement on supplier contract", "Hedge through treasury or price in GBP"),
    ),
    "technical": (
        ("Legacy data quality worse than expected", "Run data profiling in the first increment"),
        ("ERP integration more complex than planned", "Spike the integration; add an architect"),
        ("Performance targets not met", "Load-test each increment"),
    ),
    "resource": (
        ("Lead developer unavailable", "Cross-train a second developer"),
        ("Business experts not released for testing", "Agree a release plan with line managers"),
        ("Key tester on long-term leave", "Call off a tester from the framework"),
    ),
    "external": (
        ("Regulatory change affects scope", "Monitor the consultation; keep scope modular"),
        ("Vendor acquired by a competitor", "Review contract exit clauses"),
        ("Supply-chain disruption", "Order long-lead items early"),
    ),
}
_BENEFITS = (
    # (category, monetary, measure, unit or None for currency, baseline, target)
    ("cost saving", True, "Annual running-cost saving", None, 0.0, None),
    ("revenue", True, "Additional monthly revenue", None, 0.0, None),
    ("customer satisfaction", False, "Net promoter score", "NPS points", None, None),
    ("productivity", False, "Average handling time", "minutes", None, None),
    ("risk reduction", False, "Priority 1 incidents per month", "incidents", None, None),
)


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


class _Table:
    """Rows of one entity, in contract column order (plus allowed extra columns)."""

    def __init__(self, entity: str, extras: tuple[str, ...] = ()):
        ent = ENTITIES[entity]
        for x in extras:
            if not any(x.startswith(p) for p in ent.extra_prefixes):
                raise ValueError(f"{entity}: extra column {x} is not allowed by the contract")
        self.entity = entity
        self.columns = ent.column_names + list(extras)
        self._colset = set(self.columns)
        self.rows: list[list[str]] = []

    def add(self, **values) -> None:
        if len(self.rows) == 0:  # check the keys once per table: cheap and catches contract drift
            unknown = set(values) - self._colset
            if unknown:
                raise KeyError(f"{self.entity}: unknown columns {sorted(unknown)}")
        self.rows.append([v if v.__class__ is str else _fmt(v) for v in map(values.get, self.columns, repeat(""))])

    def adder(self, *names: str) -> Callable[[list[str]], None]:
        """A faster :meth:`add` for the big tables: the returned function takes one list of *strings* for
        ``names`` (in that order) and appends the row, the other columns blank.  When ``names`` are the
        table's columns in order it is ``rows.append`` itself."""
        unknown = set(names) - self._colset
        if unknown:
            raise KeyError(f"{self.entity}: unknown columns {sorted(unknown)}")
        where = [self.columns.index(n) for n in names]
        rows, width = self.rows, len(self.columns)
        if where == list(range(width)):
            return rows.append

        def add(values: list[str]) -> None:
            row = [""] * width
            for i, v in zip(where, values):
                row[i] = v
            rows.append(row)

        return add


#: _fmt's floats, by value: the big tables repeat a few thousand values (hours, percentages) many times.
_FLOAT_TEXT: dict[float, str] = {}


def _fmt(v) -> str:
    cls = v.__class__
    if cls is str:
        return v
    if cls is float:
        text = _FLOAT_TEXT.get(v)
        if text is None:
            text = f"{v:.6f}".rstrip("0").rstrip(".")
            text = "0" if text in ("-0", "") else text
            if len(_FLOAT_TEXT) < 200_000:
                _FLOAT_TEXT[v] = text
        return text
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        s = f"{v:.6f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    return str(v)


def _plain_csv(rows: list[list[str]]) -> str | None:
    """The rows as ``csv.writer(lineterminator="\\n")`` writes them, when no cell needs quoting (no comma,
    quote or line break in any cell, no row of one empty cell), else None; about three times faster than
    the csv module on the big tables.  Joining and then counting the separators proves it: a cell holding
    a comma or a line break would add one."""
    widths = list(map(len, rows))
    if 1 in widths:  # a row of one empty cell is written as "": leave such tables to the csv module
        return None
    text = "\n".join(map(",".join, rows)) + "\n"
    if text.count(",") != sum(widths) - len(rows) or text.count("\n") != len(rows) or '"' in text or "\r" in text:
        return None
    return text


class _Without(Sequence):
    """``[x for x in items if x != left_out]`` for a sorted list without copying it (rng.choice needs only
    len and indexing, and draws the same number as it would from the copy)."""

    def __init__(self, items: list[int], left_out: int):
        self.items = items
        at = bisect_left(items, left_out)
        self.at = at if at < len(items) and items[at] == left_out else len(items)

    def __len__(self) -> int:
        return len(self.items) - (self.at < len(self.items))

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.items[i + (i >= self.at)]


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


def _frac(sd: int, a: int, f: int) -> float:
    """Linear progress (inclusive days) of an interval [a, f] at the end of day sd."""
    if sd < a:
        return 0.0
    if sd >= f:
        return 1.0
    return (sd - a + 1) / (f - a + 1)


def _pct(fr: float) -> float:
    if fr >= 1.0:
        return 100.0
    return min(99.9, round(fr * 100.0, 1))


def _quarter(h: float) -> float:
    return max(0.5, min(10.0, round(h * 4) / 4))


def _linear(cost: int, bs: int, bf: int, d: int) -> float:
    """The warehouse's linear planned value of a task at the end of day d (inclusive days)."""
    days = max(bf - bs + 1, 1)
    return cost * min(max(d - bs + 1, 0), days) / days


def _task_pct(t: _Task, d: int, rounded: bool = True) -> float:
    """percent_complete a task reports at the end of day d (apportioned tasks: see _earned)."""
    if t.kind == "milestone":
        return 100.0 if t.a_finish <= d else 0.0
    if t.method == "units" and t.units:
        if d < t.a_start:
            return 0.0
        if d >= t.a_finish:
            return 100.0
        done = (d - t.a_start + 1) * t.units // (t.a_finish - t.a_start + 1)
        return round(100.0 * done / t.units, 1)
    fr = _frac(d, t.a_start, t.a_finish)
    return _pct(fr) if rounded else (100.0 if fr >= 1 else fr * 100.0)


def _earned(p: _Project, d: int, m: int | None, rounded: bool = True) -> tuple[dict[str, float], dict[str, float]]:
    """(percent complete, EV in cents) of each measured task at the end of day d, by its EV technique
    (docs/evm.md §2, as int_tasks_classified measures it), valued at the baseline of period m's snapshot."""
    pcts: dict[str, float] = {}
    ev: dict[str, float] = {}
    if not p.started:
        return {t.code: 0.0 for t in p.leaves}, {t.code: 0.0 for t in p.leaves}
    for t in p.leaves:
        if t.method == "apportioned":
            continue
        bs, bf, cost = p.base(t, m)
        pc = pcts[t.code] = _task_pct(t, d, rounded)
        finished, started = pc >= 100, t.a_start <= d
        if t.method in ("percent_complete", "units"):
            ev[t.code] = cost * pc / 100.0
        elif t.method in ("0/100", "milestone_weights"):
            ev[t.code] = float(cost) if finished else 0.0
        elif t.method == "50/50":
            ev[t.code] = float(cost) if finished else cost / 2.0 if started else 0.0
        elif t.method == "loe":
            ev[t.code] = _linear(cost, bs, bf, d)
        else:
            raise ValueError(t.method)
    for t in p.leaves:
        if t.method == "apportioned":
            budget = sum(p.base(b, m)[2] for b in t.base)
            ratio = sum(ev[b.code] for b in t.base) / budget
            ev[t.code] = p.base(t, m)[2] * ratio
            pcts[t.code] = 100.0 if ratio >= 1 else min(99.9, round(ratio * 100.0, 1))
    return pcts, ev


def _progress(p: _Project, d: int) -> float:
    """Unrounded EV / BAC of a project at the end of day d (current baseline; 1 once it has finished).

    Remembered per day in ``p.progress_on``: call it only once the schedule (and any re-baseline) is final."""
    if d >= p.act_finish:
        return 1.0
    done = p.progress_on.get(d)
    if done is None:
        done = p.progress_on[d] = sum(_earned(p, d, None, rounded=False)[1].values()) / p.bac_at(None)
    return done


def _first_day(p: _Project, theta: float) -> int | None:
    """First day on which the project's progress reaches theta (progress is monotone)."""
    lo, hi = p.act_start, p.act_finish
    if _progress(p, hi) < theta:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if _progress(p, mid) >= theta:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _split_cents(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    parts = [round(total * w / s) for w in weights[:-1]]
    parts.append(total - sum(parts))
    return parts


# --------------------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------------------
def generate_demo(
    landing: Path,
    *,
    seed: int = 7,
    projects: int = 30,
    months: int = 18,
    as_of: str | None = None,
    reporting_currency: str = "GBP",
) -> DemoSummary:
    """Write a fictional organisation's exports as canonical CSV files under ``landing/<entity>/``.

    ``as_of`` is 'YYYY-MM' (default: this month); the organisation covers ``months`` monthly periods ending
    with it.  Existing files with the same names are overwritten; other files are left alone.
    """
    if projects < 1:
        raise ValueError("projects must be >= 1")
    if months < 1:
        raise ValueError("months must be >= 1")
    if as_of is None:
        as_of = date.today().strftime("%Y-%m")
    try:
        y, m = int(as_of[:4]), int(as_of[5:7])
        if len(as_of) != 7 or as_of[4] != "-" or not 1 <= m <= 12:
            raise ValueError
        date(y, m, 1)
    except ValueError:
        raise ValueError(f"as_of must be 'YYYY-MM', got {as_of!r}") from None
    rc = reporting_currency.upper()
    if rc not in _GBP_VALUE:
        raise ValueError(f"reporting_currency {reporting_currency!r} is not one of {sorted(_GBP_VALUE)}")
    gen = _Generator(Path(landing), seed, projects, months, as_of, rc)
    # The generator holds millions of small lists at scale (a month of timesheet rows, the schedules, the
    # registers) and makes no reference cycles; the cyclic collector would traverse them over and over
    # (a third of the time at 1,000 projects, growing faster than the organisation).  Plain reference
    # counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return gen.run()
    finally:
        if collecting:
            gc.enable()


class _Generator:
    def __init__(self, landing: Path, seed: int, n_projects: int, months: int, as_of: str, rc: str):
        self.landing = landing
        self.seed = seed
        self.n = n_projects
        self.W = months
        self.as_of = as_of
        self.rc = rc
        others = [c for c in ("GBP", "EUR", "USD") if c != rc][:2]
        self.ccys = [rc, *others]
        self.periods = _make_periods(as_of, months)
        self.win_start = self.periods[0].start
        self.as_end = self.periods[-1].end
        self.summary = DemoSummary(
            landing=landing,
            seed=seed,
            as_of=as_of,
            reporting_currency=rc,
            periods=[p.label for p in self.periods],
            currencies=list(self.ccys),
        )
        self.rate_change = self._rate_change_date()

    def _rng(self, stream: str) -> random.Random:
        return random.Random(f"pmo-demo:{self.seed}:{stream}")

    # ---- orchestration -------------------------------------------------------------------------------------
    def run(self) -> DemoSummary:
        self._build_org()
        self._build_fx()
        self._progress()
        self._actuals()  # timesheets + ledger, month by month
        self._write_tasks()
        self._write_baseline_phasing()
        self._write_projects()
        self._write_rates()
        self._write_budgets()
        self._write_fx()
        self._write_benefits()
        self._write_risks()
        self._write_dependencies()
        self._write_capacity()
        self._write_work_items()
        self._write_lessons()
        s = self.summary
        for entity in ENTITIES:  # tiny organisations: still one (header-only) file per entity
            if entity not in s.row_counts:
                self._write(f"{entity}/{entity}.csv", _Table(entity))
                s.notes.append(f"{entity}: no rows at this size; wrote a header-only file")
        s.scenarios = {sc: sorted(p.code for p in self.projects if p.scenario == sc) for sc in SCENARIOS}
        s.bac = {p.code: p.bac_at(None) / 100 for p in self.projects}
        s.ev_methods = {
            m: sorted(p.code for p in self.projects if any(t.method == m for t in p.tasks)) for m in EV_METHODS
        }
        s.portfolios, s.programmes = self.n_portfolios, self.n_programmes
        s.projects, s.people = len(self.projects), len(self.people)
        s.anomalies.append(
            Anomaly(
                "rate_change",
                "rates",
                "rates/rates.csv",
                f"valid_from {_iso(self.rate_change)}",
                f"every personal and role rate rises by {round((_RATE_CHANGE - 1) * 100)} % on "
                f"{_iso(self.rate_change)}; the old row ends the day before (valid_to inclusive)",
            )
        )
        foreign = [p.code for p in self.projects if p.currency != self.rc]
        s.anomalies.append(
            Anomaly(
                "second_currency",
                "fx_rates",
                "fx_rates/fx_rates.csv",
                "projects " + ", ".join(foreign) if foreign else "no foreign-currency project at this size",
                f"projects, rates and ledger lines in {', '.join(self.ccys[1:])}; "
                f"convert to {self.rc} with the "
                "period's rate",
            )
        )
        fallback = [p.pid for p in self.people if not p.personal]
        if fallback:
            s.anomalies.append(
                Anomaly(
                    "role_rate_fallback",
                    "rates",
                    "rates/rates.csv",
                    "people " + ", ".join(fallback),
                    "no personal rate: their timesheet hours must be costed with the role default rate",
                )
            )
        return s

    def _write(self, rel: str, table: _Table) -> None:
        path = self.landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            text = _plain_csv([table.columns, *table.rows])
            if text is not None:
                f.write(text)
            else:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(table.columns)
                w.writerows(table.rows)
        self.summary.files.append(path)
        self.summary.row_counts[table.entity] = self.summary.row_counts.get(table.entity, 0) + len(table.rows)

    # ---- organisation ----------------------------------------------------------------------------------
    def _rate_change_date(self) -> int:
        aprils = [p.start for p in self.periods[1:] if p.label.endswith("-04")]
        if aprils:
            return aprils[-1]
        return self.periods[len(self.periods) // 2].start if len(self.periods) > 1 else self.periods[0].start

    def _build_org(self) -> None:
        rng = self._rng("org")
        n, W = self.n, self.W
        self.n_portfolios = max(1, n // 10)
        self.n_programmes = max(1, round(n / 3.75))
        n_people = 4 * n

        def numbered(base: tuple[str, ...], k: int) -> str:
            return base[k % len(base)] + ("" if k < len(base) else f" {k // len(base) + 1}")

        portfolios = [numbered(_PORTFOLIOS, k) for k in range(self.n_portfolios)]
        programmes = [numbered(_PROGRAMMES, k) for k in range(self.n_programmes)]
        prog_portfolio = [
            portfolios[k * self.n_portfolios // self.n_programmes] for k in range(self.n_programmes)
        ]

        # Names: people and sponsors from one pool of unique first/last combinations.
        pool = len(_FIRST) * len(_LAST)
        need = n_people + self.n_programmes
        picks = rng.sample(range(pool), min(need, pool)) + [
            rng.randrange(pool) for _ in range(max(0, need - pool))
        ]
        names = [f"{_FIRST[i // len(_LAST)]} {_LAST[i % len(_LAST)]}" for i in picks]
        sponsors = names[n_people:]

        # Project names.
        combos = len(_AREAS) * len(_THINGS) * len(_ACTIONS)
        pn = rng.sample(range(combos), min(n, combos))
        pnames = []
        for k in range(n):
            i = pn[k % len(pn)]
            a, rest = divmod(i, len(_THINGS) * len(_ACTIONS))
            t, c = divmod(rest, len(_ACTIONS))
            nm = f"{_AREAS[a]} {_THINGS[t]} {_ACTIONS[c]}"
            pnames.append(nm if k < len(pn) else f"{nm} Phase {k // len(pn) + 1}")

        # Scenarios.
        allowed = [s for s in _SCENARIO_PRIORITY if s != "finished_late" or W >= 4]
        if W < 4:
            self.summary.notes.append(
                f"months={W} < 4: no finished_late project "
                "(a baseline of at least a month plus 2-4 months of "
                "slip does not fit in the window); the other scenarios share its projects"
            )
        order = list(range(n))
        rng.shuffle(order)
        # Fixed quotas (largest remainder), at least one of each allowed scenario; which project gets which
        # scenario is random.
        keys = [s for s in SCENARIOS if s in allowed]
        counts = {s: 0 for s in keys}
        for s in allowed[:n]:
            counts[s] = 1
        rest = n - sum(counts.values())
        if rest > 0:
            wsum = sum(_SCENARIO_WEIGHTS[s] for s in keys)
            share = {s: rest * _SCENARIO_WEIGHTS[s] / wsum for s in keys}
            for s in keys:
                counts[s] += int(share[s])
            left = n - sum(counts.values())
            for s in sorted(keys, key=lambda s: (-(share[s] - int(share[s])), keys.index(s)))[:left]:
                counts[s] += 1
        seq = list(allowed[:n]) + [s for s in keys for _ in range(counts[s] - (1 if s in allowed[:n] else 0))]
        scen = [""] * n
        for i, s in zip(order, seq, strict=True):
            scen[i] = s
        if n < len(allowed):
            self.summary.notes.append(
                f"projects={n}: only {', '.join(allowed[:n])} "
                f"(priority order {', '.join(_SCENARIO_PRIORITY)})"
            )
        anchor = order[0]  # the first on_track project: starts in the first period

        self.projects: list[_Project] = []
        for i in range(n):
            prog = i * self.n_programmes // n
            self.projects.append(
                _Project(
                    idx=i,
                    code=f"PRJ-{i + 1:03d}",
                    name=pnames[i],
                    programme=programmes[prog],
                    portfolio=prog_portfolio[prog],
                    sponsor=sponsors[prog],
                    scenario=scen[i],
                )
            )

        # Currencies: most in the reporting currency, ~10 % second, 1-2 third.
        n2 = max(1, round(n * 0.1)) if n >= 2 else 0
        n3 = max(1, n // 20) if n >= 4 else 0
        ccy_pick = rng.sample(range(n), n2 + n3)
        for k, i in enumerate(ccy_pick):
            self.projects[i].currency = self.ccys[1] if k < n2 else self.ccys[2]
        for p in self.projects:
            p.currency = p.currency if p.idx in ccy_pick else self.rc

        # Methodology: ~35 % agile, 1-2 hybrid (one per 15 projects), rest waterfall.
        n_h = max(1, n // 15) if n >= 3 else 0
        n_a = round(n * 0.35)
        meth = ["hybrid"] * n_h + ["agile"] * n_a + ["waterfall"] * (n - n_h - n_a)
        rng.shuffle(meth)
        for p, mt in zip(self.projects, meth, strict=True):
            p.methodology = mt
        # The anchor (on track, running since the first period) is agile, so that at least one agile
        # release has sprints done and AgileEVM figures at any size.
        lead = self.projects[anchor]
        if n_a and lead.methodology not in ("agile", "hybrid"):
            swap = next(p for p in self.projects if p.methodology == "agile")
            swap.methodology, lead.methodology = lead.methodology, "agile"

        # Which schedules mix EV techniques (rich), and which project is re-baselined: a late one when
        # another late project keeps its original plan, else an over-budget one (a re-baseline leaves CPI
        # as it was); its schedule stays plain percent complete, so the new baseline leaves EV where it was.
        late = [p for p in self.projects if p.scenario == "late"]
        over = [p for p in self.projects if p.scenario == "over_budget"]
        pool = late if len(late) >= 2 else over or late
        rebased = rng.choice(pool) if pool else None
        cands = [
            p
            for p in self.projects
            if p.started and p.scenario != "at_risk" and p.idx != anchor and p is not rebased
        ]
        rng.shuffle(cands)
        n_rich = min(len(cands), max(2, round(n * 0.25)))

        def plain_xer(q: _Project) -> bool:  # a schedule that goes out as P6 XER (orchestration.demo.formats)
            return q.started and q.methodology == "waterfall" and q.currency == self.rc

        for q in cands:
            if sum(x.rich for x in self.projects) >= n_rich:
                break
            if plain_xer(q) and sum(plain_xer(x) and not x.rich for x in self.projects) <= 1:
                continue  # keep one started schedule plain enough for the P6 export
            q.rich = True

        # Windows, schedules, speeds and cost factors.
        first_on_track_seen = False
        for p in self.projects:
            self._window(rng, p, is_anchor=(p.idx == anchor), allow_closed=first_on_track_seen and p.idx != anchor)
            if p.scenario == "on_track":
                first_on_track_seen = True
            self._schedule(rng, p)
        if rebased is not None:
            self._rebaseline(rng, rebased)

        # People: 4 primary per project (a project manager plus a team), some with a second project.
        n_people = 4 * n
        slots = [i for i in range(n) for _ in range(4)]
        rng.shuffle(slots)
        self.people: list[_Person] = []
        pm_done: set[int] = set()
        for k in range(n_people):
            proj = self.projects[slots[k]]
            if proj.idx not in pm_done:
                role = "project_manager"
                pm_done.add(proj.idx)
            else:
                role = rng.choices(_TEAM_ROLES, weights=_TEAM_ROLE_WEIGHTS)[0]
            ccy = proj.currency if proj.currency == self.ccys[1] else self.rc
            base = _ROLE_BASE_GBP[role] / _GBP_VALUE[ccy]
            r0 = round(base * rng.uniform(0.85, 1.2), 2)
            person = _Person(f"P{k + 1:04d}", names[k], role, ccy, r0, round(r0 * _RATE_CHANGE, 2), True)
            person.assignments.append((proj.idx, 1.0))
            if role == "project_manager":
                proj.manager = person.name
            self.people.append(person)
        # Role-default fallback: a few reporting-currency team members without a personal rate.
        cands = [q for q in self.people if q.ccy == self.rc and q.role != "project_manager"]
        for q in rng.sample(cands, min(len(cands), max(1, n_people // 60))):
            q.personal = False
            q.rate0 = self._role_rate(q.role, 0)
            q.rate1 = self._role_rate(q.role, 1)
        # Second assignments.
        active = [p.idx for p in self.projects if p.started]
        running = [i for i in active if self.projects[i].act_finish >= self.win_start]
        for q in self.people:
            primary = self.projects[q.assignments[0][0]]
            idle = (not primary.started) or primary.act_finish < self.as_end - 120
            if active and (idle or rng.random() < 0.25):
                choices = _Without(running, primary.idx)  # not a copy per person: that was quadratic
                if not choices:
                    continue
                other = rng.choice(choices)
                q.assignments = [(primary.idx, 0.6), (other, 0.6 if not primary.started else 0.4)]
        for k, q in enumerate(self.people):
            for pi, alloc in q.assignments:
                self.projects[pi].team.append((k, alloc))

    def _role_rate(self, role: str, which: int) -> float:
        r0 = round(_ROLE_BASE_GBP[role] / _GBP_VALUE[self.rc], 2)
        return r0 if which == 0 else round(r0 * _RATE_CHANGE, 2)

    def _window(self, rng: random.Random, p: _Project, *, is_anchor: bool, allow_closed: bool) -> None:
        W, P = self.W, self.periods
        as_end, ws = self.as_end, self.win_start

        def start_in(k_max: int) -> int:
            k = 0 if is_anchor else rng.randint(0, max(0, k_max))
            return _weekday_on_or_after(P[k].start + rng.randint(0, 15))

        sc = p.scenario
        if sc == "on_track" and allow_closed and W >= 9 and rng.random() < 0.25:
            p.closed_on_time = True
            p.ps = start_in(W - 9)
            p.pf = _weekday_on_or_before(min(p.ps + rng.randint(120, 270), as_end - 35))
            p.speed, p.delay = 1.0, 0
        elif sc == "at_risk":  # mildly late and over budget: CPI and SPI(t) in the amber band 0.90-0.95
            p.ps = start_in(W - 5)
            p.pf = _weekday_on_or_before(max(as_end + rng.randint(60, 300), p.ps + rng.randint(180, 540)))
            p.speed = rng.uniform(0.92, 0.935)
            p.delay = 0
        elif sc in ("on_track", "over_budget"):
            p.ps = start_in(W - 3)
            p.pf = _weekday_on_or_before(max(as_end + rng.randint(45, 300), p.ps + rng.randint(150, 540)))
            p.speed = rng.uniform(0.98, 1.03) if sc == "on_track" else rng.uniform(0.97, 1.02)
            p.delay = rng.randint(0, 1)
        elif sc == "late":
            p.ps = start_in(W - 4)
            p.pf = _weekday_on_or_before(max(as_end + rng.randint(60, 300), p.ps + rng.randint(180, 540)))
            p.speed = rng.uniform(0.72, 0.8)
            p.delay = rng.randint(3, 12)
        elif sc == "finished_late":
            avail = as_end - ws - 6
            slip_m = rng.randint(2, max(2, min(4, W - 2)))
            slip = round(slip_m * 30.44) + rng.randint(-4, 4)
            d_max = max(25, min(365, avail - slip))
            d_min = min(120, d_max)
            dur = rng.randint(d_min, d_max)
            p.ps = _weekday_on_or_after(ws + rng.randint(0, max(0, avail - slip - dur)))
            p.pf = p.ps + dur
            p.speed = dur / (dur + slip)
            p.delay = 0
        else:  # not_started
            p.ps = _weekday_on_or_after(as_end + rng.randint(20, 120))
            p.pf = _weekday_on_or_before(p.ps + rng.randint(150, 450))
            p.speed, p.delay = 1.0, 0
        cf = {
            "on_track": (0.98, 1.02),
            "at_risk": (1.08, 1.09),
            "late": (0.98, 1.04),
            "over_budget": (1.2, 1.3),
            "finished_late": (1.0, 1.06),
            "not_started": (1.0, 1.0),
        }[sc]
        p.cost_factor = rng.uniform(*cf)
        p.labour_share = rng.uniform(0.35, 0.65)
        months_long = (p.pf - p.ps) / 30.44
        bac = min(2_000_000.0, max(150_000.0, months_long * rng.uniform(40_000, 110_000)))
        val = _GBP_VALUE[p.currency]
        if not 0.5 <= val <= 2.0:
            bac /= val
        p.bac = int(round(bac, -2)) * 100
        if p.started:
            p.appear = next(k for k, per in enumerate(P) if per.start <= p.ps <= per.end) if p.ps >= ws else 0
        else:
            p.appear = 0

    def _schedule(self, rng: random.Random, p: _Project) -> None:
        n_total = rng.randint(4, 10)
        if p.rich:  # a work package group is needed for the apportioned QA task
            n_total = max(6, n_total)
        n_ms = 1 if n_total < 6 else rng.randint(1, 2)
        n_sum = 0 if n_total < 6 else (1 if n_total < 9 or p.rich else 2)  # rich: one stage, leaves at top level
        n_leaf = n_total - n_ms - n_sum
        phases = _PHASES[p.methodology]
        # The most essential phases for this many tasks, in life-cycle order.
        names = [phases[i] for i in sorted(_PHASE_PRIORITY[p.methodology][:n_leaf])]
        # Baseline segments: sequential with overlap, covering [ps, pf].
        dur = p.pf - p.ps
        weights = [rng.uniform(0.6, 1.4) for _ in range(n_leaf)]
        tot, acc, cuts = sum(weights), 0.0, [p.ps]
        for w in weights:
            acc += w
            cuts.append(p.ps + round(dur * acc / tot))
        leaves = []
        for k in range(n_leaf):
            s, e = cuts[k], cuts[k + 1]
            if k > 0:
                s = max(p.ps, s - round((e - s) * rng.uniform(0.1, 0.25)))
            e = max(e, s)
            leaves.append(_Task(code="", name=names[k], bs=s, bf=e))
        leaves[-1].bf = p.pf
        # Rich schedules: level-of-effort project management over the whole baseline, a short 0/100
        # mobilisation, a 50/50 review, an apportioned QA task; their budgets are shares of BAC.
        extras: dict[str, _Task] = {}
        if p.rich:
            kick_end = min(p.pf, p.ps + rng.randint(10, 24))
            rev_start = p.ps + round(dur * rng.uniform(0.3, 0.5))
            extras = {
                "loe": _Task(code="", name="Project management", bs=p.ps, bf=p.pf, method="loe"),
                "0/100": _Task(code="", name="Mobilisation", bs=p.ps, bf=kick_end, method="0/100"),
                "50/50": _Task(
                    code="",
                    name="Security and architecture review",
                    bs=rev_start,
                    bf=min(p.pf, rev_start + rng.randint(25, 50)),
                    method="50/50",
                ),
                "apportioned": _Task(code="", name="Quality assurance", method="apportioned"),
            }
            shares = {
                "loe": rng.uniform(0.06, 0.1),
                "0/100": rng.uniform(0.01, 0.025),
                "50/50": rng.uniform(0.02, 0.04),
                "apportioned": rng.uniform(0.03, 0.05),
            }
            for k, t in extras.items():
                t.cost = int(round(p.bac * shares[k], -2))
        # Costs: proportional to duration, jittered; exact cents summing to BAC.
        cw = [(t.bf - t.bs + 1) * rng.uniform(0.7, 1.3) for t in leaves]
        for t, c in zip(leaves, _split_cents(p.bac - sum(t.cost for t in extras.values()), cw), strict=True):
            t.cost = c
        # Simulated actual dates: time warp around the baseline start plus jitter.
        s = p.speed
        a0 = p.ps + p.delay

        def warp(o: int) -> int:
            return a0 + round((o - p.ps) / s)

        for k, t in enumerate(leaves):
            t.a_start, t.a_finish = warp(t.bs), warp(t.bf)
            if 0 < k < n_leaf - 1:
                t.a_start += rng.randint(-2, 2)
                t.a_finish += rng.randint(-2, 3)
        last = leaves[-1].a_finish
        if p.scenario == "finished_late":
            last = leaves[-1].a_finish = p.pf + round((p.pf - p.ps) * (1 / s - 1))
        for t in leaves:
            t.a_start = max(a0, min(t.a_start, last))
            t.a_finish = max(t.a_start, min(t.a_finish, last))
        if p.closed_on_time or p.scenario == "finished_late":
            assert last <= self.as_end, (p.code, _iso(last))
        p.act_start, p.act_finish = min(t.a_start for t in leaves), last
        # WBS: groups of leaves under summaries, milestones.
        items: list = []  # top-level: _Task (leaf/milestone) or list[_Task] (summary group)
        k = 0
        for _ in range(n_sum):
            g = rng.randint(2, max(2, min(3, n_leaf - k - (1 if n_sum == 1 else 2))))
            items.append(leaves[k : k + g])
            k += g
        items.extend(leaves[k:])
        if n_ms == 2 and len(items) >= 2:
            j = max(0, len(items) // 2 - 1)
            lead = items[j][-1] if isinstance(items[j], list) else items[j]
            items.insert(
                j + 1,
                _Task(
                    code="",
                    name="Design authority approval",
                    kind="milestone",
                    bs=lead.bf,
                    bf=lead.bf,
                    a_start=lead.a_finish,
                    a_finish=lead.a_finish,
                ),
            )
        work = list(leaves)
        measured = list(leaves)
        packages: dict[int, _Task] = {}  # id(leaf) -> the weighted-milestone package replacing it
        if p.rich:
            for t in extras.values():
                if t.method != "apportioned":
                    t.a_start, t.a_finish = warp(t.bs), warp(t.bf)
            pm = extras["loe"]
            pm.a_start, pm.a_finish = a0, last
            for t in extras.values():
                t.a_start = max(a0, min(t.a_start, last))
                t.a_finish = max(t.a_start, min(t.a_finish, last))
            # QA is apportioned to the discrete work of the first group.
            group = items[0]
            qa = extras["apportioned"]
            qa.base = list(group)
            qa.bs, qa.bf = min(c.bs for c in group), max(c.bf for c in group)
            qa.a_start, qa.a_finish = min(c.a_start for c in group), max(c.a_finish for c in group)
            group.append(qa)
            # The longest top-level leaf becomes a work package earned by three weighted milestones.
            tops = [x for x in items if isinstance(x, _Task) and x.kind == "leaf"]
            wp = max(tops, key=lambda x: (x.bf - x.bs, -items.index(x)))
            # A middle phase (not the package) is measured in units.
            others = [x for x in leaves if x is not wp]
            unit_leaf = others[len(others) // 2]
            unit_leaf.method = "units"
            unit_leaf.units = rng.randint(8, 40)
            unit_leaf.name = f"{unit_leaf.name} ({unit_leaf.units} {_UNIT_WORDS.get(unit_leaf.name, 'work units')})"
            pkg = _Task(
                code="",
                name=wp.name,
                kind="summary",
                bs=wp.bs,
                bf=wp.bf,
                a_start=wp.a_start,
                a_finish=wp.a_finish,
                method="milestone_weights",
            )
            labels = ("first drop accepted", "second drop accepted", "accepted")
            fracs = (0.35, 0.7, 1.0)
            for lab, f, c in zip(labels, fracs, _split_cents(wp.cost, [25, 35, 40]), strict=True):
                pkg.children.append(
                    _Task(
                        code="",
                        name=f"{wp.name}: {lab}",
                        kind="milestone",
                        bs=wp.bs + round((wp.bf - wp.bs) * f),
                        bf=wp.bs + round((wp.bf - wp.bs) * f),
                        cost=c,
                        a_start=wp.a_start + round((wp.a_finish - wp.a_start) * f),
                        a_finish=wp.a_start + round((wp.a_finish - wp.a_start) * f),
                        method="milestone_weights",
                    )
                )
            packages[id(wp)] = pkg
            items[items.index(wp)] = pkg
            items.insert(0, extras["0/100"])
            items.insert(0, pm)
            review = extras["50/50"]
            later = [i for i, x in enumerate(items) if i > 1 and isinstance(x, _Task) and x.bs >= review.bs]
            items.insert(later[0] if later else len(items), review)
            work = [pm, extras["0/100"], *(packages.get(id(x), x) for x in leaves), extras["50/50"], qa]
            measured = [pm, extras["0/100"], qa, extras["50/50"], *(x for x in leaves if x is not wp), *pkg.children]
        p.work = work
        p.leaves = measured
        items.append(
            _Task(code="", name="Go-live", kind="milestone", bs=p.pf, bf=p.pf, a_start=last, a_finish=last)
        )
        tasks = []
        for i, it in enumerate(items):
            code = f"T{(i + 1) * 10:03d}"
            if isinstance(it, list) or it.children:
                kids = it if isinstance(it, list) else it.children
                summ = it if not isinstance(it, list) else _Task(
                    code=code,
                    name=f"Stage {sum(isinstance(x, list) for x in items[: i + 1])}",
                    kind="summary",
                    bs=min(c.bs for c in kids),
                    bf=max(c.bf for c in kids),
                    children=kids,
                )
                summ.code, summ.cost = code, sum(c.cost for c in kids)
                tasks.append(summ)
                for j, c in enumerate(kids):
                    c.code, c.parent = f"T{(i + 1) * 10 + j + 1:03d}", code
                    tasks.append(c)
            else:
                it.code = code
                tasks.append(it)
        p.tasks = tasks

    def _rebaseline(self, rng: random.Random, p: _Project) -> None:
        """Re-plan a running project from a mid-window snapshot on (BL2): unfinished tasks take their
        forecast dates, and tasks not yet started a budget 8-15 % higher (an over-target baseline), so EV
        earned so far is unchanged and BAC grows."""
        last = len(self.periods) - 1
        m = p.appear + max(1, (last - p.appear + 1) // 2)
        sd = self.periods[min(m, last)].end
        if not p.started or m > last or p.act_finish <= sd:
            return
        p.rebase_m = m
        uplift = rng.uniform(1.08, 1.15)
        for t in p.tasks:
            if t.kind == "summary" or t.a_finish <= sd:
                continue
            if t.kind == "milestone":
                t.bl2 = (t.a_finish, t.a_finish, t.cost)
            elif t.a_start <= sd:
                t.bl2 = (t.bs, max(t.bs, t.a_finish), t.cost)
            else:
                t.bl2 = (t.a_start, t.a_finish, int(round(t.cost * uplift, -2)))
        for t in p.tasks:
            if t.kind == "summary" and any(c.bl2 for c in t.children):
                kids = [p.base(c, None) for c in t.children]
                t.bl2 = (min(k[0] for k in kids), max(k[1] for k in kids), sum(k[2] for k in kids))
        self.summary.rebaselined[p.code] = self.periods[m].label


    # ---- fx -------------------------------------------------------------------------------------------
    def _build_fx(self) -> None:
        rng = self._rng("fx")
        walk = {c: 0.0 for c in self.ccys}
        self.fx: dict[tuple[int, str, str], float] = {}
        self.fx_rows: list[tuple[str, str, str, float]] = []
        for m, per in enumerate(self.periods):
            val = {}
            for c in self.ccys:
                if c != "GBP":
                    walk[c] = max(-0.022, min(0.022, walk[c] + rng.uniform(-0.008, 0.008)))
                val[c] = _GBP_VALUE[c] * math.exp(walk[c])
            for i, a in enumerate(self.ccys):
                for b in self.ccys[i + 1 :]:
                    r_ab = round(val[a] / val[b], 6)
                    r_ba = round(1 / r_ab, 6)
                    self.fx[(m, a, b)], self.fx[(m, b, a)] = r_ab, r_ba
                    self.fx_rows += [(per.label, a, b, r_ab), (per.label, b, a, r_ba)]

    def _rate(self, m: int, a: str, b: str) -> float:
        return 1.0 if a == b else self.fx[(m, a, b)]

    # ---- progress, EV and the cost each month must show ------------------------------------------------
    def _progress(self) -> None:
        rng = self._rng("progress")
        for p in self.projects:
            prev = 0.0
            for m, per in enumerate(self.periods):
                if m < p.appear:
                    p.pct.append({})
                    p.ev_task.append({})
                    p.ev.append(0.0)
                    p.target.append(0.0)
                    continue
                pcts, ev_task = _earned(p, per.end, m)
                ev = sum(ev_task.values()) / 100.0
                p.pct.append(pcts)
                p.ev_task.append(ev_task)
                p.ev.append(ev)
                d_ev = ev - prev
                prev = ev
                jitter = (0.995, 1.005) if p.scenario == "at_risk" else (0.97, 1.03)  # amber is a narrow band
                p.target.append(max(0.0, d_ev * p.cost_factor * rng.uniform(*jitter)) if d_ev > 0 else 0.0)

    # ---- timesheets and ledger -------------------------------------------------------------------------
    def _actuals(self) -> None:
        rng_ts = self._rng("timesheets")
        rng_gl = self._rng("ledger")
        rng_dup = self._rng("duplicates")
        W = self.W
        n_dup = rng_dup.randint(3, 6)
        dup_plan = [0] * W
        for m in rng_dup.choices(range(W), k=n_dup):
            dup_plan[m] += 1
        carry = 0
        reversal_from = W // 2
        reversal_done = False
        entry_seq = 0
        doc_seq: dict[int, int] = defaultdict(int)
        for p in self.projects:
            p.ac = [0] * W
        last_m = W - 1
        uniform, chance, choice = rng_ts.uniform, rng_ts.random, rng_ts.choice
        task_on, rate_change = self._task_on, self.rate_change
        # Each month's entries are sorted by (date, person id, project code, status); one int per entry with
        # the same order (ties included, so the stable sort keeps them where they were) sorts much faster.
        pid_rank = {pid: k for k, pid in enumerate(sorted(q.pid for q in self.people))}
        code_rank = {code: k for k, code in enumerate(sorted(p.code for p in self.projects))}
        span = len(pid_rank) * len(code_rank)
        approved, rejected, submitted = 0, 1, 2  # the statuses' alphabetical order
        hours_text = {k / 4: _fmt(k / 4) for k in range(2, 41)}  # every value _quarter gives
        for m, per in enumerate(self.periods):
            submitted_days = set(per.workdays[-3:]) if m == last_m else set()
            iso = {d: _iso(d) for d in per.workdays}
            # (sort key, row: work_date, person_id, person_name, project_code, task_code, hours, role,
            # approval_status, entry_id once sorted)
            ts: list[tuple[int, list[str]]] = []
            labour: dict[int, float] = {}
            for p in self.projects:
                C = p.target[m] if p.started else 0.0
                if C <= 0:
                    continue
                days = [d for d in per.workdays if p.act_start <= d <= p.act_finish]
                spent = 0.0
                if days:
                    mid = days[len(days) // 2]
                    team = []
                    for pi, alloc in p.team:
                        q = self.people[pi]
                        fx = self._rate(m, q.ccy, p.currency)
                        r_mid = (q.rate0 if mid < self.rate_change else q.rate1) * fx
                        team.append((q, alloc, fx, r_mid))
                    cap = sum(alloc * _HOURS_PER_DAY * len(days) * r for _, alloc, _, r in team)
                    alpha = min(1.0, p.labour_share * C / cap) if cap > 0 else 0.0
                    for q, alloc, fx, _ in team:
                        H = alpha * alloc * _HOURS_PER_DAY * len(days)
                        if H < 0.5:
                            continue
                        daily = H / len(days)
                        if daily >= 1.0:
                            chosen = days
                        else:
                            cnt = max(1, min(len(days), round(H / 2.0)))
                            chosen = sorted(rng_ts.sample(days, cnt))
                            daily = H / cnt
                        # The hot loop (one pass per timesheet entry): locals only; the draws from rng_ts
                        # and the float arithmetic stay in the same order, so the files do not change.
                        pid, code, rate0, rate1, booking = q.pid, p.code, q.rate0, q.rate1, p.booking
                        name, role = q.name, q.role
                        who = pid_rank[pid] * len(code_rank) + code_rank[code]
                        for d in chosen:
                            # = _quarter(daily * rng_ts.uniform(0.85, 1.15)), inlined
                            h = round(daily * (0.85 + _JITTER * chance()) * 4) / 4
                            h = 0.5 if h < 0.5 else 10.0 if h > 10.0 else h
                            task = booking.get(d) or task_on(rng_ts, p, d)
                            if task.__class__ is not str:
                                task = choice(task)
                            key = (d * span + who) * 3
                            if d in submitted_days and chance() < 0.6:
                                ts.append((key + submitted,
                                           [iso[d], pid, name, code, task, hours_text[h], role, "submitted", ""]))
                            else:
                                ts.append((key + approved,
                                           [iso[d], pid, name, code, task, hours_text[h], role, "approved", ""]))
                            spent += h * (rate0 if d < rate_change else rate1) * fx
                            if chance() < 0.01:
                                h = _quarter(uniform(1, 4))
                                ts.append((key + rejected,
                                           [iso[d], pid, name, code, task, hours_text[h], role, "rejected", ""]))
                labour[p.idx] = spent
                lab_c = round(spent * 100)
                p.ac[m] = max(round(C * 100), lab_c)
            # --- timesheet file ---
            ts.sort(key=itemgetter(0))
            table = _Table("timesheets")
            add = table.adder("work_date", "person_id", "person_name", "project_code", "task_code", "hours", "role",
                              "approval_status", "entry_id")
            for _, row in ts:
                entry_seq += 1
                row[8] = f"TS-{entry_seq:06d}"
                add(row)
            want = dup_plan[m] + carry
            rel = f"timesheets/timesheets-{per.label}.csv"
            if want and table.rows:
                self._inject_duplicates(rng_dup, table, want, rel)
                carry = 0
            else:
                carry = want
            if table.rows:
                self._write(rel, table)
            # --- ledger ---
            docs = []  # (posting ordinal, sort rank, project code, currency, lines, meta)
            by_ccy: dict[str, list[tuple[_Project, int]]] = defaultdict(list)
            for p in self.projects:
                if p.idx not in labour:
                    continue
                lab_c = round(labour[p.idx] * 100)
                if lab_c > 0:
                    by_ccy[p.currency].append((p, lab_c))
                non = p.ac[m] - lab_c
                if non <= 0:
                    continue
                k = rng_gl.randint(2, 4)
                types = rng_gl.sample(list(_NONLABOUR_WEIGHTS), k)
                weights = [_NONLABOUR_WEIGHTS[t] * rng_gl.uniform(0.6, 1.4) for t in types]
                lines = []
                post = rng_gl.choice(per.workdays)
                for t, amt in zip(types, _split_cents(non, weights), strict=True):
                    task = self._task_on(rng_gl, p, post) if t in ("material", "subcontract") else ""
                    lines.append((t, amt, task, f"{rng_gl.choice(_VENDORS[t])} - {t} {per.label}"))
                is_rev_target = (
                    not reversal_done
                    and m >= reversal_from
                    and len(per.workdays) >= 16
                    and rng_gl.random() < 0.5
                    or (not reversal_done and m == last_m)
                )
                if is_rev_target and len(per.workdays) >= 8:
                    reversal_done = True
                    d1 = per.workdays[rng_gl.randint(1, 4)]
                    d2 = per.workdays[rng_gl.randint(min(8, len(per.workdays) - 1), len(per.workdays) - 1)]
                    wrong = [(t, a * 10, tk, f"{ds} (keyed x10)") for t, a, tk, ds in lines]
                    orig = {"id": None}
                    rev = {"id": None, "reverses": orig}
                    repost = {"id": None}
                    docs.append([d1, 1, p.code, p.currency, wrong, orig])
                    docs.append(
                        [
                            d2,
                            1,
                            p.code,
                            p.currency,
                            [(t, -a, tk, "Reversal: amount keyed x10") for t, a, tk, _ in wrong],
                            rev,
                        ]
                    )
                    docs.append(
                        [
                            d2,
                            2,
                            p.code,
                            p.currency,
                            [(t, a, tk, f"{ds} (re-posted)") for t, a, tk, ds in lines],
                            repost,
                        ]
                    )
                    self._reversal = (p.code, orig, rev, repost, per.label)
                else:
                    docs.append([post, 1, p.code, p.currency, lines, {"id": None}])
            last_wd = per.workdays[-1]
            for ccy in sorted(by_ccy):
                lines = [
                    ("labour", c, "", f"Payroll allocation {per.label} - {p.code}", p.code)
                    for p, c in by_ccy[ccy]
                ]
                docs.append([last_wd, 3, "", ccy, lines, {"id": None}])
            docs.sort(key=lambda d: (d[0], d[1], d[2], d[3]))
            table = _Table("ledger")
            for post, _, code, ccy, lines, meta in docs:
                year = date.fromordinal(post).year
                doc_seq[year] += 1
                meta["id"] = f"GL-{year}-{doc_seq[year]:06d}"
                rev_of = meta.get("reverses")
                for li, line in enumerate(lines, start=1):
                    t, amt, task, desc = line[:4]
                    pcode = line[4] if len(line) > 4 else code
                    table.add(
                        posting_date=_iso(post),
                        document_id=meta["id"],
                        line_id=str(li),
                        project_code=pcode,
                        task_code=task,
                        account=_ACCOUNTS[t],
                        cost_type=t,
                        amount=_money(amt),
                        currency=ccy,
                        fiscal_period=per.label,
                        is_reversal=rev_of is not None,
                        reverses_document_id=rev_of["id"] if rev_of else "",
                        description=desc,
                    )
            if table.rows:
                self._write(f"ledger/ledger-{per.label}.csv", table)
            if reversal_done and getattr(self, "_reversal", None) and self._reversal[4] == per.label:
                code, orig, rev, repost, label = self._reversal
                self.summary.anomalies.append(
                    Anomaly(
                        "ledger_reversal",
                        "ledger",
                        f"ledger/ledger-{label}.csv",
                        f"{orig['id']} reversed by {rev['id']}, re-posted as {repost['id']} ({code})",
                        "a non-labour document keyed x10 is reversed later in the month (negative amounts, "
                        "is_reversal true, reverses_document_id) and re-posted with the right amounts; "
                        "the month "
                        "nets to the right cost",
                    )
                )
        if carry:
            self.summary.notes.append(f"{carry} planned duplicate timesheet rows had no file to go into")
        if not reversal_done:
            self.summary.notes.append("no non-labour ledger document to reverse at this size")

    def _task_on(self, rng: random.Random, p: _Project, d: int) -> str:
        """The task booked on day d: one of the tasks in progress (a draw from rng only when there are
        several), else the last one started, else the first.

        ``p.booking`` remembers each day's answer (p.work does not change once the schedule is built): the
        task code, or the tuple of codes to draw from; _actuals reads it directly in its hot loop."""
        active = p.booking.get(d)
        if active is None:
            codes = tuple(t.code for t in p.work if t.a_start <= d <= t.a_finish)
            if not codes:
                before = [t for t in p.work if t.a_start <= d]
                codes = ((before[-1] if before else p.work[0]).code,)
            active = p.booking[d] = codes[0] if len(codes) == 1 else codes
        return active if active.__class__ is str else rng.choice(active)

    def _inject_duplicates(self, rng: random.Random, table: _Table, k: int, rel: str) -> None:
        rows = table.rows
        status_col = table.columns.index("approval_status")
        id_col = table.columns.index("entry_id")
        cands = [i for i, r in enumerate(rows) if r[status_col] == "approved"]
        picks = rng.sample(cands, min(k, len(cands)))
        dup_ids = {rows[i][id_col] for i in picks}
        copies = sorted(
            ((rng.randint(i + 1, len(rows)), list(rows[i])) for i in picks), key=lambda x: x[0], reverse=True
        )
        for pos, row in copies:
            rows.insert(pos, row)
        seen: dict[str, int] = {}
        for line, r in enumerate(rows, start=2):
            eid = r[id_col]
            if eid not in dup_ids:
                continue
            if eid in seen:
                self.summary.anomalies.append(
                    Anomaly(
                        "duplicate_timesheet_row",
                        "timesheets",
                        rel,
                        f"entry_id {eid}: lines {seen[eid]} and {line}",
                        "exact duplicate of an earlier row in the same file (a re-exported entry)",
                    )
                )
            else:
                seen[eid] = line

    # ---- tasks --------------------------------------------------------------------------------------------
    def _write_tasks(self) -> None:
        for m, per in enumerate(self.periods):
            table = _Table("tasks")
            add = table.adder("status_date", "project_code", "task_code", "parent_task_code", "task_name",
                              "is_milestone", "ev_method", "baseline_start", "baseline_finish", "baseline_cost",
                              "baseline_version", "percent_complete", "actual_start", "actual_finish",
                              "forecast_finish", "actual_cost", "remaining_cost")
            sd = per.end
            status_date = _iso(sd)
            for p in self.projects:
                if m < p.appear:
                    continue
                pcts = p.pct[m]
                ev_leaf = p.ev_task[m]  # cents, by each task's EV technique
                ev_total = sum(ev_leaf.values())
                ac_cum = sum(p.ac[: m + 1])
                act: dict[str, int] = {}
                for t in p.leaves:
                    act[t.code] = round(ac_cum * ev_leaf[t.code] / ev_total) if ev_total > 0 else 0
                version = p.version(m)
                for t in p.tasks:
                    bs, bf, cost = p.base(t, m)
                    if t.code in ev_leaf:
                        pc = pcts[t.code]
                        a_s, a_f = t.a_start, t.a_finish
                        ac = act[t.code]
                        rem = round((cost - ev_leaf[t.code]) * p.cost_factor)
                    elif t.kind == "summary":
                        ev_c = sum(ev_leaf[c.code] for c in t.children)
                        done = all(pcts[c.code] >= 100 for c in t.children)
                        pc = 100.0 if done else min(99.9, round(ev_c / cost * 100, 1))
                        a_s = t.a_start or min(c.a_start for c in t.children)
                        a_f = t.a_finish or max(c.a_finish for c in t.children)
                        ac = sum(act[c.code] for c in t.children)
                        rem = round((cost - ev_c) * p.cost_factor)
                    else:
                        pc = 100.0 if p.started and t.a_finish <= sd else 0.0
                        a_s, a_f, ac, rem = t.a_start, t.a_finish, 0, 0
                    if not p.started:
                        a_s, a_f = t.bs, t.bf
                    started = p.started and a_s <= sd
                    finished = pc >= 100
                    add([status_date, p.code, t.code, t.parent, t.name, _fmt(t.kind == "milestone"), t.method,
                         _iso(bs), _iso(bf), _money(cost), version, _fmt(pc),
                         _iso(a_s) if started or finished else "", _iso(a_f) if finished else "",
                         "" if finished else _iso(a_f), _money(ac), _money(max(0, rem))])
            self._write(f"tasks/tasks-{per.label}.csv", table)

    def _write_baseline_phasing(self) -> None:
        """The agile and hybrid projects' baseline cost by month (their schedules stay canonical CSV), as MS
        Project's Task Usage view exports it: each
        leaf task's cost split over the months it spans in proportion to its days in each (the tasks are
        evenly loaded, so PV equals the linear spread at every month end, to the cent); split in whole
        cents that add up to the task's baseline cost exactly."""
        table = _Table("baseline_phasing")
        for p in self.projects:
            if p.methodology not in ("agile", "hybrid"):
                continue
            for t in p.leaves:
                first, last = min(t.bs, t.bf), max(t.bs, t.bf)
                phases = []
                o = first
                while o <= last:
                    d = date.fromordinal(o)
                    month_end = date(d.year + d.month // 12, d.month % 12 + 1, 1).toordinal() - 1
                    end = min(month_end, last)
                    phases.append((o, end))
                    o = end + 1
                for (start, end), cents in zip(phases, _split_cents(t.cost, [e - s + 1 for s, e in phases])):
                    table.add(project_code=p.code, task_code=t.code, baseline_version="BL1", phase_start=_iso(start),
                              phase_finish=_iso(end), planned_cost=_money(cents))
        if table.rows:
            self._write("baseline_phasing/baseline-phasing.csv", table)

    # ---- small files -------------------------------------------------------------------------------------
    def _write_projects(self) -> None:
        rng = self._rng("scores")
        table = _Table("projects", ("score_strategic_fit", "score_financial_value", "score_risk_reduction"))
        for p in self.projects:
            table.add(
                project_code=p.code,
                project_name=p.name,
                programme=p.programme,
                portfolio=p.portfolio,
                sponsor=p.sponsor,
                manager=p.manager,
                methodology=p.methodology,
                currency=p.currency,
                start_date=_iso(p.ps),
                planned_finish_date=_iso(p.pf),
                status=p.status,
                score_strategic_fit=rng.randint(1, 5),
                score_financial_value=rng.randint(1, 5),
                score_risk_reduction=rng.randint(1, 5),
            )
        self._write("projects/projects.csv", table)

    def _write_rates(self) -> None:
        epoch = date(date.fromordinal(self.win_start).year - 1, 1, 1).toordinal()
        change, before = _iso(self.rate_change), _iso(self.rate_change - 1)
        table = _Table("rates")
        for role in sorted(_ROLE_BASE_GBP):
            table.add(
                role=role,
                valid_from=_iso(epoch),
                valid_to=before,
                hourly_cost=f"{self._role_rate(role, 0):.2f}",
                currency=self.rc,
            )
            table.add(
                role=role, valid_from=change, hourly_cost=f"{self._role_rate(role, 1):.2f}", currency=self.rc
            )
        for q in self.people:
            if not q.personal:
                continue
            table.add(
                person_id=q.pid,
                valid_from=_iso(epoch),
                valid_to=before,
                hourly_cost=f"{q.rate0:.2f}",
                currency=q.ccy,
            )
            table.add(person_id=q.pid, valid_from=change, hourly_cost=f"{q.rate1:.2f}", currency=q.ccy)
        self._write("rates/rates.csv", table)

    def _write_budgets(self) -> None:
        rng = self._rng("budgets")
        table = _Table("budgets")
        for p in self.projects:
            if p.started:
                approved = p.ps - rng.randint(14, 45)
            else:
                approved = self.as_end - rng.randint(5, 60)
            mr = int(round(p.bac * rng.uniform(0.05, 0.15), -5))
            table.add(
                project_code=p.code,
                budget_version="BL1",
                amount=_money(p.bac),
                currency=p.currency,
                approved_date=_iso(approved),
            )
            table.add(
                project_code=p.code,
                budget_version="MR",
                amount=_money(mr),
                currency=p.currency,
                approved_date=_iso(approved),
            )
            if p.rebase_m is not None:  # the over-target baseline, approved in the month it took effect
                table.add(
                    project_code=p.code,
                    budget_version="BL2",
                    amount=_money(p.bac_at(None)),
                    currency=p.currency,
                    approved_date=_iso(self.periods[p.rebase_m].workdays[0]),
                )
        self._write("budgets/budgets.csv", table)

    def _write_fx(self) -> None:
        table = _Table("fx_rates")
        for period, a, b, r in self.fx_rows:
            table.add(period=period, from_currency=a, to_currency=b, rate=f"{r:.6f}")
        self._write("fx_rates/fx_rates.csv", table)

    def _write_benefits(self) -> None:
        rng = self._rng("benefits")
        started = [p for p in self.projects if p.started]
        if not started:
            return
        closed = [p for p in started if p.status == "closed"]
        others = [p for p in started if p.status != "closed"]
        rng.shuffle(others)
        dis = {p.idx for p in (closed + others)[: max(1, len(self.projects) // 30)]}
        table = _Table("benefits")
        seq = 0
        as_label = self.as_of
        for p in started:
            first = date.fromordinal(p.pf).strftime("%Y-%m")
            real_start = _month(date.fromordinal(p.act_finish).strftime("%Y-%m"), 1)
            n_b = rng.randint(1, 2) if p.idx in dis else rng.randint(1, 3)
            kinds = [_BENEFITS[rng.randint(0, 1)]] + [rng.choice(_BENEFITS) for _ in range(n_b - 1)]
            specs = [(k, False) for k in kinds] + (
                [(("operational cost", True, "Additional licence and support cost", None, 0.0, None), True)]
                if p.idx in dis
                else []
            )
            for (cat, monetary, measure, unit, _, _), is_dis in specs:
                seq += 1
                bid = f"BEN-{seq:04d}"
                ach = rng.uniform(0.8, 1.1)
                if monetary:
                    unit = p.currency
                    base, target = (
                        0.0,
                        round(p.bac / 100 * rng.uniform(0.02, 0.06) * (0.3 if is_dis else 1), -2),
                    )
                    ramp = 3
                elif unit == "NPS points":
                    base = float(rng.randint(5, 30))
                    target = base + rng.randint(8, 20)
                    ramp = 6
                elif unit == "minutes":
                    base = float(rng.randint(10, 20))
                    target = base - rng.randint(2, 5)
                    ramp = 6
                else:
                    base = float(rng.randint(10, 25))
                    target = base - rng.randint(4, 8)
                    ramp = 6
                name = f"{measure} ({p.name})"
                for k in range(12):
                    label = _month(first, k)
                    planned_lvl = min(1.0, (k + 1) / ramp)
                    if monetary:
                        planned = round(target * planned_lvl, 2)
                    else:
                        planned = round(base + (target - base) * planned_lvl, 1)
                    if label > as_label:
                        realised = None
                    else:
                        if label >= real_start:
                            j = (int(label[:4]) * 12 + int(label[5:])) - (
                                int(real_start[:4]) * 12 + int(real_start[5:])
                            )
                            lvl = min(1.0, (j + 1) / ramp) * ach * rng.uniform(0.95, 1.05)
                        else:
                            lvl = 0.0
                        realised = (
                            round(target * lvl, 2)
                            if monetary
                            else round(base + (target - base) * lvl + rng.uniform(-0.5, 0.5), 1)
                        )
                    table.add(
                        benefit_id=bid,
                        project_code=p.code,
                        benefit_name=name,
                        category=cat,
                        monetary=monetary,
                        owner=p.sponsor,
                        measure=measure,
                        unit=unit,
                        baseline_value=base,
                        target_value=target,
                        period=label,
                        planned_value=planned,
                        realised_value=realised,
                        is_disbenefit=is_dis,
                    )
        self._write("benefits/benefits.csv", table)

    def _write_risks(self) -> None:
        rng = self._rng("risks")
        per_period: list[_Table] = [_Table("risks") for _ in self.periods]
        self._risk_seq = 0
        for p in self.projects:
            if not p.started:
                continue
            team = [self.people[i].name for i, _ in p.team] or [p.manager]
            focus = {"late": "schedule", "over_budget": "cost", "finished_late": "schedule"}.get(p.scenario)
            reg: list[dict] = []
            fin_m = next(
                (k for k, per in enumerate(self.periods) if per.start <= p.act_finish <= per.end),
                self.W - 1 if p.act_finish > self.as_end else None,
            )
            if fin_m is None:  # finished before the window (does not happen: projects start inside it)
                continue
            for m in range(p.appear, fin_m + 1):
                per = self.periods[m]
                if m == p.appear:
                    reg = [
                        self._raise_risk(rng, p, focus, team, max(p.ps, per.start), per.end)
                        for _ in range(rng.randint(2, 4))
                    ]
                else:
                    reg = [r for r in reg if r["status"] == "open"]
                    for r in reg:
                        r["prob"] = round(max(0.05, min(0.95, r["prob"] + rng.uniform(-0.05, 0.05))), 2)
                        if rng.random() < 0.12:
                            r["status"] = "closed"
                    shown = len(reg)
                    wanted = rng.random() < 0.3 or sum(r["status"] == "open" for r in reg) < 2
                    if shown < 6 and wanted:
                        reg.append(
                            self._raise_risk(rng, p, focus, team, rng.randint(per.start, per.end), per.end)
                        )
                if m == fin_m and p.act_finish <= self.as_end:
                    for r in reg:
                        r["status"] = "closed"
                appetite = _RISK_APPETITE.get(p.scenario)
                exposure = sum(r["prob"] * r["cost"] for r in reg if r["status"] == "open")
                if appetite and exposure > appetite * p.bac_at(m):
                    # mitigation: the open risks' probabilities come down to the scenario's appetite
                    factor = appetite * p.bac_at(m) / exposure
                    for r in reg:
                        if r["status"] == "open":
                            r["prob"] = max(0.01, math.floor(r["prob"] * factor * 100) / 100)
                for r in reg:
                    per_period[m].add(
                        status_date=_iso(per.end),
                        risk_id=r["id"],
                        project_code=p.code,
                        title=r["title"],
                        category=r["cat"],
                        probability=r["prob"],
                        impact_cost=_money(r["cost"]),
                        impact_days=r["days"],
                        status=r["status"],
                        owner=r["owner"],
                        raised_date=_iso(r["raised"]),
                        target_date=_iso(r["target"]),
                        mitigation=r["mit"],
                    )
        for per, table in zip(self.periods, per_period, strict=True):
            if table.rows:
                self._write(f"risks/risks-{per.label}.csv", table)

    def _raise_risk(
        self, rng: random.Random, p: _Project, focus: str | None, team: list[str], on: int, per_end: int
    ) -> dict:
        self._risk_seq += 1
        cat = focus if focus and rng.random() < 0.5 else rng.choice(list(_RISKS))
        title, mitigation = rng.choice(_RISKS[cat])
        hi = cat == focus
        r = {
            "id": f"RSK-{self._risk_seq:05d}",
            "cat": cat,
            "title": title,
            "mit": mitigation,
            "prob": round(rng.uniform(0.5, 0.9) if hi else rng.uniform(0.1, 0.6), 2),
            "cost": int(round(p.bac * rng.uniform(0.01, 0.08), -4)),
            "days": rng.randint(5, 60),
            "owner": rng.choice(team),
            "raised": min(on, per_end),
            "status": "open",
        }
        r["target"] = r["raised"] + rng.randint(30, 150)
        return r

    def _write_lessons(self) -> None:
        """The lessons-learned register (entity ``lessons``): one or two lessons per started project, in the
        category its scenario teaches (estimating on late projects, supplier on overspending ones, resourcing
        on those that finished late, requirements when at risk, governance when on track), now and then
        another. Lessons raised more than 45 days before the data date are actioned, more than 120 days
        often embedded; so later projects of the same scenario repeat lessons already actioned (the
        recurrence fct_lesson_themes counts), and open risks meet lessons of their category."""
        rng = self._rng("lessons")
        table = _Table("lessons")
        seq = 0
        themes = list(_LESSON_THEMES.values())
        for p in self.projects:
            if not p.started:
                continue
            fin_m = next((k for k, per in enumerate(self.periods) if per.start <= p.act_finish <= per.end), self.W - 1)
            first, last = p.appear + 2, min(fin_m, self.W - 1)
            if first > last:
                continue
            for m in sorted(rng.sample(range(first, last + 1), min(2, last + 1 - first))):
                per = self.periods[m]
                phase, category, what, cause, recommendation = (
                    _LESSON_THEMES.get(p.scenario, _LESSON_THEMES["on_track"]) if rng.random() < 0.75
                    else rng.choice(themes))
                raised = rng.randint(per.start, per.end)
                age = self.as_end - raised
                status = ("embedded" if rng.random() < 0.5 else "actioned") if age > 120 else \
                    ("actioned" if age > 45 else "open")
                actioned = raised + rng.randint(20, min(age, 100)) if status != "open" else None
                seq += 1
                table.add(lesson_id=f"LL-{seq:04d}", project_code=p.code, raised_date=_iso(raised), phase=phase,
                          category=category, what_happened=what, root_cause=cause, recommendation=recommendation,
                          cost_impact=round(p.bac_at(m) / 100 * rng.uniform(0.002, 0.02), 2)
                          if category in ("estimating", "supplier") else None,
                          schedule_impact_days=rng.randint(5, 40) if category in ("estimating", "resourcing") else None,
                          status=status, actioned_date=_iso(actioned), owner_role="PMO lead" if status == "embedded"
                          else "Project manager")
        if table.rows:
            self._write("lessons/lessons-register.csv", table)

    def _write_dependencies(self) -> None:
        rng = self._rng("dependencies")
        table = _Table("dependencies")
        n = len(self.projects)
        want = max(1, n // 3) if n >= 2 else 0
        pairs: set[tuple[int, int]] = set()
        tries = 0
        while len(pairs) < want and tries < want * 20:
            tries += 1
            a, b = rng.sample(range(n), 2)
            if (a, b) in pairs or (b, a) in pairs:
                continue
            pairs.add((a, b))
            src, dst = self.projects[a], self.projects[b]
            dst_work = [t for t in dst.work if t.method not in ("loe", "apportioned", "0/100")]
            src_work = [t for t in src.work if t.method not in ("loe", "apportioned", "0/100")]
            to_task = rng.choice(dst_work[1:] or dst_work)
            needed = to_task.bs
            ready = [t for t in src_work if t.bf <= needed]
            from_task = ready[-1] if ready else src_work[-1]
            delivered = from_task.a_finish if src.started else from_task.bf
            if src.started and delivered <= self.as_end and delivered <= needed:
                status = "met"
            elif src.started and delivered <= self.as_end:
                status = "met_late"
            elif needed <= self.as_end:
                status = "late"
            elif delivered > needed:
                status = "at_risk"
            else:
                status = "open"
            table.add(
                dependency_id=f"DEP-{len(pairs):03d}",
                from_project_code=src.code,
                from_task_code=from_task.code,
                to_project_code=dst.code,
                to_task_code=to_task.code,
                needed_by_date=_iso(needed),
                status=status,
            )
        self._write("dependencies/dependencies.csv", table)

    def _write_capacity(self) -> None:
        rng = self._rng("capacity")
        table = _Table("capacity")
        for q in self.people:
            for per in self.periods:
                leave = rng.choices((0, 1, 2, 3, 5, 10), weights=(55, 15, 10, 8, 7, 5))[0]
                hours = max(0, len(per.workdays) - leave) * _HOURS_PER_DAY
                table.add(
                    person_id=q.pid,
                    team=_ROLE_TEAM[q.role],
                    role=q.role,
                    period=per.label,
                    available_hours=hours,
                )
        self._write("capacity/capacity.csv", table)

    def _write_work_items(self) -> None:
        rng = self._rng("work_items")
        per_period: list[_Table] = [_Table("work_items") for _ in self.periods]
        adders = [t.adder("status_date", "project_code", "item_key", "item_type", "story_points", "status_category",
                          "resolved_date", "sprint", "epic", "release") for t in per_period]
        for p in self.projects:
            if p.methodology not in ("agile", "hybrid"):
                continue
            n_items = rng.randint(18, 40)
            epics = rng.sample(_EPICS, rng.randint(3, 5))
            n_rel = 3 if p.methodology == "agile" else 2
            items = []
            for k in range(n_items):
                typ = rng.choices(("Story", "Bug", "Task"), weights=(80, 12, 8))[0]
                if typ == "Story":
                    pts = rng.choices((1, 2, 3, 5, 8, 13), weights=(2, 4, 5, 5, 3, 1))[0]
                elif typ == "Bug":
                    pts = rng.choice((None, 1, 2))
                else:
                    pts = rng.randint(1, 3)
                items.append(
                    {
                        "key": f"PRJ{p.idx + 1:03d}-{k + 1}",
                        "type": typ,
                        "pts": pts,
                        "epic": epics[min(len(epics) - 1, k * len(epics) // n_items)],
                        "release": f"R{k * n_rel // n_items + 1}",
                    }
                )
            total = sum(it["pts"] or 1 for it in items)
            cum = 0
            for it in items:
                start_thr = max(0.0, cum / total - 0.03)
                cum += it["pts"] or 1
                theta = min(1.0, cum / total)
                if p.started:
                    it["done"] = _first_day(p, theta)
                    it["begun"] = _first_day(p, start_thr) if start_thr > 0 else p.act_start
                    it["thr"] = start_thr
                else:
                    it["done"] = it["begun"] = None
                    it["thr"] = start_thr
            base = rng.randint(1, 30)
            for m, per in enumerate(self.periods):
                if m < p.appear:
                    continue
                sd = per.end
                status_date, add = _iso(sd), adders[m]
                cur = _progress(p, sd) if p.started else 0.0
                cur_sprint = base + (sd - p.act_start) // 14 if p.started and sd >= p.act_start else None
                for it in items:
                    if it["done"] is not None and it["done"] <= sd:
                        status, resolved = "done", it["done"]
                        sprint = f"Sprint {base + (resolved - p.act_start) // 14}"
                    elif it["begun"] is not None and it["begun"] <= sd and cur > 0:
                        status, resolved, sprint = "in_progress", None, f"Sprint {cur_sprint}"
                    else:
                        status, resolved = "todo", None
                        sprint = (
                            f"Sprint {cur_sprint + 1}"
                            if cur_sprint is not None and it["thr"] - cur < 0.1
                            else ""
                        )
                    add([status_date, p.code, it["key"], it["type"], _fmt(it["pts"]), status, _iso(resolved), sprint,
                         it["epic"], it["release"]])
        for per, table in zip(self.periods, per_period, strict=True):
            if table.rows:
                self._write(f"work_items/work_items-{per.label}.csv", table)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the pmo-warehouse demo organisation as canonical CSVs.")
    ap.add_argument("landing", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--projects", type=int, default=30)
    ap.add_argument("--months", type=int, default=18)
    ap.add_argument("--as-of", default=None)
    ap.add_argument("--reporting-currency", default="GBP")
    a = ap.parse_args(argv)
    s = generate_demo(
        a.landing,
        seed=a.seed,
        projects=a.projects,
        months=a.months,
        as_of=a.as_of,
        reporting_currency=a.reporting_currency,
    )
    d = s.to_dict()
    d["files"] = len(d["files"])
    print(json.dumps(d, indent=2))


if __name__ == "__main__":
    main()
