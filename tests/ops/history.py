"""Log history in moto's CloudWatch Logs: realistic Lambda@Edge lines, several streams."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.support.cwl import BatchFactory
from tests.support.store import MARKER

GROUP = "/aws/lambda/us-east-1.viewer-auth"


@dataclass(frozen=True)
class Seeded:
    group: str
    since_ms: int
    until_ms: int
    count: int
    markers: frozenset[str]


def seed(logs: Any, group: str = GROUP, streams: int = 3, per_stream: int = 120,
         factory: BatchFactory | None = None) -> Seeded:
    """Puts `per_stream` marked lines into each of `streams` streams, interleaved in time.

    Timestamps lie within the last hours: CloudWatch Logs (and moto) refuse events older
    than 14 days. Several lines share a millisecond, as Lambda's START/REPORT lines do.
    """
    factory = factory or BatchFactory()
    logs.create_log_group(logGroupName=group)
    base = (int(time.time() * 1000) // 1000) * 1000 - 6 * 3_600_000
    markers: set[str] = set()
    count = 0
    last = base
    for s in range(streams):
        stream = f"2025/11/24/[7]{s:032x}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        batch = factory.batch("eu-west-1", "viewer-auth", per_stream)["logEvents"]
        # Streams interleave: stream s writes at base + s, base + streams + s, ...
        events = [{"timestamp": base + 7 * i * streams + s * 3 + (i % 2),
                   "message": e["message"]} for i, e in enumerate(batch)]
        for e in batch:
            markers.update(MARKER.findall(e["message"]))
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        count += len(events)
        last = max(last, events[-1]["timestamp"])
    return Seeded(group, base, last + 1, count, frozenset(markers))


def read_all(logs: Any, group: str, **kw: Any) -> list[dict[str, Any]]:
    """Every event FilterLogEvents gives for the group, following nextToken."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        page = logs.filter_log_events(logGroupName=group, interleaved=True, **kw,
                                      **({"nextToken": token} if token else {}))
        out += page["events"]
        token = page.get("nextToken")
        if not token:
            return out
