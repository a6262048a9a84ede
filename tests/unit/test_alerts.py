"""Alerts and run summaries for runs that end badly, whoever started them: alerts.log, the webhook
(against a local http.server), and the run-status sensors."""
from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, build_run_status_sensor_context
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.pipeline.alerts import alert_run, post_webhook, record_run_end
from orchestration.cli.runner import RunOutcome
from orchestration.defs.sensors import build_run_end_sensors
from orchestration.settings import SettingsError, activate, load_settings


class Hook(BaseHTTPRequestHandler):
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


class FailingHook(Hook):
    status = 500


def serve(handler):
    server = HTTPServer(("127.0.0.1", 0), handler)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def hook():
    server = serve(Hook)
    yield server
    server.shutdown()
    server.server_close()


def home_with(tmp_path, **settings) -> object:
    home = tmp_path / "home"
    home.mkdir()
    lines = [f"{k}: {json.dumps(v)}" for k, v in settings.items()]
    (home / "settings.yaml").write_text("\n".join(lines) + "\n")
    return load_settings(home)


def failed_outcome(**kw) -> RunOutcome:
    values = dict(period="2026-03", run_id=str(uuid.uuid4()), success=False, seconds=1.0, status="failed",
                  failed_steps=["dbt_models: dbt build failed"], trigger="schedule nightly_open_period")
    values.update(kw)
    return RunOutcome(**values)


def test_a_failed_run_is_alerted_once_in_alerts_log_and_on_the_webhook(tmp_path, hook):
    settings = home_with(tmp_path, alert_webhook=f"http://127.0.0.1:{hook.server_port}/pmo")
    outcome = failed_outcome()

    line = alert_run(settings, outcome)
    assert alert_run(settings, outcome) is None  # once per run

    logged = settings.alerts_log.read_text().splitlines()
    assert logged == [line]
    assert f"FAILED period 2026-03 run {outcome.run_id} (schedule nightly_open_period): step dbt_models: dbt build " \
           "failed" in line
    [(path, content_type, payload)] = hook.received
    assert path == "/pmo" and content_type == "application/json"
    assert payload["status"] == "failed" and payload["period"] == "2026-03" and payload["run_id"] == outcome.run_id
    assert payload["failed"] == ["step dbt_models: dbt build failed"]
    assert payload["text"].endswith(line)


def test_a_blocked_run_names_the_failed_check(tmp_path):
    settings = home_with(tmp_path)
    outcome = failed_outcome(status="blocked", failed_steps=[],
                             failed_checks=["raw/timesheets · timesheets_expectations: 1 of 12 rows: hours 30"])
    line = alert_run(settings, outcome)
    assert "BLOCKED period 2026-03" in line
    assert line.endswith("check raw/timesheets · timesheets_expectations: 1 of 12 rows: hours 30")


def test_a_webhook_that_fails_is_logged_and_never_raises(tmp_path):
    failing = serve(FailingHook)
    try:
        settings = home_with(tmp_path, alert_webhook=f"http://127.0.0.1:{failing.server_port}/")
        outcome = failed_outcome()
        assert alert_run(settings, outcome) is not None
        assert len(failing.received) == 1
    finally:
        failing.shutdown()
        failing.server_close()
    lines = settings.alerts_log.read_text().splitlines()
    assert len(lines) == 2 and "WEBHOOK" in lines[1] and "HTTP 500" in lines[1] and outcome.run_id in lines[1]
    # nothing listening at all
    refused = post_webhook(f"http://127.0.0.1:{failing.server_port}/", {"x": 1}, timeout=2)
    assert refused is not None and "refused" in refused.lower()


def test_settings_reject_a_bad_webhook_and_wait(tmp_path):
    with pytest.raises(SettingsError, match="alert_webhook"):
        home_with(tmp_path, alert_webhook="ftp://example.org/x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "settings.yaml").write_text("slot_wait_minutes: 0\n")
    with pytest.raises(SettingsError, match="slot_wait_minutes"):
        load_settings(other)
    (other / "settings.yaml").write_text("slot_wait_minutes: 2.5\n")
    assert load_settings(other).slot_wait_minutes == 2.5
    assert load_settings(tmp_path / "fresh").slot_wait_minutes == 60


@pytest.fixture
def instance(tmp_path, monkeypatch, hook):
    for key in ("PMO_HOME", "DAGSTER_HOME", "PMO_WAREHOUSE_PATH", "PMO_DAGSTER_STORAGE"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
    settings = home_with(tmp_path, alert_webhook=f"http://127.0.0.1:{hook.server_port}/")
    activate(settings)
    with DagsterInstance.get() as inst:
        yield inst


def scheduled_run(instance, period="2026-03") -> DagsterRun:
    run = DagsterRun(job_name="monthly_reporting", run_id=str(uuid.uuid4()), status=DagsterRunStatus.STARTED,
                     tags={"dagster/partition": period, "dagster/schedule_name": "nightly_open_period"})
    instance.add_run(run)
    return run


def test_the_failure_sensor_writes_the_summary_and_alert_of_a_scheduled_run(instance, hook):
    from dagster import define_asset_job

    run = scheduled_run(instance)
    instance.report_run_failed(run, message="Gave up after waiting 60 min for the duckdb_writer slot")
    [failure] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    failure_sensor, _ = build_run_end_sensors(define_asset_job("monthly_reporting"))
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alerts", dagster_event=failure.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id)).for_run_failure()

    failure_sensor(context)

    settings = load_settings()
    summary = json.loads((settings.quality_dir / "2026-03" / f"{run.run_id}.json").read_text())
    assert summary["status"] == "failed" and summary["trigger"] == "schedule nightly_open_period"
    assert summary["message"].startswith("Gave up after waiting 60 min")
    [line] = settings.alerts_log.read_text().splitlines()
    assert f"FAILED period 2026-03 run {run.run_id} (schedule nightly_open_period): Gave up after waiting" in line
    assert len(hook.received) == 1
    # a second evaluation (or `pmo run` having done it) alerts nothing more
    failure_sensor(context)
    assert len(settings.alerts_log.read_text().splitlines()) == 1 and len(hook.received) == 1


def test_a_canceled_run_gets_a_summary_and_no_alert(instance, hook):
    run = scheduled_run(instance)
    instance.report_run_canceled(run, message="Canceled from the UI")
    path, line = record_run_end(instance, instance.get_run_by_id(run.run_id))
    assert json.loads(path.read_text())["status"] == "canceled"
    assert line is None and not load_settings().alerts_log.exists() and hook.received == []
