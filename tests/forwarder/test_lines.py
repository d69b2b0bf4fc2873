"""Line recognition: Lambda platform lines, text format, JSON format, JSON content."""

from __future__ import annotations

import json

import pytest
from forwarder import lines
from forwarder.lines import fields, parse

RID = "8f507cfc-8ab3-4c58-9de5-f1e5d6a3ab0e"


def test_plain_lines_yield_nothing() -> None:
    for message in ("", "hello", "Started", "2024 was a year", "[not a level] x", "{not json"):
        assert parse(message) is None
        assert fields(message) == ("", None)


def test_start() -> None:
    assert parse(f"START RequestId: {RID} Version: $LATEST\n") == {
        "faas.version": "$LATEST", "aws.lambda.line_type": "start",
        "aws.lambda.request_id": RID}


def test_start_fragment_begins_with_the_version() -> None:
    # documents.build relies on it to avoid writing faas.version twice.
    assert fields(f"START RequestId: {RID} Version: 12\n")[0].startswith(lines.VERSION_MEMBER)


def test_end() -> None:
    assert parse(f"END RequestId: {RID}\n") == {"aws.lambda.line_type": "end",
                                                 "aws.lambda.request_id": RID}


def test_report_with_init_duration() -> None:
    got = parse(f"REPORT RequestId: {RID}\tDuration: 102.27 ms\tBilled Duration: 103 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 151.55 ms\t\n")
    assert got == {
        "aws.lambda.line_type": "report", "aws.lambda.request_id": RID,
        "aws.lambda.duration_ms": 102.27, "aws.lambda.billed_duration_ms": 103,
        "aws.lambda.memory_size_mb": 128, "aws.lambda.max_memory_used_mb": 70,
        "aws.lambda.init_duration_ms": 151.55,
    }


def test_report_without_init_duration() -> None:
    got = parse(f"REPORT RequestId: {RID}\tDuration: 0.98 ms\tBilled Duration: 1 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 69 MB\t\n")
    assert got is not None and "aws.lambda.init_duration_ms" not in got
    assert got["aws.lambda.duration_ms"] == 0.98


def test_report_with_numbers_that_are_not_json_numbers_is_plain() -> None:
    # Leading zeros would be invalid JSON: the line stays searchable text, nothing breaks.
    assert parse(f"REPORT RequestId: {RID}\tDuration: 0102 ms\tBilled Duration: 1 ms\t"
                 "Memory Size: 128 MB\tMax Memory Used: 69 MB\t\n") is None


def test_xray() -> None:
    got = parse("XRAY TraceId: 1-5e1b4151-5ac6c58f4f9f9d8e5f7a2b1c\tSegmentId: 6d2f0a1b2c3d4e5f"
                "\tSampled: true\n")
    assert got == {"aws.lambda.line_type": "xray",
                   "trace.id": "1-5e1b4151-5ac6c58f4f9f9d8e5f7a2b1c",
                   "aws.xray.segment_id": "6d2f0a1b2c3d4e5f", "aws.xray.sampled": True}


def test_init_start() -> None:
    got = parse("INIT_START Runtime Version: nodejs:20.v13\tRuntime Version ARN: arn:x\n")
    assert got == {"aws.lambda.line_type": "init_start",
                   "aws.lambda.runtime_version": "nodejs:20.v13"}


def test_node_text_format() -> None:
    got = parse(f"2024-05-01T12:00:00.123Z\t{RID}\tWARN\tslow origin\n")
    assert got == {"aws.lambda.line_type": "function", "log.level": "WARN",
                   "aws.lambda.request_id": RID}


def test_python_text_format() -> None:
    got = parse(f"[ERROR]\t2024-05-01T12:00:00.123Z\t{RID}\tboom\n")
    assert got == {"aws.lambda.line_type": "function", "log.level": "ERROR",
                   "aws.lambda.request_id": RID}


def test_python_unhandled_error_line_has_its_level() -> None:
    # The Python runtime's line for an exception the handler did not catch.
    got = parse("[ERROR] KeyError: 'uri'\nTraceback (most recent call last):\n"
                '  File "/var/task/index.py", line 9, in handler\n')
    assert got == {"aws.lambda.line_type": "function", "log.level": "ERROR"}
    assert parse("[LOUD] not a level\n") is None
    assert parse("[ERROR]no space\n") is None


def test_text_format_without_request_id() -> None:
    got = parse("2024-05-01T12:00:00.123Z\tundefined\tINFO\tinit done\n")
    assert got == {"aws.lambda.line_type": "function", "log.level": "INFO"}


def test_text_format_with_unknown_level_is_plain() -> None:
    assert parse(f"2024-05-01T12:00:00.123Z\t{RID}\tLOUD\tx\n") is None


