"""The Primavera P6 XML (PMXML) reader: the real export (shared/samples/p6xml) and hand-made trap fixtures.

The real sample is read from ``../shared/samples`` (or ``$PMO_SAMPLES_DIR``) and never copied into the
repository; its tests skip when it is absent.  Totals asserted here are the ones SOURCES.md states for
BaselineProjects.xml (read there with MPXJ): cost 8,207, actual 698, baseline 7,503 (baseline 1: 4,341),
planned 23,452, status date 2023-10-06.
"""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, TEXT
from orchestration.sources import mspdi, pmxml, xer
from orchestration.sources.toolkit import ReaderError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "pmxml"
SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR")
               or Path(__file__).resolve().parents[3].parent / "shared" / "samples")
REAL = SAMPLES / "p6xml" / "BaselineProjects.xml"
needs_sample = pytest.mark.skipif(not REAL.is_file(), reason=f"real sample {REAL} not available")


def assert_canonical(rows, entity):
    """Every row holds contract columns (plus _source_row) with the contract's Python types."""
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


def total(result, col):
    return sum(r[col] for r in result.entities["tasks"].rows)


# ----------------------------------------------------------------------------------------- detect

def test_detect_needs_the_primavera_root_and_namespace(tmp_path):
    for f in FIXTURES.glob("*.xml"):
        assert pmxml.detect(f, f.read_bytes()[:4096]), f.name
    # The MSPDI fixture written as "PMXML that must not be taken for MSPDI" is PMXML.
    other = FIXTURES.parents[0] / "mspdi" / "not_mspdi_pmxml.xml"
    assert pmxml.detect(other, other.read_bytes())
    mspdi_head = b'<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name>'
    assert not pmxml.detect(tmp_path / "p.xml", mspdi_head)
    assert not pmxml.detect(tmp_path / "x.xer", b"ERMHDR\t20.12\t2024-01-01\tProject\n")
    assert not pmxml.detect(tmp_path / "x.csv", b"project_code,project_name\nP1,x\n")
    # The root name alone, in another namespace, is not enough.
    assert not pmxml.detect(tmp_path / "a.xml", b'<APIBusinessObjects xmlns="urn:something-else">')
    # ... and the MSPDI reader does not claim PMXML.
    two = FIXTURES / "two_baselines.xml"
    assert not mspdi.detect(two, two.read_bytes()[:4096])
    assert not xer.detect(two, two.read_bytes()[:4096])
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><APIBusinessObjects ' \
            'xmlns="http://xmlns.oracle.com/Primavera/P6/V8.3/API/BusinessObjects">'.encode("utf-16")
    assert pmxml.detect(tmp_path / "w.xml", utf16)


# ---------------------------------------------------------------------------- the real P6 export

@needs_sample
def test_real_sample_detected():
    assert pmxml.detect(REAL, REAL.read_bytes()[:64 * 1024])
    assert not mspdi.detect(REAL, REAL.read_bytes()[:64 * 1024])


@needs_sample
def test_real_sample_current_baseline_totals():
    """Default: the project's CurrentBaselineProjectObjectId (5493, "(New Project) - B2")."""
    res = pmxml.read(REAL)
    tasks = res.entities["tasks"]
    assert res.format == "p6-xml"
    assert res.errors == [] and res.warnings == []
    assert tasks.quarantine == []
    assert len(tasks.rows) == 2
    assert {r["status_date"] for r in tasks.rows} == {date(2023, 10, 6)}
    assert {r["project_code"] for r in tasks.rows} == {"BaselineCosts"}
    assert total(res, "baseline_cost") == Decimal(7503)
    assert total(res, "actual_cost") == Decimal(698)
    assert total(res, "actual_cost") + total(res, "remaining_cost") == Decimal(8207)   # MPXJ's "cost"
    assert {r["baseline_version"] for r in tasks.rows} == {"(New Project) - B2"}
    rows = by_code(res)
    a1000 = rows["A1000"]
    assert a1000["task_name"] == "Задача 1"
    assert a1000["baseline_start"] == date(2023, 3, 8)          # INPUT-FORMATS §6: baseline start 2023-03-08
    assert a1000["baseline_cost"] == Decimal(7503)
    assert a1000["actual_cost"] == Decimal(698)                  # 500 + 23 + 21 (assignments) + 100 + 54 (expenses)
    assert a1000["percent_complete"] == 0.0                      # Duration type, DurationPercentComplete 0
    assert a1000["actual_finish"] is None and a1000["forecast_finish"] == date(2023, 10, 18)
    assert rows["A1010"]["percent_complete"] == 100.0            # Physical type, PhysicalPercentComplete 1
    assert rows["A1010"]["actual_finish"] == date(2023, 3, 11)
    assert_canonical(tasks.rows, "tasks")


