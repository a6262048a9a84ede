"""The demo organisation exercises the whole mart (issue 4), checked figure by figure.

One small demo organisation goes through the flow once, as `pmo demo` writes it (schedules, timesheets,
Jira issues and the ledger in their tools' formats), for its last period. The same organisation is also
generated as canonical CSV beside it (generation is deterministic), and every figure below is recomputed
from those rows by the rules of docs/evm.md and compared with the published marts:

* every EV technique (docs/evm.md §2): each task's EV in fct_task_earned_value;
* the re-baseline: both versions in fct_baseline_history, BAC in fct_earned_value = the BL2 tasks' sum;
* an agile release: AgileEVM PV, EV, CPI and SPI in fct_agile_release_ev from the work items;
* benefits with a dis-benefit: net = benefits - dis-benefits in fct_project_benefits;
* RAG: green, amber and red overall, on cost and on schedule in fct_project_status, each project's
  colours those of its measures' bands (seeds/rag_rules.csv, PMO-RAG-2), quality included;
* quality (#15): the project green on cost and schedule but failing its reviews is red on quality and
  overall; a project without quality data is not rated on quality.
"""
from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.demo.generator import EV_METHODS, generate_demo
from orchestration.demo.formats import write_vendor_exports
from orchestration.cli.runner import run_period
from orchestration.settings import init_home, load_settings

SEED, PROJECTS, MONTHS, AS_OF = 3, 8, 6, "2026-10"
AS_OF_END = f"{AS_OF}-{calendar.monthrange(int(AS_OF[:4]), int(AS_OF[5:]))[1]:02d}"
RANK = {"green": 1, "amber": 2, "red": 3}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("coverage")
    canonical = root / "canonical"
    generate_demo(canonical, seed=SEED, projects=PROJECTS, months=MONTHS, as_of=AS_OF)
    home = root / "home"
    monkeypatch_module.setenv("PMO_HOME", str(home))
    monkeypatch_module.delenv("PMO_REPORTING_CURRENCY", raising=False)
    settings = load_settings(home)
    init_home(settings)
    summary = generate_demo(settings.landing_dir, seed=SEED, projects=PROJECTS, months=MONTHS, as_of=AS_OF)
    write_vendor_exports(settings.landing_dir, summary.files, settings.reporting_currency)
    outcome = run_period(settings, AS_OF)
    assert outcome.success, (outcome.failed_checks, outcome.failed_steps)
    return settings, summary, canonical


def rows(demo, sql: str, params=()) -> list[dict]:
    con = duckdb.connect(str(demo[0].serving_path), read_only=True)
    try:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def read_csvs(folder: Path) -> list[dict]:
    out = []
    for f in sorted(folder.glob("*.csv")):
        with open(f, newline="", encoding="utf-8") as fh:
            out += list(csv.DictReader(fh))
    return out


def fx_to_gbp(canonical: Path) -> dict[tuple[str, str], float]:
    return {(r["period"], r["from_currency"]): float(r["rate"])
            for r in read_csvs(canonical / "fx_rates") if r["to_currency"] == "GBP"}


def rate(fx, period: str, currency: str) -> float:
    return 1.0 if currency == "GBP" else fx[(period, currency)]


