"""Register readers (benefits, risks, dependencies, capacity) from CSV and XLSX through heading maps.

Fixtures under tests/fixtures/sources/registers are written by the project (the XLSX files by
make_xlsx.py.txt there); each test asserts real totals.
"""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.sources import registers
from orchestration.sources.registers import (
    FORMATS,
    detect_benefits,
    detect_capacity,
    detect_lessons,
    detect_risks,
    read_benefits,
    read_capacity,
    read_dependencies,
    read_lessons,
    read_register,
    read_risks,
)

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "registers"
RISKS_CSV = FIX / "risks-own-headings.csv"
RISKS_MAP = FIX / "risks-mapping.yaml"
RISKS_XLSX_MAPPING = {"risk_id": "ID", "project_code": "Project", "title": "Risk", "impact_cost": "Impact £",
                      "impact_days": "Days", "raised_date": "Raised on"}
DEP_MAPPING = {"dependency_id": "Dep ID", "from_project_code": "From Project", "from_task_code": "From Milestone",
               "to_project_code": "To Project", "to_task_code": "To Milestone", "needed_by_date": "Needed By",
               "status": "RAG"}


def entity(result, name):
    assert set(result.entities) == {name}
    return result.entities[name]


def head(path):
    return path.read_bytes()[:65536]


def test_formats_and_detection_never_guess():
    assert set(FORMATS) == {"benefits-register", "risks-register", "dependencies-register", "capacity-register",
                            "lessons-register", "quality-reviews-register"}
    # own headings: only with a mapping that names headings present in the file
    assert not detect_risks(RISKS_CSV, head(RISKS_CSV))
    assert detect_risks(RISKS_CSV, head(RISKS_CSV), mapping_file=RISKS_MAP)
    assert not detect_risks(RISKS_CSV, head(RISKS_CSV), mapping={"risk_id": "Risk No", "project_code": "Project"})
    # canonical headings: detected without a mapping, and only as their own entity
    benefits = FIX / "benefits-canonical.csv"
    assert detect_benefits(benefits, head(benefits))
    assert not detect_risks(benefits, head(benefits)) and not detect_capacity(benefits, head(benefits))
    assert not any(detect(RISKS_CSV, head(RISKS_CSV)) for detect, _ in FORMATS.values())
    # XLSX: headings read from the workbook, on the named sheet and header row
    xlsx = FIX / "risks-register.xlsx"
    assert detect_risks(xlsx, head(xlsx), sheet="Risk Register", header_row=3, mapping=RISKS_XLSX_MAPPING,
                        defaults={"status_date": "2026-03-31"})
    assert not detect_risks(xlsx, head(xlsx), mapping=RISKS_XLSX_MAPPING)  # first sheet is the notes
    wide = FIX / "capacity-wide.xlsx"
    assert not detect_capacity(wide, head(wide), mapping={"person_id": "Person"})
    assert detect_capacity(wide, head(wide), mapping={"person_id": "Person"}, periods_in_columns=True)


def test_risks_csv_through_a_yaml_mapping_percentages_dates_and_status_values():
    res = read_risks(RISKS_CSV, mapping_file=RISKS_MAP)
    assert res.format == "risks-register" and res.errors == []
    risks = entity(res, "risks")
    rows = {r["risk_id"]: r for r in risks.rows}
    assert list(rows) == ["R-01", "R-02", "R-03"]
    assert [rows[k]["probability"] for k in rows] == [0.35, 0.2, 0.6]  # "35%", "0.2", "60 %"
    assert sum(r["impact_cost"] for r in risks.rows) == Decimal("25500.50")  # "£12,500" + 5000 + "£8000.50"
    exposure = sum(Decimal(str(r["probability"])) * r["impact_cost"] for r in risks.rows)
    assert exposure == Decimal("10175.300")
    assert sum(r["impact_days"] for r in risks.rows) == 35.0
    assert [rows[k]["status"] for k in rows] == ["open", "closed", "closed"]  # Mitigated -> closed
    assert all(r["status_date"] == date(2026, 3, 31) for r in risks.rows)  # from defaults
    assert rows["R-01"]["raised_date"] == date(2026, 2, 3) and rows["R-01"]["target_date"] == date(2026, 5, 31)
    assert rows["R-02"]["target_date"] is None and rows["R-03"]["mitigation"] == "Handover notes"
    assert [r["_source_row"] for r in risks.rows] == [2, 3, 4]
    q = {r.source_row: r for r in risks.quarantine}
    assert set(q) == {5, 6} and risks.rows_in == 5
    assert q[5].column == "Likelihood" and "probability 35 is not between 0 and 1" in q[5].reason
    assert "probability_scale='percent'" in q[5].reason
    assert q[6].column == "Raised" and "'31/02/2026'" in q[6].reason
    for n, rec in q.items():
        assert rec.reason.startswith(f"risks-own-headings.csv, row {n}: column ")
        assert rec.record["Risk Ref"] == f"R-0{n - 1}"


