"""The MS Project XML (MSPDI) reader and writer: real files (shared/samples/mspdi) and hand-made traps.

Real samples are read from ``../shared/samples`` (or ``$PMO_SAMPLES_DIR``) and never copied into the
repository; their tests skip when the folder is absent.  None of the real files has a StatusDate, so
they are read with the ``status_date`` option (and once without, to see the error).
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, TEXT
from orchestration.demo.exports.schedules import write_mspdi
from orchestration.sources import mspdi

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "mspdi"
SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR")
               or Path(__file__).resolve().parents[3].parent / "shared" / "samples")
needs_samples = pytest.mark.skipif(not (SAMPLES / "mspdi").is_dir(),
                                   reason=f"real samples not available at {SAMPLES}")
STATUS = date(2024, 6, 30)


@pytest.fixture(scope="module")
def sample():
    def get(rel: str) -> Path:
        p = SAMPLES / rel
        if not p.is_file():
            pytest.skip(f"real sample {p} not available")
        return p
    return get


def assert_canonical(rows, entity):
    ent = ENTITIES[entity]
    types = {DATE: date, MONEY: Decimal, NUMBER: float, BOOL: bool, TEXT: str}
    for row in rows:
        assert set(row) <= set(ent.column_names) | {"_source_row"}, set(row) - set(ent.column_names)
        assert isinstance(row["_source_row"], int) and row["_source_row"] >= 1
        for col in ent.columns:
            value = row.get(col.name)
            if col.required:
                assert value is not None, (col.name, row)
            if value is not None:
                assert isinstance(value, types[col.type]), (col.name, value)
                if col.allowed:
                    assert value in col.allowed, (col.name, value)


def by_code(result):
    return {r["task_code"]: r for r in result.entities["tasks"].rows}


# ----------------------------------------------------------------------------------------- detect

def test_detect_needs_the_mspdi_namespace(tmp_path):
    good = FIXTURES / "statused.xml"
    assert mspdi.detect(good, good.read_bytes()[:4096])
    utf16 = tmp_path / "u16.xml"
    utf16.write_bytes(good.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
                      .encode("utf-16"))
    assert mspdi.detect(utf16, utf16.read_bytes()[:4096])
    pmxml = FIXTURES / "not_mspdi_pmxml.xml"
    assert not mspdi.detect(pmxml, pmxml.read_bytes())
    assert not mspdi.detect(tmp_path / "a.xer", b"ERMHDR\t8.1\t2017-09-27")
    assert not mspdi.detect(tmp_path / "a.csv", b"project_code,project_name\n")


@needs_samples
def test_detect_real_files(sample):
    for name in ("mspdiassignmentfields.xml", "task-baselines-project2019-mspdi.xml", "mspditimephased.xml"):
        p = sample(f"mspdi/{name}")
        assert mspdi.detect(p, p.read_bytes()[:4096])
    p6 = SAMPLES / "p6xml" / "BaselineProjects.xml"
    if p6.is_file():
        assert not mspdi.detect(p6, p6.read_bytes()[:4096])
        assert "not an MSPDI file" in mspdi.read(p6).errors[0]


# --------------------------------------------------------------------------- real MSPDI samples

@needs_samples
def test_assignmentfields_money_is_in_hundredths(sample):
    """Task One: Cost 505200 = 5,052.00; ActualCost 29908.45 = 299.0845 (SOURCES.md)."""
    path = sample("mspdi/mspdiassignmentfields.xml")
    res = mspdi.read(path, status_date=STATUS)
    assert res.errors == []
    (task,) = res.entities["tasks"].rows                          # UID 0 (the project summary) is not a task
    assert task["task_name"] == "Task One" and task["task_code"] == "1"
    assert task["actual_cost"] == Decimal("299.0845")
    assert task["remaining_cost"] == Decimal("4752.9155")
    assert task["actual_cost"] + task["remaining_cost"] == Decimal("5052.00")      # the task's cost
    # Baseline 0 carries only a Finish: the start and cost come from the current plan, and we say so.
    assert task["baseline_finish"] == date(2011, 7, 11)
    assert task["baseline_start"] == date(2011, 7, 6)
    assert task["baseline_cost"] == Decimal("5052.00")
    assert task["baseline_version"] == "Baseline+planned"
    assert any("incomplete Baseline" in w for w in res.warnings)
    assert task["percent_complete"] == 6.0
    assert task["actual_start"] == date(2011, 7, 6) and task["actual_finish"] is None
    assert task["forecast_finish"] == date(2011, 7, 18)
    assert task["status_date"] == STATUS
    (project,) = res.entities["projects"].rows
    assert project["project_code"] == "mspdiassignmentfields"
    assert project["project_name"] == "assignment test" and project["currency"] == "GBP"
    assert_canonical(res.entities["tasks"].rows, "tasks")
    assert_canonical(res.entities["projects"].rows, "projects")


@needs_samples
def test_real_files_have_no_status_date(sample):
    res = mspdi.read(sample("mspdi/mspdiassignmentfields.xml"))
    (err,) = res.errors
    assert "mspdiassignmentfields.xml" in err and "no status date" in err and "2011-07-19" in err
    assert res.entities["tasks"].rows == []
    (q,) = res.entities["tasks"].quarantine
    assert q.source_row == 265 and "line 265" in q.reason and q.column == "StatusDate"


@needs_samples
def test_task_baselines_slot_selection_changes_costs(sample):
    """task-baselines-2019: Baseline<n> Cost = (n+1) x 100 hundredths, one task per slot and field."""
    path = sample("mspdi/task-baselines-project2019-mspdi.xml")
    for slot in range(11):
        res = mspdi.read(path, status_date=STATUS, baseline_slot=slot)
        rows = res.entities["tasks"].rows
        assert len(rows) == 110                                # 111 tasks minus the project summary
        name = mspdi.slot_name(slot)
        cost_task = next(r for r in rows if r["task_name"] == f"{name} Cost - Task")
        assert cost_task["baseline_cost"] == Decimal(slot + 1)
        assert sum(r["baseline_cost"] for r in rows) == Decimal(slot + 1)       # every other baseline cost is 0
        assert cost_task["baseline_version"] == f"{name}+planned"
        assert sum(r["baseline_version"].startswith(name + "+") for r in rows) == 8   # 88 Baselines / 11 slots
        start_task = next(r for r in rows if r["task_name"] == f"{name} Start - Task")
        assert start_task["baseline_start"] == date(2014, 4, min(1 + slot, 10))   # the file repeats day 10 for slot 10
        finish_task = next(r for r in rows if r["task_name"] == f"{name} Finish - Task")
        assert finish_task["baseline_finish"] == date(2014, 3, min(1 + slot, 10))
        # the slot's finish is years before the current start: the start is pulled back, not inverted
        assert finish_task["baseline_start"] == finish_task["baseline_finish"]
    default = mspdi.read(path, status_date=STATUS)
    assert sum(r["baseline_cost"] for r in default.entities["tasks"].rows) == Decimal(1)      # slot 0


@needs_samples
def test_timephased_percent_complete(sample):
    res = mspdi.read(sample("mspdi/mspditimephased.xml"), status_date="2009-05-01")
    rows = res.entities["tasks"].rows
    assert len(rows) == 40
    assert Counter(r["percent_complete"] for r in rows) == {0.0: 20, 50.0: 6, 60.0: 4, 100.0: 10}
    assert sum(r["actual_finish"] is not None for r in rows) == 10
    assert all(r["baseline_cost"] == 0 for r in rows)          # no costs in this file
    assert {r["baseline_version"] for r in rows} == {"planned"}
    assert any("no task has Baseline" in w for w in res.warnings)
    uid41 = next(r for r in rows if r["task_name"] == "Task 7 - 150%")
    assert uid41["task_code"] == "39"                           # the WBS, not the UID (41)
    assert mspdi.read(sample("mspdi/mspditimephased.xml"), status_date="2009-05-01",
                      task_code_field="UID").entities["tasks"].rows[-2]["task_code"] == "41"


# ------------------------------------------------------------------------------ hand-made traps

def test_statused_project_summaries_parents_and_percent():
    res = mspdi.read(FIXTURES / "statused.xml", status_date="2024-05-31")
    tasks = by_code(res)
    assert res.errors == []
    assert any("option status_date=2024-05-31 ignored" in w for w in res.warnings)      # the file's wins
    assert_canonical(res.entities["tasks"].rows, "tasks")
    assert list(tasks) == ["1", "1.1", "1.2", "2", "3"]      # no project summary, blank row or inactive task
    assert {r["status_date"] for r in tasks.values()} == {date(2024, 4, 30)}
    assert {r["project_code"] for r in tasks.values()} == {"DEPOT-7"}
    assert tasks["1.1"]["parent_task_code"] == "1" and tasks["1.2"]["parent_task_code"] == "1"
    assert tasks["1"]["parent_task_code"] is None
    # Summary "1" is emitted and is the parent of 1.1 and 1.2, so the warehouse leaves it out of sums:
    parents = {r["parent_task_code"] for r in tasks.values()}
    leaves_bac = sum(r["baseline_cost"] for c, r in tasks.items() if c not in parents)
    assert leaves_bac == Decimal("11845.00")                 # 1200 + 2300 + 8345 (no baseline) + 0
    assert tasks["1.2"]["percent_complete"] == 30.0          # EarnedValueMethod 1: PhysicalPercentComplete
    assert tasks["1.1"]["percent_complete"] == 100.0
    assert tasks["1.2"]["actual_cost"] == Decimal("1000.0050")
    assert tasks["1.2"]["task_name"] == "Drawings – Ünterlagen"
    assert tasks["3"]["is_milestone"] and not tasks["2"]["is_milestone"]
    assert tasks["1.1"]["forecast_finish"] is None and tasks["2"]["forecast_finish"] == date(2024, 8, 30)
    assert tasks["1.1"]["_source_row"] == 64                # the line of its <Task>
    assert any("1 blank (IsNull)" in w for w in res.warnings)
    assert any("1 inactive" in w for w in res.warnings)
    (project,) = res.entities["projects"].rows
    assert project == {"project_code": "DEPOT-7", "project_name": "Depot 7 refit – phase 2", "currency": "EUR",
                       "status": "active", "start_date": date(2024, 1, 8), "planned_finish_date": date(2024, 9, 2),
                       "_source_row": 2}


def test_baseline_slots_and_fallbacks():
    slot0 = by_code(mspdi.read(FIXTURES / "statused.xml"))
    assert slot0["1.1"]["baseline_cost"] == Decimal("1200.00") and slot0["1.1"]["baseline_version"] == "Baseline"
    assert slot0["2"]["baseline_cost"] == Decimal("8345.00") and slot0["2"]["baseline_version"] == "planned"
    # Handover has only a baseline Finish (08-30); its current start (09-02) would invert it.
    assert slot0["3"]["baseline_version"] == "Baseline+planned"
    assert slot0["3"]["baseline_start"] == slot0["3"]["baseline_finish"] == date(2024, 8, 30)
    slot1 = by_code(mspdi.read(FIXTURES / "statused.xml", baseline_slot=1))
    assert slot1["1.1"]["baseline_cost"] == Decimal("1300.00")
    assert (slot1["1.1"]["baseline_start"], slot1["1.1"]["baseline_finish"]) == (date(2024, 1, 15), date(2024, 1, 26))
    assert slot1["1.1"]["baseline_version"] == "Baseline1"
    assert slot1["1.2"]["baseline_cost"] == Decimal("2500.00")
    assert slot1["1.2"]["baseline_version"] == "Baseline1+planned"
    assert slot1["3"]["baseline_version"] == "planned"


def test_no_status_date_quarantines_every_task_then_option_supplies_it():
    res = mspdi.read(FIXTURES / "no_status_date.xml")
    (err,) = res.errors
    assert "no_status_date.xml" in err and "no status date" in err
    tasks = res.entities["tasks"]
    assert tasks.rows == [] and len(tasks.quarantine) == 5
    assert all(q.reason.startswith(f"no_status_date.xml: line {q.source_row}") for q in tasks.quarantine)
    ok = mspdi.read(FIXTURES / "no_status_date.xml", status_date=date(2024, 3, 1))
    rows = by_code(ok)
    assert ok.errors == []
    assert list(rows) == ["A", "A1", "A2", "B"]
    assert rows["A1"]["parent_task_code"] == "A" and rows["B"]["parent_task_code"] is None   # from OutlineLevel
    assert {r["baseline_version"] for r in rows.values()} == {"planned"}
    assert any("4 task(s) have no Baseline" in w for w in ok.warnings)
    assert any("no <CurrencyCode>" in w and "GBP" in w for w in ok.warnings)
    assert ok.entities["projects"].rows[0]["project_code"] == "Small job"        # no Name: the Title
    (dup,) = ok.entities["tasks"].quarantine
    assert dup.source_row == 78 and dup.column == "WBS" and "repeats the task at line 66" in dup.reason
    coded = mspdi.read(FIXTURES / "no_status_date.xml", status_date="2024-03-01", project_code="SJ-1",
                       currency="EUR")
    assert {r["project_code"] for r in coded.entities["tasks"].rows} == {"SJ-1"}
    assert coded.entities["projects"].rows[0]["currency"] == "EUR"


def test_truncated_xml_keeps_tasks_before_the_damage():
    res = mspdi.read(FIXTURES / "truncated.xml")
    (err,) = res.errors
    assert "truncated.xml" in err and "line 111" in err
    assert [r["task_code"] for r in res.entities["tasks"].rows] == ["1", "1.1"]


def test_bad_values_are_quarantined_naming_line_and_element():
    res = mspdi.read(FIXTURES / "bad_values.xml")
    assert [r["task_code"] for r in res.entities["tasks"].rows] == ["G"]
    assert res.entities["tasks"].rows[0]["baseline_cost"] == Decimal("123.45")
    q = {x.source_row: x for x in res.entities["tasks"].quarantine}
    assert sorted(q) == [26, 38, 56]
    assert q[26].column == "Start" and q[26].value == "31/01/2024" and "bad_values.xml: line 26" in q[26].reason
    assert q[38].column == "Cost, Baseline[0]/Cost" and "'12,50': not a number" in q[38].reason
    assert "baseline dates are required" in q[56].reason


def test_not_an_mspdi_file():
    res = mspdi.read(FIXTURES / "not_mspdi_pmxml.xml")
    assert "not an MSPDI file" in res.errors[0]
    assert res.entities["tasks"].rows == []


# ------------------------------------------------------------------------------------ the writer

PROJECT = {"project_code": "PRJ-007", "project_name": "Café & depot <refit>", "currency": "EUR",
           "start_date": date(2026, 1, 5), "planned_finish_date": date(2026, 6, 30), "status": "active"}


def _tasks(status):
    def t(c, parent, name, bs, bf, cost, pct, ms=False, a_s=None, a_f=None, ff=None, ac=None, rc=None):
        return {"status_date": status, "project_code": "PRJ-007", "task_code": c, "parent_task_code": parent,
                "task_name": name, "is_milestone": ms, "ev_method": "percent_complete", "baseline_start": bs,
                "baseline_finish": bf, "baseline_cost": cost, "percent_complete": pct, "actual_start": a_s,
                "actual_finish": a_f, "forecast_finish": ff, "baseline_version": "BL1", "actual_cost": ac,
                "remaining_cost": rc}
    return [
        t("T1", "S1", "Survey", date(2026, 1, 5), date(2026, 1, 30), Decimal("21000.1234"), 100.0,
          a_s=date(2026, 1, 5), a_f=date(2026, 2, 3), ac=Decimal("22000.50"), rc=Decimal(0)),
        t("S1", None, "Phase 1", date(2026, 1, 5), date(2026, 3, 27), Decimal("61000.1234"), 55.0),
        t("T2", "S1", "Build", date(2026, 2, 2), date(2026, 3, 27), Decimal(40000), 33.0,
          a_s=date(2026, 2, 9), ff=date(2026, 4, 10), ac=Decimal(15000), rc=Decimal(27000)),
        t("M1", None, "Handover", date(2026, 6, 30), date(2026, 6, 30), Decimal(0), 0.0, ms=True),
        t("S2", None, "Phase 2", date(2026, 4, 1), date(2026, 6, 26), Decimal(9000), 0.0),
        t("S2.1", "S2", "Sub-phase", date(2026, 4, 1), date(2026, 6, 26), Decimal(9000), 0.0),
        t("T3", "S2.1", "Fit-out", "2026-04-01", "2026-06-26", "9000.00", "0"),
    ]


def test_write_mspdi_round_trip(tmp_path):
    status = date(2026, 3, 31)
    rows_in = _tasks(date(2026, 2, 28)) + _tasks(status)
    path = write_mspdi(tmp_path / "prj7.xml", PROJECT, rows_in, status)
    assert mspdi.detect(path, path.read_bytes()[:4096])
    res = mspdi.read(path)
    assert res.errors == [] and res.entities["tasks"].quarantine == []
    assert_canonical(res.entities["tasks"].rows, "tasks")
    got = by_code(res)
    expected = _tasks(status)
    assert set(got) == {t["task_code"] for t in expected}
    for t in expected:
        r = got[t["task_code"]]
        assert r["project_code"] == "PRJ-007"
        assert r["status_date"] == status
        assert r["baseline_start"] == date.fromisoformat(str(t["baseline_start"]))
        assert r["baseline_finish"] == date.fromisoformat(str(t["baseline_finish"]))
        assert r["baseline_cost"] == Decimal(str(t["baseline_cost"]))
        assert r["percent_complete"] == float(t["percent_complete"])
        assert r["parent_task_code"] == t["parent_task_code"]
        assert r["is_milestone"] == t["is_milestone"]
        assert r["baseline_version"] == "Baseline"
    assert got["T1"]["actual_cost"] == Decimal("22000.50") and got["T1"]["actual_finish"] == date(2026, 2, 3)
    assert got["T2"]["forecast_finish"] == date(2026, 4, 10)
    (project,) = res.entities["projects"].rows
    assert (project["project_code"], project["project_name"], project["currency"]) == (
        "PRJ-007", "Café & depot <refit>", "EUR")


def test_write_mspdi_rounds_percent_to_whole_numbers(tmp_path):
    """MS Project stores whole percentages: 33.3 is written (and read back) as 33, 62.5 as 63."""
    rows = _tasks(date(2026, 3, 31))
    rows[2]["percent_complete"] = 33.3
    rows[0]["percent_complete"] = 62.5
    res = mspdi.read(write_mspdi(tmp_path / "p.xml", PROJECT, rows, "2026-03-31"))
    got = by_code(res)
    assert got["T2"]["percent_complete"] == 33.0
    assert got["T1"]["percent_complete"] == 63.0


def test_missing_file_and_bad_options_raise(tmp_path):
    from orchestration.sources.toolkit import ReaderError
    with pytest.raises(ReaderError):
        mspdi.read(tmp_path / "absent.xml")
    with pytest.raises(ValueError, match="baseline_slot"):
        mspdi.read(FIXTURES / "statused.xml", baseline_slot=11)
    with pytest.raises(ValueError, match="task_code_field"):
        mspdi.read(FIXTURES / "statused.xml", task_code_field="Name")
