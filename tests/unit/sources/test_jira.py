"""Jira and Tempo readers: issue CSV -> work_items (one test per trap), worklog JSON -> timesheets, the real
samples from ../shared/samples, and a round trip through the demo Jira CSV writer."""
from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.demo.exports.jira import write_jira_csv
from orchestration.sources import jira, timesheets

REPO = Path(__file__).resolve().parents[3]
FIX = REPO / "tests" / "fixtures" / "sources" / "jira"
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


def items(result) -> dict[str, dict]:
    return {r["item_key"]: r for r in result.entities["work_items"].rows}


def ts(result):
    return result.entities["timesheets"]


@pytest.fixture(scope="module")
def server():
    return jira.read_jira_csv(FIX / "jira-server.csv")


@pytest.fixture(scope="module")
def cloud():
    return jira.read_jira_csv(FIX / "jira-cloud.csv")


# ---------------------------------------------------------------------------------------------------------
# the real samples


def test_sample_tempo_worklogs_two_worklogs_eleven_hours():
    path = sample("tempo/tempo_worklogs.json")
    assert detected(path) == ["tempo-worklog-json"]
    res = jira.read_tempo_worklog_json(path)
    assert res.errors == [] and res.warnings == [] and ts(res).quarantine == []
    rows = ts(res).rows
    # SOURCES.md: 2 worklogs, timeSpentSeconds 28800 and 10800
    assert [r["hours"] for r in rows] == [8.0, 3.0] and sum(r["hours"] for r in rows) == 11.0
    assert [r["work_date"] for r in rows] == [date(2018, 4, 8), date(2018, 4, 10)]
    assert {(r["person_id"], r["person_name"], r["task_code"], r["project_code"]) for r in rows} == {
        ("smgladkovskiy", "Sergey Gladkovskiy", "SLRM-200", "SLRM")}
    assert [r["entry_id"] for r in rows] == ["16210", "16235"]
    assert {r["approval_status"] for r in rows} == {None}


def test_sample_jira_issue_search_one_issue_no_time():
    path = sample("jira/issues_in_sprint.json")
    assert detected(path) == ["jira-issues-json"]
    res = jira.read_jira_issues_json(path, story_points_field="customfield_10105")
    assert res.errors == []
    assert [r["item_key"] for r in res.entities["work_items"].rows] == ["AR-86"]
    item = items(res)["AR-86"]
    assert item["project_code"] == "AR" and item["item_type"] == "Task"
    assert item["story_points"] == 13.0
    assert item["status_category"] == "todo"                 # statusCategory.key 'new'
    assert item["resolved_date"] == date(2015, 12, 7)
    assert item["epic"] == "AR-37"                           # agile API 'epic' object
    # SOURCES.md: timespent / aggregatetimespent are null -> no hours
    assert item["original_estimate_hours"] is None and item["time_spent_hours"] is None
    assert item["status_date"] == date(2016, 2, 1)           # newest fields.updated, warned
    assert any("status_date is the newest fields.updated date, 2016-02-01" in w for w in res.warnings)


def test_sample_issue_search_without_story_points_field_warns():
    res = jira.read_jira_issues_json(sample("jira/issues_in_sprint.json"), status_date="2016-02-05")
    assert items(res)["AR-86"]["story_points"] is None
    assert items(res)["AR-86"]["status_date"] == date(2016, 2, 5)
    assert any("story_points_field='customfield_NNNNN'" in w for w in res.warnings)


def test_sample_tempo_csv_is_not_a_jira_issue_export():
    assert "jira-csv" not in detected(sample("tempo/tempo-server-export-in.csv"))


# ---------------------------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize("name, fmt", [
    ("jira-server.csv", "jira-csv"),
    ("jira-cloud.csv", "jira-csv"),
    ("jira-current-fields.csv", "jira-csv"),
    ("tempo-cloud-worklogs.json", "tempo-worklog-json"),
    ("PAY-12.json", "jira-worklog-json"),
    ("jira-worklog-list.json", "jira-worklog-json"),
])
def test_each_format_is_detected_and_by_nothing_else(name, fmt):
    assert detected(FIX / name) == [fmt]


