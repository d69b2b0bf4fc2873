#!/usr/bin/env python3
"""Forwarder benchmark: figures, not a timed test.

    OPENSEARCH_URL=http://127.0.0.1:9250 python bench/forwarder_bench.py [--events 10000]
    python bench/forwarder_bench.py --write-docs     # and rewrite docs/performance.md's figures

Without OPENSEARCH_URL a node is started with `edgelogs node` (and stopped after).
Measures, in one run, for one realistic 10,000-event Lambda@Edge batch:

1. CPU path, decode -> bulk body (base64, gunzip, JSON, line parsing, documents, NDJSON
   bytes of every chunk) and the floor (base64 decode + gunzip + json.loads + one minimal
   json.dumps per event), run back to back 31 times: events/s from the best CPU-path run,
   the ratio as the median of the 31 per-round ratios.
2. End to end into the node, both paths warmed first: ``forwarder.handler.process``
   (best of three 10,000-event batches) against indexing the documents of the first batch
   one request per event (same client, keep-alive, same node, same template).
3. Peak RSS of one 10,000-event invocation, in a fresh interpreter (imports included).

4. Bulk requests in flight (``BULK_CONCURRENCY``): for 1, 2 and 4, invocations of fresh
   10,000-event batches paired with the sequential path (1 in flight) and interleaved pair by
   pair and level by level, on the same node (median of ``--pairs`` pairs; 1 against 1 is the
   control), with how many CPUs the node and the forwarder kept busy together during an
   invocation (their CPU time over its wall time; the node's read from /proc, so only for
   a node on this machine) and the ceiling that puts on the speedup (the sequential time
   over the concurrent side's CPU time spread over every CPU); and saturation: events/s
   one node sustains from 4 forwarder processes at once, each running
   ``--saturation-invocations`` invocations, sequential against concurrent taking turns
   (median of three), with the node's own indexing microseconds per document
   (``_stats/indexing``).

5. On the function's share of a CPU: the forwarder in a cgroup held to the deployed
   function's share (256 MB of the 1,769 MB that buy one vCPU: 0.145 of a CPU), the node
   unthrottled as a domain on its own hardware, sequential against 2 and 4 in flight, paired
   (needs root and a cgroup cpu controller; otherwise says it was not measured).

The last lines are:
summary: cpu_events_per_s=N cpu_ratio_to_floor=X e2e_ratio_vs_per_event=Y peak_rss_mb=Z
summary-lambda: memory_mb=256 cpu_share=0.145 lambda_ms_1=... lambda_ms_2=... ...
summary-concurrency: speedup_2=... speedup_4=... busy_cpus_2=... ceiling_2=... ...
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import io
import json
import math
import multiprocessing
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from operator import truediv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src")]

from domain_setup import template  # noqa: E402
from forwarder import documents  # noqa: E402
from forwarder.bulk import Shipper  # noqa: E402
from forwarder.client import make_client  # noqa: E402
from forwarder.decode import decode_event  # noqa: E402
from forwarder.handler import Summary, prepare, process  # noqa: E402
from forwarder.settings import Settings  # noqa: E402

from bench import docs_block  # noqa: E402
from tests.forwarder.payloads import (  # noqa: E402
    BASE_MS,
    encode,
    payload,
    realistic_events,
)
from tests.integration.node import NodeFailed, start_node, stop_node  # noqa: E402

REGION = "eu-west-1"


def paired_runs(runs: int, floor_fn, cpu_fn) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Run the floor and the forwarder's CPU path back to back, ``runs`` times.

    Returns (best floor time, best CPU-path time, median of the per-round ratios). Each
    ratio compares two runs made a few milliseconds apart, so a shared machine slowing
    down or speeding up between rounds does not move it; the median ignores outliers.
    """
    floors, cpus, ratios = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        floor_fn()
        t1 = time.perf_counter()
        cpu_fn()
        t2 = time.perf_counter()
        floors.append(t1 - t0)
        cpus.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return min(floors), min(cpus), statistics.median(ratios)


def floor(event: dict) -> int:
    raw = gzip.decompress(base64.b64decode(event["awslogs"]["data"]))
    doc = json.loads(raw)
    n = 0
    for ev in doc["logEvents"]:
        n += len(json.dumps({"@timestamp": ev["timestamp"], "message": ev["message"]}))
    return n


