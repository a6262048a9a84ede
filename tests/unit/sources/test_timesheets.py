"""Timesheet-tool readers (Tempo, Harvest, Clockify, Toggl, SAP CATS): one test per trap, the real Tempo
sample from ../shared/samples, and round trips through the demo writers."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.demo.exports.timesheets import write_harvest_csv, write_tempo_csv
from orchestration.sources import jira, timesheets
from orchestration.sources.timesheets import parse_hours, parse_number
from orchestration.sources.toolkit import EXPORT_DATES, ReaderError
from orchestration.sources.toolkit import parse_date as toolkit_parse_date

REPO = Path(__file__).resolve().parents[3]
FIX = REPO / "tests" / "fixtures" / "sources" / "timesheets"
SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR", REPO.parent / "shared" / "samples"))
ALL_FORMATS = {**timesheets.FORMATS, **jira.FORMATS}


def sample(rel: str) -> Path:
    path = SAMPLES / rel
    if not path.is_file():
        pytest.skip(f"real sample {rel} not available (../shared/samples is absent)")
    return path


def detected(path: Path) -> list[str]:
    head = path.read_bytes()[:65536]
    return [name for name, (detect, _) in ALL_FORMATS.items() if detect(path, head)]


def ts(result):
    return result.entities["timesheets"]


def hours(rows, status="any") -> float:
    return round(sum(r["hours"] for r in rows if status == "any" or r["approval_status"] == status), 6)


# ---------------------------------------------------------------------------------------------------------
# the real sample (no licence: read in place, never copied)


def test_sample_tempo_export_is_detected_and_its_45_blanked_rows_are_all_quarantined_for_hours():
    path = sample("tempo/tempo-server-export-in.csv")
    assert detected(path) == ["tempo-csv"]
    res = timesheets.read_tempo_csv(path)
    assert res.errors == []
    entity = ts(res)
    # SOURCES.md: 45 rows, values blanked (Hours empty) -> 0 hours can be loaded
    assert entity.rows_in == 45
    assert entity.rows == []
    assert hours(entity.rows) == 0
    for q in entity.quarantine:
        assert "Hours" in q.column.split(", ")
        assert "column 'Hours': required value is blank" in q.reason
        assert "tempo-server-export-in.csv row" in q.reason
        assert "Work date" not in q.column  # '2016-8-1 14:33' (no zero padding) parses
    assert [q.source_row for q in entity.quarantine] == list(range(2, 47))
    assert entity.quarantine[0].record["Issue Key"] == "Task1"


# ---------------------------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize("name, fmt", [
    ("tempo-export.csv", "tempo-csv"),
    ("tempo-export-ru.csv", "tempo-csv"),
    ("harvest-detailed.csv", "harvest-csv"),
    ("harvest-no-approvals.csv", "harvest-csv"),
    ("clockify-detailed.csv", "clockify-csv"),
    ("toggl-detailed.csv", "toggl-csv"),
    ("sap-cats.csv", "sap-cats-csv"),
    ("sap-cats-stokz.csv", "sap-cats-csv"),
])
def test_each_preset_is_detected_by_its_header_and_by_nothing_else(name, fmt):
    assert detected(FIX / name) == [fmt]


def test_the_canonical_timesheet_csv_is_left_to_the_canonical_reader():
    assert detected(REPO / "tests" / "fixtures" / "hand_project" / "timesheets" / "hand-timesheets.csv") == []


# ---------------------------------------------------------------------------------------------------------
# Tempo


def test_tempo_reads_unpadded_work_dates_decimal_hours_and_people():
    res = timesheets.read_tempo_csv(FIX / "tempo-export.csv")
    assert res.errors == [] and res.warnings == []
    rows = ts(res).rows
    assert len(rows) == 5 and ts(res).quarantine == []
    first = rows[0]
    assert first["work_date"] == date(2026, 3, 2)            # '2026-3-2 9:05'
    assert first["person_id"] == "asmith" and first["person_name"] == "Alex Smith"
    assert first["project_code"] == "PAY" and first["task_code"] == "PAY-12"
    assert first["hours"] == 7.5 and first["_source_row"] == 2
    assert first["approval_status"] is None                  # Tempo approves periods, not worklogs
    assert hours(rows) == 14.5                               # 7.5 + 0.25 + 8 - 1.5 + 0.25


def test_tempo_blank_project_key_falls_back_to_the_issue_key_prefix():
    rows = ts(timesheets.read_tempo_csv(FIX / "tempo-export.csv")).rows
    assert [r["project_code"] for r in rows if r["task_code"] == "OPS-3"] == ["OPS"]


def test_tempo_negative_correction_hours_are_kept():
    rows = ts(timesheets.read_tempo_csv(FIX / "tempo-export.csv")).rows
    assert [r["hours"] for r in rows if r["task_code"] == "OPS-3"] == [-1.5]


def test_identical_entries_get_distinct_content_ids_that_are_stable_across_reads():
    first = ts(timesheets.read_tempo_csv(FIX / "tempo-export.csv")).rows
    again = ts(timesheets.read_tempo_csv(FIX / "tempo-export.csv")).rows
    ids = [r["entry_id"] for r in first]
    assert len(set(ids)) == 5                                # rows 3 and 6 are identical worklogs
    assert ids[1].startswith("tempo-csv:") and ids[1].endswith(".1") and ids[4] == ids[1][:-1] + "2"
    assert ids == [r["entry_id"] for r in again]             # a double landing still looks like a duplicate


def test_tempo_russian_header_and_decimal_comma():
    rows = ts(timesheets.read_tempo_csv(FIX / "tempo-export-ru.csv")).rows
    assert [(r["task_code"], r["hours"], r["person_name"]) for r in rows] == [
        ("CRM-7", 1.5, "Иван Иванов"), ("CRM-8", 6.25, "Иван Иванов")]


def test_tempo_bad_cells_are_quarantined_naming_file_row_and_column():
    entity = ts(timesheets.read_tempo_csv(FIX / "tempo-bad.csv"))
    assert [r["task_code"] for r in entity.rows] == ["PAY-1"]
    q = {q.source_row: q for q in entity.quarantine}
    assert sorted(q) == [3, 4, 5, 6]
    assert q[3].column == "Hours" and q[3].value == "eight"
    assert q[3].reason == "tempo-bad.csv row 3, column 'Hours': not a number (got 'eight')"
    assert q[4].column == "Work date" and "month must be in 1..12" in q[4].reason
    assert q[5].column == "Username" and "required value is blank (person_id)" in q[5].reason
    assert "tempo-bad.csv row 6: row has 3 cells but the header has 7" in q[6].reason
    assert entity.rows_in == 5


def test_tempo_approval_column_when_present_is_mapped(tmp_path):
    p = tmp_path / "tempo.csv"
    p.write_text("Issue Key,Hours,Work date,Username,Project Key,Approval Status\n"
                 "A-1,1,2026-3-2 09:00,u1,A,APPROVED\nA-2,2,2026-3-2 09:00,u1,A,waiting for approval\n"
                 "A-3,3,2026-3-2 09:00,u1,A,Rejected\nA-4,4,2026-3-2 09:00,u1,A,maybe\n", encoding="utf-8")
    entity = ts(timesheets.read_tempo_csv(p))
    assert [r["approval_status"] for r in entity.rows] == ["approved", "submitted", "rejected"]
    assert entity.quarantine[0].column == "Approval Status" and "unknown approval status" in entity.quarantine[0].reason
    assert [r["approval_status"] for r in ts(timesheets.read_tempo_csv(p, ignore_approval=True)).rows] == [None] * 4


# ---------------------------------------------------------------------------------------------------------
# Harvest


def test_harvest_reads_hours_not_hours_rounded_and_maps_approved():
    rows = ts(timesheets.read_harvest_csv(FIX / "harvest-detailed.csv")).rows
    assert [r["hours"] for r in rows] == [1.1, 6.9, 8.0, 0.5]           # Hours Rounded says 1.25 / 7.0
    assert [r["approval_status"] for r in rows] == ["approved", "approved", "submitted", "approved"]
    assert hours(rows, "approved") == 8.5 and hours(rows, "submitted") == 8.0


def test_harvest_person_id_is_employee_id_and_name_joins_first_and_last():
    rows = ts(timesheets.read_harvest_csv(FIX / "harvest-detailed.csv")).rows
    assert (rows[0]["person_id"], rows[0]["person_name"], rows[0]["role"]) == ("E-1001", "Mary Ann Lee", "Designer")
    assert (rows[0]["project_code"], rows[0]["task_code"]) == ("WEB-01", "Design")


def test_harvest_blank_project_code_falls_back_to_project_name_with_a_warning():
    res = timesheets.read_harvest_csv(FIX / "harvest-detailed.csv")
    assert ts(res).rows[3]["project_code"] == "Admin"
    assert any("column 'Project Code' blank or absent in row 5" in w for w in res.warnings)


def test_harvest_without_approvals_warns_and_ignore_approval_reads_null():
    res = timesheets.read_harvest_csv(FIX / "harvest-no-approvals.csv")
    assert {r["approval_status"] for r in ts(res).rows} == {"submitted"}
    assert any("no row is approved" in w and "ignore_approval=True" in w for w in res.warnings)
    assert any("no 'Employee Id' in rows 2, 3; person_id is the full name" in w for w in res.warnings)
    assert ts(res).rows[0]["person_id"] == "Mary Lee"
    relaxed = timesheets.read_harvest_csv(FIX / "harvest-no-approvals.csv", ignore_approval=True)
    assert {r["approval_status"] for r in ts(relaxed).rows} == {None}
    assert not any("no row is approved" in w for w in relaxed.warnings)


# ---------------------------------------------------------------------------------------------------------
# Clockify and Toggl


def test_clockify_us_dates_decimal_duration_and_email_as_person_id():
    res = timesheets.read_clockify_csv(FIX / "clockify-detailed.csv")
    rows = ts(res).rows
    assert res.warnings == []                        # 03/17/2026 settles month/day for the whole file
    assert [r["work_date"] for r in rows] == [date(2026, 3, 4), date(2026, 3, 17), date(2026, 3, 18),
                                              date(2026, 3, 18)]
    assert [r["hours"] for r in rows] == [2.5, 0.75, 1.0, 1.0]  # rows 4-5: blank decimal -> 'Duration (h)'
    assert (rows[0]["person_id"], rows[0]["person_name"]) == ("dana@example.com", "Dana Fox")
    assert rows[0]["project_code"] == "Mobile App" and rows[0]["approval_status"] is None
    assert rows[2]["entry_id"] != rows[3]["entry_id"]


def test_clockify_ambiguous_dates_warn_and_day_first_overrides():
    res = timesheets.read_clockify_csv(FIX / "clockify-ambiguous-dates.csv")
    assert [r["work_date"] for r in ts(res).rows] == [date(2026, 3, 4), date(2026, 5, 6)]
    assert any("column 'Start Date'" in w and "ambiguous" in w and "day_first=True" in w for w in res.warnings)
    eu = timesheets.read_clockify_csv(FIX / "clockify-ambiguous-dates.csv", day_first=True)
    assert [r["work_date"] for r in ts(eu).rows] == [date(2026, 4, 3), date(2026, 6, 5)]
    assert eu.warnings == []


def test_toggl_bom_clock_durations_over_a_day_and_user_when_no_email():
    res = timesheets.read_toggl_csv(FIX / "toggl-detailed.csv")
    rows = ts(res).rows
    assert res.errors == [] and len(rows) == 3
    assert [r["hours"] for r in rows] == [1.5, 25.5, pytest.approx(1 / 3)]
    assert rows[0]["person_id"] == "sam@example.com"
    assert rows[2]["person_id"] == "Kim Park"                  # blank Email
    assert rows[1]["task_code"] is None
    assert {r["approval_status"] for r in rows} == {None}


# ---------------------------------------------------------------------------------------------------------
# SAP CATS


def test_cats_counts_only_current_versions_of_each_record():
    res = timesheets.read_sap_cats_csv(FIX / "sap-cats.csv")
    rows = ts(res).rows
    by_counter = {r["entry_id"]: r for r in rows}
    # 102 (60, cancelled), 104 (50, change pending) and 108 (superseded by approved 109) are not loaded
    assert sorted(by_counter) == ["000000000101", "000000000103", "000000000105", "000000000106",
                                  "000000000107", "000000000109", "000000000110", "000000000111",
                                  "000000000112"]
    assert hours(rows, "approved") == 26.0       # 8 + 6 + 7.5 + 1.5 + 1 + 2
    assert hours(rows, "submitted") == 7.0       # 20 (5 h) and 10 (2 h): not approved yet
    assert hours(rows, "rejected") == 3.0
    warnings = " ".join(res.warnings)
    assert "sap-cats.csv, column 'STATUS': row 3 not loaded: status 60 (cancelled)" in warnings
    assert "sap-cats.csv, column 'STATUS': row 5 not loaded: status 50 (changed after approval)" in warnings
    assert "sap-cats.csv, column 'REFCOUNTER': row 9 not loaded: superseded" in warnings


def test_cats_decimal_comma_minutes_unit_and_activity_type_as_role():
    rows = {r["entry_id"]: r for r in ts(timesheets.read_sap_cats_csv(FIX / "sap-cats.csv")).rows}
    assert rows["000000000101"]["hours"] == 8.0 and rows["000000000101"]["work_date"] == date(2026, 3, 2)
    assert rows["000000000110"]["hours"] == 1.5            # 90 MIN
    assert rows["000000000101"]["role"] == "ENG1" and rows["000000000101"]["person_id"] == "00001001"


def test_cats_receiver_objects_wbs_order_and_network_activity():
    rows = {r["entry_id"]: r for r in ts(timesheets.read_sap_cats_csv(FIX / "sap-cats.csv")).rows}
    assert (rows["000000000101"]["project_code"], rows["000000000101"]["task_code"]) == ("P-1000-01", "P-1000-01")
    assert (rows["000000000111"]["project_code"], rows["000000000111"]["task_code"]) == ("400123", "400123")
    assert (rows["000000000112"]["project_code"], rows["000000000112"]["task_code"]) == ("900077", "900077/0010")


def test_cats_stokz_reversal_cancels_its_original_and_a_lone_reversal_is_negative():
    res = timesheets.read_sap_cats_csv(FIX / "sap-cats-stokz.csv")
    rows = ts(res).rows
    assert [(r["entry_id"], r["hours"]) for r in rows] == [("000000000202", 4.0), ("000000000199", -1.5)]
    assert rows[0]["work_date"] == date(2026, 3, 3)          # DD.MM.YYYY
    assert any("column 'STOKZ': rows 2, 3 not loaded: reversal (X) and the record it reverses" in w
               for w in res.warnings)


def test_cats_bad_rows_are_quarantined_and_trailing_minus_is_negative():
    entity = ts(timesheets.read_sap_cats_csv(FIX / "sap-cats-bad.csv"))
    assert [(r["entry_id"], r["hours"]) for r in entity.rows] == [("000000000301", -1.5)]
    q = {q.source_row: q for q in entity.quarantine}
    assert q[3].column == "UNIT" and "sap-cats-bad.csv row 3, column 'UNIT'" in q[3].reason
    assert q[4].column == "STATUS" and "unknown CATS processing status" in q[4].reason
    assert "receiver object" in q[5].column and "required value is blank (project_code)" in q[5].reason


def test_cats_project_code_option_fills_a_missing_receiver():
    entity = ts(timesheets.read_sap_cats_csv(FIX / "sap-cats-bad.csv", project_code="PRJ-9"))
    assert [r["project_code"] for r in entity.rows if r["entry_id"] == "000000000304"] == ["PRJ-9"]


def test_cats_without_status_is_a_file_error_and_quarantines_every_row():
    res = timesheets.read_sap_cats_csv(FIX / "sap-cats-no-status.csv")
    assert res.errors == [("sap-cats-no-status.csv: required column(s) missing: 'STATUS' "
                          "(not a readable SAP CATS (CATSDB) extract)")]
    assert ts(res).rows == [] and [q.source_row for q in ts(res).quarantine] == [2]
    assert ts(res).quarantine[0].reason.startswith("sap-cats-no-status.csv row 2: not loaded")


# ---------------------------------------------------------------------------------------------------------
# files and options


def test_windows_1252_file_is_read_with_a_warning(tmp_path):
    p = tmp_path / "tempo-1252.csv"
    p.write_bytes("Issue Key,Hours,Work date,Username,Full name,Project Key\nA-1,2,2026-3-2 09:00,jg,José Gómez,A\n"
                  .encode("cp1252"))
    res = timesheets.read_tempo_csv(p)
    assert ts(res).rows[0]["person_name"] == "José Gómez"
    assert any("not valid UTF-8" in w and "tempo-1252.csv" in w for w in res.warnings)


def test_empty_file_is_a_file_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    res = timesheets.read_toggl_csv(p)
    assert res.errors == ["empty.csv: empty file, no header row"] and ts(res).rows_in == 0


def test_missing_file_raises():
    with pytest.raises(ReaderError):
        timesheets.read_tempo_csv(FIX / "no-such-file.csv")


def test_unknown_options_raise():
    with pytest.raises(TypeError, match=r"read_toggl_csv: unknown option\(s\) colour; known: "):
        timesheets.read_toggl_csv(FIX / "toggl-detailed.csv", colour="blue")


def test_result_carries_format_path_and_sha256():
    res = timesheets.read_harvest_csv(FIX / "harvest-detailed.csv")
    assert res.format == "harvest-csv" and res.path.name == "harvest-detailed.csv" and len(res.sha256) == 64
    assert ts(res).sha256 == res.sha256 and list(res.entities) == ["timesheets"]


def parse_date(raw, **kwargs):
    """The export readers' date parsing: the toolkit's parser with the exports' rules."""
    return toolkit_parse_date(raw, rules=EXPORT_DATES, **kwargs)


