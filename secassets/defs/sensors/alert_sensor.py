"""alert_on_failures: posts a Slack-compatible message when an asset check fails or an evaluation run fails.

Webhook from SECASSETS_ALERT_WEBHOOK_URL (none: log only); UI links from SECASSETS_UI_URL.

Why it reads run-end events and not check events: on the run-sharded SQLite storage that
dagster_home/dagster.yaml gives (every run has its own event database) only run status changes
have one instance-wide, ordered storage id; check evaluations live in each run's own shard. So the
sensor pages through run-end events (success, failure, canceled), one stream per status with its
own storage-id cursor (never merged), and for each finished run reads that run's failed checks
(and, for a failed watched run, the failure itself). The same calls work on Postgres/MySQL and
consolidated SQLite storages, where the ids are global anyway.

Exactly once: the cursor moves past a run only when all of its alerts were delivered, logged
(no webhook) or rejected by the receiver (a non-retryable 4xx: logged and skipped, never blocking
later alerts). A retryable failure (5xx, 429, transport) stops the tick; what was already sent for
the run in hand is remembered in the cursor, so the next tick sends only the rest.
"""

from __future__ import annotations

import os
import time
from typing import Literal

import dagster as dg
from pydantic import BaseModel, ValidationError

from secassets.alerts.messages import Alert, Delivery, deliver, redact, slack_message

WEBHOOK_ENV = "SECASSETS_ALERT_WEBHOOK_URL"
UI_URL_ENV = "SECASSETS_UI_URL"
WATCHED_JOBS = ("nightly_prompt_evaluation", "full_pipeline", "scenarios_job", "__ASSET_JOB")
RUN_END_EVENTS = (dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_CANCELED)
PAGE_SIZE = 100  # run-end records fetched per query
MAX_PAGES_PER_TICK = 10  # the rest of a backlog waits for the next tick
TICK_BUDGET_S = 25.0  # no new delivery after this: one more (4 tries x 5 s + 7 s backoff) still ends inside the 60 s tick timeout
DELIVERY_RETRIES = 3
DELIVERY_BACKOFF_S = 1.0
DELIVERY_TIMEOUT_S = 5.0
MAX_FIGURE_CHARS = 300


class InFlight(BaseModel):
    """The run-end record of a stream being handled when a tick stopped, and its alerts already dealt with."""

    storage_id: int
    done: list[str] = []


class AlertCursor(BaseModel):
    """Sensor cursor: last run-end storage id handled per status stream (each stream is ordered on its own)."""

    version: Literal[2] = 2
    after: dict[str, int]
    in_flight: dict[str, InFlight] = {}


def _initial_cursor(instance: dg.DagsterInstance) -> AlertCursor:
    """Start from now: the newest run-end record of each stream, so history is never replayed."""
    after = {}
    for event_type in RUN_END_EVENTS:
        latest = instance.fetch_run_status_changes(event_type, limit=1, ascending=False).records
        after[event_type.name] = latest[0].storage_id if latest else 0
    return AlertCursor(after=after)


def _load_cursor(raw: str | None) -> AlertCursor | None:
    """None when there is no usable cursor (first tick, or the version-1 integer cursor): start from now."""
    if not raw:
        return None
    try:
        return AlertCursor.model_validate_json(raw)
    except ValidationError:
        return None


def _figures(metadata: dict) -> dict[str, str]:
    figures = {}
    for key, value in (metadata or {}).items():
        text = str(getattr(value, "value", value))
        if len(text) <= MAX_FIGURE_CHARS:
            figures[key] = text
    return figures


def _check_alerts(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, Alert]]:
    """The run's failed check evaluations, read from the run's own events (works on sharded storages)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    alerts = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation is None or evaluation.passed:
            continue
        asset = evaluation.asset_key.to_user_string()
        partition = getattr(evaluation, "partition", None) or ""
        alerts.append((f"check:{record.storage_id}", Alert(
            kind="check_failed", severity=evaluation.severity.value, run_id=run_id, asset=asset,
            check=evaluation.check_name, partition=partition, figures=_figures(evaluation.metadata),
            summary=f"Asset check {evaluation.check_name} on {asset}{f' [{partition}]' if partition else ''} failed.",
        )))
    return alerts


def _is_watched(job: str) -> bool:
    return job in WATCHED_JOBS or job.startswith("__ASSET_JOB")


def _run_alert(instance: dg.DagsterInstance, record: dg.EventLogRecord) -> Alert | None:
    """The run failure itself, with the first failed steps' errors as figures."""
    entry = record.event_log_entry
    job = entry.job_name or ""
    if not job:
        run = instance.get_run_by_id(record.run_id)
        job = run.job_name if run else ""
    if not _is_watched(job):
        return None
    figures = {}
    steps = instance.get_records_for_run(record.run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=3).records
    for step in steps:
        error = getattr(step.event_log_entry.dagster_event.event_specific_data, "error", None)
        while error is not None and error.cause is not None:  # the user's exception, not Dagster's wrapper
            error = error.cause
        if error is not None:
            figures[f"step {step.event_log_entry.step_key}"] = (error.message or error.cls_name or "").strip()[:MAX_FIGURE_CHARS]
    message = entry.dagster_event.message if entry.dagster_event else ""
    return Alert(kind="run_failed", severity="ERROR", run_id=record.run_id, job=job,
                 summary=(message or "run failed")[:500], figures=figures)


