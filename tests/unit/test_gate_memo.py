"""The raw gate's verdicts remembered by the content of what each suite reads (orchestration/pipeline/gate_memo.py):
a suite runs again exactly when one of its tables, its definition, its parameters or the code changed, and a
remembered outcome reads as the computed one."""
from __future__ import annotations

import duckdb
import pytest

from orchestration.pipeline import quality as Q
from orchestration.pipeline.gate_memo import GateMemo, tables_read
from orchestration.pipeline.ingest import load_landing
from orchestration.pipeline.row_rules import RowRules
from orchestration.settings import QualitySettings
from orchestration.warehouse import table_fingerprint

FILES = {
    "projects/projects.csv": "project_code,project_name,currency\nA,Alpha,GBP\n",
    "tasks/tasks.csv": "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
                       "2026-03-31,A,T1,2026-01-01,2026-06-30,1000,10\n",
    "rates/rates.csv": "person_id,role,valid_from,hourly_cost,currency\nP1,,2025-01-01,50,GBP\n",
    "ledger/gl.csv": "posting_date,document_id,line_id,project_code,cost_type,amount,currency\n"
                     "2026-03-02,D1,1,A,material,100,GBP\n",
    # E2 twice: the uniqueness expectation fails (blocking), with a sample of rows
    "timesheets/ts.csv": "work_date,person_id,project_code,task_code,hours,entry_id\n"
                         "2026-03-02,P1,A,T1,8,E1\n2026-03-03,P1,A,T1,7.5,E2\n2026-03-04,P1,A,T1,6,E2\n",
}
ENTITIES = ("projects", "tasks", "rates", "ledger", "timesheets")


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture()
def home(tmp_path):
    write(tmp_path / "landing", FILES)
    return tmp_path


def load(home):
    load_landing(home / "landing", home / "wh.duckdb", archive_dir=home / "archive", rules=RowRules(period="2026-03"))


def gate(home, monkeypatch, period="2026-03", quality=None, memo=True):
    """Each entity's outcome, and the suites that were evaluated (not taken from the memo)."""
    evaluated = []
    real = Q.validate_relation

    def counted(relation, suite_name, *args, **kwargs):
        evaluated.append(suite_name)
        return real(relation, suite_name, *args, **kwargs)

    monkeypatch.setattr(Q, "validate_relation", counted)
    kept = GateMemo(home / "gate-memo.json") if memo else None
    con = duckdb.connect(str(home / "wh.duckdb"), read_only=True)
    try:
        outcomes = {e: Q.run_raw_suite(e, con, period, quality, memo=kept) for e in ENTITIES}
    finally:
        con.close()
    if kept is not None:
        kept.save()
    monkeypatch.setattr(Q, "validate_relation", real)
    return outcomes, sorted(s.removeprefix("raw_") for s in evaluated)


def test_suites_whose_tables_did_not_change_are_not_run_again(home, monkeypatch):
    load(home)
    first, ran = gate(home, monkeypatch)
    assert ran == sorted(ENTITIES)
    failed = first["timesheets"].blocking_failures
    assert [(f.expectation, f.unexpected_count) for f in failed] == [("expect_column_values_to_be_unique", 2)]
    assert [r["row"] for r in failed[0].rows] == [3, 4]  # the file's lines, the header being line 1

    load(home)  # the same files again: the rows are rewritten, with a new load time
    second, ran = gate(home, monkeypatch)
    assert ran == []
    for entity in ENTITIES:
        assert second[entity].summary() == first[entity].summary()
        assert [f.as_dict() for f in second[entity].failures] == [f.as_dict() for f in first[entity].failures]
        assert (second[entity].rows, second[entity].evaluated) == (first[entity].rows, first[entity].evaluated)
    assert second["timesheets"].status == "failed"


def test_a_changed_table_runs_again_its_suite_and_the_suites_that_read_it(home, monkeypatch):
    load(home)
    gate(home, monkeypatch)
    # a second rate: raw.rates changed, which the rates suite reads and the timesheets' gate view looks up
    write(home / "landing", {"rates/rates.csv": FILES["rates/rates.csv"] + "P2,,2025-01-01,60,GBP\n"})
    load(home)
    _, ran = gate(home, monkeypatch)
    assert ran == ["rates", "timesheets"]
    # the duplicate entry mended: only the timesheets suite runs, and it passes
    write(home / "landing", {"timesheets/ts.csv": FILES["timesheets/ts.csv"].replace("6,E2", "6,E3")})
    load(home)
    outcomes, ran = gate(home, monkeypatch)
    assert ran == ["timesheets"]
    assert outcomes["timesheets"].status == "passed"


