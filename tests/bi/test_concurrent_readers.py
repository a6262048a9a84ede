"""BI tools read serving.duckdb while the nightly run publishes (issue 10): four reader processes query it in
a loop while `pmo run` builds and publishes the next period, with no error and no torn snapshot.

Each query reads, in one statement, the snapshot's identity (the load time in quality.load_log and the latest
period in fct_earned_value) and a pair of facts that must agree within one snapshot (fct_earned_value and
fct_project_status have one row per project and period; the portfolio roll-up equals the sum of its projects'
EV and AC). Every observation must be exactly the snapshot before the run or the one after it. Three readers
reconnect for every query (they must see the new snapshot once it is published, and never go back); the
fourth keeps one connection open throughout and must keep reading the snapshot it opened.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.demo.generator import generate_demo
from orchestration.demo.formats import write_vendor_exports
from orchestration.settings import init_home, load_settings

pytestmark = pytest.mark.slow

PMO = Path(sys.executable).with_name("pmo")
SNAPSHOT_SQL = """
select (select max(_loaded_at)::varchar from quality.load_log),
       (select max(period) from marts.fct_earned_value),
       (select count(*) from marts.fct_earned_value),
       (select count(*) from marts.fct_project_status),
       (select count(*) from (
            select p.portfolio, p.period
            from marts.fct_portfolio_earned_value p
            join marts.fct_earned_value f using (portfolio, period)
            group by p.portfolio, p.period, p.ev, p.ac
            having abs(p.ev - sum(f.ev)) > 0.005 or abs(p.ac - sum(f.ac)) > 0.005))
"""
READER = r"""
import json, os, sys, time
import duckdb
serving, stop, out, hold, sql = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "hold", sys.argv[5]
seen, errors, queries = [], [], 0
con = duckdb.connect(serving, read_only=True) if hold else None
while not os.path.exists(stop):
    try:
        c = con or duckdb.connect(serving, read_only=True)
        try:
            row = c.execute(sql).fetchone()
        finally:
            if con is None:
                c.close()
        queries += 1
        if not seen or seen[-1][0] != list(row):
            seen.append([list(row), queries])
    except Exception as exc:  # any error is a failure of the test, recorded with its text
        errors.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.005)
json.dump({"queries": queries, "seen": seen, "errors": errors[:20]}, open(out, "w"))
"""


def snapshot(serving: Path) -> list:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return list(con.execute(SNAPSHOT_SQL).fetchone())
    finally:
        con.close()


def pmo_run(home: Path, period: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PMO_HOME": str(home)}
    env.pop("PMO_REPORTING_CURRENCY", None)
    return subprocess.run([str(PMO), "run", "--home", str(home), "--period", period], capture_output=True, text=True,
                          env=env, timeout=1800)


def test_four_readers_while_a_run_publishes(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(home)
    init_home(settings)
    summary = generate_demo(settings.landing_dir, seed=5, projects=5, months=3, as_of="2026-03")
    write_vendor_exports(settings.landing_dir, summary.files, settings.reporting_currency)
    first = pmo_run(home, "2026-02")
    assert first.returncode == 0, first.stdout + first.stderr
    before = snapshot(settings.serving_path)
    assert before[1] == "2026-02" and before[2] == before[3] and before[4] == 0

    stop = tmp_path / "stop"
    readers = []
    for i in range(4):
        out = tmp_path / f"reader-{i}.json"
        proc = subprocess.Popen([sys.executable, "-c", READER, str(settings.serving_path), str(stop), str(out),
                                 "hold" if i == 0 else "reconnect", SNAPSHOT_SQL])
        readers.append((proc, out))
    try:
        time.sleep(2)  # every reader has read the old snapshot
        second = pmo_run(home, "2026-03")
        time.sleep(2)  # and the new one
    finally:
        stop.touch()
        for proc, _ in readers:
            proc.wait(timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    after = snapshot(settings.serving_path)
    assert after[1] == "2026-03" and after[2] == after[3] and after[4] == 0
    # the new snapshot holds March (the landing files were all loaded by the first run, so its load log, the
    # first column, may be the same: ingest does not load a file it already holds)
    assert after[1] != before[1] and after[2] > before[2]

    results = [json.loads(out.read_text()) for _, out in readers]
    for i, r in enumerate(results):
        assert r["errors"] == [], (i, r["errors"])
        assert r["queries"] >= 20, (i, r["queries"])
        assert all(s in (before, after) for s, _ in r["seen"]), (i, r["seen"], before, after)
    holder, reconnecting = results[0], results[1:]
    assert [s for s, _ in holder["seen"]] == [before]          # an open connection keeps its snapshot
    for r in reconnecting:
        assert [s for s, _ in r["seen"]] == [before, after]    # old, then new, never back
    print("queries per reader:", [r["queries"] for r in results])
