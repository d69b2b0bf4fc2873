"""Reserved concurrency: a burst larger than the forwarder's slots is throttled, never lost.

Lambda's documented contract for asynchronous invocation
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): an event
that finds no free concurrency is throttled and returned to the queue, retried with a growing
interval for up to the maximum event age; throttles do not use up the two retries of function
errors; only an event older than the maximum age goes to the on-failure destination. The
simulator (tests/support/lambda_async.py) enforces that contract; these tests drive it into
each state by waiting for the state (a count of throttles, a record at the destination),
never for a length of time.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from forwarder.client import make_client
from forwarder.handler import process

from tests.forwarder.payloads import encode
from tests.integration.forwarder_support import settings
from tests.support.cwl import EDGE_REGIONS, FUNCTIONS, BatchFactory
from tests.support.lambda_async import AsyncLambda
from tests.support.store import stored

RESERVED = 2  # a small edgelogs:forwarderConcurrency
BURST = 60  # batches accepted at once: 30 times the slots
ENVIRONMENTS = 8  # threads the simulator may run; the reserved limit is what bites
THROTTLES_BEFORE_RELEASE = 3 * BURST  # the first two runs hold the slots until this many
WAIT_S = 240  # a bound on a hung run, never a time anything is expected to take


def _burst(factory: BatchFactory) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(9)
    return [
        (region, encode(factory.batch(region, rng.choice(FUNCTIONS), rng.choice([1, 40, 300]))))
        for region in (rng.choice(EDGE_REGIONS) for _ in range(BURST))
    ]


def test_burst_beyond_reserved_concurrency_is_stored_exactly_once(
    opensearch_url: str, index_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = BatchFactory(seed=3)
    work = _burst(factory)
    sent = {f"m={factory.run}-{n}" for n in range(1, factory.sent + 1)}
    configs = {r: settings(opensearch_url, index_prefix, r) for r in EDGE_REGIONS}
    containers = threading.local()
    release = threading.Event()
    failed: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], region: str, deadline: float) -> Any:
        # The runs that got the slots hold them until the queue has really been throttled.
        assert release.wait(WAIT_S), "never released"
        clients: dict[str, Any] = containers.__dict__.setdefault("clients", {})
        if region not in clients:
            clients[region] = make_client(configs[region])
        return process(event, configs[region], clients[region], deadline)

    lam = AsyncLambda(
        handler,
        lambda region, record: failed.append(record),
        concurrency=ENVIRONMENTS,
        timeout_s=60,
        reserved_concurrency=RESERVED,
        throttle_backoff_s=(0.01, 0.2),
        max_event_age_s=3600,  # as on AWS, far longer than any wait here
    )
    try:
        for region, event in work:
            lam.invoke(event, region)
        throttled = lam.wait_for(lambda t: t.throttles >= THROTTLES_BEFORE_RELEASE, WAIT_S)
        release.set()
        assert throttled, lam.tally
        assert lam.wait(WAIT_S), f"{lam.pending} invocations still queued or running"
    finally:
        release.set()
        lam.close()

    ids, markers = stored(opensearch_url, f"{index_prefix}-2*")
    tally = lam.tally
    figures = (
        f"reserved={RESERVED} sent={len(sent)} stored={len(set(markers) & sent)} "
        f"batches={len(work)} "
        f"throttles={tally.throttles} runs={tally.attempts} peak={tally.peak_running} "
        f"to_destination={tally.to_destination}"
    )
    with capsys.disabled():
        print("\nthrottling: " + figures)
    assert set(markers) == sent, figures  # nothing lost, nothing foreign
    assert all(n == 1 for n in markers.values()), figures  # nothing twice
    assert all(n == 1 for n in ids.values()) and len(ids) == len(sent), figures
    assert failed == [] and tally.succeeded == BURST, figures
    # the limit held, and was reached: throttling really happened at the reserved limit
    assert tally.peak_running == RESERVED, figures
    assert tally.throttles >= THROTTLES_BEFORE_RELEASE, figures


def test_throttled_event_reaches_the_destination_only_after_the_max_event_age() -> None:
    max_age_s = 0.3
    release = threading.Event()
    arrived = threading.Event()
    ran: list[str] = []
    records: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], region: str, deadline: float) -> str:
        ran.append(event["name"])
        assert release.wait(WAIT_S), "never released"
        return event["name"]

    def destination(region: str, record: dict[str, Any]) -> None:
        records.append(record)
        arrived.set()

    lam = AsyncLambda(
        handler, destination, concurrency=4, reserved_concurrency=1,
        throttle_backoff_s=(0.01, 0.05), max_event_age_s=max_age_s,
    )  # fmt: skip
    try:
        lam.invoke({"name": "holder"}, "eu-west-1")
        assert lam.wait_for(lambda t: t.attempts == 1, WAIT_S)  # the holder has the one slot
        accepted = time.monotonic()
        lam.invoke({"name": "starved"}, "eu-west-1")
        assert arrived.wait(WAIT_S), "the starved event never reached the destination"
        reached = time.monotonic()
        release.set()
        assert lam.wait(WAIT_S)
    finally:
        release.set()
        lam.close()

    (record,) = records
    assert record["requestPayload"] == {"name": "starved"}
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0  # it never ran
    assert record["requestContext"]["functionArn"].startswith("arn:aws:lambda:eu-west-1:")
    assert "responsePayload" not in record  # no function error to report
    assert reached - accepted > max_age_s  # not one moment earlier than the maximum age
    assert ran == ["holder"]
    assert lam.tally.throttles > 1 and lam.tally.expired == 1 and lam.tally.succeeded == 1


def test_throttles_do_not_use_up_the_retries() -> None:
    release = threading.Event()
    runs: dict[str, int] = {}

    def handler(event: dict[str, Any], region: str, deadline: float) -> str:
        name = event["name"]
        runs[name] = runs.get(name, 0) + 1
        if name == "holder":
            assert release.wait(WAIT_S), "never released"
        elif runs[name] <= 2:
            raise RuntimeError("domain answered 503")  # fails twice, the third run stores
        return name

    records: list[dict[str, Any]] = []
    lam = AsyncLambda(
        handler, lambda region, record: records.append(record), concurrency=4,
        retry_delays_s=(0.01, 0.02), reserved_concurrency=1,
        throttle_backoff_s=(0.01, 0.05), max_event_age_s=3600,
    )  # fmt: skip
    try:
        lam.invoke({"name": "holder"}, "us-east-1")
        assert lam.wait_for(lambda t: t.attempts == 1, WAIT_S)
        lam.invoke({"name": "flaky"}, "us-east-1")
        # far more throttles than the two retries Lambda allows for function errors
        assert lam.wait_for(lambda t: t.throttles >= 10, WAIT_S)
        release.set()
        assert lam.wait(WAIT_S)
    finally:
        release.set()
        lam.close()

    assert records == []  # still delivered: the throttles cost no retry
    assert runs == {"holder": 1, "flaky": 3}
    assert lam.tally.succeeded == 2 and lam.tally.failed_attempts == 2
    assert lam.tally.throttles >= 10
