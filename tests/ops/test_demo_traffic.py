"""The demo's traffic: realistic for the forwarder, the same every time for the same window."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from forwarder.handler import prepare

from components.config import DEFAULT_REGIONS
from ops import demo
from ops.demo_traffic import DISTRIBUTION_ID, batches, generate, subscription_event
from tests.support.cwl import decode

END = int(datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp() * 1000)


def _documents(end_ms: int = END) -> list[tuple[str, dict]]:
    """(id, source) of every document the forwarder builds from the traffic."""
    out = []
    for region, message in batches(generate(end_ms)):
        _, batch = prepare(subscription_event(message), region, "lambda-edge", 0)
        for line in batch.lines:
            action, source = line.rstrip("\n").split("\n")
            out.append((json.loads(action)["create"]["_id"], json.loads(source)))
    return out


def test_the_same_window_is_the_same_traffic_and_another_window_is_new() -> None:
    first, again = _documents(), _documents()
    assert first == [(i, {**s}) for i, s in again]
    ids = [i for i, _ in first]
    assert len(ids) == len(set(ids))  # no two events share a document id
    later = {i for i, _ in _documents(END + 3_600_000)}
    assert not later & set(ids)


def test_every_default_region_and_every_kind_of_line_is_there() -> None:
    docs = [s for _, s in _documents()]
    assert {s["cloud.region"] for s in docs} == set(DEFAULT_REGIONS)
    assert {s.get("faas.name") for s in docs} >= {"viewer-auth", "origin-router",
                                                  "image-resize", "security-headers"}
    types = Counter(s.get("aws.lambda.line_type") for s in docs)
    assert types["init_start"] > 0 and types["start"] == types["end"] == types["report"]
    cold = [s for s in docs if "aws.lambda.init_duration_ms" in s]
    assert len(cold) == types["init_start"]  # every cold start is reported as one
    levels = Counter(s.get("log.level") for s in docs)
    assert levels["INFO"] and levels["WARN"] and levels["ERROR"]
    assert any("json" in s and s.get("log.level") == "ERROR" for s in docs)  # JSON logs
    assert any("Task timed out" in s["message"] for s in docs)
    assert any(s.get("aws.cloudfront.distribution_id") == DISTRIBUTION_ID for s in docs)
    # Every line happened inside the five minutes before the window's end.
    stamps = {s["@timestamp"] for s in docs}
    assert min(stamps) >= "2026-11-28T11:55:00" and max(stamps) < "2026-11-28T12:00:00"


def test_an_environment_runs_one_invocation_at_a_time() -> None:
    traffic = generate(END)
    for stream in traffic.streams:
        open_request = None
        for event in sorted(stream.events, key=lambda e: e["id"]):
            message = event["message"]
            if message.startswith("START"):
                assert open_request is None
                open_request = message.split()[2]
            elif message.startswith("REPORT"):
                assert message.split()[2] == open_request
                open_request = None


def test_batches_are_what_cloudwatch_logs_sends_one_stream_each() -> None:
    traffic = generate(END)
    sent = [decode(subscription_event(message)) for _, message in batches(traffic)]
    assert sum(len(m["logEvents"]) for m in sent) == traffic.events
    assert {m["messageType"] for m in sent} == {"DATA_MESSAGE"}
    assert all(m["logGroup"].startswith(("/aws/lambda/us-east-1.", "/aws/cloudfront/LambdaEdge/"))
               for m in sent)


def test_the_request_shown_is_a_failed_origin_invocation() -> None:
    shown = demo.showcase_invocation(generate(END))
    assert shown.function == "origin-router" and shown.error


def test_printed_commands_name_the_window_when_it_is_not_recent() -> None:
    traffic = generate(END)
    now = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    recent = demo.commands(traffic, "http://127.0.0.1:9", "lambda-edge", now)
    assert recent[0] == "edgelogs search --endpoint http://127.0.0.1:9 --since 2h"
    old = demo.commands(traffic, "http://127.0.0.1:9", "p", datetime(2026, 12, 1, tzinfo=UTC))
    assert old[0] == ("edgelogs search --endpoint http://127.0.0.1:9 --index-prefix p "
                      "--since 2026-11-28T11:55:00.000Z --until 2026-11-28T12:01:00.000Z")
