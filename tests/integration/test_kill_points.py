"""Kill `pmo run` at every stage and check that the next run, started without help, ends with exactly
what an uninterrupted run publishes: the marts (bench/mart_hashes.py), the serving file's other
tables, the figures frozen for the pack (reported/<period>/) and the pack's text.

Each kill SIGKILLs the whole process group (dbt included) once the instance's step events show the
run inside the stage; the home is the same throughout, as on a server where last night's run died.
Ctrl-C (SIGINT to the group) is checked here too: exit 130 and a canceled run.  Slow: about ten runs.
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
import signal
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterRunStatus
from runproc import (
    BUILD_EVERY_NODE,
    PERIOD,
    assert_clean_console,
    instance_for,
    kill_at_step,
    make_home,
    slot_state,
    start_run,
    wait_for_step,
)

from orchestration.settings import load_settings

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("mart_hashes", Path(__file__).resolve().parents[2] / "bench" /
                                               "mart_hashes.py")
mart_hashes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mart_hashes)

VOLATILE_TEXT = [
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?"), "<time>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<run>"),
]


def pack_text(pdf: Path) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    for pattern, repl in VOLATILE_TEXT:
        text = pattern.sub(repl, text)
    return " ".join(text.split())  # a run id's glyph widths move line breaks


def frozen_figures(folder: Path) -> dict[str, str]:
    """One digest per Parquet file frozen for the pack, over its rows in a total order (without the columns
    that record when a row was loaded, as bench/mart_hashes.py leaves them out)."""
    out = {}
    con = duckdb.connect()
    try:
        for path in sorted(folder.glob("*.parquet")):
            cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]
            kept = ", ".join(f'"{c}"' for c in cols if c.lower() not in mart_hashes.VOLATILE)
            rows = con.execute(f"select {kept} from read_parquet('{path}') order by all").fetchall()
            out[path.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        con.close()
    return out


def published(home: Path) -> dict:
    settings = load_settings(home)
    return {
        "marts": mart_hashes.fingerprints(str(settings.serving_path)),
        "serving": mart_hashes.fingerprints(str(settings.serving_path), ("marts", "quality")),
        "parquet": sorted(p.name for p in settings.parquet_dir.glob("*.parquet")),
        "frozen": frozen_figures(settings.reported_dir / PERIOD),
        "pack": pack_text(settings.reports_dir / PERIOD / "portfolio-pack.pdf"),
        "leftovers": sorted(p.name for p in home.rglob(".*") if p.name not in (".demo-files.json",)),
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = make_home(tmp_path_factory.mktemp("home"))
    logs = tmp_path_factory.mktemp("logs")
    rp = start_run(root, PERIOD, logs, "baseline")
    assert rp.wait() == 0, rp.output()
    return {"home": root, "logs": logs, "baseline": published(root)}


@pytest.mark.parametrize("step,delay", [
    ("ingest_landing", 1.0),
    ("raw_expectations", 2.0),
    ("dbt_models", 5.0),
    ("mart_expectations", 1.0),
    ("serving__snapshot", 0.0),
    ("reports__portfolio_pack", 0.0),
    ("reports__portfolio_pack", 0.5),
])
def test_after_a_kill_the_next_run_publishes_what_an_uninterrupted_run_does(home, step, delay):
    root, logs = home["home"], home["logs"]
    killed, code, _ = kill_at_step(root, PERIOD, step, logs, signal.SIGKILL, delay=delay,
                                   extra_env=BUILD_EVERY_NODE if step == "dbt_models" else None)
    assert code == -signal.SIGKILL
    with instance_for(root) as instance:
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.STARTED
        ended = {e.step_key for e in instance.all_logs(killed, of_type=DagsterEventType.STEP_SUCCESS)}
    print(f"killed {killed[:8]} in {step} after {delay} s; steps finished: {sorted(ended)}")

    rp = start_run(root, PERIOD, logs, "after-kill")
    assert rp.wait() == 0, rp.output()

    with instance_for(root) as instance:
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE
    assert slot_state(root) == ([], [])
    after = published(root)
    for key in ("marts", "serving", "parquet", "frozen", "pack", "leftovers"):
        assert after[key] == home["baseline"][key], key


def test_ctrl_c_cancels_the_run_with_exit_130(home):
    root, logs = home["home"], home["logs"]
    before = published(root)
    rp = start_run(root, PERIOD, logs, "ctrl-c")
    run_id = wait_for_step(root, rp, "raw_expectations")
    time.sleep(1.0)
    rp.signal_group(signal.SIGINT)  # a terminal sends Ctrl-C to the whole foreground group
    code = rp.wait(timeout=300)
    output = rp.output()
    assert code == 130, output
    assert "Canceled by SIGINT" in output
    assert_clean_console(output)
    with instance_for(root) as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.CANCELED
    assert slot_state(root) == ([], [])
    assert published(root) == before