def _alerts_for_run_end(instance: dg.DagsterInstance, record: dg.EventLogRecord) -> list[tuple[str, Alert]]:
    alerts = _check_alerts(instance, record.run_id)
    if record.event_log_entry.dagster_event_type == dg.DagsterEventType.RUN_FAILURE:
        run_alert = _run_alert(instance, record)
        if run_alert is not None:
            alerts.append(("run", run_alert))
    return alerts


class _Tick:
    """One evaluation: delivers alerts in cursor order and keeps the cursor in step after each one."""

    def __init__(self, context: dg.SensorEvaluationContext, state: AlertCursor, url: str, ui_url: str):
        self.context, self.state, self.url, self.ui_url = context, state, url, ui_url
        self.deadline = time.monotonic() + TICK_BUDGET_S
        self.sent = self.rejected = self.logged = 0
        self.stopped = ""

    def save(self) -> None:
        self.context.update_cursor(self.state.model_dump_json())

    def send(self, alert: Alert) -> Delivery:
        message = slack_message(alert, self.ui_url)
        if not self.url:
            self.context.log.warning(f"alert (no {WEBHOOK_ENV} set, not sent): {message['text']}")
            self.logged += 1
            return Delivery("sent")
        delivery = deliver(self.url, message, retries=DELIVERY_RETRIES, backoff_s=DELIVERY_BACKOFF_S,
                           timeout_s=DELIVERY_TIMEOUT_S)
        if delivery.outcome == "sent":
            self.sent += 1
        elif delivery.outcome == "rejected":
            self.rejected += 1
            self.context.log.error(f"alert rejected by the receiver, skipped ({delivery.detail}): {message['text']}")
        else:
            self.context.log.error(f"alert delivery failed ({delivery.detail}); will retry next tick: {message['text']}")
        return delivery

    def handle(self, stream: str, record: dg.EventLogRecord) -> bool:
        """Deal with every alert of one finished run; False when the tick must stop before it is done."""
        in_flight = self.state.in_flight.get(stream)
        if in_flight is None or in_flight.storage_id != record.storage_id:
            in_flight = InFlight(storage_id=record.storage_id)
        for key, alert in _alerts_for_run_end(self.context.instance, record):
            if key in in_flight.done:
                continue
            if time.monotonic() > self.deadline:
                self.stopped = f"tick time budget ({TICK_BUDGET_S:.0f} s) used; continuing next tick"
            elif self.send(alert).outcome == "failed":
                self.stopped = "delivery failed after retries; will retry next tick"
            if self.stopped:
                return False
            in_flight.done.append(key)
            self.state.in_flight[stream] = in_flight
            self.save()
        self.state.after[stream] = record.storage_id
        self.state.in_flight.pop(stream, None)
        self.save()
        return True

    def run(self) -> None:
        for event_type in RUN_END_EVENTS:
            stream = event_type.name
            for _ in range(MAX_PAGES_PER_TICK):
                after = self.state.after.get(stream, 0)
                records_filter = dg.RunStatusChangeRecordsFilter(event_type, after_storage_id=after or None)
                records = self.context.instance.fetch_run_status_changes(
                    records_filter, limit=PAGE_SIZE, ascending=True
                ).records
                for record in records:
                    if not self.handle(stream, record):
                        return
                if len(records) < PAGE_SIZE:
                    break


@dg.sensor(
    description="Posts a Slack-compatible message (check, asset, severity, key figures, run link) to "
    f"${WEBHOOK_ENV} for every failed asset check of a finished run and every failed pipeline/evaluation "
    "run, each once; logs only when unset. A message the receiver rejects (4xx) is logged and skipped; "
    "one that cannot be delivered (5xx, 429, network) is retried on the next tick.",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_failures(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    state = _load_cursor(context.cursor)
    if state is None:  # first tick (or a cursor from an older version): start from now, never replay history
        context.update_cursor(_initial_cursor(context.instance).model_dump_json())
        return dg.SkipReason("alert cursor initialised at the newest finished run")
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if url and not url.startswith(("http://", "https://")):
        context.log.error(f"{WEBHOOK_ENV} must be an http(s) URL; alerts are held until it is fixed")
        return dg.SkipReason(f"{WEBHOOK_ENV} is not an http(s) URL; no alert sent, none skipped")
    tick = _Tick(context, state, url, os.environ.get(UI_URL_ENV, "http://127.0.0.1:3000"))
    tick.run()
    summary = f"{tick.sent} alert(s) sent, {tick.rejected} rejected by the receiver, {tick.logged} logged only"
    return dg.SkipReason(redact(f"{summary}; {tick.stopped}" if tick.stopped else summary))
