"""Custom log groups: the function comes from the stream, and the JSON log format's request id
and level are kept (see tests/forwarder/json_format.py for the shapes and their sources)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from forwarder import documents
from forwarder.decode import Payload

from tests.forwarder import json_format
from tests.forwarder.payloads import ACCOUNT, BASE_MS

INGESTED = 1_764_100_000_000  # 2025-11-25T19:46:40Z


def build(events: list[Any], stream: str, group: str = json_format.SHARED_GROUP,
          region: str = "eu-west-1") -> list[dict[str, Any]]:
    batch = documents.build(Payload("DATA_MESSAGE", ACCOUNT, group, stream, events), region,
                            "lambda-edge", INGESTED)
    return [json.loads(line.split("\n")[1]) for line in batch.lines]


def ids(events: list[Any], stream: str) -> list[str]:
    """The _id of each document built from `events` (as `build` builds them)."""
    batch = documents.build(Payload("DATA_MESSAGE", ACCOUNT, json_format.SHARED_GROUP, stream,
                                    events), "eu-west-1", "lambda-edge", INGESTED)
    return [json.loads(line.split("\n")[0])["create"]["_id"] for line in batch.lines]


@pytest.mark.parametrize(
    ("group", "stream", "expected"),
    [
        # Custom group: the stream names the function (plain or with the replica prefix).
        ("/edge/shared", "2025/11/24/auth[7]0123abcd", {"faas.name": "auth", "faas.version": "7"}),
        ("/edge/shared", "2025/11/24/us-east-1.auth[7]0123abcd",
         {"faas.name": "auth", "faas.version": "7"}),
        ("/edge/shared", "2025/11/24/auth[$LATEST][0123abcd]",
         {"faas.name": "auth", "faas.version": "$LATEST"}),
        # A custom group may look like a default one: the stream still decides.
        ("/aws/lambda/edge-common", "2025/11/24/us-east-1.img_resize[12]ff",
         {"faas.name": "img_resize", "faas.version": "12"}),
        # The default group of a replica: the function comes from the group as before.
        ("/aws/lambda/us-east-1.auth", "2025/11/24/[7]0123abcd",
         {"faas.name": "auth", "faas.version": "7"}),
        ("/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL", "2025/11/24/anything",
         {"aws.cloudfront.distribution_id": "E2QWRUHAPOMQZL"}),
        # A stream of another shape in a custom group: nothing is invented.
        ("/edge/shared", "my-own-stream", {}),
    ],
)
def test_faas_fields(group: str, stream: str, expected: dict[str, str]) -> None:
    assert documents.faas_fields(group, stream) == expected


def test_shared_group_every_line_gets_its_own_function() -> None:
    auth = json_format.events(BASE_MS, ["r-a1", "r-a2"], "7")
    headers = json_format.events(BASE_MS, ["r-h1"], "3", runtime="node", seq0=100)
    docs = build(auth, json_format.stream("auth", "7", "aa11")) + build(
        headers, json_format.stream("headers", "3", "bb22", replica_prefix=True))
    assert len(docs) == len(auth) + len(headers)
    by_request: dict[str, set[tuple[str, str]]] = {}
    for d in docs:
        assert d["log.group"] == json_format.SHARED_GROUP
        rid = d.get("aws.lambda.request_id")
        if rid:
            by_request.setdefault(rid, set()).add((d["faas.name"], d["faas.version"]))
    assert by_request == {"r-a1": {("auth", "7")}, "r-a2": {("auth", "7")},
                          "r-h1": {("headers", "3")}}
    # The two functions' documents never share an _id although the group is one.
    both = ids(auth, json_format.stream("auth", "7", "aa11")) + ids(
        headers, json_format.stream("headers", "3", "bb22", replica_prefix=True))
    assert len(set(both)) == len(docs)


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_json_log_format_keeps_request_id_and_level(runtime: str) -> None:
    docs = build(json_format.events(BASE_MS, ["req-1"], "7", runtime),
                 json_format.stream("auth", "7", "aa11"))
    types = [d.get("aws.lambda.line_type") for d in docs]
    assert types == ["platform.initStart", "platform.start", "function", "function",
                     "platform.runtimeDone", "platform.report"]
    app = [d for d in docs if d.get("aws.lambda.line_type") == "function"]
    levels = ["INFO", "ERROR"] if runtime == "python" else ["INFO", "WARN"]
    assert [d["log.level"] for d in app] == levels
    assert all(d["aws.lambda.request_id"] == "req-1" for d in docs[1:])
    assert "aws.lambda.request_id" not in docs[0]  # init happens before any request
    report = docs[-1]
    assert (report["aws.lambda.duration_ms"], report["aws.lambda.billed_duration_ms"],
            report["aws.lambda.memory_size_mb"], report["aws.lambda.max_memory_used_mb"],
            report["aws.lambda.init_duration_ms"]) == (3.2, 4, 128, 41, 180.25)
    assert all(d["faas.name"] == "auth" and d["faas.version"] == "7" for d in docs)
    # The whole line is kept, searchable, in the json field.
    assert app[0]["json"]["requestId"] == "req-1"


def test_custom_stream_names_the_day_for_an_event_without_time() -> None:
    # The index of an event without a usable time is the stream's day (so a retry on a later
    # day finds the same index and _id); custom streams carry the day the same way.
    assert documents._stream_day("2025/11/20/auth[7]aa") == "2025.11.20"
    assert documents._stream_day("2025/11/20/us-east-1.auth[7]aa") == "2025.11.20"
    assert documents._stream_day("2025/11/20/[7]aa") == "2025.11.20"
