"""The alert sensor against a real local HTTP receiver (the Slack webhook's stand-in)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import dagster as dg
import pytest

from secassets.alerts.messages import Alert, deliver, redact, slack_message
from secassets.defs.sensors.alert_sensor import alert_on_failures

pytestmark = pytest.mark.integration


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    fail_first = 0
    posts = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Receiver.posts += 1
        if self.path.endswith("?status=400"):
            self.send_response(400)
        elif _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
        else:
            _Receiver.received.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.fail_first = 0
    _Receiver.posts = 0
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


# Test doubles: a tiny asset whose check always fails, to put a real failure into the event log.
@dg.asset
def planted_asset() -> int:
    return 1


@dg.asset_check(asset=planted_asset)
def planted_regression() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"in_range_before": 0.6, "in_range_after": 0.2})


def test_a_failed_check_is_delivered_exactly_once(receiver, monkeypatch):
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver)
    monkeypatch.setenv("SECASSETS_UI_URL", "http://127.0.0.1:3000")
    monkeypatch.setenv("FAKE_API_KEY", "sk-very-secret-value")
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([planted_asset, planted_regression], instance=instance)  # history before the sensor starts
    ctx = dg.build_sensor_context(instance=instance)
    alert_on_failures(ctx)  # first tick: cursor at "now", history is not replayed
    cursor = ctx.cursor
    result = dg.materialize([planted_asset, planted_regression], instance=instance)
    assert result.success
    for _ in range(3):
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor)
        alert_on_failures(ctx)
        cursor = ctx.cursor
    assert len(_Receiver.received) == 1
    message = _Receiver.received[0]
    assert "planted_regression" in message["text"] and "[ERROR]" in message["text"]
    assert f"/runs/{result.run_id}" in json.dumps(message)
    assert "in_range_after" in json.dumps(message)
    assert "sk-very-secret-value" not in json.dumps(message)


def test_delivery_retries_5xx_with_backoff(receiver):
    _Receiver.fail_first = 2
    assert deliver(receiver, {"text": "hi"}, retries=3, backoff_s=0.01)
    assert len(_Receiver.received) == 1


def test_delivery_tells_rejected_from_failed(receiver):
    rejected = deliver(receiver + "?status=400", {"text": "bad"}, retries=3, backoff_s=0.01)
    assert rejected.outcome == "rejected" and not rejected and len(_Receiver.received) == 0
    assert _Receiver.posts == 1  # a 4xx is not retried
    refused = deliver("http://127.0.0.1:1/hook", {"text": "hi"}, retries=1, backoff_s=0.01)
    assert refused.outcome == "failed" and "after 2 attempts" in refused.detail
    assert deliver("not a url", {"text": "hi"}, retries=0).outcome == "failed"  # no exception escapes


@pytest.mark.parametrize(
    ("statuses", "outcome", "posts", "delays"),
    [
        ((429, 408, 425, 200), "sent", 4, [0.5, 1.0, 2.0]),  # each retryable 4xx, then delivered
        ((500, 502, 503, 500), "failed", 4, [0.5, 1.0, 2.0]),  # 5xx: 1 + retries attempts, then given up
        ((404,), "rejected", 1, []),  # the receiver refused this message: never repeated
    ],
)
def test_delivery_retries_exactly_the_retryable_statuses(statuses, outcome, posts, delays):
    """The recorded POSTs and backoff delays of one delivery (the shared retry policy, sleep injected)."""
    import httpx

    answers, slept = list(statuses), []

    def post(url, **kwargs):
        return httpx.Response(answers.pop(0), text="nope")

    delivery = deliver("http://hook.invalid/x", {"text": "hi"}, retries=3, backoff_s=0.5, post=post, sleep=slept.append)
    assert delivery.outcome == outcome and len(statuses) - len(answers) == posts and slept == delays
    if outcome == "failed":
        assert delivery.detail == "HTTP 500: nope (after 4 attempts)"


def test_redact_hides_secret_values():
    text = redact("token is abcdef123456 here", {"MY_API_TOKEN": "abcdef123456", "HOME": "/root"})
    assert "abcdef123456" not in text and "MY_API_TOKEN redacted" in text


def test_message_has_the_key_figures():
    msg = slack_message(Alert(kind="check_failed", severity="WARN", run_id="abc123456789", asset="template_leaderboard",
                              check="template_regression", figures={"drop": 0.1}), "http://ui:3000/")
    assert msg["text"].startswith("[WARN] Check failed: template_leaderboard / template_regression")
    assert "http://ui:3000/runs/abc123456789" in json.dumps(msg) and "drop: 0.1" in json.dumps(msg)
