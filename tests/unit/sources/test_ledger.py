"""GL readers (SAP ACDOCA/BSEG, Oracle GL, generic) and the SAP ACDOCA demo writer.

The fixtures under tests/fixtures/sources/ledger are hand-written by the project from the documented
headers (docs/input-formats.md §3): there is no real, licence-clean GL export.  One test per trap,
each asserting real totals.
"""
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.demo.exports.ledger import write_sap_acdoca_csv
from orchestration.sources.canonical import read_canonical_csv
from orchestration.sources.fiscal import FiscalCalendar
from orchestration.sources.ledger import (
    FORMATS,
    cost_type_for,
    detect_generic,
    read_generic,
    read_ledger,
    read_oracle_gl,
    read_sap_acdoca,
    read_sap_bseg,
)
from orchestration.sources.toolkit import parse_date, parse_decimal

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "ledger"
HAND_LEDGER = Path(__file__).resolve().parents[2] / "fixtures" / "hand_project" / "ledger" / "hand-ledger.csv"


def ledger(result):
    assert set(result.entities) == {"ledger"}
    return result.entities["ledger"]


def total(rows, currency=None, column="amount"):
    return sum((r[column] for r in rows if currency is None or r["currency" if column == "amount" else
                                                                   "local_currency"] == currency), Decimal(0))


def by_doc(rows):
    return {(r["document_id"], r["line_id"]): r for r in rows}


# ---- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("sap-acdoca-table.csv", "sap-acdoca-csv"),
        ("sap-fiori-de.csv", "sap-acdoca-csv"),
        ("sap-alv-subtotals.csv", "sap-acdoca-csv"),
        ("sap-export-utf16.xls", "sap-acdoca-csv"),
        ("sap-special-periods.csv", "sap-acdoca-csv"),
        ("sap-bseg-shkzg.csv", "sap-bseg-csv"),
        ("sap-bseg-stblg.csv", "sap-bseg-csv"),
        ("oracle-gl-lines.csv", "oracle-gl-csv"),
        ("oracle-gl-segments.csv", "oracle-gl-csv"),
        ("generic-ledger.csv", None),
    ],
)
def test_each_fixture_is_detected_as_exactly_its_format(name, fmt):
    path = FIX / name
    head = path.read_bytes()[:65536]
    detected = [f for f, (detect, _) in FORMATS.items() if detect(path, head)]
    assert detected == ([fmt] if fmt else [])


def test_generic_and_canonical_files_are_never_guessed():
    path = FIX / "generic-ledger.csv"
    head = path.read_bytes()
    assert not detect_generic(path, head)
    assert detect_generic(path, head, mapping_file=FIX / "generic-ledger.yaml")
    assert not detect_generic(path, head, mapping={"posting_date": "Booking Date", "amount": "Net"})
    hand = HAND_LEDGER.read_bytes()
    assert not any(detect(HAND_LEDGER, hand) for detect, _ in FORMATS.values())


def test_read_ledger_picks_the_format_or_reports_an_unknown_file(tmp_path):
    res = read_ledger(FIX / "oracle-gl-lines.csv")
    assert res.format == "oracle-gl-csv"
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    res = read_ledger(odd)
    assert res.entities == {} and "odd.csv, row 1" in res.errors[0]
    with pytest.raises(TypeError, match="unknown option"):
        read_sap_acdoca(FIX / "sap-acdoca-table.csv", decimal=",")


# ---- SAP ACDOCA ------------------------------------------------------------------------------------


