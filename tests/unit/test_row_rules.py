"""Row rules of the additive facts (orchestration/pipeline/row_rules.py): which rows move, in which order, with which
reason; re-decided on every ingest; blocking still available."""
from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.pipeline.ingest import load_landing
from orchestration.pipeline.quality import run_raw_suite
from orchestration.pipeline.row_rules import RowRules
from orchestration.settings import QualitySettings, SettingsError, load_quality_settings

TS = "work_date,person_id,project_code,task_code,hours,entry_id\n"
BASE = {
    "projects/projects.csv": "project_code,project_name,currency\nA,Alpha,GBP\n",
    "tasks/tasks.csv": "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
                       "2026-03-31,A,T1,2026-01-01,2026-06-30,1000,10\n",
    "rates/rates.csv": "person_id,role,valid_from,hourly_cost,currency\nP1,,2025-01-01,50,GBP\n",
    "ledger/gl.csv": "posting_date,document_id,line_id,project_code,cost_type,amount,currency\n"
                     "2026-03-02,D1,1,A,material,100,GBP\n2026-03-03,D2,1,B,material,40,GBP\n"
                     "2026-03-04,D3,1,A,material,7,XYZ\n",
}


def landing(tmp_path, timesheets: str, projects: str | None = None):
    root = tmp_path / "landing"
    for name, text in {**BASE, "timesheets/ts.csv": TS + timesheets}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if projects:
        (root / "projects/projects.csv").write_text(projects)
    return root


def tables(wh):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        raw = con.execute("SELECT entry_id, hours FROM raw.timesheets ORDER BY _source_row").fetchall()
        quarantined = con.execute("SELECT _source_row, reason, record FROM quarantine.timesheets "
                                  "ORDER BY _source_row").fetchall()
        ledger = con.execute("SELECT document_id FROM raw.ledger ORDER BY 1").fetchall()
        ledger_q = con.execute("SELECT value, reason FROM quarantine.ledger ORDER BY _source_row").fetchall()
        log = con.execute("SELECT entity, rows_in, rows_loaded, rows_quarantined FROM raw.load_log "
                          "WHERE entity IN ('timesheets', 'ledger') ORDER BY 1").fetchall()
    finally:
        con.close()
    return raw, quarantined, ledger, ledger_q, log


def test_rules_run_in_order_so_the_good_entry_of_a_bad_day_stays(tmp_path):
    """30 h and 8 h on one day: the 30 h entry goes by hours_per_entry, then the day holds 8 h and the 8 h
    entry stays. 14 h + 12 h on another day break only the daily total: both go."""
    root = landing(tmp_path, "2026-03-02,P1,A,T1,30,E1\n2026-03-02,P1,A,T1,8,E2\n"
                             "2026-03-03,P1,A,T1,14,E3\n2026-03-03,P1,A,T1,12,E4\n2026-03-04,P1,A,T1,7.5,E5\n")
    wh = tmp_path / "wh.duckdb"
    report = load_landing(root, wh, archive_dir=tmp_path / "archive", rules=RowRules(period="2026-03"))
    raw, quarantined, ledger, ledger_q, log = tables(wh)
    assert raw == [("E2", 8.0), ("E5", 7.5)]
    assert [(r, reason.split(":")[0]) for r, reason, _ in quarantined] == [
        (2, "rule raw_timesheets.hours_per_entry"), (4, "rule raw_timesheets.daily_hours"),
        (5, "rule raw_timesheets.daily_hours")]
    assert json.loads(quarantined[0][2]) == {"entry_id": "E1", "hours": "30.0", "person_id": "P1",
                                             "project_code": "A", "task_code": "T1", "work_date": "2026-03-02"}
    # ledger: an unknown project and an unknown currency, each with its rule
    assert ledger == [("D1",)]
    assert [(v, reason.split(":")[0]) for v, reason in ledger_q] == [
        ("B", "rule raw_ledger.project_code_known"), ("XYZ", "rule raw_ledger.currency_known")]
    assert log == [("ledger", 3, 1, 2), ("timesheets", 5, 2, 3)]
    assert report.ruled == {"timesheets": {"hours_per_entry": 1, "daily_hours": 2},
                            "ledger": {"currency_known": 1, "project_code_known": 1}}
    assert (report.entities["timesheets"].loaded, report.entities["timesheets"].quarantined) == (2, 3)
    # the gate passes on the rules and warns, naming the rows
    outcome = run_raw_suite("timesheets", wh, "2026-03")
    assert outcome.status == "warned" and outcome.success
    warned = {f.id: (f.unexpected_count, [r["row"] for r in f.rows]) for f in outcome.failures}
    assert warned == {"quarantined_hours_per_entry": (1, [2]), "quarantined_daily_hours": (2, [4, 5])}