@pytest.mark.parametrize("raw, kwargs, expected", [
    ("2016-8-1 14:33", {}, date(2016, 8, 1)),
    ("2026-03-02", {}, date(2026, 3, 2)),
    ("20260302", {}, date(2026, 3, 2)),
    ("02.03.2026", {}, date(2026, 3, 2)),
    ("25/Feb/26 10:17 PM", {}, date(2026, 2, 25)),
    ("30/Jul/18 23:33", {}, date(2018, 7, 30)),
    ("03/Mär/26 14:05", {}, date(2026, 3, 3)),
    ("1/févr./26", {}, date(2026, 2, 1)),
    ("7/dic/25 9:00 AM", {}, date(2025, 12, 7)),
    ("09/23/2026", {}, date(2026, 9, 23)),
    ("03/04/2026", {"day_first": True}, date(2026, 4, 3)),
    ("03/04/2026", {"day_first": False}, date(2026, 3, 4)),
    ("2026-03-02T23:30:00.000+0000", {}, date(2026, 3, 2)),
    ("2/3/26", {"date_format": "%d/%m/%y"}, date(2026, 3, 2)),
    ("", {}, None),
])
def test_parse_date(raw, kwargs, expected):
    assert parse_date(raw, **kwargs) == expected


@pytest.mark.parametrize("raw", ["03/04/2026", "31/Foo/26", "2026-02-30", "yesterday"])
def test_parse_date_refuses(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("7.5", 7.5), ("7,5", 7.5), ("1:30", 1.5), ("01:30:00", 1.5), ("-0:15", -0.25), ("25:30:00", 25.5),
    ("", None),
])
def test_parse_hours(raw, expected):
    assert parse_hours(raw) == expected