def test_sap_acdoca_table_download_signed_multicurrency_with_reversals():
    res = ledger(read_sap_acdoca(FIX / "sap-acdoca-table.csv"))
    assert res.quarantine == [] and res.warnings == []
    rows = res.rows
    assert len(rows) == 7 and [r["_source_row"] for r in rows] == list(range(2, 9))
    # transaction currency and local currency both kept
    assert total(rows, "GBP") == Decimal("5075.25")
    assert total(rows, "EUR") == Decimal("400.00")
    assert total(rows, "GBP", "local_amount") == Decimal("5425.25")
    travel = by_doc(rows)[("100000002", "1")]
    assert (travel["amount"], travel["currency"], travel["local_amount"], travel["local_currency"]) == (
        Decimal("400.00"), "EUR", Decimal("350.00"), "GBP")
    # ALPHA zeros stripped from BELNR, DOCLN, RACCT; dates YYYYMMDD; periods -> calendar months
    first = rows[0]
    assert first["document_id"] == "100000001" and first["line_id"] == "1" and first["account"] == "510000"
    assert first["posting_date"] == date(2026, 1, 15) and first["fiscal_period"] == "2026-01"
    assert first["project_code"] == "P-1000" and first["task_code"] == "P-1000-01"
    assert first["source_system"] == "sap"
    # reversal kept as rows: XREVERSING + AWREF_REV; the reversed original (XREVERSED) is not a reversal
    reversal = [r for r in rows if r["is_reversal"]]
    assert [r["reverses_document_id"] for r in reversal] == ["100000001", "100000001"]
    assert sum(r["amount"] for r in reversal) == Decimal("-2000.50")
    assert first["is_reversal"] is False and first["reverses_document_id"] is None
    assert sum(r["amount"] for r in rows if r["document_id"] in ("100000001", "100000003")) == 0
    # cost types from the account prefixes (default chart), 56xxxx matches none -> other
    by_type = {}
    for r in rows:
        by_type[r["cost_type"]] = by_type.get(r["cost_type"], 0) + r["local_amount"]
    assert by_type == {"material": 0, "subcontract": 0, "travel": Decimal("350.00"),
                       "labour": Decimal("5000.00"), "other": Decimal("75.25")}
    assert rows[-1]["task_code"] is None and rows[-1]["project_code"] == "P-2000"


def test_sap_gui_export_semicolons_german_numbers_trailing_minus_and_english_titles():
    res = ledger(read_sap_acdoca(FIX / "sap-fiori-de.csv", wbs_project_pattern=r"^(P-\d+)"))
    assert res.quarantine == []
    amounts = [r["amount"] for r in res.rows]
    assert amounts == [Decimal("12345.67"), Decimal("-1234.56"), Decimal("290.00")]
    assert total(res.rows, "GBP") == Decimal("11111.11")
    assert total(res.rows, "GBP", "local_amount") == Decimal("11361.11")
    assert [r["project_code"] for r in res.rows] == ["P-1000", "P-1000", "P-2000"]
    assert [r["task_code"] for r in res.rows] == ["P-1000-01-02", "P-1000-01-03", "P-2000-04"]
    assert res.rows[2]["description"] == "Overhead allocation; March"  # quoted delimiter kept
    assert res.rows[0]["posting_date"] == date(2026, 3, 2) and res.rows[0]["fiscal_period"] == "2026-03"
    # no reversal column at all: unknown, not false
    assert all(r["is_reversal"] is None for r in res.rows)


def test_sap_utf16_tab_separated_export_named_xls():
    res = ledger(read_sap_acdoca(FIX / "sap-export-utf16.xls"))
    assert res.quarantine == []
    assert total(res.rows, "EUR") == Decimal("1920.10")
    assert [r["description"] for r in res.rows] == ["Stahlträger", "Reisekosten München"]


def test_sap_parallel_ledgers_load_only_the_leading_ledger():
    res = ledger(read_sap_acdoca(FIX / "sap-parallel-ledgers.csv"))
    assert total(res.rows) == Decimal("1200.00")
    assert [q.source_row for q in res.quarantine] == [3, 5]
    assert all(q.column == "RLDNR" and "ledger 2L is not the leading ledger 0L" in q.reason
               and "sap-parallel-ledgers.csv, row" in q.reason for q in res.quarantine)
    assert total(ledger(read_sap_acdoca(FIX / "sap-parallel-ledgers.csv", ledger="2L")).rows) == Decimal("1200.00")
    assert total(ledger(read_sap_acdoca(FIX / "sap-parallel-ledgers.csv", ledger=None)).rows) == Decimal("2400.00")


