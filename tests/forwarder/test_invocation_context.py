"""Timeouts and tracebacks are findable: their level, and the request they belong to.

Every line below is written out as Lambda writes it; the expected level and request id of
each are written out too.
"""

from __future__ import annotations

import json
from typing import Any

from forwarder import documents, lines
from forwarder.decode import Payload

GROUP = "/aws/lambda/us-east-1.edge-auth"
STREAM = "2025/11/24/[3]0123456789abcdef0123456789abcdef"
R1 = "6f1c2a4e-0b1d-4c5e-9f10-111111111111"
R2 = "7a2b3c4d-1e2f-4a5b-8c6d-222222222222"
R3 = "8b3c4d5e-2f3a-4b6c-9d7e-333333333333"


def _docs(messages: list[str], parts: int = 1) -> list[dict[str, Any]]:
    events = [{"id": f"{i:056d}", "timestamp": 1_764_000_000_000 + i, "message": m}
              for i, m in enumerate(messages)]
    payload = Payload("DATA_MESSAGE", "123456789012", GROUP, STREAM, events)
    batch = documents.Batch()
    for _ in documents.build_parts(batch, payload, "eu-west-1", "p", 0, parts=parts):
        pass
    return [json.loads(line.split("\n")[1]) for line in batch.lines]


def _seen(docs: list[dict[str, Any]]) -> list[tuple[str | None, str | None]]:
    return [(d.get("log.level"), d.get("aws.lambda.request_id")) for d in docs]


def test_a_timeout_line_is_an_error_of_its_request() -> None:
    got = lines.parse("2024-01-01T00:00:00.000Z 6f1c2a4e-0b1d-4c5e-9f10-111111111111 "
                      "Task timed out after 30.00 seconds")
    assert got == {"aws.lambda.line_type": "timeout", "log.level": "ERROR",
                   "aws.lambda.request_id": "6f1c2a4e-0b1d-4c5e-9f10-111111111111"}
    assert lines.parse("2024-01-01T00:00:00.000Z abc Task timed out after 3 seconds") == {
        "aws.lambda.line_type": "timeout", "log.level": "ERROR", "aws.lambda.request_id": "abc"}
    # Words that merely mention a timeout are no timeout notice.
    assert lines.parse("Task timed out after 30.00 seconds") is None


def test_lines_only_a_failure_writes_are_errors() -> None:
    assert lines.parse("Traceback (most recent call last):") == {
        "aws.lambda.line_type": "function", "log.level": "ERROR"}
    assert lines.parse('ERROR\tInvoke Error\t{"errorType":"Error","stack":["at a"]}') == {
        "aws.lambda.line_type": "function", "log.level": "ERROR"}
    assert lines.parse("ERRORS were found") is None
    assert lines.parse("Tracing started") is None


def test_lines_inside_an_invocation_carry_its_request_id() -> None:
    docs = _docs([
        "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:x",
        "init: loading config",
        f"START RequestId: {R1} Version: 3",
        "[ERROR] KeyError: 'uri'\nTraceback (most recent call last):\n"
        '  File "/var/task/app.py", line 9, in handler\n    uri = event["uri"]',
        "Traceback (most recent call last):",
        '  File "/var/task/app.py", line 9, in handler',
        "KeyError: 'uri'",
        f"2024-01-01T00:00:00.000Z {R1} Task timed out after 30.00 seconds",
        f"END RequestId: {R1}",
        f"REPORT RequestId: {R1}\tDuration: 30000.00 ms\tBilled Duration: 30000 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 80 MB\t",
        "written after END: no invocation",
        f"START RequestId: {R2} Version: 3",
        "2024-01-01T00:00:01.000Z\tundefined\tERROR\tUncaught Exception \t"
        '{"errorType":"Error","errorMessage":"boom",'
        '"stack":["Error: boom","    at a (/var/task/i.js:1)"]}',
        'ERROR\tInvoke Error\t{"errorType":"Error","errorMessage":"boom","stack":["at a"]}',
        "    at Runtime.handler (/var/task/index.js:3:11)",
        f"END RequestId: {R2}",
    ])
    assert _seen(docs) == [
        (None, None),  # INIT_START: before any START
        (None, None),
        (None, R1),
        ("ERROR", R1),
        ("ERROR", R1),
        (None, R1),
        (None, R1),
        ("ERROR", R1),
        (None, R1),
        (None, R1),
        (None, None),
        (None, R2),
        ("ERROR", R2),
        ("ERROR", R2),
        (None, R2),
        (None, R2),
    ]


def test_a_batch_that_starts_inside_an_invocation_learns_its_id() -> None:
    docs = _docs([
        '  File "/var/task/app.py", line 9, in handler',
        "KeyError: 'uri'",
        f"END RequestId: {R3}",
        f"REPORT RequestId: {R3}\tDuration: 2.00 ms\tBilled Duration: 3 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 80 MB\t",
        "after the report",
    ])
    assert _seen(docs) == [(None, R3), (None, R3), (None, R3), (None, R3), (None, None)]


def test_the_json_log_format_opens_and_closes_invocations_too() -> None:
    start = {"time": "2024-01-01T00:00:00.000Z", "type": "platform.start",
             "record": {"requestId": R1, "version": "3"}}
    done = {"time": "2024-01-01T00:00:01.000Z", "type": "platform.runtimeDone",
            "record": {"requestId": R1, "status": "timeout"}}
    docs = _docs([json.dumps(start), "Traceback (most recent call last):", json.dumps(done),
                  "after runtimeDone"])
    assert _seen(docs) == [(None, R1), ("ERROR", R1), (None, R1), (None, None)]


def test_lines_already_handed_out_for_sending_are_never_rewritten() -> None:
    # 300 nameless lines, then the END that names them: the first 256 form the first part
    # (documents.PROBE_EVENTS), which may be on its way; the rest can still learn the id.
    docs = _docs(["no id"] * 300 + [f"END RequestId: {R3}"], parts=2)
    assert [d.get("aws.lambda.request_id") for d in docs[250:260]] == [None] * 6 + [R3] * 4
    assert docs[-1]["aws.lambda.request_id"] == R3
