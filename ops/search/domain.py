"""Sending searches to the domain: the signed client, paging, and readable failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forwarder.settings import Settings

from ops import cli, times
from ops.search import paging
from ops.search.query import TIME_FIELD, index_pattern, sort_spec, with_clause


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
             limit: int | None = None, source: Any = True,
             field: str = TIME_FIELD) -> Iterator[dict[str, Any]]:
        """Hits in (field, _id parts) order, each once, at most `limit` (ops.search.paging)."""
        return paging.scan(self.search, query, field=field, descending=descending,
                           limit=limit, source=source)

    def last(self, query: dict[str, Any], limit: int, source: Any) -> Newest:
        """The newest `limit` hits, in time order (ties in _id order, as a scan gives them)."""
        body = {"query": query, "sort": sort_spec(descending=True), "size": limit,
                "_source": source, "track_total_hits": True}
        answer = self.search(body)
        result = answer["hits"]
        total = result.get("total") or {}
        count = int(total.get("value", len(result["hits"])))
        exact = total.get("relation", "eq") == "eq"
        hits = paging.in_order(result["hits"], descending=True)
        if hits and len(hits) == limit and (count > limit or not exact):
            # The oldest time shown may have more lines than fit: the node kept an arbitrary
            # few of them. Read that whole group and keep its first ones in _id order.
            oldest = paging.value(hits[-1])
            newer = [h for h in hits if paging.value(h) != oldest]
            hits = newer + list(self.scan(
                with_clause(query, paging.at(TIME_FIELD, oldest)), descending=True,
                limit=limit - len(newer), source=source))
        return Newest(list(reversed(hits)), count, exact,
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
