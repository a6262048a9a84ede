"""The small organisation tests/dbt/test_dbt_project.py builds its warehouse from: three projects
(P-ALPHA in GBP, P-BETA in EUR, P-GAMMA with one task per EV technique): projects, tasks (schedules and
baselines), timesheets, rates, ledger and FX rates, as raw rows of the canonical contract (test data, not tests)."""
from __future__ import annotations

import datetime as dt

GBP_PROJECT = "P-ALPHA"
EUR_PROJECT = "P-BETA"
TECHNIQUES_PROJECT = "P-GAMMA"


def small_organisation() -> dict[str, list[dict]]:
    d = dt.date
    return {
        "projects": [
            {
                "project_code": GBP_PROJECT,
                "project_name": "Alpha",
                "programme": "PRG-1",
                "portfolio": "PF-1",
                "manager": "A. Manager",
                "methodology": "waterfall",
                "currency": "GBP",
                "start_date": d(2024, 1, 1),
                "planned_finish_date": d(2024, 4, 13),
                "status": "active",
            },
            {
                "project_code": EUR_PROJECT,
                "project_name": "Beta",
                "programme": "PRG-1",
                "portfolio": "PF-1",
                "sponsor": "B. Sponsor",
                "methodology": "hybrid",
                "currency": "eur",
                "start_date": d(2024, 2, 1),
                "planned_finish_date": d(2024, 3, 31),
                "status": "active",
            },
            {
                "project_code": TECHNIQUES_PROJECT,
                "project_name": "Gamma",
                "programme": "PRG-2",
                "portfolio": "PF-2",
                "methodology": "waterfall",
                "currency": "GBP",
                "status": "active",
            },
        ],
        "tasks": [
            # Alpha, snapshot of 31 Jan: S1 is a summary task (the parent of T1 and T2)
            {
                "status_date": d(2024, 1, 31),
                "project_code": GBP_PROJECT,
                "task_code": "S1",
                "baseline_start": d(2024, 1, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 9999,
                "percent_complete": 50,
            },
            {
                "status_date": d(2024, 1, 31),
                "project_code": GBP_PROJECT,
                "task_code": "T1",
                "parent_task_code": "S1",
                "baseline_start": d(2024, 1, 1),
                "baseline_finish": d(2024, 1, 31),
                "baseline_cost": 3100,
                "percent_complete": 100,
            },
            {
                "status_date": d(2024, 1, 31),
                "project_code": GBP_PROJECT,
                "task_code": "T2",
                "parent_task_code": "S1",
                "baseline_start": d(2024, 2, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 6000,
                "percent_complete": 10,
            },
            # Alpha, snapshot of 29 Feb (the current baseline for March): T3 added
            {
                "status_date": d(2024, 2, 29),
                "project_code": GBP_PROJECT,
                "task_code": "S1",
                "baseline_start": d(2024, 1, 1),
                "baseline_finish": d(2024, 4, 13),
                "baseline_cost": 9999,
                "percent_complete": 60,
            },
            {
                "status_date": d(2024, 2, 29),
                "project_code": GBP_PROJECT,
                "task_code": "T1",
                "parent_task_code": "S1",
                "baseline_start": d(2024, 1, 1),
                "baseline_finish": d(2024, 1, 31),
                "baseline_cost": 3100,
                "percent_complete": 100,
            },
            {
                "status_date": d(2024, 2, 29),
                "project_code": GBP_PROJECT,
                "task_code": "T2",
                "parent_task_code": "S1",
                "baseline_start": d(2024, 2, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 6000,
                "percent_complete": 40,
            },
            {
                "status_date": d(2024, 2, 29),
                "project_code": GBP_PROJECT,
                "task_code": "T3",
                "parent_task_code": "S1",
                "baseline_start": d(2024, 3, 15),
                "baseline_finish": d(2024, 4, 13),
                "baseline_cost": 3000,
                "percent_complete": None,
            },
            # Alpha, snapshot of 5 April: after the reporting period, so ignored
            {
                "status_date": d(2024, 4, 5),
                "project_code": GBP_PROJECT,
                "task_code": "T1",
                "baseline_start": d(2024, 1, 1),
                "baseline_finish": d(2024, 1, 31),
                "baseline_cost": 3100,
                "percent_complete": 100,
            },
            {
                "status_date": d(2024, 4, 5),
                "project_code": GBP_PROJECT,
                "task_code": "T2",
                "baseline_start": d(2024, 2, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 6000,
                "percent_complete": 100,
            },
            # Beta (EUR), snapshots of 15 Feb and 20 Mar
            {
                "status_date": d(2024, 2, 15),
                "project_code": EUR_PROJECT,
                "task_code": "A1",
                "baseline_start": d(2024, 2, 1),
                "baseline_finish": d(2024, 2, 29),
                "baseline_cost": 2900,
                "percent_complete": 50,
            },
            {
                "status_date": d(2024, 2, 15),
                "project_code": EUR_PROJECT,
                "task_code": "A2",
                "baseline_start": d(2024, 3, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 3100,
                "percent_complete": 0,
            },
            {
                "status_date": d(2024, 3, 20),
                "project_code": EUR_PROJECT,
                "task_code": "A1",
                "baseline_start": d(2024, 2, 1),
                "baseline_finish": d(2024, 2, 29),
                "baseline_cost": 2900,
                "percent_complete": 100,
            },
            {
                "status_date": d(2024, 3, 20),
                "project_code": EUR_PROJECT,
                "task_code": "A2",
                "baseline_start": d(2024, 3, 1),
                "baseline_finish": d(2024, 3, 31),
                "baseline_cost": 3100,
                "percent_complete": 20,
            },
            *_gamma_tasks(),
        ],
        "rates": [
            # U1 has a personal rate that changes on 15 Feb; the engineer role rate must not apply to U1
            {
                "person_id": "U1",
                "valid_from": d(2024, 1, 1),
                "valid_to": d(2024, 2, 14),
                "hourly_cost": 50,
                "currency": "GBP",
            },
            {"person_id": "U1", "valid_from": d(2024, 2, 15), "hourly_cost": 60, "currency": "GBP"},
            {"role": "engineer", "valid_from": d(2024, 1, 1), "hourly_cost": 40, "currency": "GBP"},
            {"person_id": "U3", "valid_from": d(2024, 1, 1), "hourly_cost": 70, "currency": "EUR"},
        ],
        "timesheets": [
            {
                "work_date": d(2024, 1, 15),
                "person_id": "U1",
                "project_code": TECHNIQUES_PROJECT,
                "task_code": "D",
                "hours": 10,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "G1",
            },
            {
                "work_date": d(2024, 3, 5),
                "person_id": "U1",
                "project_code": TECHNIQUES_PROJECT,
                "task_code": "F",
                "hours": 5,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "G2",
            },
            {
                "work_date": d(2024, 2, 20),
                "person_id": "U2",
                "project_code": TECHNIQUES_PROJECT,
                "hours": 4,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "G3",
            },
            {
                "work_date": d(2024, 1, 10),
                "person_id": "U1",
                "person_name": "Ann",
                "project_code": GBP_PROJECT,
                "hours": 8,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "E1",
            },
            {
                "work_date": d(2024, 2, 14),
                "person_id": "U1",
                "person_name": "Ann",
                "project_code": GBP_PROJECT,
                "hours": 8,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "E2",
            },
            {
                "work_date": d(2024, 2, 15),
                "person_id": "U1",
                "person_name": "Ann",
                "project_code": GBP_PROJECT,
                "hours": 8,
                "role": "engineer",
                "approval_status": None,
                "entry_id": "E3",
            },
            {
                "work_date": d(2024, 2, 20),
                "person_id": "U2",
                "person_name": "Bob",
                "project_code": GBP_PROJECT,
                "hours": 10,
                "role": "Engineer",
                "approval_status": "approved",
                "entry_id": "E4",
            },
            {
                "work_date": d(2024, 3, 5),
                "person_id": "U2",
                "person_name": "Bob",
                "project_code": GBP_PROJECT,
                "hours": 10,
                "role": "engineer",
                "approval_status": "submitted",
                "entry_id": "E5",
            },
            {
                "work_date": d(2024, 3, 6),
                "person_id": "U2",
                "person_name": "Bob",
                "project_code": GBP_PROJECT,
                "hours": 5,
                "role": "engineer",
                "approval_status": "rejected",
                "entry_id": "E6",
            },
            {
                "work_date": d(2024, 3, 7),
                "person_id": "U2",
                "person_name": "Bob",
                "project_code": GBP_PROJECT,
                "hours": 5,
                "role": "engineer",
                "approval_status": "approved",
                "entry_id": "E7",
            },
            {
                "work_date": d(2024, 2, 10),
                "person_id": "U3",
                "person_name": "Cy",
                "project_code": EUR_PROJECT,
                "hours": 10,
                "role": "analyst",
                "approval_status": "approved",
                "entry_id": "E8",
            },
        ],
        "ledger": [
            {
                "posting_date": d(2024, 2, 10),
                "document_id": "G1",
                "line_id": "1",
                "project_code": TECHNIQUES_PROJECT,
                "task_code": "Z",
                "cost_type": "material",
                "amount": 200,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 1, 20),
                "document_id": "D1",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": "material",
                "amount": 1000,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 2, 10),
                "document_id": "D2",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": "labour",
                "amount": 999,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 2, 25),
                "document_id": "D3",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": "travel",
                "amount": 300,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 3, 10),
                "document_id": "D4",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": "travel",
                "amount": -300,
                "currency": "GBP",
                "is_reversal": True,
                "reverses_document_id": "D3",
            },
            {
                "posting_date": d(2024, 3, 12),
                "document_id": "D5",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": None,
                "amount": 150,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 4, 2),
                "document_id": "D6",
                "line_id": "1",
                "project_code": GBP_PROJECT,
                "cost_type": "material",
                "amount": 5000,
                "currency": "GBP",
            },
            {
                "posting_date": d(2024, 1, 15),
                "document_id": "D7",
                "line_id": "1",
                "project_code": EUR_PROJECT,
                "cost_type": "subcontract",
                "amount": 1000,
                "currency": "EUR",
            },
            {
                "posting_date": d(2024, 3, 5),
                "document_id": "D8",
                "line_id": "1",
                "project_code": EUR_PROJECT,
                "cost_type": "material",
                "amount": 500,
                "currency": "EUR",
            },
        ],
        "fx_rates": [
            {"period": "2024-01", "from_currency": "EUR", "to_currency": "GBP", "rate": 0.85},
            # February only has the inverse quote: 1 GBP = 1.25 EUR, so 1 EUR = 0.8 GBP
            {"period": "2024-02", "from_currency": "GBP", "to_currency": "EUR", "rate": 1.25},
            {"period": "2024-03", "from_currency": "EUR", "to_currency": "GBP", "rate": 0.86},
        ],
    }


