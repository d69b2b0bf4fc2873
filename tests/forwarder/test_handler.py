"""The invocation flow with a scripted engine: outcomes, failures, the log line, Lambda glue."""

from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from forwarder import handler
from forwarder.errors import DeliveryError
from forwarder.handler import lambda_handler, process
from forwarder.settings import Settings

from tests.forwarder.fakes import FakeClient, parse_body
from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events

SETTINGS = Settings(endpoint="http://127.0.0.1:9200", service="es", index_prefix="le",
                    region="eu-west-1", safety_margin_s=1.0)


def run(event: Any, client: FakeClient, seconds: float = 30.0) -> handler.Summary:
    return process(event, SETTINGS, client, time.monotonic() + seconds)


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_batch_stored_and_one_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    summary = run(encode(payload(realistic_events(500))), client)
    assert (summary.events_in, summary.stored, summary.undelivered) == (500, 500, 0)
    assert summary.outcome == "ok" and summary.requests == 1
    assert len(client.stored_in("le-2025")) == 500
    (line,) = log_lines(capsys)
    for key in ("events_in", "stored", "already_present", "errors_indexed", "retries",
                "bytes_sent", "ms"):
        assert key in line
    assert line["stored"] == 500 and line["region"] == "eu-west-1"
    assert line["log_group"] == "/aws/lambda/us-east-1.edge-auth"