def test_risk_probability_percent_scale_for_0_to_100_columns():
    risks = entity(read_risks(RISKS_CSV, mapping_file=RISKS_MAP, probability_scale="percent"), "risks")
    probs = {r["risk_id"]: r["probability"] for r in risks.rows}
    assert probs == {"R-01": 0.35, "R-02": 0.002, "R-03": 0.6, "R-04": 0.35}
    assert [q.source_row for q in risks.quarantine] == [6]


def test_keyword_mapping_wins_over_the_file_and_matches_headings_loosely():
    mapping = {"risk_id": "risk ref", "project_code": "PROJECT", "probability": "likelihood",
               "impact_cost": "cost impact £", "status": "STATE"}
    res = entity(read_risks(RISKS_CSV, mapping=mapping, date_format="%d/%m/%Y",
                            defaults={"status_date": "2026-03-31"}, values={"status": {"mitigated": "closed"}}),
                 "risks")
    assert [r["risk_id"] for r in res.rows] == ["R-01", "R-02", "R-03", "R-05"]  # dates not mapped here
    assert res.rows[0]["title"] is None
    assert any("not mapped to the risks contract are ignored: Risk Title, Delay (days)" in w for w in res.warnings)
    overridden = entity(read_risks(RISKS_CSV, mapping_file=RISKS_MAP, mapping={"title": "Mitigation"}), "risks")
    assert overridden.rows[0]["title"] == "Second supplier"


def test_risks_xlsx_named_sheet_title_rows_percent_cells_and_uncached_formulas():
    res = read_risks(FIX / "risks-register.xlsx", sheet="Risk Register", header_row=3, mapping=RISKS_XLSX_MAPPING,
                     defaults={"status_date": "2026-03-31"})
    risks = entity(res, "risks")
    assert [r["_source_row"] for r in risks.rows] == [4, 5]
    r10, r11 = risks.rows
    assert r10["project_code"] == "1001"  # an integer cell, not "1001.0"
    assert r10["probability"] == 0.35  # a percent-formatted cell holds the fraction
    assert r10["raised_date"] == date(2026, 1, 12)
    assert r11["impact_days"] is None  # "=2*5" written by a library: no cached value
    assert sum(r["impact_cost"] for r in risks.rows) == Decimal("24000.5")
    [bad] = risks.quarantine
    assert bad.source_row == 6 and bad.column == "Probability" and "1.5 is not between 0 and 1" in bad.reason
    assert bad.reason.startswith("risks-register.xlsx, row 6: column 'Probability'")
    missing = read_risks(FIX / "risks-register.xlsx", sheet="Risks", mapping=RISKS_XLSX_MAPPING)
    assert missing.errors == ["risks-register.xlsx: no sheet named 'Risks' (sheets: Notes, Risk Register)"]


def test_benefits_with_canonical_headings_need_no_mapping():
    res = read_benefits(FIX / "benefits-canonical.csv")
    benefits = entity(res, "benefits")
    assert len(benefits.rows) == 4
    assert [r["period"] for r in benefits.rows] == ["2026-03", "2026-04", "2026-04", "2026-04"]  # "Apr 2026"
    assert sum(r["planned_value"] for r in benefits.rows) == 21002.0
    assert sum(r["realised_value"] for r in benefits.rows) == 21701.5
    monetary = [r for r in benefits.rows if r["monetary"]]
    assert sum(r["realised_value"] * (-1 if r["is_disbenefit"] else 1) for r in monetary) == 19300.5
    assert [r["monetary"] for r in benefits.rows] == [True, True, False, True]  # yes/no/Y
    [bad] = benefits.quarantine
    assert bad.source_row == 6 and bad.column == "period" and "'Q2 2026'" in bad.reason