def test_text_format_with_json_message() -> None:
    got = parse(f'2024-05-01T12:00:00.123Z\t{RID}\tINFO\t{{"uri": "/a", "ms": 3}}\n')
    assert got is not None and got["json"] == {"uri": "/a", "ms": 3}
    assert got["log.level"] == "INFO"


def test_lambda_json_log_format_function_line() -> None:
    message = json.dumps({"timestamp": "2024-05-01T12:00:00Z", "level": "info",
                          "requestId": RID, "message": {"user": "u1"}})
    got = parse(message)
    assert got is not None
    assert (got["log.level"], got["aws.lambda.request_id"], got["aws.lambda.line_type"]) == (
        "INFO", RID, "function")
    assert got["json"]["message"] == {"user": "u1"}


def test_lambda_json_log_format_platform_report() -> None:
    message = json.dumps({"time": "2024-05-01T12:00:00Z", "type": "platform.report",
                          "record": {"requestId": RID, "status": "success", "metrics": {
                              "durationMs": 12.5, "billedDurationMs": 13, "memorySizeMB": 128,
                              "maxMemoryUsedMB": 70, "initDurationMs": 150.2}}})
    got = parse(message)
    assert got is not None
    assert got["aws.lambda.line_type"] == "platform.report"
    assert got["aws.lambda.duration_ms"] == 12.5
    assert got["aws.lambda.init_duration_ms"] == 150.2
    assert got["aws.lambda.memory_size_mb"] == 128


def test_lambda_json_log_format_platform_start_version_first() -> None:
    message = json.dumps({"time": "t", "type": "platform.start",
                          "record": {"requestId": RID, "version": "7"}})
    text, _ = fields(message)
    assert text.startswith(lines.VERSION_MEMBER)
    assert parse(message)["faas.version"] == "7"  # type: ignore[index]


@pytest.mark.parametrize("message", [
    '{"a": 1} and then text', '{"a": NaN}', '{"a": Infinity}', "[1, 2, 3]", '"just a string"',
])
def test_not_a_json_object(message: str) -> None:
    got = parse(message)
    assert got is None or "json" not in got


def test_json_object_is_copied_verbatim_when_safe() -> None:
    text, tags = fields('{"b": 1,  "a": {"x": "\\u00e9"}}  \n')
    assert text == ',"json":{"b": 1,  "a": {"x": "\\u00e9"}}' and tags is None


def test_json_object_is_re_encoded_when_not_safe_verbatim() -> None:
    # Non-ASCII (chunk sizes count bytes) or a raw newline (NDJSON): re-encoded.
    assert fields('{"a": "\u00e9"}')[0] == ',"json":{"a":"\\u00e9"}'
    assert fields('{"a":\n 1}')[0] == ',"json":{"a":1}'


def test_duplicate_keys_verbatim_and_after_the_rebuild() -> None:
    # Verbatim keeps them (the engine refuses the document); the rebuild's re-encoded copy
    # keeps the last one, like any JSON reader.
    assert fields('{"a": 1, "a": 2}')[0] == ',"json":{"a": 1, "a": 2}'
    assert fields('{"a": 1, "a": 2}', verbatim=False)[0] == ',"json":{"a":2}'


def test_json_number_too_large_for_json_is_tagged_not_fatal() -> None:
    assert fields('{"a": 1e999}')[0] == ',"json":{"a": 1e999}'  # the engine accepts it
    text, tags = fields('{"a": 1e999}', verbatim=False)
    assert text == "" and tags == [lines.UNENCODABLE_TAG]


def test_long_json_message_is_shortened_in_the_copy_only() -> None:
    big = {"blob": "x" * 100_000, "k" * 5000: 1, "deep": [[[[1]]]], "n": 5}
    got = parse(json.dumps(big))
    assert got is not None and got["tags"] == [lines.TRUNCATED_TAG]
    copy = got["json"]
    assert len(copy["blob"]) == lines.JSON_MAX_STRING
    assert "k" * lines.JSON_MAX_KEY in copy and copy["n"] == 5


def test_strings_from_the_line_are_escaped() -> None:
    text, _ = fields('START RequestId: a"b\\c\u00e9 Version: 1\n')
    assert text.isascii()
    assert json.loads("{" + text[1:] + "}")["aws.lambda.request_id"] == 'a"b\\c\u00e9'


def test_lone_surrogates_do_not_break_anything() -> None:
    text, _ = fields(f"2024-05-01T12:00:00.123Z\t{RID}\tINFO\t{{\"k\": \"\ud800\"}}")
    assert text.isascii() and "\\ud800" in text
