"""Incremental ingest: an unchanged file is not parsed again, a changed file replaces its rows, a removed
file takes its rows with it, and the cross-file rules give what a cold load of the same landing gives."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from orchestration.pipeline import ingest
from orchestration.pipeline.ingest import latest_period, load_landing

TS = "work_date,person_id,project_code,task_code,hours,entry_id\n"
FIRST, SECOND, THIRD = datetime(2026, 3, 1, 8), datetime(2026, 3, 2, 8), datetime(2026, 3, 3, 8)


def put(landing, rel, text):
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    put(root, "projects/projects.csv", "project_code,project_name,currency\nA,Alpha,GBP\n")
    put(root, "tasks/tasks.csv", "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost\n"
        "2026-02-28,A,T1,2026-01-01,2026-03-31,1000\n")
    put(root, "timesheets/b.csv", TS + "2026-02-02,P1,A,T1,7.5,E1\n2026-02-03,P1,A,T1,6,E2\n")
    put(root, "timesheets/d.csv", TS + "2026-02-09,P2,A,T1,8,E9\n")
    return root


def rows(wh, sql):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tables(wh, physical: bool = False) -> dict:
    """Every raw and quarantine table, all columns but the load time, in a total order (or, ``physical``,
    in the order the table holds its rows: some marts average doubles in that order)."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        out = {}
        for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                         "WHERE table_schema IN ('raw', 'quarantine') ORDER BY 1, 2").fetchall():
            cols = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                                              "AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                    if c not in ("_loaded_at", "loaded_at")]
            out[f"{schema}.{table}"] = con.execute(
                f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {schema}.{table}"
                + ("" if physical else " ORDER BY ALL")).fetchall()
        return out
    finally:
        con.close()


def same_as_cold(landing, wh, tmp_path):
    cold = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}.duckdb"
    load_landing(landing, cold, archive_dir=tmp_path / "cold-archive")
    assert tables(wh) == tables(cold)
    raw = {k: v for k, v in tables(wh, physical=True).items() if k.startswith("raw.") and k != "raw.load_log"}
    assert raw == {k: v for k, v in tables(cold, physical=True).items() if k in raw}


def test_an_unchanged_file_is_not_parsed_again(landing, tmp_path, monkeypatch):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    first = load_landing(landing, wh, archive_dir=archive, loaded_at=FIRST)
    assert sorted(first.parsed) == ["landing/projects/projects.csv", "landing/tasks/tasks.csv",
                                    "landing/timesheets/b.csv", "landing/timesheets/d.csv"]
    parses = []
    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical",
                        lambda *a, **k: parses.append(a) or pytest.fail("a cached file was parsed again"))
    again = load_landing(landing, wh, archive_dir=archive, loaded_at=SECOND)
    assert (again.parsed, again.reused, parses) == ([], 4, [])
    # nothing was rewritten: the rows and the load log keep the time they were loaded
    assert rows(wh, "SELECT DISTINCT _loaded_at FROM raw.timesheets") == [(FIRST,)]
    assert rows(wh, "SELECT DISTINCT _loaded_at FROM raw.load_log") == [(FIRST,)]
    assert rows(wh, "SELECT sum(hours), count(*) FROM raw.timesheets") == [(21.5, 3)]


