"""alert_on_failures: posts a Slack-compatible message when an asset check fails or an evaluation run fails.

Webhook from SECASSETS_ALERT_WEBHOOK_URL (none: log only); UI links from SECASSETS_UI_URL.
The cursor is the last event-log id handled, so each failure is sent once; a delivery that
still fails after its retries is tried again on the next tick.
"""

import json
import os

import dagster as dg
from dagster._core.events import DagsterEventType  # no public alias in 1.13

from secassets.alerts import Alert, deliver, slack_message

WEBHOOK_ENV = "SECASSETS_ALERT_WEBHOOK_URL"
UI_URL_ENV = "SECASSETS_UI_URL"
WATCHED_JOBS = ("nightly_prompt_evaluation", "full_pipeline", "__ASSET_JOB")


def _check_alert(record: dg.EventLogRecord) -> Alert | None:
    evaluation = record.event_log_entry.dagster_event.event_specific_data
    if evaluation.passed:
        return None
    figures = {}
    for key, value in (evaluation.metadata or {}).items():
        text = str(getattr(value, "value", value))
        if len(text) <= 300:
            figures[key] = text
    return Alert(
        kind="check_failed", severity=evaluation.severity.value, run_id=record.run_id,
        asset=evaluation.asset_key.to_user_string(), check=evaluation.check_name,
        summary=f"Asset check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed.", figures=figures,
    )


def _run_alert(record: dg.EventLogRecord, instance: dg.DagsterInstance) -> Alert | None:
    run = instance.get_run_by_id(record.run_id)
    job = run.job_name if run else ""
    if job not in WATCHED_JOBS and not job.startswith("__ASSET_JOB"):
        return None
    message = record.event_log_entry.dagster_event.message or "run failed"
    return Alert(kind="run_failed", severity="ERROR", run_id=record.run_id, job=job, summary=message[:500])


@dg.sensor(
    description="Posts a Slack-compatible message (check, asset, severity, key figures, run link) to "
    f"${WEBHOOK_ENV} when an asset check fails or an evaluation run fails; logs only when unset.",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_failures(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    state = json.loads(context.cursor) if context.cursor else {"after": None}
    if state["after"] is None:  # first tick: start from now, never replay history
        latest = context.instance.get_event_records(
            dg.EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION), limit=1, ascending=False
        ) + context.instance.get_event_records(
            dg.EventRecordsFilter(event_type=DagsterEventType.RUN_FAILURE), limit=1, ascending=False
        )
        state["after"] = max((r.storage_id for r in latest), default=0)
        context.update_cursor(json.dumps(state))
        return dg.SkipReason("alert cursor initialised")
    url = os.environ.get(WEBHOOK_ENV, "")
    ui_url = os.environ.get(UI_URL_ENV, "http://127.0.0.1:3000")
    records = []
    for event_type in (DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.RUN_FAILURE):
        records += context.instance.get_event_records(
            dg.EventRecordsFilter(event_type=event_type, after_cursor=state["after"]), limit=200, ascending=True
        )
    sent = 0
    for record in sorted(records, key=lambda r: r.storage_id):
        is_check = record.event_log_entry.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        alert = _check_alert(record) if is_check else _run_alert(record, context.instance)
        if alert is not None:
            message = slack_message(alert, ui_url)
            if not url:
                context.log.warning(f"alert (no {WEBHOOK_ENV} set, not sent): {message['text']}")
            elif deliver(url, message):
                sent += 1
            else:
                context.log.error(f"alert delivery failed after retries; will retry next tick: {message['text']}")
                break
        state["after"] = record.storage_id
        context.update_cursor(json.dumps(state))
    return dg.SkipReason(f"{sent} alert(s) sent; cursor at event {state['after']}")