def test_sap_alv_subtotal_lines_and_lines_without_wbs_are_quarantined():
    res = ledger(read_sap_acdoca(FIX / "sap-alv-subtotals.csv"))
    assert total(res.rows) == Decimal("3500.00")  # not 7000 (subtotal) nor 0 (the payable line)
    assert res.rows_in == 5
    reasons = {q.source_row: q.reason for q in res.quarantine}
    assert set(reasons) == {4, 5, 6}
    assert "no document number (an ALV subtotal/total line" in reasons[4]
    assert "column 'Document Number'" in reasons[4]
    assert "column 'WBS element': project_code: no WBS element / project on this line" in reasons[5]
    # without a PS_PSPID column the WBS element is both project and task
    assert res.rows[0]["project_code"] == res.rows[0]["task_code"] == "P-1000-01"


def test_sap_ambiguous_thousands_separator_is_quarantined_until_configured():
    res = ledger(read_sap_acdoca(FIX / "sap-ambiguous-decimals.csv"))
    assert total(res.rows) == Decimal(750)
    assert [q.source_row for q in res.quarantine] == [2, 3]
    assert "ambiguous number '1.234'" in res.quarantine[0].reason
    assert "decimal_separator" in res.quarantine[0].reason and res.quarantine[0].column == "HSL"
    res = ledger(read_sap_acdoca(FIX / "sap-ambiguous-decimals.csv", decimal_separator=","))
    assert res.quarantine == [] and total(res.rows, "JPY") == Decimal(4484)


def test_sap_special_periods_map_to_the_last_period_of_an_april_year():
    res = ledger(read_sap_acdoca(FIX / "sap-special-periods.csv", fiscal_calendar={"year_start_month": 4}))
    periods = [(r["fiscal_period"], r["description"]) for r in res.rows]
    assert periods == [
        ("2025-04", "April materials"),
        ("2026-01", "January materials"),
        ("2026-03", "March materials"),
        ("2026-03", "Year-end overhead true-up [fiscal period 2025/013]"),
        ("2026-03", "Audit adjustment [fiscal period 2025/016]"),
    ]
    assert total(res.rows) == Decimal("690.00")
    assert sum(r["amount"] for r in res.rows if r["fiscal_period"] == "2026-03") == Decimal("390.00")
    # period 000 = balance carry-forward: not a posting
    [carry] = res.quarantine
    assert carry.source_row == 7 and carry.column == "POPER" and "carry-forward" in carry.reason
    assert res.warnings == []
    # with the default (calendar-year) calendar the same file lands in other months: the option matters
    calendar_year = ledger(read_sap_acdoca(FIX / "sap-special-periods.csv"))
    assert calendar_year.rows[0]["fiscal_period"] == "2025-01"


def test_fiscal_calendar_mapping_both_naming_conventions():
    v3 = FiscalCalendar.from_option({"year_start_month": 4})
    assert v3.month_of(2025, 1) == "2025-04" and v3.month_of(2025, 12) == "2026-03"
    assert v3.month_of(2025, 14) == "2026-03"
    assert v3.fiscal_of(2026, 2) == (2025, 11)  # SAP help: 3 Feb 1999 is period 11 of 1998
    end = FiscalCalendar.from_option({"year_start_month": 4, "year_named_by": "end"})
    assert end.month_of(2026, 1) == "2025-04" and end.fiscal_of(2026, 3) == (2026, 12)
    for cal in (FiscalCalendar(), v3, end, FiscalCalendar(7, "end"), FiscalCalendar(10, "start")):
        for year in (2025, 2026):
            for month in range(1, 13):
                assert cal.month_of(*cal.fiscal_of(year, month)) == f"{year}-{month:02d}"
    with pytest.raises(ValueError):
        FiscalCalendar.from_option({"year_start_month": 13})
    with pytest.raises(ValueError):
        FiscalCalendar.from_option({"start": 4})


