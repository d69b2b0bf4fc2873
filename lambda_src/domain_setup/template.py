"""Index templates for the log indices and the errors indices (pure data, no I/O).

Both templates are ``dynamic: false``: only the fields below are indexed, anything else is
kept in ``_source`` only. Together with ``json`` being a ``flat_object`` (OpenSearch 2.7+),
no log line can add a field or cause a mapping conflict.

``TEMPLATE_VERSION`` is stored in the template's ``version``. The domain setup installs a
template when it is missing or its body differs (a digest of the body in ``_meta``, see
``domain_setup.setup.templates``), so a changed body needs no version bump to be applied.
"""

from __future__ import annotations

from typing import Any

import contract

TEMPLATE_VERSION = 4  # 2: the lean log mapping of issue 21, shards from the volume; 3: fast
# dates; 4: the message without its header, no event.id, ids without doc values, LZ4

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}
# The log documents' dates, always the forwarder's own `2025-11-24T16:00:00.000Z`, parsed by
# OpenSearch's hand-written RFC 3339 parser (2.12+; "42x faster than
# strict_date_optional_time", https://github.com/opensearch-project/OpenSearch/pull/11465):
# java.time parsing of the two dates was a sixth of the node's indexing thread (a JFR profile
# of bench/mapping_bench.py's documents). It cannot be combined with another format ("||"
# fails every value on 2.19) and parses no epoch-millis number in a document. Every search
# still parses: the search's ranges are ISO times (ops.times.iso) or name `epoch_millis`,
# Dashboards' name `strict_date_optional_time`, and search_after passes numbers.
_LOG_DATE = {"type": "date", "format": "rfc3339_lenient"}

# Every mapped field costs indexing time and disk on every document: each one below is
# searched by scripts/search or is a facet or number worth a Dashboards filter or chart.
# bench/mapping_bench.py measures this mapping against the one before issue 21 (what was
# tried and dropped is in docs/capacity.md). Not in the documents at all: `event.id` (the
# CloudWatch event id is the second half of `_id`; search orders equal times by it, from
# `_id`), `cloud.provider` (always "aws") and `cloud.account.id` (the stack's own account:
# a forwarder only receives its own account's log groups).
# Ids nobody charts: searchable (term queries, Dashboards filters), no doc values; a
# unique value a document is most of what doc values cost (bench/mapping_bench.py).
_ID_KEYWORD = {**_KEYWORD, "doc_values": False}
LOG_FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": _LOG_DATE,
    # Only --follow reads it (a range and a sort): doc values answer both; no points index.
    "event.ingested": {**_LOG_DATE, "index": False},
    # Analyzed without the line's header: see MESSAGE_ANALYSIS.
    "message": {"type": "text", "analyzer": "edgelogs_message"},
    "tags": _KEYWORD,
    "cloud.region": _KEYWORD,
    "log.group": _KEYWORD,
    "log.stream": _KEYWORD,
    "log.level": _KEYWORD,
    "faas.name": _KEYWORD,
    "faas.version": _KEYWORD,
    "aws.lambda.request_id": _ID_KEYWORD,
    "aws.lambda.line_type": _KEYWORD,
    "aws.lambda.runtime_version": _KEYWORD,
    "aws.lambda.duration_ms": {"type": "double"},
    "aws.lambda.billed_duration_ms": {"type": "double"},
    "aws.lambda.memory_size_mb": {"type": "long"},
    "aws.lambda.max_memory_used_mb": {"type": "long"},
    "aws.lambda.init_duration_ms": {"type": "double"},
    "aws.cloudfront.distribution_id": _KEYWORD,
    "aws.xray.segment_id": _ID_KEYWORD,
    "aws.xray.sampled": {"type": "boolean"},
    "trace.id": _ID_KEYWORD,
    "json": {"type": "flat_object"},
}