@pytest.mark.parametrize(("concurrency", "requests"), [(1, 2), (2, 2), (4, 4)])
def test_a_batch_goes_out_in_one_part_per_request_in_flight(concurrency: int,
                                                            requests: int) -> None:
    # 10,000 events, ~6.3 MB of entries: sequentially 5 MB then the rest; else one part per
    # request allowed in flight, each sent as soon as it was built.
    client = FakeClient()
    settings = replace(SETTINGS, bulk_concurrency=concurrency)
    summary = process(encode(payload(realistic_events(10_000, seed=9))), settings, client,
                      time.monotonic() + 30)
    assert (summary.stored, summary.undelivered, summary.requests) == (10_000, 0, requests)
    assert len(client.stored_in("le-2025")) == 10_000  # each once: the fake refuses twins
    sent = [[meta["create"]["_id"] for meta, _ in parse_body(body)] for body in client.bodies]
    assert [len(ids) for ids in sent] == (
        [7978, 2022] if concurrency == 1 else [10_000 // concurrency] * concurrency)
    assert len({i for ids in sent for i in ids}) == 10_000


def test_the_forwarder_only_sends_bulk_requests() -> None:
    """Templates and the lifecycle policy are the domain setup's: the forwarder's role may
    only write documents, so its hot path is bulk requests and nothing else."""
    client = FakeClient()
    run(encode(payload(realistic_events(5))), client)
    run(encode(payload(realistic_events(5, seed=2))), client)
    assert [c[0] for c in client.calls] == ["bulk", "bulk"]


def test_same_payload_twice_stores_nothing_new() -> None:
    client = FakeClient()
    event = encode(payload(realistic_events(50)))
    run(event, client)
    again = run(event, client)
    assert (again.stored, again.already_present) == (0, 50)


def test_control_message_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    summary = run(encode({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs",
                          "logGroup": "", "logStream": "",
                          "logEvents": [{"id": "", "timestamp": 1,
                                         "message": "CWL CONTROL MESSAGE: Checking health"}]}),
                  client)
    assert summary.outcome == "control_message" and client.calls == []
    assert log_lines(capsys)[0]["outcome"] == "control_message"


def test_no_events_sends_nothing() -> None:
    client = FakeClient()
    summary = run(encode(payload([])), client)
    assert summary.outcome == "no_events" and client.calls == []


@pytest.mark.parametrize(("event", "reason"), [
    ({"awslogs": {"data": "%%%"}}, "not valid base64"),
    ({"awslogs": {"data": base64.b64encode(b"plain").decode()}}, "not gzip"),
    ({"awslogs": {"data": base64.b64encode(gzip.compress(bytes(range(256)) * 8)[:50]).decode()}},
     "truncated gzip"),
    (encode(b"not json"), "not JSON"),
    (encode({"messageType": "DATA_MESSAGE"}), "missing key"),
    ({"Records": []}, "no 'awslogs.data'"),
])
def test_undecodable_payload_is_kept_in_the_errors_index(event: Any, reason: str) -> None:
    client = FakeClient()
    summary = run(event, client)
    assert summary.outcome == "undecodable_kept" and reason in summary.reason
    assert summary.errors_indexed == 1
    (record,) = client.stored_in("le-errors-").values()
    assert record["error.type"] == "undecodable_payload" and reason in record["error.message"]
    kept = record.get("raw.data_base64") or json.loads(record["raw.event"])
    assert kept == (event["awslogs"]["data"] if "awslogs" in event else event)
    # Sent again (Lambda retry): the same record, nothing new.
    assert run(event, client).errors_indexed == 1 and len(client.store) == 1


def test_a_payload_nested_100000_levels_deep_is_kept_with_its_good_events(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two good events and one whose extra field nests 100,000 lists: about 300 bytes of gzip
    that made json.loads raise RecursionError out of process(), with "outcome":"ok" logged
    and nothing stored. Now the whole payload, good events included, is kept raw in the
    errors index (the undecodable path: nothing is lost, nothing is retried in vain)."""
    good = [{"id": f"3{i:055d}", "timestamp": BASE_MS, "message": f"good {i}"} for i in (1, 2)]
    text = json.dumps({"messageType": "DATA_MESSAGE", "owner": "123456789012",
                       "logGroup": "/aws/lambda/us-east-1.edge-auth", "logStream": "s",
                       "subscriptionFilters": ["f"], "logEvents": [
                           *good, {"id": "3" + "0" * 55, "timestamp": BASE_MS,
                                   "message": "x", "extra": None}]})
    text = text.replace('"extra": null', '"extra": ' + "[" * 100_000 + "]" * 100_000)
    data = base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()
    assert len(data) < 700  # a tiny payload: about 450 bytes of gzip
    client = FakeClient()
    summary = run({"awslogs": {"data": data}}, client)
    assert summary.outcome == "undecodable_kept"
    assert summary.reason == ("payload is JSON nested too deeply to decode (more levels than "
                              "Python's recursion limit)")
    (record,) = client.stored_in("le-errors-").values()
    assert record["error.type"] == "undecodable_payload"
    assert record["raw.data_base64"] == data  # the good events are in it, restorable
    (line,) = log_lines(capsys)
    assert (line["outcome"], line["errors_indexed"], line["undelivered"]) == (
        "undecodable_kept", 1, 0)


def test_an_unforeseen_error_is_logged_as_failed_not_ok(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("out of memory")

    monkeypatch.setattr(handler.documents, "build_parts", boom)
    with pytest.raises(MemoryError):
        run(encode(payload(realistic_events(3))), FakeClient())
    (line,) = log_lines(capsys)
    assert (line["outcome"], line["reason"], line["undelivered"]) == (
        "failed", "MemoryError: out of memory", 3)


def test_undecodable_payload_fails_if_it_cannot_be_kept() -> None:
    client = FakeClient(rule=lambda attempt, meta, src: 503)
    with pytest.raises(DeliveryError, match=r"not valid base64.*errors index") as info:
        run({"awslogs": {"data": "%%%"}}, client, seconds=3.0)
    assert info.value.undelivered == 1


def test_invalid_utf8_stores_events_and_keeps_the_original_bytes() -> None:
    text = json.dumps(payload([{"id": "1", "timestamp": 1_764_000_000_000,
                                "message": "caf@"}])).encode().replace(b"caf@", b"caf\xe9")
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(text)).decode()}}
    client = FakeClient()
    summary = run(event, client)
    assert summary.stored == 1 and summary.errors_indexed == 1
    (doc,) = client.stored_in("le-2025").values()
    assert doc["message"] == "caf\ufffd"
    (record,) = client.stored_in("le-errors-").values()
    assert record["error.type"] == "invalid_utf8"
    assert gzip.decompress(base64.b64decode(record["raw.data_base64"])) == text


def test_rejected_documents_go_to_the_errors_index() -> None:
    client = FakeClient(rule=lambda attempt, meta, src: (
        400 if meta["_index"].startswith("le-2") and src.get("message") == "bad" else 201))
    events = [{"id": "1", "timestamp": 1_764_000_000_000, "message": "good"},
              {"id": "2", "timestamp": 1_764_000_000_000, "message": "bad"}]
    summary = run(encode(payload(events)), client)
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (1, 1, 0)
    (record,) = client.stored_in("le-errors-2025.11.24").values()
    assert record["error.type"] == "rejected_document"
    assert "mapper_parsing_exception" in record["error.message"]
    assert json.loads(record["raw.event"]) == events[1]


def test_json_with_duplicate_keys_is_rebuilt_and_stored() -> None:
    client = FakeClient()  # refuses duplicate keys, like the engine
    events = [{"id": "1", "timestamp": 1_764_000_000_000,
               "message": '2025-11-24T16:00:00.000Z\tr\tINFO\t{"a": 1, "a": 2}\n'},
              {"id": "2", "timestamp": 1_764_000_000_000, "message": '{"k": 1}'}]
    summary = run(encode(payload(events)), client)
    assert (summary.stored, summary.errors_indexed, summary.undelivered) == (2, 0, 0)
    # CloudWatch's id is the _id's second half (no event.id copy in the document).
    docs = {key[1].split("-")[1]: src for key, src in client.stored_in("le-2025").items()}
    assert docs["1"]["json"] == {"a": 2} and docs["1"]["message"] == events[0]["message"]
    assert summary.requests == 2  # the first bulk, then the one rebuilt document


def test_events_that_are_not_objects_go_to_the_errors_index() -> None:
    client = FakeClient()
    summary = run(encode(payload([{"id": "1", "timestamp": 1, "message": "ok"}, [1, 2]])),
                  client)
    assert (summary.stored, summary.errors_indexed) == (1, 1)
    (record,) = client.stored_in("le-errors-").values()
    assert record["error.type"] == "bad_log_event" and record["raw.event"] == "[1, 2]"


MIDNIGHT_MS = 1_764_028_800_000  # 2025-11-25T00:00:00Z
NO_STREAM_DAY = "edge-errors-stream"  # a stream name without YYYY/MM/DD


def _utf8_event() -> dict[str, Any]:
    text = json.dumps(payload([{"id": "1", "timestamp": 1_764_000_000_000,
                                "message": "caf@"}])).encode().replace(b"caf@", b"caf\xe9")
    return {"awslogs": {"data": base64.b64encode(gzip.compress(text)).decode()}}


BAD_INPUTS = {
    "rejected_document": (encode(payload([{"id": "2", "timestamp": 1_764_000_000_000,
                                           "message": "bad"}])), "le-errors-2025.11.24"),
    "rejected_document_other_stream": (
        encode(payload([{"id": "2", "timestamp": 1_764_000_000_000, "message": "bad"}],
                       stream=NO_STREAM_DAY)), "le-errors-2025.11.24"),
    "bad_log_event": (encode(payload([[1, 2]])), "le-errors-2025.11.24"),
    "bad_log_event_other_stream": (
        encode(payload([{"id": "1", "timestamp": 1_764_000_000_000, "message": "ok"}, [1, 2]],
                       stream=NO_STREAM_DAY)), "le-errors-2025.11.24"),
    "invalid_utf8": (_utf8_event(), "le-errors-2025.11.24"),
    "undecodable_payload": ({"awslogs": {"data": "%%%"}}, "le-errors-undated"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_a_retry_after_midnight_writes_no_second_errors_record(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    event, index = BAD_INPUTS[kind]
    client = FakeClient(rule=lambda attempt, meta, src: (
        400 if meta["_index"].startswith("le-2") and src.get("message") == "bad" else 201))
    # The first attempt just before midnight, Lambda's retry just after it.
    for now_ms in (MIDNIGHT_MS - 100, MIDNIGHT_MS + 1000):
        monkeypatch.setattr(handler, "_now_ms", lambda now_ms=now_ms: now_ms)
        summary = run(event, client)
        assert summary.errors_indexed == 1
    (key,) = client.stored_in("le-errors-")
    assert key[0] == index


def test_undelivered_raises_with_count_and_reason(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient(rule=lambda attempt, meta, src: 429 if meta["_id"].split("-")[1] < "5"
                        else 201)
    events = [{"id": str(i), "timestamp": 1_764_000_000_000, "message": "m"} for i in range(10)]
    with pytest.raises(DeliveryError) as info:
        run(encode(payload(events)), client, seconds=3.0)
    assert info.value.undelivered == 5
    assert str(info.value).startswith("5 event(s) not stored: 429 es_rejected_execution")
    assert "of 10 events" in str(info.value)
    line = log_lines(capsys)[-1]
    assert line["outcome"] == "failed" and line["undelivered"] == 5 and line["stored"] == 5


class Context:
    aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:fwd"

    def __init__(self, ms: int = 30_000) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def test_lambda_handler_builds_client_once(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "https://search-x.eu-west-1.es.amazonaws.com")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("INDEX_PREFIX", "le")
    made: list[Settings] = []
    client = FakeClient()

    def make_client(settings: Settings, credentials: Any = None) -> FakeClient:
        made.append(settings)
        return client

    monkeypatch.setattr(handler, "make_client", make_client)
    first = lambda_handler(encode(payload(realistic_events(5))), Context())
    second = lambda_handler(encode(payload(realistic_events(5, base_ms=BASE_MS + 60_000))),
                            Context())
    assert len(made) == 1 and made[0].region == "eu-west-1"
    assert first["stored"] == 5 and second["stored"] == 5
    assert log_lines(capsys)[0]["aws_request_id"] == "req-1"


def test_lambda_handler_respects_the_remaining_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "http://127.0.0.1:9200")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    client = FakeClient(rule=lambda attempt, meta, src: 429)
    monkeypatch.setattr(handler, "make_client", lambda settings, credentials=None: client)
    started = time.monotonic()
    with pytest.raises(DeliveryError):
        lambda_handler(encode(payload(realistic_events(3))), Context(ms=4_500))
    # 4.5 s left minus the 3 s default margin: it must stop well before the deadline.
    assert time.monotonic() - started < 4.5 - 1.0


def test_settings_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENSEARCH_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(ValueError, match="OPENSEARCH_ENDPOINT"):
        lambda_handler(encode(payload([])), Context())
