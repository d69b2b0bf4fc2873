"""Realistic CloudWatch Logs subscription events for a Lambda@Edge function, as Lambda gets them.

Each message carries a unique marker (`m=<run>-<n>`) so a test can count stored documents both
by `_id` and by what was sent, independently of how the forwarder derives its ids.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

# One fixed day (BASE_MS), so indices stay few and predictable; the same account and event
# ids as the forwarder's own test payloads.
from tests.forwarder.payloads import ACCOUNT, BASE_MS, event_id

EDGE_REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1", "sa-east-1", "eu-central-1")
FUNCTIONS = ("viewer-auth", "origin-rewrite")


def decode(event: dict) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


@dataclass
class BatchFactory:
    """Builds subscription batches whose every message is unique (per factory) and realistic."""

    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    seed: int = 7
    sent: int = 0
    _seq: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _marker(self) -> str:
        self.sent += 1
        return f"m={self.run}-{self.sent}"

    def _lines(self, ts: int, request_id: str, n: int) -> Iterator[tuple[int, str]]:
        """One invocation's lines: START, n application lines, END, REPORT (each marked)."""
        yield ts, f"START RequestId: {request_id} Version: 7 {self._marker()}\n"
        for i in range(n):
            ts += self._rng.randint(0, 3)
            kind = self._rng.random()
            if kind < 0.5:
                line = (
                    f"{_iso(ts)}\t{request_id}\tINFO\tviewer request uri=/img/{i}.png "
                    f"country=DE {self._marker()}\n"
                )
            elif kind < 0.8:
                body = {
                    "level": "info",
                    "uri": f"/p/{i}",
                    "status": 200 + i % 3,
                    "headers": {"host": "d1.example.net"},
                    "marker": self._marker(),
                }
                line = f"{_iso(ts)}\t{request_id}\tINFO\t{json.dumps(body)}\n"
            else:
                line = f"{_iso(ts)}\t{request_id}\tERROR\torigin timeout {self._marker()}\n"
            yield ts, line
        ts += 2
        yield ts, f"END RequestId: {request_id} {self._marker()}\n"
        yield (
            ts,
            (
                f"REPORT RequestId: {request_id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
                f"Memory Size: 128 MB\tMax Memory Used: 71 MB\t{self._marker()}\n"
            ),
        )

    def batch(self, region: str, function: str, events: int) -> dict:
        """A DATA_MESSAGE with about `events` log events for one region's edge log group."""
        log_events = []
        ts = BASE_MS + self._rng.randint(0, 3_600_000)
        while len(log_events) < events:
            request_id = str(uuid.UUID(int=self._rng.getrandbits(128)))
            per = min(self._rng.randint(1, 6), max(events - len(log_events) - 3, 0))
            for t, message in self._lines(ts, request_id, per):
                self._seq += 1
                log_events.append(
                    {"id": event_id(t, self._seq), "timestamp": t, "message": message}
                )
            ts += self._rng.randint(5, 50)
        return {
            "messageType": "DATA_MESSAGE",
            "owner": ACCOUNT,
            "logGroup": f"/aws/lambda/us-east-1.{function}",
            "logStream": f"2025/11/24/{region}[7]{uuid.UUID(int=self._rng.getrandbits(128)).hex}",
            "subscriptionFilters": [f"edgelogs-{function}"],
            "logEvents": log_events,
        }


def _iso(ts_ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def failure_record(
    event: dict, region: str, function: str = "edgelogs-forwarder", error: str = "DeliveryError"
) -> dict:
    """The record Lambda sends to an on-failure destination after the retries are exhausted."""
    return {
        "version": "1.0",
        "timestamp": "2025-11-24T10:00:00.000Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "events not stored", "errorType": error},
    }
