"""Ships a log group's history from CloudWatch Logs into OpenSearch through the forwarder's code.

Lines written before the stack existed, or that outlived the failure queue, are still in
CloudWatch Logs. Backfill reads them with FilterLogEvents and rebuilds, per log stream, the
payload a subscription would have delivered (DATA_MESSAGE, owner, logGroup, logStream,
logEvents of id/timestamp/message), then hands it to `forwarder.handler.process`, the code the
Lambda runs. FilterLogEvents' `eventId` becomes the event's `id`, so every event gets the
document id live delivery gives it: backfilling a window that was delivered live, or running
twice, stores nothing twice (why the two ids are the same: docs/backfill.md).

Resuming: after every page whose events are all stored, the timestamp of its last event is
written to a small state file per (region, group, window) under the checkout's
`.cache/backfill/`. FilterLogEvents returns events sorted by timestamp, so every event older
than that point is stored; a new run with the same window starts there (the events of that
very millisecond are sent again, and their ids make that harmless). The file is removed when
the group is done.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# Only what needs no third-party package, so `--help` works with the program's requirements.
import contract
from forwarder.errors import DeliveryError
from forwarder.settings import (
    DEFAULT_SAFETY_MARGIN_S,
    Settings,
    is_loopback_http,
)

from ops import cli, stack, times
from ops.exit_codes import Exit

PROG = "edgelogs backfill"
ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".cache" / "backfill"

# A subscription delivers at most 10,000 events and about 1 MB per batch (the forwarder's
# limits, see forwarder.settings.DEFAULT_BULK_MAX_DOCS and forwarder.decode); a FilterLogEvents
# page holds at most the same, so one page's events of one stream rarely need two batches.
# Bytes are counted like PutLogEvents does: the UTF-8 message plus 26 bytes per event.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
_EVENT_OVERHEAD = 26

# Throttling (ThrottlingException, 5xx) is retried by botocore with backoff, not by a loop
# here: https://docs.aws.amazon.com/boto3/latest/guide/retries.html
RETRIES = {"mode": "standard", "max_attempts": 10}

_ACCOUNT = re.compile(r"\d{12}")


# ---------------------------------------------------------------------------------------------
# The window


def parse_time(text: str, now_ms: int) -> int:
    """Epoch milliseconds of `text` (ops.times.parse_time: a time ago, `now`, ISO 8601 or
    epoch ms); ValueError says what is accepted."""
    return times.epoch_ms(times.parse_time(text, times.from_epoch_ms(now_ms)))


@dataclass(frozen=True)
class Window:
    since_ms: int
    until_ms: int
    # None when --until was not given: the end is "now", which moves, so it is not part of the
    # state file's key (a resumed run simply reads up to its own now).
    until_given: bool = True

    def key(self) -> str:
        return f"{self.since_ms}-{self.until_ms if self.until_given else 'now'}"


# ---------------------------------------------------------------------------------------------
# Resume state


@dataclass
class State:
    """The last safe point of one (region, group, window), kept in a small JSON file."""

    path: Path
    region: str
    group: str
    window: Window

    @classmethod
    def of(cls, state_dir: Path, region: str, group: str, window: Window) -> State:
        digest = hashlib.sha256(f"{region}\0{group}\0{window.key()}".encode()).hexdigest()[:20]
        return cls(state_dir / f"{region}-{digest}.json", region, group, window)

    def resume_ms(self) -> int | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        point = data.get("resume_ms") if isinstance(data, dict) else None
        if isinstance(point, int) and self.window.since_ms <= point <= self.window.until_ms:
            return point
        return None

    def save(self, resume_ms: int, events: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "region": self.region, "group": self.group,
            "since": times.iso_ms(self.window.since_ms),
            "until": times.iso_ms(self.window.until_ms) if self.window.until_given else "now",
            "resume_ms": resume_ms, "resume": times.iso_ms(resume_ms),
            "events_shipped": events,
        }, indent=1) + "\n")
        tmp.replace(self.path)  # atomic: an interruption never leaves half a file

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Payloads


def batches(events: Sequence[dict[str, Any]]) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Subscription-shaped log events grouped by stream, in batches within the forwarder's
    limits: {stream: [{id, timestamp, message}, ...]} per batch, page order kept."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_stream.setdefault(event["logStreamName"], []).append(
            {"id": event["eventId"], "timestamp": event["timestamp"], "message": event["message"]}
        )
    for stream, log_events in by_stream.items():
        batch: list[dict[str, Any]] = []
        size = 0
        for ev in log_events:
            cost = len(ev["message"].encode("utf-8", "surrogatepass")) + _EVENT_OVERHEAD
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
                yield {stream: batch}
                batch, size = [], 0
            batch.append(ev)
            size += cost
        if batch:
            yield {stream: batch}


def subscription_event(owner: str, group: str, stream: str,
                       log_events: list[dict[str, Any]]) -> dict[str, Any]:
    """The Lambda event a subscription filter would have delivered for these log events.

    Shape as documented: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/
    SubscriptionFilters.html (base64 of gzip of the JSON payload under awslogs.data).
    """
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["edgelogs-backfill"],
        "logEvents": log_events,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return {"awslogs": {"data": base64.b64encode(gzip.compress(raw, 1, mtime=0)).decode()}}


# ---------------------------------------------------------------------------------------------
# Progress and the tally


class Progress:
    """One self-overwriting line on a terminal: events, events/s, time left. Silent otherwise."""

    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._last = 0.0
        self._shown = False

    def update(self, label: str, events: int, started: float, start_ms: int, reached_ms: int,
               until_ms: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        elapsed = max(now - started, 1e-6)
        covered = max(reached_ms - start_ms, 0)
        left_ms = max(until_ms - reached_ms, 0)
        eta = _duration(elapsed * left_ms / covered) if covered > 0 else "?"
        done = 100.0 * covered / max(until_ms - start_ms, 1)
        self.stream.write(f"\r{label}: events={events} {events / elapsed:,.0f}/s "
                          f"{done:5.1f}% of the window, {eta} left\x1b[K")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Wipes the progress line so that a message printed next starts on a clean line."""
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