def test_sap_belnr_repeats_across_years_warns_and_company_year_key_separates():
    res = ledger(read_sap_acdoca(FIX / "sap-belnr-collision.csv"))
    assert any("100000001 appear under more than one company code / fiscal year" in w
               and "document_key='company_year'" in w for w in res.warnings)
    res = ledger(read_sap_acdoca(FIX / "sap-belnr-collision.csv", document_key="company_year"))
    assert [r["document_id"] for r in res.rows] == ["1000/2025/100000001", "1000/2026/100000001",
                                                    "1000/2026/100000002"]
    assert res.rows[2]["is_reversal"] and res.rows[2]["reverses_document_id"] == "1000/2025/100000001"
    assert res.warnings == []
    # the 2025 document and its reversal net to zero; the 2026 namesake is untouched
    assert sum(r["amount"] for r in res.rows if "1000/2025/100000001" in (r["document_id"],
                                                                          r["reverses_document_id"])) == 0
    assert total(res.rows) == Decimal("600.00")


def test_sap_malformed_rows_are_quarantined_with_file_row_column_and_the_rest_load():
    res = ledger(read_sap_acdoca(FIX / "sap-malformed.csv"))
    assert [r["document_id"] for r in res.rows] == ["100000501", "100000506"]
    assert total(res.rows) == Decimal("400.00")
    assert res.rows_in == 6
    q = {r.source_row: r for r in res.quarantine}
    assert q[3].column == "BUDAT" and "day is out of range" in q[3].reason and q[3].value == "31.02.2026"
    assert "row has 14 cells but the header has 13" in q[4].reason
    assert q[5].column == "HSL" and "groups of 3 digits" in q[5].reason
    assert q[6].column == "BUDAT" and "date_format" in q[6].reason
    for row_no, rec in q.items():
        assert rec.reason.startswith(f"sap-malformed.csv, row {row_no}: column ")
        assert rec.record["BELNR"].startswith("01000005")


def test_sap_missing_required_column_quarantines_every_row_and_names_it(tmp_path):
    p = tmp_path / "no-date.csv"
    p.write_text("BELNR,HSL,RHCUR,PS_POSID\n1,10.00,GBP,P-1\n2,20.00,GBP,P-1\n")
    res = read_sap_acdoca(p)
    assert res.errors == [("no-date.csv, row 1: required column(s) missing from the header: "
                          "posting date (BUDAT)")]
    assert ledger(res).rows == [] and len(ledger(res).quarantine) == 2


def test_sap_raw_extract_fiscyearper_and_shifted_zero_decimal_currencies(tmp_path):
    p = tmp_path / "acdoca-raw.csv"
    p.write_text("BELNR,BUDAT,FISCYEARPER,RACCT,HSL,RHCUR,WSL,RWCUR,PS_POSID\n"
                 "0100000801,20260115,2025010,0000510000,1234.56,GBP,2000.00,JPY,P-8000-01\n")
    [row] = ledger(read_sap_acdoca(p, fiscal_calendar={"year_start_month": 4},
                                   currency_decimals={"JPY": 0})).rows
    assert row["fiscal_period"] == "2026-01"  # 2025/010 in an April year
    assert (str(row["amount"]), row["currency"]) == ("200000.00", "JPY")  # stored 2000.00 = JPY 200,000
    assert (row["local_amount"], row["local_currency"]) == (Decimal("1234.56"), "GBP")


