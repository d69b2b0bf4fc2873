"""Document building: the schema as stored, ids, index names, odd events."""

from __future__ import annotations

import json
from typing import Any

from forwarder import documents
from forwarder.decode import Payload

from tests.forwarder.payloads import ACCOUNT, BASE_MS, GROUP, STREAM, realistic_events

REGION = "eu-west-1"
INGESTED = 1_764_100_000_000  # 2025-11-25T19:46:40Z


def split(line: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bulk entry as the engine reads it: strict JSON, no duplicate document fields.

    (Duplicate keys inside a verbatim ``json`` copy are possible; the engine refuses such
    a document and the handler resends it rebuilt: see test_handler.)
    """
    assert line.isascii() and line.endswith("\n") and line.count("\n") == 2
    action, source, _ = line.split("\n")
    top = json.loads(source, object_pairs_hook=lambda pairs: pairs)  # innermost first
    keys = [k for k, _ in top]
    assert len(keys) == len(set(keys)), f"duplicate document fields {keys}"
    return json.loads(action), json.loads(source)


def make(events: list[Any], group: str = GROUP, stream: str = STREAM,
         region: str = REGION, owner: str = ACCOUNT) -> documents.Batch:
    return documents.build(Payload("DATA_MESSAGE", owner, group, stream, events), region,
                           "lambda-edge", INGESTED)


def test_document_schema() -> None:
    events = [{"id": "36993478918720416548375283450871299456718298264791646208",
               "timestamp": BASE_MS + 1234,
               "message": "REPORT RequestId: r1\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
                          "Memory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 9.5 ms"}]
    batch = make(events)
    action, source = split(batch.lines[0])
    assert batch.indices == ["lambda-edge-2025.11.24"]
    # No _index in the body: the request goes to /<index>/_bulk.
    assert action == {"create": {"_id": documents.doc_id(ACCOUNT, REGION, GROUP,
                                                         events[0]["id"])}}
    # No cloud.provider, cloud.account.id or event.id: constants of the stack and the
    # _id's second half (issue 21).
    assert action["create"]["_id"].endswith("-" + events[0]["id"])
    assert batch.account == ACCOUNT
    assert source == {
        "event.ingested": "2025-11-25T19:46:40.000Z",
        "cloud.region": "eu-west-1",
        "log.group": GROUP,
        "log.stream": STREAM,
        "faas.name": "edge-auth",
        "@timestamp": "2025-11-24T16:00:01.234Z",
        "message": events[0]["message"],
        "aws.lambda.line_type": "report",
        "aws.lambda.request_id": "r1",
        "aws.lambda.duration_ms": 1.5,
        "aws.lambda.billed_duration_ms": 2,
        "aws.lambda.memory_size_mb": 128,
        "aws.lambda.max_memory_used_mb": 70,
        "aws.lambda.init_duration_ms": 9.5,
        "faas.version": "7",  # from the stream name [7]
    }
    assert batch.events == events and not batch.bad_events and batch.tags == {}


def test_realistic_batch_is_valid_ndjson() -> None:
    batch = make(realistic_events(2000))
    ids = set()
    for line in batch.lines:
        action, source = split(line)
        ids.add(action["create"]["_id"])
        assert source["cloud.region"] == REGION and "@timestamp" in source
    assert len(ids) == 2000


def test_start_line_version_is_not_written_twice() -> None:
    _, source = split(make([{"id": "1", "timestamp": BASE_MS,
                             "message": "START RequestId: r Version: 3\n"}]).lines[0])
    assert source["faas.version"] == "3"


def test_ids_are_deterministic_and_scoped() -> None:
    events = [{"id": "1", "timestamp": BASE_MS, "message": "m"}]
    first = split(make(events).lines[0])[0]["create"]["_id"]
    assert split(make(events).lines[0])[0]["create"]["_id"] == first
    # Same group name and event id in another region / account / group: another document.
    assert split(make(events, region="us-east-1").lines[0])[0]["create"]["_id"] != first
    assert split(make(events, owner="210987654321").lines[0])[0]["create"]["_id"] != first
    assert split(make(events, group="/aws/lambda/us-east-1.other").lines[0])[0][
        "create"]["_id"] != first


def test_odd_event_ids_are_hashed_into_safe_ids() -> None:
    for event_id in ('a"b', "x" * 600, "\u0663\u0664", "\ud800"):
        action, source = split(make([{"id": event_id, "timestamp": BASE_MS,
                                      "message": "m"}]).lines[0])
        assert len(action["create"]["_id"]) < 100
        assert source["event.id"] == event_id


def test_index_per_event_day() -> None:
    day = 86_400_000
    batch = make([{"id": str(i), "timestamp": BASE_MS + i * day, "message": "m"}
                  for i in range(3)])
    assert batch.indices == [
        "lambda-edge-2025.11.24", "lambda-edge-2025.11.25", "lambda-edge-2025.11.26"]


def test_event_without_timestamp() -> None:
    for ts in (None, "2024-01-01", -5, 10**20, 1.5, True):
        event: dict[str, Any] = {"id": "1", "message": "m"}
        if ts is not None:
            event["timestamp"] = ts
        batch = make([event])
        action, source = split(batch.lines[0])
        assert source["@timestamp"] == "2025-11-25T19:46:40.000Z"  # ingestion time
        assert source["tags"] == [documents.TAG_TIMESTAMP_MISSING]
        # The stream's day, so a retry on another day hits the same index and _id.
        assert batch.indices == ["lambda-edge-2025.11.24"] and "_index" not in action["create"]
        assert batch.tags == {documents.TAG_TIMESTAMP_MISSING: 1}


def test_event_without_id_gets_a_stable_one() -> None:
    event = {"timestamp": BASE_MS, "message": "m"}
    a, source = split(make([event]).lines[0])
    b, _ = split(make([dict(event)]).lines[0])
    assert a == b and source["tags"] == [documents.TAG_ID_MISSING]


def test_message_that_is_not_a_string() -> None:
    _, source = split(make([{"id": "1", "timestamp": BASE_MS, "message": {"a": 1}}]).lines[0])
    assert source["message"] == '{"a": 1}'
    assert source["tags"] == [documents.TAG_MESSAGE_NOT_STRING]
    _, source = split(make([{"id": "1", "timestamp": BASE_MS}]).lines[0])
    assert source["message"] == ""


def test_events_that_are_not_objects_are_set_aside() -> None:
    batch = make([{"id": "1", "timestamp": BASE_MS, "message": "ok"}, "junk", 42])
    assert len(batch.lines) == 1 and batch.events == [batch.events[0]]
    assert [why for _, why in batch.bad_events] == [
        "log event is a str, not an object", "log event is a int, not an object"]


def test_a_line_of_several_hundred_kb() -> None:
    message = "2025-11-24T16:00:00.000Z\tr\tINFO\t" + json.dumps(
        {"dump": "y" * 400_000, "n": 1})
    _, source = split(make([{"id": "1", "timestamp": BASE_MS, "message": message}]).lines[0])
    assert source["message"] == message  # full text kept
    assert len(source["json"]["dump"]) == 2048 and source["tags"] == ["json_truncated"]


def test_tags_from_the_line_and_the_event_are_merged() -> None:
    _, source = split(make([{"id": "1", "message": '{"a": 1e999, "b": "\u00e9"}'}]).lines[0])
    assert source["tags"] == ["timestamp_missing", "json_unencodable"]


def test_cloudfront_lambda_edge_error_log_group() -> None:
    _, source = split(make([{"id": "1", "timestamp": BASE_MS, "message": "m"}],
                           group="/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL",
                           stream="2025/11/24/abc").lines[0])
    assert source["aws.cloudfront.distribution_id"] == "E2QWRUHAPOMQZL"
    assert "faas.name" not in source


def test_rejected_doc_keeps_reason_and_raw_event() -> None:
    event = {"id": "1", "timestamp": BASE_MS, "message": "m"}
    batch = make([event])
    payload = Payload("DATA_MESSAGE", ACCOUNT, GROUP, STREAM, [event])
    index, line, kept = documents.rejected_doc(batch.lines[0], batch.indices[0], event,
                                               "lambda-edge", "400 mapper_parsing_exception: x",
                                               400, payload, REGION, INGESTED)
    action, source = split(line)
    assert index == "lambda-edge-errors-2025.11.24" and "_index" not in action["create"]
    assert action["create"]["_id"] == split(batch.lines[0])[0]["create"]["_id"]
    assert json.loads(source["raw.event"]) == event and kept is event
    assert source["error.type"] == "rejected_document" and source["error.status"] == 400


def test_raw_payload_doc_id_is_stable() -> None:
    a = documents.raw_payload_doc("undecodable_payload", "why", "abc", "p", REGION, INGESTED)
    b = documents.raw_payload_doc("undecodable_payload", "why", "abc", "p", REGION, INGESTED)
    assert a[:2] == b[:2] and a[0] == "p-errors-undated"  # no input day: never the clock's
    _, source = split(a[1])
    assert source["raw.data_base64"] == "abc"


# -- built a part at a time (sent while the next part is built) ------------------------------

def parts_of(events: list[Any], parts: int, min_part_bytes: int = 0,
             ) -> tuple[documents.Batch, list[range], list[int]]:
    """build_parts' batch, its parts, and how many entries existed as each part came out."""
    batch = documents.Batch()
    seen, built = [], []
    for part in documents.build_parts(batch, Payload("DATA_MESSAGE", ACCOUNT, GROUP, STREAM,
                                                     events), REGION, "lambda-edge",
                                      INGESTED, parts=parts, min_part_bytes=min_part_bytes):
        seen.append(part)
        built.append(len(batch.lines))
    return batch, seen, built


def test_parts_are_the_whole_build_in_order() -> None:
    events = realistic_events(10_000, seed=3)
    whole = make(events)
    batch, parts, built = parts_of(events, 4)
    assert batch.lines == whole.lines and batch.indices == whole.indices
    assert batch.events == whole.events and batch.tags == whole.tags
    # Four even parts, each yielded as soon as it was built, before the next existed.
    assert parts == [range(0, 2500), range(2500, 5000), range(5000, 7500), range(7500, 10_000)]
    assert built == [2500, 5000, 7500, 10_000]


def test_parts_keep_bad_events_and_positions() -> None:
    events: list[Any] = realistic_events(1000, seed=4)
    for i in (0, 255, 256, 600, 999):
        events[i] = ["not", "an", "object"]
    whole = make(events)
    batch, parts, _ = parts_of(events, 3)
    assert batch.lines == whole.lines and batch.bad_events == whole.bad_events
    assert batch.events == whole.events and len(batch.events) == 995
    # The parts cover every entry once, in order: 334, 334 and 332 events, less the bad ones.
    assert [p.stop - p.start for p in parts] == [331, 333, 331]
    assert [pos for part in parts for pos in part] == list(range(995))


def test_no_part_is_smaller_than_asked() -> None:
    events = realistic_events(2000, seed=5)
    size = sum(map(len, make(events).lines))  # about 1.6 MB
    assert [len(p) for p in parts_of(events, 4, min_part_bytes=size // 2)[1]] == [1000, 1000]
    assert [len(p) for p in parts_of(events, 4, min_part_bytes=size * 2)[1]] == [2000]
    assert len(parts_of(events, 1)[1]) == 1
    # A batch smaller than the probe is one part, whatever was asked.
    assert parts_of(events[:documents.PROBE_EVENTS - 1], 4)[1] == [range(255)]
    assert parts_of([], 4)[1] == []