# ---------------------------------------------------------------------------------------------------------
# docs/evm.md §2, recomputed from the landing rows of one schedule snapshot
# ---------------------------------------------------------------------------------------------------------
def expected_task_ev(snapshot: list[dict]) -> dict[tuple[str, str], tuple[str, float]]:
    """(project, task) -> (technique applied, EV in the project currency) of every non-summary task."""
    by_key = {(r["project_code"], r["task_code"]): r for r in snapshot}
    parents = {(r["project_code"], r["parent_task_code"]) for r in snapshot if r["parent_task_code"]}

    def method(r):
        return r["ev_method"] or "percent_complete"

    def pct(r):
        return float(r["percent_complete"] or 0)

    def finished(r):
        return (r["actual_finish"] != "" and r["actual_finish"] <= r["status_date"]) or pct(r) >= 100

    def started(r):
        return finished(r) or (r["actual_start"] != "" and r["actual_start"] <= r["status_date"]) or pct(r) > 0

    out: dict[tuple[str, str], tuple[str, float]] = {}
    for key, r in by_key.items():
        if key in parents:
            continue
        b = float(r["baseline_cost"])
        parent = by_key.get((r["project_code"], r["parent_task_code"]))
        m = method(r)
        if r["is_milestone"] == "true" and parent is not None and method(parent) == "milestone_weights":
            out[key] = ("milestone_weights", b if finished(r) else 0.0)  # its weight x B_package = its own B
        elif m in ("0/100", "milestone_weights"):
            out[key] = ("0/100", b if finished(r) else 0.0)
        elif m == "50/50":
            out[key] = ("50/50", b if finished(r) else 0.5 * b if started(r) else 0.0)
        elif m in ("percent_complete", "units"):
            out[key] = (m, b * float(r["percent_complete"] or 0) / 100)
        elif m == "loe":  # EV = PV: linear over the baseline dates (inclusive days) to the status date
            bs, bf, sd = (date.fromisoformat(r[c]) for c in ("baseline_start", "baseline_finish", "status_date"))
            days = max((bf - bs).days + 1, 1)
            out[key] = ("loe", b * min(max((sd - bs).days + 1, 0), days) / days)
    for key, r in by_key.items():
        if method(r) == "apportioned" and key not in parents:
            base = [k for k, s in by_key.items() if k[0] == key[0] and k != key and k not in parents
                    and s["parent_task_code"] == r["parent_task_code"] and method(s) not in ("loe", "apportioned")]
            budget = sum(float(by_key[k]["baseline_cost"]) for k in base)
            out[key] = ("apportioned", float(r["baseline_cost"]) * sum(out[k][1] for k in base) / budget)
    return out


def test_every_ev_technique_earns_by_its_rule(demo):
    settings, summary, canonical = demo
    # the schedules that landed as canonical CSV (the others went out as XER / MSPDI, whose readers round
    # or derive percent complete their own way): every schedule with a technique other than percent complete
    landed = {r["project_code"] for r in read_csvs(settings.landing_dir / "tasks")}
    assert set().union(*(summary.ev_methods[m] for m in EV_METHODS if m != "percent_complete")) <= landed
    snapshot = [r for r in read_csvs(canonical / "tasks") if r["status_date"] == AS_OF_END and r["project_code"] in landed]
    expected = expected_task_ev(snapshot)
    mart = {(r["project_code"], r["task_code"]): r for r in rows(
        demo, "select project_code, task_code, ev_method_applied, ev_native, bac_native "
              "from marts.fct_task_earned_value where period = ? and is_in_ev_snapshot", (AS_OF,))}
    # a proposed project (baseline after the period) has no rows yet; every other task has one
    proposed = set(summary.scenarios["not_started"])
    assert {k[0] for k in mart} >= {k[0] for k in expected} - proposed
    expected = {k: v for k, v in expected.items() if k[0] not in proposed}
    assert set(expected) <= set(mart)
    seen: dict[str, list[float]] = defaultdict(list)
    for key, (technique, ev) in expected.items():
        got = mart[key]
        assert got["ev_method_applied"] == technique, key
        assert float(got["ev_native"]) == pytest.approx(ev, abs=0.01), (key, technique)
        seen[technique].append(ev / float(got["bac_native"]) if float(got["bac_native"]) else 0.0)
    assert set(seen) == set(EV_METHODS)
    assert max(len(v) for v in seen.values()) == len(seen["percent_complete"])  # still the common case
    # the techniques show their character, not just their presence (EV / BAC of each task)
    assert set(seen["0/100"]) <= {0.0, 1.0} and {0.0, 1.0} == set(seen["milestone_weights"])
    assert 0.5 in {round(x, 9) for x in seen["50/50"]} <= {0.0, 0.5, 1.0}  # started, not finished: B / 2
    for technique in ("percent_complete", "units", "loe", "apportioned"):
        assert any(0 < x < 1 for x in seen[technique]), technique  # part-earned at the status date
    assert all(s for s in summary.ev_methods.values())


