"""`--follow`: each line that matches, printed once, as it becomes searchable."""

from __future__ import annotations

from typing import Any

from ops.search import paging
from ops.search.domain import Searcher, source, time_ms
from ops.search.query import sort_spec, with_clause

INGESTED = "event.ingested"

# --follow prints a line once it is searchable, if that is within this long of the forwarder
# building it (event.ingested): bulk time plus the index's 5 s refresh, with room for retries.
LATENESS_MS = 60_000


class Follower:
    """Prints each line that matches, once, as it becomes searchable.

    A new line is not always newer than the last one printed: regions deliver seconds to
    minutes apart, and a replayed failure queue brings lines hours old. So each poll asks
    for the lines the forwarders built (`event.ingested`) since shortly before the newest
    one seen, reads them all in time order (ops.search.paging: whole groups of equal time,
    each hit once), and prints those whose _id it has not printed. A line that becomes
    searchable more than LATENESS_MS after it was built is missed (only a forwarder
    retrying through an outage is that slow).
    """

    def __init__(self, searcher: Searcher, query: dict[str, Any], source: Any,
                 lateness_ms: int = LATENESS_MS) -> None:
        self.searcher = searcher
        self.query = query
        self.source = source
        self.lateness_ms = lateness_ms
        self.seen: dict[str, int] = {}
        self.watermark: int | None = None

    def prime(self) -> None:
        """Remember what is searchable now, so that only later lines are printed."""
        newest = self.searcher.search({"query": self.query, "sort": sort_spec(True, INGESTED),
                                       "size": 1, "_source": False,
                                       "track_total_hits": False})["hits"]["hits"]
        if not newest or paging.value(newest[0]) in paging.ABSENT:
            return
        self.watermark = paging.value(newest[0])
        # Every line built within lateness_ms before the newest one, up to it: a line that
        # becomes searchable meanwhile, built later, is left for poll() to print.
        recent = with_clause(self.query, {"range": {INGESTED: {
            "gte": self.watermark - self.lateness_ms, "lte": self.watermark,
            "format": "epoch_millis"}}})
        for hit in self.searcher.scan(recent, field=INGESTED, source=False):
            self.seen[hit["_id"]] = paging.value(hit)

    def mark(self, hit: dict[str, Any]) -> None:
        ingested = time_ms(source(hit).get(INGESTED)) or 0
        self.seen[hit["_id"]] = ingested
        if self.watermark is None or ingested > self.watermark:
            self.watermark = ingested

    def poll(self) -> list[dict[str, Any]]:
        query = self.query
        if self.watermark is not None:
            query = with_clause(query, {"range": {INGESTED: {
                "gte": self.watermark - self.lateness_ms, "format": "epoch_millis"}}})
        fresh = [h for h in self.searcher.scan(query, source=self.source)
                 if h["_id"] not in self.seen]
        for hit in fresh:
            self.mark(hit)
        if self.watermark is not None:
            floor = self.watermark - self.lateness_ms
            self.seen = {k: v for k, v in self.seen.items() if v >= floor}
        return fresh