@dataclass
class BackfillReport:
    groups: int = 0
    pages: int = 0
    events: int = 0  # log events read and handed to the forwarder
    stored: int = 0  # newly stored
    already_present: int = 0  # found with the same id: delivered live, or an earlier run
    errors_indexed: int = 0  # kept in the errors index (rejected content)
    excluded: int = 0  # dropped on purpose by edgelogs:exclude (shown when not 0)
    failed: int = 0  # not stored: a later run with the same window picks them up
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.problems

    def line(self, region: str) -> str:
        return (
            f"backfill: region={region} groups={self.groups} events={self.events} "
            f"stored={self.stored} already_present={self.already_present} "
            f"errors_indexed={self.errors_indexed} failed={self.failed}"
            + (f" excluded={self.excluded}" if self.excluded else "")
        )


# ---------------------------------------------------------------------------------------------
# The run


Ship = Callable[[dict[str, Any]], Any]


def backfill_group(
    logs: Any,
    group: str,
    window: Window,
    owner: str,
    ship: Ship,
    state: State,
    report: BackfillReport,
    *,
    progress: Progress | None = None,
    log: Callable[[str], None] = print,
    page_limit: int | None = None,
) -> bool:
    """Reads one group's events in the window page by page and ships them; True if all stored.

    `ship(event)` is the forwarder's `process` bound to settings, client and deadline; it
    returns the forwarder's Summary or raises DeliveryError.
    """
    start = state.resume_ms()
    if start is not None:
        log(f"backfill: {group}: resuming at {times.iso_ms(start)} (state {state.path.name})")
    else:
        start = window.since_ms
    # FilterLogEvents returns events "sorted by event timestamp, the timestamp when the event
    # was ingested by CloudWatch Logs, and the ID of the PutLogEvents request"; interleaved is
    # ignored by the service and assumed true, and asks emulations for the same order.
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
    request: dict[str, Any] = {"logGroupName": group, "startTime": start,
                               "endTime": window.until_ms, "interleaved": True}
    if page_limit:
        request["limit"] = page_limit
    safe_ms = start  # every event before this is stored
    sorted_so_far = True  # pages came in timestamp order (the documented order)
    all_stored = True
    shipped = 0
    last_ts = start
    started = time.monotonic()
    label = f"backfill {group}"
    token: str | None = None
    while True:
        page = logs.filter_log_events(**request, **({"nextToken": token} if token else {}))
        report.pages += 1
        events = page.get("events") or []
        for event in events:
            if event["timestamp"] < last_ts:
                # Not the documented order: do not trust a timestamp as a resume point.
                sorted_so_far = False
            last_ts = max(last_ts, event["timestamp"])
        page_stored = _ship_page(group, owner, events, ship, report, log)
        shipped += len(events)
        all_stored = all_stored and page_stored
        if events and all_stored and sorted_so_far:
            safe_ms = events[-1]["timestamp"]
            state.save(safe_ms, shipped)
        if progress is not None:
            progress.update(label, shipped, started, start, last_ts, window.until_ms)
        token = page.get("nextToken")
        if not token or not page_stored:
            # After a batch that was not stored (domain down, refusing, out of time), reading
            # on would only wait out the retry budget batch after batch; the next run resumes
            # before it.
            break
    if progress is not None:
        reached = window.until_ms if all_stored else last_ts
        progress.update(label, shipped, started, start, reached, window.until_ms, force=True)
        progress.done()
    if all_stored:
        state.clear()
    else:
        log(f"backfill: {group}: stopped, not everything was stored; run the same command "
            f"again to resume at {times.iso_ms(safe_ms)}")
    return all_stored


