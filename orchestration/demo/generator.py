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
  max(1, round(projects/programme_size)) (``programme_size`` 3.75 by default); methodology mostly
  waterfall, ~35 % agile, one hybrid per 15 projects;
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
* work items of type Bug for the started waterfall projects (``quality``): a few found in test and UAT each
  month and mostly fixed within weeks (one fix in six reopened), a few in production after release; with
  severity, priority, created date and where found.
* ``quality_reviews/quality-reviews-register.csv``: each started waterfall project's stage gates, peer
  reviews, system test, UAT and audit, mostly passed, a failure re-reviewed three weeks later.  Two stories
  (``DemoSummary.quality_stories``): ``red_quality``, an on-track project green on cost and schedule whose
  reviews keep failing and whose critical defects stay open, and ``rushed_release``, a project released after
  a failed UAT whose production defects rise every month after go-live.
* ``lessons/lessons-register.csv``: one or two lessons per started project (from its third month), mostly in
  the category its scenario teaches (estimating when late, supplier when over budget, ...); raised more than
  45 days before the data date they are actioned, more than 120 days often embedded.

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

Where it is built (one module per kind of data, each naming the contract entities it feeds)
------------------------------------------------------------------------------------------
``generator`` (this module: the order of a generation, the summary, the command line), ``organisation``
(portfolios, programmes, projects, people, rates, capacity), ``schedules`` (windows, tasks, re-baseline,
baseline phasing), ``progress`` (percent complete, EV and each month's cost), ``timesheets``, ``ledger``
(fx rates, ledger, budgets), ``registers`` (benefits, risks, dependencies), ``work_items``, ``lessons``
(the lessons-learned register) and ``quality`` (defects and the quality review register), on the
shared ``model`` (summary, projects, tasks, people, periods) and ``core`` (the generation's state, its
random streams and the CSV writer).

Run it alone: ``python -m orchestration.demo.generator LANDING [--seed 7] [--projects 30] [--months 18]
[--as-of YYYY-MM] [--reporting-currency GBP]`` (prints the summary as JSON).
"""

from __future__ import annotations

import argparse
import gc
import json
from datetime import date
from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.demo import ledger, lessons, organisation, progress, quality, registers, schedules, work_items
from orchestration.demo.core import Generation, _Table
from orchestration.demo.ledger import _Ledger
from orchestration.demo.model import _GBP_VALUE, Anomaly, DemoSummary, _iso
from orchestration.demo.organisation import _RATE_CHANGE, SCENARIOS
from orchestration.demo.schedules import EV_METHODS
from orchestration.demo.timesheets import _Timesheets

__all__ = ["EV_METHODS", "SCENARIOS", "Anomaly", "DemoSummary", "generate_demo", "main"]


def generate_demo(
    landing: Path,
    *,
    seed: int = 7,
    projects: int = 30,
    months: int = 18,
    as_of: str | None = None,
    reporting_currency: str = "GBP",
    programme_size: float = 3.75,
) -> DemoSummary:
    """Write a fictional organisation's exports as canonical CSV files under ``landing/<entity>/``.

    ``as_of`` is 'YYYY-MM' (default: this month); the organisation covers ``months`` monthly periods ending
    with it.  ``programme_size`` is the average number of projects in a programme (the demo's 3.75 gives
    its 8 programmes of 30 projects; a large PMO's programmes hold tens).  Existing files with the same
    names are overwritten; other files are left alone.
    """
    if projects < 1:
        raise ValueError("projects must be >= 1")
    if months < 1:
        raise ValueError("months must be >= 1")
    if not programme_size >= 1:
        raise ValueError(f"programme_size must be >= 1, got {programme_size!r}")
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
    g = Generation(Path(landing), seed, projects, months, as_of, rc)
    g.programme_size = programme_size
    # The generator holds millions of small lists at scale (a month of timesheet rows, the schedules, the
    # registers) and makes no reference cycles; the cyclic collector would traverse them over and over
    # (a third of the time at 1,000 projects, growing faster than the organisation).  Plain reference
    # counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(g)
    finally:
        if collecting:
            gc.enable()


def _run(g: Generation) -> DemoSummary:
    """Build the organisation, then write every entity; the order fixes each random stream's draws and the
    order of ``DemoSummary.files``, so it is part of the bytes."""
    g.rate_change = organisation._rate_change_date(g)
    rng = g.rng("org")  # one stream for the organisation and its schedules, drawn in this order
    names, anchor = organisation.build_projects(g, rng)
    schedules.plan_schedules(g, rng, anchor)
    organisation.staff(g, rng, names)
    ledger.build_fx(g)
    progress.plan_progress(g)
    # Timesheets and ledger month by month (a month of timesheet rows at a time, at scale): a month's
    # ledger posts the labour its timesheets cost.
    sheets, books = _Timesheets(g), _Ledger(g)
    for m, per in enumerate(g.periods):
        books.write_month(m, per, sheets.write_month(m, per))
    sheets.close()
    books.close()
    schedules.write_tasks(g)
    schedules.write_baseline_phasing(g)
    organisation.write_projects(g)
    organisation.write_rates(g)
    ledger.write_budgets(g)
    ledger.write_fx(g)
    registers.write_benefits(g)
    registers.write_risks(g)
    registers.write_dependencies(g)
    organisation.write_capacity(g)
    quality.plan_quality(g)
    work_items.write_work_items(g)
    lessons.write_lessons(g)
    quality.write_quality_reviews(g)
    s = g.summary
    for entity in ENTITIES:  # tiny organisations: still one (header-only) file per entity
        if entity not in s.row_counts:
            g.write(f"{entity}/{entity}.csv", _Table(entity))
            s.notes.append(f"{entity}: no rows at this size; wrote a header-only file")
    s.scenarios = {sc: sorted(p.code for p in g.projects if p.scenario == sc) for sc in SCENARIOS}
    s.bac = {p.code: p.bac_at(None) / 100 for p in g.projects}
    s.ev_methods = {
        m: sorted(p.code for p in g.projects if any(t.method == m for t in p.tasks)) for m in EV_METHODS
    }
    s.portfolios, s.programmes = g.n_portfolios, g.n_programmes
    s.projects, s.people = len(g.projects), len(g.people)
    s.anomalies.append(
        Anomaly(
            "rate_change",
            "rates",
            "rates/rates.csv",
            f"valid_from {_iso(g.rate_change)}",
            f"every personal and role rate rises by {round((_RATE_CHANGE - 1) * 100)} % on "
            f"{_iso(g.rate_change)}; the old row ends the day before (valid_to inclusive)",
        )
    )
    foreign = [p.code for p in g.projects if p.currency != g.rc]
    s.anomalies.append(
        Anomaly(
            "second_currency",
            "fx_rates",
            "fx_rates/fx_rates.csv",
            "projects " + ", ".join(foreign) if foreign else "no foreign-currency project at this size",
            f"projects, rates and ledger lines in {', '.join(g.ccys[1:])}; "
            f"convert to {g.rc} with the "
            "period's rate",
        )
    )
    fallback = [p.pid for p in g.people if not p.personal]
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