#: P1's 2 March: 16 h + 12 h - 6 h (22 h until the negative entry goes), and an ordinary 4 March.
NEGATIVE_DAY = ("2026-03-02,P1,A,T1,16,E1\n2026-03-02,P1,A,T1,12,E2\n2026-03-02,P1,A,T1,-6,E3\n"
                "2026-03-04,P1,A,T1,7.5,E4\n")


def _load_days(tmp_path, more: str = ""):
    """Load NEGATIVE_DAY and ``more`` timesheet lines with the rules: the raw rows, (row, rule) of each
    quarantined row, and the ingest report."""
    wh = tmp_path / "wh.duckdb"
    report = load_landing(landing(tmp_path, NEGATIVE_DAY + more), wh, archive_dir=tmp_path / "archive",
                          rules=RowRules(period="2026-03"))
    raw, quarantined, *_ = tables(wh)
    return raw, [(row, reason.split(":")[0]) for row, reason, _ in quarantined], report


def test_a_day_that_breaks_only_once_a_negative_entry_is_gone_is_still_caught(tmp_path, monkeypatch):
    """16 h + 12 h - 6 h: 22 h on the day when the rules first look, so no row breaks the daily total then; the
    -6 h entry goes by hours_not_negative, the day then holds 28 h, and both entries go by the daily total.
    Rules no row broke in the first scan are not run again, except such a total after rows moved."""
    import orchestration.pipeline.row_rules as row_rules

    ran: list[str] = []
    move = row_rules._move

    def recorded(con, entity, suite, c, at, relation, **kwargs):
        # where each rule looked: the rows that broke a rule in the first scan, or the gate view (on the groups
        # of a person's day named, or every row)
        where = "breaking" if relation == "_breaking" else ("groups" if kwargs.get("restrict") else "all")
        ran.append(f"{entity}.{c.meta['id']} ({where})")
        return move(con, entity, suite, c, at, relation, **kwargs)

    monkeypatch.setattr(row_rules, "_move", recorded)
    raw, quarantined, report = _load_days(tmp_path)
    assert raw == [("E4", 7.5)]
    assert quarantined == [(2, "rule raw_timesheets.daily_hours"), (3, "rule raw_timesheets.daily_hours"),
                           (4, "rule raw_timesheets.hours_not_negative")]
    assert report.ruled["timesheets"] == {"hours_not_negative": 1, "daily_hours": 2}
    # only the rules some row broke (the ledger's unknown project B and currency XYZ) and the daily total after the
    # move; the timesheets' other rules, and the ledger's, were not run again
    assert ran == ["timesheets.hours_not_negative (breaking)", "timesheets.daily_hours (groups)",
                   "ledger.currency_known (breaking)", "ledger.project_code_known (breaking)"]


@pytest.mark.parametrize("groups_max", [0, 500])
def test_a_day_total_checked_on_the_days_it_names_or_on_every_row_moves_the_same_rows(tmp_path, monkeypatch,
                                                                                     groups_max):
    """Two days over 24 h (one only once its negative entry is gone): the daily total checked again on the
    days named (the moved row's and the one it rejected in the first scan), or, with more days than GROUPS_MAX,
    on the whole table: the same rows move."""
    import orchestration.pipeline.row_rules as row_rules

    monkeypatch.setattr(row_rules, "GROUPS_MAX", groups_max)
    raw, quarantined, report = _load_days(tmp_path, "2026-03-05,P2,A,T1,20,E5\n2026-03-05,P2,A,T1,5,E6\n")
    assert raw == [("E4", 7.5)]
    assert quarantined == [(2, "rule raw_timesheets.daily_hours"), (3, "rule raw_timesheets.daily_hours"),
                           (4, "rule raw_timesheets.hours_not_negative"), (6, "rule raw_timesheets.daily_hours"),
                           (7, "rule raw_timesheets.daily_hours")]
    assert report.ruled["timesheets"] == {"hours_not_negative": 1, "daily_hours": 4}


