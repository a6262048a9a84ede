"""The canonical CSV reader: types, vocabularies, and a quarantine record for every bad row."""
from datetime import date
from decimal import Decimal

import pytest

from orchestration.sources.canonical import parse_value, read_canonical_csv
from orchestration.sources.toolkit import ReaderError

TS_HEADER = "work_date,person_id,person_name,project_code,task_code,hours,role,approval_status,entry_id\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_reads_typed_rows_with_source_row_numbers(tmp_path):
    p = write(tmp_path, "ts.csv", TS_HEADER
              + "2026-03-02,P1,Ann,PRJ-1,T1,7.5,developer,Approved,TS-1\n"
              + "2026-03-03,P1,Ann,PRJ-1,,8,developer,,TS-2\n")
    res = read_canonical_csv(p, "timesheets")
    assert res.quarantine == []
    assert len(res.rows) == 2
    first = res.rows[0]
    assert first["work_date"] == date(2026, 3, 2)
    assert first["hours"] == 7.5
    assert first["approval_status"] == "approved"  # vocabularies are lower-cased
    assert first["_source_row"] == 2
    assert res.rows[1]["task_code"] is None and res.rows[1]["approval_status"] is None
    assert res.rows_in == 2
    assert len(res.sha256) == 64


def test_bad_cells_are_quarantined_with_row_column_value_and_reason(tmp_path):
    p = write(tmp_path, "ts.csv", TS_HEADER
              + "2026-03-02,P1,Ann,PRJ-1,T1,7.5,developer,approved,TS-1\n"
              + "02/03/2026,P1,Ann,PRJ-1,T1,seven,developer,approved,TS-2\n"
              + "2026-03-04,,Ann,PRJ-1,T1,3,developer,maybe,TS-3\n")
    res = read_canonical_csv(p, "timesheets")
    assert len(res.rows) == 1
    assert [q.source_row for q in res.quarantine] == [3, 4]
    q = res.quarantine[0]
    assert q.column == "work_date, hours"
    assert q.value == "02/03/2026 | seven"
    assert "work_date: not an ISO date" in q.reason and "hours: not a number" in q.reason
    assert res.quarantine[1].column == "person_id, approval_status"
    assert "required value is blank" in res.quarantine[1].reason
    assert res.rows_in == 3


def test_missing_required_column_quarantines_every_row(tmp_path):
    p = write(tmp_path, "ts.csv", "work_date,person_id,project_code\n2026-03-02,P1,PRJ-1\n2026-03-03,P1,PRJ-1\n")
    res = read_canonical_csv(p, "timesheets")
    assert res.rows == []
    assert len(res.quarantine) == 2
    assert res.quarantine[0].column == "hours"
    assert "required column(s) hours missing" in res.quarantine[0].reason


def test_bom_header_case_and_extra_score_columns(tmp_path):
    p = write(tmp_path, "p.csv", "\ufeffProject_Code,project_name,currency,score_value,notes\nA,Alpha,GBP,4.5,x\n")
    res = read_canonical_csv(p, "projects")
    assert res.quarantine == []
    assert res.rows[0]["project_code"] == "A"
    assert res.rows[0]["score_value"] == 4.5
    assert res.extra_columns == ["score_value"]
    assert any("notes" in w for w in res.warnings)


def test_wrong_cell_count_and_latin1_fallback(tmp_path):
    p = write(tmp_path, "p.csv", "project_code,project_name,currency\nA,Café,GBP\nB,Beta\n", encoding="cp1252")
    res = read_canonical_csv(p, "projects")
    assert res.rows[0]["project_name"] == "Café"
    assert any("not valid UTF-8" in w for w in res.warnings)
    assert res.quarantine[0].source_row == 3
    assert "2 cells but the header has 3" in res.quarantine[0].reason


def test_money_keeps_exact_decimals(tmp_path):
    p = write(tmp_path, "l.csv", "posting_date,document_id,project_code,amount,currency\n2026-01-31,D1,A,-1234.5678,EUR\n")
    res = read_canonical_csv(p, "ledger")
    assert res.rows[0]["amount"] == Decimal("-1234.5678")


def test_empty_file_and_missing_file(tmp_path):
    res = read_canonical_csv(write(tmp_path, "e.csv", ""), "projects")
    assert res.rows == [] and res.quarantine == [] and res.warnings
    with pytest.raises(ReaderError):
        read_canonical_csv(tmp_path / "nope.csv", "projects")


@pytest.mark.parametrize(
    "type_,raw,expected",
    [("date", "2026-02-28", date(2026, 2, 28)), ("bool", "Yes", True), ("bool", "0", False),
     ("period", "2026-11", "2026-11"), ("number", "1e2", 100.0), ("money", " 12.30 ", Decimal("12.30")),
     ("text", "  ", None)],
)
def test_parse_value(type_, raw, expected):
    assert parse_value(type_, raw) == expected


@pytest.mark.parametrize("type_,raw", [("date", "2026-02-30"), ("period", "2026-13"), ("number", "1,200"),
                                       ("money", "NaN"), ("bool", "sometimes")])
def test_parse_value_rejects(type_, raw):
    with pytest.raises(ValueError):
        parse_value(type_, raw)
