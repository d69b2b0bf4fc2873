"""Drains a region's failure queue back into OpenSearch through the forwarder's own code.

Lambda sends a batch that failed every asynchronous attempt to the region's SQS failure queue
as an invocation record: `requestPayload` is the original CloudWatch Logs event. Replay hands
that event to `forwarder.handler.process`, the same code path the Lambda runs, and deletes the
message only once all its events are stored. Ids are deterministic, so replaying a batch that
was partly stored (or replaying twice) never stores an event twice.

With other destinations (edgelogs:destinations), a message goes again only to the destinations
its failure names: the forwarder's last attempt ends its error message with them
(forwarder.errors.failed_destinations), and Lambda copies that message into the record's
`responsePayload.errorMessage`. A record that names none (a timeout, a crash, a record from an
older forwarder) goes to every destination; receivers drop the duplicates by event id.

A message that fails again simply is not deleted: it becomes visible after the visibility
timeout and a later replay picks it up. A malformed record is reported and left in place for a
human to look at (the queue keeps messages 14 days).

Messages are received ONE at a time, each hidden for its whole retry budget plus a margin: a
message is never visible to a second replayer (or a second run) while it is being replayed,
and none waits, received but not yet replayed, while its visibility runs out. Receives long
poll (WaitTimeSeconds up to 20): short polling samples a subset of SQS's servers and can
answer "empty" while messages remain, which would end a drain early.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/best-practices-setting-up-long-polling.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/working-with-visibility-timeouts.html
The summary line ends with the queue's remaining depth (visible + in flight), from
GetQueueAttributes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Only what needs no third-party package: `--help` works with the program's requirements
# alone; the client and the handler (opensearch-py) are imported when a replay runs.
import contract
from forwarder.decode import raw_data
from forwarder.errors import DecodeError, DeliveryError, failed_destinations
from forwarder.settings import Settings, is_loopback_http

from ops import cli, stack
from ops.exit_codes import Exit

PROG = "edgelogs replay"

# SQS's longest long poll; its longest visibility timeout is 12 hours.
MAX_WAIT_S = 20
MAX_VISIBILITY_S = 43_200
# Kept on top of a message's retry budget while it is hidden: decoding it, the last request's
# reply, deleting it.
VISIBILITY_MARGIN_S = 30


class MalformedRecord(ValueError):
    """The message is not a Lambda invocation record carrying a CloudWatch Logs event."""


@dataclass
class ReplayReport:
    received: int = 0  # distinct messages looked at
    replayed: int = 0  # stored and deleted
    failed: int = 0  # left in the queue: storing failed, retry later
    malformed: int = 0  # left in the queue: needs a human
    events: int = 0  # log events in the replayed messages
    remaining: int | None = None  # messages in the queue at the end (visible + in flight)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.malformed == 0

    def line(self, region: str) -> str:
        return (
            f"replay: region={region} received={self.received} replayed={self.replayed} "
            f"events={self.events} failed={self.failed} malformed={self.malformed} "
            f"remaining={'unknown' if self.remaining is None else self.remaining}"
        )


def _region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 and parts[0] == "arn" else None


def event_of(body: str, region: str) -> dict[str, Any]:
    """The CloudWatch Logs event inside a failure-queue message, or MalformedRecord.

    Accepts Lambda's on-failure destination record and, for queues used as a dead-letter
    queue, the bare event. A record written by another region's forwarder is refused: the
    region is part of every document's id and of `cloud.region`, so replaying it here would
    store its events a second time under the wrong region.
    """
    try:
        record = json.loads(body)
    except ValueError as exc:
        raise MalformedRecord(f"body is not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise MalformedRecord(f"body is a JSON {type(record).__name__}, not an object")
    if "awslogs" in record:
        event = record
    else:
        if "requestPayload" not in record:
            raise MalformedRecord("no 'requestPayload': not a Lambda invocation record")
        event = record["requestPayload"]
        context = record.get("requestContext")
        arn = context.get("functionArn") if isinstance(context, dict) else None
        if isinstance(arn, str):
            origin = _region_of_arn(arn)
            if origin and origin != region:
                raise MalformedRecord(
                    f"record of a forwarder in {origin} ({arn}); replay it with --region {origin}"
                )
    try:
        raw_data(event)  # the forwarder's own check of what a CloudWatch Logs event is
    except DecodeError as exc:
        raise MalformedRecord(f"'requestPayload': {exc.reason}") from None
    return event


def destinations_of(body: str) -> list[str] | None:
    """The destinations a failure record says the last attempt could not deliver to, or
    None when it does not say (then every destination gets the events again)."""
    try:
        record = json.loads(body)
    except ValueError:
        return None
    answer = record.get("responsePayload") if isinstance(record, dict) else None
    text = answer.get("errorMessage") if isinstance(answer, dict) else None
    return failed_destinations(text) if isinstance(text, str) else None


def replay_queue(
    sqs: Any,
    queue_url: str,
    settings: Settings,
    client: Any,
    *,
    others: Sequence[Any] = (),
    max_messages: int | None = None,
    seconds_per_message: float = 60.0,
    visibility_timeout: int | None = None,
    wait_seconds: int = MAX_WAIT_S,
    log: Callable[[str], None] = print,
) -> ReplayReport:
    """Replays every message visible now (each at most once per run) and returns the tally.

    One message at a time: each gets `seconds_per_message` of retries inside the forwarder
    (its deadline) and stays invisible to other consumers for `visibility_timeout` seconds
    (default: that budget plus VISIBILITY_MARGIN_S), which covers its whole replay.
    """
    report = ReplayReport()
    seen: set[str] = set()
    hide = visibility_timeout or visibility_for(seconds_per_message)
    back_in_a_row = 0
    while max_messages is None or report.received < max_messages:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=hide,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        ).get("Messages", [])
        if not messages:
            break  # a long poll found nothing: the queue is drained
        message = messages[0]
        if message["MessageId"] in seen:
            # One this run left in the queue is visible again (its timeout is shorter than
            # the run). Out of sight again, and stop once only those come back: at most one
            # each in a row before a new message, if any, is received.
            sqs.change_message_visibility(QueueUrl=queue_url,
                                          ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=hide)
            back_in_a_row += 1
            if back_in_a_row > report.failed + report.malformed:
                break
            continue
        back_in_a_row = 0
        seen.add(message["MessageId"])
        report.received += 1
        _replay_one(sqs, queue_url, message, settings, client, seconds_per_message, report, log,
                    others)
    report.remaining = queue_depth(sqs, queue_url)
    return report


def visibility_for(seconds_per_message: float) -> int:
    """How long a message stays hidden: its retry budget and the margin, within SQS's 12 h."""
    return min(MAX_VISIBILITY_S, math.ceil(seconds_per_message) + VISIBILITY_MARGIN_S)


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages still in the queue: visible ones and those in flight (hidden)."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"])


