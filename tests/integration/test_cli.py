"""The `pmo` command: exit statuses, and a blocking check that stops publication."""
from __future__ import annotations

import pytest

import hashlib
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli.main import app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
runner = CliRunner()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_usage_errors_exit_2(tmp_path):
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--period", "2026-13"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["run", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "landing" in result.output
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--bogus"])
    assert result.exit_code == 2


def test_bad_reporting_currency_setting_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PMO_REPORTING_CURRENCY", "pounds")
    result = runner.invoke(app, ["run", "--home", str(tmp_path), "--period", "2026-03"])
    assert result.exit_code == 2
    assert "PMO_REPORTING_CURRENCY" in result.output


def test_blocking_check_keeps_the_last_good_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.setenv("PMO_HOME", str(home))

    good = runner.invoke(app, ["run", "--home", str(home)])
    assert good.exit_code == 0, good.output
    serving = home / "serving.duckdb"
    pack = home / "reports" / "2026-03" / "portfolio-pack.pdf"
    parquet = home / "parquet" / "fct_earned_value.parquet"
    before = (sha(serving), sha(pack), sha(parquet))

    # A 30-hour entry breaks the timesheet suite (hours within 0-24, and the day's total). Its rules
    # quarantine the row by default; with the suite set to blocking in quality.yaml, it stops the run
    # before publishing.
    (home / "quality.yaml").write_text("severity:\n  raw_timesheets: blocking\n")
    with open(home / "landing" / "timesheets" / "hand-timesheets.csv", "a", encoding="utf-8") as fh:
        fh.write("2026-03-13,H1,Hana Example,HAND-1,T2,30,engineer,approved,HAND-TS-99\n")
    bad = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert bad.exit_code == 1, bad.output
    assert "timesheets_expectations" in bad.output
    assert "expect_column_values_to_be_between" in bad.output
    assert (sha(serving), sha(pack), sha(parquet)) == before
    # the blocked run's summary says so, and `pmo status` shows it
    summaries = sorted((home / "quality" / "2026-03").glob("*.json"), key=lambda p: p.stat().st_mtime)
    blocked = json.loads(summaries[-1].read_text())
    assert blocked["status"] == "blocked" and blocked["counts"]["failed"] >= 1
    [failed] = [c for c in blocked["checks"] if c["outcome"] == "failed"]
    assert failed["check"] == "timesheets_expectations"
    assert failed["failures"][0]["rows"][0]["file"] == "landing/timesheets/hand-timesheets.csv"
    status = runner.invoke(app, ["status", "--home", str(home), "--json"])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output)
    assert shown["periods"]["2026-03"]["status"] == "blocked"
    assert {s["source"]: s["rows_quarantined"] for s in shown["sources"]}["timesheets"] == 1

    # Once the file is corrected, the next run publishes again.
    path = home / "landing" / "timesheets" / "hand-timesheets.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if "HAND-TS-99" not in line))
    again = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert again.exit_code == 0, again.output
    assert str(serving) in again.output
    assert "1 row(s) quarantined" in again.output  # the exact duplicate timesheet row
    assert "landing/timesheets/hand-timesheets.csv: 1 → quarantine.timesheets" in again.output
    assert sha(serving) != before[0]
    # the pack's data-quality appendix: checks, quarantine and freshness per source
    from pypdf import PdfReader

    text = " ".join(PdfReader(pack).pages[-1].extract_text().split())
    assert "Data-quality appendix" in text
    assert "Checks run" in text and "Quarantined" in text
    assert "timesheets 1 10 9 1 0 landing/timesheets/hand-timesheets.csv 2026-03-11" in text, text
    published = json.loads(sorted((home / "quality" / "2026-03").glob("*.json"),
                                  key=lambda p: p.stat().st_mtime)[-1].read_text())
    assert published["status"] == "published" and published["counts"]["failed"] == 0


def test_demo_refuses_a_future_as_of(tmp_path):
    result = runner.invoke(app, ["demo", "--home", str(tmp_path), "--as-of", "2999-01"])
    assert result.exit_code == 2
    assert "in the future" in result.output


