"""A programme's scope of the marts (orchestration/reports/scope.py): the views a programme pack is rendered
from hold that programme's projects only, and its roll-up in place of the portfolio and organisation ones."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.reports.scope import open_programme
from tests.unit.test_reports import PERIOD, _period_end, build_serving

# Network = P-GRN + P-NUL (P-OLD is closed, with no earned value): BAC 1,000,000 + 500,000, PV 510,000, EV 500,000,
# AC 490,000; CPI = 500,000 / 490,000, EAC = BAC / CPI = 1,470,000, VAC 30,000.
NETWORK = ("Network", PERIOD, _period_end(PERIOD), "GBP", 2, "1500000", "510000", "500000", "490000",
           500000 / 490000, 500000 / 510000, "1470000", "30000")


@pytest.fixture()
def serving(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?, ?)", list(NETWORK))
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, currency, bac)"
                    " VALUES ('Customer', ?, 'GBP', 330000)", [PERIOD])
        con.execute("CREATE TABLE marts.fct_team_utilisation (group_type VARCHAR, period VARCHAR)")
    finally:
        con.close()
    return path


def test_a_programme_sees_its_projects_and_its_roll_up(serving):
    con = open_programme("Network", serving=serving)
    try:
        assert sorted(r[0] for r in con.execute("SELECT DISTINCT project_code FROM marts.fct_earned_value")
                      .fetchall()) == ["P-GRN", "P-NUL", "P-OLD"]
        assert sorted(r[0] for r in con.execute("SELECT project_code FROM marts.dim_project").fetchall()) == [
            "P-GRN", "P-NUL", "P-OLD"]
        assert con.execute("SELECT organisation, bac, ev, ac, eac_cpi, vac FROM marts.fct_organisation_earned_value"
                           ).fetchall() == [("Network", 1500000, 500000, 490000, 1470000, 30000)]
        assert con.execute("SELECT portfolio, bac FROM marts.fct_portfolio_earned_value").fetchall() == [
            ("Network", 1500000)]
        # an organisation-wide fact is left out rather than shown whole in a programme's pack
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                            "table_catalog = current_database() AND table_schema = 'marts'").fetchall()}
        assert "fct_team_utilisation" not in tables and "fct_project_status" in tables
    finally:
        con.close()


def test_an_unknown_programme_is_refused(serving):
    with pytest.raises(ValueError, match="programme 'Nope' has no project in dim_project"):
        open_programme("Nope", serving=serving)


def test_a_programme_pack_shows_its_projects_and_its_totals(serving, tmp_path):
    from orchestration.reports.render import programme_pack_filename, render_programme_pack
    from tests.unit.test_reports import GENERATED, pdf_pages_text

    assert programme_pack_filename("Data centre / Move 2") == "programme-data-centre-move-2.pdf"
    pdf = render_programme_pack(PERIOD, "Network", tmp_path / "out", serving_path=serving, generated_at=GENERATED)
    assert pdf.name == "programme-network.pdf"
    pages = [" ".join(p.split()) for p in pdf_pages_text(pdf)]
    assert "Programme pack: Network November 2026" in pages[0]
    rag = next(p for p in pages if "Project earned value — November 2026" in p)
    assert "P-GRN" in rag and "P-NUL" in rag
    assert "P-RED" not in rag and "P-AMB" not in rag  # other programmes' projects
    # the totals line is the programme's roll-up: BAC 1,500,000, EAC 1,470,000, VAC 30,000
    curve = next(p for p in pages if "Portfolio S-curve — programme Network" in p)
    assert "Network 2 1,500,000 510,000 500,000 490,000 1.02 0.98 1,470,000 30,000" in curve
    assert all("Programme pack: Network · November 2026" in p for p in pages[1:])  # the running header
    # its roll-ups are the programme's, and the pages say so rather than "all portfolios"
    assert [p[:60] for p in pages if "all portfolios" in p] == []


def test_a_period_folder_gets_one_pack_per_programme(tmp_path):
    """The projects reported in 2026-11 (P-RED, P-LONG, P-HTML, P-LAST; P-DONE finished earlier) are in three
    programmes: one pack each, listed in the manifest; a programme with no reported project gets none."""
    import json

    from orchestration.reports.period import render_period_reports
    from tests.unit import test_project_reports as PR

    path = PR.build_serving(tmp_path / "serving.duckdb")
    out = tmp_path / "reports" / PERIOD
    (out).mkdir(parents=True)
    (out / "programme-gone.pdf").write_bytes(b"%PDF-1.7 from an earlier issue")
    done = render_period_reports(PERIOD, out, serving=path, generated_at=PR.GENERATED, workers=2)  # a pool
    names = sorted(p.name for p in done.programme_packs)
    assert names == ["programme-customer.pdf", "programme-data-centre.pdf", "programme-network.pdf"]
    assert sorted(p.name for p in out.glob("programme-*.pdf")) == names  # the stale pack is gone
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(n in manifest["files"] for n in names)



def test_a_period_folder_renders_on_one_pool_the_same_files(tmp_path, monkeypatch):
    """With reports to render and two workers, the folder starts one pool, not one for the reports and one for
    the programme packs, and the portfolio pack is rendered by a worker beside them: the same PDFs, byte for
    byte, as rendered one after another in the caller's process."""
    import json
    from concurrent.futures import ProcessPoolExecutor

    from orchestration.reports import period as PD
    from orchestration.reports import project as PJ
    from orchestration.reports.period import render_period_reports
    from tests.unit import test_project_reports as PR

    path = PR.build_serving(tmp_path / "serving.duckdb")
    serial = render_period_reports(PERIOD, tmp_path / "serial", serving=path, generated_at=PR.GENERATED, workers=1)
    pools = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(PJ, "ProcessPoolExecutor", CountedPool)  # project.document_pool starts every pool
    monkeypatch.setattr(PD, "POOL_THRESHOLD", 0)  # the fixture has 4 reports; a period pools above 10
    pooled = render_period_reports(PERIOD, tmp_path / "pooled", serving=path, generated_at=PR.GENERATED, workers=2)
    assert pools == [2]
    files = {f: e["sha256"] for f, e in json.loads((tmp_path / "serial" / "manifest.json").read_text())["files"].items()}
    assert len(files) == 1 + 4 + 3  # the portfolio pack, 4 project reports, 3 programme packs
    assert {f: e["sha256"] for f, e in json.loads((tmp_path / "pooled" / "manifest.json").read_text())["files"].items()} \
        == files
    assert pooled.pack.name == serial.pack.name == "portfolio-pack.pdf"
    assert [p.name for p in pooled.programme_packs] == [p.name for p in serial.programme_packs]
    assert len(pooled.packs_rendered) == 4