def _replay_one(
    sqs: Any,
    queue_url: str,
    message: dict[str, Any],
    settings: Settings,
    client: Any,
    seconds: float,
    report: ReplayReport,
    log: Callable[[str], None],
    others: Sequence[Any] = (),
) -> None:
    from forwarder.handler import DEST_OPENSEARCH, process

    mid = message["MessageId"]

    def leave(kind: str, problem: str) -> None:
        # The message stays in the queue: counted, reported, and the run goes on.
        setattr(report, kind, getattr(report, kind) + 1)
        report.problems.append(problem)
        log(problem)

    try:
        event = event_of(message.get("Body", ""), settings.region)
    except MalformedRecord as exc:
        leave("malformed", f"malformed message {mid} left in the queue: {exc}")
        return
    only = destinations_of(message.get("Body", ""))
    known = {o.name for o in others} | ({DEST_OPENSEARCH} if client is not None else set())
    if only is not None and not set(only) <= known:
        missing = ", ".join(sorted(set(only) - known))
        leave("failed", f"message {mid} failed for {missing}, which this replay does not send "
                        "to; left in the queue")
        return
    try:
        summary = process(event, settings, client, time.monotonic() + seconds, None, others,
                          only)
    except DeliveryError as exc:
        leave("failed", f"message {mid} not fully stored, left for a later replay: {exc}")
        return
    except Exception as exc:  # any failure must leave the message in place, not stop the run
        leave("failed", f"message {mid} failed, left for a later replay: "
                        f"{type(exc).__name__}: {exc}")
        return
    # Only now: everything in it is stored (or was already), so the record has done its job.
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    report.replayed += 1
    report.events += summary.events_in


def queue_url_from_stack(region: str, runner: Callable[..., Any] = subprocess.run) -> str:
    """The region's failure queue URL from the stack outputs, or a one-line SystemExit."""
    return stack.regional_output("failureQueueUrls", region, "--queue-url", PROG, runner)


def endpoint_from_stack(runner: Callable[..., Any] = subprocess.run) -> str:
    """The domain endpoint from the stack outputs, or a one-line SystemExit."""
    return stack.string_output("domainEndpoint", "--endpoint", PROG, runner)