def test_dependencies_mapped_with_a_blank_required_cell():
    deps = entity(read_dependencies(FIX / "dependencies-log.csv", mapping=DEP_MAPPING, date_format="%d/%m/%Y"),
                  "dependencies")
    assert [(r["dependency_id"], r["to_project_code"], r["needed_by_date"]) for r in deps.rows] == [
        ("D-1", "PRJ-2", date(2026, 4, 15)), ("D-2", "PRJ-3", date(2026, 6, 30))]
    assert deps.rows[1]["to_task_code"] is None and deps.rows[0]["status"] == "Amber"
    [bad] = deps.quarantine
    assert bad.reason == ("dependencies-log.csv, row 4: column 'To Project': to_project_code: "
                          "required value is blank")


def test_capacity_long_semicolon_file_with_decimal_commas():
    cap = entity(read_capacity(FIX / "capacity-long.csv", decimal_separator=",",
                               mapping={"person_id": "Staff No", "period": "Month", "available_hours": "Hours Available"}),
                 "capacity")
    assert sum(r["available_hours"] for r in cap.rows) == 452.5
    assert cap.rows[1]["available_hours"] == 152.5 and cap.rows[0]["team"] == "Delivery"
    [bad] = cap.quarantine
    assert bad.source_row == 5 and bad.column == "Hours Available" and "'eighty'" in bad.reason


def test_capacity_wide_xlsx_with_date_headings_one_row_per_month():
    cap = entity(read_capacity(FIX / "capacity-wide.xlsx", mapping={"person_id": "Person"}, periods_in_columns=True),
                 "capacity")
    assert [(r["person_id"], r["period"], r["available_hours"]) for r in cap.rows] == [
        ("E-01", "2026-04", 140.0), ("E-01", "2026-05", 152.5), ("E-01", "2026-06", 0.0),
        ("E-02", "2026-04", 160.0), ("E-02", "2026-06", 120.0)]
    assert sum(r["available_hours"] for r in cap.rows) == 572.5
    assert {r["_source_row"] for r in cap.rows} == {2, 3}
    [bad] = cap.quarantine  # E-03: one bad month quarantines the whole line, nothing half-loaded
    assert bad.source_row == 4 and bad.column == "2026-05-01" and "'n/a'" in bad.reason
    assert any(w.startswith("capacity-wide.xlsx, row(s) 5: no hours in any period column") for w in cap.warnings)
    with pytest.raises(ValueError, match="periods_in_columns"):
        read_capacity(FIX / "capacity-wide.xlsx", mapping={"person_id": "Person", "period": "Month"},
                      periods_in_columns=True)


def test_headings_match_case_and_space_insensitively(tmp_path):
    p = tmp_path / "risks.csv"
    p.write_text(" RISK  ID ,Project_Code,Status Date,Probability,Status\nR-1,P-1,2026-03-31,25%,Open\n")
    assert detect_risks(p, head(p))
    risks = entity(read_risks(p), "risks")
    assert risks.rows == [{"status_date": date(2026, 3, 31), "risk_id": "R-1", "project_code": "P-1",
                           "title": None, "category": None, "probability": 0.25, "impact_cost": None,
                           "impact_days": None, "status": "open", "owner": None, "raised_date": None,
                           "target_date": None, "mitigation": None, "_source_row": 2}]


def test_ambiguous_dates_unknown_status_and_stray_percent_are_quarantined(tmp_path):
    p = tmp_path / "risks.csv"
    p.write_text("risk_id,project_code,status_date,status,impact_days\n"
                 "R-1,P-1,03/04/2026,open,5\n"
                 "R-2,P-1,2026-03-31,Escalated,5\n"
                 "R-3,P-1,2026-03-31,open,10%\n"
                 "R-4,P-1,2026-03-31,open,2\n")
    risks = entity(read_risks(p), "risks")
    assert [r["risk_id"] for r in risks.rows] == ["R-4"]
    q = {r.source_row: r.reason for r in risks.quarantine}
    assert "ambiguous date '03/04/2026'" in q[2] and "date_format" in q[2]
    assert "'Escalated' is not one of open, closed" in q[3] and "values=" in q[3]
    assert "is a percentage but this column is not one" in q[4]
    assert entity(read_risks(p, date_format="%d/%m/%Y"), "risks").rows[0]["status_date"] == date(2026, 4, 3)


