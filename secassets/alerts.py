"""Alerts: a Slack-compatible message for a failed check or run, delivered with retries, no secrets.

Plain Python; secassets.sensors.alert_sensor decides when to send.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|WEBHOOK)", re.IGNORECASE)
MIN_SECRET_LEN = 6


@dataclass(frozen=True)
class Alert:
    """One failure worth a message."""

    kind: str  # "check_failed" or "run_failed"
    severity: str
    run_id: str
    asset: str = ""
    check: str = ""
    job: str = ""
    summary: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.run_id}:{self.asset}:{self.check}"


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


def deliver(
    url: str,
    message: dict[str, Any],
    *,
    retries: int = 3,
    backoff_s: float = 1.0,
    post: Callable[..., httpx.Response] | None = None,
) -> bool:
    """POST the message; retry with exponential backoff on transport errors, 429 and 5xx."""
    send = post or (lambda u, **kw: httpx.post(u, timeout=10.0, **kw))
    for attempt in range(retries + 1):
        try:
            response = send(url, json=message)
            if response.status_code < 300:
                return True
            if response.status_code != 429 and response.status_code < 500:
                return False
        except httpx.HTTPError:
            pass
        if attempt < retries:
            time.sleep(backoff_s * (2**attempt))
    return False
