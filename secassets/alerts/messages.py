"""Alerts: a Slack-compatible message for a failed check or run, delivered with retries, no secrets.

Plain Python; secassets.defs.sensors.alert_sensor decides when to send.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from secassets.llm.retry import with_retries

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|WEBHOOK)", re.IGNORECASE)
MIN_SECRET_LEN = 6


@dataclass(frozen=True)
class Alert:
    """One failure worth a message."""

    kind: Literal["check_failed", "run_failed"]
    severity: str
    run_id: str
    asset: str = ""
    check: str = ""
    job: str = ""
    summary: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    partition: str = ""

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.run_id}:{self.asset}:{self.check}:{self.partition}"


@dataclass(frozen=True)
class Delivery:
    """Outcome of one POST: sent; rejected (the receiver refused this message, retrying cannot help);
    failed (transport error, 429 or 5xx after every retry: worth trying again later)."""

    outcome: Literal["sent", "rejected", "failed"]
    detail: str = ""

    def __bool__(self) -> bool:
        return self.outcome == "sent"


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """Replace the value of every secret-looking environment variable that occurs in text."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if SECRET_NAME.search(name) and value and len(value) >= MIN_SECRET_LEN:
            text = text.replace(value, f"<{name} redacted>")
    return text


def slack_message(alert: Alert, ui_url: str) -> dict[str, Any]:
    """Slack incoming-webhook JSON: a text fallback and blocks with the key figures and a run link."""
    where = f"{alert.asset} / {alert.check}" if alert.check else (alert.job or alert.asset)
    if alert.partition:
        where += f" [{alert.partition}]"
    title = f"[{alert.severity}] {'Check failed' if alert.kind == 'check_failed' else 'Run failed'}: {where}"
    link = f"{ui_url.rstrip('/')}/runs/{alert.run_id}"
    figures = "\n".join(f"• {k}: {v}" for k, v in alert.figures.items())
    body = redact(f"{alert.summary}\n{figures}".strip())
    return {
        "text": redact(f"{title} (run {alert.run_id[:8]}) {link}"),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": redact(title)[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900] or "no details"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open run {alert.run_id[:8]} in Dagster>"}]},
        ],
    }


RETRYABLE_STATUS = frozenset({408, 425, 429})  # and every 5xx


class _NotDelivered(Exception):
    """One POST that may succeed if repeated: a transport error, 408/425/429 or 5xx."""


def deliver(
    url: str,
    message: dict[str, Any],
    *,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 10.0,
    post: Callable[..., httpx.Response] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Delivery:
    """POST the message; retry with exponential backoff on transport errors, 408/425/429 and 5xx.

    Any other status >= 300 is the receiver refusing this message (bad payload, revoked hook):
    retrying cannot help, so it is reported as rejected and the caller moves on. The detail is
    redacted: the webhook URL is itself a secret and receivers may echo it.
    """
    send = post or (lambda u, **kw: httpx.post(u, timeout=timeout_s, **kw))

    def attempt() -> Delivery:
        try:
            response = send(url, json=message)
        except httpx.InvalidURL as error:
            return Delivery("failed", redact(f"invalid webhook URL: {error}"))
        except httpx.HTTPError as error:
            raise _NotDelivered(f"{type(error).__name__}: {error}") from None
        if response.status_code < 300:
            return Delivery("sent")
        detail = f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code < 500 and response.status_code not in RETRYABLE_STATUS:
            return Delivery("rejected", redact(detail))
        raise _NotDelivered(detail)

    try:
        return with_retries(attempt, attempts=retries + 1, backoff_s=backoff_s, retry_on=(_NotDelivered,), sleep=sleep)
    except _NotDelivered as last:
        return Delivery("failed", redact(f"{last} (after {retries + 1} attempts)"))
