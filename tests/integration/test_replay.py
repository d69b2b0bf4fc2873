"""Replay of a failure queue (moto's SQS) into the real OpenSearch node, through the forwarder.

Every request goes through the AWS front door: the forwarder signs with its role's keys,
the replay with an operator's (a role whose own policy grants the forwarder role's es
statements), both for the domain's region."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from forwarder.client import make_client
from forwarder.handler import process
from forwarder.settings import Settings
from moto import mock_aws

from ops import replay
from ops.replay import replay_queue
from tests.forwarder.payloads import encode
from tests.integration.forwarder_support import deployed_settings, signed_client
from tests.support.cwl import BatchFactory, decode, failure_record
from tests.support.front_door import Deployment, FrontDoor
from tests.support.store import marker_set, stored

REGION = "eu-west-1"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queue(sqs: Any) -> str:
    return sqs.create_queue(QueueName="edgelogs-forwarder-failures")["QueueUrl"]


def _settings(url: str, prefix: str, domain_region: str, region: str = REGION) -> Settings:
    """The replay's settings: the queue's region, signing for the domain's."""
    return Settings.from_env(
        {"OPENSEARCH_ENDPOINT": url, "INDEX_PREFIX": prefix, "AWS_REGION": region,
         "OPENSEARCH_REGION": domain_region}
    )


def _operator_client(door: FrontDoor, settings: Settings) -> Any:
    return make_client(settings, credentials=door.identity("operator").credentials())


def _depth(sqs: Any, queue_url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send_failures(sqs: Any, queue_url: str, events: list[dict], region: str = REGION) -> None:
    for event in events:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(failure_record(event, region)))


def test_replay_stores_every_event_once_and_empties_the_queue(
    sqs: Any, queue: str, opensearch_url: str, index_prefix: str, front_door: FrontDoor,
    deployment: Deployment,
) -> None:
    factory = BatchFactory()
    payloads = [factory.batch(REGION, fn, 60) for fn in ("viewer-auth", "origin-rewrite", "x")]
    events = [encode(p) for p in payloads]
    # One batch had been stored by the forwarder before the invocation failed: replay must
    # not double it.
    fwd = deployed_settings(front_door, deployment, REGION)
    process(events[0], fwd, signed_client(front_door, fwd), time.monotonic() + 30)
    _send_failures(sqs, queue, events)
    settings = _settings(front_door.url, index_prefix, deployment.region)
    client = _operator_client(front_door, settings)

    report = replay_queue(sqs, queue, settings, client, log=lambda _: None, wait_seconds=1)

    assert (report.received, report.replayed, report.failed, report.malformed) == (3, 3, 0, 0)
    assert report.events == 180
    assert {(d.caller, d.admitted) for d in front_door.decisions} == {
        (f"forwarder-{REGION}", True), ("operator", True)}
    assert _depth(sqs, queue) == 0
    ids, markers = stored(opensearch_url, f"{index_prefix}-*")
    assert set(markers) == marker_set(payloads)
    assert sum(ids.values()) == len(ids) == 180
    assert max(markers.values()) == 1

    # The same records replayed again (a second operator, an old copy): nothing new is stored.
    _send_failures(sqs, queue, events)
    again = replay_queue(sqs, queue, settings, client, log=lambda _: None, wait_seconds=1)
    assert again.replayed == 3
    ids_again, _ = stored(opensearch_url, f"{index_prefix}-*")
    assert ids_again == ids


def test_malformed_records_are_reported_and_left_in_the_queue(
    sqs: Any, queue: str, opensearch_url: str, index_prefix: str, front_door: FrontDoor,
    deployment: Deployment,
) -> None:
    factory = BatchFactory()
    good = encode(factory.batch(REGION, "viewer-auth", 10))
    bad = {
        "not json": "{oops",
        "a list": "[1, 2]",
        "no payload": json.dumps({"version": "1.0", "requestContext": {}}),
        "no awslogs": json.dumps(failure_record({"hello": "world"}, REGION)),
        "other region": json.dumps(failure_record(good, "us-west-2")),
    }
    for body in bad.values():
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    _send_failures(sqs, queue, [good])
    lines: list[str] = []
    settings = _settings(front_door.url, index_prefix, deployment.region)

    report = replay_queue(sqs, queue, settings, _operator_client(front_door, settings),
                          log=lines.append, wait_seconds=1)

    assert (report.replayed, report.malformed, report.failed) == (1, 5, 0)
    assert not report.ok
    assert _depth(sqs, queue) == 5
    assert report.remaining == 5 and report.line(REGION).endswith(" remaining=5")
    text = "\n".join(lines)
    assert "not JSON" in text and "not an object" in text and "requestPayload" in text
    assert "awslogs.data" in text and "--region us-west-2" in text
    ids, _ = stored(opensearch_url, f"{index_prefix}-*")
    assert len(ids) == 10