def test_a_changed_file_replaces_its_rows_and_a_removed_file_takes_them_away(landing, tmp_path):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    load_landing(landing, wh, archive_dir=archive, loaded_at=FIRST)
    put(landing, "timesheets/d.csv", TS + "2026-02-09,P2,A,T1,4,E9\nnot a date,P2,A,T1,6,E10\n")
    report = load_landing(landing, wh, archive_dir=archive, loaded_at=SECOND)
    assert report.parsed == ["landing/timesheets/d.csv"]
    assert rows(wh, "SELECT _source_file, _source_row, hours, _loaded_at FROM raw.timesheets ORDER BY 1, 2") == [
        ("landing/timesheets/b.csv", 2, 7.5, FIRST), ("landing/timesheets/b.csv", 3, 6.0, FIRST),
        ("landing/timesheets/d.csv", 2, 4.0, SECOND)]
    assert rows(wh, "SELECT _source_file, _source_row, column_name, reason FROM quarantine.timesheets") == [
        ("landing/timesheets/d.csv", 3, "work_date", "work_date: not an ISO date (YYYY-MM-DD)")]
    assert rows(wh, "SELECT _source_file, rows_in, rows_loaded, rows_quarantined FROM raw.load_log "
                    "WHERE entity = 'timesheets' ORDER BY 1") == [
        ("landing/timesheets/b.csv", 2, 2, 0), ("landing/timesheets/d.csv", 2, 1, 1)]
    same_as_cold(landing, wh, tmp_path)

    (landing / "timesheets" / "b.csv").unlink()
    report = load_landing(landing, wh, archive_dir=archive, loaded_at=THIRD)
    assert report.parsed == [] and report.entities["timesheets"].files == ["landing/timesheets/d.csv"]
    assert rows(wh, "SELECT _source_file, hours, _loaded_at FROM raw.timesheets") == [
        ("landing/timesheets/d.csv", 4.0, SECOND)]
    assert rows(wh, "SELECT count(*) FROM quarantine.timesheets") == [(1,)]
    # the parse of the removed file is forgotten (its bytes stay in the archive)
    assert rows(wh, "SELECT display FROM ingest_cache.files WHERE display LIKE '%b.csv'") == []
    assert ingest.load_log_mismatches(duckdb.connect(str(wh))) == []
    same_as_cold(landing, wh, tmp_path)

    # a changed file that sorts before a file left as it was: the entity is rebuilt, so that the table keeps
    # the physical order of a cold load (file name, then row)
    put(landing, "timesheets/a.csv", TS + "2026-02-01,P1,A,T1,1,E0\n")
    load_landing(landing, wh, archive_dir=archive, loaded_at=THIRD)
    assert rows(wh, "SELECT _source_file, _loaded_at FROM raw.timesheets") == [
        ("landing/timesheets/a.csv", THIRD), ("landing/timesheets/d.csv", THIRD)]
    same_as_cold(landing, wh, tmp_path)


def test_a_large_table_takes_a_new_file_appended_whatever_its_name(landing, tmp_path, monkeypatch):
    """Beyond one row group DuckDB reads a table on several threads, so the order of its rows does not make
    the marts' sums of doubles reproducible: a new file that sorts first is appended, not rebuilt. With one
    thread the table is read in its order whatever its size, and the entity is rebuilt as for a small one."""
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    monkeypatch.setenv("PMO_DUCKDB_THREADS", "2")
    load_landing(landing, wh, archive_dir=archive, loaded_at=FIRST)
    monkeypatch.setattr(ingest, "ORDERED_ROWS_MAX", 2)  # raw.timesheets holds 3 rows: "more than a row group"
    put(landing, "timesheets/a.csv", TS + "2026-02-01,P1,A,T1,1,E0\nnot a date,P1,A,T1,2,E01\n")
    report = load_landing(landing, wh, archive_dir=archive, loaded_at=SECOND)
    assert report.parsed == ["landing/timesheets/a.csv"]
    # b.csv and d.csv are left as they were (loaded FIRST); a.csv's row comes after them
    assert rows(wh, "SELECT _source_file, _source_row, hours, _loaded_at FROM raw.timesheets") == [
        ("landing/timesheets/b.csv", 2, 7.5, FIRST), ("landing/timesheets/b.csv", 3, 6.0, FIRST),
        ("landing/timesheets/d.csv", 2, 8.0, FIRST), ("landing/timesheets/a.csv", 2, 1.0, SECOND)]
    assert rows(wh, "SELECT _source_file, _source_row, column_name FROM quarantine.timesheets") == [
        ("landing/timesheets/a.csv", 3, "work_date")]
    assert rows(wh, "SELECT _source_file, rows_in, rows_loaded, rows_quarantined FROM raw.load_log "
                    "WHERE entity = 'timesheets' ORDER BY 1") == [
        ("landing/timesheets/a.csv", 2, 1, 1), ("landing/timesheets/b.csv", 2, 2, 0),
        ("landing/timesheets/d.csv", 1, 1, 0)]
    cold = tmp_path / "cold.duckdb"
    load_landing(landing, cold, archive_dir=tmp_path / "cold-archive")
    assert tables(wh) == tables(cold)  # the same rows as a cold load, in another physical order

    monkeypatch.setenv("PMO_DUCKDB_THREADS", "1")
    put(landing, "timesheets/0.csv", TS + "2026-01-30,P1,A,T1,2,E00\n")
    load_landing(landing, wh, archive_dir=archive, loaded_at=THIRD)
    assert rows(wh, "SELECT _source_file, _source_row, _loaded_at FROM raw.timesheets") == [
        ("landing/timesheets/0.csv", 2, THIRD), ("landing/timesheets/a.csv", 2, THIRD),
        ("landing/timesheets/b.csv", 2, THIRD), ("landing/timesheets/b.csv", 3, THIRD),
        ("landing/timesheets/d.csv", 2, THIRD)]
    same_as_cold(landing, wh, tmp_path)


