"""Shaping the demo's exports: cut at today for the current month, then real tools' formats."""
from datetime import date

from orchestration.demo.generator import generate_demo
from orchestration.demo.formats import clip_to_data_date
from orchestration.sources.canonical import read_canonical_csv


def test_clip_to_data_date_drops_future_actuals_and_dates_snapshots_back(tmp_path):
    summary = generate_demo(tmp_path / "landing", seed=3, projects=5, months=3, as_of="2026-03")
    data_date = date(2026, 3, 18)
    before = {f: len(read_canonical_csv(f, f.parent.name).rows) for f in summary.files
              if f.parent.name == "timesheets"}
    clip_to_data_date(summary.files, data_date)
    for f in summary.files:
        entity = f.parent.name
        rows = read_canonical_csv(f, entity).rows
        if entity == "timesheets":
            assert all(r["work_date"] <= data_date for r in rows)
            if f.stem.endswith("2026-03"):
                assert 0 < len(rows) < before[f]  # the rest of March is gone, its first half stays
            else:
                assert len(rows) == before[f]
        if entity == "ledger":
            assert all(r["posting_date"] <= data_date for r in rows)
        if entity in ("tasks", "risks", "work_items"):
            assert max(r["status_date"] for r in rows) <= data_date
        if entity == "tasks" and f.stem.endswith("2026-03"):
            assert {r["status_date"] for r in rows} == {data_date}
            assert all(r["actual_finish"] is None or r["actual_finish"] <= data_date for r in rows)