def test_an_issue_search_that_embeds_worklogs_is_an_issue_search(tmp_path):
    p = tmp_path / "search.json"
    p.write_text('{"issues": [{"key": "W-1", "fields": {"updated": "2026-03-01T10:00:00.000+0000", "worklog": '
                 '{"worklogs": [{"started": "2026-03-01T09:00:00.000+0000", "timeSpentSeconds": 3600}]}}}]}',
                 encoding="utf-8")
    assert detected(p) == ["jira-issues-json"]


# ---------------------------------------------------------------------------------------------------------
# issue CSV traps


def test_repeated_sprint_columns_keep_every_value_and_the_last_is_the_sprint(server):
    alpha2 = items(server)["ALPHA-2"]
    assert alpha2["sprint"] == "ALPHA Sprint 2"
    assert alpha2["_sprints"] == ("ALPHA Sprint 1", "ALPHA Sprint 2")
    assert items(server)["ALPHA-5"]["sprint"] == "ALPHA Sprint 1"   # one value, then blanks
    assert items(server)["ALPHA-1"]["sprint"] is None


def test_repeated_fix_versions_give_the_last_release(server):
    assert items(server)["ALPHA-2"]["release"] == "1.1"
    assert items(server)["ALPHA-2"]["_releases"] == ("1.0", "1.1")
    assert items(server)["BETA-7"]["release"] == "2026.1"


def test_time_tracking_seconds_become_hours_and_sigma_aggregates_are_ignored(server):
    alpha2 = items(server)["ALPHA-2"]
    # Original Estimate 28800 s, Time Spent 36000 s; the Σ columns (43200, 39600) include the sub-task
    assert (alpha2["original_estimate_hours"], alpha2["time_spent_hours"]) == (8.0, 10.0)
    sub = items(server)["ALPHA-3"]
    assert (sub["original_estimate_hours"], sub["time_spent_hours"]) == (4.0, 1.0)
    total = sum(r["time_spent_hours"] or 0 for r in items(server).values())
    assert total == 12.5                                    # 10 + 1 + 1.5, not counted twice


def test_jira_12_hour_and_24_hour_dates(server, cloud):
    assert items(server)["ALPHA-2"]["resolved_date"] == date(2026, 2, 25)   # '25/Feb/26 10:17 PM'
    assert items(cloud)["GAMMA-11"]["resolved_date"] == date(2025, 7, 29)   # '29/Jul/25 18:00'


def test_german_month_abbreviations():
    res = jira.read_jira_csv(FIX / "jira-de-dates.csv")
    assert [r["resolved_date"] for r in res.entities["work_items"].rows] == [
        date(2026, 3, 2), date(2025, 10, 12), date(2025, 12, 1)]              # Mär, Okt, Dez


def test_story_points_default_field_and_cloud_fallback(server, cloud):
    assert items(server)["ALPHA-2"]["story_points"] == 5.0       # Custom field (Story Points)
    assert items(server)["ALPHA-5"]["story_points"] == 3.5
    assert items(cloud)["GAMMA-11"]["story_points"] == 8.0       # Custom field (Story point estimate)


def test_story_points_field_option_names_the_column_and_a_missing_one_is_warned():
    res = jira.read_jira_csv(FIX / "jira-server.csv", story_points_field="Custom field (Velocity)")
    assert all(r["story_points"] is None for r in res.entities["work_items"].rows)
    assert any("column 'Custom field (Velocity)' (option story_points_field) is not in the file" in w
               for w in res.warnings)
    res = jira.read_jira_csv(FIX / "jira-cloud.csv", story_points_field="custom field (story point estimate)")
    assert items(res)["GAMMA-11"]["story_points"] == 8.0


def test_epic_link_and_sub_task_inherits_its_parents_epic(server):
    assert items(server)["ALPHA-2"]["epic"] == "ALPHA-1"
    assert items(server)["ALPHA-3"]["epic"] == "ALPHA-1"        # Sub-task -> Parent id 10002 -> ALPHA-2's epic
    assert items(server)["ALPHA-1"]["epic"] is None


def test_sub_task_whose_parent_is_not_in_the_file_gets_no_epic_and_a_warning(server):
    assert items(server)["ALPHA-9"]["epic"] is None
    assert any("column 'Parent id': sub-task(s) in row 8 have a parent that is not in the file" in w
               for w in server.warnings)