def test_a_duplicate_across_an_old_and_a_new_file_names_its_first_copy(landing, tmp_path):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    load_landing(landing, wh, archive_dir=archive, loaded_at=FIRST)
    # a new file sorting after b.csv repeats b.csv's row 3: the new copy is the duplicate
    put(landing, "timesheets/c.csv", TS + "2026-02-10,P3,A,T1,5,E20\n2026-02-03,P1,A,T1,6,E2\n")
    report = load_landing(landing, wh, archive_dir=archive, loaded_at=SECOND)
    assert report.parsed == ["landing/timesheets/c.csv"]
    assert rows(wh, "SELECT _source_file, _source_row, reason FROM quarantine.timesheets") == [
        ("landing/timesheets/c.csv", 3, "exact duplicate of landing/timesheets/b.csv row 3")]
    # c.csv was added and b.csv shares a duplicate key with it, so b.csv is rewritten; as d.csv sorts after it,
    # the entity is rebuilt (another entity, tasks, is left as it was)
    assert rows(wh, "SELECT DISTINCT _loaded_at FROM raw.timesheets") == [(SECOND,)]
    assert rows(wh, "SELECT DISTINCT _loaded_at FROM raw.tasks") == [(FIRST,)]
    same_as_cold(landing, wh, tmp_path)

    # a new file sorting first repeats it too: now it holds the first copy, and b.csv's row is the duplicate
    put(landing, "timesheets/a.csv", TS + "2026-02-03,P1,A,T1,6,E2\n")
    load_landing(landing, wh, archive_dir=archive, loaded_at=THIRD)
    assert rows(wh, "SELECT _source_file, _source_row, reason FROM quarantine.timesheets ORDER BY 1") == [
        ("landing/timesheets/b.csv", 3, "exact duplicate of landing/timesheets/a.csv row 2"),
        ("landing/timesheets/c.csv", 3, "exact duplicate of landing/timesheets/a.csv row 2")]
    assert rows(wh, "SELECT _source_file, rows_in, rows_loaded, rows_quarantined FROM raw.load_log "
                    "WHERE entity = 'timesheets' ORDER BY 1") == [
        ("landing/timesheets/a.csv", 1, 1, 0), ("landing/timesheets/b.csv", 2, 1, 1),
        ("landing/timesheets/c.csv", 2, 1, 1), ("landing/timesheets/d.csv", 1, 1, 0)]
    same_as_cold(landing, wh, tmp_path)

    # and when the first copy goes, b.csv's row loads again and c.csv's names b.csv
    (landing / "timesheets" / "a.csv").unlink()
    load_landing(landing, wh, archive_dir=archive)
    assert rows(wh, "SELECT _source_file, _source_row, reason FROM quarantine.timesheets") == [
        ("landing/timesheets/c.csv", 3, "exact duplicate of landing/timesheets/b.csv row 3")]
    assert rows(wh, "SELECT count(*) FROM raw.timesheets WHERE entry_id = 'E2'") == [(1,)]
    same_as_cold(landing, wh, tmp_path)


def test_new_parser_code_parses_everything_again(landing, tmp_path, monkeypatch):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    load_landing(landing, wh, archive_dir=archive)
    monkeypatch.setattr(ingest, "_FINGERPRINT", "another version of the readers")
    report = load_landing(landing, wh, archive_dir=archive)
    assert len(report.parsed) == 4 and report.reused == 0
    assert rows(wh, "SELECT count(*) FROM ingest_cache.files") == [(4,)]  # the old parses are forgotten
    same_as_cold(landing, wh, tmp_path)