def test_missing_required_heading_quarantines_every_row_and_names_the_file(tmp_path):
    res = read_risks(RISKS_CSV, mapping={"risk_id": "Risk No", "project_code": "Project"})
    risks = entity(res, "risks")
    assert risks.rows == [] and len(risks.quarantine) == 5 and risks.rows_in == 5
    [err] = res.errors
    assert err.startswith("risks-own-headings.csv, row 1: required column(s) missing: risk_id (mapped to "
                          "heading 'Risk No', not in the file); status_date (no heading 'status_date'")
    with pytest.raises(TypeError, match="unknown option"):
        read_risks(RISKS_CSV, periods_in_columns=True)
    with pytest.raises(ValueError, match="unknown register"):
        read_register(RISKS_CSV, "issues")


LESSONS_XLSX_MAPPING = {"lesson_id": "Ref", "project_code": "Project", "raised_date": "Logged",
                        "category": "Theme", "what_happened": "What happened", "recommendation": "Do next time",
                        "cost_impact": "Cost £", "schedule_impact_days": "Delay (days)", "status": "State",
                        "actioned_date": "Actioned on", "owner_role": "Owner", "risk_id": "Linked risk"}
LESSONS_VALUES = {"category": {"Estimation": "estimating", "Vendors": "supplier", "People": "resourcing"},
                  "status": {"Closed - in playbook": "embedded", "Done": "actioned", "New": "open"}}


def _lessons_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Lessons"
    ws.append(["Lessons learned log — exported 2026-12-01"])
    ws.append(["Ref", "Project", "Logged", "Theme", "What happened", "Do next time", "Cost £", "Delay (days)",
               "State", "Actioned on", "Owner", "Linked risk"])
    ws.append(["LL-1", "PRJ-001", date(2026, 3, 4), "Estimation", "Testing took twice the weeks",
               "Estimate bottom-up", 12000.5, 10, "Closed - in playbook", date(2026, 5, 1), "PMO", "R-7"])
    ws.append(["LL-2", "PRJ-002", date(2026, 6, 9), "Vendors", "Change requests priced late", "Price first",
               None, None, "Done", date(2026, 7, 1), "Commercial", None])
    ws.append(["LL-3", "PRJ-002", date(2026, 7, 9), "Luck", "Bad weather", None, 500, None, "New", None, None,
               None])
    ws.append(["LL-4", "PRJ-003", "2026-08-01", "People", "Specialists pulled at go-live", None, "n/a", 3,
               "New", None, "PM", None])
    wb.save(path)
    return path


def test_lessons_xlsx_through_a_mapping_and_value_maps(tmp_path):
    """A lessons register in its own workbook: headings and words mapped onto the contract; a category outside
    the closed vocabulary and a cost that is not a number are quarantined naming file, row and column."""
    xlsx = _lessons_workbook(tmp_path / "lessons-log.xlsx")
    assert "lessons-register" in FORMATS
    assert not detect_lessons(xlsx, head(xlsx), header_row=2)  # own headings need the mapping
    assert detect_lessons(xlsx, head(xlsx), header_row=2, mapping=LESSONS_XLSX_MAPPING)
    res = read_lessons(xlsx, header_row=2, mapping=LESSONS_XLSX_MAPPING, values=LESSONS_VALUES)
    assert res.format == "lessons-register"
    lessons = entity(res, "lessons")
    assert [(r["lesson_id"], r["_source_row"], r["category"], r["status"]) for r in lessons.rows] == [
        ("LL-1", 3, "estimating", "embedded"), ("LL-2", 4, "supplier", "actioned")]
    ll1 = lessons.rows[0]
    assert ll1["raised_date"] == date(2026, 3, 4) and ll1["actioned_date"] == date(2026, 5, 1)
    assert ll1["cost_impact"] == Decimal("12000.5") and ll1["schedule_impact_days"] == 10
    assert ll1["risk_id"] == "R-7" and lessons.rows[1]["cost_impact"] is None
    bad = {q.source_row: q for q in lessons.quarantine}
    assert sorted(bad) == [5, 6]
    assert bad[5].column == "Theme" and bad[5].reason.startswith("lessons-log.xlsx, row 5: column 'Theme'")
    assert "luck" in bad[5].reason.lower()
    assert bad[6].column == "Cost £" and "n/a" in bad[6].reason


