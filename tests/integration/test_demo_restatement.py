"""`pmo demo` ends with a restated period: a late invoice lands after its period was closed."""
from __future__ import annotations

import csv
import json
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli.main import app

runner = CliRunner()


def test_demo_restates_the_period_before_the_last(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_REPORTING_CURRENCY", raising=False)
    home = tmp_path / "home"
    result = runner.invoke(app, ["demo", "--home", str(home), "--projects", "5", "--months", "2",
                                 "--as-of", "2026-06"])
    assert result.exit_code == 0, result.output
    assert "2026-05 is closed and restated for" in " ".join(result.output.split())

    [invoice] = (home / "landing" / "ledger").glob("late-invoice-*.csv")
    assert invoice.name == "late-invoice-2026-05.csv"
    [line] = list(csv.DictReader(invoice.open(encoding="utf-8")))
    assert line["posting_date"] == "2026-05-20"
    # the demo's own file list includes it, so the next `pmo demo` replaces it
    assert "ledger/late-invoice-2026-05.csv" in json.loads((home / "landing" / ".demo-files.json").read_text())

    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        rows = con.execute("""
            select r.project_code, r.reported_ac, r.restated_ac, r.ac_restatement, f.fx_rate, r.restated_measures,
                   r.restatement_cause
            from marts.fct_earned_value_restatement r
            join marts.fct_earned_value f using (project_code, period)
            where r.is_restated and r.period = '2026-05'""").fetchall()
        others = con.execute("select count(*) from marts.fct_earned_value_restatement "
                             "where period = '2026-05' and not is_restated").fetchone()[0]
    finally:
        con.close()
    # The invoice restates its project's AC. Another project may be restated too, on BAC and PV only: a
    # re-baseline since May means May is now reported against the new (current) baseline.
    [(code, reported_ac, restated_ac, change, fx_rate, measures, cause)] = [r for r in rows
                                                                          if r[0] == line["project_code"]]
    assert cause == "source_correction"
    assert all("ac" not in r[5].split(", ") and r[6] == "rebaseline" for r in rows if r[0] != code)
    assert code == line["project_code"]
    # The invoice is booked in the project's currency and converted at May's rate (1.0 for GBP projects).
    expected = Decimal(line["amount"]) * Decimal(str(fx_rate))
    assert float(change) == pytest.approx(float(expected), abs=0.01)
    assert float(restated_ac) - float(reported_ac) == pytest.approx(float(expected), abs=0.01)
    assert measures.startswith("ac, cv")
    assert others + len(rows) >= 3  # every project with a row in May is compared
    manifest = json.loads((home / "reported" / "2026-05" / "manifest.json").read_text())
    assert manifest["closed_at"] is not None

    # The build before the last issues its period's pack only; the last period gets its programme packs
    # and project reports too, and the demo says where they are and how to render another period's.
    reports = home / "reports"
    assert sorted(p.name for p in (reports / "2026-05").iterdir()) == ["manifest.json", "portfolio-pack.pdf"]
    may = json.loads((reports / "2026-05" / "manifest.json").read_text())
    assert sorted(may["files"]) == ["portfolio-pack.pdf"] and len(may["projects_not_rendered"]["projects"]) == 4
    last = {p.name for p in (reports / "2026-06").iterdir()}
    assert {"portfolio-pack.pdf", "manifest.json", "projects"} <= last
    assert any(name.startswith("programme-") for name in last)
    june = json.loads((reports / "2026-06" / "manifest.json").read_text())
    reported = {p.stem for p in (reports / "2026-06" / "projects").glob("*.pdf")}
    assert reported == set(june["projects"]) and len(reported) == 4  # one per project reported in June: 4 of the 5
    said = " ".join(result.output.split())
    assert "2026-06's programme packs and project reports:" in said
    assert f"pmo report --home {home} --period YYYY-MM" in said