def test_parent_issue_id_resolves_to_the_epic_key(cloud):
    assert items(cloud)["GAMMA-11"]["epic"] == "GAMMA-10"       # Parent = 20010 = Issue id of GAMMA-10 (an Epic)
    assert items(cloud)["GAMMA-12"]["epic"] == "30000"          # not in the file: the id is kept
    assert any("column 'Parent': epic in row 4 is an issue id" in w for w in cloud.warnings)


def test_epic_field_option(tmp_path):
    res = jira.read_jira_csv(FIX / "jira-cloud.csv", epic_field="Parent summary")
    assert items(res)["GAMMA-11"]["epic"] == "Reporting"


def test_status_category_column_wins_over_status_names(cloud):
    assert [items(cloud)[k]["status_category"] for k in ("GAMMA-10", "GAMMA-11", "GAMMA-12")] == [
        "in_progress", "done", "todo"]                         # statuses Building / Shipped / Queued


def test_status_names_map_to_categories_and_an_unknown_one_is_warned(server):
    cats = {k: r["status_category"] for k, r in items(server).items()}
    assert cats == {"ALPHA-1": "in_progress", "ALPHA-2": "done", "ALPHA-3": "in_progress", "ALPHA-4": "todo",
                    "ALPHA-5": None, "BETA-7": "done", "ALPHA-9": "todo"}
    assert any("column 'Status': 'Waiting for Vendor' in row 6 has no known status category" in w
               for w in server.warnings)


def test_status_map_option():
    res = jira.read_jira_csv(FIX / "jira-server.csv", status_map={"waiting for VENDOR": "in_progress"})
    assert items(res)["ALPHA-5"]["status_category"] == "in_progress"
    assert not any("Waiting for Vendor" in w for w in res.warnings)


def test_project_code_from_project_key_else_issue_key_prefix(server):
    assert items(server)["BETA-7"]["project_code"] == "BETA"
    res = jira.read_jira_csv(FIX / "jira-current-fields.csv", status_date="2026-03-31")   # no Project key column
    assert {r["project_code"] for r in res.entities["work_items"].rows} == {"KAPPA"}


def test_project_code_option_when_the_file_gives_none(tmp_path):
    p = tmp_path / "legacy.csv"
    p.write_text("Issue key,Summary,Status\nLEGACY,old key,Done\n", encoding="utf-8")
    res = jira.read_jira_csv(p, status_date="2026-03-31")
    assert res.entities["work_items"].quarantine[0].column == "Project key"
    res = jira.read_jira_csv(p, status_date="2026-03-31", project_code="PRJ-OLD")
    assert items(res)["LEGACY"]["project_code"] == "PRJ-OLD"


def test_status_date_defaults_to_the_newest_updated_with_a_warning(server):
    assert {r["status_date"] for r in items(server).values()} == {date(2026, 3, 2)}
    assert any("status_date is the newest 'Updated' date, 2026-03-02 (jira-server.csv row 7, column 'Updated')"
               in w for w in server.warnings)


def test_status_date_option_pins_the_snapshot():
    res = jira.read_jira_csv(FIX / "jira-server.csv", status_date=date(2026, 3, 31))
    assert {r["status_date"] for r in items(res).values()} == {date(2026, 3, 31)}
    assert not any("status_date" in w for w in res.warnings)


def test_no_status_date_and_no_updated_column_is_a_file_error():
    res = jira.read_jira_csv(FIX / "jira-current-fields.csv")
    assert res.errors and "status_date unknown" in res.errors[0] and "jira-current-fields.csv" in res.errors[0]
    entity = res.entities["work_items"]
    assert entity.rows == [] and [q.source_row for q in entity.quarantine] == [2, 3]
    bad = jira.read_jira_csv(FIX / "jira-current-fields.csv", status_date="31/03/2026")
    assert "option status_date='31/03/2026' is not an ISO date" in bad.errors[0]


def test_multi_line_descriptions_keep_record_numbers(server):
    # ALPHA-2's Description spans two physical lines; ALPHA-3 is still spreadsheet row 4
    assert items(server)["ALPHA-2"]["_source_row"] == 3
    assert items(server)["ALPHA-3"]["_source_row"] == 4
    assert items(server)["ALPHA-9"]["_source_row"] == 8


