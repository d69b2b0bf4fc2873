"""Find Lambda@Edge log groups in every enabled region and say whether this stack collects them.

Which regions: EC2 DescribeRegions without AllRegions, which "describes the Regions that are
enabled for your account" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
API_DescribeRegions.html) — opted-in and opt-in-not-required regions, not only the stack's
list. It needs only ec2:DescribeRegions, where account:ListRegions would need the Account
Management API's permission as well.

Which groups: the replicas' default groups ``/aws/lambda/us-east-1.*``, CloudFront's
Lambda@Edge error groups ``/aws/cloudfront/LambdaEdge/*`` and the custom groups the stack
collects (their names are the same in every region). For each: its stored bytes
(DescribeLogGroups ``storedBytes``) and its last event time, from the stream with the newest
event (DescribeLogStreams orderBy=LastEventTime, descending, limit 1). A group has no
last-event field of its own, and ``lastEventTimestamp`` "updates on an eventual consistency
basis ... typically in less than an hour"
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html):
precise enough for a daily check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from contract import EDGE_LOG_GROUP_PREFIXES

EDGE_PREFIXES: tuple[str, ...] = EDGE_LOG_GROUP_PREFIXES
# Regions are audited side by side: each is a few small List calls.
MAX_PARALLEL_REGIONS = 8

ClientFactory = Callable[[str, str], Any]  # (service, region) -> a boto3 client


class AuditError(Exception):
    """Bad input to the audit (e.g. a malformed collected-groups map)."""


@dataclass(frozen=True)
class Collected:
    """What the stack subscribes: region -> log group names (the stack output ``logGroups``)."""

    by_region: Mapping[str, frozenset[str]]

    @classmethod
    def from_mapping(cls, value: Any, source: str = "logGroups") -> Collected:
        if not isinstance(value, Mapping) or not all(
            isinstance(r, str) and isinstance(names, list)
            and all(isinstance(n, str) for n in names)
            for r, names in value.items()
        ):
            raise AuditError(f"{source} must map region -> list of log group names")
        return cls({r: frozenset(names) for r, names in value.items()})

    @classmethod
    def uniform(cls, regions: Iterable[str], names: Iterable[str]) -> Collected:
        """The same groups in every one of ``regions`` (how the stack deploys them)."""
        group_names = frozenset(names)
        return cls({r: group_names for r in regions})

    def subscribes(self, region: str, name: str) -> bool:
        return name in self.by_region.get(region, frozenset())

    def custom_groups(self) -> tuple[str, ...]:
        """Collected names outside the Lambda@Edge prefixes: custom log groups."""
        names = {n for group in self.by_region.values() for n in group}
        return tuple(sorted(n for n in names if not n.startswith(EDGE_PREFIXES)))


@dataclass(frozen=True)
class GroupReport:
    region: str
    name: str
    stored_bytes: int
    last_event_ms: int | None
    subscribed: bool

    @property
    def has_events(self) -> bool:
        return self.stored_bytes > 0 or self.last_event_ms is not None

    @property
    def uncovered(self) -> bool:
        """Logs were written here and this stack does not collect them."""
        return self.has_events and not self.subscribed

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "logGroup": self.name,
            "storedBytes": self.stored_bytes,
            "lastEventTime": self.last_event_ms,
            "hasEvents": self.has_events,
            "subscribed": self.subscribed,
            "uncovered": self.uncovered,
        }


def boto3_clients(session: Any = None) -> ClientFactory:
    """Clients with botocore's standard retry mode: throttling is retried with backoff."""
    import boto3
    from botocore.config import Config

    session = session or boto3.session.Session()
    config = Config(retries={"mode": "standard", "max_attempts": 8})
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        key = (service, region)
        if key not in cache:
            cache[key] = session.client(service, region_name=region, config=config)
        return cache[key]

    return client


@functools.cache
def partition_of(region: str) -> str:
    """The partition (aws, aws-cn, ...) of a region, from botocore's endpoint data."""
    import boto3

    return boto3.session.Session().get_partition_for_region(region)


