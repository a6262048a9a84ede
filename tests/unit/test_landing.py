"""The landing zone with vendor exports: a malformed file never stops the others from loading."""
import shutil
from pathlib import Path

import duckdb

from orchestration.pipeline.ingest import load_landing
from orchestration.pipeline.landing import load_sources_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_truncated_xer_keeps_its_rows_and_does_not_stop_the_other_files(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "hand_project", landing, ignore=shutil.ignore_patterns("README.md"))
    (landing / "p6").mkdir()
    shutil.copy(FIXTURES / "sources" / "xer" / "truncated.xer", landing / "p6" / "truncated.xer")
    (landing / "p6" / "unreadable.zip").write_bytes(b"PK\x03\x04 not really a zip")
    report = load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive")

    xer = next(f for f in report.files if f.display == "landing/p6/truncated.xer")
    assert xer.format == "p6-xer" and xer.status == "loaded"
    assert "ends at line 16 without the %E end marker" in xer.message
    broken = next(f for f in report.files if f.display == "landing/p6/unreadable.zip")
    assert broken.status == "error" and "cannot decompress" in broken.message

    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        # the hand project's canonical files all loaded
        assert con.execute("select count(*) from raw.timesheets").fetchone()[0] == 9
        assert con.execute("select count(*) from raw.tasks where project_code = 'HAND-1'").fetchone()[0] == 12
        # the truncated XER: two activities kept, the cut row quarantined with its line
        assert con.execute("select count(*) from raw.tasks where _source_file = 'landing/p6/truncated.xer'"
                           ).fetchone()[0] == 2
        q = con.execute("select _source_row, reason from quarantine.tasks "
                        "where _source_file = 'landing/p6/truncated.xer'").fetchall()
        assert q == [(16, "truncated.xer: line 16: cut short: the file ends in the middle of this TASK row")]
        files = dict(con.execute("select _source_file, status from quarantine.files").fetchall())
        assert files == {"landing/p6/truncated.xer": "loaded", "landing/p6/unreadable.zip": "error"}
    finally:
        con.close()


def test_sources_yaml_names_the_reader_and_status_date(tmp_path):
    landing = tmp_path / "landing"
    (landing / "projects").mkdir(parents=True)
    (landing / "projects" / "p.csv").write_text("project_code,project_name,currency\nPRJ-9,Nine,GBP\n")
    (landing / "plans").mkdir()
    shutil.copy(FIXTURES / "sources" / "xer" / "no_currency_no_data_date.xer", landing / "plans" / "plan.xer")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  plans:\n    reader: p6-xer\n    status_date: 2026-02-28\n    options: {currency: GBP}\n")
    config = load_sources_config(tmp_path)
    load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive", config=config)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        dates = con.execute("select distinct status_date::varchar from raw.tasks").fetchall()
        assert dates == [("2026-02-28",)]
    finally:
        con.close()


def test_a_transient_read_error_is_tried_again_with_backoff(tmp_path, monkeypatch):
    """A share that times out twice on one file: ingest waits 0.5 s, then 1 s, and loads every row."""
    import errno

    from orchestration.pipeline import landing as landing_module

    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "hand_project", landing, ignore=shutil.ignore_patterns("README.md"))
    real, failures, waits = landing_module._sha256, [], []

    def flaky(path):
        if path.name == "hand-timesheets.csv" and len(failures) < 2:
            failures.append(path)
            raise OSError(errno.ETIMEDOUT, "Connection timed out", str(path))
        return real(path)

    monkeypatch.setattr(landing_module, "_sha256", flaky)
    monkeypatch.setattr(landing_module.time, "sleep", waits.append)
    report = load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive")
    assert len(failures) == 2 and waits == [0.5, 1.0]
    assert not report.problem_files
    assert report.entities["timesheets"].rows_in == 10 and report.entities["timesheets"].loaded == 9


def test_a_file_that_stays_unreadable_is_reported_and_the_others_load(tmp_path, monkeypatch):
    """Four timeouts in a row: the file is recorded in quarantine.files with the reason; a missing file
    (not transient) is never retried."""
    import errno

    import pytest

    from orchestration.pipeline import landing as landing_module

    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "hand_project", landing, ignore=shutil.ignore_patterns("README.md"))
    real, waits = landing_module._sha256, []

    def dead(path):
        if path.name == "hand-ledger.csv":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real(path)

    monkeypatch.setattr(landing_module, "_sha256", dead)
    monkeypatch.setattr(landing_module.time, "sleep", waits.append)
    report = load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive")
    assert waits == [0.5, 1.0, 2.0]
    [problem] = report.problem_files
    assert problem.display == "landing/ledger/hand-ledger.csv" and problem.status == "error"
    assert "cannot be read" in problem.message and "Input/output error" in problem.message
    assert report.entities["timesheets"].loaded == 9 and report.entities["ledger"].loaded == 0

    calls = []

    def missing():
        calls.append(1)
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    with pytest.raises(FileNotFoundError):
        landing_module.with_retries(missing, "gone.csv")
    assert calls == [1]
