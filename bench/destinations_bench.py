#!/usr/bin/env python3
"""Destinations benchmark: events/s per invocation for each destination, figures not a test.

    python bench/destinations_bench.py [--events 10000] [--runs 5]

Starts what it sends to, on free ports with files in .cache: an OpenSearch node
(edgelogs node, unless OPENSEARCH_URL is set), rsyslog with its TLS and plain TCP
inputs (ops/demo_syslog.py) and VictoriaLogs (.cache/go/bin/victoria-logs, built by .ci/run).
For each destination alone, ``forwarder.handler.process`` runs fresh realistic batches of
``--events`` events, in rounds that take every destination in turn (after ``--warm`` untimed
rounds), and the bench reports, as the median of ``--runs`` rounds:

- events/s per invocation: events over the invocation's wall time;
- CPU rate: events over the forwarder's own CPU time (this process, every thread:
  ``time.process_time``), the receivers running in processes of their own;
- the CPU rate as a multiple of the OpenSearch path's, the median of the rounds' ratios (the
  target: at least 0.5).

The last line is
summary-destinations: opensearch_eps=N opensearch_cpu_eps=N syslog_tls_eps=N
syslog_tls_cpu_eps=N syslog_tls_cpu_x=X ... http_cpu_x=X
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src")]

from forwarder.client import make_client  # noqa: E402
from forwarder.handler import process  # noqa: E402
from forwarder.http_shipper import HttpShipper  # noqa: E402
from forwarder.settings import Settings  # noqa: E402
from forwarder.syslog_shipper import SyslogShipper  # noqa: E402

from ops.demo_syslog import LocalRsyslog  # noqa: E402
from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events  # noqa: E402
from tests.integration.node import start_node, stop_node  # noqa: E402
from tests.support.receivers import VictoriaLogs  # noqa: E402

REGION = "eu-west-1"
NODE = "bench-destinations"


def batch(n: int, k: int) -> dict[str, Any]:
    """The k-th batch of new events (a minute apart, all on one day)."""
    return encode(payload(realistic_events(n, seed=20_000 + k, base_ms=BASE_MS - k * 60_000)))


def timed(name: str, event: dict[str, Any],
          invoke: Callable[[dict[str, Any]], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one invocation."""
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        summary = invoke(event)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    undelivered = summary.undelivered + sum(d["undelivered"]
                                            for d in summary.destinations.values())
    if undelivered:
        raise SystemExit(f"{name}: {undelivered} events undelivered: {summary.reason}")
    return wall, cpu


def rounds(n: int, warm: int, runs: int,
           paths: dict[str, Callable[[dict[str, Any]], Any]]) -> dict[str, list[tuple[float,
                                                                                float]]]:
    """Each round runs every destination once, on fresh batches, so that they all see the
    same machine (shared, its speed drifts); the first ``warm`` rounds are not kept."""
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    for k in range(warm + runs):
        for i, (name, invoke) in enumerate(paths.items()):
            result = timed(name, batch(n, 1000 * i + k), invoke)
            if k >= warm:
                out[name].append(result)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    n, runs, warm = args.events, args.runs, args.warm
    print(f"cpus={os.cpu_count()} python={sys.version.split()[0]}", flush=True)

    own_node = not os.environ.get("OPENSEARCH_URL")
    url = start_node(NODE, 0) if own_node else os.environ["OPENSEARCH_URL"].rstrip("/")
    bench_dir = ROOT / ".cache" / "bench-destinations"
    shutil.rmtree(bench_dir, ignore_errors=True)
    rsyslog = LocalRsyslog(bench_dir / "rsyslog")
    vl = VictoriaLogs()
    try:
        domain = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": REGION,
                                    "INDEX_PREFIX": "bench-dest"})
        client = make_client(domain)

        def alone(dest: dict[str, Any], shipper: Any) -> Callable[[dict[str, Any]], Any]:
            s = Settings.from_env({"AWS_REGION": REGION, "DESTINATIONS": json.dumps([dest])})
            return lambda ev: process(ev, s, None, time.monotonic() + 300, None, [shipper])

        tls = SyslogShipper("syslog-tls", "127.0.0.1", rsyslog.tls_port, True, 30.0,
                            cafile=str(rsyslog.certs.ca))
        tcp = SyslogShipper("syslog-tcp", "127.0.0.1", rsyslog.tcp_port, False, 30.0)
        http = HttpShipper("http", vl.jsonline_url, {}, 30.0, 5 * 1024 * 1024)
        measured = rounds(n, warm, runs, {
            "opensearch": lambda ev: process(ev, domain, client, time.monotonic() + 300),
            "syslog_tls": alone({"type": "syslog", "host": "127.0.0.1",
                                 "port": rsyslog.tls_port}, tls),
            "syslog_tcp": alone({"type": "syslog", "host": "127.0.0.1",
                                 "port": rsyslog.tcp_port, "tls": False}, tcp),
            "http": alone({"type": "http", "url": vl.jsonline_url}, http),
        })
    finally:
        rsyslog.stop()
        vl.stop()
        if own_node:
            stop_node(NODE)

    parts = []
    base = measured["opensearch"]
    for name, results in measured.items():
        walls, cpus = [w for w, _ in results], [c for _, c in results]
        eps, cpu_eps = n / statistics.median(walls), n / statistics.median(cpus)
        print(f"{name}: {eps:,.0f} events/s per invocation (median of {runs} invocations of "
              f"{n} events, {statistics.median(walls) * 1000:.0f} ms), CPU rate "
              f"{cpu_eps:,.0f} events per CPU second")
        parts += [f"{name}_eps={eps:.0f}", f"{name}_cpu_eps={cpu_eps:.0f}"]
        if name != "opensearch":
            # Per round: the OpenSearch path's CPU time over this one's, run moments apart.
            x = statistics.median(o[1] / c for o, c in zip(base, cpus, strict=True))
            parts.append(f"{name}_cpu_x={x:.2f}")
            print(f"{name}: CPU rate {x:.2f}x the OpenSearch path's (median of the rounds' "
                  f"ratios; target >= 0.5: {'met' if x >= 0.5 else 'NOT met'})")
    print("summary-destinations: " + " ".join(parts))


if __name__ == "__main__":
    main()
