"""Build bulk-ready documents from a decoded payload: the forwarder's CPU hot path.

Each document becomes one string, the ready NDJSON text of its bulk ``create`` action and
source, and its index is kept alongside (``Batch.indices``): the action line names only the
``_id``, because the forwarder posts to ``/<index>/_bulk`` (one index per request, so the
index is written once, in the URL). Fields shared by the whole batch
(account, region, log group ...) are serialised once per batch and spliced in, so each
event costs one ``json.dumps`` of only its own fields. ``json.dumps`` keeps its default
``ensure_ascii=True``: the lines are pure ASCII, so ``len(line)`` is its size in bytes and
encoding can never fail (not even on lone surrogates from ``\\ud800`` escapes in a message).

Field names are dotted ECS-style keys in ``_source`` (``"cloud.region": ...``); OpenSearch
maps them exactly like nested objects.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import contract

from forwarder import lines
from forwarder.decode import MAX_DECOMPRESSED_BYTES, Payload, gunzip
from forwarder.errors import DecodeError
from forwarder.redact import Excluder, Redactor

_dumps = json.dumps
_encode = lines.encode  # compact json.dumps without its per-call overhead
_esc = json.encoder.encode_basestring_ascii  # a str as a quoted ASCII JSON string
_fields = lines.fields
_gmtime = time.gmtime
_strftime = time.strftime

# Lambda log groups: /aws/lambda/us-east-1.<function> for Lambda@Edge replicas.
_LAMBDA_GROUP = re.compile(r"/aws/lambda/(?:us-east-1\.)?(.+)")
_EDGE_ERRORS_GROUP = re.compile(re.escape(contract.DISTRIBUTION_LOG_GROUP_PREFIX) + "(.+)")
# Lambda log streams: YYYY/MM/DD/[<version>]<instance id> in a function's default group, and
# YYYY/MM/DD/<function>[<version>]<instance id> in a custom group (which several functions may
# share: the stream, not the group, names the function), see
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
# A Lambda@Edge replica may write its function as "us-east-1.<function>": the same faas.name.
# Function names cannot hold "." or "[" (1-64 of A-Za-z0-9-_), so the split is unambiguous.
_STREAM = re.compile(
    r"(\d{4})/(\d\d)/(\d\d)/(?:us-east-1\.)?([A-Za-z0-9_-]{0,64})\[([^\]]*)\]"
)
# Timestamps CloudWatch can carry: from 1970 to the end of year 9999, in ms.
_MAX_TS = 253_402_300_800_000

TAG_TIMESTAMP_MISSING = "timestamp_missing"
TAG_ID_MISSING = "id_missing"
TAG_MESSAGE_NOT_STRING = "message_not_string"


@dataclass(slots=True)
class Batch:
    # One bulk entry per document: '{"create":{"_id":...}}\n{...source...}\n', pure ASCII.
    # Plain strings rather than objects: a 10,000-event batch allocates nothing else.
    lines: list[str] = field(default_factory=list)
    # The index of each line (the same few day-index strings, shared, not copies).
    indices: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)  # the log event of each line
    # Events that are not even objects: they go straight to the errors index.
    bad_events: list[tuple[Any, str]] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)  # tag -> number of events
    excluded: int = 0  # events edgelogs:exclude dropped
    # The payload's account: not in the domain's documents (the same on all of a stack's),
    # given back to the other destinations' (destinations.Documents.from_bulk).
    account: str | None = None


def iso_ms(epoch_ms: int) -> str:
    sec, ms = divmod(epoch_ms, 1000)
    return f"{_strftime('%Y-%m-%dT%H:%M:%S', _gmtime(sec))}.{ms:03d}Z"


def day_of(epoch_ms: int) -> str:
    return _strftime("%Y.%m.%d", _gmtime(epoch_ms // 1000))


def target_id(line: str) -> str:
    """The _id of a bulk entry, read back from its action line (error path only)."""
    return json.loads(line[: line.index("\n")])["create"]["_id"]


def faas_fields(log_group: str, log_stream: str) -> dict[str, str]:
    """faas.name / faas.version (or the distribution id) from the group and stream names.

    A stream that names its function (custom log groups) wins over the group's name: a
    custom group is named by the user and may be shared by several functions.
    """
    out: dict[str, str] = {}
    stream = _STREAM.match(log_stream)
    if stream and stream[4]:
        out["faas.name"] = stream[4]
    else:
        m = _LAMBDA_GROUP.fullmatch(log_group)
        if m:
            out["faas.name"] = m[1]
        else:
            m = _EDGE_ERRORS_GROUP.fullmatch(log_group)
            if m:
                out["aws.cloudfront.distribution_id"] = m[1]
    if stream and stream[5]:
        out["faas.version"] = stream[5]
    return out


def group_key(owner: str, region: str, log_group: str) -> str:
    """20 hex digits naming (account, region, log group): the first half of every _id."""
    return hashlib.blake2b(
        b"\0".join((owner.encode(), region.encode(), log_group.encode("utf-8", "surrogatepass"))),
        digest_size=10,
    ).hexdigest()


def event_key(event_id: str) -> str:
    """The second half of an _id: CloudWatch's own (decimal, 56-digit) event id as is;
    anything else hashed, so the _id stays short, ASCII and safe in the action line."""
    if event_id.isascii() and event_id.isdigit() and len(event_id) <= 100:
        return event_id
    return "h" + hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"),
                                 digest_size=20).hexdigest()


def doc_id(owner: str, region: str, log_group: str, event_id: str) -> str:
    """Unique per (account, region, log group, event id) and the same every time the event
    is sent: retries, replays and backfills create nothing new."""
    return f"{group_key(owner, region, log_group)}-{event_key(event_id)}"


_MS = [f"{i:03d}Z" for i in range(1000)]

_RID_MEMBER = ',"aws.lambda.request_id":'
_LINE_TYPE = '"aws.lambda.line_type":"'
# line type -> does the stream's invocation go on after this line (None: as it was)
_AFTER: dict[str, bool | None] = {
    "start": True, "platform.start": True,
    "end": False, "report": False, "platform.runtimeDone": False, "platform.report": False,
}
_scan_once = json.JSONDecoder().scan_once


class _Invocation:
    """Which invocation a log stream is in, as its lines go by (one batch, one stream).

    A log stream is one execution environment, and an environment runs one invocation at a
    time (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html), so a line
    between ``START RequestId: X`` and ``END RequestId: X`` that names no request belongs to
    X: a Python traceback's lines, written as events of their own, or output without the
    runtime's prefix. Lines before a START (the init phase) and after an END belong to no
    invocation yet. A batch that starts in the middle of an invocation learns its id from
    the first line that names one (not a START): the lines before it are given that id
    too, as long as they have not been handed out for sending (``orphans``).
    """

    __slots__ = ("open", "orphans")

    def __init__(self) -> None:
        self.open = True  # no line with a request id seen yet in this batch
        self.orphans: list[int] = []  # positions of the lines built before that first line

    def note(self, text: str, built: list[str], current: str) -> str:
        """The request member that later lines without one get, after this line
        (``text``, which names a request); ``current``: the one so far."""
        at = text.find(_RID_MEMBER) + len(_RID_MEMBER)
        member = _RID_MEMBER + _esc(_scan_once(text, at)[0])
        kind_at = text.find(_LINE_TYPE)
        kind = (_scan_once(text, kind_at + len(_LINE_TYPE) - 1)[0] if kind_at >= 0 else "")
        goes_on = _AFTER.get(kind)
        if self.open:
            self.open = False
            if goes_on is not True:  # the batch began inside this invocation
                for pos in self.orphans:
                    line = built[pos]
                    built[pos] = line[:-2] + member + "}\n"
            self.orphans.clear()
            if goes_on is None:
                return member
        if goes_on is None:
            return current
        return member if goes_on else ""


def build(payload: Payload, region: str, index_prefix: str, ingested_ms: int,
          verbatim_json: bool = True, redactor: Redactor | None = None,
          excluder: Excluder | None = None) -> Batch:
    """Bulk entries for every event of ``payload`` (see ``lines.fields`` for
    ``verbatim_json``, ``build_parts`` for the rest)."""
    batch = Batch()
    for _ in build_parts(batch, payload, region, index_prefix, ingested_ms,
                         verbatim_json=verbatim_json, redactor=redactor, excluder=excluder):
        pass
    return batch


# Events built before a batch is cut into parts: their size gives the batch's, roughly.
PROBE_EVENTS = 256


def build_parts(batch: Batch, payload: Payload, region: str, index_prefix: str,
                ingested_ms: int, parts: int = 1, min_part_bytes: int = 0,
                verbatim_json: bool = True, redactor: Redactor | None = None,
                excluder: Excluder | None = None) -> Iterator[range]:
    """``build``, a part at a time, into ``batch``: yields the positions of each part's
    entries once built, so that they can be sent while the next part is built
    (``bulk.Shipper.ship``'s ``parts``). ``batch.events`` is set at the end.

    ``parts`` parts of even event counts, fewer if a part would be under ``min_part_bytes``
    (judged from the first PROBE_EVENTS events' entries).

    ``excluder`` drops the events edgelogs:exclude names (counted in ``batch.excluded``);
    ``redactor`` rewrites each kept event's message and every string parsed from it, after
    the fields were parsed from the raw line. Both None: no per-event work at all."""
    lines_ = batch.lines
    add_index = batch.indices.append
    ingested = iso_ms(ingested_ms)
    # Member order in _source: shared fields, @timestamp, [event.id,] message, line fields.
    # No cloud.provider (always "aws"), no cloud.account.id (the stack's own: a forwarder
    # only receives its account's groups) and, for CloudWatch's own ids, no event.id (the
    # second half of _id): issue 21, every member costs the node parsing, translog and
    # stored bytes on every document. The other destinations get the last two back.
    batch.account = payload.owner
    shared: dict[str, Any] = {
        "event.ingested": ingested,
        "cloud.region": region,
        "log.group": payload.log_group,
        "log.stream": payload.log_stream,
    }
    faas = faas_fields(payload.log_group, payload.log_stream)
    version = faas.pop("faas.version", None)
    shared.update(faas)
    # '{"a":1,"b":2}' -> '{"a":1,"b":2,' : every source line starts with the shared fields.
    head = _encode(shared)[:-1] + ","
    version_member = lines.VERSION_MEMBER + _esc(version) if version else ""
    key = group_key(payload.owner, region, payload.log_group)
    index_head = index_prefix + "-"
    # The action line up to the event key: the same for every event of the batch.
    action = '{"create":{"_id":"' + key + "-"
    # epoch second -> (index, ISO time up to the ms)
    seconds: dict[int, tuple[str, str]] = {}
    # From the end of the action line to the start of @timestamp's value.
    mid = '"}}\n' + head + '"@timestamp":"'
    fallback_index = index_head + (input_day(payload) or day_of(ingested_ms))
    tag_counts = batch.tags
    # The stream's current invocation (see _Invocation): lines between START and END that
    # name no request (a traceback, a timeout's last words) get its request id.
    invocation = _Invocation()
    note = invocation.note
    current_member = ""
    ms_text = _MS
    max_ts = _MAX_TS
    starts_with_version = lines.VERSION_MEMBER
    # The event of each line, when exclusion may leave some out.
    kept: list[Any] | None = [] if excluder is not None else None
    # The events a redaction rule might change (None: all of them), found in one pass.
    maybe = redactor.candidates(payload.events) if redactor is not None else None

    events = payload.events
    n = len(events)
    done = lo = 0
    step = n if parts <= 1 else 0  # events a part; 0: known once the probe is built
    cut = n if step else min(n, PROBE_EVENTS)
    while lo < n:
        for event in events[lo:cut] if cut - lo < n else events:
            try:
                # Subscripts, not .get(): this loop runs for every event (KeyError and
                # non-dict events take the slow path below).
                message = event["message"]
                ts = event["timestamp"]
                event_id = event["id"]
            except (KeyError, TypeError, IndexError):
                if type(event) is not dict:
                    batch.bad_events.append((event, f"log event is a {type(event).__name__}, "
                                                    "not an object"))
                    continue
                message = event.get("message")
                ts, event_id = event.get("timestamp"), event.get("id")
            tags: list[str] | None = None
            if type(message) is not str:
                message = "" if message is None else _dumps(message, default=repr)
                tags = [TAG_MESSAGE_NOT_STRING]
            if kept is not None:
                if excluder.drops(message):  # type: ignore[union-attr]
                    batch.excluded += 1
                    continue
                kept.append(event)
            if type(ts) is int and 0 <= ts < max_ts:
                sec = ts // 1000
                known = seconds.get(sec)
                if known is None:
                    t = _gmtime(sec)
                    known = seconds[sec] = (index_head + _strftime("%Y.%m.%d", t),
                                            _strftime("%Y-%m-%dT%H:%M:%S.", t))
                index, stamp = known
                stamp += ms_text[ts % 1000]
            else:
                # No usable event time: stored at ingestion time, tagged, in the index of the
                # input's own day (input_day) so a retry on a later day still finds the same
                # index and _id.
                stamp = ingested
                index = fallback_index
                tags = (tags or []) + [TAG_TIMESTAMP_MISSING]
            if type(event_id) is not str or not event_id:
                # Deterministic stand-in: the same line sent again gets the same id.
                event_id = "sha1:" + hashlib.sha1(
                    _dumps([ts, message]).encode("utf-8", "surrogatepass"), usedforsecurity=False
                ).hexdigest()
                tags = (tags or []) + [TAG_ID_MISSING]
            if len(event_id) <= 100 and event_id.isdigit() and event_id.isascii():
                # CloudWatch's own id: digits, safe as is in the _id, which then carries it.
                ekey = event_id
                id_member = ""
            else:
                # Any other id is hashed into the _id: the document keeps it as written.
                ekey = event_key(event_id)
                id_member = '"event.id":' + _esc(event_id) + ","

            text, line_tags = _fields(message, verbatim_json)
            # START, END or a JSON record, as written: what moves the stream's invocation on.
            first = message[:1]
            if redactor is not None:
                # Fields first, from the raw line; then the message and those fields.
                if maybe is None:
                    message, text, line_tags = redactor.event(message, text, line_tags)
                elif (bits := maybe.get(id(event))) is not None:
                    message, text, line_tags = redactor.event(message, text, line_tags, bits)
            if _RID_MEMBER in text:
                if invocation.open or first == "{":
                    current_member = note(text, lines_, current_member)
                elif first == "S":  # START: its request id is its last member
                    current_member = text[text.index(_RID_MEMBER):]
                elif first == "E":  # END
                    current_member = ""
            elif current_member:
                text += current_member
            elif invocation.open:
                invocation.orphans.append(len(lines_))
            if line_tags is not None:
                tags = (tags or []) + line_tags
            # The stream's version, unless the line named its own (START lines, first member).
            version_text = "" if text.startswith(starts_with_version) else version_member
            if tags is not None:
                text += ',"tags":' + _encode(tags)
                for tag in tags:
                    tag_counts[tag] = tag_counts.get(tag, 0) + 1
            lines_.append(f'{action}{ekey}{mid}{stamp}",{id_member}'
                          f'"message":{_esc(message)}{text}{version_text}}}\n')
            add_index(index)
        lo = cut
        invocation.orphans.clear()  # built lines may be sent from here on: never rewritten
        if not step:
            step = _part_events(lines_, n, parts, min_part_bytes, lo)
            cut = min(n, step)
            if cut > lo:
                continue
        yield range(done, len(lines_))
        done = len(lines_)
        cut = min(n, lo + step)
    # The event of each line, for the errors index; usually simply the payload's list.
    if kept is not None:
        batch.events = kept
    else:
        batch.events = (payload.events if not batch.bad_events
                        else [e for e in payload.events if type(e) is dict])


def _part_events(built: list[str], events: int, parts: int, min_part_bytes: int,
                 probed: int) -> int:
    """Events a part: ``events`` in ``parts`` even parts, fewer parts when the bytes of the
    entries ``built`` from the first ``probed`` events say a part would be under
    ``min_part_bytes``; never fewer than ``probed`` (the first part holds the probe)."""
    estimate = sum(map(len, built)) * events // max(1, probed)
    count = max(1, min(parts, estimate // max(1, min_part_bytes)))
    return max(probed, -(-events // count))


def _stream_day(log_stream: str) -> str | None:
    m = _STREAM.match(log_stream)
    if not m:
        return None
    return f"{m[1]}.{m[2]}.{m[3]}"


def input_day(payload: Payload | None) -> str | None:
    """The day a payload belongs to, read from the payload only (never the clock).

    The stream's day (Lambda streams are named YYYY/MM/DD/...), else the day of the first
    event with a usable timestamp. Everything filed by day for a payload uses it, so the
    same input sent again after midnight (Lambda's retry, a replay) lands in the same
    index and meets its own _id there.
    """
    if payload is None:
        return None
    day = _stream_day(payload.log_stream)
    if day:
        return day
    for event in payload.events:
        ts = event.get("timestamp") if type(event) is dict else None
        if type(ts) is int and 0 <= ts < _MAX_TS:
            return day_of(ts)
    return None


# ---------------------------------------------------------------------------------------
# The errors index: <prefix>-errors-YYYY.MM.DD. Its template maps the searchable fields and
# is `dynamic: false`, so the raw material (raw.*) is kept in _source but never indexed and
# can never be rejected for its content.
#
# A record's index day and _id come from the input alone, never from the ingestion time:
# the same bad input retried after midnight meets its first record (409) instead of writing
# a second one. Input with no day at all (an undecodable payload) goes to
# <prefix>-errors-undated; the lifecycle policy deletes that index by age like the others.

UNDATED = "undated"


def _error_source(error_type: str, reason: str, region: str, ingested_ms: int,
                  payload: Payload | None, redactor: Redactor | None = None) -> dict[str, Any]:
    """The fields every errors-index record starts with. The reason is redacted: the
    engine's and the decoder's sentences may quote the content."""
    ingested = iso_ms(ingested_ms)
    if redactor is not None:
        reason = redactor.text(reason)
    source: dict[str, Any] = {
        "@timestamp": ingested,
        "event.ingested": ingested,
        "error.type": error_type,
        "error.message": reason,
        "cloud.provider": "aws",
        "cloud.region": region,
    }
    if payload is not None:
        source["cloud.account.id"] = payload.owner
        source["log.group"] = payload.log_group
        source["log.stream"] = payload.log_stream
    return source


# An errors-index record: (index, bulk entry, the event it keeps).
ErrorDoc = tuple[str, str, Any]


def redacted_event(event: Any, redactor: Redactor | None) -> Any:
    """A log event as the errors index keeps it: its message (and, for something that is not
    a log event at all, everything in it) redacted; CloudWatch's id and timestamp kept."""
    if redactor is None:
        return event
    if type(event) is dict:
        return {k: redactor.value(v) if k == "message" else v for k, v in event.items()}
    return redactor.value(event)


def rejected_doc(line: str, index: str, event: Any, index_prefix: str, reason: str,
                 status: int, payload: Payload, region: str, ingested_ms: int,
                 redactor: Redactor | None = None) -> ErrorDoc:
    """The errors-index record of a document the engine rejected for its content."""
    id_ = target_id(line)
    day = index[len(index_prefix) + 1:]
    source = _error_source("rejected_document", reason, region, ingested_ms, payload,
                           redactor)
    source["error.status"] = status
    source["target.index"] = index
    source["target.id"] = id_
    source["raw.event"] = _dumps(redacted_event(event, redactor), default=repr)
    return _error_doc(errors_index(index_prefix, day), id_, source, event)


def bad_event_doc(event: Any, reason: str, index_prefix: str, payload: Payload, region: str,
                  ingested_ms: int, redactor: Redactor | None = None) -> ErrorDoc:
    raw = _dumps(redacted_event(event, redactor), default=repr)
    source = _error_source("bad_log_event", reason, region, ingested_ms, payload, redactor)
    source["raw.event"] = raw
    id_ = doc_id(payload.owner, region, payload.log_group, "bad-event\0" + raw)
    return _error_doc(errors_index(index_prefix, input_day(payload) or UNDATED), id_, source,
                      event)


def raw_payload_doc(error_type: str, reason: str, raw: Any, index_prefix: str, region: str,
                    ingested_ms: int, payload: Payload | None = None,
                    redactor: Redactor | None = None) -> ErrorDoc:
    """The errors-index record keeping a payload that could not be (fully) decoded.

    ``raw`` is the ``awslogs.data`` string (already base64 of the gzip bytes, kept as is),
    raw bytes (base64-encoded here), or, when the event had no data at all, the event.
    With a ``redactor``, see ``redacted_raw``.
    """
    source = _error_source(error_type, reason, region, ingested_ms, payload, redactor)
    if redactor is not None:
        raw = redacted_raw(raw, redactor, source)
    if isinstance(raw, bytes):
        kept = base64.b64encode(raw).decode("ascii")
        source["raw.data_base64"] = kept
    elif isinstance(raw, str):
        kept = raw
        source["raw.data_base64"] = kept
    elif isinstance(raw, _Text):
        kept = raw.text
        source["raw.text"] = kept
    else:
        kept = _dumps(raw, default=repr)
        source["raw.event"] = kept
    doc_id = hashlib.blake2b(
        f"{region}\0{error_type}\0".encode() + kept.encode("utf-8", "surrogatepass"),
        digest_size=20,
    ).hexdigest()
    return _error_doc(errors_index(index_prefix, input_day(payload) or UNDATED), doc_id,
                      source, raw)


class _Text:
    """Readable, redacted text kept instead of undecodable bytes (``redacted_raw``)."""

    def __init__(self, text: str) -> None:
        self.text = text


def redacted_raw(raw: Any, redactor: Redactor, source: dict[str, Any]) -> Any:
    """What the errors index may keep of a raw payload when edgelogs:redact is on.

    A payload that decodes (only its UTF-8 was bad) keeps its exact bytes, bad ones
    included, with every message redacted: gzip + base64 again, like the original. A payload
    that does not decode keeps only the text that could be read from it (as far as the
    base64 and gzip go), redacted, in ``raw.text``: bytes that cannot be read cannot be
    checked for what redaction must hide, so they are not kept; ``raw.unreadable_bytes``
    says how many were left out. An event without data keeps its values redacted.
    """
    if not isinstance(raw, str | bytes):
        return redactor.value(raw)
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else raw
    try:
        compressed = binascii.a2b_base64(data, strict_mode=True) if isinstance(raw, str) \
            else data
        text = gunzip(compressed).decode("utf-8", "surrogateescape")
        doc = json.loads(text)
        events = doc["logEvents"]
        if not isinstance(events, list):
            raise TypeError("logEvents")
    except (binascii.Error, ValueError, DecodeError, TypeError, KeyError):
        readable, unreadable = _readable(raw)
        source["raw.unreadable_bytes"] = unreadable
        return _Text(redactor.text(readable))
    for key, value in doc.items():
        if key == "logEvents":
            doc[key] = [redacted_event(e, redactor) for e in events]
        elif key not in ("owner", "logGroup", "logStream"):
            doc[key] = redactor.value(value)  # messageType, subscriptionFilters, anything else
    body = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogateescape")
    return base64.b64encode(gzip.compress(body, mtime=0)).decode("ascii")


def _readable(raw: str | bytes) -> tuple[str, int]:
    """(the text that can be read from an undecodable payload, bytes left out)."""
    if isinstance(raw, str):
        try:
            data = binascii.a2b_base64(raw.encode("latin-1", "replace"), strict_mode=True)
        except (binascii.Error, ValueError):
            return raw, 0  # not base64: the string itself is all there is
    else:
        data = raw
    if not data.startswith(b"\x1f\x8b"):
        return data.decode("utf-8", "replace"), 0
    # What a corrupt or truncated gzip stream gives before it breaks, a block at a time.
    d = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    used = 0
    for at in range(0, len(data), 4096):
        try:
            out.append(d.decompress(data[at:at + 4096], MAX_DECOMPRESSED_BYTES))
        except zlib.error:
            break
        used = at + 4096
        if d.eof:
            used = len(data) - len(d.unused_data)
            break
    return b"".join(out).decode("utf-8", "replace"), max(0, len(data) - used)


def errors_index(index_prefix: str, day: str) -> str:
    # <prefix>-errors: the errors indices' name, and their template's (domain_setup.template)
    return f"{contract.errors_prefix(index_prefix)}-{day}"


def _error_doc(index: str, id_: str, source: dict[str, Any], event: Any) -> ErrorDoc:
    """(index, bulk entry, event) of an errors-index record."""
    line = '{"create":{"_id":"' + id_ + '"}}\n' + _dumps(source, default=repr) + "\n"
    return index, line, event