def cpu_path(event: dict, settings: Settings) -> int:
    """decode -> bulk bodies, exactly as forwarder.handler.process does it."""
    _, batch = prepare(event, settings.region, settings.index_prefix,
                       time.time_ns() // 1_000_000)
    shipper = Shipper(None, 0.0, 0.0, settings.bulk_max_bytes,  # type: ignore[arg-type]
                      settings.bulk_max_docs, 1.0)
    lines = batch.lines
    n = 0
    for chunk in shipper.chunks(lines, range(len(lines)), batch.indices):
        # The body exactly as bulk.Shipper._send builds it for a first-round chunk.
        n += len("".join(lines[chunk[0]:chunk[-1] + 1]).encode("ascii"))
    return n


BENCH_NODE, BENCH_PORT = "bench", 0  # 0: a free port
# A freshly started node is slow until its JIT has compiled the indexing path: invocations of
# 10,000 events took 2.5 s, 1.0 s, 0.8 s, 0.6 s ... and settled at ~0.25 s after about a
# dozen. Every timed part starts after this many batches.
WARM_BATCHES = 12


def node_url() -> tuple[str, bool]:
    """(URL, started here): OPENSEARCH_URL, or a node of the bench's own."""
    if os.environ.get("OPENSEARCH_URL"):
        return os.environ["OPENSEARCH_URL"].rstrip("/"), False
    return start_node(BENCH_NODE, BENCH_PORT), True


def delete(url: str, path: str) -> None:
    req = urllib.request.Request(f"{url}/{path}", method="DELETE")
    with contextlib.suppress(OSError):
        urllib.request.urlopen(req, timeout=60).read()


# Measures one invocation in a fresh interpreter, so the figure includes the imports.
RSS_CHILD = Path(__file__).with_name("forwarder_rss_child.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    # Many runs: on a shared VM only the best ones show the code rather than the neighbours.
    parser.add_argument("--runs", type=int, default=31)
    # A pair's ratio moves with the node's own work (its segment flushes take one invocation
    # in ten or twenty to a second instead of ~0.3 s; per-pair ratios spread 1.2-1.7 between
    # quartiles): medians of 21 pairs moved 1.31-1.64 between runs, of 61 pairs about +-0.06.
    parser.add_argument("--pairs", type=int, default=61)
    parser.add_argument("--saturation-invocations", type=int, default=8)
    parser.add_argument("--concurrency-only", action="store_true",
                        help="measure only part 4 (bulk requests in flight, saturation)")
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the printed figures into docs/performance.md (its "
                             "generated blocks: forwarder, concurrency)")
    args = parser.parse_args()
    blocks: dict[str, list[str]] = {}
    if not args.concurrency_only:
        with docs_block.printed() as blocks["forwarder"]:
            forwarder_main(args)
    with docs_block.printed() as blocks["concurrency"]:
        concurrency_main(args.events, args.pairs, args.saturation_invocations)
    if args.write_docs:
        docs_block.write(blocks, shlex.join(["python", "bench/forwarder_bench.py",
                                             *sys.argv[1:]]))
        print(f"written: {', '.join(blocks)} in {docs_block.DOCS.relative_to(ROOT)}")


def forwarder_main(args: argparse.Namespace) -> None:
    """Parts 1 to 3: the CPU path, end to end against one request per event, peak RSS."""
    n = args.events
    events = realistic_events(n, seed=42)
    event = encode(payload(events))
    compressed = len(event["awslogs"]["data"])
    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9",
                                  "AWS_REGION": REGION, "INDEX_PREFIX": "bench"})
    print(f"batch: {n} events, awslogs.data {compressed} bytes (base64)")

    # 1. CPU path against the floor, interleaved so both see the same machine state.
    floor(event), cpu_path(event, settings)  # warm-up: imports, regex caches
    t_floor, t_cpu, ratio = paired_runs(args.runs, lambda: floor(event),
                                        lambda: cpu_path(event, settings))
    cpu_eps = n / t_cpu
    body_bytes = cpu_path(event, settings)
    print(f"cpu: floor best {t_floor * 1000:.1f} ms ({n / t_floor:,.0f} events/s), forwarder "
          f"decode->bulk body best {t_cpu * 1000:.1f} ms ({cpu_eps:,.0f} events/s), "
          f"body {body_bytes} bytes, ratio {ratio:.2f} (median of {args.runs} paired runs; "
          f"best/best {t_cpu / t_floor:.2f})")

    url, started = node_url()
    try:
        run = uuid.uuid4().hex[:8]
        fwd_prefix, pe_prefix = f"bench-{run}-bulk", f"bench-{run}-one"
        fwd_settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": REGION,
                                          "INDEX_PREFIX": fwd_prefix})
        client = make_client(fwd_settings)

        # Warm both paths first, the same way a long-lived node and container are warm:
        # the node's JIT (WARM_BATCHES full-size batches into a scratch prefix, and a
        # thousand single requests), templates installed, the day's index created,
        # connections open.
        warm_prefix = f"bench-{run}-warm"
        warm_settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": REGION,
                                           "INDEX_PREFIX": warm_prefix})
        for k in range(WARM_BATCHES):
            run_quietly(fresh_batch(n, 100 + k), warm_settings, client)
        # Same day (same index), other event ids.
        warm = encode(payload(realistic_events(1000, seed=7, base_ms=BASE_MS + 5 * 3_600_000)))
        process(warm, fwd_settings, client, time.monotonic() + 300)
        for name, body in template.templates(pe_prefix).items():
            client.indices.put_index_template(name=name, body=body)
        warm_batch = documents.build(decode_event(warm), REGION, pe_prefix, 0)
        for line, index in zip(warm_batch.lines, warm_batch.indices, strict=True):
            client.index(index=index, id=documents.target_id(line), body=line.split("\n", 2)[1])

        # 2a. the forwarder, end to end: best of three batches of n new events (same day).
        t_fwd = float("inf")
        for i, batch_event in enumerate([event] + [
                encode(payload(realistic_events(n, seed=42 + i,
                                                base_ms=BASE_MS + i * 3_600_000)))
                for i in (1, 2)]):
            t0 = time.perf_counter()
            summary = process(batch_event, fwd_settings, client, time.monotonic() + 300)
            t_fwd = min(t_fwd, time.perf_counter() - t0)
            assert summary.stored == n, (i, summary)

        # 2b. one request per event: the same documents, same template, same client.
        batch = documents.build(decode_event(event), REGION, pe_prefix,
                                time.time_ns() // 1_000_000)
        requests = [(index, documents.target_id(line), line.split("\n", 2)[1])
                    for line, index in zip(batch.lines, batch.indices, strict=True)]
        t0 = time.perf_counter()
        for index, id_, source in requests:
            client.index(index=index, id=id_, body=source)
        t_pe = time.perf_counter() - t0
        e2e = t_pe / t_fwd
        print(f"e2e: forwarder {t_fwd * 1000:.0f} ms ({summary.requests} bulk request(s), "
              f"{n / t_fwd:,.0f} events/s), one request per event {t_pe * 1000:.0f} ms "
              f"({n / t_pe:,.0f} events/s), ratio {e2e:.1f}")

        # 3. peak RSS of one invocation in a fresh interpreter.
        rss_prefix = f"bench-{run}-rss"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(event, f)
        try:
            out = subprocess.run(
                [sys.executable, "-I", str(RSS_CHILD), str(ROOT / "lambda_src"), url, rss_prefix,
                 f.name], check=True, capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        rss_mb = int(out.stdout.strip().splitlines()[-1]) / 1024
        print(f"memory: peak RSS of one {n}-event invocation {rss_mb:.1f} MB")
        for prefix in (fwd_prefix, pe_prefix, rss_prefix, warm_prefix):
            delete(url, f"{prefix}*")
            delete(url, f"_index_template/{prefix}*")
    finally:
        if started:
            # The figures are printed either way; a node that will not stop is not a result.
            with contextlib.suppress(NodeFailed):
                stop_node(BENCH_NODE)

    print(f"summary: cpu_events_per_s={cpu_eps:.0f} cpu_ratio_to_floor={ratio:.2f} "
          f"e2e_ratio_vs_per_event={e2e:.1f} peak_rss_mb={rss_mb:.1f}")


# -- 4. bulk requests in flight ----------------------------------------------------------------

LEVELS = (1, 2, 4)  # bulk requests in flight measured against the sequential path
SATURATION_PROCESSES = 4
CPUS = len(os.sched_getaffinity(0))  # this machine's, shared by the node and the forwarder
BENCH_HEAP = "1g"  # the node the bench starts for part 4: room for 16 bulk bodies at once


def conc_settings(url: str, prefix: str, concurrency: int) -> Settings:
    return Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": REGION,
                              "INDEX_PREFIX": prefix, "BULK_CONCURRENCY": str(concurrency)})


