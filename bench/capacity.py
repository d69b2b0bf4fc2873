#!/usr/bin/env python3
"""Write docs/capacity.md: forwarder and domain sizing for 1, 10, 100 and 1,000 GB/day.

    python bench/mapping_bench.py      # measures; writes bench/results/mapping.json
    python bench/capacity.py           # turns those figures into docs/capacity.md

Every figure that was measured comes from ``bench/results/mapping.json``; every other number
is an assumption or a price, named below and printed in the document beside its source.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda_src")]

import contract  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "mapping.json"
OUT = ROOT / "docs" / "capacity.md"
VOLUMES_GB = (1, 10, 100, 1000)

# -- prices: us-east-1, on demand, list prices as known in 2026 (see PRICE_NOTE) -------------
PRICE_DATE = "2026-12-04"
OPENSEARCH_PRICING = "https://aws.amazon.com/opensearch-service/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
GP3_PER_GB_MONTH = 0.122
LAMBDA_GB_SECOND = 0.0000133334  # arm64, first tier
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
HOURS_A_MONTH = 730
DAYS_A_MONTH = 30.4


@dataclass(frozen=True)
class Instance:
    name: str
    vcpus: int
    memory_gib: int
    per_hour: float
    max_gp3_gib: int  # the largest gp3 volume the service attaches to one node of this type


# Data node candidates, cheapest first. Volume limits: "EBS volume size quotas",
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource
INSTANCES = (
    Instance("t3.small.search", 2, 2, 0.036, 100),
    Instance("t3.medium.search", 2, 4, 0.073, 200),
    Instance("r6g.large.search", 2, 16, 0.167, 2048),
    Instance("r6g.xlarge.search", 4, 32, 0.335, 3072),
    Instance("r6g.2xlarge.search", 8, 64, 0.669, 6144),
    Instance("r6g.4xlarge.search", 16, 128, 1.339, 12288),
)
MASTER = Instance("m6g.large.search", 2, 8, 0.128, 0)

# -- assumptions --------------------------------------------------------------------------------
PEAK_FACTOR = 3.0  # the busiest hour's rate over the day's average
CPU_TARGET = 0.5  # node CPU kept at most this busy at peak: room for searches and merges
RETENTION_DAYS = contract.DEFAULT_INDEX_RETENTION_DAYS
BATCH_EVENTS = 10_000  # CloudWatch Logs' largest batch: the fewest invocations
FORWARDER_MB = 256
ONE_VCPU_MB = 1769  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
LAMBDA_SHARE = FORWARDER_MB / ONE_VCPU_MB
REGIONS = 13
RESERVED_CONCURRENCY = 5
# AWS's storage formula divides by (1 - 5 % Linux reserved) and (1 - 20 % service overhead);
# its 10 % indexing overhead is already in the measured bytes per document.
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/sizing-domains.html
STORAGE_OVERHEAD = 1 / (0.95 * 0.8)
DISK_FILL = 0.75  # the volume at most this full (the free-storage alarm's margin)


def size(gb_day: float, m: dict[str, Any]) -> dict[str, Any]:
    events_day = gb_day * 1e9 / m["log_text_bytes_per_event"]
    index_gb_day = events_day * m["new_merged_bytes_per_doc"] / 1e9
    shards = contract.index_shards(index_gb_day)
    # Forwarders: full batches, CPU-bound at the function's share of a vCPU.
    invocations_day = events_day / BATCH_EVENTS
    seconds_each = m["forwarder_cpu_us_per_event"] * BATCH_EVENTS / 1e6 / LAMBDA_SHARE
    lambda_day = invocations_day * (FORWARDER_MB / 1024 * seconds_each * LAMBDA_GB_SECOND
                                    + LAMBDA_PER_REQUEST)
    peak_per_region = invocations_day / 86_400 * PEAK_FACTOR / REGIONS * seconds_each
    # The domain: enough vCPUs for the peak, enough disk for the retention, replicas.
    busy_vcpus = events_day / 86_400 * PEAK_FACTOR * m["new_node_cpu_us_per_doc"] / 1e6
    multi = gb_day >= 10  # a replica (and so a second node) from 10 GB a day
    replicas = 1 if multi else 0
    disk_gib = (index_gb_day * (1 + replicas) * RETENTION_DAYS * STORAGE_OVERHEAD / DISK_FILL
                * 1e9 / 2**30)
    best: tuple[float, Instance, int, int] | None = None
    for inst in INSTANCES:
        if multi and inst.name.startswith("t3."):
            continue  # burstable: not for a domain that indexes all day
        count = max(2 if multi else 1, math.ceil(busy_vcpus / CPU_TARGET / inst.vcpus),
                    math.ceil(disk_gib / inst.max_gp3_gib))
        if multi and count % 2:
            count += 1  # zone awareness: an even number of data nodes
        volume = max(10, math.ceil(disk_gib / count))
        cost = count * (inst.per_hour * HOURS_A_MONTH + volume * GP3_PER_GB_MONTH)
        if best is None or cost < best[0]:
            best = (cost, inst, count, volume)
    assert best is not None
    domain_cost, inst, count, volume = best
    masters = 3 if gb_day >= 100 else 0  # dedicated masters for a production-size domain
    master_cost = masters * MASTER.per_hour * HOURS_A_MONTH
    return {
        "gb_day": gb_day, "events_day": events_day, "index_gb_day": index_gb_day,
        "shards": shards, "replicas": replicas, "invocations_day": invocations_day,
        "seconds_each": seconds_each, "lambda_month": lambda_day * DAYS_A_MONTH,
        "peak_concurrency": peak_per_region, "busy_vcpus": busy_vcpus, "disk_gib": disk_gib,
        "instance": inst, "count": count, "volume": volume, "masters": masters,
        "domain_month": domain_cost + master_cost,
        "total_month": domain_cost + master_cost + lambda_day * DAYS_A_MONTH,
    }


def render(m: dict[str, Any]) -> str:
    rows = [size(gb, m) for gb in VOLUMES_GB]
    lines = [
        "# Capacity model",
        "",
        "Generated by `python bench/capacity.py` from the figures `python bench/mapping_bench.py`",
        f"measured on {m['measured_at']} (OpenSearch {m['opensearch_version']}, {m['machine']}).",
        "Do not edit by hand: run both again after a change to the forwarder or the mapping.",
        "",
        "## Measured (bench/results/mapping.json)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| log text per Lambda@Edge event (realistic batches) | {m['log_text_bytes_per_event']} "
        "bytes |",
        f"| document `_source` per event | {m['doc_source_bytes']} bytes |",
        f"| node indexing time per document (`_stats/indexing`, 1 request in flight) | "
        f"{m['new_index_us_per_doc']} µs (previous mapping: {m['base_index_us_per_doc']} µs) |",
        f"| node process CPU per document (/proc: indexing, HTTP, flushes, merges) | "
        f"{m['new_node_cpu_us_per_doc']} µs (previous mapping: {m['base_node_cpu_us_per_doc']} "
        "µs) |",
        f"| merged bytes per document (one segment) | {m['new_merged_bytes_per_doc']} "
        f"(previous mapping: {m['base_merged_bytes_per_doc']}) |",
        f"| forwarder CPU per event (`handler.process` into the node, full core) | "
        f"{m['forwarder_cpu_us_per_event']} µs |",
        "",
        "## The mapping behind these figures",
        "",
        "`lambda_src/domain_setup/template.py`, against the mapping before it (kept frozen in "
        "`bench/mapping_bench.py`, same documents, same run): "
        f"indexing time ratio {m['index_us_ratio']} (median of per-batch ratios), merged bytes "
        f"ratio {m['merged_bytes_ratio']}.",
        "",
        "- kept: every field `scripts/search` queries or sorts on, and every keyword, date and "
        "number Dashboards filters or charts on;",
        "- left out of the documents: `cloud.provider` and `cloud.account.id` (the same on "
        "every document of a stack; the other destinations get the account back) and "
        "`event.id` (CloudWatch's id is the `_id`'s second half). The search sorts on "
        "`@timestamp` alone and pages by whole groups of one time, ordering equal times by the "
        "`_id`'s parts (`ops/search/paging.py`): OpenSearch 2.19 has no `_shard_doc` "
        "tiebreaker, and sorting on `_id` loads every id of a segment into the heap. The "
        "copy of the id alone was ~12 bytes of doc values and ~10 of stored fields a document;",
        "- `message` is `text`, analyzed without the line's header (time and request id, "
        "which have fields of their own): half of a line's words and most of its unique ones. "
        "`match_only_text` would save ~10 bytes more, but OpenSearch Dashboards 2.x does not "
        "know the type (an index pattern shows it as unknown, without filters: "
        "OpenSearch-Dashboards issue 6338, fixed in 2025 after 2.19);",
        "- request, trace and segment ids have no doc values (searched, never charted): ~9 "
        "bytes a document; `event.ingested` has doc values only (`index: false`);",
        "- `@timestamp` and `event.ingested` are parsed with `rfc3339_lenient`, OpenSearch's "
        "hand-written RFC 3339 parser (2.12+), instead of java.time's "
        "`strict_date_optional_time`: a JFR profile of the node indexing these documents put "
        "18 % of the indexing thread's samples in date parsing, 3 % after. It accepts no other "
        "format beside it (`rfc3339_lenient||epoch_millis` refuses every value on 2.19), so "
        "the documents' dates must be ISO times, which the forwarder always writes;",
        "- stored fields use the default codec (LZ4). `best_compression` (DEFLATE) saved a "
        "third of the stored bytes but cost 0.10-0.15 of the old mapping's indexing time in "
        "every run (with the previous, fuller documents: 0.83-0.89 and bytes 0.72, against "
        "0.71 and 0.96 with LZ4); the leaner documents and index save the bytes instead;",
        "- tried and dropped, on exploratory runs of the same bench: DEFLATE with the lean "
        "documents (indexing 0.77, bytes 0.56); index sorting on `@timestamp` or on "
        "(`log.stream`, `@timestamp`) (2 % more bytes, no faster); short random `_id`s (17 % "
        "more bytes: random ids share no prefix); `_source.excludes` for `event.id` (indexing "
        "1.25: the node re-serializes every source); `norms: false` on `message` (1 byte, no "
        "faster); a `char_group` tokenizer (no faster); `constant_keyword` for "
        "`cloud.provider` (a terms aggregation on it returns the index name on 2.19, not the "
        "value); `strict_date_time` instead of `strict_date_optional_time` (still java.time); "
        "`index.refresh_interval: 30s` (indexing 0.99); `index: false` (doc values only) on "
        "the facets few people filter on (`faas.version`, `aws.lambda.line_type`, ...): a "
        "few per cent at most, and Dashboards then reports them as not searchable "
        "(`_field_caps`), so its filters on them go;",
        "- not tried: the `zstd` codec (the custom-codecs plugin, not in the local node's "
        "distribution nor served here).",
        "",
        "On this shared 2-CPU machine, the indexing-time medians of the same code moved by "
        "±30 % between runs (other agents' load: the node's µs per document ranged from 30 to "
        "110 for the same mapping); the bytes were stable to ±1 %. See docs/performance.md for "
        "the runs.",
        "",
        "## Assumed",
        "",
        f"- GB/day counts the log text of the edge functions' lines (what CloudWatch Logs bills "
        f"as ingested); 1 GB is {1e9 / m['log_text_bytes_per_event'] / 1e6:.2f} million events.",
        f"- Forwarders receive full {BATCH_EVENTS:,}-event batches (the fewest invocations; light "
        "traffic arrives in smaller batches: more requests, the same duration per event). At "
        f"{FORWARDER_MB} MB a function gets {LAMBDA_SHARE:.3f} of a vCPU and is CPU-bound: an "
        "invocation lasts its CPU time over that share (README's Lambda-share run measured "
        "790 ms for a 10,000-event batch, this model says "
        f"{rows[0]['seconds_each'] * 1000:.0f} ms).",
        f"- Peak hour = {PEAK_FACTOR:g} x the day's average rate; node CPU at most "
        f"{CPU_TARGET:.0%} busy at peak, with the measured node CPU per document.",
        f"- Indices kept {RETENTION_DAYS} days (`indexRetentionDays` default); one replica from "
        "10 GB/day (an even number of nodes, for zone awareness); disk per AWS's sizing "
        "formula (5 % Linux reserve, 20 % service overhead; the 10 % indexing overhead is in "
        f"the measured bytes) and at most {DISK_FILL:.0%} full; 3 dedicated "
        f"`{MASTER.name}` masters from 100 GB/day "
        "([sizing-domains](https://docs.aws.amazon.com/opensearch-service/latest/"
        "developerguide/sizing-domains.html)).",
        f"- Shards per daily index: `contract.index_shards` of the index's GB/day (at most "
        f"{contract.SHARD_MAX_GB} GB a shard); set `edgelogs:domain.expectedDailyGb` to the "
        "index GB/day below.",
        "",
        f"## Prices used (us-east-1, on demand, as of {PRICE_DATE})",
        "",
        f"From the [OpenSearch Service]({OPENSEARCH_PRICING}) and "
        f"[Lambda]({LAMBDA_PRICING}) pricing pages as known on that date; the copies of those "
        "pages reachable from this machine held no price tables, so the figures were not "
        "re-checked against the live pages: check them before quoting.",
        "",
        "| item | price |",
        "|---|---|",
        *(f"| `{i.name}` | ${i.per_hour:.3f} / hour |" for i in (*INSTANCES, MASTER)),
        f"| gp3 storage | ${GP3_PER_GB_MONTH} / GB-month |",
        f"| Lambda arm64 duration | ${LAMBDA_GB_SECOND} / GB-second |",
        f"| Lambda requests | ${LAMBDA_PER_REQUEST * 1e6:.2f} / million |",
        "",
        "## Model",
        "",
        "| GB/day | events/day | index GB/day | shards per index | forwarder invocations/day "
        "| forwarder cost/month | peak concurrency per region (of 5) | data nodes | volume "
        "per node | masters | domain cost/month | total/month |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['gb_day']:,} | {r['events_day'] / 1e6:,.1f} M | {r['index_gb_day']:,.1f} | "
            f"{r['shards']} (+{r['replicas']} replica) | {r['invocations_day']:,.0f} | "
            f"${r['lambda_month']:,.2f} | {r['peak_concurrency']:.2f} | {r['count']} x "
            f"`{r['instance'].name}` | {r['volume']:,} GiB | {r['masters'] or '-'} | "
            f"${r['domain_month']:,.0f} | ${r['total_month']:,.0f} |")
    lines += [
        "",
        "CloudWatch Logs ingestion ($0.50/GB), which Lambda@Edge pays whether or not edgelogs "
        "runs, inter-region transfer to the home region and alarms are not in the totals "
        "(see the README's cost section).",
        "",
        "## Where this extrapolates",
        "",
        f"- Measured: one node, one shard, {m['machine']}, x86 (domains here run Graviton), "
        f"{m['batches']} batches of {m['events_per_batch']:,} events "
        "(a few hundred thousand documents per index). Not measured: shards of 30 GB and their "
        "merges, several nodes, replication (a replica costs about as much indexing CPU as its "
        "primary: the model counts CPU for primaries only and leaves it to the 50 % headroom), "
        "searches running while indexing.",
        "- The node's CPU per document on a shared 2-CPU machine stands in for a data node's "
        "vCPU; real instances differ (Graviton, no neighbours).",
        "- The forwarder's duration is modelled (CPU time over its share), not measured at "
        "each volume; reserved concurrency 5 per region leaves headroom at every volume "
        "above (`bench/load_bench.py` exercises 13 regions x 5 on one node).",
        "- 100 and 1,000 GB/day are one and two orders of magnitude beyond anything run "
        "here: take their node counts as a starting point for a load test, not a quote.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    measured = json.loads(args.results.read_text())
    args.out.write_text(render(measured))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
