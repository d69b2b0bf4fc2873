"""Lambda entry point and the invocation flow shared with the replay tool.

``lambda_handler`` only builds settings and the client (once per container) and works out
the deadline; everything else is ``process``, which the operator's replay tool calls with
its own settings, client and deadline.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

import contract

from forwarder import documents
from forwarder.bulk import MIN_SPLIT_BYTES, Outcome, Shipper, Stats
from forwarder.client import make_client
from forwarder.decode import Payload, decode_event, raw_data
from forwarder.destinations import Delivered, Documents, make_shippers
from forwarder.destinations import Shipper as DestinationShipper
from forwarder.errors import DecodeError, DeliveryError
from forwarder.retry import RetryPolicy
from forwarder.settings import Settings

DEST_OPENSEARCH = contract.DEST_OPENSEARCH  # the domain's destination name


@dataclass
class Summary:
    events_in: int = 0
    stored: int = 0  # documents created by this invocation (log + errors index)
    already_present: int = 0  # found already stored (same _id): retries, replays
    errors_indexed: int = 0  # records sent to the errors index (rejected, bad, undecodable)
    excluded: int = 0  # events edgelogs:exclude dropped on purpose (never sent anywhere)
    undelivered: int = 0
    retries: int = 0
    requests: int = 0
    bytes_sent: int = 0
    ms: int = 0
    outcome: str = "ok"  # ok | control_message | no_events | undecodable_kept | failed
    reason: str = ""
    tags: dict[str, int] = field(default_factory=dict)
    # The other destinations (http, syslog): what each took, by destination name.
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now_ms() -> int:
    """The ingestion time (event.ingested). Never names an errors index or an _id: a retry
    after midnight must find what the first attempt stored (documents.input_day)."""
    return time.time_ns() // 1_000_000


def process(event: Any, settings: Settings, client: Any, deadline: float,
            log_fields: dict[str, Any] | None = None,
            others: Sequence[DestinationShipper] = (),
            only: Collection[str] | None = None) -> Summary:
    """Deliver one subscription event's log lines to every destination: the domain
    (``client``; None when there is none) and ``others`` (destinations.make_shippers).
    Return counts or raise DeliveryError naming the destinations that failed.

    ``only``: deliver to these destinations alone (by name: "opensearch" or a shipper's
    name), as replay does for the ones a failure named. ``deadline`` is a
    ``time.monotonic()`` value; ``settings.safety_margin_s`` before it nothing new is sent.
    Emits exactly one structured JSON log line.
    """
    started = time.monotonic()
    summary = Summary()
    log_stats, error_stats = Stats(), Stats()
    extra = dict(log_fields or {})
    redactor = settings.redactor
    try:
        _process(event, settings, client, deadline, summary, log_stats, error_stats, extra,
                 [o for o in others if only is None or o.name in only],
                 client is not None and (only is None or DEST_OPENSEARCH in only))
    except DeliveryError as exc:
        summary.outcome = "failed"
        summary.undelivered = exc.undelivered
        summary.reason = exc.reason
        if redactor is not None and redactor.text(exc.reason) != exc.reason:
            # Lambda writes the error's message to the function's log: redacted too.
            raise DeliveryError(exc.undelivered, redactor.text(exc.reason)) from None
        raise
    except BaseException as exc:
        # Anything unforeseen: the log line must not say "ok" for an invocation that fails.
        summary.outcome = "failed"
        summary.undelivered = summary.events_in
        summary.reason = f"{type(exc).__name__}: {str(exc)[:300]}"
        raise
    finally:
        summary.stored = log_stats.stored
        summary.already_present = log_stats.already_present
        summary.errors_indexed = error_stats.stored + error_stats.already_present
        summary.retries = log_stats.retries + error_stats.retries
        summary.requests = log_stats.requests + error_stats.requests
        summary.bytes_sent = log_stats.bytes_sent + error_stats.bytes_sent
        summary.ms = round((time.monotonic() - started) * 1000)
        _log(summary, settings, extra)
    return summary


def _process(event: Any, settings: Settings, client: Any, deadline: float,
             summary: Summary, log_stats: Stats, error_stats: Stats,
             extra: dict[str, Any], others: list[DestinationShipper], domain: bool) -> None:
    ingested_ms = _now_ms()
    if not domain:
        _deliver_elsewhere(event, settings, deadline, summary, others, ingested_ms)
        return

    def shipper_for(stats: Stats) -> Shipper:
        return Shipper(client, deadline, settings.safety_margin_s, settings.bulk_max_bytes,
                       settings.bulk_max_docs, settings.request_timeout_s, stats,
                       concurrency=settings.bulk_concurrency)

    shipper = shipper_for(log_stats)
    errors_shipper = shipper_for(error_stats)
    prefix, region = settings.index_prefix, settings.region

    try:
        payload = _paused_gc(decode_event, event)
    except DecodeError as exc:
        # Undecodable: keep the raw data in the errors index. Retrying cannot fix it, so
        # the invocation succeeds once (and only if) that record is stored.
        try:
            raw: Any = raw_data(event)
        except DecodeError:
            raw = event
        record = documents.raw_payload_doc("undecodable_payload", exc.reason, raw, prefix,
                                           region, ingested_ms, redactor=settings.redactor)
        summary.reason = exc.reason
        _ship_errors(errors_shipper, [record], summary)
        summary.outcome = "undecodable_kept"
        return

    extra.setdefault("log_group", payload.log_group)
    if payload.message_type == "CONTROL_MESSAGE":
        # CloudWatch Logs' connectivity check when the subscription is created.
        summary.outcome = "control_message"
        return

    summary.events_in = len(payload.events)
    if not payload.events and not payload.utf8_error:
        summary.outcome = "no_events"
        return

    batch = documents.Batch()
    sending: Others | None = None
    # Exclusion and redaction happen while documents are built, before any exists:
    # everything built from the batch (every destination's documents, the errors index) is
    # already redacted.
    if others:
        # Every document is built first and the other destinations start at once, each in
        # its own thread with the whole time left: a slow or failing domain (bulk retries)
        # cannot use up their time, nor they the domain's.
        batch = _paused_gc(documents.build, payload, region, prefix, ingested_ms, True,
                           settings.redactor, settings.excluder)
        sending = Others.start(batch, settings, deadline, others)
        outcome = shipper.ship(batch.lines, batch.indices)
    else:
        # Built a part at a time: each part is sent while the next is built
        # (bulk.Shipper.ship). One part per request allowed in flight.
        parts = documents.build_parts(batch, payload, region, prefix, ingested_ms,
                                      parts=settings.bulk_concurrency,
                                      min_part_bytes=MIN_SPLIT_BYTES,
                                      redactor=settings.redactor, excluder=settings.excluder)
        outcome = shipper.ship(batch.lines, batch.indices, _paused_gc_parts(parts))
    summary.tags = batch.tags
    summary.excluded = batch.excluded
    redactor = settings.redactor
    error_docs = [documents.bad_event_doc(ev, why, prefix, payload, region, ingested_ms,
                                          redactor)
                  for ev, why in batch.bad_events]
    if payload.utf8_error:
        # The events were stored with U+FFFD for the bad bytes; keep the original bytes.
        error_docs.append(documents.raw_payload_doc(
            "invalid_utf8", payload.utf8_error, raw_data(event), prefix, region,
            ingested_ms, payload, redactor))
        summary.reason = payload.utf8_error
    rejected, again = _second_chance(shipper, batch, payload, outcome.rejected, region,
                                     prefix, ingested_ms, redactor)
    error_docs += [documents.rejected_doc(batch.lines[pos], batch.indices[pos],
                                          batch.events[pos], prefix, why, status, payload,
                                          region, ingested_ms, redactor)
                   for pos, status, why in rejected]
    undelivered_errors = _ship_errors(errors_shipper, error_docs, summary, raise_=False)
    undelivered = len(outcome.undelivered) + len(again.undelivered) + undelivered_errors
    # The other destinations got the same documents, whatever the domain did.
    failed = sending.finish(summary) if sending is not None else []
    if undelivered:
        reason = outcome.reason or again.reason or summary.reason
        # A stack whose only destination is the domain keeps its message as it was.
        raise DeliveryError(undelivered, f"{reason} (of {summary.events_in} events)",
                            (DEST_OPENSEARCH, *failed) if others else ())
    if failed:
        _raise_for(failed, summary)


def _deliver_elsewhere(event: Any, settings: Settings, deadline: float, summary: Summary,
                       others: list[DestinationShipper], ingested_ms: int) -> None:
    """No domain (or a replay to other destinations only): build the documents, send them.

    An undecodable payload has nothing to send and no errors index to keep it in: it fails
    the invocation, so that the failure queue keeps it."""
    try:
        payload, batch = prepare(event, settings.region, settings.index_prefix, ingested_ms,
                                 settings.redactor, settings.excluder)
    except DecodeError as exc:
        raise DeliveryError(1, f"undecodable payload kept in the failure queue: {exc.reason}",
                            tuple(o.name for o in others)) from None
    if payload.message_type == "CONTROL_MESSAGE":
        summary.outcome = "control_message"
        return
    summary.events_in = len(payload.events)
    summary.tags = batch.tags
    summary.excluded = batch.excluded
    if not batch.lines:
        summary.outcome = "no_events"
        return
    failed = Others.start(batch, settings, deadline, others).finish(summary)
    if failed:
        _raise_for(failed, summary)


@dataclass
class Others:
    """The other destinations sending one batch's documents, side by side."""

    shippers: list[DestinationShipper]
    futures: list[Future[Delivered]]
    pool: ThreadPoolExecutor | None

    @classmethod
    def start(cls, batch: documents.Batch, settings: Settings, deadline: float,
              shippers: list[DestinationShipper]) -> Others:
        """Each destination in a thread of its own, with its own retry budget of the same
        deadline: one that fails or hangs cannot stop another."""
        if not shippers or not batch.lines:
            return cls([], [], None)
        docs = Documents.from_bulk(batch.lines, batch.events, batch.account)
        pool = ThreadPoolExecutor(max_workers=len(shippers), thread_name_prefix="destination")
        futures = [pool.submit(s.ship, docs, RetryPolicy(deadline, settings.safety_margin_s,
                                                         settings.request_timeout_s))
                   for s in shippers]
        return cls(list(shippers), futures, pool)

    def finish(self, summary: Summary) -> list[str]:
        """Wait for every destination; record what each did; the names of those that did
        not take every document."""
        failed = []
        for shipper, future in zip(self.shippers, self.futures, strict=True):
            try:
                delivered = future.result()
            except Exception as exc:  # a shipper's bug must not hide the others' results
                delivered = Delivered(shipper.name, undelivered=int(summary.events_in),
                                      reason=f"{type(exc).__name__}: {exc}"[:300])
            summary.destinations[shipper.name] = delivered.as_dict()
            if delivered.undelivered:
                failed.append(shipper.name)
        if self.pool is not None:
            self.pool.shutdown(wait=False)
        return failed