# The message is indexed without what the forwarder already moved into fields of its own
# (forwarder/lines.py): the time and request id of a runtime's text line
# ("<time>\t<request id>\t<LEVEL>\t...", "[LEVEL]\t<time>\t<request id>\t..."), the
# "RequestId: <id>" of START, END and REPORT lines, and a timeout line's time and request id.
# Those were half of a line's words and most of its unique ones; a search for a request id
# reads aws.lambda.request_id instead (ops/search/query.py). _source keeps the line as
# written. The level word stays. pattern_replace is analysis-common's char filter
# (https://docs.opensearch.org/latest/analyzers/character-filters/pattern-replace/); a group
# that did not take part in the match is replaced by nothing (java.util.regex).
MESSAGE_HEADER = (
    # One anchored alternation: the engine tries it at each position of every message, and
    # a leading ^ fails at once everywhere but the start.
    r"^(?:\d{4}-\d\d-\d\dT[^\t]*\t[^\t]*\t(?=[A-Z]+\t)"
    r"|\[([A-Z]+)\]\t[^\t]*\t[^\t]*\t"
    r"|(START|END|REPORT) RequestId: \S+"
    r"|\d{4}-\d\d-\d\dT\S* \S+ (?=Task timed out after ))"
)
MESSAGE_ANALYSIS: dict[str, Any] = {
    "char_filter": {"edgelogs_line_header": {
        "type": "pattern_replace", "pattern": MESSAGE_HEADER, "replacement": "$1$2 "}},
    "analyzer": {"edgelogs_message": {
        "type": "custom", "char_filter": ["edgelogs_line_header"], "tokenizer": "standard",
        "filter": ["lowercase"]}},  # otherwise the standard analyzer
}

ERROR_FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": _DATE,
    "event.ingested": _DATE,
    "error.type": _KEYWORD,
    "error.message": {"type": "text", "fields": {"keyword": _KEYWORD}},
    "error.status": {"type": "integer"},
    "cloud.provider": _KEYWORD,
    "cloud.region": _KEYWORD,
    "cloud.account.id": _KEYWORD,
    "log.group": _KEYWORD,
    "log.stream": _KEYWORD,
    "target.index": _KEYWORD,
    "target.id": _KEYWORD,
    # raw.event / raw.data_base64 are deliberately not mapped: kept, never indexed.
}


def properties(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Expand dotted names into nested ``properties`` mappings."""
    root: dict[str, Any] = {}
    for name, mapping in fields.items():
        node = root
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[leaf] = dict(mapping)
    return root


def _template(patterns: list[str], priority: int, fields: dict[str, dict[str, Any]],
              meta: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "index_patterns": patterns,
        "priority": priority,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "edgelogs forwarder", "description": meta},
        "template": {
            "settings": {**settings, "index.refresh_interval": "5s"},
            "mappings": {"dynamic": False, "properties": properties(fields)},
        },
    }


def errors_prefix(index_prefix: str) -> str:
    """Names the errors indices (``<this>-YYYY.MM.DD``) and their template."""
    return contract.errors_prefix(index_prefix)


def templates(index_prefix: str, shards: int = 1, replicas: int = 0) -> dict[str, dict[str, Any]]:
    """Template name -> body. The errors pattern is more specific and has the higher
    priority, so ``<prefix>-errors-*`` indices never get the log mapping.

    ``shards``: primary shards of a daily log index (``contract.primary_shards`` of the
    expected volume); ``replicas``: 1 on a domain of two or more data nodes, else 0 (a
    replica can never be assigned on one node: the index would stay yellow). The errors
    indices are small: always one shard.
    """
    replica_setting = {"index.number_of_replicas": replicas}
    log_settings = {
        "index.number_of_shards": shards,
        **replica_setting,
        # The default codec (LZ4) for stored fields: DEFLATE (`best_compression`) saved a
        # third of the bytes here but cost 10-15 % more indexing time; the leaner documents
        # save the bytes instead (docs/capacity.md has the runs).
        "index.analysis": MESSAGE_ANALYSIS,
    }
    return {
        index_prefix: _template(
            [f"{index_prefix}-*"], 200, LOG_FIELDS, "Lambda@Edge log lines, one index a day",
            log_settings,
        ),
        errors_prefix(index_prefix): _template(
            [f"{errors_prefix(index_prefix)}-*"], 210, ERROR_FIELDS,
            "log events the forwarder could not store as documents, with the reason",
            {"index.number_of_shards": 1, **replica_setting},
        ),
    }