def _summary(path, run_id: str, latest_file: str, warned: int | None = None) -> Path:
    """A run summary (quality/<period>/<run_id>.json) with one source, and the labour reconciliation warning
    on ``warned`` rows (None: every check passed): what the appendix prints."""
    import json

    checks = [] if warned is None else [{
        "asset": "marts/fct_earned_value", "check": "assert_ledger_labour_within_tolerance", "outcome": "warned",
        "severity": "WARN", "failing_rows": warned, "description": f"{warned} failing row(s)", "failures": []}]
    path.write_text(json.dumps({
        "run_id": run_id, "status": "published",
        "counts": {"run": 3, "passed": 3 - len(checks), "warned": len(checks), "failed": 0},
        "checks": checks, "sources": [{"source": "timesheets", "files": 2, "rows_in": 1200, "rows_loaded": 1200,
                                   "rows_quarantined": 0, "files_not_read": 0, "latest_file": latest_file,
                                   "latest_date": "2026-11-27"}]}))
    return path


def test_packs_are_rendered_again_only_when_what_they_print_changed(tmp_path, monkeypatch):
    """The manifest keeps each pack's input hash. Issued again with the same figures (another run, another
    time), no pack is rendered; a night's file that moves none of the figures renders the portfolio pack (its
    appendix shows every source's freshness) but no programme pack; a change to one project's figures
    renders the portfolio pack and that project's programme pack only; a check that starts to warn renders
    every pack, the same warning on more rows only the portfolio pack; --force renders all."""
    import json
    import re
    from datetime import UTC, datetime

    from orchestration.reports.period import render_period_reports
    from tests.unit import test_project_reports as PR

    from orchestration.reports import render as R

    path = PR.build_serving(tmp_path / "serving.duckdb")
    out = tmp_path / "reports" / PERIOD
    packs = ["portfolio-pack.pdf", "programme-customer.pdf", "programme-data-centre.pdf", "programme-network.pdf"]
    # the packs whose figures were loaded: a programme pack whose figures' fingerprint is unchanged is not
    loaded = []
    load_pack_data = R.load_pack_data
    monkeypatch.setattr(R, "load_pack_data", lambda con, period: loaded.append(period) or load_pack_data(con, period))

    def issue(run_id, latest_file, warned=None, **kw):
        loaded.clear()
        done = render_period_reports(PERIOD, out, serving=path, quality_summary=_summary(
            tmp_path / f"{run_id}.json", run_id, latest_file, warned), **kw)
        return sorted(p.name for p in done.packs_rendered), sorted(p.name for p in done.packs_unchanged)

    assert issue("run-1", "ts-1.csv", generated_at=PR.GENERATED) == (packs, [])
    assert len(loaded) == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["packs"]) == packs
    for name, entry in manifest["packs"].items():
        assert entry["sha256"] == manifest["files"][name]["sha256"]
        assert len(entry["input_sha256"]) == 64
        assert entry["rendered_at"] == PR.GENERATED.isoformat(timespec="seconds")
    first = {name: (out / name).read_bytes() for name in packs}

    # another run, another day, the same figures and sources: every pack is kept, byte for byte
    later = datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
    assert issue("run-2", "ts-1.csv", generated_at=later) == ([], packs)
    assert len(loaded) == 1  # the portfolio pack's figures only: the programmes' fingerprints did not move
    assert {name: (out / name).read_bytes() for name in packs} == first
    assert json.loads((out / "manifest.json").read_text())["packs"] == manifest["packs"]

    # a new file lands that changes none of the period's figures: only the portfolio pack shows it
    assert issue("run-3", "ts-2.csv", generated_at=later) == (["portfolio-pack.pdf"], packs[1:])
    assert len(loaded) == 1
    assert "ts-2.csv" in PR.pdf_text(out / "portfolio-pack.pdf")
    assert "ts-2.csv" not in PR.pdf_text(out / "programme-network.pdf")

    # P-LONG's actual cost moves: the portfolio pack and the Network programme's pack are rendered again
    con = duckdb.connect(str(path))
    con.execute("UPDATE marts.fct_earned_value SET ac = 110000, cpi = 100000 / 110000 "
                "WHERE project_code = 'P-LONG' AND period = ?", [PERIOD])
    con.close()
    assert issue("run-4", "ts-2.csv", generated_at=later) == (
        ["portfolio-pack.pdf", "programme-network.pdf"], ["programme-customer.pdf", "programme-data-centre.pdf"])
    assert len(loaded) == 2
    assert re.search(r"Run run-4", PR.pdf_text(out / "programme-network.pdf"))
    assert (out / "programme-customer.pdf").read_bytes() == first["programme-customer.pdf"]

    # the labour reconciliation starts to warn: a new outcome, every pack shows it; the organisation's failing
    # rows and the sources are the portfolio pack's (a programme pack points there)
    assert issue("run-5", "ts-2.csv", warned=1334, generated_at=later) == (packs, [])
    assert len(loaded) == 4
    programme_text = " ".join(PR.pdf_text(out / "programme-customer.pdf").split())
    assert "assert_ledger_labour_within_tolerance warned" in programme_text
    assert "1334" not in programme_text and "ts-2.csv" not in programme_text
    assert "data-quality appendix of this period's portfolio pack" in programme_text
    portfolio_text = PR.pdf_text(out / "portfolio-pack.pdf")
    assert "1334" in portfolio_text and "ts-2.csv" in portfolio_text
    # the same warning on more rows (another project's hours moved): the portfolio pack shows the new count;
    # the programme packs, whose figures did not move, keep the appendix of the run that rendered them
    assert issue("run-6", "ts-2.csv", warned=1338, generated_at=later) == (["portfolio-pack.pdf"], packs[1:])
    assert len(loaded) == 1
    assert "1338" in PR.pdf_text(out / "portfolio-pack.pdf")
    assert "run-5" in PR.pdf_text(out / "programme-customer.pdf")

    # a pack changed on disk no longer matches its entry; --force renders every pack
    (out / "programme-customer.pdf").write_bytes(b"%PDF-1.7 tampered")
    assert issue("run-6", "ts-2.csv", warned=1338, generated_at=later) == (["programme-customer.pdf"], [
        "portfolio-pack.pdf", "programme-data-centre.pdf", "programme-network.pdf"])
    assert len(loaded) == 2
    assert issue("run-6", "ts-2.csv", warned=1338, generated_at=later, force=True) == (packs, [])