def test_latest_period_reads_only_what_the_warehouse_does_not_hold(landing, tmp_path, monkeypatch):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    assert latest_period(landing, archive, warehouse=wh) == "2026-02"  # parses, and keeps the parses
    parses = []
    real = ingest.canonical_sql.insert_canonical
    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical", lambda con, files, *a, **k: parses.extend(
        p.path.name for _, p in files) or real(con, files, *a, **k))
    report = load_landing(landing, wh, archive_dir=archive)
    assert (report.parsed, parses) == ([], [])
    put(landing, "timesheets/e.csv", TS + "2026-03-02,P1,A,T1,7,E30\nbad,P1,A,T1,7,E31\n")
    assert latest_period(landing, archive, warehouse=wh) == "2026-03"
    assert parses == ["e.csv"]
    # without the warehouse the dated files are parsed into a scratch database; rows that fail the contract
    # do not count
    put(landing, "ledger/l.csv", "posting_date,document_id,project_code,amount,currency\n2026-05-31,D1,A,x,GBP\n")
    assert latest_period(landing, tmp_path / "other-archive") == "2026-03"


def test_raw_tables_changed_behind_the_ingest_are_rebuilt(landing, tmp_path):
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    load_landing(landing, wh, archive_dir=archive, loaded_at=FIRST)
    con = duckdb.connect(str(wh))
    con.execute("DELETE FROM raw.timesheets WHERE entry_id = 'E9'")  # e.g. another version of the ingest
    con.close()
    load_landing(landing, wh, archive_dir=archive, loaded_at=SECOND)
    assert rows(wh, "SELECT entry_id, _loaded_at FROM raw.timesheets ORDER BY 1") == [
        ("E1", SECOND), ("E2", SECOND), ("E9", SECOND)]
    assert rows(wh, "SELECT DISTINCT _loaded_at FROM raw.tasks") == [(FIRST,)]  # other entities untouched
    same_as_cold(landing, wh, tmp_path)


def test_a_unit_out_of_memory_beside_another_is_parsed_again_alone(landing, tmp_path, monkeypatch, caplog):
    """DuckDB's memory limit is the ingest connection's, shared by the files parsed at once: a unit that runs
    out of it (here after its rows were written, as when the check of its row count fails) has those rows
    deleted and is parsed again alone, and the tables are those of a load that never ran out."""
    real, calls = ingest.canonical_sql.insert_canonical, []

    def once_out_of_memory(con, files, target, *args, **kwargs):
        outcome = real(con, files, target, *args, **kwargs)
        calls.append(target)
        if target.endswith(".timesheets") and calls.count(target) == 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 2.0 KiB")
        return outcome

    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical", once_out_of_memory)
    wh = tmp_path / "wh.duckdb"
    with caplog.at_level("WARNING", logger=ingest.__name__):
        load_landing(landing, wh, archive_dir=tmp_path / "archive", loaded_at=FIRST)
    assert calls.count("ingest_cache.timesheets") == 2
    assert ("DuckDB ran out of memory parsing landing/timesheets/b.csv, landing/timesheets/d.csv beside other "
            "files; parsing it again alone") in caplog.text
    assert rows(wh, "SELECT sum(hours), count(*) FROM raw.timesheets") == [(21.5, 3)]
    assert rows(wh, "SELECT count(*) FROM ingest_cache.timesheets") == [(3,)]
    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical", real)
    same_as_cold(landing, wh, tmp_path)


def test_a_unit_out_of_memory_alone_is_read_by_the_python_reader(landing, tmp_path, monkeypatch, caplog):
    """Parsed again alone and out of memory again: its files are read by the Python reader (which does not use
    DuckDB's memory), so the load still gives what a load that never ran out gives."""
    real = ingest.canonical_sql.insert_canonical

    def timesheets_out_of_memory(con, files, target, *args, **kwargs):
        if target.endswith(".timesheets"):
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 2.0 KiB")
        return real(con, files, target, *args, **kwargs)

    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical", timesheets_out_of_memory)
    wh = tmp_path / "wh.duckdb"
    with caplog.at_level("WARNING", logger=ingest.__name__):
        load_landing(landing, wh, archive_dir=tmp_path / "archive", loaded_at=FIRST)
    assert ("DuckDB ran out of memory parsing landing/timesheets/b.csv, landing/timesheets/d.csv alone; the Python "
            "reader reads it") in caplog.text
    assert rows(wh, "SELECT parser, count(*) FROM ingest_cache.files WHERE display LIKE '%timesheets%' "
                    "GROUP BY 1") == [("python", 2)]
    assert rows(wh, "SELECT sum(hours), count(*) FROM raw.timesheets") == [(21.5, 3)]
    monkeypatch.setattr(ingest.canonical_sql, "insert_canonical", real)
    same_as_cold(landing, wh, tmp_path)