def test_the_rebaselined_project_reports_against_bl2(demo):
    _, summary, canonical = demo
    ((code, first_bl2),) = summary.rebaselined.items()
    history = rows(demo, "select * from marts.fct_baseline_history where project_code = ? order by version_sequence",
                   (code,))
    assert [(h["baseline_version"], h["is_current"]) for h in history] == [("BL1", False), ("BL2", True)]
    tasks = [r for r in read_csvs(canonical / "tasks") if r["project_code"] == code]
    parents = {(r["status_date"], r["parent_task_code"]) for r in tasks}

    def leaf_sum(status_date):
        return sum(float(r["baseline_cost"]) for r in tasks
                   if r["status_date"] == status_date and (status_date, r["task_code"]) not in parents)

    bl1, bl2 = history
    assert str(bl2["first_status_date"])[:7] == first_bl2 and str(bl1["last_status_date"]) < str(bl2["first_status_date"])
    assert float(bl1["bac_native"]) == pytest.approx(leaf_sum(str(bl1["last_status_date"])), abs=0.005)
    assert float(bl2["bac_native"]) == pytest.approx(leaf_sum(AS_OF_END), abs=0.005)
    assert float(bl2["bac_change_native"]) == pytest.approx(leaf_sum(AS_OF_END) - float(bl1["bac_native"]), abs=0.005)
    assert float(bl2["bac_change_native"]) > 0  # an over-target baseline
    (ev,) = rows(demo, "select bac, bac_native, baseline_version, project_currency from marts.fct_earned_value "
                       "where project_code = ? and period = ?", (code, AS_OF))
    fx = fx_to_gbp(canonical)
    assert ev["baseline_version"] == "BL2"
    assert float(ev["bac"]) == pytest.approx(leaf_sum(AS_OF_END) * rate(fx, AS_OF, ev["project_currency"]), abs=0.01)
    assert float(ev["bac"]) == pytest.approx(summary.bac[code] * rate(fx, AS_OF, ev["project_currency"]), abs=0.01)


def test_an_agile_release_has_agile_evm_figures(demo):
    _, summary, canonical = demo
    # the waterfall projects' defects (demo/quality.py) are work items too, but of no agile release
    agile = {r["project_code"] for r in read_csvs(canonical / "projects") if r["methodology"] in ("agile", "hybrid")}
    items = [r for r in read_csvs(canonical / "work_items")
             if r["status_date"] == AS_OF_END and r["project_code"] not in summary.scenarios["not_started"]
             and r["project_code"] in agile]
    mart = rows(demo, "select * from marts.fct_agile_release_ev where period = ?", (AS_OF,))
    assert mart
    earned = {r["project_code"]: r for r in rows(
        demo, "select project_code, bac, ac from marts.fct_earned_value where period = ?", (AS_OF,))}
    by_project: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for it in items:
        by_project[it["project_code"]][it["release"] or "unassigned"].append(it)
    assert {r["project_code"] for r in mart} == set(by_project)
    full = 0
    for code, releases in by_project.items():
        bac, ac = float(earned[code]["bac"]), float(earned[code]["ac"])
        points = {rel: sum(float(i["story_points"] or 0) for i in its) for rel, its in releases.items()}
        total_pv = total_ev = 0.0
        for rel, its in releases.items():
            done = [i for i in its if i["status_category"] == "done"]
            elapsed = len({i["sprint"] for i in done if i["sprint"]})
            planned = len({i["sprint"] for i in its if i["sprint"]})
            ppc = min(1.0, elapsed / planned) if elapsed else 0.0
            apc = sum(float(i["story_points"] or 0) for i in done) / points[rel]
            release_bac = bac * points[rel] / sum(points.values())
            (row,) = [r for r in mart if r["project_code"] == code and r["release"] == rel]
            assert float(row["planned_release_points"]) == points[rel] and row["sprints_elapsed"] == elapsed
            assert row["sprints_planned"] == planned
            assert float(row["pv"]) == pytest.approx(release_bac * ppc, abs=0.01), (code, rel)
            assert float(row["ev"]) == pytest.approx(release_bac * apc, abs=0.01), (code, rel)
            total_pv += release_bac * ppc
            total_ev += release_bac * apc
            full += 0 < ppc and 0 < apc
        for row in (r for r in mart if r["project_code"] == code):
            assert float(row["project_ac"]) == pytest.approx(ac, abs=0.01)
            if total_pv and ac:
                assert row["project_agile_spi"] == pytest.approx(total_ev / total_pv, rel=1e-6)
                assert row["project_agile_cpi"] == pytest.approx(total_ev / ac, rel=1e-6)
    assert full >= 1  # at least one release with sprints done: PV, EV, CPI and SPI all defined