def destination_entries(args: Any) -> list[dict[str, Any]]:
    """--destinations, else the stack output (with --endpoint given, or no stack output to
    read: the domain alone)."""
    if args.destinations:
        try:
            entries = json.loads(args.destinations)
        except ValueError as exc:
            raise stack.StackOutputError(f"{PROG}: --destinations is not JSON ({exc})") from None
    elif args.endpoint:
        return [{"type": contract.DEST_OPENSEARCH}]
    else:
        try:
            entries = stack.stack_output("destinations", "--destinations", PROG)
        except stack.StackOutputError:
            # No stack to read (or one from before destinations): the domain, as always;
            # its endpoint is then asked for.
            return [{"type": contract.DEST_OPENSEARCH}]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise stack.StackOutputError(f"{PROG}: destinations must be a JSON list of objects")
    return entries


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = cli.Parser(
        prog=PROG,
        description="Replay a region's forwarder failure queue into OpenSearch.",
        epilog=cli.EXIT_STATUSES + " (3: a message failed again and stays in the queue)",
    )
    parser.add_argument("--region", required=True, help="the forwarder's region (the queue's)")
    parser.add_argument("--queue-url", help="default: the stack output failureQueueUrls[region]")
    parser.add_argument(
        "--endpoint", help="OpenSearch endpoint, https://host; default: stack output domainEndpoint"
    )
    parser.add_argument(
        "--domain-region",
        help="the domain's region, which requests are signed for; default: the region in the "
             "endpoint's host name (never --region: the service refuses other regions)",
    )
    parser.add_argument("--service", default=contract.DEFAULT_SERVICE,
                        choices=list(contract.SERVICES), help="SigV4 service")
    parser.add_argument("--index-prefix", default=contract.DEFAULT_INDEX_PREFIX,
                        help="as the forwarder's")
    stack.add_redaction_flags(parser)
    parser.add_argument(
        "--destinations",
        help="the stack's edgelogs:destinations as JSON; default: the stack output "
             "destinations (with --endpoint: the domain alone)",
    )
    parser.add_argument("--max-messages", type=int, default=None, help="stop after this many")
    parser.add_argument(
        "--seconds-per-message", type=float, default=60.0,
        help="retry budget of one message (it stays hidden from other consumers meanwhile)",
    )
    parser.add_argument(
        "--wait-seconds", type=int, default=MAX_WAIT_S,
        help=f"long-poll wait of each receive, 1 to {MAX_WAIT_S} (default {MAX_WAIT_S})",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.wait_seconds <= MAX_WAIT_S:
        parser.error(f"--wait-seconds must be between 1 and {MAX_WAIT_S}")
    if not 1 <= args.seconds_per_message <= MAX_VISIBILITY_S - VISIBILITY_MARGIN_S:
        parser.error("--seconds-per-message must be between 1 and "
                     f"{MAX_VISIBILITY_S - VISIBILITY_MARGIN_S} (SQS hides a message 12 h at most)")
    if args.max_messages is not None and args.max_messages < 1:
        parser.error("--max-messages must be at least 1")
    return args


def main(argv: Sequence[str] | None = None, sqs: Any = None) -> int:
    args = parse_args(argv)
    entries = destination_entries(args)
    # The same validation as the Lambda's environment: a typo fails here, not half-way.
    env = {
        contract.ENV_SERVICE: args.service,
        contract.ENV_INDEX_PREFIX: args.index_prefix,
        "AWS_REGION": args.region,  # the queue's region: cloud.region of replayed events
    }
    if any(e.get("type") == contract.DEST_OPENSEARCH for e in entries):
        env[contract.ENV_ENDPOINT] = args.endpoint or endpoint_from_stack()
    others = [e for e in entries if e.get("type") != contract.DEST_OPENSEARCH]
    if others:
        env[contract.ENV_DESTINATIONS] = json.dumps(others)
    if args.domain_region:
        env[contract.ENV_DOMAIN_REGION] = args.domain_region
    # The failure queue holds events as Lambda delivered them, unredacted: replay redacts
    # (and excludes) with the stack's rules before it stores anything.
    settings = Settings.from_env(env)
    env.update(stack.redaction_env(args.redact, args.exclude, "replay",
                                   stack_endpoint=args.endpoint is None,
                                   local=is_loopback_http(settings.endpoint)))
    settings = Settings.from_env(env)
    from forwarder.client import make_client
    from forwarder.destinations import make_shippers

    # Header secrets are read with the operator's own credentials (operator policy).
    shippers = make_shippers(settings.destinations, settings.region,
                             settings.request_timeout_s, settings.bulk_max_bytes)

    queue_url = args.queue_url or queue_url_from_stack(args.region)
    if sqs is None:
        import boto3

        sqs = boto3.client("sqs", region_name=args.region)
    report = replay_queue(
        sqs,
        queue_url,
        settings,
        make_client(settings) if settings.has_domain else None,
        others=shippers,
        max_messages=args.max_messages,
        seconds_per_message=args.seconds_per_message,
        wait_seconds=args.wait_seconds,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(report.line(args.region))
    return Exit.OK if report.ok else Exit.RUNTIME
