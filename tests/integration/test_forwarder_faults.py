"""The forwarder against a node under stress: a real 429 storm, and the node killed mid-batch.

Each test runs its own node (tests/integration/node.py), so the shared one is never hurt,
behind an AWS front door of its own (tests/support/front_door.py): the forwarder signs with
its role's keys and the environment the program gives it. A node that is down is answered
by the front door with a 502, as the service's endpoint would.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from forwarder.errors import DeliveryError
from forwarder.handler import Summary, process

from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events
from tests.integration.conftest import front_door_before
from tests.integration.forwarder_support import (
    all_docs,
    call,
    count,
    deployed_settings,
    event_of,
    signed_client,
)
from tests.integration.node import start_node, stop_node
from tests.support.cwl import decode as decode_events_payload

# Port 0: a free port, which a restarted node keeps (`edgelogs node`).
STORM_NODE, STORM_PORT = "fwd-storm", 0
KILL_NODE, KILL_PORT = "fwd-kill", 0


def _forget_old_runs(url: str) -> None:
    """Delete what earlier runs left on this node (it keeps its data directory)."""
    for path in ("storm*,kill*", "_index_template/storm*", "_index_template/kill*"):
        with contextlib.suppress(OSError):
            call(url, "DELETE", f"{path}?ignore_unavailable=true"
                 if not path.startswith("_") else path)


@pytest.fixture
def storm_url() -> Iterator[str]:
    # One write thread and a queue of one: a handful of concurrent bulk requests is enough
    # to make the node answer 429 (es_rejected_execution_exception) for real.
    url = start_node(STORM_NODE, STORM_PORT, {"thread_pool.write.size": "1",
                                              "thread_pool.write.queue_size": "1"})
    _forget_old_runs(url)
    try:
        yield url
    finally:
        stop_node(STORM_NODE)


@pytest.fixture
def kill_url() -> Iterator[str]:
    url = start_node(KILL_NODE, KILL_PORT)
    _forget_old_runs(url)
    try:
        yield url
    finally:
        stop_node(KILL_NODE)


REGION = "eu-west-1"


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as s:
        yield s


def test_a_real_429_storm_ends_with_everything_stored_once(
        storm_url: str, stack: contextlib.ExitStack) -> None:
    # Its own prefix: the node keeps its data (and templates) between runs.
    prefix = f"storm{uuid.uuid4().hex[:8]}"
    invocations = 8
    per_invocation = 1500
    # Small bulks: many concurrent requests, each one competing for the single write slot.
    door, dep = stack.enter_context(front_door_before(storm_url, prefix))
    s = deployed_settings(door, dep, REGION, BULK_MAX_BYTES=str(64 * 1024))
    client = signed_client(door, s)
    process(encode(payload(realistic_events(1, seed=99, base_ms=BASE_MS - 10**7))), s,
            client, time.monotonic() + 60)  # templates in place before the storm
    events = [encode(payload(realistic_events(per_invocation, seed=i,
                                              base_ms=BASE_MS + i * 10**7)))
              for i in range(invocations)]
    summaries: list[Summary] = []
    failures: list[BaseException] = []

    def invoke(event: dict[str, Any]) -> None:
        try:
            summaries.append(process(event, s, signed_client(door, s),
                                     time.monotonic() + 120))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=invoke, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures
    assert all(d.admitted for d in door.decisions)
    assert sum(x.stored + x.already_present for x in summaries) == invocations * per_invocation
    retries = sum(x.retries for x in summaries)
    assert retries > 0, "the node never pushed back: the storm did not happen"
    rejected = call(storm_url, "GET", "_nodes/stats/thread_pool")
    (node,) = rejected["nodes"].values()
    assert node["thread_pool"]["write"]["rejected"] > 0
    # Stored once: as many documents as events, every event id once.
    assert count(storm_url, f"{prefix}-2*") == invocations * per_invocation + 1
    print(f"429 storm: {invocations} concurrent invocations, {retries} document retries, "
          f"{node['thread_pool']['write']['rejected']} rejections on the node")


def decode_events(event: dict[str, Any]) -> list[dict[str, Any]]:
    return list(decode_events_payload(event)["logEvents"])


class KillAfter:
    """A client wrapper that SIGKILLs the node as soon as n bulk requests were answered.

    Counting answers, not requests: with several requests in flight the first n requests
    may all be sent before any is answered, but n answers are n chunks stored."""

    def __init__(self, client: Any, n: int) -> None:
        self.client = client
        self.indices = client.indices
        self.transport = client.transport  # the lifecycle policy's requests
        self.n = n
        self.answers = 0
        # Up to BULK_CONCURRENCY requests run at once: answers counted under a lock, so
        # exactly one of them is the n-th and the node is killed once.
        self._lock = threading.Lock()

    def bulk(self, **kwargs: Any) -> Any:
        response = self.client.bulk(**kwargs)
        with self._lock:
            self.answers += 1
            nth = self.answers == self.n
        if nth:
            stop_node(KILL_NODE, kill=True)
        return response


def test_node_killed_mid_batch_fails_clearly_then_retry_stores_exactly_once(
        kill_url: str, stack: contextlib.ExitStack) -> None:
    prefix = f"kill{uuid.uuid4().hex[:8]}"  # its own prefix: the node keeps its data
    n = 5000
    door, dep = stack.enter_context(front_door_before(kill_url, prefix))
    # Time enough for the first bulk requests to be answered on a loaded machine (a 3 s
    # request timeout once timed them all out before the kill, so nothing got in first).
    s = deployed_settings(door, dep, REGION, BULK_MAX_BYTES=str(256 * 1024),
                          SAFETY_MARGIN_MS="1000", REQUEST_TIMEOUT_MS="8000")
    event = encode(payload(realistic_events(n, seed=5)))
    client = KillAfter(signed_client(door, s), n=3)  # 3 bulks (about 900 events) get in first

    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        process(event, s, client, time.monotonic() + 20)
    elapsed = time.monotonic() - started
    failed = info.value
    assert 0 < failed.undelivered < n
    # The node is gone behind the endpoint: the front door answers 502, as the service does.
    assert "HTTP 502" in failed.reason and f"of {n} events" in str(failed)
    assert elapsed < 20, "gave up within the Lambda's time"

    # Lambda retries the same event after the node is back (same data directory).
    url = start_node(KILL_NODE, KILL_PORT)
    assert url == kill_url
    s2 = deployed_settings(door, dep, REGION)
    summary = process(event, s2, signed_client(door, s2), time.monotonic() + 120)
    # The guarantee, not how the counts split: when the node stored a bulk request but its
    # reply was lost, those events count as "already present" on the retry, not "stored".
    assert summary.undelivered == 0
    assert summary.stored + summary.already_present == n
    assert summary.already_present >= n - failed.undelivered
    # Every event stored exactly once, counted by id on the node.
    docs = all_docs(url, f"{prefix}-2*")
    sent_ids = {e["id"] for e in decode_events(event)}
    assert len(sent_ids) == n
    assert sorted(event_of(d) for d in docs) == sorted(sent_ids)
    assert len({d["_id"] for d in docs}) == n