def test_a_dis_benefit_is_netted(demo):
    _, _, canonical = demo
    register = [r for r in read_csvs(canonical / "benefits") if r["monetary"] == "true"]
    currency = {r["project_code"]: r["currency"] for r in read_csvs(canonical / "projects")}
    fx = fx_to_gbp(canonical)
    dis_projects = {r["project_code"] for r in register if r["is_disbenefit"] == "true"}
    assert dis_projects
    mart = {r["project_code"]: r for r in rows(demo, "select * from marts.fct_project_benefits")}
    for code in dis_projects:
        mine = [r for r in register if r["project_code"] == code]
        gross = {True: defaultdict(float), False: defaultdict(float)}
        for r in mine:
            conv = rate(fx, min(r["period"], AS_OF), currency[code])
            is_dis = r["is_disbenefit"] == "true"
            gross[is_dis]["planned_whole_life"] += float(r["planned_value"] or 0) * conv
            if r["period"] <= AS_OF:
                gross[is_dis]["planned_to_date"] += float(r["planned_value"] or 0) * conv
                gross[is_dis]["realised_to_date"] += float(r["realised_value"] or 0) * conv
        assert gross[True]["planned_to_date"] > 0  # the dis-benefit is already planned to weigh
        row = mart[code]
        assert row["monetary_disbenefit_count"] == len({r["benefit_id"] for r in mine if r["is_disbenefit"] == "true"})
        for what in ("planned_whole_life", "planned_to_date", "realised_to_date"):
            net = gross[False][what] - gross[True][what]
            assert float(row[f"net_benefits_{what}"]) == pytest.approx(net, abs=0.02), (code, what)


def band(value, measure: str) -> str | None:
    if value is None:
        return None
    if measure in ("cpi", "spi_t"):
        if 0.95 <= value <= 1.05:
            return "green"
        return "amber" if 0.90 <= value < 0.95 or 1.05 < value <= 1.10 else "red"
    if measure == "benefits":
        return "green" if value >= 95 else "amber" if value >= 80 else "red"
    if measure == "escape":  # defect escape rate %, PMO-RAG-2
        return "green" if value <= 10 else "amber" if value <= 15 else "red"
    if measure == "pass":  # first-time pass rate %, PMO-RAG-2
        return "green" if value >= 90 else "amber" if value >= 75 else "red"
    if measure == "critical":  # open critical defects, PMO-RAG-2
        return "green" if value == 0 else "amber" if value <= 2 else "red"
    return "green" if value < 5 else "amber" if value < 10 else "red"  # risk exposure % of BAC


def worst(colours) -> str | None:
    rated = [RANK[c] for c in colours if c]
    return {1: "green", 2: "amber", 3: "red"}[max(rated)] if rated else None


def test_every_rag_colour_and_each_projects_rag_follows_its_bands(demo):
    _, summary, _ = demo
    status = rows(demo, "select s.*, e.ev, e.ac, e.es, e.\"at\" from marts.fct_project_status s "
                        "join marts.fct_earned_value e using (project_code, period) where s.period = ?", (AS_OF,))
    for r in status:
        if r["cpi"] is not None:
            assert r["cpi"] == pytest.approx(float(r["ev"]) / float(r["ac"]), rel=1e-9)
        if r["spi_t"] is not None:
            assert r["spi_t"] == pytest.approx(r["es"] / r["at"], rel=1e-9)
        measured = {
            "rag_cost": band(r["cpi"], "cpi"),
            "rag_schedule": band(r["spi_t"], "spi_t"),
            "rag_benefits": band(r["benefit_realisation_pct_to_date"], "benefits"),
            "rag_risk": band(r["risk_exposure_pct_of_bac"], "risk"),
        }
        before_quality = worst(measured.values())
        measured["rag_quality"] = worst([band(r["defect_escape_rate_pct"], "escape"),
                                         band(r["first_time_pass_rate_pct"], "pass"),
                                         band(r["open_critical_defects"], "critical")])
        for column, colour in measured.items():
            assert r[column] == colour, (r["project_code"], column, r[column], colour)
        assert r["rag_overall"] == worst(measured.values()), r["project_code"]
        r["overall_before_quality"] = before_quality
    for column in ("rag_overall", "rag_cost", "rag_schedule"):
        assert {r[column] for r in status} >= {"green", "amber", "red"}, column
    # the scenarios' colours on cost, schedule, benefits and risk (quality has stories of its own)
    overall = {r["project_code"]: r["overall_before_quality"] for r in status}
    assert {overall[c] for c in summary.scenarios["at_risk"]} == {"amber"}
    assert "red" in {overall[c] for c in summary.scenarios["over_budget"] + summary.scenarios["late"]}


