"""Alerts for failed runs: a line in ``<home>/alerts.log`` and a JSON POST to an optional webhook.

A run that fails (a blocking check, a step that could not complete, a wait for the writer slot that
gave up, a process that died) gets one alert, whoever started it:

* ``pmo run`` / ``pmo demo`` alert themselves when their run fails (orchestration/cli/runner.py);
* runs started by the schedule, the landing sensor or the UI are alerted by the ``run_failure_alerts``
  sensor (orchestration/defs/sensors.py), which needs the Dagster daemon;
* a run whose process died is alerted by the run that finds it (orchestration/defs/run_guard.py).

Each run is alerted once (the run id is looked up in alerts.log first).  A line reads::

    2026-12-04T02:00:41+00:00 FAILED period 2026-11 run 5d1c…(full id) (schedule nightly_open_period): step dbt_models: …

The webhook (``alert_webhook`` in settings.yaml) receives the same as JSON; its ``text`` field holds
the line, so Slack and Teams incoming webhooks show it as is.  A webhook that cannot be reached is
noted in alerts.log and in the log; it never fails the run or the sensor.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import Settings, load_settings

LOGGER = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 10
#: An alert names at most this many checks or steps, each cut to ITEM_CHARS characters.
MAX_ITEMS = 5
ITEM_CHARS = 200


def _one_line(text: str, limit: int = ITEM_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def what_failed(outcome) -> list[str]:
    """The failed checks, else the failed steps, else the run's own message, as short lines."""
    items = [f"check {c}" for c in outcome.failed_checks] or [f"step {s}" for s in outcome.failed_steps]
    if not items and outcome.message:
        items = [outcome.message]
    more = len(items) - MAX_ITEMS
    items = [_one_line(i) for i in items[:MAX_ITEMS]]
    if more > 0:
        items.append(f"and {more} more")
    return items or ["no step or check recorded a failure; see the run in the Dagster UI"]


def alert_line(outcome, at: datetime | None = None) -> str:
    stamp = (at or datetime.now(UTC)).replace(microsecond=0).isoformat()
    trigger = f" ({outcome.trigger})" if outcome.trigger else ""
    return (f"{stamp} {outcome.status.upper()} period {outcome.period or '?'} run {outcome.run_id}{trigger}: "
            + "; ".join(what_failed(outcome)))


def already_alerted(settings: Settings, run_id: str) -> bool:
    path = settings.alerts_log
    if not path.is_file():
        return False
    needle = f" run {run_id}"  # run ids are UUIDs: one never starts another
    with open(path, encoding="utf-8", errors="replace") as fh:
        return any(needle in line for line in fh)


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:  # one write per line: lines never interleave
        fh.write(line.replace("\n", " ") + "\n")


def post_webhook(url: str, payload: dict, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> str | None:
    """POST ``payload`` as JSON; returns None on a 2xx answer, else what went wrong (never raises)."""
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "pmo-warehouse"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL is a setting
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # URLError, timeouts, refused connections, bad URLs: never crash the caller
        return f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"


def alert_run(settings: Settings, outcome, *, at: datetime | None = None) -> str | None:
    """Alert a failed run once: a line in alerts.log, then the webhook if one is set.  Returns the line
    written, or None when the run had been alerted already."""
    if already_alerted(settings, outcome.run_id):
        return None
    line = alert_line(outcome, at)
    _append(settings.alerts_log, line)
    if settings.alert_webhook:
        payload = {
            "text": f"pmo-warehouse {settings.home}: {line}",
            "event": f"pmo.run_{outcome.status}",
            "status": outcome.status,
            "period": outcome.period,
            "run_id": outcome.run_id,
            "trigger": outcome.trigger,
            "home": str(settings.home),
            "failed": what_failed(outcome),
            "failed_checks": outcome.failed_checks,
            "failed_steps": outcome.failed_steps,
            "message": outcome.message,
            "summary_path": outcome.summary_path,
            "at": line.split(" ", 1)[0],
        }
        problem = post_webhook(settings.alert_webhook, payload)
        if problem:
            LOGGER.warning("alert webhook %s failed: %s", settings.alert_webhook, problem)
            _append(settings.alerts_log, f"{datetime.now(UTC).replace(microsecond=0).isoformat()} WEBHOOK "
                                         f"{settings.alert_webhook} could not take the alert of run {outcome.run_id}: "
                                         f"{_one_line(problem)}")
    return line


def record_run_end(instance, run, settings: Settings | None = None) -> tuple[Path | None, str | None]:
    """For a run that ended without ``pmo run`` watching it: write its quality summary (unless it has one
    with the same status) and alert it when it failed.  Returns the summary path and the alert line."""
    from orchestration.pipeline.quality import summary_path
    from orchestration.cli.runner import outcome_from_run, write_summary

    settings = settings or load_settings()
    outcome, evaluations = outcome_from_run(instance, run, settings)
    if not outcome.period:
        return None, None
    path = summary_path(settings.quality_dir, outcome.period, outcome.run_id)
    existing = None
    if path.is_file():
        try:
            existing = json.loads(path.read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError):
            existing = None
    if existing != outcome.status:
        path = write_summary(settings, outcome, evaluations)
    outcome.summary_path = str(path)
    line = alert_run(settings, outcome) if outcome.status in ("failed", "blocked") else None
    return path, line