@pytest.mark.parametrize("workers", [1, 2])
def test_rendering_a_period_reports_its_progress(tmp_path, workers):
    """pmo report's bars: the project reports to render and the programme packs, each counted from 0 to its
    total, in one process or in a pool; issued again unchanged, there are no reports to render."""
    from orchestration.reports.period import render_period_reports
    from tests.unit import test_project_reports as PR

    path = PR.build_serving(tmp_path / "serving.duckdb")
    out = tmp_path / "reports" / PERIOD
    calls: list[tuple[str, int, int]] = []
    render_period_reports(PERIOD, out, serving=path, generated_at=PR.GENERATED, workers=workers,
                          progress=lambda *call: calls.append(call))
    reports = [c for c in calls if c[0] == "project reports"]
    packs = [c for c in calls if c[0] == "programme packs"]
    assert [done for _, done, _ in reports] == [0, 1, 2, 3, 4] and {t for _, _, t in reports} == {4}
    assert [done for _, done, _ in packs] == [0, 1, 2, 3] and {t for _, _, t in packs} == {3}
    assert calls.index(reports[-1]) < calls.index(packs[0])  # the reports, then the packs

    calls.clear()
    render_period_reports(PERIOD, out, serving=path, workers=workers, progress=lambda *call: calls.append(call))
    assert [c for c in calls if c[0] == "project reports"] == [("project reports", 0, 0)]