def test_the_red_quality_project_is_green_on_cost_and_schedule_but_red_on_quality(demo):
    """The demo's quality story (demo/quality.py): an on-track project whose reviews keep failing and whose
    critical defects stay open is green on cost and schedule, red on quality, and so red overall; a project
    without quality data is not rated on quality."""
    _, summary, _ = demo
    code = summary.quality_stories["red_quality"]
    [status] = rows(demo, "select * from marts.fct_project_status where project_code = ? and period = ?",
                    (code, AS_OF))
    assert (status["rag_cost"], status["rag_schedule"]) == ("green", "green")
    assert (status["rag_quality"], status["rag_overall"]) == ("red", "red")
    assert status["rule_version"] == "PMO-RAG-2"
    [quality] = rows(demo, "select * from marts.fct_project_quality where project_code = ? and period = ?",
                     (code, AS_OF))
    assert quality["has_quality_data"] and quality["first_time_pass_rate_pct"] < 75
    assert quality["first_time_pass_rate_pct"] == pytest.approx(
        100 * quality["first_time_passes_to_date"] / quality["first_attempts_to_date"])
    unrated = rows(demo, "select s.rag_quality from marts.fct_project_status s join marts.fct_project_quality q "
                         "using (project_code, period) where s.period = ? and not q.has_quality_data", (AS_OF,))
    assert all(r["rag_quality"] is None for r in unrated)
    # the roll-up's organisation line adds the projects' counts
    [org] = rows(demo, "select * from marts.fct_quality_rollup where rollup_level = 'organisation' and period = ?",
                 (AS_OF,))
    projects = rows(demo, "select * from marts.fct_project_quality where period = ?", (AS_OF,))
    assert org["first_attempts_to_date"] == sum(p["first_attempts_to_date"] for p in projects)
    assert org["projects_with_quality_data"] == sum(bool(p["has_quality_data"]) for p in projects)
    # ... and so in the pack: its RAG dashboard row reads Green, Green, Red on cost, schedule and quality, and it
    # is on the quality page among the projects red on quality
    import io

    import pypdf

    pack = pypdf.PdfReader(io.BytesIO((demo[0].reports_dir / AS_OF / "portfolio-pack.pdf").read_bytes()))
    pages = [" ".join((page.extract_text() or "").split()) for page in pack.pages]
    dashboard = " ".join(p for p in pages if p.startswith("RAG dashboard —") or "RAG dashboard —" in p[:200])
    name = rows(demo, "select project_name from marts.dim_project where project_code = ?", (code,))[0]["project_name"]
    assert f"{code} {name} Green Green Red" in dashboard
    quality_page = next(p for p in pages if "Quality — " in p and "Projects rated red or amber on quality" in p)
    assert f"{code} {name} Red {quality['open_critical_defects']}" in quality_page