def enabled_regions(clients: ClientFactory, home_region: str) -> list[str]:
    """Regions enabled for the account, in the home region's partition, sorted."""
    answer = clients("ec2", home_region).describe_regions(AllRegions=False)
    partition = partition_of(home_region)
    names = {r["RegionName"] for r in answer.get("Regions", [])}
    # Only the caller's partition: its credentials mean nothing in another one.
    return sorted(n for n in names if partition_of(n) == partition)


def _log_groups(logs: Any, prefix: str) -> list[dict[str, Any]]:
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
    return [g for page in pages for g in page.get("logGroups", [])]


def edge_log_groups(logs: Any, custom_groups: Sequence[str] = ()) -> list[dict[str, Any]]:
    """DescribeLogGroups entries of the Lambda@Edge groups in one region, by name, once each."""
    found: dict[str, dict[str, Any]] = {}
    for prefix in EDGE_PREFIXES:
        for g in _log_groups(logs, prefix):
            found[g["logGroupName"]] = g
    for name in custom_groups:
        for g in _log_groups(logs, name):
            if g["logGroupName"] == name:  # a prefix query: keep the exact name only
                found[name] = g
    return [found[n] for n in sorted(found)]


def last_event_ms(logs: Any, name: str) -> int | None:
    try:
        streams = logs.describe_log_streams(
            logGroupName=name, orderBy="LastEventTime", descending=True, limit=1
        ).get("logStreams", [])
    except logs.exceptions.ResourceNotFoundException:
        return None  # deleted between the two calls
    if not streams:
        return None
    value = streams[0].get("lastEventTimestamp")
    return int(value) if value is not None else None


def audit_region(clients: ClientFactory, region: str, collected: Collected,
                 custom_groups: Sequence[str] = ()) -> list[GroupReport]:
    logs = clients("logs", region)
    wanted = tuple(dict.fromkeys((*collected.custom_groups(), *custom_groups)))
    return [
        GroupReport(
            region=region,
            name=g["logGroupName"],
            stored_bytes=int(g.get("storedBytes") or 0),
            last_event_ms=last_event_ms(logs, g["logGroupName"]),
            subscribed=collected.subscribes(region, g["logGroupName"]),
        )
        for g in edge_log_groups(logs, wanted)
    ]


# What a service control policy (or a missing permission) answers: the region is reported as
# skipped, and the others are still audited. Any other error still fails the whole audit.
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})


@dataclass(frozen=True)
class Outcome:
    reports: list[GroupReport]
    skipped: dict[str, str]  # region -> why it could not be audited (an access denial)


def _denial(exc: Exception) -> str | None:
    """`Code: message` when `exc` is an AWS access denial (botocore ClientError), else None."""
    error = (getattr(exc, "response", None) or {}).get("Error", {})
    if error.get("Code") in DENIED_CODES:
        return f"{error['Code']}: {error.get('Message', '')}".strip()
    return None


def audit_regions(clients: ClientFactory, collected: Collected, regions: Sequence[str],
                  custom_groups: Sequence[str] = ()) -> Outcome:
    """Every Lambda@Edge group in ``regions``, sorted by region then name; a region that
    denies access (an SCP on an enabled region, say) is skipped, not fatal."""
    for region in regions:  # built here, not in the threads: boto3 sessions are not thread-safe
        clients("logs", region)

    def one(region: str) -> list[GroupReport] | str:
        try:
            return audit_region(clients, region, collected, custom_groups)
        except Exception as exc:
            denial = _denial(exc)
            if denial is None:
                raise
            return denial

    with ThreadPoolExecutor(max_workers=MAX_PARALLEL_REGIONS) as pool:
        per_region = list(zip(regions, pool.map(one, regions), strict=True))
    return Outcome(
        reports=[r for _, result in per_region if isinstance(result, list) for r in result],
        skipped={region: result for region, result in per_region if isinstance(result, str)},
    )


def audit(clients: ClientFactory, collected: Collected, regions: Sequence[str],
          custom_groups: Sequence[str] = ()) -> list[GroupReport]:
    """The reports of `audit_regions` (skipped regions dropped)."""
    return audit_regions(clients, collected, regions, custom_groups).reports


def uncovered(reports: Iterable[GroupReport]) -> list[GroupReport]:
    return [r for r in reports if r.uncovered]