def test_sap_xlsx_export_with_native_numbers_and_dates(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Journal Entry", "Posting Date", "Fiscal Year", "Posting Period", "G/L Account",
               "Amount in Company Code Currency", "Company Code Currency", "WBS Element"])
    ws.append([100000701, datetime(2026, 3, 2), 2026, 3, 510000, 1234.56, "GBP", "P-7000-01"])
    ws.append([100000702, datetime(2026, 3, 3), 2026, 3, 520000, -0.1, "GBP", "P-7000-01"])
    p = tmp_path / "fbl3n.xlsx"
    wb.save(p)
    assert FORMATS["sap-acdoca-csv"][0](p, p.read_bytes()[:4096])
    res = ledger(read_sap_acdoca(p))
    assert res.quarantine == []
    assert [r["amount"] for r in res.rows] == [Decimal("1234.56"), Decimal("-0.1")]  # no float noise
    assert res.rows[0]["document_id"] == "100000701" and res.rows[0]["account"] == "510000"
    assert res.rows[1]["posting_date"] == date(2026, 3, 3)


# ---- SAP BSEG (SHKZG) ------------------------------------------------------------------------------


def test_bseg_unsigned_amounts_are_signed_by_shkzg_without_double_negation():
    res = ledger(read_sap_bseg(FIX / "sap-bseg-shkzg.csv"))
    assert [r["amount"] for r in res.rows] == [Decimal("1000.00"), Decimal("-300.00"), Decimal("-200.00")]
    assert total(res.rows) == Decimal("500.00")
    assert total(res.rows, "GBP", "local_amount") == Decimal("500.00")
    q = {r.source_row: r for r in res.quarantine}
    assert set(q) == {5, 6}
    assert "negative amount on a debit (S) line" in q[5].reason and q[5].column == "DMBTR, WRBTR"
    assert q[6].column == "SHKZG" and "must be S (debit) or H (credit)" in q[6].reason
    assert res.rows[0]["fiscal_period"] == "2025-07" and res.rows[0]["line_id"] == "1"


def test_bseg_stblg_pairs_are_resolved_inside_the_file():
    res = ledger(read_sap_bseg(FIX / "sap-bseg-stblg.csv"))
    rows = {r["document_id"]: r for r in res.rows}
    assert rows["1900000010"]["is_reversal"] is False  # the original names its reversal in STBLG too
    assert rows["1900000011"]["is_reversal"] is True
    assert rows["1900000011"]["reverses_document_id"] == "1900000010"
    assert rows["1900000012"]["is_reversal"] is False
    assert rows["1900000013"]["is_reversal"] is None  # partner not in the file: unknown
    [warning] = res.warnings
    assert warning.startswith("sap-bseg-stblg.csv, row(s) 5, column 'STBLG'") and "1900000099" in warning
    assert sum(r["amount"] for r in res.rows if r["project_code"] == "P-3000-01") == Decimal("560.00")
    assert total(res.rows) == Decimal("650.00")


# ---- Oracle -----------------------------------------------------------------------------------------


def test_oracle_dr_minus_cr_actuals_only_with_reversals_and_adjusting_periods():
    res = ledger(read_oracle_gl(FIX / "oracle-gl-lines.csv"))
    rows = {r["document_id"]: r for r in res.rows}
    assert list(rows) == ["5001", "5002", "5003", "5004", "5008", "5009", "5010"]
    assert total(res.rows, "GBP") == Decimal("2399.56")
    assert total(res.rows, "USD") == Decimal("500.00")
    assert total(res.rows, "GBP", "local_amount") == Decimal("2799.56")
    assert rows["5002"]["local_amount"] == Decimal("400.00") and rows["5002"]["local_currency"] == "GBP"
    assert rows["5010"]["amount"] == Decimal("15.00")  # 25 DR - 10 CR
    assert rows["5009"]["amount"] == Decimal("1234.56")  # "1,234.56": thousands separator
    assert rows["5001"]["posting_date"] == date(2025, 1, 15)  # 15-JAN-25
    # accrual and its auto-reversal both kept, net zero; only the reversing journal is a reversal
    assert rows["5003"]["is_reversal"] is False
    assert rows["5004"]["is_reversal"] is True and rows["5004"]["reverses_document_id"] == "5003"
    assert rows["5003"]["amount"] + rows["5004"]["amount"] == 0
    # periods: MON-YY -> month, ADJ -> last month of the fiscal year (raw kept), other names -> NULL
    assert rows["5001"]["fiscal_period"] == "2025-01"
    assert rows["5008"]["fiscal_period"] == "2025-12"
    assert rows["5008"]["description"] == "Year-end overhead [period ADJ-25]"
    assert rows["5010"]["fiscal_period"] is None and "[period P13-25]" in rows["5010"]["description"]
    assert res.warnings == [("oracle-gl-lines.csv, column 'PERIOD_NAME': period name(s) P13-25 are not MON-YY "
                            "or ADJ-YY; fiscal_period left NULL and the name kept in description")]
    assert [rows[d]["cost_type"] for d in ("5001", "5002", "5003", "5008")] == [
        "material", "travel", "subcontract", "overhead"]
    assert rows["5001"]["task_code"] == "T1" and rows["5001"]["source_system"] == "oracle"
    q = {r.source_row: r for r in res.quarantine}
    assert set(q) == {3, 7, 8, 9}
    assert "no WBS element / project" in q[3].reason
    assert q[7].column == "ACTUAL_FLAG" and "a budget line, not an actual" in q[7].reason
    assert q[8].column == "STATUS" and "not posted" in q[8].reason
    assert q[9].column == "CURRENCY_CODE" and "statistical (STAT)" in q[9].reason
    assert all(r.reason.startswith(f"oracle-gl-lines.csv, row {n}: column ") for n, r in q.items())


