"""The destinations besides the domain, on their own: documents, RFC 5424 messages, the HTTP
shipper's answers and retries, header secrets, and one failing destination among several."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from forwarder.destinations import Documents, make_shippers, parse
from forwarder.errors import DeliveryError, SettingsError, failed_destinations
from forwarder.handler import prepare, process
from forwarder.http_shipper import HttpShipper
from forwarder.retry import RetryPolicy
from forwarder.settings import Settings
from forwarder.syslog_shipper import _frames_fast, frames, message

from tests.forwarder import payloads
from tests.support.http_stub import stub_server

SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:intake"


def policy(seconds: float = 30) -> RetryPolicy:
    return RetryPolicy(time.monotonic() + seconds, 0.0, 5.0, sleep=lambda s: None)


def docs(n: int = 3) -> Documents:
    lines = [f'{{"create":{{"_id":"k-{i}"}}}}\n{{"event.id":"{i}","message":"m{i}"}}\n'
             for i in range(n)]
    return Documents.from_bulk(lines, [{"id": str(i)} for i in range(n)])


def test_documents_are_the_domains_sources() -> None:
    line = '{"create":{"_id":"abc-1"}}\n{"@timestamp":"t","event.id":"1","message":"x"}\n'
    d = Documents.from_bulk([line], [{"id": "1", "message": "x"}])
    assert d.sources == ['{"@timestamp":"t","event.id":"1","message":"x"}\n']


def test_a_document_without_event_id_gets_it_back() -> None:
    # A leaner domain document (no event.id) still reaches the others with the event's id,
    # or, for an event without one, the domain's _id.
    lines = ['{"create":{"_id":"g-7"}}\n{"@timestamp":"t","message":"a \\"event.id\\":"}\n',
             '{"create":{"_id":"g-h99"}}\n{"@timestamp":"t","message":"b"}\n']
    d = Documents.from_bulk(lines, [{"id": "7"}, {"message": "b"}])
    assert d.sources == ['{"@timestamp":"t","event.id":"7","message":"a \\"event.id\\":"}\n',
                         '{"@timestamp":"t","event.id":"g-h99","message":"b"}\n']


def test_the_other_destinations_get_the_account_the_domain_documents_leave_out() -> None:
    # Two accounts' stacks may name the same log groups and send to one receiver.
    # Both where the forwarder used to write them: the syslog shipper's fast road reads
    # that layout.
    lines = ['{"create":{"_id":"g-7"}}\n{"cloud.region":"r","log.group":"g","@timestamp":"t",'
             '"message":"m"}\n',
             '{"create":{"_id":"g-8"}}\n{"cloud.account.id":"1","event.id":"8","message":"n"}\n',
             '{"create":{"_id":"g-9"}}\n{"tags":["x"]}\n']
    d = Documents.from_bulk(lines, [{"id": "7"}, {"id": "8"}, {"id": "9"}], "123456789012")
    assert d.sources == [
        '{"cloud.region":"r","cloud.account.id":"123456789012","log.group":"g",'
        '"@timestamp":"t","event.id":"7","message":"m"}\n',
        '{"cloud.account.id":"1","event.id":"8","message":"n"}\n',
        '{"cloud.account.id":"123456789012","event.id":"9","tags":["x"]}\n']


def test_a_batch_s_documents_reach_the_others_with_account_and_event_id() -> None:
    evs = payloads.realistic_events(3, seed=4)
    _, batch = prepare(payloads.encode(payloads.payload(evs)), "eu-west-1", "le", 0)
    sources = Documents.from_bulk(batch.lines, batch.events, batch.account).sources
    docs = [json.loads(src) for src in sources]
    assert [(d["cloud.account.id"], d["event.id"]) for d in docs] == [
        ("123456789012", e["id"]) for e in evs]
    # In the layout the syslog shipper reads without parsing each document.
    assert _frames_fast(sources) is not None


def test_syslog_message_is_rfc5424_with_structured_data() -> None:
    doc = {"event.ingested": "2025-11-24T16:00:01.000Z", "cloud.provider": "aws",
           "cloud.region": "ap-south-1", "cloud.account.id": "123456789012",
           "log.group": "/aws/lambda/us-east-1.edge-auth", "log.stream": "2025/11/24/[7]ab",
           "faas.name": "edge-auth", "@timestamp": "2025-11-24T16:00:00.123Z",
           "event.id": "3612", "message": "boom ] \"quoted\" \\ end\n",
           "aws.lambda.line_type": "function", "log.level": "ERROR",
           "aws.lambda.request_id": "r-1", "json": {"a": 1}, "tags": ["x", "y"],
           "faas.version": "7"}
    assert message(doc) == (
        b'<11>1 2025-11-24T16:00:00.123Z ap-south-1 edge-auth - - '
        b'[edgelogs@32473 event.id="3612" cloud.account.id="123456789012" '
        b'log.group="/aws/lambda/us-east-1.edge-auth" log.stream="2025/11/24/[7\\]ab"]'
        b'[lambda@32473 event.ingested="2025-11-24T16:00:01.000Z" faas.name="edge-auth" '
        b'aws.lambda.line_type="function" log.level="ERROR" aws.lambda.request_id="r-1" '
        b'faas.version="7" tags="x,y"] boom ] "quoted" \\ end\n')


def _reference(d: Documents) -> bytes:
    out = b""
    for src in d.sources:
        body = message(json.loads(src, parse_float=str, parse_int=str))
        out += b"%d %s" % (len(body), body)
    return out


@pytest.mark.parametrize(("extra", "fast"), [
    ({}, True),
    ({"message": "caf\u00e9 \u2603 \"q\" \\ ] [x]\n"}, True),  # escapes, non-ASCII, brackets
    ({"log.stream": "2025/11/24/[$LATEST]ab\"c"}, False),  # an escaped quote: the reference
    ({"aws.xray.sampled": True, "n": None}, False),  # values that are not strings
])
def test_frames_give_the_reference_bytes(extra: dict[str, Any], fast: bool) -> None:
    evs = payloads.realistic_events(300, seed=9)
    _, batch = prepare(payloads.encode(payloads.payload(evs)), "eu-west-1", "le", 0)
    d = Documents.from_bulk(batch.lines, batch.events)
    if extra:
        docs = [json.loads(src) for src in d.sources]
        for doc in docs[::7]:
            doc.update(extra)
        d = Documents([json.dumps(doc, separators=(",", ":")) + "\n" for doc in docs])
    assert frames(d) == _reference(d)
    assert frames(d).count(b" <1") == 300
    assert (_frames_fast(d.sources) is not None) is fast


def test_a_document_without_its_id_first_still_frames_by_id() -> None:
    lines = ['{"create":{"_id":"g-7"}}\n{"@timestamp":"2025-11-24T16:00:00.000Z",'
             '"cloud.region":"eu-west-1","message":"x"}\n']
    d = Documents.from_bulk(lines, [{"id": "7"}])
    assert frames(d) == _reference(d)
    assert b'[edgelogs@32473 event.id="7"]' in frames(d)


def test_syslog_header_fields_are_printable_and_bounded() -> None:
    doc = {"cloud.region": "eu west 1", "faas.name": "f" * 64, "message": "é",
           "@timestamp": "2025-11-24T16:00:00.000Z", "event.id": "1"}
    text = message(doc)
    assert text.startswith(b"<14>1 2025-11-24T16:00:00.000Z euwest1 " + b"f" * 48 + b" - - ")
    assert text.endswith(" é".encode())


def test_http_posts_ndjson_and_retries_429_and_5xx() -> None:
    answers = iter([(503, {}), (429, {}), (200, {})])
    with stub_server(lambda r: next(answers)) as (url, seen):
        ship = HttpShipper("http:test", url + "/insert", {"Authorization": "Bearer t"}, 5.0,
                           1 << 20)
        out = ship.ship(docs(3), policy())
    assert (out.sent, out.undelivered, out.attempts) == (3, 0, 3)
    assert [r.body for r in seen] == [b'{"event.id":"0","message":"m0"}\n'
                                      b'{"event.id":"1","message":"m1"}\n'
                                      b'{"event.id":"2","message":"m2"}\n'] * 3
    assert seen[0].headers["content-type"] == "application/x-ndjson"
    assert seen[0].headers["authorization"] == "Bearer t"
    assert seen[0].path == "/insert"


def test_http_4xx_is_not_retried() -> None:
    with stub_server(lambda r: (400, {"error": "bad line"})) as (url, seen):
        out = HttpShipper("http:test", url, {}, 5.0, 1 << 20).ship(docs(2), policy())
    assert (out.sent, out.undelivered, out.attempts, len(seen)) == (0, 2, 1, 1)
    assert out.reason.startswith("HTTP 400")


def test_http_gives_up_when_the_time_is_spent() -> None:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s + 1.0

    with stub_server(lambda r: (502, {})) as (url, seen):
        out = HttpShipper("http:test", url, {}, 5.0, 1 << 20).ship(
            docs(1), RetryPolicy(10.0, 1.0, 5.0, clock=lambda: now[0], sleep=sleep))
    assert out.undelivered == 1 and out.sent == 0
    assert 2 <= len(seen) == out.attempts <= 10
    assert "gave up after" in out.reason


def test_http_requests_hold_whole_documents_up_to_the_byte_limit() -> None:
    with stub_server(lambda r: (200, {})) as (url, seen):
        # Each source is 31 bytes: 2 fit in 64.
        out = HttpShipper("http:test", url, {}, 5.0, 64).ship(docs(5), policy())
    assert out.sent == 5
    assert [r.body.count(b"\n") for r in seen] == [2, 2, 1]


def test_header_secrets_are_read_once_by_arn() -> None:
    read: list[str] = []

    def reader(arn: str) -> str:
        read.append(arn)
        return json.dumps({"Authorization": "Splunk abc"})

    (ship,) = make_shippers([{"type": "http", "url": "https://h.example/x",
                              "headersSecret": SECRET}], "eu-west-1", 5.0, 1 << 20, reader)
    assert read == [SECRET]
    assert ship.session.headers["Authorization"] == "Splunk abc"  # type: ignore[attr-defined]


def test_a_secret_that_is_not_a_header_object_is_refused_without_its_value() -> None:
    with pytest.raises(SettingsError) as info:
        make_shippers([{"type": "http", "url": "https://h.example/x", "headersSecret": SECRET}],
                      "eu-west-1", 5.0, 1 << 20, lambda arn: "hunter2")
    assert SECRET in str(info.value) and "hunter2" not in str(info.value)


@pytest.mark.parametrize(("raw", "says"), [
    ("not json", "DESTINATIONS is not JSON"),
    ('{"type": "http"}', "must be a JSON list"),
    ('[{"type": "opensearch"}]', "OPENSEARCH_ENDPOINT"),
    ('[{"type": "syslog", "host": "h", "port": 99999}]', "DESTINATIONS[0].port"),
])
def test_bad_destinations_fail_the_cold_start(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse(raw)
    assert says in str(info.value)


def test_one_failing_destination_does_not_stop_the_others() -> None:
    evs = payloads.realistic_events(20)
    event = payloads.encode(payloads.payload(evs))
    s = Settings.from_env({"AWS_REGION": "eu-west-1", "DESTINATIONS": json.dumps(
        [{"type": "http", "url": "http://127.0.0.1:1/x"}])})
    with stub_server(lambda r: (400, {})) as (bad_url, _), \
            stub_server(lambda r: (200, {})) as (good_url, good):
        bad = HttpShipper("http:bad", bad_url, {}, 5.0, 1 << 20)
        ok = HttpShipper("http:good", good_url, {}, 5.0, 1 << 20)
        with pytest.raises(DeliveryError) as info:
            process(event, s, None, time.monotonic() + 30, None, [bad, ok])
    assert info.value.destinations == ("http:bad",)
    assert failed_destinations(str(info.value)) == ["http:bad"]
    # The good one got every document, with every event's id.
    got = [json.loads(line) for r in good for line in r.body.splitlines()]
    assert [d["event.id"] for d in got] == [e["id"] for e in evs]


def test_only_names_the_destinations_a_replay_sends_to() -> None:
    event = payloads.encode(payloads.payload(payloads.realistic_events(5)))
    s = Settings.from_env({"AWS_REGION": "eu-west-1", "DESTINATIONS": json.dumps(
        [{"type": "http", "url": "http://127.0.0.1:1/x"}])})
    with stub_server(lambda r: (200, {})) as (a_url, a_seen), \
            stub_server(lambda r: (200, {})) as (b_url, b_seen):
        a = HttpShipper("http:a", a_url, {}, 5.0, 1 << 20)
        b = HttpShipper("http:b", b_url, {}, 5.0, 1 << 20)
        summary = process(event, s, None, time.monotonic() + 30, None, [a, b], only=["http:b"])
    assert (len(a_seen), len(b_seen)) == (0, 1)
    assert list(summary.destinations) == ["http:b"]