def run_quietly(event: dict, settings: Settings, client: object) -> Summary:
    """handler.process with its one log line per invocation kept off the bench's output."""
    with contextlib.redirect_stdout(io.StringIO()):
        return process(event, settings, client, time.monotonic() + 300)


def fresh_batch(n: int, k: int) -> dict:
    """The k-th batch of new events, all on the same day (16:00 UTC minus k minutes: a
    10,000-event batch spans under a minute), so every one goes to the same index."""
    return encode(payload(realistic_events(n, seed=10_000 + k, base_ms=BASE_MS - k * 60_000)))


def indexing(url: str, pattern: str) -> tuple[int, int]:
    """(documents indexed, milliseconds the node spent indexing them) on ``pattern``."""
    with urllib.request.urlopen(f"{url}/{pattern}/_stats/indexing", timeout=60) as resp:
        stats = json.loads(resp.read())["_all"]["primaries"]["indexing"]
    return stats["index_total"], stats["index_time_in_millis"]


def node_cpu_reader(url: str) -> Callable[[], float] | None:
    """A function giving the CPU seconds the node's process has used so far (all its
    threads: indexing, segment flushes, GC, HTTP), read from /proc: None when the node is
    not a process of this machine. (Its stats API's ``process.cpu`` is refreshed once a
    second at most, too coarse for one invocation.)"""
    path = "_nodes/_local/process?filter_path=nodes.*.process.id"
    with urllib.request.urlopen(f"{url}/{path}", timeout=60) as resp:
        (node,) = json.loads(resp.read())["nodes"].values()
    proc = Path(f"/proc/{node['process']['id']}")
    stat = proc / "stat"
    try:  # the same pid in this machine's /proc, and an OpenSearch process (not a container's)
        if b"org.opensearch.bootstrap.OpenSearch" not in (proc / "cmdline").read_bytes():
            return None
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return seconds


