"""The forwarder against a real OpenSearch node: schema, idempotency, regions, JSON types,
bad input, rejected documents.

Every forwarder call goes through the AWS front door (tests/support/front_door.py), signed
with the forwarder role's keys and the environment the program gives the forwarder of that
region; what is stored is read back from the node itself."""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from forwarder.handler import Summary, process

from tests.forwarder.payloads import BASE_MS, encode, event_id, payload, realistic_events
from tests.integration.conftest import set_up_indices
from tests.integration.forwarder_support import (
    all_docs,
    call,
    count,
    deployed_settings,
    event_of,
    signed_client,
)
from tests.support.front_door import Deployment, FrontDoor

EDGE_GROUP = "/aws/lambda/us-east-1.edge-auth"
REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")


Forward = Callable[..., Summary]


@pytest.fixture
def forward(front_door: FrontDoor, deployment: Deployment) -> Forward:
    """forward(event, region="eu-west-1"): that region's forwarder, through the front door."""

    def run(event: dict[str, Any], region: str = "eu-west-1") -> Summary:
        s = deployed_settings(front_door, deployment, region)
        return process(event, s, signed_client(front_door, s), time.monotonic() + 60)

    return run


def test_multi_region_edge_batch_is_read_back_with_its_fields(
        opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    for i, region in enumerate(REGIONS):
        events = realistic_events(300, seed=i, base_ms=BASE_MS + i * 3_600_000)
        stream = f"2025/11/24/[7]{region.replace('-', '')}0123456789abcdef"
        summary = forward(encode(payload(events, stream=stream)), region)
        assert (summary.stored, summary.undelivered, summary.errors_indexed) == (300, 0, 0)

    docs = all_docs(opensearch_url, f"{index_prefix}-2*")
    assert len(docs) == 900
    assert {d["_index"] for d in docs} == {f"{index_prefix}-2025.11.24"}
    for region in REGIONS:
        assert count(opensearch_url, f"{index_prefix}-2*",
                     {"term": {"cloud.region": region}}) == 300
    source = next(d["_source"] for d in docs
                  if d["_source"].get("aws.lambda.line_type") == "report")
    # The stack's constants and the _id's copy are not in the documents (issue 21).
    assert not {"cloud.account.id", "cloud.provider", "event.id"} & set(source)
    assert source["log.group"] == EDGE_GROUP
    assert source["faas.name"] == "edge-auth" and source["faas.version"] == "7"
    assert isinstance(source["aws.lambda.duration_ms"], float)
    assert source["aws.lambda.memory_size_mb"] == 128
    # Mapped as numbers and keywords: range, term and flat_object dot-path queries work.
    reports = count(opensearch_url, f"{index_prefix}-2*",
                    {"term": {"aws.lambda.line_type": "report"}})
    assert reports > 0
    assert count(opensearch_url, f"{index_prefix}-2*",
                 {"range": {"aws.lambda.max_memory_used_mb": {"gte": 60, "lt": 90}}}) == reports
    assert count(opensearch_url, f"{index_prefix}-2*", {"term": {"log.level": "INFO"}}) > 0
    assert count(opensearch_url, f"{index_prefix}-2*", {"term": {"json.status": "200"}}) > 0
    assert count(opensearch_url, f"{index_prefix}-2*",
                 {"term": {"json.headers.accept": "image/*"}}) > 0
    assert count(opensearch_url, f"{index_prefix}-2*",
                 {"range": {"@timestamp": {"gte": "2025-11-24T16:00:00Z",
                                           "lt": "2025-11-24T17:00:00Z"}}}) == 300
    mapping = call(opensearch_url, "GET", f"{index_prefix}-2025.11.24/_mapping")
    props = mapping[f"{index_prefix}-2025.11.24"]["mappings"]["properties"]
    assert props["json"]["type"] == "flat_object"
    assert props["aws"]["properties"]["lambda"]["properties"]["duration_ms"]["type"] == "double"


def test_same_payload_twice_stores_nothing_new(opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    event = encode(payload(realistic_events(500, seed=3)))
    first = forward(event)
    second = forward(event)
    assert (first.stored, first.already_present) == (500, 0)
    assert (second.stored, second.already_present) == (0, 500)
    assert count(opensearch_url, f"{index_prefix}-2*") == 500


@pytest.mark.parametrize(("concurrency", "requests"), [(1, 2), (2, 2), (4, 4)])
def test_a_full_batch_sent_in_parts_is_stored_once(
        opensearch_url: str, index_prefix: str, front_door: FrontDoor, deployment: Deployment,
        concurrency: int, requests: int) -> None:
    # A full 10,000-event batch (7.8 MB of entries), signed and checked by the front door:
    # sequentially in 5 MB chunks, else in one part per request in flight, each sent while
    # the next was built. Each level its own events, on its own day.
    events = realistic_events(10_000, seed=20 + concurrency,
                              base_ms=BASE_MS + concurrency * 86_400_000)
    s = deployed_settings(front_door, deployment, "eu-west-1",
                          BULK_CONCURRENCY=str(concurrency))
    mark = front_door.mark()
    summary = process(encode(payload(events)), s, signed_client(front_door, s),
                      time.monotonic() + 120)
    assert (summary.stored, summary.undelivered, summary.requests) == (10_000, 0, requests)
    day = time.strftime("%Y.%m.%d", time.gmtime(events[0]["timestamp"] // 1000))
    # Each part's request, signed on its own worker thread (several at once), passed the
    # service's checks as the eu-west-1 forwarder: signature scoped to the domain's region,
    # es:ESHttpPost on its own index's _bulk, allowed by both policies.
    bulks = [d for d in front_door.decisions_since(mark) if d.path.endswith("/_bulk")]
    assert len(bulks) == requests
    for d in bulks:
        assert d.admitted and d.caller == "forwarder-eu-west-1", d
        assert (d.method, d.action) == ("POST", "es:ESHttpPost")
        assert d.path == f"/{index_prefix}-{day}/_bulk"
    docs = all_docs(opensearch_url, f"{index_prefix}-{day}")
    assert sorted(event_of(d) for d in docs) == sorted(e["id"] for e in events)
    assert len({d["_id"] for d in docs}) == 10_000


def test_same_group_and_event_ids_from_two_regions_are_two_documents(
        opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    event = encode(payload(realistic_events(100, seed=4)))
    forward(event, "us-east-1")
    forward(event, "sa-east-1")
    assert count(opensearch_url, f"{index_prefix}-2*") == 200
    for region in ("us-east-1", "sa-east-1"):
        assert count(opensearch_url, f"{index_prefix}-2*",
                     {"term": {"cloud.region": region}}) == 100


def test_conflicting_json_field_types_are_all_stored(
        opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    shapes: list[Any] = [41, {"b": 2}, "text", [1, {"c": 1}], None, True, 2.5, [], {},
                         {"b": {"c": {"d": [1, "x", None]}}}, {"a.b": 1}, {"": 2}, 10**30]
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    messages = [f"2025-11-24T16:00:00.000Z\tr-{i}\tINFO\t" + json.dumps({"field": v, "i": i})
                for i, v in enumerate(shapes)] + [json.dumps(deep)]
    events = [{"id": event_id(BASE_MS, i), "timestamp": BASE_MS, "message": m}
              for i, m in enumerate(messages)]
    summary = forward(encode(payload(events)))
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (len(events), 0, 0)
    docs = all_docs(opensearch_url, f"{index_prefix}-2*")
    assert len(docs) == len(events) and all("json" in d["_source"] for d in docs)
    # The number and the object under the same name are both searchable.
    assert count(opensearch_url, f"{index_prefix}-2*", {"term": {"json.field": "41"}}) == 1
    assert count(opensearch_url, f"{index_prefix}-2*", {"term": {"json.field.b": "2"}}) == 1
    assert count(opensearch_url, f"{index_prefix}-2*", {"term": {"json.field": "text"}}) == 1


def test_json_with_duplicate_keys_is_stored_after_the_rebuild(
        opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    # JSON content is copied verbatim; the node refuses duplicate keys (strict duplicate
    # detection), the forwarder resends that document with the JSON re-encoded.
    events = [{"id": event_id(BASE_MS, 1), "timestamp": BASE_MS,
               "message": '2025-11-24T16:00:00.000Z\tr\tINFO\t{"user": "a", "user": "b"}\n'},
              {"id": event_id(BASE_MS, 2), "timestamp": BASE_MS,
               "message": '{"level": "info", "n": 1, "n": 2}'}]
    summary = forward(encode(payload(events)))
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (2, 0, 0)
    docs = {event_of(d): d["_source"]
            for d in all_docs(opensearch_url, f"{index_prefix}-2*")}
    assert docs[event_id(BASE_MS, 1)]["json"] == {"user": "b"}
    assert docs[event_id(BASE_MS, 2)]["json"] == {"level": "info", "n": 2}


def test_bad_input_outcomes_on_the_node(opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    undecodable = [
        {"awslogs": {"data": "not base64 at all!"}},
        {"awslogs": {"data": base64.b64encode(b"no gzip here").decode()}},
        {"awslogs": {"data": base64.b64encode(gzip.compress(bytes(range(256)) * 64)[:100])
                     .decode()}},
        encode(b"{not json"),
        encode({"messageType": "DATA_MESSAGE", "owner": "123456789012"}),
    ]
    for event in undecodable:
        summary = forward(event)
        assert summary.outcome == "undecodable_kept" and summary.errors_indexed == 1
    errors = all_docs(opensearch_url, f"{index_prefix}-errors-*")
    assert sorted(d["_source"]["raw.data_base64"] for d in errors) == sorted(
        e["awslogs"]["data"] for e in undecodable)
    reasons = " | ".join(d["_source"]["error.message"] for d in errors)
    for says in ("not valid base64", "not gzip", "truncated gzip", "not JSON", "missing key"):
        assert says in reasons

    huge = "2025-11-24T16:00:00.000Z\tr\tERROR\t" + json.dumps({"dump": "z" * 500_000})
    odd_events = [
        {"id": event_id(BASE_MS, 1), "timestamp": BASE_MS, "message": huge},
        {"id": event_id(BASE_MS, 2), "message": "no timestamp"},
        {"id": event_id(BASE_MS, 3), "timestamp": BASE_MS, "message": "caf\udce9 \ud800 ok"},
    ]
    summary = forward(encode(payload(odd_events)))
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (3, 0, 0)
    stored = {event_of(d): d["_source"]
              for d in all_docs(opensearch_url, f"{index_prefix}-2*")}
    assert stored[event_id(BASE_MS, 1)]["message"] == huge
    assert stored[event_id(BASE_MS, 1)]["tags"] == ["json_truncated"]
    assert stored[event_id(BASE_MS, 2)]["tags"] == ["timestamp_missing"]


def test_rejected_documents_land_in_the_errors_index(
        opensearch_url: str, index_prefix: str,
        forward: Forward) -> None:
    # Mapping drift: someone created the day's index by hand with `message` as a number.
    call(opensearch_url, "PUT", f"{index_prefix}-2025.11.24",
         {"mappings": {"properties": {"message": {"type": "long"}}}})
    events = [{"id": event_id(BASE_MS, 1), "timestamp": BASE_MS, "message": "12345"},
              {"id": event_id(BASE_MS, 2), "timestamp": BASE_MS, "message": "not a number"}]
    summary = forward(encode(payload(events)))
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (1, 1, 0)
    (record,) = all_docs(opensearch_url, f"{index_prefix}-errors-*")
    source = record["_source"]
    assert source["error.type"] == "rejected_document"
    assert "mapper_parsing_exception" in source["error.message"]
    assert json.loads(source["raw.event"]) == events[1]
    assert record["_index"] == f"{index_prefix}-errors-2025.11.24"
    # Replayed: nothing new anywhere.
    again = forward(encode(payload(events)))
    assert (again.stored, again.already_present, again.errors_indexed) == (0, 1, 1)
    assert count(opensearch_url, f"{index_prefix}-errors-*") == 1


def test_the_setups_templates_shape_the_forwarders_indices(opensearch_url: str,
                                                           index_prefix: str,
                                                           forward: Forward) -> None:
    """The fixture installed the domain setup's templates (as `pulumi up` does); installing
    them again changes nothing, and the indices the forwarder creates get their mappings."""
    assert set_up_indices(opensearch_url, index_prefix) == {
        f"index_template {index_prefix}": "unchanged",
        f"index_template {index_prefix}-errors": "unchanged",
        f"ism_policy {index_prefix}-retention": "unavailable",
    }
    forward(encode(payload(realistic_events(5))))
    got = call(opensearch_url, "GET", f"_index_template/{index_prefix}*")
    names = sorted(t["name"] for t in got["index_templates"])
    assert names == [index_prefix, f"{index_prefix}-errors"]
    errors_settings = call(opensearch_url, "POST", f"{index_prefix}-errors-2025.01.01/_doc",
                           {"error.type": "probe"})
    assert errors_settings["result"] == "created"
    mapping = call(opensearch_url, "GET", f"{index_prefix}-errors-2025.01.01/_mapping")
    assert mapping[f"{index_prefix}-errors-2025.01.01"]["mappings"]["dynamic"] == "false"
