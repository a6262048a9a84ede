"""Progress: percent complete and earned value of every measured task, by its EV technique, and the cost
each project must show each month for its CPI to come out as its scenario says.

Feeds the contract entity ``tasks`` (percent_complete, actual and remaining cost: ``schedules.write_tasks``
writes them) and ``work_items`` (items are done as EV passes their share of the points); the monthly cost
targets are what ``timesheets`` and ``ledger`` spend.  Writes no file itself; draws from the ``progress``
stream.
"""

from __future__ import annotations

from orchestration.demo.core import Generation
from orchestration.demo.model import _Project, _Task


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


def plan_progress(g: Generation) -> None:
    """Per project and period: percent complete and EV of each task, cumulative EV, and the cost to spend."""
    rng = g.rng("progress")
    for p in g.projects:
        prev = 0.0
        for m, per in enumerate(g.periods):
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