@needs_sample
def test_real_sample_baseline_1_by_object_id_or_name():
    for choice in ("5492", 5492, "(New Project) - B1", "BaselineCosts - B1"):
        res = pmxml.read(REAL, baseline=choice)
        assert res.errors == []
        assert total(res, "baseline_cost") == Decimal(4341), choice
        assert {r["baseline_version"] for r in res.entities["tasks"].rows} == {"(New Project) - B1"}
        assert total(res, "actual_cost") == Decimal(698)
    b2 = pmxml.read(REAL, baseline="(New Project) - B2")
    assert total(b2, "baseline_cost") == Decimal(7503)


@needs_sample
def test_real_sample_without_baseline_is_the_planned_cost():
    res = pmxml.read(REAL, baseline=False)
    assert total(res, "baseline_cost") == Decimal(23452)
    assert {r["baseline_version"] for r in res.entities["tasks"].rows} == {"planned"}
    assert by_code(res)["A1000"]["baseline_finish"] == date(2023, 3, 17)
    assert total(pmxml.read(REAL, baseline="planned"), "baseline_cost") == Decimal(23452)


@needs_sample
def test_real_sample_project_row_and_status_date_option():
    res = pmxml.read(REAL)
    assert res.entities["projects"].rows == [{
        "project_code": "BaselineCosts", "project_name": "(New Project)", "currency": "USD",
        "status": "active", "start_date": date(2023, 3, 6), "planned_finish_date": date(2023, 10, 18),
        "_source_row": 1744,
    }]
    assert_canonical(res.entities["projects"].rows, "projects")
    moved = pmxml.read(REAL, status_date="2023-10-31", project_code="BC-1")
    assert {(r["status_date"], r["project_code"]) for r in moved.entities["tasks"].rows} == {
        (date(2023, 10, 31), "BC-1")}


# --------------------------------------------------------------------------- hand-made fixtures

def test_two_baselines_default_is_the_current_baseline():
    res = pmxml.read(FIXTURES / "two_baselines.xml")
    rows = by_code(res)
    assert res.errors == []
    assert res.entities["tasks"].quarantine == []
    assert list(rows) == ["A100", "A110", "A120", "A130", "A140", "A150"]
    # CurrentBaselineProjectObjectId 901 = "Pont refit - B1"; A140 was added after it, A999 dropped since.
    assert {c: r["baseline_version"] for c, r in rows.items()} == {
        "A100": "Pont refit - B1", "A110": "Pont refit - B1", "A120": "Pont refit - B1",
        "A130": "Pont refit - B1", "A140": "planned", "A150": "Pont refit - B1"}
    assert rows["A110"]["baseline_cost"] == Decimal(19000)           # B1 assignment 18,000 + expense 1,000
    assert rows["A110"]["baseline_finish"] == date(2024, 3, 22)
    assert rows["A150"]["baseline_cost"] == Decimal(500)             # B1 activity's own PlannedLaborCost
    assert rows["A140"]["baseline_cost"] == Decimal(8000)            # its own planned expense
    assert total(res, "baseline_cost") == Decimal(74500)
    assert any("1 activities are not in baseline 'Pont refit - B1'" in w for w in res.warnings)
    assert any("dropped scope): A999" in w for w in res.warnings)
    assert_canonical(res.entities["tasks"].rows, "tasks")


def test_second_baseline_chosen_by_option():
    for choice in ("902", "Pont refit - B2", "BR-101 - B2"):
        res = pmxml.read(FIXTURES / "two_baselines.xml", baseline=choice)
        rows = by_code(res)
        assert res.errors == []
        assert {r["baseline_version"] for r in rows.values()} == {"Pont refit - B2"}
        assert rows["A110"]["baseline_cost"] == Decimal(24000)       # two B2 assignments 20,000 + 4,000
        assert rows["A110"]["baseline_start"] == date(2024, 1, 23)
        assert total(res, "baseline_cost") == Decimal(82700)
        assert not any("dropped" in w or "not in baseline" in w for w in res.warnings)
    planned = pmxml.read(FIXTURES / "two_baselines.xml", baseline="planned")
    assert {r["baseline_version"] for r in planned.entities["tasks"].rows} == {"planned"}
    assert total(planned, "baseline_cost") == Decimal(85200)


