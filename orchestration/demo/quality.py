"""Quality: the defects of the waterfall projects (as work items of type Bug) and the quality review register.

Feeds the contract entities ``work_items`` (defect rows, through :func:`defect_rows`, written by
``work_items`` into the same monthly snapshots) and ``quality_reviews``
(``quality_reviews/quality-reviews-register.csv``).  Draws from the ``quality`` and ``quality_reviews`` streams only, so
no other entity's values change.

Two stories (``summary.quality_stories``):

* ``red_quality``: an on-track waterfall project, green on cost and schedule, whose stage gates and UAT
  keep failing at the first attempt and whose critical defects stay open: red on quality.
* ``rushed_release``: a waterfall project that went live with its UAT passed only on the second attempt
  "with actions"; the defects found in production rise month after month after its release.

Other started waterfall projects find a few defects in test and UAT and fix most within weeks; their
reviews mostly pass.  The agile projects' own Bugs are in ``work_items`` already (no severity, no origin).
"""

from __future__ import annotations

from typing import Any

from orchestration.demo.core import Generation, _Table
from orchestration.demo.model import _iso

_SEVERITIES = ("critical", "major", "minor", "trivial")
_PRIORITY = {"critical": "Highest", "major": "High", "minor": "Medium", "trivial": "Low"}
#: The review cycle of a waterfall project: (months after its start, review type, deliverable).
_REVIEWS = ((1, "stage_gate", "Business case"), (2, "peer_review", "Requirements"), (3, "stage_gate", "Design"),
            (5, "peer_review", "Build"), (6, "test", "System test"), (7, "uat", "Release"),
            (8, "audit", "Quality management"))


def _month_of(g: Generation, day: int) -> int | None:
    return next((k for k, per in enumerate(g.periods) if per.start <= day <= per.end), None)


def _stories(g: Generation) -> dict[str, Any]:
    """The projects of the two stories (or none, in an organisation too small to have them)."""
    waterfall = [p for p in g.projects if p.started and p.methodology == "waterfall"]
    # an on-track project with three periods or more of history, preferably still running
    on_track = [p for p in waterfall if p.scenario == "on_track" and p.appear <= g.W - 3]
    red = next((p for p in on_track if p.act_finish > g.as_end), next(iter(on_track), None))
    rushed = None
    for p in waterfall:
        fin = _month_of(g, p.act_finish)
        if p is not red and fin is not None and 3 <= fin <= g.W - 5 and p.appear < fin - 2:
            rushed = p
            break
    return {k: v for k, v in (("red_quality", red), ("rushed_release", rushed)) if v is not None}


