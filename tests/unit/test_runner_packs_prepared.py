"""`pmo run` loads the pack's libraries on a thread of its own while dbt builds (orchestration/cli/runner.py)."""
from __future__ import annotations

import threading
import time

import pytest

import orchestration.reports.render as render
from orchestration.cli import runner
from orchestration.defs.assets import DBT_STEP


@pytest.fixture
def prepared(monkeypatch):
    """Replace the loading with a record of which thread did it, taking long enough that the run's end must wait."""
    calls: list[tuple[str, str]] = []

    def prepare():
        time.sleep(0.2)
        calls.append((threading.current_thread().name, "done"))

    monkeypatch.setattr(render, "prepare_process", prepare)
    return calls


def test_the_dbt_step_starts_the_loading_once_and_every_step_is_passed_on(prepared):
    seen: list[tuple[str, str, float | None]] = []
    with runner._packs_prepared_during_dbt(lambda *args: seen.append(args), DBT_STEP) as listener:
        listener("ingest_landing", "started", None)
        listener("ingest_landing", "done", 2.5)
        assert prepared == []  # nothing loaded before dbt starts
        listener(DBT_STEP, "started", None)
        listener(DBT_STEP, "done", 9.5)
        listener(DBT_STEP, "started", None)  # a step told twice does not load twice
        started = [t for t in threading.enumerate() if t.name == "pmo-pack-prepare"]
        assert len(started) == 1 and started[0].daemon
    # the run's end waited for the thread: its work is done, on its own thread
    assert prepared == [("pmo-pack-prepare", "done")]
    assert seen == [("ingest_landing", "started", None), ("ingest_landing", "done", 2.5),
                    (DBT_STEP, "started", None), (DBT_STEP, "done", 9.5),
                    (DBT_STEP, "started", None)]


def test_a_run_that_never_reaches_dbt_loads_nothing(prepared):
    with runner._packs_prepared_during_dbt(None, DBT_STEP) as listener:
        listener("ingest_landing", "failed", 0.3)
    assert prepared == []


def test_a_failed_loading_is_left_to_the_pack_step(monkeypatch, caplog):
    def broken():
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(render, "prepare_process", broken)
    raised: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    with caplog.at_level("DEBUG", logger="orchestration.cli.runner"), \
            runner._packs_prepared_during_dbt(None, DBT_STEP) as listener:
        listener(DBT_STEP, "started", None)
    # caught on its thread and logged for debugging; the pack step imports WeasyPrint again and says what is missing
    assert raised == []
    [record] = [r for r in caplog.records if "ahead of the pack step" in r.getMessage()]
    assert "libpango" in str(record.exc_info[1])


def test_prepare_process_compiles_the_pack_template():
    render._pack_environment.cache_clear()
    render.prepare_process()
    environment = render._pack_environment()
    # the compiled template is in the environment's cache: the pack step's get_template does not compile it again
    assert any(key[1] == render.TEMPLATE_NAME for key in environment.cache)
    import sys

    assert {"weasyprint", "pypdf", "matplotlib", "orchestration.reports.period"} <= set(sys.modules)