def test_unknown_baseline_option_is_an_error_and_planned_values_are_used():
    res = pmxml.read(FIXTURES / "two_baselines.xml", baseline="B9")
    (err,) = res.errors
    assert "baseline='B9'" in err and "901 ('Pont refit - B1')" in err and "902 ('Pont refit - B2')" in err
    assert {r["baseline_version"] for r in res.entities["tasks"].rows} == {"planned"}
    assert total(res, "baseline_cost") == Decimal(85200)


def test_costs_from_assignments_and_expenses():
    res = pmxml.read(FIXTURES / "two_baselines.xml")
    rows = by_code(res)
    # A110: labour 9,000 + material without ActualCost (ActualRegularCost 1,500 + ActualOvertimeCost 500)
    # + expense 600; its Activity/PlannedLaborCost (20,000) is not added again.
    assert rows["A110"]["actual_cost"] == Decimal(11600)
    assert rows["A110"]["remaining_cost"] == Decimal(15900)
    # A150 has no assignment or expense: its own Actual/RemainingLaborCost are used, with a warning.
    assert (rows["A150"]["actual_cost"], rows["A150"]["remaining_cost"]) == (Decimal(100), Decimal(600))
    assert any("1 activities have no ResourceAssignment or ActivityExpense" in w for w in res.warnings)
    assert total(res, "actual_cost") == Decimal(33700)
    assert total(res, "remaining_cost") == Decimal(53500)


def test_percent_complete_by_type_wbs_parents_milestones_loe():
    res = pmxml.read(FIXTURES / "two_baselines.xml")
    rows = by_code(res)
    assert {c: r["percent_complete"] for c, r in rows.items()} == {
        "A100": 100.0,   # Duration, DurationPercentComplete 1
        "A110": 40.0,    # Physical 0.4 (its DurationPercentComplete 0.7 is not its type)
        "A120": 25.0,    # Units, derived: (120 + 30) / (120 + 30 + 300 + 150)
        "A130": 0.0,     # type blank -> project default Duration; zero duration, not complete
        "A140": 25.0,    # Duration, derived: (800 - 600) / 800
        "A150": 10.0,
    }
    assert {c: r["parent_task_code"] for c, r in rows.items()} == {
        "A100": "1", "A110": "1", "A120": "2.1", "A130": None, "A140": "2", "A150": "1"}
    assert [c for c, r in rows.items() if r["is_milestone"]] == ["A130"]
    assert [c for c, r in rows.items() if r["ev_method"] == "loe"] == ["A140"]
    assert rows["A100"]["forecast_finish"] is None and rows["A100"]["actual_finish"] == date(2024, 1, 22)
    assert rows["A110"]["forecast_finish"] == date(2024, 7, 19)
    assert rows["A110"]["task_name"] == "Détail design"
    assert rows["A100"]["_source_row"] == 64
    assert {r["status_date"] for r in rows.values()} == {date(2024, 6, 28)}


def test_project_row_currency_is_the_base_not_the_display_currency():
    res = pmxml.read(FIXTURES / "two_baselines.xml", currency="USD")
    assert res.entities["projects"].rows == [{
        "project_code": "BR-101", "project_name": "Pont de l'Île refit", "currency": "EUR",
        "status": "active", "start_date": date(2024, 1, 8), "planned_finish_date": date(2024, 12, 20),
        "_source_row": 28,
    }]
    assert any("option currency='USD' ignored" in w for w in res.warnings)


def test_no_baseline_two_projects_and_a_repeated_activity_id():
    res = pmxml.read(FIXTURES / "no_baseline.xml")
    rows = res.entities["tasks"].rows
    assert res.errors == []
    assert [(r["project_code"], r["task_code"]) for r in rows] == [
        ("NB-A", "A1000"), ("NB-A", "A1010"), ("NB-B", "A1000")]
    assert {r["baseline_version"] for r in rows} == {"planned"}
    assert [r["baseline_cost"] for r in rows] == [Decimal(100), Decimal(50), Decimal(300)]
    assert [r["status_date"] for r in rows] == [date(2025, 3, 31), date(2025, 3, 31), date(2025, 4, 30)]
    assert rows[0]["percent_complete"] == 50.0
    (dup,) = res.entities["tasks"].quarantine
    assert dup.source_row == 57 and dup.column == "Id" and dup.value == "A1000"
    assert "no_baseline.xml: line 57" in dup.reason and "repeats the activity at line 50 of project NB-B" in dup.reason
    # NB-A points at a baseline (77) that is not in the file; NB-B at itself ("<Current Project>").
    baseline_warnings = [w for w in res.warnings if "baseline project ObjectId" in w]
    assert len(baseline_warnings) == 1 and "NB-A" in baseline_warnings[0] and "77" in baseline_warnings[0]
    assert any("no base currency" in w and "GBP is assumed" in w for w in res.warnings)
    assert {p["currency"] for p in res.entities["projects"].rows} == {"GBP"}
    assert_canonical(rows, "tasks")
    assert_canonical(res.entities["projects"].rows, "projects")