def test_rules_are_decided_again_on_every_ingest(tmp_path):
    """Hours for project B are quarantined until B joins the register; then they load, unchanged file."""
    root = landing(tmp_path, "2026-03-02,P1,A,T1,8,E1\n2026-03-02,P1,B,,4,E2\n")
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    load_landing(root, wh, archive_dir=archive, rules=RowRules(period="2026-03"))
    assert tables(wh)[0] == [("E1", 8.0)]
    load_landing(root, wh, archive_dir=archive, rules=RowRules(period="2026-03"))   # nothing changed
    raw, quarantined, *_ = tables(wh)
    assert raw == [("E1", 8.0)] and len(quarantined) == 1
    (root / "projects/projects.csv").write_text("project_code,project_name,currency\nA,Alpha,GBP\nB,Beta,GBP\n")
    load_landing(root, wh, archive_dir=archive, rules=RowRules(period="2026-03"))
    raw, quarantined, _, _, log = tables(wh)
    assert raw == [("E1", 8.0), ("E2", 4.0)] and quarantined == []
    assert ("timesheets", 2, 2, 0) in log


def test_blocking_keeps_the_rows_and_stops_the_gate(tmp_path):
    root = landing(tmp_path, "2026-03-02,P1,A,T1,-3,E1\n2026-03-03,P1,A,T1,8,E2\n")
    wh = tmp_path / "wh.duckdb"
    quality = QualitySettings(severity=(("raw_timesheets.hours_not_negative", "blocking"),))
    load_landing(root, wh, archive_dir=tmp_path / "archive", rules=RowRules(period="2026-03", quality=quality))
    assert tables(wh)[0] == [("E1", -3.0), ("E2", 8.0)]
    outcome = run_raw_suite("timesheets", wh, "2026-03", quality)
    assert outcome.status == "failed" and [f.id for f in outcome.blocking_failures] == ["hours_not_negative"]


@pytest.mark.parametrize("text", ["severity: {raw_tasks.percent_complete_range: quarantine}",
                                  "severity: {raw_timesheets: quarantine}"])
def test_quarantine_is_only_for_a_rule_of_the_additive_facts(tmp_path, text):
    (tmp_path / "quality.yaml").write_text(text)
    with pytest.raises(SettingsError, match="quarantine, which applies to one expectation of raw_timesheets"):
        load_quality_settings(tmp_path)