def _ship_page(group: str, owner: str, events: Sequence[dict[str, Any]], ship: Ship,
               report: BackfillReport, log: Callable[[str], None]) -> bool:
    ok = True
    for batch in batches(events):
        ((stream, log_events),) = batch.items()
        report.events += len(log_events)
        try:
            summary = ship(subscription_event(owner, group, stream, log_events))
        except DeliveryError as exc:
            report.failed += exc.undelivered
            log(f"backfill: {group} {stream}: {exc.undelivered} of {len(log_events)} events "
                f"not stored: {exc.reason}")
            ok = False
            continue
        report.stored += summary.stored
        report.already_present += summary.already_present
        report.errors_indexed += summary.errors_indexed
        report.excluded += summary.excluded
    return ok


def backfill(
    logs: Any,
    groups: Sequence[str],
    window: Window,
    owner: str,
    region: str,
    ship: Ship,
    *,
    state_dir: Path = STATE_DIR,
    progress: Progress | None = None,
    log: Callable[[str], None] = print,
    page_limit: int | None = None,
) -> BackfillReport:
    """Backfills every group in turn; a group that cannot be read is reported, the rest go on."""
    report = BackfillReport()
    for group in groups:
        report.groups += 1
        state = State.of(state_dir, region, group, window)
        try:
            backfill_group(logs, group, window, owner, ship, state, report, progress=progress,
                           log=log, page_limit=page_limit)
        except KeyboardInterrupt:
            if progress is not None:
                progress.done()
            log(f"backfill: {group}: interrupted; the same command (same --since/--until) "
                f"resumes it: --since {times.iso_ms(window.since_ms)}"
                + (f" --until {times.iso_ms(window.until_ms)}" if window.until_given else ""))
            raise
        except Exception as exc:  # one group failing to read must not hide the others
            if progress is not None:
                progress.done()
            name = type(exc).__name__
            problem = f"backfill: {group}: reading stopped ({name}: {' '.join(str(exc).split())})"
            report.problems.append(problem)
            log(problem + "; run the same command again to resume")
    return report


# ---------------------------------------------------------------------------------------------
# The command


def groups_from_stack(region: str, runner: Callable[..., Any] = subprocess.run) -> list[str]:
    """The stack's collected log groups in `region` (output logGroups), or a one-line exit."""
    values = stack.stack_output("logGroups", "--log-group", PROG, runner)
    groups = values.get(region) if isinstance(values, dict) else None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) for g in groups):
        known = ", ".join(sorted(values)) if isinstance(values, dict) else "none"
        raise stack.StackOutputError(
            f"{PROG}: no logGroups entry for {region} in the stack (regions: {known}); "
            "pass --log-group"
        )
    return list(groups)


