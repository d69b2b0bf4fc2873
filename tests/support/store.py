"""Reads back what the forwarder stored in a real node: counts by _id and by message marker."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from tests.integration.forwarder_support import call

MARKER = re.compile(r"m=[0-9a-f]{8}-\d+")


# Reading back 100,000 documents in pages of 5,000 may take longer than one test request.
_TIMEOUT_S = 120


def refresh(base: str, pattern: str) -> None:
    call(base, "POST", f"{pattern}/_refresh?allow_no_indices=true&expand_wildcards=all",
         timeout=_TIMEOUT_S)


def stored(base: str, pattern: str) -> tuple[Counter[str], Counter[str]]:
    """(documents per _id, documents per marker) over every index matching `pattern`.

    Pages with search_after on _id-sorted hits (no scroll context to leak when a test fails).
    Markers are looked for in the whole _source, so the count does not depend on which field
    the forwarder puts a line's text in.
    """
    refresh(base, pattern)
    ids: Counter[str] = Counter()
    markers: Counter[str] = Counter()
    after: list[Any] | None = None
    while True:
        query: dict[str, Any] = {"size": 5000, "sort": [{"_id": "asc"}], "track_total_hits": False}
        if after is not None:
            query["search_after"] = after
        res = call(base, "POST", f"{pattern}/_search?allow_no_indices=true", query,
                   timeout=_TIMEOUT_S)
        hits = res["hits"]["hits"]
        if not hits:
            return ids, markers
        for hit in hits:
            # The same _id in two indices would be two documents: count (index, id) pairs' ids.
            ids[hit["_id"]] += 1
            found = set(MARKER.findall(json.dumps(hit["_source"])))
            for marker in found:
                markers[marker] += 1
        after = hits[-1]["sort"]


def marker_set(payloads: list[dict]) -> set[str]:
    """Every marker sent in these decoded CloudWatch Logs payloads."""
    return {MARKER.search(e["message"]).group(0) for p in payloads for e in p["logEvents"]}
