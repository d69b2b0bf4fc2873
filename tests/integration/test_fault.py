"""Nothing lost, nothing doubled: 100,000+ events through crashes and 429s, the Lambda way.

A node of this test's own (it gets killed) runs with a write pool of one thread and a queue of
two, so the parallel invocations provoke real 429s (es_rejected_execution_exception). While
batches from several regions flow through the forwarder (`forwarder.handler.process`, run by
a simulator of Lambda's asynchronous invocation: two delayed retries, then the region's failure
queue in moto's SQS), the node is killed with SIGKILL and restarted on the same data. When
every invocation has either succeeded or reached its failure queue, the replay tool drains the
queues. Then every document is read back and counted by _id and by the unique marker that
each sent message carries.

The node sits behind an AWS front door (tests/support/front_door.py): each region's
forwarder signs with its role's keys and the environment the program gives it, the replay
with an operator's; while the node is down the front door answers 502.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from forwarder.client import make_client
from forwarder.handler import process
from moto import mock_aws

from ops.replay import replay_queue
from tests.forwarder.payloads import encode
from tests.integration.conftest import front_door_before
from tests.integration.forwarder_support import deployed_settings, signed_client
from tests.integration.node import start_node, stop_node
from tests.support.cwl import EDGE_REGIONS, FUNCTIONS, BatchFactory
from tests.support.lambda_async import AsyncLambda
from tests.support.store import stored

NODE = "fault"
PORT = int(os.environ.get("EDGELOGS_FAULT_PORT", "0"))  # 0: free; kept across restarts
# One write thread, a queue of two: a handful of concurrent bulk requests is already too many.
NODE_SETTINGS = {"thread_pool.write.size": "1", "thread_pool.write.queue_size": "2"}
TOTAL_EVENTS = 100_000
CONCURRENCY = 8
# Each run gets 4 s (the forwarder keeps 0.3 s back), retried after 1 s and 2 s: far shorter
# than AWS's minutes, so that an invocation can exhaust its three attempts while the node is
# down and its record really goes through the failure queue and replay.
LAMBDA_TIMEOUT_S = 4.0
RETRY_DELAYS_S = (1.0, 2.0)
KILL_AFTER_FRACTION = 0.3  # of the invocations done
DOWN_S = 15.0  # from SIGKILL to the restart command (which then waits for readiness)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _write_rejections(url: str) -> int:
    """Bulk shard requests the node refused with 429 since it started."""
    stats = _get(f"{url}/_nodes/stats/thread_pool")
    return sum(n["thread_pool"]["write"]["rejected"] for n in stats["nodes"].values())


@pytest.fixture
def fault_node() -> Iterator[str]:
    url = start_node(NODE, PORT, NODE_SETTINGS)
    yield url
    stop_node(NODE)


def _batches(factory: BatchFactory) -> list[tuple[str, dict[str, Any]]]:
    """Realistic mixed traffic: every region and edge function, batch sizes from 1 to 2,000."""
    rng = random.Random(42)
    out: list[tuple[str, dict[str, Any]]] = []
    while factory.sent < TOTAL_EVENTS:
        region, function = rng.choice(EDGE_REGIONS), rng.choice(FUNCTIONS)
        size = rng.choice([1, 5, 40, 300, 700, 1200, 2000])
        out.append((region, encode(factory.batch(region, function, size))))
    return out


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as s:
        yield s


def test_every_event_stored_exactly_once_through_crash_429s_and_replay(
    fault_node: str, capsys: pytest.CaptureFixture[str], stack: contextlib.ExitStack
) -> None:
    started = time.monotonic()
    prefix = f"fault-{uuid.uuid4().hex[:8]}"
    factory = BatchFactory(seed=1)
    work = _batches(factory)
    sent = {f"m={factory.run}-{n}" for n in range(1, factory.sent + 1)}
    door, dep = stack.enter_context(front_door_before(fault_node, prefix))
    settings = {
        region: deployed_settings(door, dep, region, SAFETY_MARGIN_MS="300",
                                  REQUEST_TIMEOUT_MS="2000")
        for region in EDGE_REGIONS
    }
    containers = threading.local()  # one client per region per execution environment

    def handler(event: dict[str, Any], region: str, deadline: float) -> Any:
        clients: dict[str, Any] = containers.__dict__.setdefault("clients", {})
        if region not in clients:
            clients[region] = signed_client(door, settings[region])
        return process(event, settings[region], clients[region], deadline)

    with mock_aws():
        sqs = {r: boto3.client("sqs", region_name=r) for r in EDGE_REGIONS}
        queues = {
            r: sqs[r].create_queue(QueueName="edgelogs-forwarder-failures")["QueueUrl"]
            for r in EDGE_REGIONS
        }

        def to_queue(region: str, record: dict[str, Any]) -> None:
            sqs[region].send_message(QueueUrl=queues[region], MessageBody=json.dumps(record))

        lam = AsyncLambda(
            handler,
            to_queue,
            concurrency=CONCURRENCY,
            timeout_s=LAMBDA_TIMEOUT_S,
            retry_delays_s=RETRY_DELAYS_S,
        )
        crash: dict[str, float] = {}
        rejections = [0]

        def chaos() -> None:
            while lam.tally.succeeded < KILL_AFTER_FRACTION * len(work):
                time.sleep(0.05)
            with contextlib.suppress(OSError):
                rejections[0] += _write_rejections(fault_node)
            crash["kill"] = time.monotonic() - started
            stop_node(NODE, kill=True)
            time.sleep(DOWN_S)
            start_node(NODE, PORT, NODE_SETTINGS)
            crash["up"] = time.monotonic() - started

        chaos_thread = threading.Thread(target=chaos, name="chaos", daemon=True)
        chaos_thread.start()
        try:
            for region, event in work:
                # Events arrive over time rather than all at once: keep a short backlog, so
                # that invocations made while the node is down really meet it down.
                while lam.backlog >= CONCURRENCY:
                    time.sleep(0.01)
                lam.invoke(event, region)
            assert lam.wait(timeout_s=240), f"{lam.pending} invocations still running"
            chaos_thread.join(timeout=120)
            assert "up" in crash, "the node was never killed and restarted"
        finally:
            lam.close()
        rejections[0] += _write_rejections(fault_node)
        delivered_at = time.monotonic() - started

        replayed = failed_replays = 0
        for region in EDGE_REGIONS:
            report = replay_queue(
                sqs[region],
                queues[region],
                settings[region],
                make_client(settings[region],
                            credentials=door.identity("operator").credentials()),
                seconds_per_message=60,
                wait_seconds=1,  # moto's long poll waits out the full time on an empty queue
                log=lambda _: None,
            )
            replayed += report.replayed
            failed_replays += report.failed + report.malformed

    ids, markers = stored(fault_node, f"{prefix}-*")
    _, error_markers = stored(fault_node, f"{prefix}-errors-*")
    lost = len(sent - set(markers))
    duplicates = sum(n - 1 for n in ids.values()) + sum(n - 1 for n in markers.values())
    tally = lam.tally
    retries_in_forwarder = sum(getattr(s, "retries", 0) for s in tally.summaries)
    figures = (
        f"fault: sent={len(sent)} stored={len(set(markers) & sent)} duplicates={duplicates} "
        f"lost={lost} | invocations={tally.accepted} attempts={tally.attempts} "
        f"failed_attempts={tally.failed_attempts} to_failure_queue={tally.to_destination} "
        f"replayed={replayed} node_429_rejections={rejections[0]} "
        f"forwarder_retries={retries_in_forwarder} errors_index={len(error_markers)} "
        f"kill_at={crash['kill']:.1f}s up_at={crash['up']:.1f}s "
        f"delivered_at={delivered_at:.1f}s total={time.monotonic() - started:.1f}s"
    )
    with capsys.disabled():
        print("\n" + figures)
        if tally.errors:
            print("fault: first failed attempt: " + tally.errors[0])

    for path in (f"{prefix}*", f"_index_template/{prefix}*"):
        with contextlib.suppress(OSError):
            req = urllib.request.Request(f"{fault_node}/{path}", method="DELETE")
            urllib.request.urlopen(req, timeout=60).read()

    assert len(sent) >= TOTAL_EVENTS
    assert lost == 0, figures
    assert duplicates == 0, figures
    assert not error_markers, figures
    assert failed_replays == 0, figures
    # The run must have exercised what it claims to: the Lambda retry path, the failure queue
    # and replay, and the node's 429s.
    assert tally.failed_attempts > 0, figures
    assert tally.to_destination > 0 and replayed == tally.to_destination, figures
    assert rejections[0] > 0, figures
    # Nothing got in without the signature and the program's policies allowing it.
    assert door.decisions and all(d.admitted for d in door.decisions), figures