def test_oracle_concatenated_segments_with_segment_options():
    plain = read_oracle_gl(FIX / "oracle-gl-segments.csv")
    assert ledger(plain).rows == []  # no project column and no project_segment: not project cost
    assert any("concatenated segments" in w for w in plain.warnings)
    assert any("local_currency left NULL" in w for w in plain.warnings)
    res = ledger(read_oracle_gl(FIX / "oracle-gl-segments.csv", account_segment=2, project_segment=3,
                                local_currency="GBP"))
    assert [(r["account"], r["cost_type"], r["project_code"]) for r in res.rows] == [
        ("5100", "material", "P300"), ("5300", "travel", "P300")]
    assert total(res.rows, "GBP", "local_amount") == Decimal("420.00")
    q = {r.source_row: r for r in res.quarantine}
    assert "no WBS element / project" in q[3].reason  # segment value 0000 = no project
    assert "fewer than project_segment=3" in q[5].reason
    assert res.warnings == []


# ---- generic ---------------------------------------------------------------------------------------


def test_generic_mapping_file_and_mapping_dict_read_the_same():
    from_file = read_generic(FIX / "generic-ledger.csv", mapping_file=FIX / "generic-ledger.yaml")
    res = ledger(from_file)
    assert from_file.format == "generic-ledger-csv"
    assert total(res.rows, "GBP") == Decimal("1049.49")
    assert [r["cost_type"] for r in res.rows] == ["material", "subcontract", "other"]
    assert res.rows[0]["description"] == "Café fit-out materials"  # cp1252 file
    assert any("not valid UTF-8" in w and "Windows-1252" in w for w in res.warnings)
    assert res.rows[0]["posting_date"] == date(2026, 3, 3) and res.rows[0]["fiscal_period"] == "2026-03"
    assert res.rows[2]["fiscal_period"] is None and res.rows[2]["task_code"] is None
    assert all(r["source_system"] == "generic" and r["is_reversal"] is None for r in res.rows)
    [bad] = res.quarantine
    assert bad.source_row == 5 and bad.reason == "generic-ledger.csv, row 5: column 'Date': posting_date: " \
                                                 "required value is blank"
    mapping = {"posting_date": "date", "document_id": "DOC", "line_id": "Line", "project_code": "project",
               "task_code": "Task", "account": "Account", "amount": "Net", "currency": "Currency",
               "description": "Memo", "fiscal_period": "Period"}
    same = ledger(read_generic(FIX / "generic-ledger.csv", mapping=mapping, date_format="%d/%m/%Y",
                               decimal_separator=","))
    assert same.rows == res.rows


