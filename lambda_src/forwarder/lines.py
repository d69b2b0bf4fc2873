"""Recognise what a Lambda log line is and pull out its searchable facts.

``parse(message)`` returns a dict of document fields (dotted ECS-style names) or None for a
plain line. It dispatches on the first character so a plain line costs one dict lookup,
and every pattern is compiled once at import.

Formats understood:
- platform text lines: ``START``, ``END``, ``REPORT`` (numbers incl. ``Init Duration``),
  ``XRAY``, ``INIT_START``;
- the text format of function output: ``<ts>\\t<requestId>\\t<LEVEL>\\t<message>`` (Node.js
  and others) and ``[LEVEL]\\t<ts>\\t<requestId>\\t<message>`` (Python);
- Lambda's JSON log format, for function lines (``level``, ``requestId``) and platform
  records (``platform.start`` / ``platform.report`` ...);
- any message (or the message part of a text line) that is a JSON object is kept in the
  ``json`` field (mapped ``flat_object``, so it cannot cause a mapping conflict).
"""

from __future__ import annotations

import json
import re
from typing import Any

# flat_object indexes "path=value" as one keyword term and Lucene rejects terms over 32766
# UTF-8 bytes. A message of at most 8000 characters (<= 32000 bytes) cannot produce such a
# term; longer JSON messages get their long strings shortened in the ``json`` copy (the
# full text stays in ``message``).
JSON_SAFE_CHARS = 8000
JSON_MAX_STRING = 2048
JSON_MAX_KEY = 256
JSON_MAX_DEPTH = 20
TRUNCATED_TAG = "json_truncated"

_LEVELS = frozenset(("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"))

_START = re.compile(r"START RequestId: (\S+)(?: Version: (\S+))?")
_END = re.compile(r"END RequestId: (\S+)")
_REPORT = re.compile(
    r"REPORT RequestId: (\S+)\s+Duration: (\d{1,12}(?:\.\d{1,6})?) ms\s+"
    r"Billed Duration: (\d{1,12}) ms\s+Memory Size: (\d{1,9}) MB\s+"
    r"Max Memory Used: (\d{1,9}) MB(?:\s+Init Duration: (\d{1,12}(?:\.\d{1,6})?) ms)?"
)
_XRAY = re.compile(r"XRAY TraceId: (\S+)\s+SegmentId: (\S+)(?:\s+Sampled: (\w+))?")
_INIT_START = re.compile(r"INIT_START Runtime Version: (\S+)")
# <ISO timestamp>\t<request id>\t<LEVEL>\t<message>   (Node.js, Java, .NET ...)
_TAB_TS_FIRST = re.compile(r"(\d{4}-\d\d-\d\dT[^\t]*)\t([^\t]*)\t([A-Z]+)\t(.*)", re.DOTALL)
# [LEVEL]\t<ISO timestamp>\t<request id>\t<message>   (Python)
_TAB_LEVEL_FIRST = re.compile(r"\[([A-Z]+)\]\t([^\t]*)\t([^\t]*)\t(.*)", re.DOTALL)



def _no_constants(name: str) -> Any:
    # json.loads accepts NaN/Infinity, which json.dumps would write back as invalid JSON.
    raise ValueError(f"{name} is not JSON")


# One decoder, built once: still the C scanner, but NaN/Infinity count as "not JSON".
_loads = json.JSONDecoder(parse_constant=_no_constants).decode


def parse(message: str) -> dict[str, Any] | None:
    if not message:
        return None
    first = message[0]
    if first == "{":
        return _json_line(message)
    if first.isdigit():
        return _tab_line(_TAB_TS_FIRST.match(message), level_group=3, request_group=2)
    if first == "[":
        return _tab_line(_TAB_LEVEL_FIRST.match(message), level_group=1, request_group=3)
    if first == "S" and message.startswith("START "):
        m = _START.match(message)
        if m:
            out: dict[str, Any] = {"aws.lambda.line_type": "start",
                                   "aws.lambda.request_id": m[1]}
            if m[2]:
                out["faas.version"] = m[2]
            return out
    elif first == "E" and message.startswith("END "):
        m = _END.match(message)
        if m:
            return {"aws.lambda.line_type": "end", "aws.lambda.request_id": m[1]}
    elif first == "R" and message.startswith("REPORT "):
        m = _REPORT.match(message)
        if m:
            out = {
                "aws.lambda.line_type": "report",
                "aws.lambda.request_id": m[1],
                "aws.lambda.duration_ms": float(m[2]),
                "aws.lambda.billed_duration_ms": int(m[3]),
                "aws.lambda.memory_size_mb": int(m[4]),
                "aws.lambda.max_memory_used_mb": int(m[5]),
            }
            if m[6]:
                out["aws.lambda.init_duration_ms"] = float(m[6])
            return out
    elif first == "X" and message.startswith("XRAY "):
        m = _XRAY.match(message)
        if m:
            out = {"aws.lambda.line_type": "xray", "trace.id": m[1], "aws.xray.segment_id": m[2]}
            if m[3]:
                out["aws.xray.sampled"] = m[3].lower() == "true"
            return out
    elif first == "I" and message.startswith("INIT_START "):
        m = _INIT_START.match(message)
        if m:
            return {"aws.lambda.line_type": "init_start", "aws.lambda.runtime_version": m[1]}
    return None


def _tab_line(
    m: re.Match[str] | None, level_group: int, request_group: int
) -> dict[str, Any] | None:
    if m is None:
        return None
    level = m[level_group]
    if level not in _LEVELS:
        return None
    out: dict[str, Any] = {"aws.lambda.line_type": "function", "log.level": level}
    request_id = m[request_group]
    if request_id and request_id != "undefined":
        out["aws.lambda.request_id"] = request_id
    rest = m[4]
    if rest[:1] == "{":
        obj = _json_object(rest)
        if obj is not None:
            _put_json(out, obj, rest)
    return out


def _json_line(message: str) -> dict[str, Any] | None:
    obj = _json_object(message)
    if obj is None:
        return None
    out: dict[str, Any] = {}
    record_type = obj.get("type")
    if isinstance(record_type, str) and record_type.startswith("platform.") and "time" in obj:
        # Lambda's JSON log format, platform record.
        out["aws.lambda.line_type"] = record_type
        record = obj.get("record")
        if isinstance(record, dict):
            _platform_record(out, record_type, record)
    else:
        level = obj.get("level")
        if isinstance(level, str) and level:
            out["log.level"] = level.upper()[:64]
        request_id = obj.get("requestId")
        if isinstance(request_id, str) and request_id:
            out["aws.lambda.request_id"] = request_id[:256]
        if "timestamp" in obj and "level" in obj:
            out["aws.lambda.line_type"] = "function"
    _put_json(out, obj, message)
    return out


def _platform_record(out: dict[str, Any], record_type: str, record: dict[str, Any]) -> None:
    request_id = record.get("requestId")
    if isinstance(request_id, str):
        out["aws.lambda.request_id"] = request_id[:256]
    version = record.get("version")
    if record_type == "platform.start" and isinstance(version, str):
        out["faas.version"] = version[:256]
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
            # bool is an int subclass; a JSON true is not a duration.
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[field] = value


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        obj = _loads(text)
    except (ValueError, RecursionError):
        return None
    return obj if type(obj) is dict else None


def _put_json(out: dict[str, Any], obj: dict[str, Any], text: str) -> None:
    if len(text) <= JSON_SAFE_CHARS:
        out["json"] = obj
    else:
        out["json"] = _shorten(obj, 0)
        out["tags"] = [TRUNCATED_TAG]


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
