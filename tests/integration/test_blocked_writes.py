"""Blocked writes on a real node: retried, never misfiled as bad content.

An index write block (``index.blocks.write``) is what an operator, or a snapshot restore,
puts on an index; the engine answers every bulk item for it with 403
``cluster_block_exception``, like the flood-stage disk block (429 since OpenSearch 2.x). The
events are good: they must be stored once the block is lifted, and never reach the errors
index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from forwarder.errors import DeliveryError
from forwarder.handler import Summary, process
from forwarder.settings import Settings
from opensearchpy.exceptions import TransportError

from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events
from tests.integration.forwarder_support import (
    all_docs,
    call,
    client_for,
    count,
    event_of,
    settings,
)
from tests.support.cwl import decode as decode_payload


def set_write_block(url: str, index: str, on: bool) -> None:
    call(url, "PUT", f"{index}/_settings", {"index.blocks.write": True if on else None})


def blocked_items(response: Any) -> int:
    return sum(1 for item in response.get("items") or []
               if next(iter(item.values())).get("error", {}).get("type") in BLOCK_TYPES)


BLOCK_TYPES = ("cluster_block_exception", "index_create_block_exception")


class Watch:
    """Wraps the forwarder's client: records the (status, type) of every failed bulk request
    or item."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.indices = client.indices
        self.errors: list[tuple[int, str]] = []
        self.blocked = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = self.client.bulk(*args, **kwargs)
        except TransportError as exc:  # the whole request refused
            self.errors.append((exc.status_code, exc.error))
            if exc.error in BLOCK_TYPES:
                self.blocked.set()
            raise
        for item in response.get("items") or []:
            result = next(iter(item.values()))
            if "error" in result:
                self.errors.append((result["status"], result["error"]["type"]))
        if blocked_items(response):
            self.blocked.set()
        return response


class BlockAfter(Watch):
    """Watch, which also puts a write block on ``index`` right after the n-th bulk answer."""

    def __init__(self, client: Any, url: str, index: str, n: int) -> None:
        super().__init__(client)
        self.url, self.index, self.n = url, index, n
        self.bulks = 0
        # Up to BULK_CONCURRENCY requests run at once: answers are counted under a lock, so
        # exactly one is the n-th whatever order they come in, and the block is put once.
        self._lock = threading.Lock()

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        response = super().bulk(*args, **kwargs)
        with self._lock:
            self.bulks += 1
            nth = self.bulks == self.n
        if nth:
            set_write_block(self.url, self.index, True)
        return response


def process_lifting(event: dict[str, Any], s: Settings, client: Watch,
                    lift: Callable[[], object]) -> Summary:
    """``process`` the event while ``lift`` removes the block as soon as the forwarder has
    met it (never on a timer: the test does not depend on how long anything takes), and
    once more at the end, whatever happened."""

    def on_block() -> None:
        if client.blocked.wait(timeout=120):
            lift()

    lifter = threading.Thread(target=on_block)
    lifter.start()
    try:
        return process(event, s, client, time.monotonic() + 180)
    finally:
        lifter.join(timeout=150)
        lift()


def stored_once(url: str, prefix: str, *events: dict[str, Any]) -> None:
    """Every event of ``events`` stored exactly once, and nothing else, counted by id on the
    node."""
    sent = sorted(e["id"] for event in events for e in decode_payload(event)["logEvents"])
    docs = all_docs(url, f"{prefix}-2*")
    assert sorted(event_of(d) for d in docs) == sent
    assert len({d["_id"] for d in docs}) == len(sent)