def test_generic_numeric_fiscal_periods_defaults_and_explicit_cost_type(tmp_path):
    p = tmp_path / "gl.csv"
    p.write_text("When,Ref,Job,Value,Type,Year,Per,Reversed\n"
                 "2026-03-31,J1,PRJ-1,100.00,Travel,2025,13,\n"
                 "2026-01-10,J2,PRJ-1,50.00,,2025,10,\n"
                 "2026-01-11,J3,PRJ-1,-50.00,,2025,10,J2\n"
                 "2026-01-12,J4,PRJ-1,5.00,fees,2025,10,\n")
    mapping = {"posting_date": "When", "document_id": "Ref", "project_code": "Job", "amount": "Value",
               "cost_type": "Type", "fiscal_year": "Year", "fiscal_period": "Per",
               "reverses_document_id": "Reversed"}
    res = ledger(read_generic(p, mapping=mapping, defaults={"currency": "GBP", "account": "5400"},
                              fiscal_calendar={"year_start_month": 4}))
    assert [(r["fiscal_period"], r["cost_type"]) for r in res.rows] == [
        ("2026-03", "travel"), ("2026-01", "overhead"), ("2026-01", "overhead")]
    assert res.rows[0]["description"] == "[fiscal period 2025/013]"
    assert res.rows[2]["reverses_document_id"] == "J2" and total(res.rows, "GBP") == Decimal("100.00")
    [bad] = res.quarantine
    assert bad.column == "Type" and "not one of labour" in bad.reason
    with pytest.raises(ValueError, match="unknown canonical column"):
        read_generic(p, mapping={"posting_dt": "When"})


# ---- helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sep", "expected"),
    [
        ("1.234,56-", ",", Decimal("-1234.56")),
        ("1,234.56-", ".", Decimal("-1234.56")),
        ("1 234,56", ",", Decimal("1234.56")),
        ("-12.5", ".", Decimal("-12.5")),
        ("(250.00)", ".", Decimal("-250.00")),
        ("1'234.50", ".", Decimal("1234.50")),
        ("12,50", "auto", Decimal("12.50")),
        ("1.234.567", "auto", Decimal(1234567)),
        (",5", ",", Decimal("0.5")),
        ("", ".", None),
        (1234.5, ".", Decimal("1234.5")),
    ],
)
def test_parse_decimal_formats(text, sep, expected):
    assert parse_decimal(text, sep) == expected


@pytest.mark.parametrize("text", ["1.234", "12,34,5", "1.2.3", "abc", "1,23.45", "--5"])
def test_parse_decimal_rejects_ambiguous_or_broken(text):
    with pytest.raises(ValueError):
        parse_decimal(text, "auto" if text == "1.234" else ".")


def test_parse_date_formats():
    assert parse_date("20260315") == parse_date("15.03.2026") == parse_date("2026-03-15 00:00:00") \
        == parse_date("15-MAR-26") == parse_date("15-Mar-2026") == parse_date("2026/03/15") == date(2026, 3, 15)
    assert parse_date("00000000") is None and parse_date("") is None
    assert parse_date("03/04/2026", "%m/%d/%Y") == date(2026, 3, 4)
    with pytest.raises(ValueError, match="ambiguous"):
        parse_date("03/04/2026")


def test_account_cost_types_longest_prefix_wins():
    assert cost_type_for("5000") == "labour" and cost_type_for("510000") == "material"
    assert cost_type_for("4000") == "other" and cost_type_for(None) is None
    custom = {"5": "other", "51": "subcontract", "5150": "material"}
    assert [cost_type_for(a, custom) for a in ("5999", "5100", "515012")] == ["other", "subcontract", "material"]


# ---- demo writer round trip ------------------------------------------------------------------------

ROUND_TRIP_COLUMNS = ["posting_date", "document_id", "line_id", "project_code", "task_code", "account",
                      "cost_type", "amount", "currency", "fiscal_period", "is_reversal",
                      "reverses_document_id", "description"]

