"""The one place that talks to the engine for the forwarder: bulk requests.

Every bulk request is ``POST /<index>/_bulk`` with no ``_index`` in its body, and a chunk
never mixes indices. What the forwarder may write is decided by the domain's security plugin
(the writer role of lambda_src/domain_setup/roles.py: documents into ``<prefix>-*``); index
templates and the ISM policy are the domain setup's, never the forwarder's.

Retry policy, at a glance
-------------------------
A *blocked* write is one the engine refuses for the state of the cluster or index, never for
the document: 429 (queue full, or since OpenSearch 2.x the flood-stage disk block
``index.blocks.read_only_allow_delete``) and 403 ``cluster_block_exception`` (an index
``index.blocks.write`` block, a cluster read-only block) or ``index_create_block_exception``
(``cluster.blocks.create_index``, which the flood stage also sets). It can lift at any moment,
so it is retried; it must never send a good event to the errors index.

=======================================  =============================================
outcome                                  what happens
=======================================  =============================================
item 201 created                         stored
item 409 version_conflict (create)       already present (same deterministic _id) = stored
item 429 / 5xx                           retried (only those items)
item 403 cluster_block_exception,        retried (only those items): a block, lifted
index_create_block_exception             by the operator or by freeing disk
item 400 content error                   rejected for its content -> errors index
(mapper_parsing_exception,
document_parsing_exception, ...)
item other 4xx (index_closed_exception,  not the document's fault, not retried here ->
validation_exception (shard limit),      undelivered (the invocation fails; Lambda
security 403, 404...)                    retries, then the failure queue)
request 429 / 5xx / connection error     whole chunk retried
/ timeout / 403 block (as for items)
request 413 (body too large)             chunk split in two and both halves retried
request other 4xx (403 signature...)     undelivered, no retry (retrying cannot help)
=======================================  =============================================

Still blocked at the end of the invocation: the events are undelivered, never rejected.

Backoff between rounds, the time a request may start and its timeout: the forwarder's one
retry policy (retry.py), shared with the HTTP and syslog destinations.
Whatever is not stored by then is reported back as undelivered, with the last reason.

Up to ``concurrency`` bulk requests are in flight at once (``BULK_CONCURRENCY``). The
handler builds a batch in as many parts (``documents.build_parts``) and each part goes out as
soon as it is built, so the engine indexes the first while the next is built; a round's
chunks are otherwise cut in even shares, so that its requests end together. Requests run in
worker threads (which compress and send); each returns a ``Sent`` (what happened to every
item of its chunk) and only the dispatching thread applies it to the stats and the outcome,
so nothing shared is written from two threads. A round ends when all its requests are
answered; retries go in the next.
"""

from __future__ import annotations

import random
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from itertools import accumulate
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, TransportError

from forwarder.retry import (  # the backoff constants, re-exported for the tests
    BACKOFF_BASE_S,  # noqa: F401
    BACKOFF_CAP_S,  # noqa: F401
    MIN_REQUEST_S,  # noqa: F401
    Clock,
    OutOfTime,
    RetryPolicy,
    Sleep,
    retryable_status,
)

# With several requests in flight, a round's entries are cut into at least as many chunks as
# requests allowed (so they index side by side), and the handler builds a batch in as many
# parts (documents.build_parts), but never into chunks or parts smaller than this.
MIN_SPLIT_BYTES = 512 * 1024
# Only what the loop reads: keeps a 10,000-item response small and quick to parse.
_FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason"

_WHY = re.compile(r"\[Errno -?\d+\][^'\")]*|[Rr]ead timed out[^'\")]*|Connection refused"
                  r"|Connection reset by peer|Connection aborted|RemoteDisconnected[^'\")]*")

# 403s that are blocks, not authorisation: OpenSearch's ClusterBlockException takes its status
# from the block (index.blocks.write and cluster read-only: FORBIDDEN; the flood-stage
# read_only_allow_delete block: TOO_MANY_REQUESTS since 2.x), IndexCreateBlockException
# (cluster.blocks.create_index) is FORBIDDEN. Source: opensearch-project/OpenSearch,
# server/src/main/java/org/opensearch/cluster/metadata/IndexMetadata.java (INDEX_WRITE_BLOCK,
# INDEX_READ_ONLY_ALLOW_DELETE_BLOCK) and .../cluster/block/IndexCreateBlockException.java.
BLOCKS = frozenset({"cluster_block_exception", "index_create_block_exception"})
# 400s caused by the document itself: the only item errors that go to the errors index. Any
# other 400 (index_closed_exception, validation_exception for the shard limit,
# invalid_index_name_exception...) is about the index or cluster: the event is undelivered.
CONTENT_ERRORS = frozenset({
    "mapper_parsing_exception",
    "document_parsing_exception",
    "strict_dynamic_mapping_exception",
    "illegal_argument_exception",  # a field value: immense term, bad date, ...
    "parse_exception",
    "json_parse_exception",
    "x_content_parse_exception",
    "not_x_content_exception",
    "mapper_exception",
})