@pytest.mark.slow  # a few full runs; `make test-all` runs it (the default suite must stay well under 15 min)
def test_percent_complete_going_backwards_blocks_the_run(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    tasks = home / "landing" / "tasks" / "hand-tasks.csv"
    # Survey was 100 % complete in February; March's export says 90 % under the same baseline BL1
    tasks.write_text(tasks.read_text().replace("2026-03-31,HAND-1,T1,T0,Survey,false,percent_complete,"
                                               "2026-01-01,2026-01-31,31000,100,BL1",
                                               "2026-03-31,HAND-1,T1,T0,Survey,false,percent_complete,"
                                               "2026-01-01,2026-01-31,31000,90,BL1"))
    result = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert result.exit_code == 1, result.output
    assert "assert_percent_complete_never_goes_backwards" in result.output
    assert not (home / "serving.duckdb").exists()


@pytest.mark.slow  # a few full runs; `make test-all` runs it (the default suite must stay well under 15 min)
def test_blocking_mart_expectation_keeps_the_last_good_snapshot(tmp_path, monkeypatch):
    """A mart suite runs after dbt and before publish: a blocking mart expectation that fails stops publication."""
    import duckdb

    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    # The last published snapshot held 10 project periods up to 2026-03; this build makes 3 (HAND-1's
    # January to March), below the volume band's half of 10: fct_earned_value's suite blocks.
    serving = home / "serving.duckdb"
    con = duckdb.connect(str(serving))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_earned_value AS SELECT 'OLD-' || (i % 5) AS project_code, "
                "CASE WHEN i < 5 THEN '2026-02' ELSE '2026-03' END AS period FROM range(10) t(i)")
    con.close()
    before = sha(serving)

    result = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert result.exit_code == 1, result.output
    assert "marts/fct_earned_value · fct_earned_value_expectations" in result.output
    assert "volume (expect_table_row_count_to_be_between)" in result.output
    assert sha(serving) == before
    assert not (home / "parquet" / "fct_earned_value.parquet").exists()
    assert not (home / "reports" / "2026-03" / "portfolio-pack.pdf").exists()
    [summary_file] = (home / "quality" / "2026-03").glob("*.json")
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == "blocked"
    [failed] = [c for c in summary["checks"] if c["outcome"] == "failed"]
    assert (failed["asset"], failed["check"]) == ("marts/fct_earned_value", "fct_earned_value_expectations")
    [volume] = failed["failures"]
    assert (volume["id"], volume["sample"]) == ("volume", [3])
    # the other marts' suites ran and passed, and so did the raw ones
    passed = {c["check"] for c in summary["checks"] if c["outcome"] == "passed"}
    assert {"fct_task_earned_value_expectations", "dim_project_expectations", "timesheets_expectations"} <= passed


def test_bad_timesheet_rows_are_quarantined_and_the_run_publishes(tmp_path, monkeypatch):
    """One good entry and five bad ones (30 h, -3 h, an unknown project, an impossible date, a date after the
    status date): the good one counts in AC, the bad ones are in quarantine.timesheets with their reasons,
    and the run publishes (exit 0) with a warning that names the rows, listed in the pack's appendix."""
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    path = home / "landing" / "timesheets" / "hand-timesheets.csv"
    with open(path, "a", encoding="utf-8") as fh:   # rows 12 to 16 of the file
        fh.write("2026-03-12,H1,Hana Example,HAND-1,T2,30,engineer,approved,HAND-TS-30\n"
                 "2026-03-13,H1,Hana Example,HAND-1,T2,-3,engineer,approved,HAND-TS-31\n"
                 "2026-03-16,H1,Hana Example,NOPE-9,T2,7,engineer,approved,HAND-TS-32\n"
                 "2026-03-32,H1,Hana Example,HAND-1,T2,7,engineer,approved,HAND-TS-33\n"
                 "2099-01-05,H1,Hana Example,HAND-1,T2,7,engineer,approved,HAND-TS-34\n")

    result = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "warned" in out, out
    for rule, row in (("hours_per_entry", 12), ("hours_not_negative", 13), ("project_code_known", 14),
                      ("work_date_not_future", 16)):
        assert f"quarantined_{rule}" in out and f"landing/timesheets/hand-timesheets.csv row {row}" in out, (rule, out)

    import duckdb

    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        quarantined = con.execute("SELECT _source_row, column_name, value, reason FROM quarantine.timesheets "
                                  "ORDER BY _source_row").fetchall()
        loaded = {r[0] for r in con.execute("SELECT entry_id FROM raw.timesheets").fetchall()}
        log = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM raw.load_log "
                          "WHERE entity = 'timesheets'").fetchall()
    finally:
        con.close()
    assert [(r[0], r[1], r[2]) for r in quarantined[1:]] == [   # [0]: the fixture's exact duplicate, row 11
        (12, "hours", "30.0"), (13, "hours", "-3.0"), (14, "project_code", "NOPE-9"),
        (15, "work_date", "2026-03-32"), (16, "work_date", "2099-01-05")]
    assert quarantined[0][0] == 11 and "exact duplicate" in quarantined[0][3]
    assert [r[3].split(":")[0] for r in quarantined[1:]] == [
        "rule raw_timesheets.hours_per_entry", "rule raw_timesheets.hours_not_negative",
        "rule raw_timesheets.project_code_known", "work_date", "rule raw_timesheets.work_date_not_future"]
    assert "not a valid date" in quarantined[4][3]
    assert not {"HAND-TS-30", "HAND-TS-31", "HAND-TS-32", "HAND-TS-33", "HAND-TS-34"} & loaded
    assert log == [(15, 9, 6)]

    # the good entries alone make AC: 58,480 as worked by hand (tests/integration/test_pipeline.py)
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        ac = con.execute("SELECT ac FROM marts.fct_earned_value WHERE project_code = 'HAND-1' "
                         "AND period = '2026-03'").fetchone()[0]
    finally:
        con.close()
    assert float(ac) == 58_480

    [summary_file] = (home / "quality" / "2026-03").glob("*.json")
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == "published" and summary["counts"]["failed"] == 0
    [check] = [c for c in summary["checks"] if c["check"] == "timesheets_expectations"]
    assert check["outcome"] == "warned"
    assert {f["id"]: f["unexpected_count"] for f in check["failures"]} == {
        "quarantined_hours_per_entry": 1, "quarantined_hours_not_negative": 1,
        "quarantined_project_code_known": 1, "quarantined_work_date_not_future": 1}
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text().split()) for p in
                    PdfReader(home / "reports" / "2026-03" / "portfolio-pack.pdf").pages[-2:])
    assert "quarantined_hours_per_entry" in text and "quarantined_project_code_known" in text, text