DEMO_ROWS = [
    {"posting_date": date(2026, 1, 20), "document_id": "GL-2026-000001", "line_id": "1", "project_code": "PRJ-1",
         "task_code": "T1", "account": "5100", "cost_type": "material", "amount": Decimal("28000.00"), "currency": "GBP",
         "fiscal_period": "2026-01", "is_reversal": False, "reverses_document_id": None, "description": 'Steel; "A"'},
    {"posting_date": date(2026, 1, 20), "document_id": "GL-2026-000001", "line_id": "2", "project_code": "PRJ-1",
         "task_code": "T1", "account": "5200", "cost_type": "subcontract", "amount": Decimal("1234567.8912"),
         "currency": "GBP", "fiscal_period": "2026-01", "is_reversal": False, "reverses_document_id": None,
         "description": "Survey"},
    {"posting_date": date(2026, 2, 18), "document_id": "GL-2026-000002", "line_id": "1", "project_code": "PRJ-2",
         "task_code": None, "account": "5300", "cost_type": "travel", "amount": Decimal("410.10"), "currency": "EUR",
         "fiscal_period": None, "is_reversal": False, "reverses_document_id": None, "description": None},
    {"posting_date": date(2026, 3, 31), "document_id": "GL-2026-000003", "line_id": "1", "project_code": "PRJ-3",
         "task_code": "T9", "account": "5000", "cost_type": "labour", "amount": Decimal("0.01"), "currency": "GBP",
         "fiscal_period": "2026-03", "is_reversal": False, "reverses_document_id": None, "description": "Payroll"},
    {"posting_date": date(2026, 4, 2), "document_id": "GL-2026-000004", "line_id": "1", "project_code": "PRJ-1",
         "task_code": "T1", "account": "5100", "cost_type": "material", "amount": Decimal("-28000.00"), "currency": "GBP",
         "fiscal_period": "2026-04", "is_reversal": True, "reverses_document_id": "GL-2026-000001",
         "description": "Reversal"},
]


@pytest.mark.parametrize("style", ["gui", "table"])
def test_sap_acdoca_writer_round_trips_canonical_rows(tmp_path, style):
    p = tmp_path / f"acdoca-{style}.csv"
    assert write_sap_acdoca_csv(p, DEMO_ROWS, style=style) == 5
    assert FORMATS["sap-acdoca-csv"][0](p, p.read_bytes())
    res = ledger(read_sap_acdoca(p))
    assert res.quarantine == [] and res.warnings == []
    assert [{c: r[c] for c in ROUND_TRIP_COLUMNS} for r in res.rows] == DEMO_ROWS
    assert [r["local_amount"] for r in res.rows] == [r["amount"] for r in DEMO_ROWS]
    assert total(res.rows) == Decimal("1234978.0012")


def test_writer_round_trips_the_hand_ledger_through_an_april_calendar_and_its_own_chart(tmp_path):
    canonical = read_canonical_csv(HAND_LEDGER, "ledger")
    chart = {"5000": "labour", "5100": "subcontract", "5200": "material"}
    calendar = {"year_start_month": 4}
    p = tmp_path / "hand-acdoca.csv"
    with pytest.raises(ValueError, match="would read back as 'material'"):
        write_sap_acdoca_csv(p, canonical.rows)  # the default chart maps 5100 to material
    write_sap_acdoca_csv(p, canonical.rows, fiscal_calendar=calendar, account_cost_types=chart)
    assert ";2025;HL-6;000001;20.03.2026;012;" in p.read_text()  # March 2026 = period 12 of fiscal 2025
    res = ledger(read_sap_acdoca(p, fiscal_calendar=calendar, account_cost_types=chart))
    assert [{c: r[c] for c in ROUND_TRIP_COLUMNS} for r in res.rows] == [
        {c: r[c] for c in ROUND_TRIP_COLUMNS} for r in canonical.rows]
    assert total(res.rows) == Decimal(55880)