def parse_args(argv: Sequence[str] | None, now_ms: int | None = None) -> argparse.Namespace:
    now = int(time.time() * 1000) if now_ms is None else now_ms
    parser = cli.Parser(
        prog=PROG,
        description="Ship a region's Lambda@Edge log history from CloudWatch Logs into "
                    "OpenSearch, with the ids live delivery gives (nothing is stored twice).",
        epilog=cli.EXIT_STATUSES + " (3: some events are not stored; the same command "
                                   "resumes)",
    )
    parser.add_argument("--region", required=True, help="the region whose log groups to read")
    parser.add_argument("--since", required=True,
                        help="start of the window: a time ago like 12h, 7d, 2w, an ISO time "
                             "(UTC unless it says otherwise) or epoch ms")
    parser.add_argument("--until", help="end of the window (inclusive), same forms; default: now")
    parser.add_argument("--log-group", action="append", dest="log_groups", metavar="GROUP",
                        help="a log group to backfill (repeat for several); default: the "
                             "stack output logGroups[region]")
    parser.add_argument("--endpoint",
                        help="OpenSearch endpoint, https://host; default: stack output "
                             "domainEndpoint")
    parser.add_argument("--domain-region",
                        help="the domain's region, which requests are signed for; default: "
                             "stack output domainRegion with the stack's endpoint, else the "
                             "region in the endpoint's host name")
    parser.add_argument("--service", default=contract.DEFAULT_SERVICE,
                        choices=list(contract.SERVICES), help="SigV4 service")
    parser.add_argument("--index-prefix", default=contract.DEFAULT_INDEX_PREFIX,
                        help="as the forwarder's")
    stack.add_redaction_flags(parser)
    parser.add_argument("--account", help="the account id the logs belong to (in the "
                                          "documents' ids); default: STS "
                                          "GetCallerIdentity")
    parser.add_argument("--seconds-per-batch", type=float, default=120.0,
                        help="retry budget of one batch inside the forwarder")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the forwarder's log line of every batch (stderr)")
    args = parser.parse_args(argv)
    if args.seconds_per_batch <= DEFAULT_SAFETY_MARGIN_S:
        parser.error(f"--seconds-per-batch must be more than {DEFAULT_SAFETY_MARGIN_S:g} (the "
                     "forwarder keeps that much back before its deadline)")
    try:
        since = parse_time(args.since, now)
    except ValueError as exc:
        parser.error(f"--since {exc}")
    try:
        until = parse_time(args.until, now) if args.until else now
    except ValueError as exc:
        parser.error(f"--until {exc}")
    if since >= until:
        parser.error(f"--since ({times.iso_ms(since)}) must be before --until "
                     f"({times.iso_ms(until)})")
    if args.account is not None and not _ACCOUNT.fullmatch(args.account):
        parser.error(f"--account must be a 12-digit account id, got {args.account!r}")
    args.window = Window(since, until, until_given=args.until is not None)
    return args


def main(argv: Sequence[str] | None = None, *, logs: Any = None, sts: Any = None,
         client: Any = None, state_dir: Path = STATE_DIR,
         runner: Callable[..., Any] = subprocess.run, page_limit: int | None = None) -> int:
    args = parse_args(argv)
    domain_region = args.domain_region
    endpoint = args.endpoint
    if endpoint is None:
        endpoint = stack.string_output("domainEndpoint", "--endpoint", PROG, runner)
        if domain_region is None:
            domain_region = stack.string_output("domainRegion", "--domain-region", PROG,
                                                runner)
    # The same validation as the Lambda's environment: a typo fails here, not half-way.
    env = {
        contract.ENV_ENDPOINT: endpoint,
        contract.ENV_SERVICE: args.service,
        contract.ENV_INDEX_PREFIX: args.index_prefix,
        "AWS_REGION": args.region,  # where the logs were written: cloud.region and the ids
    }
    if domain_region:
        env[contract.ENV_DOMAIN_REGION] = domain_region
    # History is read as CloudWatch keeps it: redacted (and excluded) here with the stack's
    # rules, like live delivery.
    settings = Settings.from_env(env)
    env.update(stack.redaction_env(args.redact, args.exclude, "backfill",
                                   stack_endpoint=args.endpoint is None, runner=runner,
                                   local=is_loopback_http(settings.endpoint)))
    settings = Settings.from_env(env)
    groups = args.log_groups or groups_from_stack(args.region, runner)

    import boto3
    from botocore.config import Config

    if logs is None:
        logs = boto3.client("logs", region_name=args.region, config=Config(retries=RETRIES))
    owner = args.account
    if owner is None:
        if sts is None:
            sts = boto3.client("sts", region_name=args.region, config=Config(retries=RETRIES))
        owner = str(sts.get_caller_identity()["Account"])

    from forwarder.client import make_client
    from forwarder.handler import process

    if client is None:
        client = make_client(settings)
    sink: TextIO = sys.stderr if args.verbose else io.StringIO()

    def ship(event: dict[str, Any]) -> Any:
        # process() writes one JSON line per batch to stdout (CloudWatch reads it in the
        # Lambda); here stdout is for the summary line only.
        with contextlib.redirect_stdout(sink):
            result = process(event, settings, client, time.monotonic() + args.seconds_per_batch)
        if not args.verbose:
            sink.seek(0)
            sink.truncate()
        return result

    progress = Progress(sys.stderr)

    def log(line: str) -> None:
        progress.clear()
        print(line, file=sys.stderr)

    report = backfill(logs, groups, args.window, owner, args.region, ship,
                      state_dir=state_dir, progress=progress, log=log, page_limit=page_limit)
    print(report.line(args.region))
    return Exit.OK if report.ok else Exit.RUNTIME