def test_project_reports_print_the_marts_figures(demo):
    """Issue #11: the run issued a report per project reported in the period (active, or completed in it), its
    EV figures those of marts.fct_earned_value rounded as printed, and a manifest naming every file."""
    import hashlib
    import io
    import json
    import re

    import pypdf

    from orchestration.reports.render import fmt_index, fmt_money

    settings = demo[0]
    folder = settings.reports_dir / AS_OF
    expected = rows(demo, """
        select f.* from marts.fct_earned_value f where f.period = ? and not exists (
            select 1 from marts.fct_earned_value d where d.project_code = f.project_code and d.period < f.period
              and d.is_complete)
        order by f.project_code""", (AS_OF,))
    assert expected
    assert sorted(p.stem for p in (folder / "projects").glob("*.pdf")) == [r["project_code"] for r in expected]
    for r in expected[:3]:
        pdf = pypdf.PdfReader(io.BytesIO((folder / "projects" / f"{r['project_code']}.pdf").read_bytes()))
        text = " ".join(" ".join(page.extract_text() or "" for page in pdf.pages).split())
        for label, column, fmt in [("BAC", "bac", fmt_money), ("PV", "pv", fmt_money), ("EV", "ev", fmt_money),
                                   ("AC", "ac", fmt_money), ("CPI", "cpi", fmt_index), ("SPI(t)", "spi_t", fmt_index),
                                   ("EAC (CPI)", "eac_cpi", fmt_money), ("VAC", "vac", fmt_money),
                                   ("ETC", "etc", fmt_money)]:
            shown = fmt(r[column])
            assert re.search(rf"(?<![\w(]){re.escape(label)} {re.escape(shown)}(?![\d,])", text), \
                (r["project_code"], label, shown)
    manifest = json.loads((folder / "manifest.json").read_text())
    on_disk = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert {k: v["sha256"] for k, v in manifest["files"].items()} == on_disk
    assert "portfolio-pack.pdf" in on_disk
    assert manifest["source"]["sha256"] == hashlib.sha256(settings.serving_path.read_bytes()).hexdigest()
    assert manifest["rule_versions"] == {"rag": ["PMO-RAG-2"]}


def test_the_risk_heat_map_places_every_open_risk_of_the_registers(demo):
    """Issue #11: fct_open_risks holds each reported project's open risks of its latest register snapshot by
    the period's end, counted here from the canonical register files; each risk's probability band and zone
    follow the matrix's rules (docs/risk-matrix.md), and the pack's heat map and exposure table print the
    marts' figures."""
    import io

    import pypdf

    from orchestration.reports.render import fmt_money
    from orchestration.reports.risk_matrix import cell_zone

    _, _, canonical = demo
    reported = {r["project_code"] for r in rows(demo, "select project_code from marts.fct_earned_value "
                                                     "where period = ?", (AS_OF,))}
    snapshots: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((canonical / "risks").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["status_date"] <= AS_OF_END and r["project_code"] in reported:
                    snapshots[r["project_code"]][r["status_date"]].append(r)
    expected = sorted((code, r["risk_id"]) for code, by_date in snapshots.items()
                      for r in by_date[max(by_date)] if (r["status"] or "open") != "closed")
    mart = rows(demo, "select * from marts.fct_open_risks where period = ? order by project_code, risk_id", (AS_OF,))
    assert len(expected) >= 10
    assert [(r["project_code"], r["risk_id"]) for r in mart] == expected
    for r in mart:
        p = float(r["probability"])
        assert r["probability_band"] == 1 + sum(p >= edge for edge in (0.2, 0.4, 0.6, 0.8)), r
        if r["impact_pct_of_bac"] is not None:
            assert r["cost_impact_band"] == 1 + sum(r["impact_pct_of_bac"] >= e for e in (1, 10, 20, 40)), r
        assert r["impact_band"] == max(b for b in (r["cost_impact_band"], r["time_impact_band"]) if b is not None)
        assert r["risk_zone"] == cell_zone(r["probability_band"], r["impact_band"]), r
    on_matrix = [r for r in mart if r["is_on_matrix"]]
    zones = {z: sum(r["risk_zone"] == z for r in on_matrix) for z in ("high", "moderate", "low")}
    assert all(zones.values()), zones  # the demo has risks in every zone

    pack = pypdf.PdfReader(io.BytesIO((demo[0].reports_dir / AS_OF / "portfolio-pack.pdf").read_bytes()))
    page = next(" ".join((p.extract_text() or "").split()) for p in pack.pages
                if "Open risks by probability and impact" in (p.extract_text() or ""))
    assert (f"{len(on_matrix)} open risks on the matrix: {zones['high']} high, {zones['moderate']} moderate, "
            f"{zones['low']} low.") in page
    [total] = rows(demo, "select count(*) as projects, sum(open_risks) as open_risks, sum(exposure) as exposure "
                         "from marts.fct_risk_exposure where period = ?", (AS_OF,))
    assert f"{AS_OF} {total['projects']} {total['open_risks']} {fmt_money(total['exposure'])}" in page
