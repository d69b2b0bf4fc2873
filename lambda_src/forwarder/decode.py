"""Turn a CloudWatch Logs subscription event into its payload: base64 -> gzip -> JSON.

Every way this can fail raises ``DecodeError`` with a sentence that names what is wrong;
the handler then keeps the undecodable payload in the errors index (nothing is lost).
"""

from __future__ import annotations

import binascii
import json
import zlib
from dataclasses import dataclass
from typing import Any

from forwarder.errors import DecodeError

# The log events of one delivery were written by PutLogEvents, whose batch is at most
# 1,048,576 bytes (each message's UTF-8 bytes plus 26 per event) and 10,000 events
# (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
# In the delivered JSON a message byte takes at most 6 bytes (a control character is written
# \u00XX) and each event adds its envelope ({"id": 56 digits, "timestamp", "message"}: under
# 160 bytes), plus the header (owner, group, stream, filters: a few KiB). Anything larger is
# not a CloudWatch Logs delivery (or is a decompression bomb) and must not exhaust a 256 MB
# function's memory: about 7.5 MiB, where 64 MiB let a valid-looking payload peak at 237 MiB.
PUT_LOG_EVENTS_MAX_BYTES = 1_048_576
PUT_LOG_EVENTS_MAX_EVENTS = 10_000
MAX_DECOMPRESSED_BYTES = 6 * PUT_LOG_EVENTS_MAX_BYTES + 160 * PUT_LOG_EVENTS_MAX_EVENTS + 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_TOO_DEEP = ("payload is JSON nested too deeply to decode (more levels than Python's recursion "
             "limit)")
_DATA_KEYS = ("owner", "logGroup", "logStream", "logEvents")


@dataclass(frozen=True, slots=True)
class Payload:
    message_type: str  # DATA_MESSAGE or CONTROL_MESSAGE
    owner: str  # the AWS account id the logs belong to
    log_group: str
    log_stream: str
    events: list[Any]  # each normally {"id": str, "timestamp": int, "message": str}
    # Set when the JSON was not valid UTF-8: bad bytes became U+FFFD, and the handler also
    # keeps the original bytes in the errors index so nothing is silently altered.
    utf8_error: str | None = None


def raw_data(event: Any) -> Any:
    """The ``awslogs.data`` value of a Lambda event, or raise naming what is missing."""
    if not isinstance(event, dict):
        raise DecodeError(f"event is a {type(event).__name__}, not an object with 'awslogs'")
    awslogs = event.get("awslogs")
    if not isinstance(awslogs, dict) or "data" not in awslogs:
        raise DecodeError("event has no 'awslogs.data' key (not a CloudWatch Logs event)")
    data = awslogs["data"]
    if not isinstance(data, str | bytes):
        raise DecodeError(f"'awslogs.data' is a {type(data).__name__}, not a base64 string")
    return data


def decode_event(event: Any) -> Payload:
    return decode_data(raw_data(event))


def decode_data(data: str | bytes) -> Payload:
    try:
        # strict_mode: the C-level equivalent of b64decode(validate=True), which would run
        # a Python regex over the whole payload first.
        compressed = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"awslogs.data is not valid base64 ({exc})") from None

    raw = gunzip(compressed)

    utf8_error = None
    try:
        # json.loads on bytes decodes UTF-8 strictly, in C: the fast path.
        doc = json.loads(raw)
    except UnicodeDecodeError as exc:
        utf8_error = f"payload is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        try:
            doc = json.loads(raw.decode("utf-8", "replace"))
        except ValueError as exc2:
            raise DecodeError(f"payload is not JSON ({exc2})") from None
        except RecursionError:
            raise DecodeError(_TOO_DEEP) from None
    except ValueError as exc:
        raise DecodeError(f"payload is not JSON ({exc})") from None
    except RecursionError:
        # json.loads recurses once per nesting level: a few hundred bytes of gzip can nest
        # 100,000 levels. Undecodable, like any other broken payload (kept raw, not retried).
        raise DecodeError(_TOO_DEEP) from None

    if not isinstance(doc, dict):
        raise DecodeError(f"payload is a JSON {type(doc).__name__}, not an object")
    message_type = doc.get("messageType")
    if message_type == "CONTROL_MESSAGE":
        return Payload("CONTROL_MESSAGE", str(doc.get("owner", "")), "", "", [], utf8_error)
    if message_type != "DATA_MESSAGE":
        raise DecodeError(
            f"payload messageType is {message_type!r}, expected DATA_MESSAGE or CONTROL_MESSAGE"
        )
    missing = [key for key in _DATA_KEYS if key not in doc]
    if missing:
        raise DecodeError(f"payload is missing key(s): {', '.join(missing)}")
    for key in ("owner", "logGroup", "logStream"):
        if not isinstance(doc[key], str) or not doc[key]:
            raise DecodeError(f"payload key {key!r} is not a non-empty string")
    if not isinstance(doc["logEvents"], list):
        raise DecodeError("payload key 'logEvents' is not a list")
    return Payload(
        "DATA_MESSAGE", doc["owner"], doc["logGroup"], doc["logStream"], doc["logEvents"],
        utf8_error,
    )


def gunzip(compressed: bytes) -> bytes:
    """Decompress a gzip stream, telling 'not gzip' from 'truncated' from 'corrupt'."""
    if not compressed.startswith(_GZIP_MAGIC):
        raise DecodeError(
            f"awslogs.data is not gzip (starts with {compressed[:4].hex() or 'nothing'}, "
            "expected 1f8b)"
        )
    out: list[bytes] = []
    total = 0
    rest = compressed
    # A gzip file may hold several members; CloudWatch sends one, but accept more.
    while rest:
        d = zlib.decompressobj(wbits=31)
        try:
            chunk = d.decompress(rest, MAX_DECOMPRESSED_BYTES - total + 1)
        except zlib.error as exc:
            raise DecodeError(f"awslogs.data is corrupt gzip ({exc})") from None
        total += len(chunk)
        if total > MAX_DECOMPRESSED_BYTES:
            raise DecodeError(
                f"awslogs.data decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"
            )
        out.append(chunk)
        if not d.eof:
            raise DecodeError(
                f"awslogs.data is truncated gzip ({len(compressed)} bytes end before the "
                "end-of-stream marker)"
            )
        rest = d.unused_data
        if rest and not rest.startswith(_GZIP_MAGIC):
            if rest.strip(b"\0"):  # trailing zero padding is harmless
                raise DecodeError("awslogs.data has trailing bytes after the gzip stream")
            break
    return out[0] if len(out) == 1 else b"".join(out)