def test_other_parameters_or_settings_run_the_suites_they_change(home, monkeypatch):
    # a schedule statused in the future: the tasks suite's date horizon (today for a past period) fails it
    write(home / "landing", {"tasks/tasks.csv": FILES["tasks/tasks.csv"].replace("2026-03-31", "2099-03-31")})
    load(home)
    outcomes, ran = gate(home, monkeypatch)
    assert ran == sorted(ENTITIES)
    assert [f.id for f in outcomes["tasks"].blocking_failures] == ["status_date_not_future"]
    # another past period: the horizon is still today, nothing runs again and the failure stays
    outcomes, ran = gate(home, monkeypatch, period="2026-04")
    assert ran == []
    assert [f.id for f in outcomes["tasks"].blocking_failures] == ["status_date_not_future"]
    # a period ending after that date moves the horizon past it: the tasks suite runs again and passes; the
    # ledger's and timesheets' dates were before both horizons, so their verdicts cannot change
    outcomes, ran = gate(home, monkeypatch, period="2099-12")
    assert ran == ["tasks"]
    assert outcomes["tasks"].status == "passed"
    _, ran = gate(home, monkeypatch, period="2099-12")
    assert ran == []
    # a quality setting that switches an expectation off changes that suite's definition only
    quality = QualitySettings(severity=(("raw_timesheets.entry_id_unique", "off"),))
    outcomes, ran = gate(home, monkeypatch, period="2099-12", quality=quality)
    assert ran == ["timesheets"]
    assert outcomes["timesheets"].status == "passed"
    # the daily maximum is a parameter of the timesheets suite only
    quality = QualitySettings(severity=quality.severity, max_daily_hours=7.0)
    outcomes, ran = gate(home, monkeypatch, period="2099-12", quality=quality)
    assert ran == ["timesheets"]
    assert [f.id for f in outcomes["timesheets"].failures] == ["daily_hours"]


def test_no_memo_a_damaged_one_or_the_switch_off_runs_every_suite(home, monkeypatch):
    load(home)
    _, ran = gate(home, monkeypatch, memo=False)
    assert ran == sorted(ENTITIES)
    assert not (home / "gate-memo.json").exists()
    (home / "gate-memo.json").write_text("{not json")
    _, ran = gate(home, monkeypatch)
    assert ran == sorted(ENTITIES)
    monkeypatch.setenv("PMO_GATE_MEMO", "off")
    _, ran = gate(home, monkeypatch)
    assert ran == sorted(ENTITIES)
    monkeypatch.delenv("PMO_GATE_MEMO")
    _, ran = gate(home, monkeypatch)
    assert ran == []


def test_the_tables_a_statement_names():
    assert tables_read('SELECT t.* FROM raw."timesheets" AS t LEFT JOIN (SELECT 1 FROM raw.timesheets) AS d',
                       "SELECT person_id FROM raw.rates WHERE role IS NULL", "SELECT 1 FROM marts.x") == [
        "rates", "timesheets"]


def test_a_mart_suite_runs_again_when_its_mart_period_or_published_volume_changed(tmp_path, monkeypatch):
    """fct_project_status: a purple RAG fails a blocking expectation; the memo gives the failure back while the
    mart, the run's period (its rows must not be after it) and the published row count stay."""
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_project_status AS SELECT * FROM (VALUES "
                "('A', '2026-02', DATE '2026-02-28', 'v1', 'green', 'purple'), "
                "('A', '2026-03', DATE '2026-03-31', 'v1', 'red', 'green')) "
                "AS t(project_code, period, status_date, rule_version, rag_cost, rag_overall)")
    con.close()
    evaluated = []
    real = Q.validate_relation
    monkeypatch.setattr(Q, "validate_relation", lambda relation, suite, *a, **k: (evaluated.append(suite),
                                                                                  real(relation, suite, *a, **k))[1])

    def gate(period, serving_path=None):
        evaluated.clear()
        memo = GateMemo(tmp_path / "gate-memo.json")
        with duckdb.connect(str(warehouse), read_only=True) as wh:
            outcome = Q.run_mart_suite("fct_project_status", wh, period, serving=serving_path, memo=memo)
        memo.save()
        return outcome, list(evaluated)

    def purple(outcome):  # the RAG outside its values (the columns the table lacks fail too)
        return [f.sample for f in outcome.blocking_failures
                if f.column == "rag_overall" and f.expectation == "expect_column_values_to_be_in_set"]

    first, ran = gate("2026-03")
    assert ran == ["mart_fct_project_status"]
    assert purple(first) == [["purple"]]
    second, ran = gate("2026-03")
    assert ran == [] and second.summary() == first.summary()
    # a period before the mart's last: its rows after the run now fail, so the suite runs again
    third, ran = gate("2026-02")
    assert ran == ["mart_fct_project_status"]
    assert "_period_not_after_run" in [f.column for f in third.blocking_failures]
    # a published snapshot with fewer rows sets a volume band
    con = duckdb.connect(str(serving))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_project_status AS SELECT * FROM (VALUES ('A', '2026-02', DATE '2026-02-28', "
                "'v1', 'green', 'green')) AS t(project_code, period, status_date, rule_version, rag_cost, rag_overall)")
    con.close()
    _, ran = gate("2026-03", serving)
    assert ran == ["mart_fct_project_status"]
    _, ran = gate("2026-03", serving)
    assert ran == []
    # a row of the mart changed
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE marts.fct_project_status SET rag_overall = 'amber' WHERE period = '2026-02'")
    outcome, ran = gate("2026-03", serving)
    assert ran == ["mart_fct_project_status"]
    assert purple(outcome) == []


def test_a_column_of_another_type_with_the_same_values_runs_the_suite_again(home, monkeypatch):
    """The fingerprint hashes values, and DuckDB hashes 1 as INTEGER and as BIGINT alike; a suite's type checks read
    the column's type, so the view's types are part of the key."""
    load(home)
    gate(home, monkeypatch)
    with duckdb.connect(str(home / "wh.duckdb")) as con:
        assert con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = 'raw' AND "
                           "table_name = 'timesheets' AND column_name = '_source_row'").fetchone()[0] == "INTEGER"
        before = table_fingerprint(con, "raw", "timesheets")
        con.execute("ALTER TABLE raw.timesheets ALTER _source_row TYPE BIGINT")
        assert table_fingerprint(con, "raw", "timesheets") == before
    _, ran = gate(home, monkeypatch)
    assert ran == ["timesheets"]