@pytest.mark.parametrize("raw, expected", [("1,50-", -1.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("-2", -2.0)])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["1:75", "abc", "1,2,3"])
def test_parse_hours_refuses(raw):
    with pytest.raises(ValueError):
        parse_hours(raw)


# ---------------------------------------------------------------------------------------------------------
# round trips through the demo writers

CANONICAL = [
    {"work_date": date(2026, 3, 2), "person_id": "P-001", "person_name": "Ann Lee", "project_code": "PRJ-1",
         "task_code": "PRJ-1.2", "hours": 7.5, "role": "engineer", "approval_status": "approved", "entry_id": "TS-1"},
    {"work_date": date(2026, 3, 13), "person_id": "P-002", "person_name": None, "project_code": "PRJ-1",
         "task_code": None, "hours": 1 / 3, "role": None, "approval_status": "submitted", "entry_id": "TS-2"},
    {"work_date": date(2026, 3, 14), "person_id": "P-003", "person_name": "Mary Ann Lee", "project_code": "PRJ-2",
         "task_code": "T9", "hours": -2.0, "role": "pm", "approval_status": None, "entry_id": "TS-3"},
    {"work_date": date(2026, 3, 16), "person_id": "P-001", "person_name": "Ann Lee", "project_code": "PRJ-2",
         "task_code": "T9", "hours": 8.0, "role": "engineer", "approval_status": "rejected", "entry_id": "TS-4"},
]


def _canonical(rows):
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def test_tempo_writer_round_trip(tmp_path):
    path = write_tempo_csv(tmp_path / "tempo.csv", CANONICAL)
    assert detected(path) == ["tempo-csv"]
    res = timesheets.read_tempo_csv(path)
    assert res.errors == [] and res.warnings == [] and ts(res).quarantine == []
    assert _canonical(ts(res).rows) == CANONICAL
    assert "2026-3-2 09:00" in path.read_text(encoding="utf-8")   # Tempo's unpadded date


def test_harvest_writer_round_trip_with_rejected_read_back_as_submitted(tmp_path):
    path = write_harvest_csv(tmp_path / "harvest.csv", CANONICAL)
    assert detected(path) == ["harvest-csv"]
    res = timesheets.read_harvest_csv(path)
    assert res.errors == [] and ts(res).quarantine == []
    expected = [dict(r) for r in CANONICAL]
    expected[3]["approval_status"] = "submitted"                   # Harvest has no rejected state at rest
    assert _canonical(ts(res).rows) == expected
