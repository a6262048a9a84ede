"""Registers: benefits (with dis-benefits), risks and cross-project dependencies.

Feeds the contract entities ``benefits`` (``benefits/benefits.csv``), ``risks``
(``risks/risks-<YYYY-MM>.csv``, one register snapshot per month) and ``dependencies``
(``dependencies/dependencies.csv``), from the projects' scenarios, schedules and simulated dates.  Draws
from the ``benefits``, ``risks`` and ``dependencies`` streams.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date
from itertools import count
from typing import Any

from orchestration.demo.core import Generation, _Table
from orchestration.demo.model import _iso, _money, _month, _Project

# Open risk exposure (sum of probability x impact) a register is mitigated down to, as a share of BAC: on-track
# projects stay in the green risk band (< 5 %), at-risk ones below the red one (10 %).
_RISK_APPETITE = {"on_track": 0.04, "at_risk": 0.075}

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


def write_benefits(g: Generation) -> None:
    rng = g.rng("benefits")
    started = [p for p in g.projects if p.started]
    if not started:
        return
    closed = [p for p in started if p.status == "closed"]
    others = [p for p in started if p.status != "closed"]
    rng.shuffle(others)
    dis = {p.idx for p in (closed + others)[: max(1, len(g.projects) // 30)]}
    table = _Table("benefits")
    seq = 0
    as_label = g.as_of
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
    g.write("benefits/benefits.csv", table)


def write_risks(g: Generation) -> None:
    rng = g.rng("risks")
    per_period: list[_Table] = [_Table("risks") for _ in g.periods]
    ids = count(1)  # risk ids run on across projects
    for p in g.projects:
        if not p.started:
            continue
        team = [g.people[i].name for i, _ in p.team] or [p.manager]
        focus = {"late": "schedule", "over_budget": "cost", "finished_late": "schedule"}.get(p.scenario)
        reg: list[dict] = []
        fin_m = next(
            (k for k, per in enumerate(g.periods) if per.start <= p.act_finish <= per.end),
            g.W - 1 if p.act_finish > g.as_end else None,
        )
        if fin_m is None:  # finished before the window (does not happen: projects start inside it)
            continue
        for m in range(p.appear, fin_m + 1):
            per = g.periods[m]
            if m == p.appear:
                reg = [
                    _raise_risk(rng, ids, p, focus, team, max(p.ps, per.start), per.end)
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
                        _raise_risk(rng, ids, p, focus, team, rng.randint(per.start, per.end), per.end)
                    )
            if m == fin_m and p.act_finish <= g.as_end:
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
    for per, table in zip(g.periods, per_period, strict=True):
        if table.rows:
            g.write(f"risks/risks-{per.label}.csv", table)


def _raise_risk(
    rng: random.Random, ids: Iterator[int], p: _Project, focus: str | None, team: list[str], on: int, per_end: int
) -> dict:
    seq = next(ids)
    cat = focus if focus and rng.random() < 0.5 else rng.choice(list(_RISKS))
    title, mitigation = rng.choice(_RISKS[cat])
    hi = cat == focus
    r: dict[str, Any] = {
        "id": f"RSK-{seq:05d}",
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


def write_dependencies(g: Generation) -> None:
    rng = g.rng("dependencies")
    table = _Table("dependencies")
    n = len(g.projects)
    want = max(1, n // 3) if n >= 2 else 0
    pairs: set[tuple[int, int]] = set()
    tries = 0
    while len(pairs) < want and tries < want * 20:
        tries += 1
        a, b = rng.sample(range(n), 2)
        if (a, b) in pairs or (b, a) in pairs:
            continue
        pairs.add((a, b))
        src, dst = g.projects[a], g.projects[b]
        dst_work = [t for t in dst.work if t.method not in ("loe", "apportioned", "0/100")]
        src_work = [t for t in src.work if t.method not in ("loe", "apportioned", "0/100")]
        to_task = rng.choice(dst_work[1:] or dst_work)
        needed = to_task.bs
        ready = [t for t in src_work if t.bf <= needed]
        from_task = ready[-1] if ready else src_work[-1]
        delivered = from_task.a_finish if src.started else from_task.bf
        if src.started and delivered <= g.as_end and delivered <= needed:
            status = "met"
        elif src.started and delivered <= g.as_end:
            status = "met_late"
        elif needed <= g.as_end:
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
    g.write("dependencies/dependencies.csv", table)
