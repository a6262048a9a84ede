"""The Primavera P6 XER reader and writer: real P6 exports (shared/samples/xer) and hand-made trap fixtures.

Real samples are read from ``../shared/samples`` (or ``$PMO_SAMPLES_DIR``) and never copied into the
repository; their tests skip when the folder is absent.  Totals asserted here are the ones SOURCES.md
states for each file.
"""
from __future__ import annotations

import gzip
import os
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, TEXT
from orchestration.demo.exports.schedules import write_xer
from orchestration.sources import xer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "xer"
SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR")
               or Path(__file__).resolve().parents[3].parent / "shared" / "samples")
needs_samples = pytest.mark.skipif(not (SAMPLES / "xer").is_dir(),
                                   reason=f"real samples not available at {SAMPLES}")

HS2 = "SP10-COST-LOADED.xer.gz"
BL = "BL-54069-B2-20250902.xer"
UP = "UP-54069-20260122.xer"


@pytest.fixture(scope="module")
def sample():
    def get(name: str) -> Path:
        p = SAMPLES / "xer" / name
        if not p.is_file():
            pytest.skip(f"real sample {p} not available")
        return p
    return get


@pytest.fixture(scope="module")
def hs2(sample):
    return xer.read(sample(HS2))


def money(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"))


def assert_canonical(rows, entity):
    """Every row holds contract columns (plus _source_row) with the contract's Python types."""
    ent = ENTITIES[entity]
    types = {DATE: date, MONEY: Decimal, NUMBER: float, BOOL: bool, TEXT: str}
    for row in rows:
        assert set(row) <= set(ent.column_names) | {"_source_row"}, set(row) - set(ent.column_names)
        assert isinstance(row["_source_row"], int) and row["_source_row"] >= 1
        for col in ent.columns:
            value = row.get(col.name)
            if col.required:
                assert value is not None, (col.name, row)
            if value is not None:
                assert isinstance(value, types[col.type]), (col.name, value)
                if col.allowed:
                    assert value in col.allowed, (col.name, value)


def by_code(result):
    return {r["task_code"]: r for r in result.entities["tasks"].rows}


# ----------------------------------------------------------------------------------------- detect

def test_detect_xer_header_plain_and_gzipped(tmp_path):
    multi = FIXTURES / "multi_project.xer"
    assert xer.detect(multi, multi.read_bytes()[:4096])
    gz = tmp_path / "multi.xer.gz"
    gz.write_bytes(gzip.compress(multi.read_bytes()))
    assert xer.detect(gz, gz.read_bytes()[:4096])
    assert not xer.detect(tmp_path / "x.csv", b"project_code,project_name\nP1,x\n")
    assert not xer.detect(tmp_path / "x.xml", b'<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project">')


# ------------------------------------------------------------------------------- real P6 samples

@needs_samples
def test_hs2_activities_costs_and_data_date(hs2):
    tasks = hs2.entities["tasks"]
    assert hs2.format == "p6-xer"
    assert hs2.errors == []
    assert tasks.quarantine == []
    assert len(tasks.rows) == 3994                      # activities only, no WBS nodes (MPXJ shows 6,260)
    assert {r["status_date"] for r in tasks.rows} == {date(2017, 9, 16)}
    assert {r["project_code"] for r in tasks.rows} == {"HS2-LWM-IMP-040-20"}
    # TASKRSRC totals (SOURCES.md): target 215,918,496.41; actual 16,001,858.60; remaining 201,650,471.06
    assert money(sum(r["baseline_cost"] for r in tasks.rows)) == Decimal("215918496.41")
    assert money(sum(r["actual_cost"] for r in tasks.rows)) == Decimal("16001858.60")
    assert money(sum(r["remaining_cost"] for r in tasks.rows)) == Decimal("201650471.06")
    # MPXJ's leaf "cost" = actual + remaining
    assert money(sum(r["actual_cost"] + r["remaining_cost"] for r in tasks.rows)) == Decimal("217652329.66")
    assert_canonical(tasks.rows, "tasks")


@needs_samples
def test_hs2_status_milestones_baseline_and_no_summary_double_count(hs2):
    rows = hs2.entities["tasks"].rows
    status = Counter("complete" if r["actual_finish"] else "active" if r["actual_start"] else "not started"
                     for r in rows)
    assert status == {"not started": 3301, "active": 170, "complete": 523}
    assert sum(r["is_milestone"] for r in rows) == 1037 + 319   # TT_FinMile + TT_Mile
    assert sum(r["ev_method"] == "loe" for r in rows) == 3
    # No baseline project in the file (sum_base_proj_id 599): planned values are the baseline, and we say so.
    assert {r["baseline_version"] for r in rows} == {"target"}
    assert any("baseline project id 599" in w for w in hs2.warnings)
    # WBS paths are parents, never activities: no emitted task is another's parent.
    codes = {r["task_code"] for r in rows}
    parents = {r["parent_task_code"] for r in rows if r["parent_task_code"]}
    assert parents and not parents & codes
    # Finished activities have no forecast; unfinished ones do.
    assert all(r["forecast_finish"] is None for r in rows if r["actual_finish"])
    assert all(r["forecast_finish"] is not None for r in rows if not r["actual_finish"])
    cost1080 = next(r for r in rows if r["task_code"] == "COST-1080")   # INPUT-FORMATS §6 (MPXJ check)
    assert money(cost1080["baseline_cost"]) == Decimal("149056.94")
    assert money(cost1080["actual_cost"]) == Decimal("139196.40")


@needs_samples
def test_hs2_project_row(hs2):
    projects = hs2.entities["projects"]
    assert projects.quarantine == []
    assert projects.rows == [{
        "project_code": "HS2-LWM-IMP-040-20",
        "project_name": "ENABLING WORKS WORK PACKAGE STRATEGY P10 : AREA CENTRAL",
        "currency": "GBP", "status": "active", "start_date": date(2016, 11, 17),
        "planned_finish_date": date(2023, 1, 13), "_source_row": 53,
    }]
    assert_canonical(projects.rows, "projects")


@needs_samples
def test_hs2_uncompressed_reads_the_same(sample, tmp_path):
    plain = tmp_path / "SP10.xer"
    with gzip.open(sample(HS2)) as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    res = xer.read(plain)
    assert len(res.entities["tasks"].rows) == 3994
    assert money(sum(r["baseline_cost"] for r in res.entities["tasks"].rows)) == Decimal("215918496.41")


@needs_samples
def test_percent_complete_by_type(sample):
    """percent-complete-8.4.xer: Duration / Physical / Units x 0, 25, 75, 100 % - the name says the answer."""
    res = xer.read(sample("percent-complete-8.4.xer"))
    rows = res.entities["tasks"].rows
    assert res.errors == [] and res.entities["tasks"].quarantine == []
    assert len(rows) == 12
    got = {r["task_name"]: r["percent_complete"] for r in rows}
    expected = {f"{kind} {pct}%": float(pct) for kind in ("Duration", "Physical", "Units") for pct in (0, 25, 75, 100)}
    assert got == expected
    assert {r["status_date"] for r in rows} == {date(2015, 2, 24)}
    assert res.entities["projects"].rows[0]["currency"] == "USD"
    assert res.entities["projects"].rows[0]["project_name"] == "Percent Complete Test"
    assert {(r["baseline_start"], r["baseline_finish"]) for r in rows} == {(date(2015, 2, 24), date(2015, 7, 13))}


@needs_samples
def test_resource_rates_target_cost(sample):
    """resource-rates-test.xer: one activity, 5 TASKRSRC rows with target_cost 240/480/1440/1680/23760."""
    res = xer.read(sample("resource-rates-test.xer"))
    (row,) = res.entities["tasks"].rows
    assert row["task_code"] == "A1000"
    assert row["baseline_cost"] == Decimal(240 + 480 + 1440 + 1680 + 23760)
    assert res.entities["projects"].rows[0]["currency"] == "USD"


@needs_samples
def test_bl_and_up_counts_and_data_dates(sample):
    bl, up = xer.read(sample(BL)), xer.read(sample(UP))
    for res, n, status, counts in ((bl, 47, date(2025, 9, 2), (24, 1, 22)), (up, 58, date(2026, 1, 23), (18, 2, 38))):
        rows = res.entities["tasks"].rows
        assert res.errors == [] and res.entities["tasks"].quarantine == []
        assert len(rows) == n
        assert {r["status_date"] for r in rows} == {status}
        c = Counter("complete" if r["actual_finish"] else "active" if r["actual_start"] else "not started"
                    for r in rows)
        assert (c["not started"], c["active"], c["complete"]) == counts
        assert sum(r["baseline_cost"] for r in rows) == 0          # 3 PROJCOST rows, all zero; no resources
        assert res.entities["projects"].rows[0]["currency"] == "USD"
        assert_canonical(rows, "tasks")


@needs_samples
def test_up_with_bl_as_baseline(sample):
    bl_rows = by_code(xer.read(sample(BL)))
    up_own = by_code(xer.read(sample(UP)))
    res = xer.read(sample(UP), baseline_path=sample(BL))
    rows = by_code(res)
    assert res.errors == []
    new = set(up_own) - set(bl_rows)
    dropped = set(bl_rows) - set(up_own)
    assert len(new) == 13 and len(dropped) == 2                  # SOURCES.md: +13 / -2
    assert {c for c, r in rows.items() if r["baseline_version"] == "BL-54069-B2-20250902"} == set(up_own) - new
    assert {c for c, r in rows.items() if r["baseline_version"] == "target"} == new
    assert any("13 activities are not in baseline BL-54069-B2-20250902" in w for w in res.warnings)
    assert any("dropped scope" in w and all(c in w for c in dropped) for w in res.warnings)
    # Baseline dates and costs come from the BL file, not from UP's own planned values.
    pcs = rows["PCS-140"]
    assert (pcs["baseline_start"], pcs["baseline_finish"]) == (date(2025, 12, 4), date(2026, 1, 4))
    assert (up_own["PCS-140"]["baseline_start"], up_own["PCS-140"]["baseline_finish"]) == (date(2026, 4, 9),
                                                                                            date(2026, 5, 6))
    for code in set(up_own) - new:
        assert rows[code]["baseline_start"] == bl_rows[code]["baseline_start"]
        assert rows[code]["baseline_finish"] == bl_rows[code]["baseline_finish"]
        assert rows[code]["baseline_cost"] == bl_rows[code]["baseline_cost"] == 0
    # Progress and status stay UP's own.
    assert {r["status_date"] for r in rows.values()} == {date(2026, 1, 23)}


# ------------------------------------------------------------------------------ hand-made traps

def test_multi_project_file_maps_columns_by_name():
    res = xer.read(FIXTURES / "multi_project.xer")
    tasks = by_code(res)
    assert res.errors == []
    assert res.entities["tasks"].quarantine == []
    assert_canonical(res.entities["tasks"].rows, "tasks")
    assert {c: r["project_code"] for c, r in tasks.items()} == {
        "A1000": "ALPHA", "A1010": "ALPHA", "A1020": "ALPHA", "A1030": "ALPHA", "A1040": "ALPHA", "A1050": "ALPHA",
        "B100": "BRAVO", "B110": "BRAVO"}
    assert tasks["A1000"]["status_date"] == date(2024, 4, 30)
    assert tasks["B100"]["status_date"] == date(2024, 4, 26)
    assert tasks["A1000"]["task_name"] == "Survey (café)"               # cp1252 0xE9
    assert tasks["A1000"]["_source_row"] == 22                           # the file's line


def test_costs_from_taskrsrc_and_projcost():
    tasks = by_code(xer.read(FIXTURES / "multi_project.xer"))
    # A1010: two TASKRSRC rows (labour + equipment) plus a PROJCOST expense
    assert tasks["A1010"]["baseline_cost"] == Decimal("37500.10")
    assert tasks["A1010"]["actual_cost"] == Decimal(14200)
    assert tasks["A1010"]["remaining_cost"] == Decimal(24900)
    # B100: labour with overtime, a material, an expense
    assert tasks["B100"]["baseline_cost"] == Decimal("18499.99")
    assert tasks["B100"]["actual_cost"] == Decimal(11000)
    assert tasks["B100"]["remaining_cost"] == Decimal("7999.99")
    assert tasks["A1050"]["baseline_cost"] == 0 and tasks["A1050"]["actual_cost"] == 0
    alpha = sum(r["baseline_cost"] for r in tasks.values() if r["project_code"] == "ALPHA")
    assert alpha == Decimal("113500.60")


def test_percent_complete_rules():
    tasks = by_code(xer.read(FIXTURES / "multi_project.xer"))
    assert tasks["A1000"]["percent_complete"] == 100.0     # CP_Drtn, remaining 0
    assert tasks["A1010"]["percent_complete"] == 40.0      # CP_Phys
    assert tasks["A1020"]["percent_complete"] == 40.0      # CP_Units from TASK: (30+10)/(30+10+50+10)
    assert tasks["A1030"]["percent_complete"] == 0.0       # zero-duration milestone, not started
    assert tasks["A1040"]["percent_complete"] == 37.5      # (800-500)/800
    assert tasks["A1050"]["percent_complete"] == 0.0       # remaining 200 > original 160: clamped, not negative
    assert tasks["B100"]["percent_complete"] == 25.0       # CP_Units from TASKRSRC, material excluded: 25/100


def test_wbs_path_milestones_loe_forecast():
    tasks = by_code(xer.read(FIXTURES / "multi_project.xer"))
    assert tasks["A1000"]["parent_task_code"] == "1"
    assert tasks["A1010"]["parent_task_code"] == "1.2"
    assert tasks["A1030"]["parent_task_code"] is None      # straight under the project node
    assert tasks["B100"]["parent_task_code"] == "B"
    assert [c for c, r in tasks.items() if r["is_milestone"]] == ["A1030", "B110"]
    assert tasks["A1040"]["ev_method"] == "loe"
    assert tasks["A1010"]["ev_method"] == "percent_complete"
    assert tasks["A1000"]["forecast_finish"] is None       # finished
    assert tasks["A1000"]["actual_finish"] == date(2024, 1, 19)
    assert tasks["A1010"]["forecast_finish"] == date(2024, 6, 14)
    assert tasks["A1010"]["baseline_start"] == date(2024, 3, 1)
    assert tasks["A1010"]["actual_start"] == date(2024, 3, 4)


def test_projects_currency_and_warnings():
    res = xer.read(FIXTURES / "multi_project.xer", currency="EUR")
    projects = {p["project_code"]: p for p in res.entities["projects"].rows}
    assert projects["ALPHA"] == {"project_code": "ALPHA", "project_name": "Alpha depot refit (£2m)",
                                 "currency": "GBP", "status": "active", "start_date": date(2024, 1, 8),
                                 "planned_finish_date": date(2024, 9, 27), "_source_row": 11}
    assert projects["BRAVO"]["planned_finish_date"] == date(2024, 12, 20)   # no scd_end_date: plan_end_date
    assert_canonical(res.entities["projects"].rows, "projects")
    assert any("unknown table 'ZZCUSTOM'" in w and "line 6" in w for w in res.warnings)
    assert any("baseline project id 99" in w for w in res.warnings)
    assert any("currency='EUR' ignored" in w for w in res.warnings)        # the file's base currency wins
    assert not any("TASKPRED" in w for w in res.warnings)                  # known tables are skipped silently


def test_options_status_date_and_project_code_mapping():
    res = xer.read(FIXTURES / "multi_project.xer", status_date="2024-05-31",
                   project_code={"ALPHA": "PRJ-A", "BRAVO": "PRJ-B"})
    rows = res.entities["tasks"].rows
    assert {r["status_date"] for r in rows} == {date(2024, 5, 31)}
    assert {r["project_code"] for r in rows} == {"PRJ-A", "PRJ-B"}
    assert {p["project_code"] for p in res.entities["projects"].rows} == {"PRJ-A", "PRJ-B"}
    single = xer.read(FIXTURES / "multi_project.xer", project_code="ONE")
    assert any("project_code='ONE' ignored" in w for w in single.warnings)


def test_gzip_is_read_transparently(tmp_path):
    gz = tmp_path / "multi_project.xer.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "multi_project.xer").read_bytes()))
    assert by_code(xer.read(gz)) == by_code(xer.read(FIXTURES / "multi_project.xer"))


def test_truncated_file_keeps_rows_read_so_far():
    res = xer.read(FIXTURES / "truncated.xer")
    tasks = res.entities["tasks"]
    assert [r["task_code"] for r in tasks.rows] == ["T1", "T2"]
    (err,) = res.errors
    assert "truncated.xer" in err and "truncated" in err and "line 16" in err and "%E" in err
    (q,) = tasks.quarantine
    assert q.source_row == 16 and "truncated.xer: line 16" in q.reason and "cut short" in q.reason
    assert tasks.rows_in == 3


def test_truncated_gzip_stream(tmp_path):
    data = gzip.compress((FIXTURES / "multi_project.xer").read_bytes())
    gz = tmp_path / "cut.xer.gz"
    gz.write_bytes(data[: len(data) // 2])
    res = xer.read(gz)
    assert any("gzip stream is truncated" in e for e in res.errors)
    assert any("without the %E end marker" in e for e in res.errors)


def test_damaged_rows_are_quarantined_naming_line_and_column():
    res = xer.read(FIXTURES / "damaged_rows.xer")
    tasks = res.entities["tasks"]
    assert [r["task_code"] for r in tasks.rows] == ["T1", "T7"]
    assert tasks.rows[1]["baseline_cost"] == Decimal("250.25")
    q = {x.source_row: x for x in tasks.quarantine}
    assert sorted(q) == [15, 16, 17, 18, 19, 21]
    for x in q.values():
        assert x.reason.startswith(f"damaged_rows.xer: line {x.source_row}")
    assert "22 fields but its %F line has 21" in q[15].reason                       # wrong field count
    assert q[16].column == "target_start_date" and q[16].value == "2024-13-45 08:00"  # bad date
    assert q[17].column == "phys_complete_pct" and "not a number" in q[17].reason     # bad number
    # A damaged cost row quarantines its activity, naming the TASKRSRC line and column.
    assert q[18].column == "TASKRSRC.target_cost" and q[18].value == "12,000.00" and "line 25" in q[18].reason
    assert "line 26" in q[19].reason and "4 fields but its %F line has 6" in q[19].reason
    assert q[21].column == "target_end_date" and "required value is blank" in q[21].reason
    assert tasks.rows_in == 8


def test_missing_required_task_column_is_a_file_error():
    res = xer.read(FIXTURES / "missing_task_code.xer")
    (err,) = res.errors
    assert "missing_task_code.xer" in err and "table TASK" in err and "task_code" in err
    tasks = res.entities["tasks"]
    assert tasks.rows == [] and len(tasks.quarantine) == 2
    assert all(q.column == "task_code" for q in tasks.quarantine)


def test_no_currency_and_no_data_date():
    res = xer.read(FIXTURES / "no_currency_no_data_date.xer")
    assert res.entities["projects"].rows[0]["currency"] == "GBP"
    assert any("no base currency" in w and "GBP is assumed" in w for w in res.warnings)
    tasks = res.entities["tasks"]
    assert tasks.rows == [] and len(tasks.quarantine) == 2
    assert all("last_recalc_date" in q.reason and "no status_date option" in q.reason for q in tasks.quarantine)
    ok = xer.read(FIXTURES / "no_currency_no_data_date.xer", status_date=date(2024, 3, 31), currency="usd")
    assert [r["status_date"] for r in ok.entities["tasks"].rows] == [date(2024, 3, 31)] * 2
    assert ok.entities["projects"].rows[0]["currency"] == "USD"
    assert ok.entities["tasks"].rows[0]["percent_complete"] == 10.0


def test_baseline_path_takes_baseline_from_the_other_export():
    own = by_code(xer.read(FIXTURES / "pair_update.xer"))
    res = xer.read(FIXTURES / "pair_update.xer", baseline_path=FIXTURES / "pair_baseline.xer")
    rows = by_code(res)
    assert own["P1"]["baseline_cost"] == 1100 and own["P1"]["baseline_version"] == "target"
    assert rows["P1"]["baseline_cost"] == 1000 and rows["P1"]["baseline_version"] == "PX-BL"
    assert (rows["P1"]["baseline_start"], rows["P1"]["baseline_finish"]) == (date(2024, 1, 1), date(2024, 1, 31))
    assert rows["P2"]["baseline_cost"] == 2000
    assert rows["P4"]["baseline_cost"] == 300 and rows["P4"]["baseline_version"] == "target"   # new scope
    assert rows["P1"]["actual_cost"] == 1150 and rows["P1"]["percent_complete"] == 100.0     # progress is UP's
    assert any("1 activities are not in baseline PX-BL" in w for w in res.warnings)
    assert any("dropped scope" in w and "P3" in w for w in res.warnings)
    missing = xer.read(FIXTURES / "pair_update.xer", baseline_path=FIXTURES / "nope.xer")
    assert any("nope.xer does not exist" in e for e in missing.errors)


def test_wbs_path_equal_to_an_activity_code_is_not_a_parent(tmp_path):
    text = (FIXTURES / "multi_project.xer").read_bytes().replace(b"%R\tB110\t", b"%R\tB\t")
    p = tmp_path / "collide.xer"
    p.write_bytes(text)
    res = xer.read(p)
    tasks = by_code(res)
    assert tasks["B100"]["parent_task_code"] is None
    assert any("WBS path(s) B equal activity codes" in w for w in res.warnings)


def test_undefined_cp1252_bytes_and_utf8_files(tmp_path):
    raw = (FIXTURES / "multi_project.xer").read_bytes()
    p = tmp_path / "odd.xer"
    p.write_bytes(raw.replace(b"Piling", b"Pil\x81ng"))           # 0x81 is undefined in cp1252
    res = xer.read(p)
    assert by_code(res)["A1010"]["task_name"] == "Pil\x81ng"
    assert any("0x81" in w and "Windows-1252" in w for w in res.warnings)
    u = tmp_path / "utf8.xer"
    u.write_bytes(raw.decode("cp1252").encode("utf-8"))
    assert by_code(xer.read(u))["A1000"]["task_name"] == "Survey (café)"


# ------------------------------------------------------------------------------------ the writer

def _canonical_fixture():
    projects = [
        {"project_code": "PRJ-001", "project_name": "Depot refit", "currency": "GBP",
         "start_date": date(2026, 1, 5), "planned_finish_date": date(2026, 6, 30), "status": "active"},
        {"project_code": "PRJ-002", "project_name": "Signalling", "currency": "GBP",
         "start_date": "2026-02-02", "planned_finish_date": "2026-09-30", "status": "active"},
    ]
    def t(sd, p, c, parent, name, bs, bf, cost, pct, ms=False, a_s=None, a_f=None, ff=None, ac=None, rc=None):
        return {"status_date": sd, "project_code": p, "task_code": c, "parent_task_code": parent, "task_name": name,
                "is_milestone": ms, "ev_method": "percent_complete", "baseline_start": bs, "baseline_finish": bf,
                "baseline_cost": cost, "percent_complete": pct, "actual_start": a_s, "actual_finish": a_f,
                "forecast_finish": ff, "baseline_version": "BL1", "actual_cost": ac, "remaining_cost": rc}
    s1, s2 = date(2026, 2, 28), date(2026, 3, 31)
    old = [t(s1, "PRJ-001", "T1", "S1", "Survey", date(2026, 1, 5), date(2026, 1, 30), Decimal(1000), 50.0)]
    tasks = [
        t(s2, "PRJ-001", "S1", None, "Phase 1 (summary)", date(2026, 1, 5), date(2026, 3, 27), Decimal("61000.1234"), None),
        t(s2, "PRJ-001", "T1", "S1", "Survey – £ costs", date(2026, 1, 5), date(2026, 1, 30), Decimal("21000.1234"),
          100.0, a_s=date(2026, 1, 5), a_f=date(2026, 2, 3), ac=Decimal("22000.50"), rc=Decimal(0)),
        t(s2, "PRJ-001", "T2", "S1", "Build", date(2026, 2, 2), date(2026, 3, 27), Decimal(40000), 33.3,
          a_s=date(2026, 2, 9), ff=date(2026, 4, 10), ac=Decimal(15000), rc=Decimal(27000)),
        t(s2, "PRJ-001", "M1", None, "Handover", date(2026, 6, 30), date(2026, 6, 30), Decimal(0), 0.0, ms=True,
          ff=date(2026, 7, 3)),
        t(s2.isoformat(), "PRJ-002", "A", None, "Design", "2026-02-02", "2026-04-30", "125000.50", "12.5"),
    ]
    return projects, old + tasks


def test_write_xer_round_trip(tmp_path):
    projects, tasks = _canonical_fixture()
    path = write_xer(tmp_path / "demo.xer", projects, tasks, export_date=date(2026, 4, 1))
    head = path.read_bytes()[:4096]
    assert xer.detect(path, head) and b"\r\n" in head
    res = xer.read(path)
    assert res.errors == [] and res.warnings == []
    assert_canonical(res.entities["tasks"].rows, "tasks")
    got = {(r["project_code"], r["task_code"]): r for r in res.entities["tasks"].rows}
    leaves = [t for t in tasks if t["task_code"] != "S1" and str(t["status_date"]) == "2026-03-31"]
    assert set(got) == {(t["project_code"], t["task_code"]) for t in leaves}   # summary S1 became a WBS node
    for t in leaves:
        r = got[(t["project_code"], t["task_code"])]
        assert r["status_date"] == date(2026, 3, 31)
        assert r["baseline_start"] == date.fromisoformat(str(t["baseline_start"]))
        assert r["baseline_finish"] == date.fromisoformat(str(t["baseline_finish"]))
        assert r["baseline_cost"] == Decimal(str(t["baseline_cost"]))
        assert r["percent_complete"] == float(t["percent_complete"])
        assert r["is_milestone"] == t["is_milestone"]
    assert got[("PRJ-001", "T1")]["parent_task_code"] == "S1"
    assert got[("PRJ-001", "T1")]["actual_cost"] == Decimal("22000.50")
    assert got[("PRJ-001", "T1")]["task_name"] == "Survey – £ costs"
    assert got[("PRJ-001", "T2")]["forecast_finish"] == date(2026, 4, 10)
    assert got[("PRJ-001", "T2")]["actual_start"] == date(2026, 2, 9)
    prj = {p["project_code"]: p for p in res.entities["projects"].rows}
    assert set(prj) == {"PRJ-001", "PRJ-002"}
    assert prj["PRJ-001"]["project_name"] == "Depot refit" and prj["PRJ-001"]["currency"] == "GBP"
    assert prj["PRJ-002"]["start_date"] == date(2026, 2, 2)


def test_write_xer_refuses_mixed_currencies(tmp_path):
    projects, tasks = _canonical_fixture()
    projects[1]["currency"] = "EUR"
    with pytest.raises(ValueError, match="one base currency"):
        write_xer(tmp_path / "x.xer", projects, tasks)


def test_damaged_baseline_file_is_reported_not_understated(tmp_path):
    raw = (FIXTURES / "pair_baseline.xer").read_bytes()
    bad = tmp_path / "bl_damaged.xer"
    bad.write_bytes(raw.replace(b"\t12\tc\t2000", b"\t12\tc\t2,000"))
    assert b"2,000" in bad.read_bytes()
    res = xer.read(FIXTURES / "pair_update.xer", baseline_path=bad)
    rows = by_code(res)
    assert rows["P2"]["baseline_version"] == "target" and rows["P2"]["baseline_cost"] == 2500   # not 0
    assert rows["P1"]["baseline_version"] == "PX-BL"
    assert any(w.startswith("baseline bl_damaged.xer") and "P2" in w for w in res.warnings)


def test_missing_file_raises_reader_error(tmp_path):
    from orchestration.sources.toolkit import ReaderError
    with pytest.raises(ReaderError):
        xer.read(tmp_path / "absent.xer")