def _gamma_tasks() -> list[dict]:
    """P-GAMMA (GBP): one task per EV technique, re-baselined from BL1 (31 Jan) to BL2 (15 Mar).

    W (summary, milestone_weights) holds milestones M1/M2/M3 (455, 455, 910: weights 0.25/0.25/0.5);
    Z 0/100; F 50/50 (new in BL2); L level of effort; Q (summary) holds D (percent complete) and QA
    (apportioned to D). Every task but F and the milestones runs 1 Jan..31 Mar (91 days).
    """
    d = dt.date
    task = {"project_code": TECHNIQUES_PROJECT}
    bl1 = {**task, "status_date": d(2024, 1, 31), "baseline_version": "BL1"}
    bl2 = {**task, "status_date": d(2024, 3, 15), "baseline_version": "BL2"}
    q1, q4 = d(2024, 1, 1), d(2024, 3, 31)

    def both(code, **fields):
        return [{**bl1, "task_code": code, **fields}, {**bl2, "task_code": code, **fields}]

    rows = []
    rows += both("W", ev_method="milestone_weights", baseline_start=q1, baseline_finish=q4, baseline_cost=1820)
    for code, day, cost in (("M1", d(2024, 1, 31), 455), ("M2", d(2024, 2, 29), 455), ("M3", q4, 910)):
        rows += both(code, parent_task_code="W", is_milestone=True, baseline_start=day, baseline_finish=day,
                     baseline_cost=cost)
    rows += both("L", ev_method="loe", baseline_start=q1, baseline_finish=q4, baseline_cost=910)
    rows += both("Q", baseline_start=q1, baseline_finish=q4, baseline_cost=2275)
    rows += both("QA", parent_task_code="Q", ev_method="apportioned", baseline_start=q1, baseline_finish=q4,
                 baseline_cost=455)
    zero = {"ev_method": "0/100", "baseline_start": d(2024, 2, 1), "baseline_finish": d(2024, 2, 29),
            "baseline_cost": 600}
    design = {"parent_task_code": "Q", "ev_method": "percent_complete", "baseline_start": q1, "baseline_finish": q4,
              "baseline_cost": 1820}
    rows += [
        # 31 Jan (BL1): M1 reached; D 25 %; no remaining cost in this export
        {**bl1, "task_code": "Z", **zero},
        {**bl1, "task_code": "D", **design, "percent_complete": 25},
        # 15 Mar (BL2): M2 reached, Z finished, F started, D 50 %; remaining cost given
        {**bl2, "task_code": "Z", **zero, "actual_start": d(2024, 2, 1), "actual_finish": d(2024, 3, 10)},
        {**bl2, "task_code": "F", "ev_method": "50/50", "baseline_start": d(2024, 3, 1),
         "baseline_finish": q4, "baseline_cost": 1000, "actual_start": d(2024, 3, 4), "remaining_cost": 500},
        {**bl2, "task_code": "D", **design, "percent_complete": 50, "remaining_cost": 910},
    ]
    for row in rows:
        if row["task_code"] == "M1":
            row["actual_finish"] = d(2024, 1, 30)
        if row["task_code"] == "M2" and row["status_date"] == d(2024, 3, 15):
            row["actual_finish"] = d(2024, 3, 5)
        if row["status_date"] == d(2024, 3, 15):
            row.setdefault("remaining_cost", {"M3": 910, "L": 310, "QA": 227.5}.get(row["task_code"]))
    return rows