@dataclass
class Stats:
    stored: int = 0  # created now
    already_present: int = 0  # 409 on create: stored by an earlier attempt
    retries: int = 0  # document re-sends (a document retried twice counts 2)
    requests: int = 0
    bytes_sent: int = 0  # uncompressed NDJSON bytes handed to the client
    rounds: int = 0

    def add(self, other: Stats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Outcome:
    # Positions in the list given to ship(), never the lines themselves.
    rejected: list[tuple[int, int, str]] = field(default_factory=list)  # pos, status, reason
    undelivered: list[int] = field(default_factory=list)
    reason: str = ""  # why the undelivered ones are undelivered (last error seen)


@dataclass
class Sent:
    """What one bulk request did to each item of its chunk; ship() applies it."""

    stats: Stats = field(default_factory=Stats)  # this request's counts only
    outcome: Outcome = field(default_factory=Outcome)  # its rejected, undelivered and reason
    retry: list[int] = field(default_factory=list)  # positions for the next round
    split: list[Sequence[int]] = field(default_factory=list)  # 413: send these instead


class _Inline:
    """An executor that runs the call at once, in this thread: the sequential path."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Sent], /, *args: Any) -> Future[Sent]:
        future: Future[Sent] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # re-raised by result(), as a worker's would be
            future.set_exception(exc)
        return future


class Shipper:
    """Sends documents until stored, rejected for content, or out of time."""

    def __init__(self, client: OpenSearch, deadline: float, safety_margin_s: float,
                 max_bytes: int, max_docs: int, request_timeout_s: float,
                 stats: Stats | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep, rng: random.Random | None = None,
                 concurrency: int = 1) -> None:
        self.client = client
        self.policy = RetryPolicy(deadline, safety_margin_s, request_timeout_s, clock, sleep,
                                  rng)
        self.deadline = deadline
        self.margin = safety_margin_s
        self.max_bytes = max_bytes
        self.max_docs = max_docs
        self.request_timeout_s = request_timeout_s
        self.stats = stats if stats is not None else Stats()
        self._indices: Sequence[str] = ()  # the index of each entry given to ship()
        self.concurrency = max(1, concurrency)  # bulk requests in flight at most

    # -- time -----------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> bool:
        return self.policy.backoff(attempt)

    def _request_timeout(self) -> float:
        return self.policy.request_timeout()

    # -- bulk -----------------------------------------------------------------------------

    def ship(self, lines: list[str], indices: Sequence[str],
             parts: Iterable[Sequence[int]] | None = None) -> Outcome:
        """Store bulk entries (``documents.Batch.lines``) each into its index
        (``Batch.indices``, same positions); report what could not be.

        ``parts``: the entries are still being built (``documents.build_parts`` fills
        ``lines`` and ``indices``): each part's positions, once built, are sent as a chunk of
        their own while the next part is built."""
        outcome = Outcome()
        self._indices = indices
        # What the round sends besides ``more``; later rounds: lists of positions.
        pending: Sequence[int] = range(len(lines)) if parts is None else range(0)
        more: Iterator[list[Sequence[int]]] = iter(
            () if parts is None else (list(self.chunks(lines, part, indices, shares=1))
                                      for part in parts))
        attempt = 0
        while True:
            self.stats.rounds += 1
            retry: list[int] = []
            queue: list[Sequence[int]] = list(self.chunks(lines, pending, indices))
            self._round(lines, queue, more, retry, outcome)
            if not retry:
                break
            attempt += 1
            if not self._backoff(attempt):
                outcome.undelivered.extend(retry)
                outcome.reason = f"{outcome.reason}; {self.policy.gave_up(attempt)}"
                break
            self.stats.retries += len(retry)
            # Answers come back in any order; a chunk lists its entries in order.
            pending = sorted(retry)
        outcome.undelivered.sort()
        outcome.rejected.sort()
        return outcome

    def _round(self, lines: list[str], queue: list[Sequence[int]],
               more: Iterator[list[Sequence[int]]], retry: list[int],
               outcome: Outcome) -> None:
        """Send every chunk of ``queue``, and of ``more`` as it is built, up to
        ``concurrency`` at once, each only while there is time for it; what is to be tried
        again goes to ``retry``.

        Building comes before waiting: while requests are in flight the next part is built,
        and answers that came in meanwhile are applied after it."""
        in_flight: set[Future[Sent]] = set()
        building = True
        with self._executor() as pool:
            while True:
                while queue and len(in_flight) < self.concurrency:
                    try:
                        timeout = self._request_timeout()
                    except OutOfTime:
                        outcome.reason = outcome.reason or "out of time before the request was sent"
                        for rest in queue:
                            retry.extend(rest)
                        for built in more:  # never sent: positions for the caller to report
                            for rest in built:
                                retry.extend(rest)
                        queue.clear()
                        building = False
                        break
                    in_flight.add(pool.submit(self._send, lines, queue.pop(0), timeout))
                if building:
                    built = next(more, None)
                    if built is None:
                        building = False
                    else:
                        queue.extend(built)
                    done = {future for future in in_flight if future.done()}
                    in_flight -= done
                elif in_flight:  # (a chunk still queued means every slot is taken)
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                else:
                    break
                for future in done:
                    self._apply(future.result(), retry, queue, outcome)

    def _executor(self) -> ThreadPoolExecutor | _Inline:
        if self.concurrency == 1:
            return _Inline()
        return ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="bulk")

    def _apply(self, sent: Sent, retry: list[int], queue: list[Sequence[int]],
               outcome: Outcome) -> None:
        """Add one request's result to the round's (in the dispatching thread only)."""
        self.stats.add(sent.stats)
        retry.extend(sent.retry)
        queue[:0] = sent.split  # a split chunk's halves go first, as in the sequential path
        outcome.rejected.extend(sent.outcome.rejected)
        outcome.undelivered.extend(sent.outcome.undelivered)
        outcome.reason = sent.outcome.reason or outcome.reason

    def chunks(self, lines: list[str], positions: Sequence[int], indices: Sequence[str],
               shares: int | None = None) -> Iterator[Sequence[int]]:
        """Runs of positions of one index whose entries total at most max_bytes (NDJSON)
        and max_docs entries.

        With several requests allowed in flight, each index's entries are first cut into
        even shares by bytes (``shares``, by default one per request in flight), so that
        the requests of a round index side by side and end together.

        A single entry larger than max_bytes travels alone (the engine's own limit, 100 MB
        by default, is far above any CloudWatch event). Sizes are summed and the cut
        points found by bisection, so no Python code runs per entry.
        """
        for group in _by_index(positions, indices):
            ends = list(accumulate(map(len, map(lines.__getitem__, group))))  # ASCII: bytes
            for start, stop in self._shares(ends, shares or self.concurrency):
                yield from self._cut(ends, group, start, stop)

    def _shares(self, ends: list[int], shares: int) -> Iterator[tuple[int, int]]:
        """(start, stop) of even shares by bytes: ``shares`` of them, or a multiple when a
        share would pass max_bytes, none under MIN_SPLIT_BYTES (one share: the whole)."""
        n = len(ends)
        total = ends[-1] if ends else 0
        if shares == 1 or n < 2:
            yield 0, n
            return
        rounds = -(-total // (self.max_bytes * shares))  # rounds of ``shares`` requests
        count = min(shares * rounds, max(1, total // MIN_SPLIT_BYTES), n)
        start = 0
        for i in range(1, count + 1):
            stop = n if i == count else bisect_right(ends, total * i // count, start + 1, n)
            if stop > start:
                yield start, stop
            start = stop

    def _cut(self, ends: list[int], positions: Sequence[int], start: int,
             n: int) -> Iterator[Sequence[int]]:
        """Runs from ``start`` to ``n`` of at most max_bytes and max_docs entries each."""
        before = ends[start - 1] if start else 0
        while start < n:
            end = bisect_right(ends, before + self.max_bytes, start + 1, n)
            end = min(max(end, start + 1), start + self.max_docs)
            yield positions[start:end]
            before = ends[end - 1]
            start = end

    def _send(self, lines: list[str], chunk: Sequence[int], timeout: float) -> Sent:
        """One bulk request. Runs in a worker thread: writes only to the Sent it returns."""
        sent = Sent()
        retry, queue, outcome, stats = sent.retry, sent.split, sent.outcome, sent.stats
        first, last = chunk[0], chunk[-1]
        if last - first + 1 == len(chunk):  # contiguous: always so in the first round
            body = "".join(lines[first:last + 1]).encode("ascii")
        else:
            body = "".join([lines[pos] for pos in chunk]).encode("ascii")
        stats.requests += 1
        stats.bytes_sent += len(body)
        try:
            response = self.client.bulk(
                index=self._indices[first],  # every entry of a chunk has the same index
                body=body,
                params={"filter_path": _FILTER_PATH, "request_timeout": timeout},
                headers={"content-type": "application/x-ndjson"},
            )
        except (OSConnectionError, TransportError) as exc:
            status = _status(exc)
            if status == 413 and len(chunk) > 1:
                half = len(chunk) // 2
                queue[:0] = [chunk[:half], chunk[half:]]
                return sent
            outcome.reason = _describe(exc)
            if _retryable_exc(exc):
                retry.extend(chunk)
            else:
                outcome.undelivered.extend(chunk)
            return sent
        if not response.get("errors"):
            # Every item is 201: nothing to look at item by item.
            stats.stored += len(chunk)
            return sent
        items = response.get("items") or []
        if len(items) != len(chunk):
            outcome.reason = f"bulk response has {len(items)} items for {len(chunk)} documents"
            retry.extend(chunk)
            return sent
        for pos, item in zip(chunk, items, strict=True):
            result = next(iter(item.values()))
            status = result.get("status", 0)
            if 200 <= status < 300:
                stats.stored += 1
            elif status == 409:
                stats.already_present += 1
            elif _retryable(status, _error_type(result)):
                retry.append(pos)
                outcome.reason = _item_reason(status, result)
            elif status == 400 and _error_type(result) in CONTENT_ERRORS:
                outcome.rejected.append((pos, status, _item_reason(status, result)))
            else:
                outcome.undelivered.append(pos)
                outcome.reason = _item_reason(status, result)
        return sent


def _by_index(positions: Sequence[int], indices: Sequence[str]) -> list[Sequence[int]]:
    """``positions`` split by the index of their entry, each group in the given order.

    Nearly every batch has one index (one day): checked at C speed, without a Python loop
    per entry, when the positions are one contiguous range.
    """
    if not positions:
        return []
    first = indices[positions[0]]
    if isinstance(positions, range) and positions.step == 1:
        start, stop = positions.start, positions.stop
        same = (indices.count(first) == stop - start if start == 0 and stop == len(indices)
                else list(indices[start:stop]).count(first) == stop - start)
        if same:
            return [positions]
    groups: dict[str, list[int]] = {}
    for pos in positions:
        groups.setdefault(indices[pos], []).append(pos)
    return list(groups.values())


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _retryable(status: int | None, error_type: str) -> bool:
    """A busy or blocked engine: worth asking again within the invocation."""
    return retryable_status(status) or (status == 403 and error_type in BLOCKS)


def _retryable_exc(exc: Exception) -> bool:
    if isinstance(exc, OSConnectionError):  # includes ConnectionTimeout
        return True
    return _retryable(_status(exc), _exc_error_type(exc))


def _exc_error_type(exc: Exception) -> str:
    """The engine's error type of a failed request (``cluster_block_exception``...).

    A 403 from the AWS front door (signature, authorisation) has no such type: its body is
    ``{"message": ...}`` (or ``{"Message": ...}``), so it is never taken for a block.
    """
    info = getattr(exc, "info", None)
    return _error_type(info) if isinstance(info, dict) else ""


def _error_type(answer: dict[str, Any]) -> str:
    """``error.type`` of a bulk item's result or of a failed request's body, else ""."""
    error = answer.get("error")
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        return error["type"]
    return ""


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSConnectionError):
        # urllib3's text is long (pool, URL with query); keep the part that says why.
        text = f"{exc.info} {exc.error}"
        m = _WHY.search(text)
        why = m.group(0) if m else text[:200]
        kind = "timed out" if isinstance(exc, ConnectionTimeout) else "connection error"
        return f"{kind}: {why}"
    status = _status(exc)
    error = getattr(exc, "error", "")
    info = getattr(exc, "info", None)
    detail = ""
    if isinstance(info, dict):
        err = info.get("error")
        detail = err.get("reason", "") if isinstance(err, dict) else str(err or "")
    return f"HTTP {status} {error} {detail}".strip()


def _item_reason(status: int, result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{status} {error.get('type', '')}: {error.get('reason', '')}"
    return f"{status} {error or ''}".strip()
