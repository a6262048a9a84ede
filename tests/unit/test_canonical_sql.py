"""The SQL fast path of the canonical reader gives exactly what the Python reader gives.

Every comparison is text against text: the Python reader's rows as the ingest writes them
(:func:`~orchestration.sources.canonical.to_text`), its quarantine records with the record JSON the ingest
stores, its warnings and kept extra columns.  A file the SQL path refuses (:class:`Fallback`) is read by
the Python reader in the ingest, so a refusal is never wrong; the tests also pin which files are refused.
"""
from __future__ import annotations

import json
import random

import pytest

from orchestration.contract import ENTITIES
from orchestration.sources.canonical import read_canonical_csv, to_text
from orchestration.sources.canonical_sql import Fallback, read_canonical_text


def python_text(path, entity: str) -> dict:
    res = read_canonical_csv(path, entity)
    cols = ENTITIES[entity].column_names + res.extra_columns
    return {
        "rows": [(r["_source_row"], *(to_text(r.get(c)) for c in cols)) for r in res.rows],
        "quarantine": [(q.source_row, q.column, q.value, q.reason,
                        json.dumps(q.record, ensure_ascii=False, sort_keys=True)) for q in res.quarantine],
        "warnings": res.warnings,
        "extra_columns": res.extra_columns,
    }


def sql_text(path, entity: str) -> dict:
    out = read_canonical_text(path, entity)
    out["rows"] = [tuple(r) for r in out["rows"]]
    out["quarantine"] = [tuple(q) for q in out["quarantine"]]
    return out


def same(path, entity: str) -> str:
    """Assert both readers agree on ``path``; returns the SQL mode used ('native', 'lines') or 'python'."""
    expected = python_text(path, entity)
    try:
        got = sql_text(path, entity)
    except Fallback:
        return "python"
    for key in ("rows", "quarantine", "warnings", "extra_columns"):
        assert got[key] == expected[key], (key, path.read_bytes()[:2000])
    return got["mode"]


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


TS = "work_date,person_id,project_code,task_code,hours,approval_status,entry_id\n"
LEDGER = "posting_date,document_id,project_code,amount,currency,is_reversal,description\n"


def test_typed_cast_failures_are_quarantined_with_the_reasons_of_the_python_reader(tmp_path):
    path = write(tmp_path, "ts.csv", TS
                 + "2026-03-02,P1,A,T1,7.5,approved,E1\n"      # 2: loads
                 + "2026-02-30,P1,A,T1,7,approved,E2\n"        # 3: not a valid date
                 + "02/03/2026,P1,A,T1,1,200,approved,E3\n"    # 4: one cell too many
                 + "2026-03-04,P1,A,T1,7;5,Approved,E4\n"      # 5: not a number
                 + "0000-03-04,,A,T1,x,maybe,E5\n"             # 6: four problems
                 + "2026-13-01,P1,A,T1,+.5e1,SUBMITTED,E6\n")  # 7: month 13
    assert same(path, "timesheets") == "native"
    got = sql_text(path, "timesheets")
    assert got["rows"] == [(2, "2026-03-02", "P1", None, "A", "T1", "7.5", None, "approved", "E1")]
    assert [q[:4] for q in got["quarantine"]] == [
        (3, "work_date", "2026-02-30", "work_date: not a valid date (day is out of range for month)"),
        (4, None, None, "row has 8 cells but the header has 7"),
        (5, "hours", "7;5", "hours: not a number (use '.' for decimals, no thousands separators)"),
        (6, "work_date, person_id, hours, approval_status", "0000-03-04 |  | x | maybe",
         "work_date: not a valid date (year 0 is out of range); person_id: required value is blank; "
         "hours: not a number (use '.' for decimals, no thousands separators); "
         "approval_status: not one of approved, submitted, rejected"),
        (7, "work_date", "2026-13-01", "work_date: not a valid date (month must be in 1..12)"),
    ]
    assert json.loads(got["quarantine"][1][4]) == {
        "approval_status": "200", "entry_id": "approved", "hours": "1", "person_id": "P1", "project_code": "A",
        "task_code": "T1", "work_date": "02/03/2026"}  # the first seven cells, as the Python reader records them


