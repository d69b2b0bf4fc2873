"""`--request-id`: one invocation whole, START to REPORT, from whichever region served it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ops.search import paging
from ops.search.domain import Searcher, source, time_ms
from ops.search.paint import SHOWN
from ops.search.query import Filters, build_query, with_clause

# An invocation's lines are few; this only bounds a pathological one.
MAX_INVOCATION_LINES = 10_000
# Lines written before START in the same log stream (INIT_START, module-level logs) belong
# to the invocation that paid for the cold start. Lambda@Edge's init phase is capped well
# below this.
INIT_LOOKBACK_MS = 15_000


def invocation_members(stream_hits: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """The lines of one log stream, in order, that belong to the invocation `request_id`.

    An execution environment (one log stream) runs one invocation at a time, so everything
    between its first and its last line that names no other request is part of it (a
    timeout notice, a Python traceback); so are the lines just before START that name no
    request (INIT_START and the init phase of a cold start).

    One log stream per execution environment, for its lifetime:
    https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html
    One request at a time per environment ("a separate instance of your execution
    environment" for each concurrent request):
    https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
    """
    rid = [source(h).get("aws.lambda.request_id") for h in stream_hits]
    mine = [i for i, r in enumerate(rid) if r == request_id]
    if not mine:
        return []
    first, last = mine[0], mine[-1]
    start = first
    while start > 0 and not rid[start - 1]:
        start -= 1
    return [h for i, h in enumerate(stream_hits[start:last + 1], start)
            if rid[i] in (None, "", request_id)]


def invocation(searcher: Searcher, f: Filters) -> list[dict[str, Any]]:
    """The invocation `f.request_id` whole, from whichever region and stream served it."""
    assert f.request_id
    located = list(searcher.scan(build_query(replace(f, level=None, text="")),
                                 limit=MAX_INVOCATION_LINES, source=SHOWN))
    streams: dict[tuple[str, str, str], tuple[int, int]] = {}
    for hit in located:
        src = source(hit)
        key = (src.get("cloud.region", ""), src.get("log.group", ""), src.get("log.stream", ""))
        ts = time_ms(src.get("@timestamp")) or 0
        low, high = streams.get(key, (ts, ts))
        streams[key] = (min(low, ts), max(high, ts))
    members: list[dict[str, Any]] = []
    for (region, group, stream_name), (low, high) in streams.items():
        window = {"bool": {"filter": [
            {"term": {"cloud.region": region}},
            {"term": {"log.group": group}},
            {"term": {"log.stream": stream_name}},
            {"range": {"@timestamp": {"gte": low - INIT_LOOKBACK_MS, "lte": high,
                                      "format": "epoch_millis"}}},
        ]}}
        members += invocation_members(
            list(searcher.scan(window, limit=MAX_INVOCATION_LINES, source=SHOWN)),
            f.request_id)
    if f.level or f.text.strip():
        # The level and the words narrow the lines shown, on the node's own terms.
        ids = {"ids": {"values": [h["_id"] for h in members]}}
        keep = {h["_id"] for h in searcher.scan(
            with_clause(build_query(Filters(level=f.level, text=f.text)), ids), source=False)}
        members = [h for h in members if h["_id"] in keep]
    return paging.in_order(members)