def plan_quality(g: Generation) -> None:
    """Draw every defect and review once (``g.defects``, ``g.reviews``), before work_items writes its
    snapshots; the stories are recorded in the summary."""
    rng = g.rng("quality")
    stories = _stories(g)
    role = {p.code: story for story, p in stories.items()}
    g.summary.quality_stories = {story: p.code for story, p in stories.items()}
    g.defects, g.reviews = {}, []
    for p in g.projects:
        if not p.started or p.methodology != "waterfall":
            continue
        story = role.get(p.code)
        first = max(p.appear, _month_of(g, p.act_start) or 0)
        fin = _month_of(g, p.act_finish)
        last = g.W - 1 if fin is None else min(fin, g.W - 1)
        defects: list[dict[str, Any]] = []
        # defects found in test and UAT while the project builds: a few a month, most fixed within weeks
        for m in range(first + 1, last + 1):
            per = g.periods[m]
            for _ in range(rng.choice((0, 1, 1, 2, 3)) + (2 if story == "red_quality" else 0)):
                created = rng.randint(per.start, per.end)
                severity = rng.choices(_SEVERITIES, weights=(4, 25, 51, 20))[0]
                if story == "red_quality" and rng.random() < 0.35:
                    severity = "critical"
                stays_open = story == "red_quality" and severity == "critical"
                fixed = None if stays_open else created + rng.randint(3, 40)
                defects.append({"created": created, "severity": severity,
                                "found_in": rng.choice(("test", "test", "uat", "development")), "fixed": fixed,
                                "reopened": None})
        # after release, production finds a few (the rushed release: more each month)
        if fin is not None and fin < g.W - 1:
            for k, m in enumerate(range(fin + 1, g.W), start=1):
                per = g.periods[m]
                n = k + 1 if story == "rushed_release" else rng.choice((0, 0, 0, 1))
                for _ in range(n):
                    created = rng.randint(per.start, per.end)
                    severity = rng.choices(_SEVERITIES, weights=(15, 40, 35, 10))[0]
                    defects.append({"created": created, "severity": severity, "found_in": "production",
                                    "fixed": created + rng.randint(10, 60), "reopened": None})
        # one fix in six does not hold: the defect is reopened two weeks after it was resolved
        for d in defects:
            if d["fixed"] is not None and rng.random() < 1 / 6:
                d["reopened"] = d["fixed"] + 14
        g.defects[p.code] = defects
        # the review cycle from the project's start
        start_m = _month_of(g, p.act_start)
        start_m = first if start_m is None else start_m
        for offset, review_type, deliverable in _REVIEWS:
            m = start_m + offset
            if story == "rushed_release" and review_type == "uat":
                m = fin - 1 if fin is not None else m
            if m > last or m >= g.W:
                continue
            per = g.periods[m]
            day = rng.randint(per.start, per.end - 7)
            if story == "red_quality":
                outcome = "failed" if rng.random() < 0.7 else "passed_with_actions"
            elif story == "rushed_release" and review_type == "uat":
                outcome = "failed"
            else:
                outcome = rng.choices(("passed", "passed_with_actions", "failed"), weights=(70, 22, 8))[0]
            g.reviews.append((p, deliverable, review_type, day, outcome))
            if outcome == "failed" and day + 21 <= g.as_end:
                # the re-review three weeks later (the rushed release passes "with actions" all the same)
                again = "passed_with_actions" if story in ("red_quality", "rushed_release") else "passed"
                g.reviews.append((p, deliverable, review_type, day + 21, again))


def defect_rows(g: Generation, code: str, status_date: int) -> list[list[str]]:
    """A project's defects as work_items rows of the snapshot at ``status_date`` (created on or before it)."""
    rows = []
    for k, d in enumerate(getattr(g, "defects", {}).get(code, ()), start=1):
        if d["created"] > status_date:
            continue
        fixed, reopened = d["fixed"], d["reopened"]
        if fixed is not None and fixed <= status_date and not (reopened is not None and reopened <= status_date):
            status, resolved = "done", fixed
        elif fixed is not None and reopened is not None and reopened <= status_date:
            status, resolved = "todo", None  # reopened: Jira clears the resolution
        else:
            status, resolved = ("in_progress" if status_date - d["created"] > 7 else "todo"), None
        rows.append([_iso(status_date), code, f"{code}-BUG-{k}", "Bug", "", status, _iso(resolved), "", "", "",
                     _iso(d["created"]), d["severity"], _PRIORITY[d["severity"]], d["found_in"]])
    return rows


def write_quality_reviews(g: Generation) -> None:
    """The quality review register (entity ``quality_reviews``), in date order."""
    rng = g.rng("quality_reviews")
    table = _Table("quality_reviews")
    for seq, (p, deliverable, review_type, day, outcome) in enumerate(sorted(
            g.reviews, key=lambda r: (r[3], r[0].code, r[2])), start=1):
        failed = outcome == "failed"
        critical = rng.randint(1, 3) if failed else 0
        major = rng.randint(1, 5) if outcome != "passed" else 0
        rework_h = rng.randint(8, 60) if failed else (rng.randint(2, 12) if outcome == "passed_with_actions" else None)
        table.add(review_id=f"QR-{seq:04d}", project_code=p.code, deliverable=deliverable, review_type=review_type,
                  review_date=_iso(day), outcome=outcome, findings_critical=critical, findings_major=major,
                  findings_minor=rng.randint(0, 6),
                  open_nonconformances=(critical + major) if failed and day + 21 > g.as_end else
                  (rng.randint(0, 2) if outcome == "passed_with_actions" else 0),
                  rework_hours=rework_h,
                  rework_cost=None if rework_h is None else round(rework_h * rng.uniform(60, 95), 2))
    if table.rows:
        g.write("quality_reviews/quality-reviews-register.csv", table)