def test_project_code_option_single_and_mapping():
    mapped = pmxml.read(FIXTURES / "no_baseline.xml", project_code={"NB-A": "DEPOT-A"}, currency="eur")
    assert [r["project_code"] for r in mapped.entities["tasks"].rows] == ["DEPOT-A", "DEPOT-A", "NB-B"]
    assert {p["currency"] for p in mapped.entities["projects"].rows} == {"EUR"}
    single = pmxml.read(FIXTURES / "no_baseline.xml", project_code="X")
    assert {r["project_code"] for r in single.entities["tasks"].rows} == {"NB-A", "NB-B"}
    assert any("option project_code='X' ignored" in w for w in single.warnings)
    one = pmxml.read(FIXTURES / "two_baselines.xml", project_code="BRIDGE")
    assert {r["project_code"] for r in one.entities["tasks"].rows} == {"BRIDGE"}
    assert one.entities["projects"].rows[0]["project_code"] == "BRIDGE"


def test_missing_status_date_quarantines_every_activity_then_option_supplies_it():
    res = pmxml.read(FIXTURES / "no_data_date.xml")
    (err,) = res.errors
    assert "no_data_date.xml" in err and "Project ND-1 (line 8)" in err and "no data date" in err
    tasks = res.entities["tasks"]
    assert tasks.rows == []
    assert [q.source_row for q in tasks.quarantine] == [13, 22]
    assert all(q.column == "Project/DataDate" and "no status_date option" in q.reason for q in tasks.quarantine)
    assert res.entities["projects"].rows[0]["project_code"] == "ND-1"   # the register row is still good

    ok = pmxml.read(FIXTURES / "no_data_date.xml", status_date=date(2025, 3, 14))
    assert ok.errors == []
    rows = by_code(ok)
    assert {r["status_date"] for r in rows.values()} == {date(2025, 3, 14)}
    assert rows["A1"]["percent_complete"] == 25.0
    assert (rows["A1"]["baseline_cost"], rows["A1"]["actual_cost"]) == (Decimal(1000), Decimal(250))


def test_bad_values_are_quarantined_naming_the_element_line():
    res = pmxml.read(FIXTURES / "bad_values.xml")
    assert [r["task_code"] for r in res.entities["tasks"].rows] == ["G1"]
    assert res.entities["tasks"].rows[0]["baseline_cost"] == Decimal("123.45")
    q = {x.source_row: x for x in res.entities["tasks"].quarantine}
    assert sorted(q) == [23, 30, 39, 46, 53, 60]
    assert q[23].column == "PlannedStartDate" and q[23].value == "06/01/2025"
    assert "bad_values.xml: line 23 (Activity B1" in q[23].reason
    assert "line 28, element PlannedStartDate '06/01/2025': not a P6 XML date" in q[23].reason
    assert q[30].column == "PhysicalPercentComplete" and "line 35" in q[30].reason and "fraction 0-1" in q[30].reason
    # A damaged cost element quarantines its activity, naming the cost element's own line.
    assert q[39].column == "ResourceAssignment/PlannedCost" and q[39].value == "1,250.00"
    assert "line 77, element ResourceAssignment/PlannedCost '1,250.00': not a number" in q[39].reason
    assert q[46].column == "Id" and "required value is blank" in q[46].reason
    assert q[53].column == "PlannedFinishDate" and "line 57" in q[53].reason and "baseline date" in q[53].reason
    assert q[60].column == "ActualStartDate, RemainingDuration"
    assert "line 64, element ActualStartDate" in q[60].reason and "not a valid date" in q[60].reason
    assert "line 67, element RemainingDuration 'abc': not a number" in q[60].reason
    # An expense of an activity that is not in the project: its cost is missing, and we say so.
    (err,) = res.errors
    assert "ActivityExpense at line 79 (ActivityObjectId 404)" in err


