"""The filters a search takes and the OpenSearch queries they make (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops import cli, times

# The one sort key. Documents no longer carry a copy of their _id (event.id, dropped to make
# each one cheaper to index: issue 21), sorting on _id itself loads every id into the heap,
# and OpenSearch 2.19 has no _shard_doc tiebreaker (checked on the node: "No mapping found
# for [_shard_doc] in order to sort on"). So the sort is not a total order: many lines share
# a millisecond. ops.search.paging pages by whole groups of equal time instead of
# search_after, and orders each group itself by the parts of _id (CloudWatch's event id,
# then the log group's key): the order the old (event.id, region, group) sort gave.
TIME_FIELD = "@timestamp"

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
        # simple_query_string never fails on syntax: "a phrase", -word, a | b. A request id
        # is matched whole on its field: the log template indexes the message without the
        # line's header (domain_setup.template.MESSAGE_HEADER), where the id was.
        must.append({"simple_query_string": {"query": f.text, "default_operator": "and",
                                             "fields": ["message", "aws.lambda.request_id"]}})
    if not clauses and not must:
        return {"match_all": {}}
    return {"bool": {"filter": clauses, "must": must}}


def with_clause(query: dict[str, Any], clause: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": [query, clause]}}


def sort_spec(descending: bool = False, field: str = TIME_FIELD,
              missing_first: bool = False) -> list[dict[str, Any]]:
    """Sort on the date `field` alone. missing_first: documents without it come first (a
    paged scan's range cursor then never has to include them)."""
    spec: dict[str, Any] = {"order": "desc" if descending else "asc",
                            # an index under the pattern without the field sorts, never fails
                            "unmapped_type": "date"}
    if missing_first:
        spec["missing"] = "_first"
    return [{field: spec}]


def index_pattern(prefix: str) -> str:
    """The day indices `<prefix>-YYYY.MM.DD` only: never `<prefix>-errors-*`, nor another
    stack's `<prefix>-<name>-*` (index names cannot start a character class)."""
    return f"{prefix}-1*,{prefix}-2*"


def describe_range(f: Filters) -> str:
    """` since T until T` for the filters' window, as a message says it."""
    since = f" since {times.iso(f.since)}" if f.since else ""
    until = f" until {times.iso(f.until)}" if f.until else ""
    return since + until
