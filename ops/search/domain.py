"""Sending searches to the domain: the signed client, paging, and readable failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forwarder.settings import Settings

from ops import cli, times
from ops.search.query import index_pattern, sort_spec

PAGE = 1000


def source(hit: dict[str, Any]) -> dict[str, Any]:
    return hit.get("_source") or {}


def time_ms(value: Any) -> int | None:
    """Epoch ms of a document's ISO time field; None when it holds none."""
    if not isinstance(value, str):
        return None
    try:
        return times.epoch_ms(datetime.fromisoformat(value))
    except (ValueError, TypeError):  # TypeError: a time without an offset
        return None


@dataclass
class Newest:
    hits: list[dict[str, Any]]
    total: int  # lines that match
    exact: bool  # total is exact (else a lower bound)
    indices: bool  # some index has the prefix at all


class Searcher:
    """One place that sends searches: paging, the index pattern, and readable failures."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.index = index_pattern(settings.index_prefix)

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        from opensearchpy.exceptions import ConnectionError as OSConnectionError
        from opensearchpy.exceptions import TransportError

        try:
            return self.client.search(index=self.index, body=body, params={
                "ignore_unavailable": "true", "allow_no_indices": "true"})
        except OSConnectionError as exc:
            raise cli.CommandError(
                f"cannot reach {self.settings.endpoint}: {_why_unreachable(exc)}") from None
        except TransportError as exc:
            raise cli.CommandError(self._refusal(exc)) from None

    def _refusal(self, exc: Any) -> str:
        status = exc.status_code
        if status in (401, 403):
            scope = (f"signed for {self.settings.domain_region}" if self.settings.signed
                     else "not signed")
            return (f"{self.settings.endpoint} refused the search (HTTP {status}): your AWS "
                    f"identity must be one of the stack's edgelogs:adminPrincipals, and the "
                    f"request was {scope}; is that the domain's region? (--domain-region)")
        detail = " ".join(str(getattr(exc, "error", "") or exc).split())[:200]
        return f"{self.settings.endpoint} answered HTTP {status}: {detail}"

    def scan(self, query: dict[str, Any], *, descending: bool = False,
             limit: int | None = None, source: Any = True) -> Iterator[dict[str, Any]]:
        """Hits in sort order, page by page with search_after, at most `limit`."""
        after: list[Any] | None = None
        given = 0
        while limit is None or given < limit:
            size = PAGE if limit is None else min(PAGE, limit - given)
            body: dict[str, Any] = {"query": query, "sort": sort_spec(descending),
                                    "size": size, "_source": source,
                                    "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            hits = self.search(body)["hits"]["hits"]
            yield from hits
            given += len(hits)
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    def last(self, query: dict[str, Any], limit: int, source: Any) -> Newest:
        """The newest `limit` hits, in time order."""
        body = {"query": query, "sort": sort_spec(descending=True), "size": limit,
                "_source": source, "track_total_hits": True}
        answer = self.search(body)
        result = answer["hits"]
        total = result.get("total") or {}
        hits = list(reversed(result["hits"]))
        return Newest(hits, int(total.get("value", len(hits))),
                      total.get("relation", "eq") == "eq",
                      int((answer.get("_shards") or {}).get("total", 1)) > 0)


def _why_unreachable(exc: Any) -> str:
    text = " ".join(str(exc).split())
    for marker, why in (("Connection refused", "connection refused"),
                        ("timed out", "timed out"), ("Name or service not known",
                                                     "host name not found"),
                        ("nodename nor servname", "host name not found"),
                        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted")):
        if marker in text:
            return why
    return text[:200]


def make_searcher(settings: Settings) -> Searcher:
    """A client signed with the user's own credentials (unsigned for a local node)."""
    import logging

    from forwarder.client import make_client

    # Failures are reported once, by Searcher; not also by the transport's logger.
    logging.getLogger("opensearch").setLevel(logging.CRITICAL)
    credentials = None
    if settings.signed:
        import botocore.session

        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise cli.CommandError(
                "no AWS credentials found to sign the search (set AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
    return Searcher(make_client(settings, credentials), settings)
