"""Helpers shared by the forwarder's integration tests (talk to the node directly)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from forwarder.client import make_client
from forwarder.settings import Settings


def settings(url: str, prefix: str, region: str = "eu-west-1", **env: str) -> Settings:
    return Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": region,
                              "INDEX_PREFIX": prefix, **env})


def client_for(s: Settings) -> Any:
    return make_client(s)


def call(url: str, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{url}/{path}", data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def all_docs(url: str, pattern: str) -> list[dict[str, Any]]:
    """Every document of the indices matching ``pattern`` (refreshed first)."""
    call(url, "POST", f"{pattern}/_refresh")
    hits = call(url, "POST", f"{pattern}/_search?size=10000&seq_no_primary_term=false",
                {"query": {"match_all": {}}, "sort": ["_doc"]})["hits"]["hits"]
    return hits


def count(url: str, pattern: str, query: dict[str, Any] | None = None) -> int:
    call(url, "POST", f"{pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true")
    body = {"query": query} if query else None
    return call(url, "POST",
                f"{pattern}/_count?ignore_unavailable=true&allow_no_indices=true",
                body)["count"]