def test_programme_fingerprints_follow_the_programme_scope(tmp_path):
    """A programme's fingerprint moves with the rows its pack reads (scope.py's rules) and with nothing else: a
    project's earned value moves its programme's; a dependency both its provider's and its receiver's; the
    programme's own roll-up only its own; an organisation-wide mart none."""
    from orchestration.reports.scope import programme_fingerprints
    from tests.unit import test_project_reports as PR

    path = PR.build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE marts.fct_dependency_status (provider_project_code VARCHAR,"
                " receiver_project_code VARCHAR, period VARCHAR, status VARCHAR)")
    con.execute("INSERT INTO marts.fct_dependency_status VALUES ('P-RED', 'P-LONG', ?, 'on track')", [PERIOD])
    con.execute("CREATE TABLE marts.fct_team_utilisation (group_type VARCHAR, period VARCHAR)")
    con.close()
    programmes = ["Customer", "Data centre", "Network"]

    def moved(sql, params=()):
        before = programme_fingerprints(serving=path)
        assert sorted(before) == programmes
        con = duckdb.connect(str(path))
        con.execute(sql, list(params))
        con.close()
        after = programme_fingerprints(serving=path)
        return sorted(p for p in programmes if before[p] != after[p])

    assert moved("SELECT 1") == []
    assert moved("UPDATE marts.fct_earned_value SET ac = ac + 1 WHERE project_code = 'P-HTML' AND period = ?",
                 [PERIOD]) == ["Customer"]
    assert moved("UPDATE marts.fct_dependency_status SET status = 'late'") == ["Data centre", "Network"]
    assert moved("INSERT INTO marts.fct_programme_earned_value (programme, period, currency, bac)"
                 " VALUES ('Network', ?, 'GBP', 1)", [PERIOD]) == ["Network"]
    assert moved("INSERT INTO marts.fct_team_utilisation VALUES ('team', ?)", [PERIOD]) == []
    # a duplicated row counts (the hashes are summed, not XORed)
    assert moved("INSERT INTO marts.fct_dependency_status SELECT * FROM marts.fct_dependency_status") == [
        "Data centre", "Network"]
    # a mart added changes the pages a pack may hold: every fingerprint moves
    assert moved("CREATE TABLE marts.fct_new_page (period VARCHAR)") == programmes
