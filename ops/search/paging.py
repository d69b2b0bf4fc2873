"""Paging through hits sorted on one date field, exactly: every hit once, in a total order.

The node sorts on the date alone (ops.search.query.sort_spec says why), so many hits can
share one sort value and search_after, which needs a total order, could skip or repeat some
of them at a page boundary. Pages here are read by whole groups of equal value instead:

- each page is the query AND `field >= cursor` (`<=` descending), inclusive;
- a page that is not full is the rest: all of it is final;
- a full page whose first and last values differ: every group before the last value is
  whole; the last group is read again, whole, by the next page (cursor = that value);
- a full page of one value (a group larger than a page): its hits are kept, the cursor
  stays, and their _ids are excluded (`must_not ids`) from the next pages until the
  cursor moves.

The node orders a group's hits arbitrarily; `in_order` orders them by the parts of _id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any

from ops.search.query import TIME_FIELD, sort_spec

PAGE = 1000

# The sort value of a hit without the field (OpenSearch gives Long.MIN_VALUE or MAX_VALUE,
# by order and `missing`; seen on 2.19). The forwarder always writes both date fields.
ABSENT = (-(2**63), 2**63 - 1)

Search = Callable[[dict[str, Any]], dict[str, Any]]


def value(hit: dict[str, Any]) -> int:
    """The hit's sort value: epoch ms of the sorted date (never read from _source, which a
    caller may have narrowed)."""
    return int(hit["sort"][0])


def tie_key(hit: dict[str, Any]) -> tuple[str, str, str]:
    """The order of hits of equal time, as the sort on (event.id, region, log group) gave
    before documents stopped repeating their _id: `<group key>-<event key>`
    (forwarder.documents.doc_id), so CloudWatch's event id first (decimal ids of one length
    compare as strings, growing with ingestion inside a log stream), then the 20 hex digits
    naming (account, region, log group), then the index (the same _id in two indices)."""
    group, _, event = hit["_id"].partition("-")
    return event, group, hit.get("_index", "")


def in_order(hits: list[dict[str, Any]], descending: bool = False) -> list[dict[str, Any]]:
    """`hits`, sorted by their sort value (as the node gave them) then by `tie_key`."""
    return sorted(hits, key=lambda h: (value(h), tie_key(h)), reverse=descending)


def at(field: str, ms: int) -> dict[str, Any]:
    """The clause for the hits whose `field` is `ms` (an absent-value sentinel: the hits
    without the field)."""
    if ms in ABSENT:
        return {"bool": {"must_not": [{"exists": {"field": field}}]}}
    return {"range": {field: {"gte": ms, "lte": ms, "format": "epoch_millis"}}}


def onward(field: str, ms: int, descending: bool) -> dict[str, Any] | None:
    """The clause for the hits at `ms` and after it in sort order; None for all of them
    (from the absent-value sentinel: hits without the field sort first in a scan)."""
    if ms in ABSENT:
        return None
    bound = "lte" if descending else "gte"
    return {"range": {field: {bound: ms, "format": "epoch_millis"}}}


def excluding(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """must_not clauses for exactly these hits: an ids query matches an _id in every index
    searched, so each index's ids go with its name."""
    by_index: dict[str, list[str]] = {}
    for hit in hits:
        by_index.setdefault(hit["_index"], []).append(hit["_id"])
    return [{"bool": {"filter": [{"term": {"_index": index}}, {"ids": {"values": values}}]}}
            for index, values in by_index.items()]


def scan(search: Search, query: dict[str, Any], *, field: str = TIME_FIELD,
         descending: bool = False, limit: int | None = None, source: Any = True,
         page: int | None = None) -> Iterator[dict[str, Any]]:
    """The hits of `query` in (field, tie_key) order, at most `limit`, each exactly once.

    Memory holds one page, plus the whole of a group larger than a page (ordering a group
    needs all of it)."""
    size = page or PAGE
    cursor: int | None = None
    held: list[dict[str, Any]] = []  # hits at the cursor, read already (and excluded)
    given = 0

    def emit(hits: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal given
        for hit in in_order(hits, descending):
            if limit is not None and given >= limit:
                return
            given += 1
            yield hit

    while limit is None or given < limit:
        clause = None if cursor is None else onward(field, cursor, descending)
        where: dict[str, Any] = {"bool": {"filter": [query, *([clause] if clause else [])]}}
        if held:
            where["bool"]["must_not"] = excluding(held)
        body = {"query": where, "sort": sort_spec(descending, field, missing_first=True),
                "size": size, "_source": source, "track_total_hits": False}
        hits = search(body)["hits"]["hits"]
        groups = [list(g) for _, g in groupby(hits, key=value)]
        if groups and cursor is not None and value(groups[0][0]) == cursor:
            held += groups.pop(0)  # the rest of the group at the cursor
        elif held:
            yield from emit(held)  # nothing more at the cursor: that group is whole
            held = []
        if len(hits) < size:
            for group in ([held] if held else []) + groups:
                yield from emit(group)
            return
        if groups:  # the cursor moves to the page's last value
            for group in ([held] if held else []) + groups[:-1]:
                yield from emit(group)
            cursor = value(groups[-1][0])
            # Read again, whole, by the next page; unless it is the whole page (maybe a
            # group larger than a page): then it is kept, and excluded from the next pages.
            held = groups[-1] if len(groups[-1]) == len(hits) else []
        # else: a full page all at the cursor; held grew, the cursor stays.
