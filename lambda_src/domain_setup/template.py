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

TEMPLATE_VERSION = 1

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}

LOG_FIELDS: dict[str, dict[str, Any]] = {
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
              meta: str) -> dict[str, Any]:
    return {
        "index_patterns": patterns,
        "priority": priority,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "edgelogs forwarder", "description": meta},
        "template": {
            "settings": {
                "index.number_of_shards": 1,
                # 0 replicas on a single-node domain (green), 1 as soon as there are two.
                "index.auto_expand_replicas": "0-1",
                "index.refresh_interval": "5s",
            },
            "mappings": {"dynamic": False, "properties": properties(fields)},
        },
    }


def errors_prefix(index_prefix: str) -> str:
    """Names the errors indices (``<this>-YYYY.MM.DD``) and their template."""
    return contract.errors_prefix(index_prefix)


def templates(index_prefix: str) -> dict[str, dict[str, Any]]:
    """Template name -> body. The errors pattern is more specific and has the higher
    priority, so ``<prefix>-errors-*`` indices never get the log mapping."""
    return {
        index_prefix: _template(
            [f"{index_prefix}-*"], 200, LOG_FIELDS, "Lambda@Edge log lines, one index a day"
        ),
        errors_prefix(index_prefix): _template(
            [f"{errors_prefix(index_prefix)}-*"], 210, ERROR_FIELDS,
            "log events the forwarder could not store as documents, with the reason",
        ),
    }
