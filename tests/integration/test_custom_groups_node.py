"""A shared custom log group in Lambda's JSON log format, stored on a real node: every event
once, each under its own function, with request id and level searchable."""

from __future__ import annotations

import time
from typing import Any

from forwarder.handler import process

from tests.forwarder import json_format
from tests.forwarder.payloads import BASE_MS, encode, payload
from tests.integration.forwarder_support import all_docs, client_for, count, settings


def run(url: str, prefix: str, event: dict[str, Any], region: str) -> Any:
    s = settings(url, prefix, region)
    return process(event, s, client_for(s), time.monotonic() + 60)


def test_shared_custom_group_json_format_on_the_node(
        opensearch_url: str, index_prefix: str) -> None:
    group = json_format.SHARED_GROUP
    # (region, function, version, runtime, stream written with the replica prefix?)
    sources = [
        ("us-east-1", "auth", "7", "python", False),
        ("eu-west-1", "auth", "7", "python", True),
        ("eu-west-1", "headers", "3", "node", False),
    ]
    sent: dict[str, int] = {}
    payloads = []
    for n, (region, fn, version, runtime, prefixed) in enumerate(sources):
        rids = [f"{fn}-{region}-{i}" for i in range(40)]
        events = json_format.events(BASE_MS + n * 1000, rids, version, runtime, seq0=n * 1000)
        stream = json_format.stream(fn, version, f"env{n:02d}", replica_prefix=prefixed)
        payloads.append((region, encode(payload(events, group=group, stream=stream))))
        sent[fn] = sent.get(fn, 0) + len(events)
    for region, event in payloads:
        summary = run(opensearch_url, index_prefix, event, region)
        assert (summary.undelivered, summary.errors_indexed) == (0, 0)

    pattern = f"{index_prefix}-2*"
    total = sum(sent.values())
    assert count(opensearch_url, pattern) == total
    for fn, n in sent.items():
        assert count(opensearch_url, pattern, {"term": {"faas.name": fn}}) == n
    assert count(opensearch_url, pattern, {"term": {"log.group": group}}) == total
    # Per request: its 5 request-scoped lines (start, 2 app lines, runtimeDone, report).
    assert count(opensearch_url, pattern,
                 {"term": {"aws.lambda.request_id": "auth-eu-west-1-3"}}) == 5
    assert count(opensearch_url, pattern, {"term": {"log.level": "ERROR"}}) == 80
    assert count(opensearch_url, pattern, {"term": {"log.level": "WARN"}}) == 40
    assert count(opensearch_url, pattern, {"bool": {"filter": [
        {"term": {"faas.name": "headers"}}, {"term": {"faas.version": "3"}},
        {"term": {"aws.lambda.line_type": "platform.report"}},
        {"range": {"aws.lambda.billed_duration_ms": {"gte": 4}}}]}}) == 40
    docs = all_docs(opensearch_url, pattern)
    assert len({d["_id"] for d in docs}) == total

    # Delivered again (Lambda's retry, a replay): nothing new.
    for region, event in payloads:
        again = run(opensearch_url, index_prefix, event, region)
        assert again.stored == 0 and again.undelivered == 0
    assert count(opensearch_url, pattern) == total
