#!/usr/bin/env python3
"""What one forwarder document costs the node: today's mapping (frozen below) against the
one the domain setup installs now (``domain_setup.template``), in the same run. Figures, not a test.

    OPENSEARCH_URL=http://127.0.0.1:9250 python bench/mapping_bench.py [--batches 15]
    python bench/mapping_bench.py --write-docs    # and its lines into docs/performance.md

Without OPENSEARCH_URL a node is started with `edgelogs node` (and stopped after).
Both sides index the same events (the forwarder's documents, built by
``forwarder.documents.build`` from fresh 10,000-event Lambda@Edge batches; the baseline side
gets them as they were before issue 21: ``baseline_lines``), each into its own
daily index, one bulk request in flight (the forwarder's default 5 MB bodies), the sides
taking turns batch by batch (which goes first alternates) so drift on a shared machine hits
both alike. For each side:

- node indexing µs per document: the ``_stats/indexing`` ``index_time_in_millis`` delta
  over the ``index_total`` delta of each batch; the median over the batches, and the median
  of the per-batch ratios new/baseline;
- merged bytes per document: after every batch, force-merge to one segment, then the
  primaries' store size over their document count.

It also measures, for the capacity model, the node process's whole CPU per document (from
/proc: indexing, HTTP, flushes, merges) on each side, the forwarder's own CPU per event
(``handler.process`` into the node, median of 5) and the log text bytes per event, and
writes every figure to ``bench/results/mapping.json`` (``--json PATH``), which
``python bench/capacity.py`` turns into docs/capacity.md.

The last line is:
summary-mapping: base_us=... new_us=... us_ratio=... base_bytes=... new_bytes=... bytes_ratio=...
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import math
import os
import platform
import re
import shlex
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "bench")]

from domain_setup import template  # noqa: E402
from forwarder import documents  # noqa: E402
from forwarder.bulk import Shipper  # noqa: E402
from forwarder.client import make_client  # noqa: E402
from forwarder.decode import decode_event  # noqa: E402
from forwarder.handler import process  # noqa: E402
from forwarder.settings import (  # noqa: E402
    DEFAULT_BULK_MAX_BYTES,
    DEFAULT_BULK_MAX_DOCS,
    Settings,
)
from forwarder_bench import node_cpu_reader  # noqa: E402

from bench import docs_block  # noqa: E402
from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events  # noqa: E402
from tests.integration.node import NodeFailed, start_node, stop_node  # noqa: E402

REGION = "eu-west-1"
BENCH_NODE = "mapping-bench"
RESULTS = ROOT / "bench" / "results" / "mapping.json"
# A freshly started node is slow until its JIT has compiled the indexing path (see
# forwarder_bench.WARM_BATCHES): both sides get this many batches before any is timed.
WARM_BATCHES = 6
TARGET_US_RATIO = 0.75
TARGET_BYTES_RATIO = 0.8

# -- the baseline: the log index template as it was before issue 21, frozen ------------------
_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}
BASELINE_FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": _DATE,
    "event.ingested": _DATE,
    "event.id": _KEYWORD,
    "message": {"type": "text"},
    "tags": _KEYWORD,
    "cloud.provider": _KEYWORD,
    "cloud.region": _KEYWORD,
    "cloud.account.id": _KEYWORD,
    "log.group": _KEYWORD,
    "log.stream": _KEYWORD,
    "log.level": _KEYWORD,
    "faas.name": _KEYWORD,
    "faas.version": _KEYWORD,
    "aws.lambda.request_id": _KEYWORD,
    "aws.lambda.line_type": _KEYWORD,
    "aws.lambda.runtime_version": _KEYWORD,
    "aws.lambda.duration_ms": {"type": "double"},
    "aws.lambda.billed_duration_ms": {"type": "double"},
    "aws.lambda.memory_size_mb": {"type": "long"},
    "aws.lambda.max_memory_used_mb": {"type": "long"},
    "aws.lambda.init_duration_ms": {"type": "double"},
    "aws.cloudfront.distribution_id": _KEYWORD,
    "aws.xray.segment_id": _KEYWORD,
    "aws.xray.sampled": {"type": "boolean"},
    "trace.id": _KEYWORD,
    "json": {"type": "flat_object"},
}
BASELINE_SETTINGS = {
    "index.number_of_shards": 1,
    "index.auto_expand_replicas": "0-1",
    "index.refresh_interval": "5s",
}


def baseline_template(prefix: str) -> dict[str, Any]:
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 200,
        "template": {
            "settings": BASELINE_SETTINGS,
            "mappings": {"dynamic": False,
                         "properties": template.properties(BASELINE_FIELDS)},
        },
    }


_ID_IN_ACTION = re.compile(r'^\{"create":\{"_id":"[0-9a-f]{20}-([0-9]+)"\}\}$')


def baseline_lines(lines: list[str]) -> list[str]:
    """The same documents as the forwarder built them before issue 21: with
    ``cloud.provider`` after ``event.ingested`` and ``event.id`` (CloudWatch's id, the
    ``_id``'s second half) after ``@timestamp``. The baseline side indexes these."""
    out = []
    for line in lines:
        action, source = line.split("\n", 1)
        event_id = _ID_IN_ACTION.match(action)
        assert event_id and source.startswith('{"event.ingested":"'), line
        cut = len('{"event.ingested":"2025-11-24T16:00:00.000Z",')
        source = source[:cut] + '"cloud.provider":"aws",' + source[cut:]
        stamp = source.index('"@timestamp":"') + len('"@timestamp":"2025-11-24T16:00:00.000Z",')
        source = source[:stamp] + f'"event.id":"{event_id[1]}",' + source[stamp:]
        out.append(f"{action}\n{source}")
    return out


def new_template(prefix: str) -> dict[str, Any]:
    """The log template the domain setup installs today, for a one-node domain."""
    return template.templates(prefix)[prefix]


# -- talking to the node -----------------------------------------------------------------------

class Node:
    """One keep-alive connection: the bench's own requests never queue behind each other."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1",
                                               parts.port or 80, timeout=600)

    def call(self, method: str, path: str, body: str | dict[str, Any] | None = None,
             ndjson: bool = False) -> Any:
        data = body if isinstance(body, str) or body is None else json.dumps(body)
        headers = {"content-type": "application/x-ndjson" if ndjson else "application/json"}
        self.conn.request(method, path, body=data.encode() if data is not None else None,
                          headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.status >= 300 and not (method == "DELETE" and resp.status == 404):
            raise RuntimeError(f"{method} {path}: {resp.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def indexing(self, pattern: str) -> tuple[int, int]:
        stats = self.call("GET", f"/{pattern}/_stats/indexing")["_all"]["primaries"]["indexing"]
        return stats["index_total"], stats["index_time_in_millis"]

    def bulk(self, index: str, lines: list[str]) -> None:
        """The batch in the forwarder's own chunks, one request at a time; every item
        must be created."""
        shipper = Shipper(None, 0.0, 0.0, DEFAULT_BULK_MAX_BYTES,  # type: ignore[arg-type]
                          DEFAULT_BULK_MAX_DOCS, 1.0)
        for chunk in shipper.chunks(lines, range(len(lines)), [index] * len(lines)):
            body = "".join(lines[chunk[0]:chunk[-1] + 1])
            result = self.call("POST", f"/{index}/_bulk", body, ndjson=True)
            if result["errors"]:
                bad = [i for i in result["items"] if i["create"]["status"] != 201][:2]
                raise RuntimeError(f"bulk into {index} failed: {bad}")

    def merged_bytes_per_doc(self, pattern: str) -> tuple[float, int]:
        self.call("POST", f"/{pattern}/_forcemerge?max_num_segments=1")
        # The merged-away segments are deleted once no reader holds them: refresh, flush.
        self.call("POST", f"/{pattern}/_refresh")
        self.call("POST", f"/{pattern}/_flush")
        stats = self.call("GET", f"/{pattern}/_stats/store,docs,segments")["_all"]["primaries"]
        docs = stats["docs"]["count"]
        return stats["store"]["size_in_bytes"] / docs, stats["segments"]["count"]


def fresh_lines(n: int, k: int) -> list[str]:
    """The bulk entries of the k-th batch of new events, all on one day (one index)."""
    event = encode(payload(realistic_events(n, seed=20_000 + k, base_ms=BASE_MS - k * 60_000)))
    return documents.build(decode_event(event), REGION, "x", time.time_ns() // 1_000_000).lines


def forwarder_cpu_us_per_event(url: str, prefix: str, n: int, runs: int = 5) -> float:
    """The forwarder's whole CPU per event: ``handler.process`` of a fresh batch into the
    node (decode, documents, gzip, HTTP, results; the default 2 requests in flight), its
    process CPU time (every thread) over the events; the median of ``runs``."""
    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": REGION,
                                  "INDEX_PREFIX": prefix})
    client = make_client(settings)
    cpu = []
    for k in range(runs + 1):
        event = encode(payload(realistic_events(n, seed=30_000 + k,
                                                base_ms=BASE_MS - k * 60_000)))
        t0 = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):  # its one log line per invocation
            summary = process(event, settings, client, time.monotonic() + 300)
        if k:  # the first one checks the templates and opens connections
            cpu.append(time.process_time() - t0)
        assert summary.stored == n, summary
    return statistics.median(cpu) * 1e6 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=15, help="timed batches (>= 11)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the printed figures into docs/performance.md")
    args = parser.parse_args()
    if args.batches < 11:
        parser.error("--batches: at least 11")
    with docs_block.printed() as lines:
        run(args)
    if args.write_docs:
        docs_block.write({"mapping": lines},
                         shlex.join(["python", "bench/mapping_bench.py", *sys.argv[1:]]))
        print(f"written: mapping in {docs_block.DOCS.relative_to(ROOT)}")


def run(args: argparse.Namespace) -> None:
    n = args.events
    # Bytes of log text a batch carries: what "GB of edge logs" counts in docs/capacity.md.
    text_bytes = sum(len(e["message"].encode()) for e in realistic_events(n, seed=42))

    started = not os.environ.get("OPENSEARCH_URL")
    url = (start_node(BENCH_NODE, 0, heap="1g") if started
           else os.environ["OPENSEARCH_URL"].rstrip("/"))
    try:
        node = Node(url)
        version = node.call("GET", "/")["version"]["number"]
        run = uuid.uuid4().hex[:8]
        prefixes = {"base": f"mbench-{run}-base", "new": f"mbench-{run}-new"}
        node.call("PUT", f"/_index_template/{prefixes['base']}",
                  baseline_template(prefixes["base"]))
        node.call("PUT", f"/_index_template/{prefixes['new']}", new_template(prefixes["new"]))
        day = f"{documents.day_of(BASE_MS)}"
        index = {side: f"{prefix}-{day}" for side, prefix in prefixes.items()}
        for name in index.values():
            node.call("PUT", f"/{name}")  # from its template, as the forwarder's first bulk

        us: dict[str, list[float]] = {"base": [], "new": []}
        node_cpu = node_cpu_reader(url) or (lambda: math.nan)
        cpu_s = {"base": 0.0, "new": 0.0}
        for k in range(WARM_BATCHES + args.batches):
            lines = fresh_lines(n, k)
            side_lines = {"base": baseline_lines(lines), "new": lines}
            sides = ["base", "new"] if k % 2 == 0 else ["new", "base"]
            for side in sides:
                before, cpu0 = node.indexing(index[side]), node_cpu()
                node.bulk(index[side], side_lines[side])
                after = node.indexing(index[side])
                if k >= WARM_BATCHES:
                    cpu_s[side] += node_cpu() - cpu0
                    docs, ms = after[0] - before[0], after[1] - before[1]
                    assert docs == n, (side, docs)
                    us[side].append(ms * 1000 / docs)
        merged = {side: node.merged_bytes_per_doc(index[side]) for side in index}
        fwd_prefix = f"mbench-{run}-fwd"
        cpu_us = forwarder_cpu_us_per_event(url, fwd_prefix, n)
        node.call("DELETE", f"/{fwd_prefix}-*")
        node.call("DELETE", f"/_index_template/{fwd_prefix}*")
        for side in prefixes.values():
            node.call("DELETE", f"/{side}-*")
            node.call("DELETE", f"/_index_template/{side}")
    finally:
        if started:
            with contextlib.suppress(NodeFailed):
                stop_node(BENCH_NODE)

    ratios = [new / base for new, base in zip(us["new"], us["base"], strict=True)]
    base_us, new_us = statistics.median(us["base"]), statistics.median(us["new"])
    us_ratio = statistics.median(ratios)
    base_bytes, new_bytes = merged["base"][0], merged["new"][0]
    bytes_ratio = new_bytes / base_bytes
    docs = (WARM_BATCHES + args.batches) * n
    node_cpu_us = {side: cpu_s[side] * 1e6 / (args.batches * n) for side in cpu_s}
    for side, label in (("base", "today's mapping (baseline)"), ("new", "new mapping")):
        runs = " ".join(f"{x:.0f}" for x in us[side])
        print(f"{label}: indexing {statistics.median(us[side]):.1f} µs/doc (median of "
              f"{args.batches} batches: {runs}), merged {merged[side][0]:.1f} bytes/doc "
              f"({docs} docs, {merged[side][1]} segment); node process CPU "
              f"{node_cpu_us[side]:.1f} µs/doc")
    print(f"ratio new/baseline: indexing {us_ratio:.2f} (median of per-batch ratios; "
          f"medians {new_us / base_us:.2f}; target <= {TARGET_US_RATIO}), merged bytes "
          f"{bytes_ratio:.2f} (target <= {TARGET_BYTES_RATIO})")
    figures = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "opensearch_version": version,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs (shared)",
        "events_per_batch": n,
        "batches": args.batches,
        "forwarder_cpu_us_per_event": round(cpu_us, 3),
        "log_text_bytes_per_event": round(text_bytes / n, 1),
        "doc_source_bytes": round(sum(len(x.split("\n", 2)[1]) for x in lines) / n, 1),
        "base_node_cpu_us_per_doc": round(node_cpu_us["base"], 2),
        "new_node_cpu_us_per_doc": round(node_cpu_us["new"], 2),
        "base_index_us_per_doc": round(base_us, 2),
        "new_index_us_per_doc": round(new_us, 2),
        "index_us_ratio": round(us_ratio, 3),
        "base_merged_bytes_per_doc": round(base_bytes, 1),
        "new_merged_bytes_per_doc": round(new_bytes, 1),
        "merged_bytes_ratio": round(bytes_ratio, 3),
    }
    print(f"forwarder: {cpu_us:.1f} CPU µs per event (handler.process into the node, "
          f"median of 5 invocations); log text {text_bytes / n:.1f} bytes per event")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"summary-mapping: base_us={base_us:.1f} new_us={new_us:.1f} us_ratio={us_ratio:.2f} "
          f"base_bytes={base_bytes:.1f} new_bytes={new_bytes:.1f} "
          f"bytes_ratio={bytes_ratio:.2f} (written to {shown(args.json)})")


def shown(path: Path) -> str:
    """`path` relative to the checkout when inside it: printed lines go into the docs."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
