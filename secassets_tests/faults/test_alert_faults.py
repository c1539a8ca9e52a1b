"""Alerts and run monitoring under injected faults, on the instance storage the project ships.

Real pieces: an on-disk DAGSTER_HOME made from dagster_home/dagster.yaml (run-sharded SQLite), real
runs of the implicit asset job (what the UI's Materialize and the CLI run), real sensor ticks, a real
loopback HTTP receiver standing in for Slack, Dagster's own run-monitoring iteration. Test doubles:
the planted assets and checks (they exist to fail) and the receiver's fault modes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from secassets.defs.sensors import alert_sensor
from secassets.defs.sensors.alert_sensor import alert_on_failures

pytestmark = pytest.mark.integration

SHIPPED_YAML = Path(__file__).resolve().parents[2] / "dagster_home" / "dagster.yaml"
PLANTED_SECRET = "planted-secret-value-123"


class LoopbackReceiver:
    """The Slack webhook's stand-in on 127.0.0.1, with injectable faults.

    reject_containing: answer 400 to messages whose text contains this (a message the receiver refuses);
    unavailable: answer 503 to everything; down_after: go unavailable once this many messages were accepted.
    """

    def __init__(self) -> None:
        self.accepted: list[dict] = []
        self.refused: list[tuple[int, dict]] = []
        self.reject_containing: str | None = None
        self.unavailable = False
        self.down_after: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.reject_containing and receiver.reject_containing in body["text"]:
                    status = 400
                elif receiver.unavailable:
                    status = 503
                else:
                    status = 200
                (receiver.accepted.append(body) if status == 200 else receiver.refused.append((status, body)))
                if receiver.down_after is not None and len(receiver.accepted) >= receiver.down_after:
                    receiver.unavailable = True
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"invalid_payload")

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> list[tuple[str, str, str]]:
        """(kind, run id, check name or job) of every accepted message, in arrival order."""
        out = []
        for body in self.accepted:
            text = body["text"]
            run_id = re.search(r"/runs/([0-9a-f-]{36})", text).group(1)
            if "Check failed" in text:
                out.append(("check_failed", run_id, text.split(" / ")[1].split(" ")[0]))
            else:
                out.append(("run_failed", run_id, text.split("Run failed: ")[1].split(" ")[0]))
        return out


# Test doubles: assets and checks planted to fail, run through the implicit asset job (__ASSET_JOB).
@dg.asset
def planted_asset() -> int:
    return 1


@dg.asset_check(asset=planted_asset)
def planted_failing_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"in_range_after": 0.2})


@dg.asset_check(asset=planted_asset)
def planted_second_failing_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"drop": 0.05})


@dg.asset_check(asset=planted_asset)
def planted_passing_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset
def planted_broken_asset() -> int:
    raise RuntimeError(f"planted failure (key {os.environ.get('PLANTED_API_KEY')})")


CHECK_FAILS = dg.Definitions(assets=[planted_asset], asset_checks=[planted_failing_check, planted_passing_check])
TWO_CHECKS_FAIL = dg.Definitions(assets=[planted_asset], asset_checks=[planted_failing_check, planted_second_failing_check])
ALL_PASS = dg.Definitions(assets=[planted_asset], asset_checks=[planted_passing_check])
RUN_FAILS = dg.Definitions(assets=[planted_broken_asset])


def run(defs: dg.Definitions, instance: dg.DagsterInstance) -> str:
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    assert result.dagster_run.job_name == "__ASSET_JOB"
    return result.run_id


def tick(instance: dg.DagsterInstance, cursor: str | None) -> tuple[str, str]:
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = alert_on_failures(context)
    return context.cursor, result.skip_message


def make_home(tmp_path: Path, storage: str) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    text = SHIPPED_YAML.read_text()
    if storage == "consolidated":  # one event table with global ids: how Postgres/MySQL storages page
        text += textwrap.dedent(f"""
            event_log_storage:
              module: dagster._core.storage.event_log
              class: ConsolidatedSqliteEventLogStorage
              config:
                base_dir: {home / "history" / "runs"}
            """)
    (home / "dagster.yaml").write_text(text)
    return home


@pytest.fixture
def receiver():
    receiver = LoopbackReceiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def shipped_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(alert_sensor, "DELIVERY_RETRIES", 1)
    monkeypatch.setattr(alert_sensor, "DELIVERY_BACKOFF_S", 0.01)
    monkeypatch.setenv("PLANTED_API_KEY", PLANTED_SECRET)
    home = make_home(tmp_path, "shipped")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage  # the run-sharded one
        yield instance


def assert_no_secret(receiver: LoopbackReceiver) -> None:
    everything = json.dumps([receiver.accepted, receiver.refused])
    assert PLANTED_SECRET not in everything and receiver.url not in everything


@pytest.mark.parametrize("storage", ["shipped", "consolidated"])
def test_each_failure_is_alerted_exactly_once_over_ticks(storage, tmp_path, receiver, monkeypatch):
    monkeypatch.setattr(alert_sensor, "DELIVERY_RETRIES", 1)
    monkeypatch.setattr(alert_sensor, "DELIVERY_BACKOFF_S", 0.01)
    monkeypatch.setenv("PLANTED_API_KEY", PLANTED_SECRET)
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    home = make_home(tmp_path, storage)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        expected_storage = SqliteEventLogStorage if storage == "shipped" else ConsolidatedSqliteEventLogStorage
        assert type(instance.event_log_storage) is expected_storage
        if storage == "shipped":  # the storage the old integer cursor broke on
            with pytest.raises(Exception, match="not run-aware"):
                instance.get_event_records(dg.EventRecordsFilter(
                    event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=1))
        run(TWO_CHECKS_FAIL, instance)  # history before the sensor starts: never replayed
        cursor, message = tick(instance, None)
        assert "initialised" in message and receiver.accepted == []

        a, b, c = run(CHECK_FAILS, instance), run(RUN_FAILS, instance), run(TWO_CHECKS_FAIL, instance)
        run(ALL_PASS, instance)
        for _ in range(2):
            cursor, _ = tick(instance, cursor)
        d = run(CHECK_FAILS, instance)
        for _ in range(2):
            cursor, message = tick(instance, cursor)

    assert sorted(receiver.keys()) == sorted([
        ("check_failed", a, "planted_failing_check"), ("run_failed", b, "__ASSET_JOB"),
        ("check_failed", c, "planted_failing_check"), ("check_failed", c, "planted_second_failing_check"),
        ("check_failed", d, "planted_failing_check"),
    ])
    texts = json.dumps(receiver.accepted)
    assert "[ERROR] Check failed: planted_asset / planted_failing_check" in texts and "in_range_after" in texts
    assert "[WARN] Check failed: planted_asset / planted_second_failing_check" in texts
    assert "planted failure" in texts  # the failed step's error travels with the run alert
    assert_no_secret(receiver)
    assert message.startswith("0 alert(s) sent")


def test_a_rejected_message_is_skipped_and_blocks_nothing(shipped_instance, receiver, monkeypatch):
    instance = shipped_instance
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    cursor, _ = tick(instance, None)
    b = run(RUN_FAILS, instance)  # the first alert in cursor order: the receiver refuses it
    receiver.reject_containing = f"(run {b[:8]})"
    a = run(TWO_CHECKS_FAIL, instance)
    cursor, message = tick(instance, cursor)
    assert message.startswith("2 alert(s) sent, 1 rejected by the receiver")
    c = run(RUN_FAILS, instance)  # comes after the rejected one in the same stream
    for _ in range(2):
        cursor, _ = tick(instance, cursor)
    assert [(status, b[:8] in body["text"]) for status, body in receiver.refused] == [(400, True)]  # never retried
    assert sorted(receiver.keys()) == sorted([
        ("check_failed", a, "planted_failing_check"), ("check_failed", a, "planted_second_failing_check"),
        ("run_failed", c, "__ASSET_JOB"),
    ])
    assert_no_secret(receiver)


def test_receiver_down_is_retried_next_tick_without_resending(shipped_instance, receiver, monkeypatch):
    instance = shipped_instance
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    start, _ = tick(instance, None)
    b = run(RUN_FAILS, instance)
    receiver.unavailable = True
    cursor, message = tick(instance, start)
    assert "will retry next tick" in message and receiver.accepted == []
    assert len(receiver.refused) == 2  # one message, tried twice (DELIVERY_RETRIES=1), then the tick stopped
    assert json.loads(cursor)["after"] == json.loads(start)["after"]  # nothing passed over
    receiver.unavailable = False
    for _ in range(2):
        cursor, _ = tick(instance, cursor)
    assert receiver.keys() == [("run_failed", b, "__ASSET_JOB")]


def test_receiver_going_down_mid_run_sends_only_the_rest_later(shipped_instance, receiver, monkeypatch):
    instance = shipped_instance
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    cursor, _ = tick(instance, None)
    a = run(TWO_CHECKS_FAIL, instance)
    receiver.down_after = 1  # the first of run a's two check alerts is accepted, then 503
    cursor, message = tick(instance, cursor)
    assert "will retry next tick" in message and len(receiver.accepted) == 1
    assert list(json.loads(cursor)["in_flight"]) == ["RUN_SUCCESS"]  # what was sent for run a is remembered
    receiver.down_after, receiver.unavailable = None, False
    for _ in range(2):
        cursor, _ = tick(instance, cursor)
    assert sorted(receiver.keys()) == sorted([
        ("check_failed", a, "planted_failing_check"), ("check_failed", a, "planted_second_failing_check"),
    ])
    assert json.loads(cursor)["in_flight"] == {}


def test_a_backlog_larger_than_a_page_loses_nothing(shipped_instance, receiver, monkeypatch):
    instance = shipped_instance
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setattr(alert_sensor, "PAGE_SIZE", 1)
    monkeypatch.setattr(alert_sensor, "MAX_PAGES_PER_TICK", 1)
    cursor, _ = tick(instance, None)
    expected = []
    for _ in range(2):  # interleaved: the success and failure streams each hold more than a page
        expected.append(("check_failed", run(CHECK_FAILS, instance), "planted_failing_check"))
        expected.append(("run_failed", run(RUN_FAILS, instance), "__ASSET_JOB"))
    cursor, _ = tick(instance, cursor)  # one page of each stream per tick: the rest must wait, not vanish
    assert len(receiver.accepted) == 2 < len(expected)
    monkeypatch.setattr(alert_sensor, "MAX_PAGES_PER_TICK", 10)  # now several pages within one tick
    for _ in range(2):
        cursor, _ = tick(instance, cursor)
    assert sorted(receiver.keys()) == sorted(expected)


def test_shipped_instance_config_turns_on_run_monitoring(tmp_path):
    home = make_home(tmp_path, "shipped")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert 0 < instance.run_monitoring_start_timeout_seconds <= 600
        assert 0 < instance.run_monitoring_cancel_timeout_seconds <= 600
        assert 0 < instance.run_monitoring_max_runtime_seconds
        assert instance.run_monitoring_poll_interval_seconds <= 120
        assert instance.run_monitoring_max_resume_run_attempts == 0  # the default launcher cannot resume
        assert "MONITORING" in instance.get_required_daemon_types()
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


KILLED_RUN_SCRIPT = """
import time, dagster as dg