def test_money_numbers_and_booleans_keep_the_python_text(tmp_path):
    path = write(tmp_path, "l.csv", LEDGER
                 + "2026-01-31,D1,A,-1234.5678,EUR,yes,x\n"
                 + "2026-01-31,D2,A,007.50,EUR,N,x\n"
                 + "2026-01-31,D3,A,.5,EUR,0,x\n"
                 + "2026-01-31,D4,A,+5.,EUR,TRUE,x\n"
                 + "2026-01-31,D5,A,-0.00,EUR,,x\n"
                 + "2026-01-31,D6,A,1,EUR,maybe,x\n")
    assert same(path, "ledger") == "native"
    got = sql_text(path, "ledger")
    assert [(r[0], r[8], r[11]) for r in got["rows"]] == [
        (2, "-1234.5678", "true"), (3, "7.50", "false"), (4, "0.5", "false"), (5, "5", "true"), (6, "-0.00", None)]
    assert got["quarantine"][0][3] == "is_reversal: not a boolean (true/false, yes/no, 1/0)"
    number = write(tmp_path, "fx.csv", "period,from_currency,to_currency,rate\n2026-01,EUR,GBP,0.850\n"
                   "2026-02,EUR,GBP,1e2\n2026-03,EUR,GBP,-0\n2026-13,EUR,GBP,1\n")
    assert same(number, "fx_rates") == "native"
    assert [r[4] for r in sql_text(number, "fx_rates")["rows"]] == ["0.85", "100.0", "-0.0"]
    # A value raw cannot hold (1e400, or 10^14 and more) goes to the Python reader, which quarantines it.
    huge = write(tmp_path, "fx-huge.csv", "period,from_currency,to_currency,rate\n2026-04,EUR,GBP,1e400\n"
                 "2026-05,EUR,GBP,100000000000000\n2026-06,EUR,GBP,2\n")
    assert same(huge, "fx_rates") == "python"
    quarantined = python_text(huge, "fx_rates")["quarantine"]
    assert [q[:2] for q in quarantined] == [(2, "rate"), (3, "rate")]


@pytest.mark.parametrize("name,content,mode", [
    ("quoted.csv", LEDGER + '2026-01-31,D1,A,10,EUR,,"a, ""quoted"" text"\n2026-01-31,D2,A,"1,000",EUR,,x\n', "lines"),
    ("blank-lines.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1\n\n , ,\n,,,,,,\n2026-03-03,P1,A,T1,7,approved,E2\n", "lines"),
    ("trailing-blank-lines.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1\n\n\n", "native"),
    ("spaces.csv", TS + " 2026-03-02 ,P1 , A,T1,\u00a07.5\u2003,APPROVED ,E1\n", "lines"),
    ("crlf.csv", (TS + "2026-03-02,P1,A,T1,7,approved,E1\n\n2026-03-03,P1,A,T1,8,approved,E2\n").replace("\n", "\r\n"),
     "lines"),
    ("bom.csv", "\ufeff" + TS + "2026-03-02,P1,A,T1,7,approved,E1\n", "native"),
    ("no-final-newline.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1\n2026-03-03,P1,A", "native"),
    ("duplicate-header.csv", "work_date,person_id,project_code,hours,hours,Hours\n2026-03-02,P1,A,7,9,3\n"
     "2026-03-02,P1,A,x,9\n", "native"),
    ("missing-required.csv", "work_date,person_id,project_code\n2026-03-02,P1,A\n2026-03-03,P1\n", "native"),
    ("unknown-and-empty-header-cells.csv", "work_date,person_id,,project_code,hours,mood\n2026-03-02,P1,,A,7,ok\n",
     "native"),
    ("two-cells-too-many.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1,x,y\n2026-03-03,P1,A,T1,7,approved,E2\n", "lines"),
    ("non-ascii-text.csv", TS + "2026-03-02,Zoë,A,T–1,7,approved,É1\n", "native"),
    ("non-ascii-digits.csv", TS + "2026-03-02,P1,A,T1,\u0667,approved,E1\n", "python"),
    ("money-exponent.csv", LEDGER + "2026-01-31,D1,A,1.5e3,EUR,,x\n", "python"),
    ("money-exponent-in-a-bad-row.csv", LEDGER + "2026-01-31,D1,A,1.5e3,EUR,perhaps,x\n", "native"),
    ("stray-quote.csv", TS + '2026-03-02,P"1,A,T1,7,approved,E1\n', "python"),
    ("quoted-newline.csv", LEDGER + '2026-01-31,D1,A,10,EUR,,"two\nlines"\n', "python"),
    ("lone-cr.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1\r2026-03-03,P1,A,T1,7,approved,E2\n", "python"),
    ("mixed-line-ends.csv", TS + "2026-03-02,P1,A,T1,7,approved,E1\r\n2026-03-03,P1,A,T1,7,approved,E2\n", "python"),
    ("latin-1.csv", (LEDGER + "2026-01-31,D1,A,10,EUR,,Café\n").encode("cp1252"), "python"),
    ("empty.csv", "", "python"),
    ("header-only.csv", TS, "native"),
    ("blank-first-line.csv", "\n" + TS + "2026-03-02,P1,A,T1,7,approved,E1\n", "python"),
    ("huge-cell.csv", LEDGER + "2026-01-31,D1,A,10,EUR,," + "x" * 140_000 + "\n2026-01-31,D2,A,1,EUR,,y\n", "python"),
    ("control-characters.csv", LEDGER + "2026-01-31,D1,A,10,EUR,,a\x0bb\x1fc\tz\n", "lines"),
])
def test_both_readers_agree(tmp_path, name, content, mode):
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    entity = "ledger" if text.startswith(LEDGER) else "timesheets"
    assert same(write(tmp_path, name, content), entity) == mode