def us_per_doc(before: tuple[int, int], after: tuple[int, int]) -> float:
    docs, ms = after[0] - before[0], after[1] - before[1]
    return ms * 1000 / docs if docs else float("nan")


def paired_levels(url: str, n: int, pairs: int, levels: tuple[int, ...] = LEVELS,
                  batch: Callable[[int], dict] | None = None) -> dict[int, dict[str, Any]]:
    """For each level: medians of the sequential and the concurrent invocation's ms, the
    median of the per-pair speedups (sequential / concurrent), the node's indexing µs per
    document on each side, how many CPUs the node and the forwarder kept busy together
    during an invocation (their CPU time over its wall time, median), the ceiling that CPU
    time puts on the speedup, and every sequential run's ms (``seq_runs``).

    Every pair is two fresh batches (``batch(k)``, by default ``fresh_batch(n, k)``) on one
    client (a warm container); which side goes first alternates, and the levels take turns,
    so drift on a shared machine hits all alike.
    """
    batch = batch or (lambda k: fresh_batch(n, k))
    prefix = f"bench-{uuid.uuid4().hex[:8]}-conc"
    settings = {c: conc_settings(url, prefix, c) for c in {1, *levels}}
    client = make_client(settings[1])
    for k in range(WARM_BATCHES):  # warm: templates, the day's index, connections, the JIT
        run_quietly(batch(k), settings[levels[k % len(levels)]], client)
    k = WARM_BATCHES
    times: dict[int, dict[str, list[float]]] = {c: {"seq": [], "conc": []} for c in levels}
    cpu: dict[int, dict[str, list[float]]] = {c: {"seq": [], "conc": []} for c in levels}
    # CPU seconds of the node and the forwarder together, per invocation
    work: dict[int, dict[str, list[float]]] = {c: {"seq": [], "conc": []} for c in levels}
    node_cpu = node_cpu_reader(url) or (lambda: math.nan)
    node = {c: {"seq": [0, 0], "conc": [0, 0]} for c in levels}  # documents, ms indexing
    for p in range(pairs):
        for c in levels:
            sides = [("seq", 1), ("conc", c)]
            for side, level in sides if p % 2 == 0 else sides[::-1]:
                event = batch(k)
                k += 1
                before, node0 = indexing(url, f"{prefix}-2*"), node_cpu()
                t0, cpu0 = time.perf_counter(), time.process_time()
                summary = run_quietly(event, settings[level], client)
                wall = time.perf_counter() - t0
                times[c][side].append(wall)
                cpu[c][side].append(time.process_time() - cpu0)  # every thread's CPU
                work[c][side].append(node_cpu() - node0 + cpu[c][side][-1])
                after = indexing(url, f"{prefix}-2*")
                node[c][side][0] += after[0] - before[0]
                node[c][side][1] += after[1] - before[1]
                assert summary.stored == n, summary
    out: dict[int, dict[str, Any]] = {}
    for c in levels:
        seq, conc = times[c]["seq"], times[c]["conc"]
        ratios = [s / x for s, x in zip(seq, conc, strict=True)]
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        out[c] = {
            "seq_ms": statistics.median(seq) * 1000,
            "conc_ms": statistics.median(conc) * 1000,
            "speedup": statistics.median(ratios),
            "q1": quartiles[0],
            "q3": quartiles[2],
            "seq_cpu_ms": statistics.median(cpu[c]["seq"]) * 1000,
            "conc_cpu_ms": statistics.median(cpu[c]["conc"]) * 1000,
            # CPUs busy during an invocation, node and forwarder together (median)
            "seq_busy": statistics.median(map(truediv, work[c]["seq"], seq)),
            "conc_busy": statistics.median(map(truediv, work[c]["conc"], conc)),
            # The speedup if the concurrent side's CPU work had kept every CPU busy from
            # its first moment to its last (median of the pairs): what no shipper can pass.
            "ceiling": statistics.median(s * CPUS / w for s, w in zip(
                seq, work[c]["conc"], strict=True)),
            "seq_us_per_doc": us_per_doc((0, 0), tuple(node[c]["seq"])),
            "conc_us_per_doc": us_per_doc((0, 0), tuple(node[c]["conc"])),
            "seq_runs": [t * 1000 for t in seq],
        }
    delete(url, f"{prefix}*")
    delete(url, f"_index_template/{prefix}*")
    return out


