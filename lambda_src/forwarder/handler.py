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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from forwarder import documents, lifecycle, template
from forwarder.bulk import MIN_SPLIT_BYTES, Outcome, OutOfTime, Shipper, Stats
from forwarder.client import make_client
from forwarder.decode import Payload, decode_event, raw_data
from forwarder.errors import DecodeError, DeliveryError
from forwarder.settings import Settings


@dataclass
class Summary:
    events_in: int = 0
    stored: int = 0  # documents created by this invocation (log + errors index)
    already_present: int = 0  # found already stored (same _id): retries, replays
    errors_indexed: int = 0  # records sent to the errors index (rejected, bad, undecodable)
    undelivered: int = 0
    retries: int = 0
    requests: int = 0
    bytes_sent: int = 0
    ms: int = 0
    outcome: str = "ok"  # ok | control_message | no_events | undecodable_kept | failed
    reason: str = ""
    tags: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now_ms() -> int:
    """The ingestion time (event.ingested). Never names an errors index or an _id: a retry
    after midnight must find what the first attempt stored (documents.input_day)."""
    return time.time_ns() // 1_000_000


# Templates already checked in this container, by (endpoint, prefix): one GET per template
# per container, not per invocation. Likewise the lifecycle policy, by (endpoint, prefix,
# retention days).
_templates_ready: set[tuple[str, str]] = set()
_policy_ready: set[tuple[str, str, int]] = set()


def process(event: Any, settings: Settings, client: Any, deadline: float,
            log_fields: dict[str, Any] | None = None) -> Summary:
    """Store one subscription event's log lines; return counts or raise DeliveryError.

    ``deadline`` is a ``time.monotonic()`` value; ``settings.safety_margin_s`` before it
    nothing new is sent. Emits exactly one structured JSON log line.
    """
    started = time.monotonic()
    summary = Summary()
    log_stats, error_stats = Stats(), Stats()
    extra = dict(log_fields or {})
    try:
        _process(event, settings, client, deadline, summary, log_stats, error_stats, extra)
    except DeliveryError as exc:
        summary.outcome = "failed"
        summary.undelivered = exc.undelivered
        summary.reason = exc.reason
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
             extra: dict[str, Any]) -> None:
    ingested_ms = _now_ms()

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
                                           region, ingested_ms)
        summary.reason = exc.reason
        _ensure_templates(shipper, settings, pending=1, extra=extra)
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

    _ensure_templates(shipper, settings, pending=summary.events_in, extra=extra)
    # Built a part at a time: each part is sent while the next is built (bulk.Shipper.ship).
    batch = documents.Batch()
    # One part per request allowed in flight; the sequential path builds all, then sends.
    parts = documents.build_parts(batch, payload, region, prefix, ingested_ms,
                                  parts=settings.bulk_concurrency, min_part_bytes=MIN_SPLIT_BYTES)
    outcome = shipper.ship(batch.lines, batch.indices, _paused_gc_parts(parts))
    summary.tags = batch.tags
    error_docs = [documents.bad_event_doc(ev, why, prefix, payload, region, ingested_ms)
                  for ev, why in batch.bad_events]
    if payload.utf8_error:
        # The events were stored with U+FFFD for the bad bytes; keep the original bytes.
        error_docs.append(documents.raw_payload_doc(
            "invalid_utf8", payload.utf8_error, raw_data(event), prefix, region,
            ingested_ms, payload))
        summary.reason = payload.utf8_error
    rejected, again = _second_chance(shipper, batch, payload, outcome.rejected, region,
                                     prefix, ingested_ms)
    error_docs += [documents.rejected_doc(batch.lines[pos], batch.indices[pos],
                                          batch.events[pos], prefix, why, status, payload,
                                          region, ingested_ms)
                   for pos, status, why in rejected]
    undelivered_errors = _ship_errors(errors_shipper, error_docs, summary, raise_=False)
    undelivered = len(outcome.undelivered) + len(again.undelivered) + undelivered_errors
    if undelivered:
        reason = outcome.reason or again.reason or summary.reason
        raise DeliveryError(undelivered, f"{reason} (of {summary.events_in} events)")