def test_a_write_block_put_mid_run_and_lifted_later_stores_everything_once(
        opensearch_url: str, index_prefix: str) -> None:
    n = 3000
    events = realistic_events(n, seed=71)
    event = encode(payload(events))
    day = time.strftime("%Y.%m.%d", time.gmtime(events[0]["timestamp"] // 1000))
    assert all(time.strftime("%Y.%m.%d", time.gmtime(e["timestamp"] // 1000)) == day
               for e in events), "one index: the block covers every later request"
    index = f"{index_prefix}-{day}"
    s = settings(opensearch_url, index_prefix, BULK_MAX_DOCS="300")  # 10 bulk requests
    client = BlockAfter(client_for(s), opensearch_url, index, n=3)
    summary = process_lifting(event, s, client,
                              lambda: set_write_block(opensearch_url, index, False))
    assert client.blocked.is_set(), "the write block was never met"
    assert summary.outcome == "ok" and summary.undelivered == 0 and summary.retries > 0
    assert summary.stored == n and summary.errors_indexed == 0
    stored_once(opensearch_url, index_prefix, event)
    assert count(opensearch_url, f"{index_prefix}-errors-*") == 0


def test_a_block_that_outlasts_the_invocation_leaves_the_events_for_the_retry(
        opensearch_url: str, index_prefix: str) -> None:
    n = 500
    event = encode(payload(realistic_events(n, seed=72)))
    s = settings(opensearch_url, index_prefix, SAFETY_MARGIN_MS="1000",
                 REQUEST_TIMEOUT_MS="3000")
    first = encode(payload(realistic_events(1, seed=73, base_ms=BASE_MS - 3_600_000)))
    process(first, s, client_for(s), time.monotonic() + 60)  # the day's index exists
    (index,) = [i["index"] for i in call(opensearch_url, "GET",
                                         f"_cat/indices/{index_prefix}-2*?format=json")]
    set_write_block(opensearch_url, index, True)
    try:
        with pytest.raises(DeliveryError) as info:
            process(event, s, client_for(s), time.monotonic() + 6)
    finally:
        set_write_block(opensearch_url, index, False)
    # Undelivered (Lambda retries it, then the failure queue), not filed as bad content.
    assert info.value.undelivered == n
    assert "cluster_block_exception" in info.value.reason
    assert count(opensearch_url, f"{index_prefix}-errors-*") == 0

    # Lambda's retry, after the block is lifted.
    summary = process(event, s, client_for(s), time.monotonic() + 60)
    assert summary.stored == n and summary.undelivered == 0 and summary.errors_indexed == 0
    stored_once(opensearch_url, index_prefix, first, event)
    assert count(opensearch_url, f"{index_prefix}-errors-*") == 0


def test_the_flood_stage_block_is_a_429_and_is_retried_until_lifted(
        opensearch_url: str, index_prefix: str) -> None:
    # The block the disk monitor puts on every index of a node past the flood-stage
    # watermark; set by hand here, with the monitor off so it cannot lift it first.
    n = 400
    event = encode(payload(realistic_events(n, seed=74)))
    s = settings(opensearch_url, index_prefix)
    first = encode(payload(realistic_events(1, seed=75, base_ms=BASE_MS - 3_600_000)))
    process(first, s, client_for(s), time.monotonic() + 60)  # the day's index exists
    (index,) = [i["index"] for i in call(opensearch_url, "GET",
                                         f"_cat/indices/{index_prefix}-2*?format=json")]
    client = Watch(client_for(s))
    flood = {"index.blocks.read_only_allow_delete": True}
    monitor = "cluster.routing.allocation.disk.threshold_enabled"
    call(opensearch_url, "PUT", "_cluster/settings", {"persistent": {monitor: False}})
    call(opensearch_url, "PUT", f"{index}/_settings", flood)

    try:
        summary = process_lifting(event, s, client, lambda: call(
            opensearch_url, "PUT", f"{index}/_settings",
            {"index.blocks.read_only_allow_delete": None}))
    finally:
        call(opensearch_url, "PUT", "_cluster/settings", {"persistent": {monitor: None}})
    # The engine's own answer, as bulk.py expects it: 429, not 403, since OpenSearch 2.x.
    assert set(client.errors) == {(429, "cluster_block_exception")}
    assert summary.undelivered == 0 and summary.stored == n and summary.errors_indexed == 0
    stored_once(opensearch_url, index_prefix, first, event)
    assert count(opensearch_url, f"{index_prefix}-errors-*") == 0
