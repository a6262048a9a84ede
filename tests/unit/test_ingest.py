"""Ingest: raw tables with lineage, quarantine with reasons, rows_in = loaded + quarantined."""
import gzip
import hashlib
import json
import zipfile

import duckdb
import pytest

from orchestration.contract import ENTITIES
from orchestration.pipeline import ingest as ingest_mod
from orchestration.pipeline.ingest import IngestError, latest_period, load_landing
from orchestration.pipeline.landing import SourcesConfigError, load_sources_config


def put(landing, entity, name, text):
    d = landing / entity
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    put(root, "projects", "projects.csv", "project_code,project_name,currency,score_value\nA,Alpha,GBP,3\nB,Beta,EUR,\n")
    put(root, "tasks", "tasks-2026-01.csv",
        "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
        "2026-01-31,A,T1,2026-01-01,2026-03-31,9000,10\n"
        "2026-01-31,A,T2,2026-02-01,2026-01-15,100,0\n")
    put(root, "timesheets", "ts.csv",
        "work_date,person_id,project_code,hours,entry_id\n"
        "2026-02-02,P1,A,7.5,E1\n"
        "2026-02-02,P1,A,7.5,E1\n"
        "2026-02-03,P1,A,x,E2\n")
    put(root, "notes", "readme.txt", "not an export")
    return root


