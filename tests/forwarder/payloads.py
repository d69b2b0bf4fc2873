"""Realistic CloudWatch Logs subscription events for the forwarder's tests and benchmark."""

from __future__ import annotations

import base64
import gzip
import json
import random
import uuid
from typing import Any

ACCOUNT = "123456789012"
GROUP = "/aws/lambda/us-east-1.edge-auth"
STREAM = "2025/11/24/[7]0123456789abcdef0123456789abcdef"
BASE_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z


def encode(doc: Any) -> dict[str, Any]:
    """The Lambda event: {"awslogs": {"data": base64(gzip(json))}}."""
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return {"awslogs": {"data": base64.b64encode(gzip.compress(raw, mtime=0)).decode()}}


def payload(events: list[Any], group: str = GROUP, stream: str = STREAM,
            owner: str = ACCOUNT) -> dict[str, Any]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["edgelogs"],
        "logEvents": events,
    }


def event_id(ts_ms: int, seq: int) -> str:
    # CloudWatch Logs ids are 56-digit decimal strings.
    return f"{ts_ms:020d}{seq:036d}"[-56:]


def invocation_lines(request_id: str, ts: int, rng: random.Random) -> list[tuple[int, str]]:
    """The lines one Lambda@Edge request writes: START, function output, END, REPORT."""
    iso = "2025-11-24T16:00:00.000Z"
    uri = f"/img/{rng.randrange(10**6)}.jpg"
    out = [
        (ts, f"START RequestId: {request_id} Version: 7\n"),
        (ts + 1, f"{iso}\t{request_id}\tINFO\tviewer request {uri} "
                 f"from 203.0.113.{rng.randrange(256)}\n"),
        (ts + 2, f"{iso}\t{request_id}\tINFO\t" + json.dumps({
            "uri": uri, "status": rng.choice([200, 301, 403]),
            "headers": {"user-agent": "Mozilla/5.0", "accept": "image/*"},
            "latency_ms": rng.random() * 20}) + "\n"),
        (ts + 3, f"END RequestId: {request_id}\n"),
        (ts + 4, f"REPORT RequestId: {request_id}\tDuration: {rng.random() * 50:.2f} ms\t"
                 f"Billed Duration: {rng.randrange(1, 60)} ms\tMemory Size: 128 MB\t"
                 f"Max Memory Used: {rng.randrange(60, 90)} MB\t\n"),
    ]
    if rng.random() < 0.1:
        out.insert(1, (ts, f"{iso}\t{request_id}\tERROR\tInvoke Error \t" + json.dumps(
            {"errorType": "Error", "errorMessage": "boom", "stack": ["at a", "at b"]}) + "\n"))
    return out


def realistic_events(n: int, seed: int = 1, base_ms: int = BASE_MS) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    seq = 0
    ts = base_ms
    while len(events) < n:
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for t, message in invocation_lines(request_id, ts, rng):
            if len(events) == n:
                break
            events.append({"id": event_id(t, seq), "timestamp": t, "message": message})
            seq += 1
        ts += rng.randrange(1, 50)
    return events