def test_a_lessons_workbook_named_in_sources_yaml_is_ingested_with_its_quarantine(tmp_path):
    """End to end through the ingest: raw.lessons gets the two good rows, quarantine.lessons the two bad
    ones with file, row, column and reason, and the load log counts them."""
    import duckdb
    import yaml

    from orchestration.pipeline.ingest import load_landing
    from orchestration.pipeline.landing import load_sources_config

    landing = tmp_path / "landing"
    (landing / "projects").mkdir(parents=True)
    (landing / "tasks").mkdir()
    (landing / "lessons").mkdir()
    (landing / "projects" / "projects.csv").write_text(
        "project_code,project_name,currency,status,planned_finish_date\nPRJ-001,Alpha,GBP,active,2026-12-31\n")
    (landing / "tasks" / "tasks.csv").write_text(
        "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
        "2026-03-31,PRJ-001,T1,2026-01-01,2026-06-30,1000,10\n")
    _lessons_workbook(landing / "lessons" / "lessons-log.xlsx")
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": {"lessons": {
        "reader": "lessons-register",
        "options": {"header_row": 2, "mapping": LESSONS_XLSX_MAPPING, "values": LESSONS_VALUES}}}}))
    load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive",
                 config=load_sources_config(tmp_path))
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT lesson_id, category, status, cost_impact FROM raw.lessons ORDER BY 1").fetchall() \
            == [("LL-1", "estimating", "embedded", Decimal("12000.5")), ("LL-2", "supplier", "actioned", None)]
        assert con.execute("SELECT _source_row, column_name, value FROM quarantine.lessons ORDER BY 1").fetchall() \
            == [(5, "Theme", "Luck"), (6, "Cost £", "n/a")]
        assert con.execute("SELECT rows_loaded, rows_quarantined FROM raw.load_log WHERE entity = 'lessons'"
                           ).fetchall() == [(2, 2)]
    finally:
        con.close()


def test_quality_review_register_with_own_headings_and_outcome_words(tmp_path):
    p = tmp_path / "reviews.csv"
    p.write_text("Ref,Project,Deliverable,Type,Held on,Result,Critical,Major,Minor,Rework (h),Rework £\n"
                 "QR-1,PRJ-1,Design,Stage gate,2026-03-10,Passed with actions,0,2,3,12,\"£1,200\"\n"
                 "QR-2,PRJ-1,Design,Peer review,2026-03-12,Failed,1,0,0,,\n"
                 "QR-3,PRJ-1,Design,Walkthrough,2026-03-12,Passed,0,0,0,,\n", encoding="utf-8")
    mapping = {"review_id": "Ref", "project_code": "Project", "deliverable": "Deliverable", "review_type": "Type",
               "review_date": "Held on", "outcome": "Result", "findings_critical": "Critical",
               "findings_major": "Major", "findings_minor": "Minor", "rework_hours": "Rework (h)",
               "rework_cost": "Rework £"}
    head_bytes = p.read_bytes()
    assert registers.detect_quality_reviews(p, head_bytes, mapping=mapping)
    res = entity(registers.read_quality_reviews(p, mapping=mapping), "quality_reviews")
    rows = {r["review_id"]: r for r in res.rows}
    assert rows["QR-1"]["review_type"] == "stage_gate" and rows["QR-1"]["outcome"] == "passed_with_actions"
    assert float(rows["QR-1"]["rework_cost"]) == 1200 and rows["QR-1"]["rework_hours"] == 12
    assert rows["QR-2"]["outcome"] == "failed" and rows["QR-2"]["rework_hours"] is None
    # a review type outside the vocabulary is quarantined with the allowed values named
    assert [q.source_row for q in res.quarantine] == [4]
    assert "Walkthrough" in res.quarantine[0].reason and "stage_gate" in res.quarantine[0].reason