def test_ledger_labour_outside_the_tolerance_warns_and_publishes(tmp_path, monkeypatch):
    """The ledger's labour line for HAND-1's February says 1000; the timesheets say 8h x 50 + 8h x 60 = 880.
    The gap, 120, is over 5 % of 880 (44): a warning, published, with the gap in the summary and the pack."""
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    ledger = home / "landing" / "ledger" / "hand-ledger.csv"
    ledger.write_text(ledger.read_text().replace("HL-3,1,HAND-1,T2,5000,labour,880,", "HL-3,1,HAND-1,T2,5000,labour,1000,"))

    result = runner.invoke(app, ["run", "--home", str(home), "--period", "2026-03"])
    assert result.exit_code == 0, result.output
    assert "1 check(s) warned" in result.output
    out = " ".join(result.output.split())
    assert ("assert_ledger_labour_within_tolerance: dbt test status: warn; 1 failing row(s) in "
            "dbt_test__audit.assert_ledger_labour_within_tolerance: project_code HAND-1, period 2026-02, "
            "ledger_labour 1,000.00, timesheet_labour 880.00, difference 120.00, labour_tolerance 0.05, "
            "tolerance_amount 44.00") in out, out
    assert (home / "serving.duckdb").exists()
    [summary_file] = (home / "quality" / "2026-03").glob("*.json")
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == "published"
    assert (summary["counts"]["warned"], summary["counts"]["failed"]) == (1, 0)
    [warned] = [c for c in summary["checks"] if c["outcome"] == "warned"]
    assert (warned["asset"], warned["check"], warned["failing_rows"]) == \
        ("marts/fct_earned_value", "assert_ledger_labour_within_tolerance", 1)
    assert warned["sample"] == [{"project_code": "HAND-1", "period": "2026-02", "ledger_labour": 1000.0,
                                 "timesheet_labour": 880.0, "difference": 120.0, "labour_tolerance": 0.05,
                                 "tolerance_amount": 44.0}]
    from pypdf import PdfReader

    text = " ".join(PdfReader(home / "reports" / "2026-03" / "portfolio-pack.pdf").pages[-1].extract_text().split())
    assert "assert_ledger_labour_within_tolerance" in text and "difference 120.00" in text, text


def test_docs_and_periods_on_a_home_with_nothing_built(tmp_path):
    """Before any run there is no warehouse to describe and no reported period: clear messages, no traceback."""
    docs = runner.invoke(app, ["docs", "--home", str(tmp_path), "--no-serve"])
    assert docs.exit_code == 1
    assert "does not exist yet: run `pmo run` (or `pmo demo`) first" in " ".join(docs.output.split())
    periods = runner.invoke(app, ["periods", "--home", str(tmp_path)])
    assert periods.exit_code == 0 and "No period has been reported yet" in periods.output
    shown = runner.invoke(app, ["periods", "--home", str(tmp_path), "--json"])
    assert json.loads(shown.output)["periods"] == []
    closed = runner.invoke(app, ["close", "2026-03", "--home", str(tmp_path)])
    assert closed.exit_code == 1 and "has not been published" in " ".join(closed.output.split())
