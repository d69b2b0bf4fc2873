"""`--follow`: each line that matches, printed once, as it becomes searchable."""

from __future__ import annotations

from typing import Any

from ops.search.domain import PAGE, Searcher, source, time_ms
from ops.search.query import sort_spec, with_clause

# --follow prints a line once it is searchable, if that is within this long of the forwarder
# building it (event.ingested): bulk time plus the index's 5 s refresh, with room for retries.
LATENESS_MS = 60_000


class Follower:
    """Prints each line that matches, once, as it becomes searchable.

    A new line is not always newer than the last one printed: regions deliver seconds to
    minutes apart, and a replayed failure queue brings lines hours old. So each poll asks
    for the lines the forwarders built (`event.ingested`) since shortly before the newest
    one seen, pages through them in time order with search_after, and prints those whose
    _id it has not printed. A line that becomes searchable more than LATENESS_MS after it
    was built is missed (only a forwarder retrying through an outage is that slow).
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
        newest_first = [{"event.ingested": {"order": "desc", "unmapped_type": "date"}},
                        *sort_spec(descending=True)]
        after = None
        while True:
            body: dict[str, Any] = {"query": self.query, "sort": newest_first, "size": PAGE,
                                    "_source": ["event.ingested"], "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            hits = self.searcher.search(body)["hits"]["hits"]
            for hit in hits:
                ingested = time_ms(source(hit).get("event.ingested")) or 0
                if self.watermark is None:
                    self.watermark = ingested
                if ingested < self.watermark - self.lateness_ms:
                    return
                self.seen[hit["_id"]] = ingested
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def mark(self, hit: dict[str, Any]) -> None:
        ingested = time_ms(source(hit).get("event.ingested")) or 0
        self.seen[hit["_id"]] = ingested
        if self.watermark is None or ingested > self.watermark:
            self.watermark = ingested

    def poll(self) -> list[dict[str, Any]]:
        query = self.query
        if self.watermark is not None:
            query = with_clause(query, {"range": {"event.ingested": {
                "gte": self.watermark - self.lateness_ms, "format": "epoch_millis"}}})
        fresh = [h for h in self.searcher.scan(query, source=self.source)
                 if h["_id"] not in self.seen]
        for hit in fresh:
            self.mark(hit)
        if self.watermark is not None:
            floor = self.watermark - self.lateness_ms
            self.seen = {k: v for k, v in self.seen.items() if v >= floor}
        return fresh
