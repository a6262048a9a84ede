"""Schedules: each project's baseline window, its tasks (WBS, EV techniques, baseline and simulated actual
dates), the re-baseline, and the monthly schedule snapshots.

Feeds the contract entities ``tasks`` (``tasks/tasks-<YYYY-MM>.csv``) and ``baseline_phasing``
(``baseline_phasing/baseline-phasing.csv``); the budgets in ``ledger`` and the bookings of ``timesheets``
and ``ledger`` (``_task_on``) follow these schedules.  Draws from the ``org`` stream after
``organisation.build_projects``.
"""

from __future__ import annotations

import random
from datetime import date

from orchestration.demo.core import Generation, _fmt, _Table
from orchestration.demo.model import (_GBP_VALUE, _iso, _money, _Project, _split_cents, _Task, _weekday_on_or_after,
                                      _weekday_on_or_before)

#: EV techniques (docs/evm.md §2) in the order the summary lists them.
EV_METHODS = ("0/100", "50/50", "percent_complete", "milestone_weights", "units", "loe", "apportioned")
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


def plan_schedules(g: Generation, rng: random.Random, anchor: int) -> None:
    """Each project's window, speed and cost factor and its schedule (WBS, baseline, simulated dates); which
    schedules mix EV techniques, and the one project re-baselined."""
    n = g.n
    # Which schedules mix EV techniques (rich), and which project is re-baselined: a late one when
    # another late project keeps its original plan, else an over-budget one (a re-baseline leaves CPI
    # as it was); its schedule stays plain percent complete, so the new baseline leaves EV where it was.
    late = [p for p in g.projects if p.scenario == "late"]
    over = [p for p in g.projects if p.scenario == "over_budget"]
    pool = late if len(late) >= 2 else over or late
    rebased = rng.choice(pool) if pool else None
    cands = [
        p
        for p in g.projects
        if p.started and p.scenario != "at_risk" and p.idx != anchor and p is not rebased
    ]
    rng.shuffle(cands)
    n_rich = min(len(cands), max(2, round(n * 0.25)))

    def plain_xer(q: _Project) -> bool:  # a schedule that goes out as P6 XER (orchestration.demo.formats)
        return q.started and q.methodology == "waterfall" and q.currency == g.rc

    for q in cands:
        if sum(x.rich for x in g.projects) >= n_rich:
            break
        if plain_xer(q) and sum(plain_xer(x) and not x.rich for x in g.projects) <= 1:
            continue  # keep one started schedule plain enough for the P6 export
        q.rich = True

    # Windows, schedules, speeds and cost factors.
    first_on_track_seen = False
    for p in g.projects:
        _window(g, rng, p, is_anchor=(p.idx == anchor), allow_closed=first_on_track_seen and p.idx != anchor)
        if p.scenario == "on_track":
            first_on_track_seen = True
        _schedule(g, rng, p)
    if rebased is not None:
        _rebaseline(g, rng, rebased)


def _window(g: Generation, rng: random.Random, p: _Project, *, is_anchor: bool, allow_closed: bool) -> None:
    W, P = g.W, g.periods
    as_end, ws = g.as_end, g.win_start

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


def _schedule(g: Generation, rng: random.Random, p: _Project) -> None:
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
        for kind, t in extras.items():
            t.cost = int(round(p.bac * shares[kind], -2))
    # Costs: proportional to duration, jittered; exact cents summing to BAC.
    cw = [(t.bf - t.bs + 1) * rng.uniform(0.7, 1.3) for t in leaves]
    for t, c in zip(leaves, _split_cents(p.bac - sum(t.cost for t in extras.values()), cw), strict=True):
        t.cost = c
    # Simulated actual dates: time warp around the baseline start plus jitter.
    speed = p.speed
    a0 = p.ps + p.delay

    def warp(o: int) -> int:
        return a0 + round((o - p.ps) / speed)

    for k, t in enumerate(leaves):
        t.a_start, t.a_finish = warp(t.bs), warp(t.bf)
        if 0 < k < n_leaf - 1:
            t.a_start += rng.randint(-2, 2)
            t.a_finish += rng.randint(-2, 3)
    last = leaves[-1].a_finish
    if p.scenario == "finished_late":
        last = leaves[-1].a_finish = p.pf + round((p.pf - p.ps) * (1 / speed - 1))
    for t in leaves:
        t.a_start = max(a0, min(t.a_start, last))
        t.a_finish = max(t.a_start, min(t.a_finish, last))
    if p.closed_on_time or p.scenario == "finished_late":
        assert last <= g.as_end, (p.code, _iso(last))
    p.act_start, p.act_finish = min(t.a_start for t in leaves), last
    # WBS: groups of leaves under summaries, milestones.
    items: list = []  # top-level: _Task (leaf/milestone) or list[_Task] (summary group)
    k = 0
    for _ in range(n_sum):
        size = rng.randint(2, max(2, min(3, n_leaf - k - (1 if n_sum == 1 else 2))))
        items.append(leaves[k : k + size])
        k += size
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


def _rebaseline(g: Generation, rng: random.Random, p: _Project) -> None:
    """Re-plan a running project from a mid-window snapshot on (BL2): unfinished tasks take their
    forecast dates, and tasks not yet started a budget 8-15 % higher (an over-target baseline), so EV
    earned so far is unchanged and BAC grows."""
    last = len(g.periods) - 1
    m = p.appear + max(1, (last - p.appear + 1) // 2)
    sd = g.periods[min(m, last)].end
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
    g.summary.rebaselined[p.code] = g.periods[m].label


def _task_on(rng: random.Random, p: _Project, d: int) -> str:
    """The task booked on day d: one of the tasks in progress (a draw from rng only when there are
    several), else the last one started, else the first.

    ``p.booking`` remembers each day's answer (p.work does not change once the schedule is built): the
    task code, or the tuple of codes to draw from; timesheets reads it directly in its hot loop."""
    active = p.booking.get(d)
    if active is None:
        codes = tuple(t.code for t in p.work if t.a_start <= d <= t.a_finish)
        if not codes:
            before = [t for t in p.work if t.a_start <= d]
            codes = ((before[-1] if before else p.work[0]).code,)
        active = p.booking[d] = codes[0] if len(codes) == 1 else codes
    return active if active.__class__ is str else rng.choice(active)


def write_tasks(g: Generation) -> None:
    for m, per in enumerate(g.periods):
        table = _Table("tasks")
        add = table.adder("status_date", "project_code", "task_code", "parent_task_code", "task_name",
                          "is_milestone", "ev_method", "baseline_start", "baseline_finish", "baseline_cost",
                          "baseline_version", "percent_complete", "actual_start", "actual_finish",
                          "forecast_finish", "actual_cost", "remaining_cost")
        sd = per.end
        status_date = _iso(sd)
        for p in g.projects:
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
        g.write(f"tasks/tasks-{per.label}.csv", table)


def write_baseline_phasing(g: Generation) -> None:
    """The agile and hybrid projects' baseline cost by month (their schedules stay canonical CSV), as MS
    Project's Task Usage view exports it: each
    leaf task's cost split over the months it spans in proportion to its days in each (the tasks are
    evenly loaded, so PV equals the linear spread at every month end, to the cent); split in whole
    cents that add up to the task's baseline cost exactly."""
    table = _Table("baseline_phasing")
    for p in g.projects:
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
        g.write("baseline_phasing/baseline-phasing.csv", table)
