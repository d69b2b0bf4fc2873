"""A small AWS estate of Lambda@Edge log groups, written through boto3 into moto."""

from __future__ import annotations

import contextlib
import time

import boto3

STACK_REGIONS = ["us-east-1", "eu-west-1"]
AUTH = "/aws/lambda/us-east-1.auth"
SHARED = "/edge/shared"
# What the stack output logGroups says: the same groups in each of its regions.
LOG_GROUPS = {r: [AUTH, SHARED] for r in STACK_REGIONS}


def group(region: str, name: str, events: int = 0, stream: str = "2025/11/24/[7]abc",
          at_ms: int | None = None) -> int | None:
    """Creates the group (and a stream with `events` lines); returns the last event time."""
    logs = boto3.client("logs", region_name=region)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name)
    if not events:
        return None
    logs.create_log_stream(logGroupName=name, logStreamName=stream)
    base = at_ms if at_ms is not None else int(time.time() * 1000) - 60_000
    logs.put_log_events(
        logGroupName=name, logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": f"line {i}"} for i in range(events)],
    )  # fmt: skip
    return base + events - 1


def build() -> dict[tuple[str, str], int | None]:
    """(region, group) -> last event time of the groups that hold events."""
    last: dict[tuple[str, str], int | None] = {}
    # In the stack and collected.
    last[("us-east-1", AUTH)] = group("us-east-1", AUTH, 3)
    last[("eu-west-1", AUTH)] = group("eu-west-1", AUTH, 2)
    # A custom group shared by two functions: two streams, the newer one decides.
    older = int(time.time() * 1000) - 900_000
    group("eu-west-1", SHARED, 1, "2025/11/24/rewrite[3]aa", at_ms=older)
    last[("eu-west-1", SHARED)] = group("eu-west-1", SHARED, 4, "2025/11/24/headers[1]bb")
    # A function this stack does not know, in a collected region: uncovered.
    last[("eu-west-1", "/aws/lambda/us-east-1.new-fn")] = group(
        "eu-west-1", "/aws/lambda/us-east-1.new-fn", 5)
    # A region outside the stack where the edge function ran: uncovered.
    last[("ap-south-1", AUTH)] = group("ap-south-1", AUTH, 2)
    last[("ap-south-1", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL")] = group(
        "ap-south-1", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL", 1)
    # The custom group exists there too but never received a line: listed, not uncovered.
    group("ap-south-1", SHARED)
    # An empty replica group in a region outside the stack: listed, not uncovered.
    group("sa-east-1", AUTH)
    # Not Lambda@Edge groups (and one that merely starts like the custom group's name).
    group("eu-west-1", "/aws/lambda/regional-fn", 3)
    group("eu-west-1", "/edge/shared-old", 3)
    return last
