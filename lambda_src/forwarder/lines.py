"""Recognise what a Lambda log line is and pull out its searchable facts.

The hot path, ``fields(message)``, returns the extra document members already serialised
as JSON text (``',"log.level":"INFO",...'``, or ``""`` for a plain line) plus any tags, so
building a document allocates no per-event dict for the common text lines. ``parse`` is
the same result as a dict, for tests and tools. Dispatch is on the first character, every
pattern is compiled once, every string that comes from the line goes through the C JSON
string encoder, and numbers are only taken in valid-JSON form.

Formats understood:
- platform text lines: ``START``, ``END``, ``REPORT`` (numbers incl. ``Init Duration``),
  ``XRAY``, ``INIT_START``, and the timeout notice ``<ts> <requestId> Task timed out after
  N seconds`` (level ERROR, line type ``timeout``);
- lines only a failure writes, which name no request: ``[ERROR] <message>`` (Python's
  unhandled error, a traceback below it), ``Traceback (most recent call last):`` and
  Node.js's ``ERROR\tInvoke Error\t...`` as events of their own (level ERROR; the request
  is the stream's current invocation, which ``documents.build`` adds);
- the text format of function output: ``<ts>\\t<requestId>\\t<LEVEL>\\t<message>`` (Node.js
  and others) and ``[LEVEL]\\t<ts>\\t<requestId>\\t<message>`` (Python);
- Lambda's JSON log format, for function lines (``level``, ``requestId``) and platform
  records (``platform.start`` / ``platform.report`` ...): the shapes of
  https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html and
  the record fields of https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
  (tests/forwarder/json_format.py holds realistic lines);
- any message (or the message part of a text line) that is a JSON object is kept in the
  ``json`` field (mapped ``flat_object``, so it cannot cause a mapping conflict).
"""

from __future__ import annotations

import json
import re
from typing import Any

# flat_object indexes "path=value" as one keyword term and Lucene rejects terms over 32766
# UTF-8 bytes. A JSON text of at most 8000 characters (<= 32000 bytes) cannot produce such
# a term; longer JSON texts get their long strings shortened in the ``json`` copy (the
# full text stays in ``message``).
JSON_SAFE_CHARS = 8000
JSON_MAX_STRING = 2048
JSON_MAX_KEY = 256
JSON_MAX_DEPTH = 20
TRUNCATED_TAG = "json_truncated"
UNENCODABLE_TAG = "json_unencodable"

_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL")
# Level -> the members it starts, ready: one lookup both checks the level and writes it.
_LEVEL_TEXT = {level: f',"aws.lambda.line_type":"function","log.level":"{level}"'
               for level in _LEVELS}

_START = re.compile(r"START RequestId: (\S+)(?: Version: (\S+))?")
_END = re.compile(r"END RequestId: (\S+)")
_REPORT = re.compile(
    r"REPORT RequestId: (\S+)\s+Duration: ((?:0|[1-9]\d{0,11})(?:\.\d{1,6})?) ms\s+"
    r"Billed Duration: (0|[1-9]\d{0,11}) ms\s+Memory Size: (0|[1-9]\d{0,8}) MB\s+"
    r"Max Memory Used: (0|[1-9]\d{0,8}) MB"
    r"(?:\s+Init Duration: ((?:0|[1-9]\d{0,11})(?:\.\d{1,6})?) ms)?"
)
_XRAY = re.compile(r"XRAY TraceId: (\S+)\s+SegmentId: (\S+)(?:\s+Sampled: (\w+))?")
_INIT_START = re.compile(r"INIT_START Runtime Version: (\S+)")
# <ISO timestamp>\t<request id>\t<LEVEL>\t<message>   (Node.js, Java, .NET ...)
# Only the groups used are captured; the message part starts at m.end().
_TAB_TS_FIRST = re.compile(r"\d{4}-\d\d-\d\dT[^\t]*\t([^\t]*)\t([A-Z]+)\t")
# [LEVEL]\t<ISO timestamp>\t<request id>\t<message>   (Python)
_TAB_LEVEL_FIRST = re.compile(r"\[([A-Z]+)\]\t[^\t]*\t([^\t]*)\t")
# [LEVEL] <message>: the Python runtime's line for an unhandled error
# ("[ERROR] KeyError: 'uri'\nTraceback (most recent call last): ..."), which names no request.
_LEVEL_SPACE_FIRST = re.compile(r"\[([A-Z]+)\] ")
# The runtime's notice when an invocation runs out of time (its own line, space-separated):
# "2024-01-01T00:00:00.000Z 6f1c... Task timed out after 30.00 seconds".
_TIMEOUT = re.compile(r"\d{4}-\d\d-\d\dT\S* (\S+) Task timed out after \d+(?:\.\d+)? seconds")
TIMEOUT_TEXT = ',"aws.lambda.line_type":"timeout","log.level":"ERROR"'
# Lines that only ever come from a failing invocation, and name no request: a Python
# traceback written as its own event, the Node.js runtime's "ERROR\tInvoke Error\t{...}".
_ERROR_STARTS = ("Traceback (most recent call last):", "ERROR\tInvoke Error",
                 "ERROR\tUncaught Exception")



