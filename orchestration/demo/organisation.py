"""The organisation: portfolios, programmes, projects (with their scenario, currency and methodology),
people and their rates.

Feeds the contract entities ``projects`` (``projects/projects.csv``), ``rates`` (``rates/rates.csv``) and
``capacity`` (``capacity/capacity.csv``); the people and their rates are what ``timesheets`` books and costs.
Draws from the ``org`` stream (shared with ``schedules``, in the order ``generator`` calls them), ``scores``
and ``capacity``.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date

from orchestration.demo.core import Generation, _Table
from orchestration.demo.model import _GBP_VALUE, _HOURS_PER_DAY, _iso, _Person, _Project

SCENARIOS = ("on_track", "at_risk", "late", "over_budget", "finished_late", "not_started")
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


class _Without(Sequence):
    """``[x for x in items if x != left_out]`` for a sorted list without copying it (rng.choice needs only
    len and indexing, and draws the same number as it would from the copy)."""

    def __init__(self, items: list[int], left_out: int):
        self.items = items
        at = bisect_left(items, left_out)
        self.at = at if at < len(items) and items[at] == left_out else len(items)

    def __len__(self) -> int:
        return len(self.items) - (self.at < len(self.items))

    def __getitem__(self, i: int) -> int:  # type: ignore[override]  # int indexes only (rng.choice), no slices
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.items[i + (i >= self.at)]


def _rate_change_date(g: Generation) -> int:
    """The day every rate rises by 4 %: the last 1 April inside the window (not its first month), else
    the first day of the middle month."""
    aprils = [p.start for p in g.periods[1:] if p.label.endswith("-04")]
    if aprils:
        return aprils[-1]
    return g.periods[len(g.periods) // 2].start if len(g.periods) > 1 else g.periods[0].start


def build_projects(g: Generation, rng: random.Random) -> tuple[list[str], int]:
    """Portfolios, programmes and projects: names, sponsors, scenarios, currencies and methodologies.

    Returns the names drawn for people (the first ``4 x projects``) and the anchor project's index (the
    first on-track one, running since the first period)."""
    n, W = g.n, g.W
    g.n_portfolios = max(1, n // 10)
    g.n_programmes = max(1, round(n / g.programme_size))
    n_people = 4 * n

    def numbered(base: tuple[str, ...], k: int) -> str:
        return base[k % len(base)] + ("" if k < len(base) else f" {k // len(base) + 1}")

    portfolios = [numbered(_PORTFOLIOS, k) for k in range(g.n_portfolios)]
    programmes = [numbered(_PROGRAMMES, k) for k in range(g.n_programmes)]
    prog_portfolio = [
        portfolios[k * g.n_portfolios // g.n_programmes] for k in range(g.n_programmes)
    ]

    # Names: people and sponsors from one pool of unique first/last combinations.
    pool = len(_FIRST) * len(_LAST)
    need = n_people + g.n_programmes
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
        g.summary.notes.append(
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
        g.summary.notes.append(
            f"projects={n}: only {', '.join(allowed[:n])} "
            f"(priority order {', '.join(_SCENARIO_PRIORITY)})"
        )
    anchor = order[0]  # the first on_track project: starts in the first period

    g.projects = []
    for i in range(n):
        prog = i * g.n_programmes // n
        g.projects.append(
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
        g.projects[i].currency = g.ccys[1] if k < n2 else g.ccys[2]
    for p in g.projects:
        p.currency = p.currency if p.idx in ccy_pick else g.rc

    # Methodology: ~35 % agile, 1-2 hybrid (one per 15 projects), rest waterfall.
    n_h = max(1, n // 15) if n >= 3 else 0
    n_a = round(n * 0.35)
    meth = ["hybrid"] * n_h + ["agile"] * n_a + ["waterfall"] * (n - n_h - n_a)
    rng.shuffle(meth)
    for p, mt in zip(g.projects, meth, strict=True):
        p.methodology = mt
    # The anchor (on track, running since the first period) is agile, so that at least one agile
    # release has sprints done and AgileEVM figures at any size.
    lead = g.projects[anchor]
    if n_a and lead.methodology not in ("agile", "hybrid"):
        swap = next(p for p in g.projects if p.methodology == "agile")
        swap.methodology, lead.methodology = lead.methodology, "agile"
    return names, anchor


def staff(g: Generation, rng: random.Random, names: list[str]) -> None:
    """People: 4 primary per project (a project manager plus a team), some with a second project; a few
    costed by the role default rate instead of a personal one."""
    n = g.n
    n_people = 4 * n
    slots = [i for i in range(n) for _ in range(4)]
    rng.shuffle(slots)
    g.people = []
    pm_done: set[int] = set()
    for k in range(n_people):
        proj = g.projects[slots[k]]
        if proj.idx not in pm_done:
            role = "project_manager"
            pm_done.add(proj.idx)
        else:
            role = rng.choices(_TEAM_ROLES, weights=_TEAM_ROLE_WEIGHTS)[0]
        ccy = proj.currency if proj.currency == g.ccys[1] else g.rc
        base = _ROLE_BASE_GBP[role] / _GBP_VALUE[ccy]
        r0 = round(base * rng.uniform(0.85, 1.2), 2)
        person = _Person(f"P{k + 1:04d}", names[k], role, ccy, r0, round(r0 * _RATE_CHANGE, 2), True)
        person.assignments.append((proj.idx, 1.0))
        if role == "project_manager":
            proj.manager = person.name
        g.people.append(person)
    # Role-default fallback: a few reporting-currency team members without a personal rate.
    cands = [q for q in g.people if q.ccy == g.rc and q.role != "project_manager"]
    for q in rng.sample(cands, min(len(cands), max(1, n_people // 60))):
        q.personal = False
        q.rate0 = _role_rate(g, q.role, 0)
        q.rate1 = _role_rate(g, q.role, 1)
    # Second assignments.
    active = [p.idx for p in g.projects if p.started]
    running = [i for i in active if g.projects[i].act_finish >= g.win_start]
    for q in g.people:
        primary = g.projects[q.assignments[0][0]]
        idle = (not primary.started) or primary.act_finish < g.as_end - 120
        if active and (idle or rng.random() < 0.25):
            choices = _Without(running, primary.idx)  # not a copy per person: that was quadratic
            if not choices:
                continue
            other = rng.choice(choices)
            q.assignments = [(primary.idx, 0.6), (other, 0.6 if not primary.started else 0.4)]
    for k, q in enumerate(g.people):
        for pi, alloc in q.assignments:
            g.projects[pi].team.append((k, alloc))


def _role_rate(g: Generation, role: str, which: int) -> float:
    r0 = round(_ROLE_BASE_GBP[role] / _GBP_VALUE[g.rc], 2)
    return r0 if which == 0 else round(r0 * _RATE_CHANGE, 2)


def write_projects(g: Generation) -> None:
    rng = g.rng("scores")
    table = _Table("projects", ("score_strategic_fit", "score_financial_value", "score_risk_reduction"))
    for p in g.projects:
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
    g.write("projects/projects.csv", table)


def write_rates(g: Generation) -> None:
    epoch = date(date.fromordinal(g.win_start).year - 1, 1, 1).toordinal()
    change, before = _iso(g.rate_change), _iso(g.rate_change - 1)
    table = _Table("rates")
    for role in sorted(_ROLE_BASE_GBP):
        table.add(
            role=role,
            valid_from=_iso(epoch),
            valid_to=before,
            hourly_cost=f"{_role_rate(g, role, 0):.2f}",
            currency=g.rc,
        )
        table.add(
            role=role, valid_from=change, hourly_cost=f"{_role_rate(g, role, 1):.2f}", currency=g.rc
        )
    for q in g.people:
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
    g.write("rates/rates.csv", table)


def write_capacity(g: Generation) -> None:
    rng = g.rng("capacity")
    table = _Table("capacity")
    for q in g.people:
        for per in g.periods:
            leave = rng.choices((0, 1, 2, 3, 5, 10), weights=(55, 15, 10, 8, 7, 5))[0]
            hours = max(0, len(per.workdays) - leave) * _HOURS_PER_DAY
            table.add(
                person_id=q.pid,
                team=_ROLE_TEAM[q.role],
                role=q.role,
                period=per.label,
                available_hours=hours,
            )
    g.write("capacity/capacity.csv", table)
