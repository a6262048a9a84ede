"""Work items: the agile and hybrid projects' backlogs (stories, bugs, tasks in sprints, epics and releases),
one snapshot per month, and the waterfall projects' defects (planned by ``quality``).

Feeds the contract entity ``work_items`` (``work_items/work_items-<YYYY-MM>.csv``): an item is done once
the project's EV / BAC (``progress``) passes its cumulative share of the points, so done points track EV.
Draws from the ``work_items`` stream.
"""

from __future__ import annotations

from typing import Any

from orchestration.demo import quality
from orchestration.demo.core import Generation, _fmt, _Table
from orchestration.demo.model import _iso
from orchestration.demo.progress import _first_day, _progress

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


def write_work_items(g: Generation) -> None:
    rng = g.rng("work_items")
    per_period: list[_Table] = [_Table("work_items") for _ in g.periods]
    adders = [t.adder("status_date", "project_code", "item_key", "item_type", "story_points", "status_category",
                      "resolved_date", "sprint", "epic", "release", "created_date") for t in per_period]
    defect_adders = [t.adder("status_date", "project_code", "item_key", "item_type", "story_points",
                             "status_category", "resolved_date", "sprint", "epic", "release", "created_date",
                             "severity", "priority", "found_in") for t in per_period]
    for p in g.projects:
        if p.methodology not in ("agile", "hybrid"):
            continue
        n_items = rng.randint(18, 40)
        epics = rng.sample(_EPICS, rng.randint(3, 5))
        n_rel = 3 if p.methodology == "agile" else 2
        items: list[dict[str, Any]] = []
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
        created = _iso(g.periods[p.appear].start)  # the backlog is there from the project's first snapshot
        for m, per in enumerate(g.periods):
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
                     it["epic"], it["release"], created])
    # the waterfall projects' defects (demo/quality.py), in the same monthly snapshots
    for p in g.projects:
        if p.code not in g.defects:
            continue
        for m, per in enumerate(g.periods):
            if m >= p.appear:
                for row in quality.defect_rows(g, p.code, per.end):
                    defect_adders[m](row)
    for per, table in zip(g.periods, per_period, strict=True):
        if table.rows:
            g.write(f"work_items/work_items-{per.label}.csv", table)