def _no_constants(name: str) -> Any:
    # json.loads accepts NaN/Infinity, which json.dumps would write back as invalid JSON.
    raise ValueError(f"{name} is not JSON")


# One decoder, built once: still the C scanner, but NaN/Infinity count as "not JSON".
# Its scan_once is called directly to skip decode()'s Python-level whitespace handling.
_scan_once = json.JSONDecoder(parse_constant=_no_constants).scan_once
# Quote + escape a str as an ASCII JSON string (C); and encode any JSON value compactly.
_esc = json.encoder.encode_basestring_ascii


def _make_encoder() -> Any:
    """json.dumps minus its per-call Python overhead: the C encoder, built once.

    Same output as ``json.dumps(obj, separators=(",", ":"), allow_nan=False)``; falls back
    to exactly that where the C accelerator is missing.
    """
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    encoder = c_make_encoder(None, None, _esc, None, ":", ",", False, False, False)
    return lambda obj: "".join(encoder(obj, 0))


encode = _make_encoder()
_encode = encode


Fields = tuple[str, list[str] | None]
_PLAIN: Fields = ("", None)
# A START line's version comes first so documents.build can see it with one startswith.
VERSION_MEMBER = ',"faas.version":'


def parse(message: str) -> dict[str, Any] | None:
    """The fields ``message`` yields as a dict, or None for a plain line."""
    text, tags = fields(message)
    if not text and not tags:
        return None
    out: dict[str, Any] = json.loads("{" + text[1:] + "}") if text else {}
    if tags:
        out["tags"] = tags
    return out


def fields(message: str, verbatim: bool = True) -> Fields:
    """(JSON members to append to the document, tags) for one message.

    ``verbatim``: a JSON object in the message is copied as written (after the scanner has
    checked it is exactly one valid object, plain ASCII, on one line) instead of being
    re-encoded. The engine is stricter than Python on one point, duplicate keys; the
    handler rebuilds such a rejected document with ``verbatim=False`` (the parsed object,
    last key wins) and sends it again.
    """
    if not message:
        return _PLAIN
    first = message[0]
    # Most frequent first; plain comparisons, no method calls, until a pattern is tried.
    if first == "S":
        m = _START.match(message)  # anchored: fails on the first differing character
        if m:
            text = ',"aws.lambda.line_type":"start","aws.lambda.request_id":' + _esc(m[1])
            return (VERSION_MEMBER + _esc(m[2]) + text if m[2] else text), None
    elif first == "E":
        m = _END.match(message)  # anchored: fails on the first differing character
        if m:
            return ',"aws.lambda.line_type":"end","aws.lambda.request_id":' + _esc(m[1]), None
        if message.startswith(_ERROR_STARTS):
            return _LEVEL_TEXT["ERROR"], None
    elif first == "T":
        if message.startswith(_ERROR_STARTS):
            return _LEVEL_TEXT["ERROR"], None
    elif first == "R":
        m = _REPORT.match(message)  # anchored: fails on the first differing character
        if m:
            text = (f',"aws.lambda.line_type":"report","aws.lambda.request_id":{_esc(m[1])}'
                    f',"aws.lambda.duration_ms":{m[2]},"aws.lambda.billed_duration_ms":{m[3]}'
                    f',"aws.lambda.memory_size_mb":{m[4]}'
                    f',"aws.lambda.max_memory_used_mb":{m[5]}')
            if m[6]:
                text += ',"aws.lambda.init_duration_ms":' + m[6]
            return text, None
    elif first == "X":
        m = _XRAY.match(message)  # anchored: fails on the first differing character
        if m:
            text = (',"aws.lambda.line_type":"xray","trace.id":' + _esc(m[1])
                    + ',"aws.xray.segment_id":' + _esc(m[2]))
            if m[3]:
                text += ',"aws.xray.sampled":' + ("true" if m[3].lower() == "true" else "false")
            return text, None
    elif "0" <= first <= "9":
        m = _TAB_TS_FIRST.match(message)
        if m is None:
            m = _TIMEOUT.match(message)
            if m:
                return TIMEOUT_TEXT + ',"aws.lambda.request_id":' + _esc(m[1]), None
        return _tab_line(message, m, 2, 1, verbatim)
    elif first == "{":
        return _json_line(message, verbatim)
    elif first == "[":
        m = _TAB_LEVEL_FIRST.match(message)
        if m is None:
            m = _LEVEL_SPACE_FIRST.match(message)
            text = _LEVEL_TEXT.get(m[1]) if m else None
            return (text, None) if text else _PLAIN
        return _tab_line(message, m, 1, 2, verbatim)
    elif first == "I":
        m = _INIT_START.match(message)  # anchored: fails on the first differing character
        if m:
            return (',"aws.lambda.line_type":"init_start","aws.lambda.runtime_version":'
                    + _esc(m[1])), None
    return _PLAIN


