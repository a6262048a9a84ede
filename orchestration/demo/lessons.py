"""Lessons learned: the register of what the started projects learned, in the category their scenario teaches.

Feeds the contract entity ``lessons`` (``lessons/lessons-register.csv``), from the projects' scenarios,
simulated finish dates and BAC.  Draws from the ``lessons`` stream.
"""

from __future__ import annotations

from orchestration.demo.core import Generation, _Table
from orchestration.demo.model import _iso

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


def write_lessons(g: Generation) -> None:
    """The lessons-learned register (entity ``lessons``): one or two lessons per started project, in the
    category its scenario teaches (estimating on late projects, supplier on overspending ones, resourcing
    on those that finished late, requirements when at risk, governance when on track), now and then
    another. Lessons raised more than 45 days before the data date are actioned, more than 120 days
    often embedded; so later projects of the same scenario repeat lessons already actioned (the
    recurrence fct_lesson_themes counts), and open risks meet lessons of their category."""
    rng = g.rng("lessons")
    table = _Table("lessons")
    seq = 0
    themes = list(_LESSON_THEMES.values())
    for p in g.projects:
        if not p.started:
            continue
        fin_m = next((k for k, per in enumerate(g.periods) if per.start <= p.act_finish <= per.end), g.W - 1)
        first, last = p.appear + 2, min(fin_m, g.W - 1)
        if first > last:
            continue
        for m in sorted(rng.sample(range(first, last + 1), min(2, last + 1 - first))):
            per = g.periods[m]
            phase, category, what, cause, recommendation = (
                _LESSON_THEMES.get(p.scenario, _LESSON_THEMES["on_track"]) if rng.random() < 0.75
                else rng.choice(themes))
            raised = rng.randint(per.start, per.end)
            age = g.as_end - raised
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
        g.write("lessons/lessons-register.csv", table)