def test_project_scores_are_kept_as_numbers(tmp_path):
    path = write(tmp_path, "p.csv", "Project_Code,project_name,currency,score_value,score_risk,notes\n"
                 "A,Alpha,GBP,4.50,,x\nB,Beta,EUR,high,1e1,y\n")
    assert same(path, "projects") == "native"
    got = sql_text(path, "projects")
    assert got["extra_columns"] == ["score_value", "score_risk"]
    assert got["rows"][0][-2:] == ("4.5", None)
    assert got["quarantine"][0][1:4] == ("score_value", "high", "score_value: not a number (use '.' for decimals, "
                                                                 "no thousands separators)")


# --- randomised comparison -----------------------------------------------------------------------

CELLS = {
    "date": ["2026-03-02", "2024-02-29", "2023-02-29", "0000-01-01", "2026-00-10", "2026-13-01", "2026-01-32",
             "2026-1-2", "02/03/2026", "", " 2026-03-02", "2026-03-02\u00a0", "٢٠٢٦-٠٣-٠٢", "20260302", "9999-12-31"],
    "number": ["7.5", "7.50", "7", "-0", "0", "+.5", "5.", "1e3", "1E-5", "1e400", "12345678901234567890.123",
               "1,5", "x", "", " 8 ", ".", "-", "1e", "0.1", "3.0000000000000004", "1e16", "١"],
    "money": ["10", "10.00", "-1234.5678", "007.50", ".5", "5.", "+3", "-0.00", "1e3", "1,000.00", "(100)", "",
              "99999999999999.9999", "0.00001", "€5"],
    "bool": ["true", "FALSE", "Yes", "n", "1", "0", "t", "F", "maybe", "", " yes ", "ＹＥＳ"],
    "period": ["2026-01", "2026-12", "2026-13", "2026-00", "2026-1", "", "26-01", "2026-01-01"],
    "text": ["A", "PRJ-1", "", " padded ", "Zoë", "O’Brien", "a;b", "日本", "\u2003", "x y", "APPROVED", "done",
             "In_Progress", "approvéd", "Active", "0/100", "LOE", "waterfall", "İ", "K"],
}


def _random_cell(rng: random.Random, type_: str) -> str:
    pool = CELLS[type_] if rng.random() < 0.8 else CELLS[rng.choice(list(CELLS))]
    return rng.choice(pool)