def _second_chance(shipper: Shipper, batch: documents.Batch, payload: Payload,
                   rejected: list[tuple[int, int, str]], region: str, prefix: str,
                   ingested_ms: int) -> tuple[list[tuple[int, int, str]], Outcome]:
    """Rebuild rejected documents with their JSON re-encoded, and send those that changed.

    Documents are built with JSON message content copied verbatim (lines.fields); the
    engine refuses a JSON object with a duplicate key, which the re-encoded copy (last
    key wins) does not have. Returns what is still rejected, and the resend's outcome.
    """
    if not rejected:
        return rejected, Outcome()
    safe = documents.build(replace(payload, events=[batch.events[p] for p, _, _ in rejected]),
                           region, prefix, ingested_ms, verbatim_json=False)
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


def prepare(event: Any, region: str, index_prefix: str,
            ingested_ms: int) -> tuple[Payload, documents.Batch]:
    """The whole CPU path at once: decode the event and build every bulk entry (raises
    DecodeError), with the collector paused (``_paused_gc``)."""
    payload = _paused_gc(decode_event, event)
    if payload.message_type == "CONTROL_MESSAGE":
        return payload, documents.Batch()
    return payload, _paused_gc(documents.build, payload, region, index_prefix, ingested_ms)


def _ensure_templates(shipper: Shipper, settings: Settings, pending: int,
                      extra: dict[str, Any]) -> None:
    key = (settings.endpoint, settings.index_prefix)
    if key not in _templates_ready:
        try:
            shipper.ensure_templates(template.templates(
                settings.index_prefix, settings.index_shards, settings.index_replicas))
        except OutOfTime:
            raise DeliveryError(pending, "out of time installing the index templates") from None
        except (OSConnectionError, TransportError) as exc:
            raise DeliveryError(pending,
                                f"index templates could not be installed: {exc}") from None
        _templates_ready.add(key)
    _ensure_policy(shipper, settings, extra)


def _ensure_policy(shipper: Shipper, settings: Settings, extra: dict[str, Any]) -> None:
    """Install the lifecycle policy; never fails the delivery.

    Logs are worth more than their deletion on time: a failure is noted in the invocation's
    log line (``lifecycle``) and tried again by the next invocation. A domain without ISM is
    noted once per container.
    """
    key = (settings.endpoint, settings.index_prefix, settings.index_retention_days)
    if key in _policy_ready:
        return
    try:
        done = shipper.ensure_policy(settings.index_prefix, settings.index_retention_days)
    except OutOfTime:
        extra["lifecycle"] = "not checked: out of time"
        return
    except (OSConnectionError, TransportError) as exc:
        extra["lifecycle"] = f"policy not installed, will retry: {str(exc)[:300]}"
        return
    _policy_ready.add(key)
    if done == "unavailable":
        extra["lifecycle"] = ("no index lifecycle (ISM) on this domain: old indices are not "
                              "deleted")
    elif done != "current":
        extra["lifecycle"] = f"policy {lifecycle.policy_id(settings.index_prefix)} {done}"


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
    # One line of JSON on stdout: CloudWatch Logs stores it as one event, and Logs
    # Insights / metric filters can read every field.
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------
# Lambda

_container: tuple[Settings, Any] | None = None


def _settings_and_client() -> tuple[Settings, Any]:
    global _container
    if _container is None:
        # Failed requests are counted, retried and reported in the invocation's one log
        # line; opensearch-py's own per-request warnings (with tracebacks) would repeat
        # them line by line in CloudWatch during every 429 storm.
        logging.getLogger("opensearch").setLevel(logging.ERROR)
        settings = Settings.from_env(os.environ)
        _container = (settings, make_client(settings))
    return _container


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    settings, client = _settings_and_client()
    summary = process(event, settings, client, deadline, {
        "aws_request_id": getattr(context, "aws_request_id", None),
    })
    return summary.as_dict()


__all__ = ["Payload", "Summary", "lambda_handler", "process"]