def saturation_worker(url: str, prefix: str, concurrency: int, n: int, invocations: int,
                      first: int, barrier: object, results: object) -> None:
    """One forwarder process (a container): its own client, ``invocations`` batches back to
    back once every process is ready. Reports (start, end, events stored)."""
    settings = conc_settings(url, prefix, concurrency)
    client = make_client(settings)
    events = [fresh_batch(n, first + i) for i in range(invocations)]
    # Templates checked and connections open, as in a warm container.
    run_quietly(fresh_batch(10, first + invocations), settings, client)
    barrier.wait()  # type: ignore[attr-defined]
    started = time.monotonic()  # system-wide on Linux: comparable across processes
    stored = 0
    for event in events:
        summary = run_quietly(event, settings, client)
        stored += summary.stored + summary.already_present
    results.put((started, time.monotonic(), stored))  # type: ignore[attr-defined]


def saturation(url: str, n: int, invocations: int, concurrency: int,
               first: int) -> tuple[float, float]:
    """Events/s one node sustains from SATURATION_PROCESSES forwarder processes at once
    (every event stored), and the node's indexing µs per document meanwhile."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}-sat"
    ctx = multiprocessing.get_context("spawn")  # no sockets or threads inherited
    barrier, results = ctx.Barrier(SATURATION_PROCESSES + 1), ctx.Queue()
    step = invocations + 1
    procs = [ctx.Process(target=saturation_worker, args=(
        url, prefix, concurrency, n, invocations, first + i * step, barrier, results))
        for i in range(SATURATION_PROCESSES)]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(timeout=600)  # every process has its batches and a warm client
        before = indexing(url, f"{prefix}-2*")
        done = [results.get(timeout=900) for _ in procs]
        after = indexing(url, f"{prefix}-2*")
    finally:
        for proc in procs:
            proc.join(timeout=60)
    start, end = min(d[0] for d in done), max(d[1] for d in done)
    stored = sum(d[2] for d in done)
    assert stored == SATURATION_PROCESSES * invocations * n, stored
    delete(url, f"{prefix}*")
    delete(url, f"_index_template/{prefix}*")
    return stored / (end - start), us_per_doc(before, after)


# -- 5. on the function's share of a CPU -------------------------------------------------------

# The size at which Lambda gives a function one vCPU: CPU is allocated in proportion to memory
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
ONE_VCPU_MB = 1769
QUOTA_PERIOD_US = 10_000  # short periods: the share is spread evenly, not in 100 ms bursts
LAMBDA_CHILD = Path(__file__).with_name("forwarder_lambda_child.py")


class NoQuota(Exception):
    """This machine gives no CPU quota to set (not root, or no cgroup cpu controller)."""


@contextlib.contextmanager
def cpu_quota(share: float) -> Iterator[Path]:
    """A cgroup that holds its processes to ``share`` of one CPU; yields its procs file.

    cgroup v1 (``cpu.cfs_quota_us``) or v2 (``cpu.max``); NoQuota when neither can be set."""
    quota = max(1000, round(share * QUOTA_PERIOD_US))
    name = f"edgelogs-bench-{os.getpid()}"
    for base, v2 in ((Path("/sys/fs/cgroup/cpu"), False), (Path("/sys/fs/cgroup"), True),
                     (Path("/sys/fs/cgroup/unified"), True)):
        if v2:
            controllers = base / "cgroup.controllers"
            if not controllers.exists() or "cpu" not in controllers.read_text().split():
                continue
        elif not (base / "cpu.cfs_quota_us").exists():
            continue
        group = base / name
        try:
            group.mkdir()
            if v2:
                (group / "cpu.max").write_text(f"{quota} {QUOTA_PERIOD_US}")
            else:
                (group / "cpu.cfs_period_us").write_text(str(QUOTA_PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as exc:
            with contextlib.suppress(OSError):
                group.rmdir()
            raise NoQuota(f"cannot set a CPU quota in {base}: {exc.strerror}") from None
        try:
            yield group / "cgroup.procs"
        finally:
            with contextlib.suppress(OSError):
                group.rmdir()  # empty once the child has exited
        return
    raise NoQuota("no cgroup cpu controller found")


def lambda_share(url: str, pairs: int) -> None:
    """Invocations with the forwarder held to its Lambda's share of a CPU (the node keeps
    the rest, as a domain on its own hardware would): sequential against 2 and 4 in flight,
    paired; the duration the README's cost of forwarding uses."""
    from components.regional_forwarder import MEMORY_MB  # the deployed function's memory

    share = MEMORY_MB / ONE_VCPU_MB
    levels = (2, 4)
    try:
        with cpu_quota(share) as procs:
            out = subprocess.run(
                [sys.executable, str(LAMBDA_CHILD), str(ROOT), url, str(procs), str(pairs),
                 ",".join(map(str, levels))],
                check=True, capture_output=True, text=True, timeout=1800)
    except NoQuota as exc:
        print(f"lambda share: not measured ({exc})")
        return
    runs = json.loads(out.stdout.strip().splitlines()[-1])  # paired_levels, in the child
    figures = []
    for c in levels:
        f = runs[str(c)]
        print(f"lambda share {share:.3f} of a CPU ({MEMORY_MB} MB), in flight {c}: "
              f"sequential {f['seq_ms']:.0f} ms, {c} in flight {f['conc_ms']:.0f} ms "
              f"(medians of {pairs} pairs), speedup {f['speedup']:.2f}")
        figures.append(f"lambda_ms_{c}={f['conc_ms']:.0f} lambda_speedup_{c}={f['speedup']:.2f}")
    seq_all = [ms for c in levels for ms in runs[str(c)]["seq_runs"]]
    print(f"summary-lambda: memory_mb={MEMORY_MB} cpu_share={share:.3f} "
          f"lambda_ms_1={statistics.median(seq_all):.0f} {' '.join(figures)}")