def test_a_large_table_takes_the_ruled_rows_back_without_a_rebuild(tmp_path, monkeypatch):
    """Beyond one row group (read on several threads, so the order of its rows does not matter), a load after one
    whose rules moved rows puts those rows back from the parse cache, with their file's load time, instead of
    rebuilding the entity; the rules then decide again. The tables hold what a cold load gives."""
    from datetime import datetime

    from orchestration.pipeline import ingest

    first, second, third = datetime(2026, 3, 1, 8), datetime(2026, 3, 2, 8), datetime(2026, 3, 3, 8)
    monkeypatch.setenv("PMO_DUCKDB_THREADS", "2")
    monkeypatch.setattr(ingest, "ORDERED_ROWS_MAX", 1)
    rebuilt: list[str] = []
    rebuild = ingest._rebuild_entity
    monkeypatch.setattr(ingest, "_rebuild_entity", lambda con, entity, *a: rebuilt.append(entity) or rebuild(con, entity, *a))
    root = landing(tmp_path, "2026-03-02,P1,B,T1,6,E1\n2026-03-02,P1,A,T1,8,E2\n2026-03-03,P1,A,T1,7.5,E3\n")
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    rules = RowRules(period="2026-03")
    load_landing(root, wh, archive_dir=archive, rules=rules, loaded_at=first)
    assert [r[0] for r in tables(wh)[0]] == ["E2", "E3"]  # E1: project B is not in the register

    (root / "timesheets/ts2.csv").write_text(TS + "2026-03-04,P1,A,T1,5,E4\n")
    rebuilt.clear()
    report = load_landing(root, wh, archive_dir=archive, rules=rules, loaded_at=second)
    assert "timesheets" not in rebuilt
    assert report.ruled["timesheets"] == {"project_code_known": 1}
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT entry_id, _loaded_at FROM raw.timesheets ORDER BY entry_id").fetchall() == [
            ("E2", first), ("E3", first), ("E4", second)]
        assert [(row, reason.split(":")[0]) for row, reason in con.execute(
            "SELECT _source_row, reason FROM quarantine.timesheets").fetchall()] == [
            (2, "rule raw_timesheets.project_code_known")]
    finally:
        con.close()

    # B joins the register: E1 comes back, with the load time of its file
    (root / "projects/projects.csv").write_text("project_code,project_name,currency\nA,Alpha,GBP\nB,Beta,GBP\n")
    (root / "tasks/tasks.csv").write_text(
        "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
        "2026-03-31,A,T1,2026-01-01,2026-06-30,1000,10\n2026-03-31,B,T1,2026-01-01,2026-06-30,500,10\n")
    rebuilt.clear()
    report = load_landing(root, wh, archive_dir=archive, rules=rules, loaded_at=third)
    assert "timesheets" not in rebuilt and "timesheets" not in report.ruled
    raw, quarantined, _, _, log = tables(wh)
    assert sorted(raw) == [("E1", 6.0), ("E2", 8.0), ("E3", 7.5), ("E4", 5.0)] and quarantined == []
    assert rows_loaded_at(wh, "E1") == first
    cold = tmp_path / "cold.duckdb"
    load_landing(root, cold, archive_dir=tmp_path / "cold-archive", rules=rules)
    raw_cold, quarantined_cold, _, _, log_cold = tables(cold)
    assert (sorted(raw), quarantined, log) == (sorted(raw_cold), quarantined_cold, log_cold)


def rows_loaded_at(wh, entry_id: str):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("SELECT _loaded_at FROM raw.timesheets WHERE entry_id = ?", [entry_id]).fetchone()[0]
    finally:
        con.close()


def _scopes(monkeypatch):
    """The scope each ingest's rules looked at, per entity (None: every row; FALSE: none)."""
    import orchestration.pipeline.row_rules as row_rules

    seen: list[tuple[str, str | None]] = []
    real = row_rules._unchecked_scope

    def recorded(con, entity, *args):
        scope = real(con, entity, *args)
        seen.append((entity, scope))
        return scope

    monkeypatch.setattr(row_rules, "_unchecked_scope", recorded)
    return seen


def test_a_new_file_is_decided_with_the_days_it_touches_and_nothing_else(tmp_path, monkeypatch):
    """The rows a decision let stay are not looked at again while its key holds: a new file's rows are, with the
    rows of the person-days they fall on (its 10 h on 2026-03-03 takes that day past max_daily_hours, so the 8 h
    entry of the first file, on that day, goes too), and the result is the full decision's."""
    quality = QualitySettings(max_daily_hours=16)
    rules = RowRules(period="2026-03", quality=quality)
    root = landing(tmp_path, "2026-03-02,P1,A,T1,8,E1\n2026-03-03,P1,A,T1,8,E2\n")
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    seen = _scopes(monkeypatch)
    load_landing(root, wh, archive_dir=archive, rules=rules)
    assert seen == [("timesheets", None), ("ledger", None)]  # nothing decided before: every row
    assert tables(wh)[0] == [("E1", 8.0), ("E2", 8.0)]

    seen.clear()
    load_landing(root, wh, archive_dir=archive, rules=rules)  # nothing new
    # the timesheets file is not looked at again; the ledger's file had rows moved (project B, currency XYZ), so
    # they were put back and it is decided again, on every row as no ledger file is left out
    assert seen == [("timesheets", "FALSE"), ("ledger", None)]
    assert tables(wh)[0] == [("E1", 8.0), ("E2", 8.0)]

    (root / "timesheets/night.csv").write_text(TS + "2026-03-03,P1,A,T1,10,N1\n")
    seen.clear()
    report = load_landing(root, wh, archive_dir=archive, rules=rules)
    assert "work_date BETWEEN DATE '2026-03-03' AND DATE '2026-03-03'" in seen[0][1]
    raw, quarantined, *_ = tables(wh)
    assert raw == [("E1", 8.0)]
    assert sorted((r, reason.split(":")[0]) for r, reason, _ in quarantined) == [
        (2, "rule raw_timesheets.daily_hours"), (3, "rule raw_timesheets.daily_hours")]
    assert report.ruled["timesheets"] == {"daily_hours": 2}

    # the same files decided on every row give the same rows
    monkeypatch.setenv("PMO_ROW_RULES_INCREMENTAL", "off")
    seen.clear()
    load_landing(root, wh, archive_dir=archive, rules=rules)
    assert seen[0] == ("timesheets", None)
    assert tables(wh)[:2] == (raw, quarantined)