@dg.asset
def planted_slow_asset() -> int:
    time.sleep(120)
    return 1

dg.Definitions(assets=[planted_slow_asset]).resolve_implicit_global_asset_job_def().execute_in_process(
    instance=dg.DagsterInstance.get(), tags={"dagster/max_runtime": "1"})
"""


class DaemonWorkspaceStandIn:
    """What the monitoring iteration needs of the daemon's workspace: the instance (no code location is
    touched for a run that is failed rather than resumed)."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance

    def create_request_context(self) -> None:
        return None


def test_a_killed_run_is_marked_failed_frees_the_queue_and_is_alerted(shipped_instance, receiver, tmp_path, monkeypatch):
    from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration

    instance = shipped_instance
    monkeypatch.setenv("SECASSETS_ALERT_WEBHOOK_URL", receiver.url)
    cursor, _ = tick(instance, None)
    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN_SCRIPT)
    worker = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "DAGSTER_HOME": os.environ["DAGSTER_HOME"]})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            records = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
            if records and instance.get_records_for_run(
                    records[0].dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START).records:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the planted run never started")
    finally:
        worker.send_signal(signal.SIGKILL)  # the run's process dies without a word
        worker.wait(10)
    run_id = records[0].dagster_run.run_id
    time.sleep(1.2)  # past the run's max runtime
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # stuck, holding the queue
    list(execute_run_monitoring_iteration(DaemonWorkspaceStandIn(instance), logging.getLogger("monitoring")))
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES)) == []
    cursor, _ = tick(instance, cursor)
    assert receiver.keys() == [("run_failed", run_id, "__ASSET_JOB")]
    assert "forcibly marked as failed" in json.dumps(receiver.accepted) or "maximum runtime" in json.dumps(
        receiver.accepted)