def concurrency_main(n: int, pairs: int, invocations: int) -> None:
    url = os.environ.get("OPENSEARCH_URL", "").rstrip("/")
    started = not url
    if started:
        url = start_node(BENCH_NODE, BENCH_PORT, heap=BENCH_HEAP)
    try:
        batch = realistic_events(n, seed=10_000)
        message_bytes = sum(len(e["message"].encode()) for e in batch)
        print(f"concurrency: {n}-event batches of {message_bytes} bytes of log text; node "
              f"{url}, {CPUS} CPU(s) shared by node and forwarder")
        levels = paired_levels(url, n, pairs)
        for c, f in levels.items():
            print(f"in flight {c}: sequential {f['seq_ms']:.0f} ms, {c} in flight "
                  f"{f['conc_ms']:.0f} ms (medians of {pairs} pairs), speedup {f['speedup']:.2f} "
                  f"(median of per-pair ratios, quartiles {f['q1']:.2f}-{f['q3']:.2f}); "
                  f"forwarder CPU {f['seq_cpu_ms']:.0f} / {f['conc_cpu_ms']:.0f} ms; "
                  + (f"CPUs busy {f['seq_busy']:.2f} / {f['conc_busy']:.2f} of {CPUS}, "
                     f"CPU-bound ceiling {f['ceiling']:.2f}; " if not math.isnan(f["ceiling"])
                     else "CPUs busy not measured (node not on this machine); ") +
                  f"node indexing {f['seq_us_per_doc']:.1f} / {f['conc_us_per_doc']:.1f} us/doc")
        # Saturation: sequential and concurrent take turns, three times each, each first once
        # (a run moves with the node's flushes and merges: the median of three is reported).
        sat: dict[int, list[tuple[float, float]]] = {1: [], 2: [], 4: []}
        first = 1_000
        for turn in range(3):
            for c in ((1, 2, 4), (2, 4, 1), (4, 1, 2))[turn]:
                sat[c].append(saturation(url, n, invocations, c, first))
                first += SATURATION_PROCESSES * (invocations + 1)
        for c, runs in sat.items():
            eps = ", ".join(f"{e:,.0f}" for e, _ in runs)
            us = ", ".join(f"{u:.1f}" for _, u in runs)
            print(f"saturation, {c} in flight: {SATURATION_PROCESSES} processes x {invocations} "
                  f"x {n} events: {eps} events/s; node indexing {us} us/doc")
        lambda_share(url, pairs)
        sat_eps = {c: statistics.median(e for e, _ in runs) for c, runs in sat.items()}
        sat_us = {c: statistics.median(u for _, u in runs) for c, runs in sat.items()}
        ms = {c: f["conc_ms"] for c, f in levels.items()}
        print(f"summary-concurrency: speedup_2={levels[2]['speedup']:.2f} "
              f"speedup_4={levels[4]['speedup']:.2f} control_1={levels[1]['speedup']:.2f} "
              f"ms_1={ms[1]:.0f} ms_2={ms[2]:.0f} ms_4={ms[4]:.0f} "
              f"cpu_ms_2={levels[2]['conc_cpu_ms']:.0f} "
              f"busy_cpus_1={levels[2]['seq_busy']:.2f} busy_cpus_2={levels[2]['conc_busy']:.2f} "
              f"busy_cpus_4={levels[4]['conc_busy']:.2f} ceiling_2={levels[2]['ceiling']:.2f} "
              f"ceiling_4={levels[4]['ceiling']:.2f} "
              f"saturation_eps_1={sat_eps[1]:.0f} saturation_eps_2={sat_eps[2]:.0f} "
              f"saturation_eps_4={sat_eps[4]:.0f} node_us_per_doc_1={sat_us[1]:.1f} "
              f"node_us_per_doc_2={sat_us[2]:.1f} node_us_per_doc_4={sat_us[4]:.1f} "
              f"batch_log_bytes={message_bytes}")
    finally:
        if started:
            with contextlib.suppress(NodeFailed):
                stop_node(BENCH_NODE)


if __name__ == "__main__":
    main()