def test_a_message_that_fails_stays_and_is_replayed_later(
    sqs: Any, queue: str, opensearch_url: str, index_prefix: str, front_door: FrontDoor,
    deployment: Deployment,
) -> None:
    factory = BatchFactory()
    payload = factory.batch(REGION, "viewer-auth", 25)
    _send_failures(sqs, queue, [encode(payload)])
    down = _settings(f"http://127.0.0.1:{_closed_port()}", index_prefix, deployment.region)

    report = replay_queue(
        sqs, queue, down, _operator_client(front_door, down), seconds_per_message=1.0,
        visibility_timeout=1, log=lambda _: None, wait_seconds=1,
    )  # fmt: skip

    assert (report.received, report.replayed, report.failed) == (1, 0, 1)
    assert _depth(sqs, queue) == 1
    time.sleep(1.2)  # the visibility timeout runs out: the message is back for the next replay
    up = _settings(front_door.url, index_prefix, deployment.region)
    report = replay_queue(sqs, queue, up, _operator_client(front_door, up), log=lambda _: None,
                          wait_seconds=1)
    assert (report.received, report.replayed, report.failed) == (1, 1, 0)
    assert _depth(sqs, queue) == 0
    _, markers = stored(opensearch_url, f"{index_prefix}-*")
    assert set(markers) == marker_set([payload])


def test_command_line_replays_a_queue(
    queue: str, opensearch_url: str, index_prefix: str, capsys: pytest.CaptureFixture[str],
    front_door: FrontDoor, deployment: Deployment, monkeypatch: pytest.MonkeyPatch,
) -> None:
    payloads = [BatchFactory().batch(REGION, "viewer-auth", 15)]
    client = boto3.client("sqs", region_name=REGION)
    _send_failures(client, queue, [encode(p) for p in payloads])
    # The operator's keys, found by botocore's default chain as on a workstation.
    operator = front_door.identity("operator")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", operator.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", operator.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", operator.token or "")

    code = replay.main(
        ["--region", REGION, "--queue-url", queue, "--endpoint", front_door.url,
         "--domain-region", deployment.region, "--index-prefix", index_prefix,
         "--wait-seconds", "1"]
    )  # fmt: skip

    assert code == 0
    assert {(d.caller, d.admitted) for d in front_door.decisions} == {("operator", True)}
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == (f"replay: region={REGION} received=1 replayed=1 events=15 failed=0 "
                    "malformed=0 remaining=0")
    _, markers = stored(opensearch_url, f"{index_prefix}-*")
    assert set(markers) == marker_set(payloads)
    assert decode(encode(payloads[0])) == payloads[0]


class Spy:
    """An SQS client that records every receive_message call, and lets a test act while a
    message is being replayed."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.receives: list[dict[str, Any]] = []
        self.current: str | None = None  # the message being replayed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)

    def receive_message(self, **kwargs: Any) -> Any:
        self.receives.append(kwargs)
        answer = self.sqs.receive_message(**kwargs)
        messages = answer.get("Messages", [])
        self.current = messages[0]["MessageId"] if messages else None
        return answer


class SecondReplayer:
    """Wraps the forwarder's client: at every bulk request (a message is being replayed),
    a second consumer polls the same queue and records every message it is handed."""

    def __init__(self, client: Any, sqs: Any, queue_url: str, spy: Spy) -> None:
        self.client, self.sqs, self.queue_url, self.spy = client, sqs, queue_url, spy
        self.indices = client.indices
        self.handed: list[tuple[str | None, str]] = []  # (being replayed, handed to 2nd)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        for _ in range(3):
            # A peek: visibility 0 leaves anything it gets visible for the first replayer.
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=0, WaitTimeSeconds=0)
            self.handed += [(self.spy.current, m["MessageId"]) for m in got.get("Messages", [])]
        return self.client.bulk(*args, **kwargs)


def test_one_message_at_a_time_long_polled_and_hidden_while_replayed(
    sqs: Any, queue: str, opensearch_url: str, index_prefix: str, front_door: FrontDoor,
    deployment: Deployment,
) -> None:
    factory = BatchFactory()
    payloads = [factory.batch(REGION, f"fn{i}", 20) for i in range(4)]
    _send_failures(sqs, queue, [encode(p) for p in payloads])
    settings = _settings(front_door.url, index_prefix, deployment.region)
    spy = Spy(sqs)
    second = SecondReplayer(_operator_client(front_door, settings), sqs, queue, spy)

    report = replay_queue(spy, queue, settings, second, seconds_per_message=45.0,
                          log=lambda _: None)

    assert (report.received, report.replayed, report.remaining) == (4, 4, 0)
    # Long polling, one message per receive, hidden for the whole budget and a margin.
    assert {r["WaitTimeSeconds"] for r in spy.receives} == {replay.MAX_WAIT_S}
    assert {r["MaxNumberOfMessages"] for r in spy.receives} == {1}
    assert {r["VisibilityTimeout"] for r in spy.receives} == {45 + replay.VISIBILITY_MARGIN_S}
    # The second consumer was handed messages still waiting in the queue, never the one
    # being replayed.
    assert second.handed, "the second consumer never polled while a message was replayed"
    assert all(current is not None and current != other for current, other in second.handed)
    _, markers = stored(opensearch_url, f"{index_prefix}-*")
    assert set(markers) == marker_set(payloads) and max(markers.values()) == 1


def test_the_visibility_timeout_stays_within_sqs_limits() -> None:
    assert replay.visibility_for(60.0) == 60 + replay.VISIBILITY_MARGIN_S
    assert replay.visibility_for(0.4) == 1 + replay.VISIBILITY_MARGIN_S
    assert replay.visibility_for(10**6) == replay.MAX_VISIBILITY_S