def test_loads_raw_and_quarantine_with_lineage(landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    report = load_landing(landing, wh)
    ts = report.entities["timesheets"]
    assert (ts.rows_in, ts.loaded, ts.quarantined) == (3, 1, 2)
    unknown = [(f.display, f.status) for f in report.problem_files]
    assert unknown == [("landing/notes/readme.txt", "unknown")]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        # every entity has a raw table, present even when landing has no file for it
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema='raw'").fetchall()}
        assert set(ENTITIES) | {"load_log"} == tables
        assert con.execute("select count(*) from raw.ledger").fetchone()[0] == 0
        row = con.execute("select hours, _source_file, _source_row, length(_source_sha256) from raw.timesheets").fetchone()
        assert row == (7.5, "landing/timesheets/ts.csv", 2, 64)
        reasons = con.execute(
            "select _source_row, column_name, value, reason from quarantine.timesheets order by _source_row").fetchall()
        assert reasons[0] == (3, None, None, "exact duplicate of landing/timesheets/ts.csv row 2")
        assert reasons[1][:3] == (4, "hours", "x")
        assert con.execute("select score_value from raw.projects order by project_code").fetchall() == [(3.0,), (None,)]
        # rows_in = loaded + quarantined, per file, in the load log
        log = con.execute("select entity, rows_in, rows_loaded, rows_quarantined from raw.load_log "
                          "where entity = 'timesheets'").fetchone()
        assert log == ("timesheets", 3, 1, 2)
        assert con.execute("select sum(baseline_cost) from raw.tasks").fetchone()[0] == 9100
        files = con.execute("select _source_file, status, reason from quarantine.files").fetchall()
        assert files[0][:2] == ("landing/notes/readme.txt", "unknown")
        assert "no reader recognises this file" in files[0][2]
    finally:
        con.close()


def test_reload_is_idempotent(landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    load_landing(landing, wh)
    load_landing(landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("select count(*) from raw.timesheets").fetchone()[0] == 1
        assert con.execute("select count(*) from quarantine.timesheets").fetchone()[0] == 2
        assert con.execute("select count(*) from raw.projects").fetchone()[0] == 2
    finally:
        con.close()


def test_required_entities_must_have_rows(tmp_path):
    root = tmp_path / "landing"
    put(root, "projects", "p.csv", "project_code,project_name,currency\nA,Alpha,GBP\n")
    with pytest.raises(IngestError, match="tasks"):
        load_landing(root, tmp_path / "wh.duckdb")
    assert not (tmp_path / "wh.duckdb").exists()


def test_latest_period(landing):
    assert latest_period(landing) == "2026-02"


def test_archive_keeps_every_file_once_and_is_never_altered(landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    archive = tmp_path / "archive"
    load_landing(landing, wh, archive_dir=archive)
    ts = landing / "timesheets" / "ts.csv"
    original = ts.read_bytes()
    sha = hashlib.sha256(original).hexdigest()
    assert (archive / sha).read_bytes() == original
    # a corrected file under the same name replaces the earlier rows; the archive keeps both versions
    ts.write_text("work_date,person_id,project_code,hours,entry_id\n2026-02-02,P1,A,6,E1\n", encoding="utf-8")
    load_landing(landing, wh, archive_dir=archive)
    load_landing(landing, wh, archive_dir=archive)
    assert (archive / sha).read_bytes() == original
    index = [json.loads(line) for line in (archive / "index.jsonl").read_text().splitlines()]
    ts_arrivals = [r for r in index if r["landing_path"] == "landing/timesheets/ts.csv"]
    assert len(ts_arrivals) == 2 and ts_arrivals[0]["original_name"] == "ts.csv"
    assert len(index) == len({(r["sha256"], r["landing_path"]) for r in index})
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("select sum(hours) from raw.timesheets").fetchone()[0] == 6
    finally:
        con.close()


def test_compressed_files_and_the_same_content_twice(landing, tmp_path):
    csv_bytes = (landing / "timesheets" / "ts.csv").read_bytes()
    (landing / "timesheets" / "ts.csv").unlink()
    (landing / "timesheets" / "march.csv.gz").write_bytes(gzip.compress(csv_bytes))
    with zipfile.ZipFile(landing / "timesheets" / "bundle.zip", "w") as zf:
        zf.writestr("april.csv", "work_date,person_id,project_code,hours,entry_id\n2026-04-01,P1,A,4,E9\n")
        zf.writestr("copy-of-march.csv", csv_bytes)
    report = load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive")
    statuses = {f.display: f.status for f in report.files if f.display.startswith("landing/timesheets")}
    assert statuses == {
        "landing/timesheets/bundle.zip!april.csv": "loaded",
        "landing/timesheets/bundle.zip!copy-of-march.csv": "loaded",
        "landing/timesheets/march.csv.gz": "duplicate",
    }
    ts = report.entities["timesheets"]
    assert (ts.loaded, ts.quarantined) == (2, 2)


def test_project_codes_are_mapped_per_source(tmp_path):
    root = tmp_path / "landing"
    put(root, "projects", "p.csv", "project_code,project_name,currency\nPRJ-1,Alpha,GBP\n")
    put(root, "tasks", "t.csv", "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost\n"
        "2026-01-31,PRJ-1,T1,2026-01-01,2026-01-31,10\n")
    put(root, "timesheets", "jira-keys.csv", "work_date,person_id,project_code,hours\n2026-01-05,P1,ALPHA,2\n")
    (tmp_path / "sources.yaml").write_text("project_codes:\n  PRJ-1: {timesheets: ALPHA}\n")
    config = load_sources_config(tmp_path)
    load_landing(root, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive", config=config)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        assert con.execute("select project_code from raw.timesheets").fetchall() == [("PRJ-1",)]
    finally:
        con.close()


def test_sources_yaml_errors_name_the_key(tmp_path):
    (tmp_path / "sources.yaml").write_text("sources:\n  p6:\n    reader: nonsense\n")
    with pytest.raises(SourcesConfigError, match=r"sources.p6.reader 'nonsense'"):
        load_sources_config(tmp_path)


def test_a_load_that_does_not_add_up_is_refused(tmp_path, monkeypatch):
    """rows_in = loaded + quarantined is checked against the tables before the load commits."""
    import shutil
    from pathlib import Path

    from orchestration.pipeline import ingest

    hand = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(hand, landing, ignore=shutil.ignore_patterns("README.md"))
    ingest.load_landing(landing, warehouse, archive_dir=tmp_path / "archive")
    con = duckdb.connect(str(warehouse))
    assert ingest.load_log_mismatches(con) == []
    before = con.execute("SELECT count(*) FROM raw.ledger").fetchone()[0]
    con.close()

    write = ingest._write_entity

    def losing_a_row(con, entity, *args):
        write(con, entity, *args)
        if entity == "ledger":  # a row read but written nowhere
            con.execute("DELETE FROM raw.ledger WHERE _source_row = 3")

    monkeypatch.setattr(ingest, "_write_entity", losing_a_row)
    with pytest.raises(ingest.IngestError) as failed:
        ingest.load_landing(landing, warehouse, archive_dir=tmp_path / "archive")
    assert ("landing/ledger/hand-ledger.csv (ledger): rows_in 6, logged loaded 6 + quarantined 0, tables hold 5 "
            "in raw.ledger and 0 in quarantine.ledger") in str(failed.value)
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.ledger").fetchone()[0] == before == 6  # rolled back
    con.close()


@pytest.mark.parametrize(("value", "shown"), [(None, "953.6 MiB"), ("512MB", "488.2 MiB"), (" 2GiB ", "2.0 GiB")])
def test_the_ingest_connection_takes_its_memory_limit_from_the_environment(tmp_path, monkeypatch, value, shown):
    """1 GB by default (DuckDB shows 10^9 bytes as 953.6 MiB); PMO_INGEST_MEMORY_LIMIT sets another."""
    if value is None:
        monkeypatch.delenv(ingest_mod.INGEST_MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(ingest_mod.INGEST_MEMORY_ENV, value)
    con = ingest_mod._open_warehouse(tmp_path / "w.duckdb")
    try:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == (shown,)
    finally:
        con.close()


@pytest.mark.parametrize("value", ["lots", "512", "1GB; DROP TABLE raw.timesheets", "-1GB"])
def test_a_bad_ingest_memory_limit_names_the_variable(tmp_path, monkeypatch, value):
    monkeypatch.setenv(ingest_mod.INGEST_MEMORY_ENV, value)
    with pytest.raises(ValueError, match=r"PMO_INGEST_MEMORY_LIMIT=.* is not a memory size such as 512MB"):
        ingest_mod._open_warehouse(tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_a_parse_cache_left_incomplete_by_a_killed_run_is_rebuilt(landing, tmp_path):
    """A run killed while it built the parse cache could leave the cache's layout row without some of its
    tables (each statement committed on its own), and every later run then failed on the missing table.
    The cache is now built in one transaction, and a cache found incomplete is rebuilt: the next load gives
    the rows a first load gives."""
    wh = tmp_path / "wh.duckdb"
    load_landing(landing, wh)
    con = duckdb.connect(str(wh))
    try:
        # the rows and their lineage; _loaded_at is the load's own time, which the rebuild renews
        first = con.execute("SELECT * EXCLUDE (_loaded_at) FROM raw.timesheets ORDER BY _source_row").fetchall()
        con.execute("DROP TABLE ingest_cache.quality_reviews; DROP TABLE ingest_cache.timesheets")
    finally:
        con.close()
    report = load_landing(landing, wh)
    assert sorted(report.parsed) == ["landing/projects/projects.csv", "landing/tasks/tasks-2026-01.csv",
                                     "landing/timesheets/ts.csv"] and report.reused == 0  # every file parsed again
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT * EXCLUDE (_loaded_at) FROM raw.timesheets ORDER BY _source_row").fetchall() == first
        assert con.execute("SELECT count(*) FROM quarantine.timesheets").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM ingest_cache.quality_reviews").fetchone()[0] == 0
    finally:
        con.close()
