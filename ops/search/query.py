"""The filters a search takes and the OpenSearch queries they make (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops import cli, times

# Time order, then CloudWatch's own order inside a log stream (event ids grow with
# ingestion), then enough to tell any two documents apart: search_after needs a total
# order. (event.id, region, group) with the stack's one account is what the document's _id is
# made of (cloud.account.id is not mapped: the same on every document of a stack).
_SORT_FIELDS = (
    ("@timestamp", "date"),
    ("event.id", "keyword"),
    ("cloud.region", "keyword"),
    ("log.group", "keyword"),
)

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4,
          "FATAL": 5, "CRITICAL": 5}
_ERROR_RANK = LEVELS["ERROR"]


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None
    functions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    level: str | None = None
    text: str = ""


def parse_time(text: str, now: datetime, option: str) -> datetime:
    """`option`'s time (ops.times.parse_time); a UsageError naming the option if it is none."""
    try:
        return times.parse_time(text, now)
    except ValueError as exc:
        raise cli.UsageError(f"{option} {exc}") from None


def levels_from(level: str) -> list[str]:
    """The log levels at or above `level`."""
    rank = LEVELS.get(level.upper())
    if rank is None:
        raise cli.UsageError(
            f"--level {level!r} is not a level: use one of {', '.join(LEVELS)}")
    return [name for name, r in LEVELS.items() if r >= rank]


def build_query(f: Filters) -> dict[str, Any]:
    """The bool query for these filters (every one must hold)."""
    clauses: list[dict[str, Any]] = []
    if f.since or f.until:
        bounds: dict[str, str] = {}
        if f.since:
            bounds["gte"] = times.iso(f.since)
        if f.until:
            bounds["lt"] = times.iso(f.until)
        clauses.append({"range": {"@timestamp": bounds}})
    if f.request_id:
        clauses.append({"term": {"aws.lambda.request_id": f.request_id}})
    if f.functions:
        clauses.append({"terms": {"faas.name": list(f.functions)}})
    if f.regions:
        clauses.append({"terms": {"cloud.region": list(f.regions)}})
    if f.level:
        wanted = levels_from(f.level)
        either: list[dict[str, Any]] = [{"terms": {"log.level": wanted}}]
        if LEVELS[f.level.upper()] <= _ERROR_RANK:
            # Every line of a CloudFront Lambda@Edge error log is an error report, though
            # it carries no level field.
            either.append({"exists": {"field": "aws.cloudfront.distribution_id"}})
        clauses.append({"bool": {"should": either, "minimum_should_match": 1}})
    must: list[dict[str, Any]] = []
    if f.text.strip():
        # simple_query_string never fails on syntax: "a phrase", -word, a | b.
        must.append({"simple_query_string": {"query": f.text, "fields": ["message"],
                                             "default_operator": "and"}})
    if not clauses and not must:
        return {"match_all": {}}
    return {"bool": {"filter": clauses, "must": must}}


def with_clause(query: dict[str, Any], clause: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": [query, clause]}}


def sort_spec(descending: bool = False) -> list[dict[str, Any]]:
    order = "desc" if descending else "asc"
    # unmapped_type: an index under the pattern without these fields sorts, never fails.
    return [{name: {"order": order, "unmapped_type": kind}} for name, kind in _SORT_FIELDS]


def index_pattern(prefix: str) -> str:
    """The day indices `<prefix>-YYYY.MM.DD` only: never `<prefix>-errors-*`, nor another
    stack's `<prefix>-<name>-*` (index names cannot start a character class)."""
    return f"{prefix}-1*,{prefix}-2*"


def describe_range(f: Filters) -> str:
    """` since T until T` for the filters' window, as a message says it."""
    since = f" since {times.iso(f.since)}" if f.since else ""
    until = f" until {times.iso(f.until)}" if f.until else ""
    return since + until
