"""Backfill from moto's CloudWatch Logs into the real node, through the forwarder's code.

The guarantee under test: every event in the window is stored exactly once, counted by _id and
by its unique marker on the node, whether it was already delivered live, the backfill runs
twice, or a run is interrupted and resumed.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from forwarder import documents
from forwarder.handler import process
from forwarder.settings import Settings
from moto import mock_aws

from ops import backfill
from tests.forwarder.payloads import encode, payload
from tests.integration.forwarder_support import all_docs, client_for, settings, sign_as
from tests.ops.history import read_all, seed
from tests.ops.test_backfill import StopsAfter
from tests.support.front_door import Deployment, FrontDoor
from tests.support.store import stored

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account, as STS GetCallerIdentity gives it
_SUMMARY = re.compile(
    r"backfill: region=(\S+) groups=(\d+) events=(\d+) stored=(\d+) already_present=(\d+) "
    r"errors_indexed=(\d+) failed=(\d+)"
)


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        yield (boto3.client("logs", region_name=REGION), boto3.client("sts", region_name=REGION))


def _run(capsys: pytest.CaptureFixture[str], url: str, prefix: str, seeded: Any, logs: Any,
         state_dir: Path, *extra: str, sts: Any = None, page_limit: int = 100,
         ) -> tuple[int, dict[str, int], str]:
    argv = ["--region", REGION, "--endpoint", url, "--index-prefix", prefix,
            "--log-group", seeded.group, "--since", str(seeded.since_ms),
            "--until", str(seeded.until_ms), *extra]
    if sts is None:
        argv += ["--account", ACCOUNT]
    capsys.readouterr()  # what came before (live delivery's log lines) is not the run's
    code = backfill.main(argv, logs=logs, sts=sts, state_dir=state_dir, page_limit=page_limit)
    out, err = capsys.readouterr()
    m = _SUMMARY.fullmatch(out.strip())  # stdout is the summary line, nothing else
    assert m, out
    keys = ("events", "stored", "already_present", "errors_indexed", "failed")
    return code, dict(zip(keys, map(int, m.groups()[2:]), strict=True)), err


def _assert_each_event_stored_once(url: str, prefix: str, seeded: Any, logs: Any) -> None:
    ids, markers = stored(url, f"{prefix}-*")
    events = read_all(logs, seeded.group)
    expected = {documents.doc_id(ACCOUNT, REGION, seeded.group, e["eventId"]) for e in events}
    assert set(ids) == expected and set(ids.values()) == {1}
    assert set(markers) == seeded.markers and set(markers.values()) == {1}


def _deliver_live(s: Settings, client: Any, group: str, events: list[dict[str, Any]]) -> int:
    """What the subscription delivered: per stream, payloads with the ids CloudWatch gave."""
    streams: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        streams.setdefault(e["logStreamName"], []).append(
            {"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]})
    for stream, log_events in streams.items():
        summary = process(encode(payload(log_events, group, stream, ACCOUNT)), s, client,
                          time.monotonic() + 60)
        assert summary.stored == len(log_events)
    return len(events)


def test_a_window_delivered_live_then_backfilled_twice_is_stored_once(
        opensearch_url: str, index_prefix: str, aws: tuple[Any, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    logs, sts = aws
    seeded = seed(logs, streams=3, per_stream=150)
    events = read_all(logs, seeded.group)
    # Live delivery got part of the window: one whole stream and the first half of another.
    streams = sorted({e["logStreamName"] for e in events})
    half = [e for e in events if e["logStreamName"] == streams[1]]
    live = [e for e in events if e["logStreamName"] == streams[0]] + half[: len(half) // 2]
    s = settings(opensearch_url, index_prefix, REGION)
    delivered = _deliver_live(s, client_for(s), seeded.group, live)

    code, first, _ = _run(capsys, opensearch_url, index_prefix, seeded, logs, tmp_path, sts=sts)
    assert code == 0
    assert first == {"events": seeded.count, "stored": seeded.count - delivered,
                     "already_present": delivered, "errors_indexed": 0, "failed": 0}
    _assert_each_event_stored_once(opensearch_url, index_prefix, seeded, logs)

    code, second, _ = _run(capsys, opensearch_url, index_prefix, seeded, logs, tmp_path, sts=sts)
    assert code == 0
    assert second == {"events": seeded.count, "stored": 0, "already_present": seeded.count,
                      "errors_indexed": 0, "failed": 0}
    _assert_each_event_stored_once(opensearch_url, index_prefix, seeded, logs)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_backfill_resumes_and_stores_each_event_once(
        opensearch_url: str, index_prefix: str, aws: tuple[Any, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    logs, _ = aws
    seeded = seed(logs, streams=3, per_stream=100)
    code, first, err = _run(capsys, opensearch_url, index_prefix, seeded,
                            StopsAfter(logs, pages=2), tmp_path, page_limit=60)
    assert code == 3 and "reading stopped" in err
    assert first["events"] == 120 and first["stored"] == 120 and first["failed"] == 0
    assert len(list(tmp_path.iterdir())) == 1

    code, second, err = _run(capsys, opensearch_url, index_prefix, seeded, logs, tmp_path,
                             page_limit=60)
    assert code == 0 and "resuming at" in err
    assert second["events"] < seeded.count  # it did not start again from the beginning
    assert first["stored"] + second["stored"] == seeded.count
    _assert_each_event_stored_once(opensearch_url, index_prefix, seeded, logs)
    assert list(tmp_path.iterdir()) == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_domain_that_is_down_fails_the_run_and_the_next_run_stores_the_rest(
        opensearch_url: str, index_prefix: str, aws: tuple[Any, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    logs, _ = aws
    seeded = seed(logs, streams=2, per_stream=60)
    down = f"http://127.0.0.1:{_closed_port()}"
    code, first, err = _run(capsys, down, index_prefix, seeded, logs, tmp_path,
                            "--seconds-per-batch", "3.5", page_limit=1000)
    assert code == 3 and first["failed"] == seeded.count and first["stored"] == 0
    assert "not stored" in err

    code, second, _ = _run(capsys, opensearch_url, index_prefix, seeded, logs, tmp_path)
    assert code == 0 and second["stored"] == seeded.count and second["failed"] == 0
    _assert_each_event_stored_once(opensearch_url, index_prefix, seeded, logs)


def test_backfill_writes_as_the_operator_through_the_front_door(
        opensearch_url: str, index_prefix: str, aws: tuple[Any, Any],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        front_door: FrontDoor, deployment: Deployment) -> None:
    """The command as a person runs it, against the service's contract: signed with the
    caller's own keys (from the environment) for the domain's region, and admitted by the
    policies the program produces. That a reader cannot write is the security plugin's
    answer, proven on the plugin itself (test_access_control.py)."""
    logs, _ = aws
    seeded = seed(logs, streams=2, per_stream=60)
    door = ("--domain-region", deployment.region)

    sign_as(monkeypatch, front_door, "operator")
    code, stored_, _ = _run(capsys, front_door.url, index_prefix, seeded, logs, tmp_path, *door)
    assert code == 0
    assert stored_ == {"events": seeded.count, "stored": seeded.count, "already_present": 0,
                       "errors_indexed": 0, "failed": 0}
    _assert_each_event_stored_once(opensearch_url, index_prefix, seeded, logs)


def test_history_is_redacted_and_excluded_before_it_is_stored(
        opensearch_url: str, index_prefix: str, aws: tuple[Any, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # CloudWatch keeps what the function logged; backfill stores it as the forwarder would.
    logs, _ = aws
    group, stream = "/aws/lambda/us-east-1.viewer-auth", "2025/11/24/[7]" + "0" * 32
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) - 3_600_000
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": now, "message": "login by erin@example.org from 192.0.2.44"},
        {"timestamp": now + 1, "message": "DEBUG session cache"}])
    argv = ["--region", REGION, "--endpoint", opensearch_url, "--index-prefix", index_prefix,
            "--log-group", group, "--since", str(now - 1000), "--until", str(now + 1000),
            "--account", ACCOUNT, "--redact", '["ipv4", "email"]', "--exclude", '["^DEBUG "]']
    assert backfill.main(argv, logs=logs, state_dir=tmp_path) == 0
    # The dropped line is counted, so it is not mistaken for one lost.
    assert capsys.readouterr().out.strip() == (
        "backfill: region=eu-west-1 groups=1 events=2 stored=1 already_present=0 "
        "errors_indexed=0 failed=0 excluded=1")
    docs = [h["_source"] for h in all_docs(opensearch_url, f"{index_prefix}-2*")]
    assert [d["message"] for d in docs] == ["login by [REDACTED] from [REDACTED]"]
