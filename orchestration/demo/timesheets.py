"""Timesheets: each month's daily entries per person per project, and the deliberate duplicate rows.

Feeds the contract entity ``timesheets`` (``timesheets/timesheets-<YYYY-MM>.csv``).  Each month it books the
labour share of the cost ``progress`` planned, at the people's rates (``organisation``) converted at the
month's fx rate (``ledger.build_fx``), sets each project's cost of the month (``_Project.ac``) and hands
the labour cost to ``ledger``, which posts it.  Draws from the ``timesheets`` and ``duplicates`` streams.
"""

from __future__ import annotations

import random
from operator import itemgetter

from orchestration.demo.core import Generation, _fmt, _Table
from orchestration.demo.model import _HOURS_PER_DAY, Anomaly, _iso, _Period
from orchestration.demo.schedules import _task_on

_JITTER = 1.15 - 0.85  # random.uniform(0.85, 1.15) = 0.85 + _JITTER * random()


def _quarter(h: float) -> float:
    return max(0.5, min(10.0, round(h * 4) / 4))


class _Timesheets:
    """One generation's timesheets, written a month at a time (``write_month``) so that memory stays flat at
    scale; entry ids and the planned duplicates run on across months."""

    def __init__(self, g: Generation):
        self.g = g
        self.rng_ts = g.rng("timesheets")
        self.rng_dup = rng_dup = g.rng("duplicates")
        W = g.W
        n_dup = rng_dup.randint(3, 6)
        self.dup_plan = dup_plan = [0] * W
        for m in rng_dup.choices(range(W), k=n_dup):
            dup_plan[m] += 1
        self.carry = 0
        self.entry_seq = 0
        for p in g.projects:
            p.ac = [0] * W
        # Each month's entries are sorted by (date, person id, project code, status); one int per entry with
        # the same order (ties included, so the stable sort keeps them where they were) sorts much faster.
        self.pid_rank = {pid: k for k, pid in enumerate(sorted(q.pid for q in g.people))}
        self.code_rank = {code: k for k, code in enumerate(sorted(p.code for p in g.projects))}
        self.hours_text = {k / 4: _fmt(k / 4) for k in range(2, 41)}  # every value _quarter gives

    def write_month(self, m: int, per: _Period) -> dict[int, float]:
        """Write month m's timesheet file; set each running project's cost of the month (``p.ac[m]``) and
        return its labour cost (project index -> amount in the project currency)."""
        g = self.g
        rng_ts = self.rng_ts
        last_m = g.W - 1
        uniform, chance, choice = rng_ts.uniform, rng_ts.random, rng_ts.choice
        task_on, rate_change = _task_on, g.rate_change
        pid_rank, code_rank, hours_text = self.pid_rank, self.code_rank, self.hours_text
        span = len(pid_rank) * len(code_rank)
        approved, rejected, submitted = 0, 1, 2  # the statuses' alphabetical order
        submitted_days = set(per.workdays[-3:]) if m == last_m else set()
        iso = {d: _iso(d) for d in per.workdays}
        # (sort key, row: work_date, person_id, person_name, project_code, task_code, hours, role,
        # approval_status, entry_id once sorted)
        ts: list[tuple[int, list[str]]] = []
        labour: dict[int, float] = {}
        for p in g.projects:
            C = p.target[m] if p.started else 0.0
            if C <= 0:
                continue
            days = [d for d in per.workdays if p.act_start <= d <= p.act_finish]
            spent = 0.0
            if days:
                mid = days[len(days) // 2]
                team = []
                for pi, alloc in p.team:
                    q = g.people[pi]
                    fx = g.fx_rate(m, q.ccy, p.currency)
                    r_mid = (q.rate0 if mid < g.rate_change else q.rate1) * fx
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
        entry_seq = self.entry_seq
        for _, row in ts:
            entry_seq += 1
            row[8] = f"TS-{entry_seq:06d}"
            add(row)
        self.entry_seq = entry_seq
        want = self.dup_plan[m] + self.carry
        rel = f"timesheets/timesheets-{per.label}.csv"
        if want and table.rows:
            _inject_duplicates(g, self.rng_dup, table, want, rel)
            self.carry = 0
        else:
            self.carry = want
        if table.rows:
            g.write(rel, table)
        return labour

    def close(self) -> None:
        if self.carry:
            self.g.summary.notes.append(f"{self.carry} planned duplicate timesheet rows had no file to go into")


def _inject_duplicates(g: Generation, rng: random.Random, table: _Table, k: int, rel: str) -> None:
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
            g.summary.anomalies.append(
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