def _raise_for(failed: list[str], summary: Summary) -> None:
    first = summary.destinations[failed[0]]
    undelivered = max(d["undelivered"] for n, d in summary.destinations.items() if n in failed)
    raise DeliveryError(undelivered, f"{failed[0]}: {first['reason']} (of "
                                     f"{summary.events_in} events)", tuple(failed))


def _second_chance(shipper: Shipper, batch: documents.Batch, payload: Payload,
                   rejected: list[tuple[int, int, str]], region: str, prefix: str,
                   ingested_ms: int,
                   redactor: Any = None) -> tuple[list[tuple[int, int, str]], Outcome]:
    """Rebuild rejected documents with their JSON re-encoded, and send those that changed.

    Documents are built with JSON message content copied verbatim (lines.fields); the
    engine refuses a JSON object with a duplicate key, which the re-encoded copy (last
    key wins) does not have. Returns what is still rejected, and the resend's outcome.
    """
    if not rejected:
        return rejected, Outcome()
    safe = documents.build(replace(payload, events=[batch.events[p] for p, _, _ in rejected]),
                           region, prefix, ingested_ms, verbatim_json=False,
                           redactor=redactor)
    changed = [i for i, (pos, _, _) in enumerate(rejected) if safe.lines[i] != batch.lines[pos]]
    if not changed:
        return rejected, Outcome()
    again = shipper.ship([safe.lines[i] for i in changed], [safe.indices[i] for i in changed])
    resent = set(changed)
    still = [r for i, r in enumerate(rejected) if i not in resent]
    still += [(rejected[changed[j]][0], status, why) for j, status, why in again.rejected]
    return still, again