def test_truncated_file_keeps_the_project_and_quarantines_its_activities():
    res = pmxml.read(FIXTURES / "truncated.xml")
    assert len(res.errors) == 2
    assert "truncated.xml: malformed or truncated XML at line 209" in res.errors[0]
    assert "Project BR-101 (line 28) is cut off" in res.errors[1]
    tasks = res.entities["tasks"]
    assert tasks.rows == []
    assert [q.source_row for q in tasks.quarantine] == [64, 85, 102, 121, 137, 153]
    assert all("cut off inside this project" in q.reason for q in tasks.quarantine)
    assert [p["project_code"] for p in res.entities["projects"].rows] == ["BR-101"]
    # The baselines were never reached: no claim that the file lacks them.
    assert not any("not in the file" in w for w in res.warnings)


def test_file_cut_inside_a_baseline(tmp_path):
    lines = (FIXTURES / "two_baselines.xml").read_text(encoding="utf-8").split("\n")
    cut_at = next(i for i, ln in enumerate(lines) if "<Id>A120</Id>" in ln and i > 300)   # inside B2
    path = tmp_path / "cut.xml"
    path.write_text("\n".join(lines[:cut_at]), encoding="utf-8")
    res = pmxml.read(path)                      # the current baseline B1 is complete
    assert len(res.errors) == 1 and "malformed or truncated XML" in res.errors[0]
    assert len(res.entities["tasks"].rows) == 6
    assert total(res, "baseline_cost") == Decimal(74500)
    b2 = pmxml.read(path, baseline="902")       # B2 is cut off: not used
    assert any("'Pont refit - B2'" in e and "cut off" in e for e in b2.errors)
    assert {r["baseline_version"] for r in b2.entities["tasks"].rows} == {"planned"}


def test_characters_xml_forbids_are_dropped(tmp_path):
    text = (FIXTURES / "no_data_date.xml").read_bytes()
    text = text.replace(b"<Name>Only activity</Name>", b"<Name>Only\x01 activity&#0;</Name>")
    path = tmp_path / "ctrl.xml"
    path.write_bytes(text)
    res = pmxml.read(path, status_date="2025-03-14")
    assert res.errors == []
    assert by_code(res)["A1"]["task_name"] == "Only activity"
    assert any("2 character(s) that XML does not allow" in w for w in res.warnings)


def test_not_a_pmxml_file(tmp_path):
    other = tmp_path / "mspdi.xml"
    other.write_text('<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project"/>\n')
    res = pmxml.read(other)
    assert "line 2: the root element is <Project>, not <APIBusinessObjects>" in res.errors[0]
    assert res.entities["tasks"].rows == []
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert "not a P6 XML file" in pmxml.read(empty).errors[0]
    only_baseline = tmp_path / "ob.xml"
    only_baseline.write_text('<APIBusinessObjects xmlns="http://xmlns.oracle.com/Primavera/P6/V8.3/API/'
                             'BusinessObjects"><BaselineProject><Id>B</Id></BaselineProject>'
                             '</APIBusinessObjects>')
    assert "no <Project> element" in pmxml.read(only_baseline).errors[0]


def test_options_missing_file_and_unknown_options(tmp_path):
    with pytest.raises(ReaderError):
        pmxml.read(tmp_path / "nope.xml")
    with pytest.raises(ValueError):
        pmxml.read(FIXTURES / "no_data_date.xml", status_date="14/03/2025")
    with pytest.raises(TypeError, match=r"pmxml.read: unknown option\(s\) baseline_slot; known: "):
        pmxml.read(FIXTURES / "no_baseline.xml", baseline_slot=2)


def test_declared_windows_1252_and_unknown_encodings(tmp_path):
    text = (FIXTURES / "two_baselines.xml").read_text(encoding="utf-8")
    cp = tmp_path / "cp1252.xml"
    cp.write_bytes(text.replace('encoding="utf-8"', 'encoding="windows-1252"').encode("cp1252"))
    res = pmxml.read(cp)
    assert res.errors == []
    assert res.entities["projects"].rows[0]["project_name"] == "Pont de l'Île refit"
    assert by_code(res)["A110"]["task_name"] == "Détail design"
    odd = tmp_path / "odd.xml"
    odd.write_text(text.replace('encoding="utf-8"', 'encoding="x-unheard-of"'), encoding="utf-8")
    res = pmxml.read(odd)
    assert "unknown encoding" in res.errors[0] and "not a P6 XML file" in res.errors[0]