def _random_file(rng: random.Random, entity: str) -> bytes:
    ent = ENTITIES[entity]
    cols = [c for c in ent.columns if c.required or rng.random() < 0.7]
    rng.shuffle(cols)
    header = [c.name if rng.random() < 0.9 else c.name.upper() for c in cols]
    if entity == "projects" and rng.random() < 0.7:
        header.append("score_" + rng.choice(["value", "risk"]))
        cols.append(None)
    if rng.random() < 0.1:
        header.append("notes")
        cols.append(None)
    if rng.random() < 0.05:
        header.append(header[0])
        cols.append(cols[0])
    lines = [",".join(header)]
    for _ in range(rng.randint(0, 25)):
        cells = [_random_cell(rng, c.type if c is not None and c.allowed is None else
                              ("text" if c is not None else "number")) for c in cols]
        for i, c in enumerate(cols):
            if c is not None and c.allowed and rng.random() < 0.7:
                value = rng.choice(c.allowed)
                cells[i] = value.upper() if rng.random() < 0.2 else value
        r = rng.random()
        if r < 0.04:
            cells = cells[:-1]
        elif r < 0.07:
            cells.append("extra")
        elif r < 0.09:
            cells = [""] * len(cells)
        lines.append(",".join(cells))
        if rng.random() < 0.03:
            lines.append(lines[-1])  # an exact duplicate row (the ingest, not the reader, quarantines it)
    text = "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if rng.random() < 0.1:
        data = b"\xef\xbb\xbf" + data
    return data


@pytest.mark.parametrize("seed", range(40))
def test_random_files_read_the_same(tmp_path, seed):
    rng = random.Random(seed)
    entity = rng.choice(sorted(ENTITIES))
    assert same(write(tmp_path, f"{entity}.csv", _random_file(rng, entity)), entity) in ("native", "lines", "python")


def test_a_file_of_more_than_a_hundred_columns_goes_to_the_python_reader(tmp_path):
    """The SQL path's memory grows with the columns (a 3,000-column file took the ingest's whole gigabyte), so
    a file wider than SQL_COLUMNS_MAX is read by the Python reader; one at the limit is still read in SQL."""
    from orchestration.sources.canonical_sql import SQL_COLUMNS_MAX, prepare

    header = "work_date,person_id,project_code,task_code,hours,entry_id"
    at_limit, over = tmp_path / "at.csv", tmp_path / "over.csv"
    for path, n in ((at_limit, SQL_COLUMNS_MAX), (over, SQL_COLUMNS_MAX + 1)):
        extras = n - 6
        path.write_text(header + "".join(f",x{i}" for i in range(extras)) + "\n"
                        + "2026-03-02,P1,A,T1,7,E1" + ",1" * extras + "\n", encoding="utf-8")
    assert SQL_COLUMNS_MAX == 100
    assert len(prepare(at_limit, "timesheets").plan.names) == 100
    with pytest.raises(Fallback, match=r"^101 columns \(the SQL path reads at most 100\)$"):
        prepare(over, "timesheets")


def _edge_space_by_search(core: bytes) -> bool:
    """The scan's first form: the separators marked, then the two-byte pairs searched (the oracle)."""
    marked = b"\n" + core.translate(bytes.maketrans(b",\r", b"\n\n")) + b"\n"
    return b"\n " in marked or b" \n" in marked


@pytest.mark.parametrize("seed", range(5))
def test_a_space_at_a_cells_edge_is_found_as_by_searching_for_it(seed):
    """canonical_sql._edge_space (numpy, from the spaces' positions) says what the search for a space beside a
    comma, CR or LF says, on random short texts of those bytes and letters, and on the edge cases."""
    from orchestration.sources.canonical_sql import _edge_space

    rng = random.Random(seed)
    cases = [b"", b" ", b"a", b" a", b"a ", b"a,b", b"a ,b", b"a, b", b"a b", b"a\r\n b", b"a \r\nb", b"a\nb c\nd"]
    cases += [bytes(rng.choice(b"ab ,\r\n") for _ in range(rng.randint(1, 12))) for _ in range(3_000)]
    found = [_edge_space(core) for core in cases]
    assert found == [_edge_space_by_search(core) for core in cases]
    assert any(found) and not all(found)
