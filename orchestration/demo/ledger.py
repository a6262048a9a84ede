"""Money: the fx rates, each month's general ledger (non-labour documents, the payroll allocation, the
keyed-x10 document reversed and re-posted), and the budgets.

Feeds the contract entities ``ledger`` (``ledger/ledger-<YYYY-MM>.csv``), ``fx_rates``
(``fx_rates/fx_rates.csv``) and ``budgets`` (``budgets/budgets.csv``).  A month's ledger posts the
non-labour rest of the cost ``progress`` planned and ``timesheets`` set, plus that month's labour cost as
payroll allocation lines.  Draws from the ``fx``, ``ledger`` and ``budgets`` streams.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

from orchestration.demo.core import Generation, _Table
from orchestration.demo.model import _GBP_VALUE, Anomaly, _iso, _money, _Period, _Project, _split_cents
from orchestration.demo.schedules import _task_on

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


def build_fx(g: Generation) -> None:
    rng = g.rng("fx")
    walk = {c: 0.0 for c in g.ccys}
    g.fx = {}
    g.fx_rows = []
    for m, per in enumerate(g.periods):
        val = {}
        for c in g.ccys:
            if c != "GBP":
                walk[c] = max(-0.022, min(0.022, walk[c] + rng.uniform(-0.008, 0.008)))
            val[c] = _GBP_VALUE[c] * math.exp(walk[c])
        for i, a in enumerate(g.ccys):
            for b in g.ccys[i + 1 :]:
                r_ab = round(val[a] / val[b], 6)
                r_ba = round(1 / r_ab, 6)
                g.fx[(m, a, b)], g.fx[(m, b, a)] = r_ab, r_ba
                g.fx_rows += [(per.label, a, b, r_ab), (per.label, b, a, r_ba)]


class _Ledger:
    """One generation's general ledger, written a month at a time (``write_month``), after that month's
    timesheets; document numbers (per posting year) and the one reversal run on across months."""

    def __init__(self, g: Generation):
        self.g = g
        self.rng_gl = g.rng("ledger")
        self.reversal_from = g.W // 2
        self.reversal_done = False
        self.reversal: tuple | None = None  # (project code, original, reversal, re-post, period)
        self.doc_seq: dict[int, int] = defaultdict(int)

    def write_month(self, m: int, per: _Period, labour: dict[int, float]) -> None:
        """Write month m's ledger file: ``labour`` is each project's timesheet cost of the month."""
        g = self.g
        rng_gl = self.rng_gl
        last_m = g.W - 1
        docs: list[list[Any]] = []  # (posting ordinal, sort rank, project code, currency, lines, meta)
        by_ccy: dict[str, list[tuple[_Project, int]]] = defaultdict(list)
        for p in g.projects:
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
            lines: list[tuple[Any, ...]] = []  # (type, cents, task, description[, project code])
            post = rng_gl.choice(per.workdays)
            for t, amt in zip(types, _split_cents(non, weights), strict=True):
                task = _task_on(rng_gl, p, post) if t in ("material", "subcontract") else ""
                lines.append((t, amt, task, f"{rng_gl.choice(_VENDORS[t])} - {t} {per.label}"))
            is_rev_target = (
                not self.reversal_done
                and m >= self.reversal_from
                and len(per.workdays) >= 16
                and rng_gl.random() < 0.5
                or (not self.reversal_done and m == last_m)
            )
            if is_rev_target and len(per.workdays) >= 8:
                self.reversal_done = True
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
                self.reversal = (p.code, orig, rev, repost, per.label)
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
            self.doc_seq[year] += 1
            meta["id"] = f"GL-{year}-{self.doc_seq[year]:06d}"
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
            g.write(f"ledger/ledger-{per.label}.csv", table)
        if self.reversal_done and self.reversal and self.reversal[4] == per.label:
            code, orig, rev, repost, label = self.reversal
            g.summary.anomalies.append(
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

    def close(self) -> None:
        if not self.reversal_done:
            self.g.summary.notes.append("no non-labour ledger document to reverse at this size")


def write_budgets(g: Generation) -> None:
    rng = g.rng("budgets")
    table = _Table("budgets")
    for p in g.projects:
        if p.started:
            approved = p.ps - rng.randint(14, 45)
        else:
            approved = g.as_end - rng.randint(5, 60)
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
                approved_date=_iso(g.periods[p.rebase_m].workdays[0]),
            )
    g.write("budgets/budgets.csv", table)


def write_fx(g: Generation) -> None:
    table = _Table("fx_rates")
    for period, a, b, r in g.fx_rows:
        table.add(period=period, from_currency=a, to_currency=b, rate=f"{r:.6f}")
    g.write("fx_rates/fx_rates.csv", table)
