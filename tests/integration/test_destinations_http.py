"""The HTTP destination against a real VictoriaLogs: the domain's own documents as ndjson to
its /insert/jsonline, every one found again through its own LogsQL query API.

VictoriaLogs keeps duplicates, so deliveries are counted by unique event id; without faults
the row count is checked too. With VictoriaLogs stopped and started again between the
requests of a batch, every event is still there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from forwarder.destinations import Documents
from forwarder.handler import prepare
from forwarder.http_shipper import HttpShipper

from tests.forwarder import payloads
from tests.integration.destinations_support import (
    REGION,
    events,
    fault_when,
    invoke,
    settings,
)
from tests.support.receivers import VictoriaLogs, remove


@pytest.fixture
def victorialogs() -> Iterator[VictoriaLogs]:
    receiver = VictoriaLogs()
    try:
        yield receiver
    finally:
        remove(receiver)


def shipper(v: VictoriaLogs, max_bytes: int = 5 * 1024 * 1024) -> HttpShipper:
    return HttpShipper("http:victorialogs", v.jsonline_url, {}, 10.0, max_bytes)


def test_every_document_is_found_through_the_query_api(victorialogs: VictoriaLogs) -> None:
    evs = events(1000)
    dest = [{"type": "http", "url": victorialogs.jsonline_url}]
    summary = invoke(evs, settings(dest), [shipper(victorialogs)])
    (delivered,) = summary.destinations.values()
    assert (delivered["sent"], delivered["undelivered"], delivered["attempts"]) == (1000, 0, 1)
    assert victorialogs.wait_unique(1000) == {e["id"] for e in evs}
    (total,) = victorialogs.query("* | stats count() as n")
    assert total["n"] == "1000"  # no fault: each once


def test_a_row_is_the_domains_document(victorialogs: VictoriaLogs) -> None:
    evs = events(30)
    invoke(evs, settings([{"type": "http", "url": victorialogs.jsonline_url}]),
           [shipper(victorialogs)])
    victorialogs.wait_unique(30)
    report = next(e for e in evs if e["message"].startswith("REPORT"))
    (row,) = victorialogs.query(f'"event.id":="{report["id"]}"')
    assert row["_msg"].rstrip("\n") == report["message"].rstrip("\n")
    assert row["cloud.region"] == "eu-west-1"
    assert row["faas.name"] == "edge-auth"
    assert row["faas.version"] == "7"
    assert row["log.group"] == "/aws/lambda/us-east-1.edge-auth"
    assert row["cloud.account.id"] == "123456789012"
    assert row["_time"].startswith("2025-11-24T16:00:00")
    assert float(row["aws.lambda.duration_ms"]) > 0
    assert row["aws.lambda.memory_size_mb"] == "128"


def test_victorialogs_restarted_mid_batch_loses_nothing(victorialogs: VictoriaLogs) -> None:
    evs = events(5000, seed=5)
    ship = shipper(victorialogs, max_bytes=64 * 1024)  # ~40 requests for the batch
    posts: list[Any] = []
    post = ship.session.post

    def counting_post(*args: Any, **kwargs: Any) -> Any:
        posts.append(1)
        return post(*args, **kwargs)

    ship.session.post = counting_post  # type: ignore[method-assign]

    def restart() -> None:
        victorialogs.stop()  # SIGTERM: what it acknowledged, it keeps
        victorialogs.start()

    thread = fault_when(lambda: len(posts) >= 5, restart)
    summary = invoke(evs, settings([{"type": "http", "url": victorialogs.jsonline_url}]),
                     [ship])
    thread.join(30)
    (delivered,) = summary.destinations.values()
    assert delivered["undelivered"] == 0
    # The restart hit the batch: some of its requests failed and were sent again.
    _, batch = prepare(payloads.encode(payloads.payload(evs)), REGION, "lambda-edge", 0)
    chunks = len(list(ship._chunks(Documents.from_bulk(batch.lines, batch.events).sources)))
    assert chunks > 5
    assert delivered["attempts"] == len(posts) > chunks
    assert victorialogs.wait_unique(5000) == {e["id"] for e in evs}
