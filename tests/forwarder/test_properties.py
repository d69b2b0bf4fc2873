"""Property tests: no message content, event shape or payload bytes can crash the forwarder's
CPU path, and whatever it builds is a valid bulk entry the engine can parse."""

from __future__ import annotations

import base64
import json
from typing import Any

from forwarder import documents, lines
from forwarder.decode import Payload, decode_data
from forwarder.errors import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.forwarder.test_documents import split

# Every code point, lone surrogates included (they arrive as \ud800 escapes in JSON).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)
prefixes = st.sampled_from([
    "", "START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "XRAY TraceId: ",
    "INIT_START Runtime Version: ", "2024-05-01T12:00:00.000Z\t", "[INFO]\t", "{",
    "2024-05-01T12:00:00.000Z\tr-1\tINFO\t", "[ERROR]\t2024-05-01T12:00:00.000Z\tr-1\t",
    "REPORT RequestId: r\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 7 MB\tInit Duration: ",
])
messages = st.one_of(
    any_text,
    st.builds(lambda p, t: p + t, prefixes, any_text),
    st.builds(lambda p, v: p + json.dumps(v), prefixes, json_values),
    st.builds(lambda v: json.dumps({"timestamp": "t", "level": "info", "message": v}),
              json_values),
    st.builds(lambda r: json.dumps({"time": "t", "type": "platform.report", "record": r}),
              json_values),
)
odd = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                any_text, st.lists(st.integers(), max_size=2))
events = st.one_of(
    st.fixed_dictionaries({"id": st.text(st.characters(codec=None, exclude_categories=()),
                                         min_size=0, max_size=60) | odd,
                           "timestamp": st.integers(-10, 2**64) | odd,
                           "message": messages | odd}),
    st.fixed_dictionaries({}, optional={"id": odd, "timestamp": odd, "message": messages}),
    odd,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_any_message_gives_valid_fields(message: str) -> None:
    text, tags = lines.fields(message)
    assert text.isascii()
    fields = json.loads("{" + text[1:] + "}") if text else {}
    assert "tags" not in fields and (tags is None or all(isinstance(t, str) for t in tags))
    if text:
        assert text.startswith(",")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=8), any_text, any_text)
def test_any_events_build_valid_bulk_entries(evs: list[Any], group: str, stream: str) -> None:
    batch = documents.build(Payload("DATA_MESSAGE", "123456789012", group or "g",
                                    stream or "s", evs), "eu-west-1", "p", 1_764_000_000_000)
    assert len(batch.lines) + len(batch.bad_events) == len(evs)
    assert len(batch.events) == len(batch.lines)
    for line, index, event in zip(batch.lines, batch.indices, batch.events, strict=True):
        action, source = split(line)  # strict JSON, ASCII, no duplicate keys
        meta = action["create"]
        assert index.startswith("p-") and list(meta) == ["_id"] and 0 < len(meta["_id"]) < 512
        assert isinstance(source["message"], str) and "@timestamp" in source
        if isinstance(event.get("message"), str):
            assert source["message"] == event["message"]
        if "json" in source:
            assert isinstance(source["json"], dict)
    for event, _why in batch.bad_events:
        _, line, _ = documents.bad_event_doc(event, _why, "p", Payload(
            "DATA_MESSAGE", "1", "g", "s", []), "eu-west-1", 0)
        split(line)


@settings(max_examples=300)
@given(st.binary(max_size=200) | any_text)
def test_any_payload_bytes_decode_or_say_why(data: bytes | str) -> None:
    raw = base64.b64encode(data if isinstance(data, bytes)
                           else data.encode("utf-8", "surrogatepass")).decode()
    for candidate in (raw, data):
        try:
            decode_data(candidate)
        except DecodeError as exc:
            assert exc.reason
