"""Every way a subscription payload can be unreadable, and what the decoder says."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from forwarder import decode
from forwarder.decode import decode_data, decode_event
from forwarder.errors import DecodeError

from tests.forwarder.payloads import encode, payload


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_data_message() -> None:
    events = [{"id": "1", "timestamp": 5, "message": "hi"}]
    p = decode_event(encode(payload(events)))
    assert (p.message_type, p.owner, p.log_group) == (
        "DATA_MESSAGE", "123456789012", "/aws/lambda/us-east-1.edge-auth")
    assert p.events == events and p.utf8_error is None


def test_control_message() -> None:
    p = decode_event(encode({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs",
                             "logGroup": "", "logStream": "", "logEvents": []}))
    assert p.message_type == "CONTROL_MESSAGE" and p.events == []


def test_no_events_is_a_valid_payload() -> None:
    assert decode_event(encode(payload([]))).events == []


@pytest.mark.parametrize(("event", "says"), [
    ("just a string", "not an object with 'awslogs'"),
    ({}, "no 'awslogs.data'"),
    ({"awslogs": {}}, "no 'awslogs.data'"),
    ({"awslogs": {"data": 42}}, "not a base64 string"),
])
def test_not_a_cloudwatch_event(event: object, says: str) -> None:
    with pytest.raises(DecodeError, match=says):
        decode_event(event)


def test_not_base64() -> None:
    with pytest.raises(DecodeError, match="not valid base64"):
        decode_data("this is *not* base64!")


def test_base64_with_non_ascii_characters() -> None:
    with pytest.raises(DecodeError, match="not valid base64"):
        decode_data("H4sI\u00e9AAA")


def test_not_gzip() -> None:
    with pytest.raises(DecodeError, match=r"not gzip .*starts with 7b22"):
        decode_data(b64(b'{"messageType": "DATA_MESSAGE"}'))


def test_empty_data() -> None:
    with pytest.raises(DecodeError, match="not gzip"):
        decode_data("")


def test_truncated_gzip() -> None:
    raw = gzip.compress(json.dumps(payload([{"id": "1", "timestamp": 1,
                                             "message": "x" * 5000}])).encode())
    with pytest.raises(DecodeError, match="truncated gzip"):
        decode_data(b64(raw[: len(raw) // 2]))


def test_corrupt_gzip() -> None:
    raw = bytearray(gzip.compress(b'{"a": 1}' * 100))
    raw[12:20] = b"\xff" * 8
    with pytest.raises(DecodeError, match="corrupt gzip"):
        decode_data(b64(bytes(raw)))


def test_two_gzip_members_are_one_payload() -> None:
    text = json.dumps(payload([{"id": "1", "timestamp": 1, "message": "m"}])).encode()
    raw = gzip.compress(text[:20]) + gzip.compress(text[20:])
    assert decode_data(b64(raw)).events[0]["message"] == "m"


def test_trailing_garbage_after_gzip() -> None:
    raw = gzip.compress(json.dumps(payload([])).encode()) + b"garbage"
    with pytest.raises(DecodeError, match="trailing bytes"):
        decode_data(b64(raw))


def test_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "MAX_DECOMPRESSED_BYTES", 1000)
    with pytest.raises(DecodeError, match="more than 1000 bytes"):
        decode_data(b64(gzip.compress(b" " * 5000)))


def test_not_json() -> None:
    with pytest.raises(DecodeError, match="not JSON"):
        decode_data(b64(gzip.compress(b"messageType=DATA_MESSAGE")))


def test_json_but_not_an_object() -> None:
    with pytest.raises(DecodeError, match="JSON list, not an object"):
        decode_data(b64(gzip.compress(b"[1, 2]")))


def test_unknown_message_type() -> None:
    with pytest.raises(DecodeError, match="messageType is 'OTHER'"):
        decode_event(encode({**payload([]), "messageType": "OTHER"}))


def test_missing_keys_are_all_named() -> None:
    doc = payload([])
    del doc["owner"], doc["logEvents"]
    with pytest.raises(DecodeError, match=r"missing key\(s\): owner, logEvents"):
        decode_event(encode(doc))


@pytest.mark.parametrize(("key", "value", "says"), [
    ("owner", 123456789012, "'owner' is not a non-empty string"),
    ("logGroup", "", "'logGroup' is not a non-empty string"),
    ("logEvents", {"id": "1"}, "'logEvents' is not a list"),
])
def test_wrong_types(key: str, value: object, says: str) -> None:
    with pytest.raises(DecodeError, match=says):
        decode_event(encode({**payload([]), key: value}))


def test_invalid_utf8_is_decoded_with_replacement_and_reported() -> None:
    text = json.dumps(payload([{"id": "1", "timestamp": 1, "message": "caf@"}])).encode()
    raw = text.replace(b"caf@", b"caf\xe9")  # latin-1 e-acute: not UTF-8
    p = decode_data(b64(gzip.compress(raw)))
    assert p.events[0]["message"] == "caf\ufffd"
    assert p.utf8_error is not None and "not valid UTF-8" in p.utf8_error


def test_the_decompression_cap_is_the_largest_possible_delivery() -> None:
    """6 bytes per message byte of a full PutLogEvents batch (1,048,576 bytes), 160 per event
    of 10,000, and 64 KiB of header: 6,291,456 + 1,600,000 + 65,536 = 7,956,992 bytes."""
    assert decode.MAX_DECOMPRESSED_BYTES == 7_956_992
