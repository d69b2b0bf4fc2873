#!/usr/bin/env python3
"""Load at scale on one machine: every region's forwarder at its reserved concurrency, one
node, for minutes. Figures, not a test (it runs >= 5 minutes).

    python bench/load_bench.py [--minutes 5] [--events 10000] [--write-queue 8]
    python bench/load_bench.py --write-docs    # and its lines into docs/performance.md

Starts its own node (`edgelogs node`), with a small write queue
(``thread_pool.write.queue_size``, default 32 instead of 10,000) so that this one machine's
node answers 429 the way a busy domain does: the bench's point is that the forwarders ride
those out. Then one forwarder process per default region (13), each running as many
invocations at once as a forwarder's reserved concurrency allows (``forwarderConcurrency``,
default 5: Lambda runs each in its own container, here each is a thread with its own client),
back to back, each invocation a fresh batch of ``--events`` Lambda@Edge log events with ids
no other batch has, through ``forwarder.handler.process`` with the deployed function's
timeout. An invocation that fails is invoked again with the same event, as Lambda's
asynchronous retry does (a third failure would go to the failure queue: counted).

At the end it counts the documents on the node: every event sent must be stored exactly
once (ids are unique per event, so the count equal to the events sent means none lost and
none twice). It reports events/s stored, the node's 429s (write rejections and the
forwarders' retried items), and the node's CPU (its process's CPU seconds over the wall time,
from /proc) beside the whole machine's load.

The last line is:
summary-load: minutes=... processes=13 concurrency=5 events=... events_per_s=... ...
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import json
import multiprocessing
import os
import shlex
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "bench")]

# Only what every forwarder process needs is imported here: each is spawned and imports
# this module again (the deploy side's config and the node helpers are main()'s alone).
from tests.forwarder.payloads import BASE_MS, payload, realistic_events  # noqa: E402

BENCH_NODE = "load-bench"
HEAP = "2g"  # 65 invocations x 2 bulk bodies of up to 5 MB can be in the node at once
# Lambda's asynchronous invocation retries a failed event twice, then hands it to the
# failure destination (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
ASYNC_RETRIES = 2


def http(url: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read())


def write_rejections(url: str) -> int:
    stats = http(f"{url}/_nodes/_local/stats/thread_pool?filter_path=nodes.*.thread_pool.write")
    (node,) = stats["nodes"].values()
    return node["thread_pool"]["write"]["rejected"]


def batch_event(template: list[tuple[int, str]], region_no: int, worker: int, k: int) -> dict:
    """The k-th batch of one invocation slot: the template's lines at their own offsets,
    on one day, under ids that name (region, slot, batch, line), so no two batches share one."""
    base = BASE_MS - 4 * 3_600_000 + k * 1_000  # 12:00 UTC on, same day
    events = [{"id": f"{base + dt:020d}{region_no:04d}{worker:04d}{k:08d}{i:020d}",
               "timestamp": base + dt, "message": message}
              for i, (dt, message) in enumerate(template)]
    raw = json.dumps(payload(events)).encode()
    # gzip level 1: the bench's own CPU is the machine's too; CloudWatch's bytes look alike.
    return {"awslogs": {"data": base64.b64encode(gzip.compress(raw, 1, mtime=0)).decode()}}


def region_process(url: str, prefix: str, region: str, region_no: int, concurrency: int,
                   n: int, seconds: float, timeout_s: int, barrier: Any, results: Any) -> None:
    """One region's forwarder: ``concurrency`` invocations at a time for ``seconds`` once
    every process is ready."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - each invocation's JSON log line
    from forwarder.client import make_client
    from forwarder.errors import DeliveryError
    from forwarder.handler import process
    from forwarder.settings import Settings

    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": region,
                                  "INDEX_PREFIX": prefix})
    events = realistic_events(n, seed=region_no)
    template = [(e["timestamp"] - events[0]["timestamp"], e["message"]) for e in events]
    totals = {"sent": 0, "stored": 0, "present": 0, "invocations": 0, "failed": 0,
              "to_failure_queue": 0, "retried_items": 0, "ms": []}
    lock = threading.Lock()
    # Templates and the lifecycle check done once, connections warm: a container that ran.
    process(batch_event(template[:10], region_no, 9999, 0), settings, make_client(settings),
            time.monotonic() + timeout_s)
    barrier.wait()
    end_at = time.monotonic() + seconds

    def slot(worker: int) -> None:
        client = make_client(settings)  # a container of its own
        k = 0
        while time.monotonic() < end_at:
            event = batch_event(template, region_no, worker, k)
            k += 1
            for attempt in range(100):
                deadline = time.monotonic() + timeout_s
                try:
                    summary = process(event, settings, client, deadline)
                except DeliveryError:
                    with lock:
                        totals["failed"] += 1
                        if attempt == ASYNC_RETRIES:
                            totals["to_failure_queue"] += 1  # replayed below, as an operator
                    continue
                with lock:
                    totals["invocations"] += 1
                    totals["sent"] += n
                    totals["stored"] += summary.stored
                    totals["present"] += summary.already_present
                    totals["retried_items"] += summary.retries
                    totals["ms"].append(summary.ms)
                break

    threads = [threading.Thread(target=slot, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((region, totals, time.process_time()))


def main() -> None:
    from components.config import DEFAULT_FORWARDER_CONCURRENCY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--events", type=int, default=10_000, help="events per invocation")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_FORWARDER_CONCURRENCY,
                        help="invocations at once per region (forwarderConcurrency)")
    parser.add_argument("--write-queue", type=int, default=32,
                        help="the node's thread_pool.write.queue_size")
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the printed figures into docs/performance.md")
    args = parser.parse_args()
    from bench import docs_block

    with docs_block.printed() as lines:
        exact = run(args)
    if args.write_docs:
        docs_block.write({"load": lines},
                         shlex.join(["python", "bench/load_bench.py", *sys.argv[1:]]))
        print(f"written: load in {docs_block.DOCS.relative_to(ROOT)}")
    if not exact:
        sys.exit(1)


def run(args: argparse.Namespace) -> bool:
    """The load run; True when every event sent was stored exactly once."""
    from forwarder_bench import node_cpu_reader

    from components.config import DEFAULT_REGIONS
    from components.regional_forwarder import TIMEOUT_SECONDS
    from tests.integration.node import NodeFailed, start_node, stop_node

    regions = list(DEFAULT_REGIONS)
    warm_events = len(regions) * 10  # each process's first small invocation

    url = start_node(BENCH_NODE, 0, heap=HEAP,
                     settings={"thread_pool.write.queue_size": str(args.write_queue)})
    try:
        node_cpu = node_cpu_reader(url)
        prefix = f"load-{uuid.uuid4().hex[:8]}"
        ctx = multiprocessing.get_context("spawn")
        results, barrier = ctx.Queue(), ctx.Barrier(len(regions) + 1)
        procs = [ctx.Process(target=region_process, args=(
            url, prefix, region, i, args.concurrency, args.events, args.minutes * 60,
            TIMEOUT_SECONDS, barrier, results))
            for i, region in enumerate(regions)]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=900)  # every process imported, warm, its templates checked
        rejected0 = write_rejections(url)
        cpu0 = node_cpu() if node_cpu else float("nan")
        load0 = os.getloadavg()
        started = time.monotonic()
        done = [results.get(timeout=args.minutes * 60 + 1800) for _ in procs]
        wall = time.monotonic() - started
        for proc in procs:
            proc.join(timeout=60)
        node_cpu_s = (node_cpu() - cpu0) if node_cpu else float("nan")
        load1 = os.getloadavg()
        rejected = write_rejections(url) - rejected0
        http(f"{url}/{prefix}-*/_refresh", "POST")
        counted = http(f"{url}/{prefix}-2*/_count")["count"] - warm_events
        errors_docs = http(f"{url}/{prefix}-errors-*/_count")["count"]
    finally:
        with contextlib.suppress(NodeFailed):
            stop_node(BENCH_NODE)

    def total(key: str) -> int:
        return sum(t[key] for _, t, _ in done)

    sent, stored, present = total("sent"), total("stored"), total("present")
    ms = sorted(m for _, t, _ in done for m in t["ms"]) or [0]
    forwarder_cpu_s = sum(c for _, _, c in done)
    cpus = len(os.sched_getaffinity(0))
    print(f"load: {len(regions)} forwarder processes (one per region) x {args.concurrency} "
          f"invocations at once, {args.events} events each, {wall / 60:.1f} min, one node "
          f"(write queue {args.write_queue}, heap {HEAP}), {cpus} CPUs shared")
    print(f"invocations: {total('invocations')} succeeded, {total('failed')} failed and "
          f"invoked again ({total('to_failure_queue')} past Lambda's {ASYNC_RETRIES} retries), "
          f"duration median {ms[len(ms) // 2] / 1000:.1f} s, p95 "
          f"{ms[int(len(ms) * 0.95)] / 1000:.1f} s, max {ms[-1] / 1000:.1f} s")
    print(f"429s: node write rejections {rejected}, items the forwarders sent again "
          f"{total('retried_items')}")
    print(f"stored: {sent} events sent; the invocations that succeeded created {stored} and "
          f"found {present} already stored (by an earlier, failed attempt at the same batch, "
          f"or a request whose answer was lost); {counted} documents counted on the node, "
          f"{errors_docs} in the errors index: "
          f"{'every event stored exactly once' if counted == sent else 'MISMATCH'}")
    print(f"throughput: {counted / wall:,.0f} events/s stored; node CPU {node_cpu_s / wall:.2f} "
          f"CPUs busy ({node_cpu_s * 1e6 / max(counted, 1):.0f} CPU µs per event), forwarders "
          f"{forwarder_cpu_s / wall:.2f} CPUs; machine load average {load0[0]:.1f} at start, "
          f"{load1[0]:.1f} at end")
    print(f"summary-load: minutes={wall / 60:.1f} processes={len(regions)} "
          f"concurrency={args.concurrency} events={counted} sent={sent} "
          f"events_per_s={counted / wall:.0f} node_cpus={node_cpu_s / wall:.2f} "
          f"rejections={rejected} exactly_once={counted == sent}")
    return counted == sent


if __name__ == "__main__":
    main()