def _tab_line(message: str, m: re.Match[str] | None, level_group: int,
              request_group: int, verbatim: bool) -> Fields:
    if m is None:
        return _PLAIN
    text = _LEVEL_TEXT.get(m[level_group])
    if text is None:
        return _PLAIN
    request_id = m[request_group]
    if request_id and request_id != "undefined":
        text += ',"aws.lambda.request_id":' + _esc(request_id)
    start = m.end()
    if message.startswith("{", start):
        try:  # parsed in place: no copy of the rest of the message
            obj, end = _scan_once(message, start)
        except (StopIteration, ValueError, RecursionError):
            return text, None
        if type(obj) is dict and (end == len(message) or message[end:].isspace()):
            json_text, tags = _json_member(obj, message, start, end, verbatim)
            return text + json_text, tags
    return text, None


def _json_line(message: str, verbatim: bool) -> Fields:
    found = _json_object(message)
    if found is None:
        return _PLAIN
    obj, end = found
    out: dict[str, Any] = {}
    record_type = obj.get("type")
    if isinstance(record_type, str) and record_type.startswith("platform.") and "time" in obj:
        # Lambda's JSON log format, platform record.
        record = obj.get("record")
        if isinstance(record, dict):
            version = record.get("version")
            if record_type == "platform.start" and isinstance(version, str):
                out["faas.version"] = version[:256]  # first: see VERSION_MEMBER
            _platform_record(out, record_type, record)
        out["aws.lambda.line_type"] = record_type[:64]
    else:
        level = obj.get("level")
        if isinstance(level, str) and level:
            out["log.level"] = level.upper()[:64]
        request_id = obj.get("requestId")
        if isinstance(request_id, str) and request_id:
            out["aws.lambda.request_id"] = request_id[:256]
        if "timestamp" in obj and "level" in obj:
            out["aws.lambda.line_type"] = "function"
    json_text, tags = _json_member(obj, message, 0, end, verbatim)
    return ("," + _encode(out)[1:-1] if out else "") + json_text, tags


def _platform_record(out: dict[str, Any], record_type: str, record: dict[str, Any]) -> None:
    request_id = record.get("requestId")
    if isinstance(request_id, str):
        out["aws.lambda.request_id"] = request_id[:256]
    metrics = record.get("metrics")
    if record_type == "platform.report" and isinstance(metrics, dict):
        for key, field in (
            ("durationMs", "aws.lambda.duration_ms"),
            ("billedDurationMs", "aws.lambda.billed_duration_ms"),
            ("memorySizeMB", "aws.lambda.memory_size_mb"),
            ("maxMemoryUsedMB", "aws.lambda.max_memory_used_mb"),
            ("initDurationMs", "aws.lambda.init_duration_ms"),
        ):
            value = metrics.get(key)
            # bool is an int subclass; a JSON true is not a duration. inf is not JSON.
            if isinstance(value, int | float) and not isinstance(value, bool) \
                    and abs(value) < 1e15:
                out[field] = value


def _json_object(text: str) -> tuple[dict[str, Any], int] | None:
    """(the JSON object ``text`` holds, where it ends) (trailing whitespace allowed)."""
    try:
        obj, end = _scan_once(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    if type(obj) is not dict:
        return None
    if end != len(text) and not text[end:].isspace():
        return None  # '{"a":1} trailing words' is text that starts with JSON, not JSON
    return obj, end


def _json_member(obj: dict[str, Any], text: str, start: int, end: int,
                 verbatim: bool) -> Fields:
    """',"json":{...}' for the JSON object ``text[start:end]`` (parsed: ``obj``): as written
    when allowed and safe, else re-encoded; shortened if it could make a term too long for
    Lucene; nothing (and a tag) if it cannot be written as JSON at all."""
    tags = None
    if end - start > JSON_SAFE_CHARS:
        obj = _shorten(obj, 0)
        tags = [TRUNCATED_TAG]
    elif verbatim:
        raw = text[start:end]
        # ASCII keeps len() == bytes for the chunking; no raw newline keeps NDJSON intact.
        if raw.isascii() and "\n" not in raw:
            return ',"json":' + raw, None
    try:
        return ',"json":' + _encode(obj), tags
    except (ValueError, RecursionError):
        # 1e999 parses to inf, which JSON cannot carry: keep the text, drop the copy.
        return "", (tags or []) + [UNENCODABLE_TAG]


def _shorten(value: Any, depth: int) -> Any:
    """A copy of ``value`` small enough that no flat_object term can exceed Lucene's limit."""
    if isinstance(value, str):
        return value if len(value) <= JSON_MAX_STRING else value[:JSON_MAX_STRING]
    # Keys and depth are bounded too: a term is "key.key...=value", all from this message.
    if depth >= JSON_MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {k[:JSON_MAX_KEY]: _shorten(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, depth + 1) for v in value]
    return value
