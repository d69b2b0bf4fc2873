"""Lambda@Edge lines in Lambda's JSON log format, as a custom log group receives them.

Shapes from the Lambda developer guide, "Configuring JSON and plain text log formats"
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html) and
the Telemetry API schema for the platform records
(https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html): application
lines are objects with timestamp, level, message and requestId (Python adds logger); system
lines are {"time", "type": "platform.<event>", "record": {...}}.
Streams of a custom group are YYYY/MM/DD/<function>[<version>]<environment id>
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html).
"""

from __future__ import annotations

import json
from typing import Any

from tests.forwarder.payloads import event_id

SHARED_GROUP = "/edge/shared"


def stream(function: str, version: str, env_id: str, *, replica_prefix: bool = False) -> str:
    name = f"us-east-1.{function}" if replica_prefix else function
    return f"2025/11/24/{name}[{version}]{env_id}"


def invocation(request_id: str, version: str, runtime: str = "python") -> list[dict[str, Any]]:
    """One request's lines (without timestamps): init, start, two app lines, runtimeDone,
    report."""
    app: list[dict[str, Any]]
    if runtime == "python":
        app = [
            {"timestamp": "2025-11-24T16:00:00.101Z", "level": "INFO",
             "message": "viewer request /img/1.jpg", "logger": "root", "requestId": request_id},
            {"timestamp": "2025-11-24T16:00:00.102Z", "level": "ERROR",
             "message": "origin timed out", "logger": "root", "requestId": request_id,
             "errorType": "TimeoutError", "stackTrace": ["  File \"/var/task/app.py\""]},
        ]
    else:  # Node.js: console.log of an object keeps it as the message
        app = [
            {"timestamp": "2025-11-24T16:00:00.101Z", "level": "INFO", "requestId": request_id,
             "message": {"uri": "/img/1.jpg", "status": 200}},
            {"timestamp": "2025-11-24T16:00:00.102Z", "level": "WARN", "requestId": request_id,
             "message": "slow origin"},
        ]
    return [
        {"time": "2025-11-24T16:00:00.000Z", "type": "platform.initStart",
         "record": {"initializationType": "on-demand", "phase": "init",
                    "runtimeVersion": "python:3.13.v20", "functionName": "us-east-1.x",
                    "functionVersion": version}},
        {"time": "2025-11-24T16:00:00.100Z", "type": "platform.start",
         "record": {"requestId": request_id, "version": version}},
        *app,
        {"time": "2025-11-24T16:00:00.103Z", "type": "platform.runtimeDone",
         "record": {"requestId": request_id, "status": "success",
                    "metrics": {"durationMs": 2.61, "producedBytes": 0}}},
        {"time": "2025-11-24T16:00:00.104Z", "type": "platform.report",
         "record": {"requestId": request_id, "status": "success",
                    "metrics": {"durationMs": 3.2, "billedDurationMs": 4, "memorySizeMB": 128,
                                "maxMemoryUsedMB": 41, "initDurationMs": 180.25}}},
    ]


def events(base_ms: int, request_ids: list[str], version: str, runtime: str = "python",
           seq0: int = 0) -> list[dict[str, Any]]:
    """CloudWatch Logs events, one per line, for these requests."""
    out = []
    seq = seq0
    for i, rid in enumerate(request_ids):
        for j, line in enumerate(invocation(rid, version, runtime)):
            ts = base_ms + i * 10 + j
            out.append({"id": event_id(ts, seq), "timestamp": ts, "message": json.dumps(line)})
            seq += 1
    return out