def test_files_whose_rows_all_stayed_are_not_looked_at_again(tmp_path, monkeypatch):
    rules = RowRules(period="2026-03")
    root = landing(tmp_path, "2026-03-02,P1,A,T1,8,E1\n")
    (root / "ledger/gl.csv").write_text("posting_date,document_id,line_id,project_code,cost_type,amount,currency\n"
                                        "2026-03-02,D1,1,A,material,100,GBP\n")
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    seen = _scopes(monkeypatch)
    load_landing(root, wh, archive_dir=archive, rules=rules)
    seen.clear()
    load_landing(root, wh, archive_dir=archive, rules=rules)
    assert seen == [("timesheets", "FALSE"), ("ledger", "FALSE")]
    # a new ledger file: its own rows (a rule on the row alone needs no other)
    (root / "ledger/gl2.csv").write_text("posting_date,document_id,line_id,project_code,cost_type,amount,currency\n"
                                         "2026-03-03,D2,1,B,material,5,GBP\n")
    seen.clear()
    load_landing(root, wh, archive_dir=archive, rules=rules)
    assert seen == [("timesheets", "FALSE"), ("ledger", "(_source_file, _source_sha256) IN (SELECT f, s FROM _unchecked_files)")]
    assert [(value, reason.split(":")[0]) for value, reason in tables(wh)[3]] == [
        ("B", "rule raw_ledger.project_code_known")]


@pytest.mark.parametrize("change", ["register", "setting", "earlier horizon", "removed file", "no rules"])
def test_anything_a_verdict_depends_on_decides_every_row_again(tmp_path, monkeypatch, change):
    rules = RowRules(period="2026-03")
    root = landing(tmp_path, "2026-03-02,P1,A,T1,8,E1\n")
    (root / "timesheets/more.csv").write_text(TS + "2026-03-05,P1,A,T1,6,E9\n")
    wh, archive = tmp_path / "wh.duckdb", tmp_path / "archive"
    seen = _scopes(monkeypatch)
    load_landing(root, wh, archive_dir=archive, rules=rules)
    later = RowRules(period="2026-03")
    if change == "register":  # a task the rules look a row's task up in
        (root / "tasks/tasks.csv").write_text(
            "status_date,project_code,task_code,baseline_start,baseline_finish,baseline_cost,percent_complete\n"
            "2026-03-31,A,T1,2026-01-01,2026-06-30,1000,10\n2026-03-31,A,T2,2026-01-01,2026-06-30,500,0\n")
    elif change == "setting":
        later = RowRules(period="2026-03", quality=QualitySettings(max_daily_hours=12))
    elif change == "earlier horizon":  # the horizon recorded is later than this run's: not trusted
        con = duckdb.connect(str(wh))
        con.execute("UPDATE ingest_cache.rules_checked SET horizon = TIMESTAMP '2999-01-01'")
        con.close()
    elif change == "removed file":
        (root / "timesheets/more.csv").unlink()
    elif change == "no rules":
        load_landing(root, wh, archive_dir=archive)
    seen.clear()
    load_landing(root, wh, archive_dir=archive, rules=later)
    assert seen[0] == ("timesheets", None)