T = TypeVar("T")


def _paused_gc(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with the cyclic garbage collector paused: json.loads and the documents
    create tens of thousands of acyclic objects, which would trigger repeated collections
    that find nothing (about a tenth of the CPU path's time)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if paused:
            gc.enable()


def _paused_gc_parts(parts: Iterator[range]) -> Iterator[range]:
    """Each part of ``parts`` built with the collector paused (``_paused_gc``)."""
    while (part := _paused_gc(next, parts, None)) is not None:
        yield part


def prepare(event: Any, region: str, index_prefix: str, ingested_ms: int,
            redactor: Any = None, excluder: Any = None) -> tuple[Payload, documents.Batch]:
    """The whole CPU path at once: decode the event and build every bulk entry (raises
    DecodeError), with the collector paused (``_paused_gc``)."""
    payload = _paused_gc(decode_event, event)
    if payload.message_type == "CONTROL_MESSAGE":
        return payload, documents.Batch()
    return payload, _paused_gc(documents.build, payload, region, index_prefix, ingested_ms,
                               True, redactor, excluder)


def _ship_errors(shipper: Shipper, docs: list[documents.ErrorDoc], summary: Summary,
                 raise_: bool = True) -> int:
    """Ship errors-index records ((index, entry, event)); return how many were not stored."""
    if not docs:
        return 0
    outcome = shipper.ship([line for _, line, _ in docs], [index for index, _, _ in docs])
    # The errors template indexes nothing a record's content can break, so a rejection
    # here is unexpected: count it as undelivered rather than loop.
    failed = len(outcome.undelivered) + len(outcome.rejected)
    if failed:
        why = outcome.reason or outcome.rejected[0][2]
        if raise_:
            raise DeliveryError(failed, f"{summary.reason}; and the record could not be kept "
                                        f"in the errors index: {why}")
        summary.reason = f"errors index: {why}"
    return failed


def _log(summary: Summary, settings: Settings, extra: dict[str, Any]) -> None:
    line = {
        "msg": "edgelogs forwarder invocation",
        "region": settings.region,
        **extra,
        **summary.as_dict(),
    }
    redactor = settings.redactor
    if redactor is not None:
        # Reasons may quote content (a decoder's sentence, an engine's rejection).
        line = {k: redactor.text(v) if isinstance(v, str) else v for k, v in line.items()}
    if settings.excluder is not None:
        line.update(excluded_metric(summary.excluded))
    # One line of JSON on stdout: CloudWatch Logs stores it as one event, and Logs
    # Insights / metric filters can read every field.
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


def excluded_metric(excluded: int) -> dict[str, Any]:
    """The members that make the summary line also a CloudWatch metric (embedded metric
    format, which Lambda's log group extracts from stdout:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
    ExcludedEvents in namespace contract.METRIC_NAMESPACE_FORWARDER, by function."""
    return {
        "_aws": {
            "Timestamp": _now_ms(),
            "CloudWatchMetrics": [{
                "Namespace": contract.FORWARDER_METRIC_NAMESPACE,
                "Dimensions": [[contract.FORWARDER_METRIC_DIMENSION]],
                "Metrics": [{"Name": contract.EXCLUDED_METRIC, "Unit": "Count"}],
            }],
        },
        contract.FORWARDER_METRIC_DIMENSION: os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local"),
        contract.EXCLUDED_METRIC: excluded,
    }


# ---------------------------------------------------------------------------------------
# Lambda

_container: tuple[Settings, Any, list[DestinationShipper]] | None = None


def _settings_and_client() -> tuple[Settings, Any, list[DestinationShipper]]:
    global _container
    if _container is None:
        # Failed requests are counted, retried and reported in the invocation's one log
        # line; opensearch-py's own per-request warnings (with tracebacks) would repeat
        # them line by line in CloudWatch during every 429 storm.
        logging.getLogger("opensearch").setLevel(logging.ERROR)
        settings = Settings.from_env(os.environ)
        client = make_client(settings) if settings.has_domain else None
        # Header secrets are read here, once per container, from Secrets Manager.
        others = make_shippers(settings.destinations, settings.region,
                               settings.request_timeout_s, settings.bulk_max_bytes)
        _container = (settings, client, others)
    return _container


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    settings, client, others = _settings_and_client()
    summary = process(event, settings, client, deadline, {
        "aws_request_id": getattr(context, "aws_request_id", None),
    }, others)
    return summary.as_dict()


__all__ = ["Payload", "Summary", "lambda_handler", "process"]