def test_bad_cells_are_quarantined_naming_file_row_and_column():
    res = jira.read_jira_csv(FIX / "jira-bad.csv")
    entity = res.entities["work_items"]
    assert [r["item_key"] for r in entity.rows] == ["BAD-1"]
    q = {q.source_row: q for q in entity.quarantine}
    assert q[3].column == "Resolved, Time Spent"
    assert "jira-bad.csv row 3, column 'Resolved': not a valid date" in q[3].reason
    assert "jira-bad.csv row 3, column 'Time Spent': not a time in seconds (got 'abc')" in q[3].reason
    assert q[4].column == "Issue key" and "required value is blank (item_key)" in q[4].reason
    assert q[5].column == "Custom field (Story Points)" and q[5].value == "lots"
    assert "unknown month name 'Foo'" in q[6].reason
    assert q[6].record["Issue key"] == "BAD-5"
    assert entity.rows_in == 5


def test_missing_issue_key_column_is_a_file_error():
    res = jira.read_jira_csv(FIX / "jira-no-issue-key.csv")
    assert res.errors == [("jira-no-issue-key.csv: required column 'Issue key' missing "
                          "(not a readable Jira issue export)")]
    assert [q.source_row for q in res.entities["work_items"].quarantine] == [2, 3]
    assert detected(FIX / "jira-no-issue-key.csv") == []


def test_jira_duration_text_is_read_with_a_warning():
    res = jira.read_jira_csv(FIX / "jira-pretty-durations.csv")
    dur = items(res)
    assert dur["DUR-1"]["original_estimate_hours"] == 56.0    # 1w 2d = 7 days x 8 h
    assert dur["DUR-1"]["time_spent_hours"] == 3.5
    assert dur["DUR-2"]["original_estimate_hours"] == 8.0     # 28800 s
    assert any("row 2 hold Jira durations" in w for w in res.warnings)
    res = jira.read_jira_csv(FIX / "jira-pretty-durations.csv", hours_per_day=7.5)
    assert items(res)["DUR-1"]["original_estimate_hours"] == 52.5


# ---------------------------------------------------------------------------------------------------------
# worklog JSON


def test_tempo_cloud_worklogs_approval_ids_and_bad_seconds():
    res = jira.read_tempo_worklog_json(FIX / "tempo-cloud-worklogs.json")
    rows = {r["entry_id"]: r for r in ts(res).rows}
    assert sorted(rows) == ["501", "503"]
    assert rows["501"]["approval_status"] == "approved" and rows["503"]["approval_status"] == "submitted"
    assert rows["501"]["hours"] == 1.5 and rows["501"]["work_date"] == date(2026, 3, 2)
    assert rows["501"]["person_id"] == "5b10ac8d82e05b22cc7d4ef5" and rows["501"]["person_name"] == "Alex Smith"
    assert rows["503"]["person_name"] is None                # no displayName: no name invented
    q = {q.source_row: q for q in ts(res).quarantine}
    assert "tempo-cloud-worklogs.json record 2" in q[2].reason and "project_code" in q[2].reason
    assert q[4].column == "timeSpentSeconds" and "not a number of seconds" in q[4].reason


def test_tempo_worklog_with_issue_id_only_needs_the_project_code_option():
    res = jira.read_tempo_worklog_json(FIX / "tempo-cloud-worklogs.json", project_code="PAY")
    row = next(r for r in ts(res).rows if r["entry_id"] == "502")
    assert (row["task_code"], row["project_code"], row["hours"]) == ("10045", "PAY", 0.5)
    assert any("field 'issue'" in w and "record 2" in w and "by id only" in w for w in res.warnings)


def test_jira_worklog_page_takes_the_issue_key_from_the_file_name_and_dates_as_written():
    res = jira.read_jira_worklog_json(FIX / "PAY-12.json")
    rows = ts(res).rows
    assert res.errors == [] and res.warnings == []
    assert [(r["task_code"], r["project_code"]) for r in rows] == [("PAY-12", "PAY")] * 2
    assert [r["work_date"] for r in rows] == [date(2026, 3, 2), date(2026, 3, 3)]   # 23:30 +0000 stays the 2nd
    assert [r["hours"] for r in rows] == [1.5, 2.5]
    assert rows[0]["person_id"].startswith("712020:") and rows[0]["person_name"] is None
    assert rows[1]["person_name"] == "Bo Jones"
    assert [r["entry_id"] for r in rows] == ["100023", "100024"]
    assert {r["approval_status"] for r in rows} == {None}


def test_jira_worklog_issue_key_option_overrides_the_file_name():
    res = jira.read_jira_worklog_json(FIX / "PAY-12.json", issue_key="OPS-4")
    assert {(r["task_code"], r["project_code"]) for r in ts(res).rows} == {("OPS-4", "OPS")}


def test_jira_worklog_list_with_issue_ids_only():
    res = jira.read_jira_worklog_json(FIX / "jira-worklog-list.json")
    assert ts(res).rows == [] and len(ts(res).quarantine) == 2
    res = jira.read_jira_worklog_json(FIX / "jira-worklog-list.json", project_code="PAY")
    assert [(r["task_code"], r["project_code"], r["hours"]) for r in ts(res).rows] == [
        ("10077", "PAY", 1.0), ("10078", "PAY", 0.5)]


def test_broken_json_is_a_file_error_naming_line_and_column():
    res = jira.read_jira_worklog_json(FIX / "broken.json")
    assert res.errors == [("broken.json line 2, column 1: not valid JSON (Expecting property name enclosed in "
                          "double quotes)")]
    assert ts(res).rows_in == 0


# ---------------------------------------------------------------------------------------------------------
# round trip through the demo writer

WORK_ITEMS = [
    {"status_date": date(2026, 3, 31), "project_code": "ALPHA", "item_key": "ALPHA-1", "item_type": "Epic",
         "story_points": None, "status_category": "in_progress", "resolved_date": None, "sprint": None, "epic": None,
         "release": None, "original_estimate_hours": None, "time_spent_hours": None},
    {"status_date": date(2026, 3, 31), "project_code": "ALPHA", "item_key": "ALPHA-2", "item_type": "Story",
         "story_points": 5.0, "status_category": "done", "resolved_date": date(2026, 2, 25), "sprint": "ALPHA Sprint 2",
         "epic": "ALPHA-1", "release": "1.1", "original_estimate_hours": 8.0, "time_spent_hours": 10.25,
         "_sprints": ["ALPHA Sprint 1", "ALPHA Sprint 2"], "_releases": ["1.0", "1.1"]},
    {"status_date": date(2026, 3, 31), "project_code": "PMO-7", "item_key": "BETA-3", "item_type": "Bug",
         "story_points": 0.5, "status_category": None, "resolved_date": None, "sprint": "BETA Sprint 3", "epic": None,
         "release": None, "original_estimate_hours": 1 / 3, "time_spent_hours": 0.0},
    {"status_date": date(2026, 3, 31), "project_code": "ALPHA", "item_key": "ALPHA-4", "item_type": "Story",
         "story_points": 3.0, "status_category": "todo", "resolved_date": None, "sprint": "ALPHA Sprint 3", "epic": "ALPHA-1",
         "release": None, "original_estimate_hours": 16.0, "time_spent_hours": None},
]


#: What the writer fills in for a row without them (Created = the snapshot date, Priority Medium), as Jira would.
_WRITER_DEFAULTS = ("created_date", "priority", "severity", "found_in")


def _canonical(rows):
    return [{k: v for k, v in r.items() if not k.startswith("_") and k not in _WRITER_DEFAULTS} for r in rows]


def test_jira_writer_round_trip_with_its_traps(tmp_path):
    path = write_jira_csv(tmp_path / "jira.csv", WORK_ITEMS)
    assert detected(path) == ["jira-csv"]
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header.count("Sprint") == 2 and header.count("Fix Version/s") == 2 and header.count("Labels") == 2
    assert "Σ Original Estimate" in header
    assert "25/Feb/26 10:17 PM" in text and ",28800," in text and ",36900," in text   # dates, seconds
    res = jira.read_jira_csv(path)
    assert res.errors == [] and res.entities["work_items"].quarantine == []
    rows = res.entities["work_items"].rows
    assert _canonical(rows) == _canonical(WORK_ITEMS)              # status_date from the newest Updated
    assert rows[1]["_sprints"] == ("ALPHA Sprint 1", "ALPHA Sprint 2")
    pinned = jira.read_jira_csv(path, status_date="2026-03-31")
    assert _canonical(pinned.entities["work_items"].rows) == _canonical(WORK_ITEMS)


def test_jira_writer_refuses_rows_from_two_snapshots(tmp_path):
    rows = [dict(WORK_ITEMS[0]), dict(WORK_ITEMS[1], status_date=date(2026, 4, 30))]
    with pytest.raises(ValueError, match="one snapshot"):
        write_jira_csv(tmp_path / "jira.csv", rows)


# ---------------------------------------------------------------------------------------------------------
# an export spanning company-managed (Story Points, Epic Link) and team-managed (Story point estimate,
# Parent) projects


def test_mixed_export_takes_the_first_non_blank_story_point_column():
    res = jira.read_jira_csv(FIX / "jira-mixed-projects.csv")
    assert items(res)["CM-1"]["story_points"] == 5.0       # Custom field (Story Points)
    assert items(res)["TM-1"]["story_points"] == 3.0       # Custom field (Story point estimate)


def test_mixed_export_epic_from_epic_link_else_parent_and_localised_sub_tasks():
    res = jira.read_jira_csv(FIX / "jira-mixed-projects.csv")
    epics = {k: r["epic"] for k, r in items(res).items()}
    assert epics == {"CM-1": "CM-100",     # Epic Link (epic not in the file)
                     "TM-1": "555",        # parent id, not in the file: a story's parent is its epic
                     "TM-2": "555",        # 'Unteraufgabe' (sub-task) inherits its story's epic
                     "TM-3": None,         # sub-task whose story is not in the file
                     "TM-4": None}         # an epic's parent is an initiative
    assert any("column 'Parent': sub-task(s) in row 5" in w for w in res.warnings)
    assert any("column 'Parent': epic in rows 3, 4 is an issue id" in w for w in res.warnings)


def test_defect_fields_created_priority_severity_and_found_in_are_read_and_an_unknown_value_is_warned(tmp_path):
    p = tmp_path / "bugs.csv"
    p.write_text("Issue key,Issue Type,Status,Priority,Created,Resolved,Custom field (Severity),Custom field (Found in)\n"
                 "Q-1,Bug,Done,High,02/Mar/26 9:00 AM,05/Mar/26 4:00 PM,Blocker,Production\n"
                 "Q-2,Bug,Reopened,Low,03/Mar/26 9:00 AM,,Sev 2,UAT\n"
                 "Q-3,Story,To Do,Medium,04/Mar/26 9:00 AM,,,\n"
                 "Q-4,Bug,To Do,Medium,04/Mar/26 9:00 AM,,Showstopper,Staging\n", encoding="utf-8")
    res = jira.read_jira_csv(p, status_date="2026-03-31")
    got = items(res)
    assert (got["Q-1"]["severity"], got["Q-1"]["found_in"], got["Q-1"]["priority"]) == ("critical", "production", "High")
    assert got["Q-1"]["created_date"] == date(2026, 3, 2)
    assert (got["Q-2"]["severity"], got["Q-2"]["found_in"], got["Q-2"]["status_category"]) == ("major", "uat", "todo")
    assert got["Q-3"]["severity"] is None and got["Q-3"]["found_in"] is None
    # an instance's own values cost nothing but the value: the item loads, the value is blank, a warning names it
    assert got["Q-4"]["severity"] is None and got["Q-4"]["found_in"] is None
    assert any("'Showstopper'" in w and "row 5" in w for w in res.warnings)
    assert any("'Staging'" in w for w in res.warnings)


def test_jira_writer_round_trip_of_defect_fields(tmp_path):
    bug = {"status_date": date(2026, 3, 31), "project_code": "Q", "item_key": "Q-1", "item_type": "Bug",
           "status_category": "todo", "created_date": date(2026, 3, 3), "priority": "High", "severity": "critical",
           "found_in": "uat"}
    row = items(jira.read_jira_csv(write_jira_csv(tmp_path / "bugs.csv", [bug])))["Q-1"]
    assert {k: row[k] for k in ("created_date", "priority", "severity", "found_in")} == {
        "created_date": date(2026, 3, 3), "priority": "High", "severity": "critical", "found_in": "uat"}


def test_exports_without_defect_fields_leave_them_blank(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("Issue key,Issue Type,Status\nQ-1,Story,Done\n", encoding="utf-8")
    row = items(jira.read_jira_csv(p, status_date="2026-03-31"))["Q-1"]
    assert row["created_date"] is None and row["severity"] is None and row["found_in"] is None
