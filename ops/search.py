"""The troubleshooter's terminal search: matching lines from every region, in time order.

    scripts/search --since 2h --level ERROR
    scripts/search --request-id 8f5e0c2a-...          # that invocation whole, wherever it ran
    scripts/search --function viewer-auth --follow timeout

Requests are SigV4-signed with the user's own AWS credentials (botocore's chain: AWS_PROFILE,
environment, SSO ...) for the DOMAIN's region, through the forwarder's own Settings and client:
`--domain-region`, else the stack output `domainRegion`, else the region the endpoint's host
names. A plain http endpoint on loopback (the local demo node) is not signed.

The query building and the line formatting are pure functions (tests/ops); `main` wires them
to the client. Only the standard library and the forwarder's settings module are imported
before the arguments are parsed, so `--help` works with the program's requirements alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TextIO

from ops import cli, stack, times

_LAMBDA_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "lambda_src")
if _LAMBDA_SRC not in sys.path:
    # The forwarder is deployed as a top-level package; import it exactly as Lambda does.
    sys.path.insert(0, _LAMBDA_SRC)

from forwarder.errors import SettingsError  # noqa: E402
from forwarder.settings import DEFAULT_INDEX_PREFIX, Settings, region_of_endpoint  # noqa: E402

PROG = "search"
DEFAULT_SINCE = "1h"
DEFAULT_LIMIT = 200
# One search returns at most index.max_result_window (10,000 by default) hits.
MAX_LIMIT = 10_000
PAGE = 1000
# An invocation's lines are few; this only bounds a pathological one.
MAX_INVOCATION_LINES = 10_000
# Lines written before START in the same log stream (INIT_START, module-level logs) belong
# to the invocation that paid for the cold start. Lambda@Edge's init phase is capped well
# below this.
INIT_LOOKBACK_MS = 15_000
# --follow prints a line once it is searchable, if that is within this long of the forwarder
# building it (event.ingested): bulk time plus the index's 5 s refresh, with room for retries.
LATENESS_MS = 60_000

# Time order, then CloudWatch's own order inside a log stream (event ids grow with
# ingestion), then enough to tell any two documents apart: search_after needs a total
# order. (event.id, region, group) with the stack's one account is what the document's _id is
# made of (cloud.account.id is not mapped: the same on every document of a stack).
_SORT_FIELDS = (
    ("@timestamp", "date"),
    ("event.id", "keyword"),
    ("cloud.region", "keyword"),
    ("log.group", "keyword"),
)

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4,
          "FATAL": 5, "CRITICAL": 5}
_ERROR_RANK = LEVELS["ERROR"]

# What a line shows; the rest of the document stays on the node unless --json.
_SHOWN = ["@timestamp", "event.ingested", "cloud.region", "faas.name", "faas.version",
          "log.level", "aws.lambda.request_id", "aws.cloudfront.distribution_id", "message",
          "log.group", "log.stream"]


# ---------------------------------------------------------------------------------------
# Filters and queries (pure)


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None
    functions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    level: str | None = None
    text: str = ""


def parse_time(text: str, now: datetime, option: str) -> datetime:
    """`option`'s time (ops.times.parse_time); a CommandError naming the option if it is none."""
    try:
        return times.parse_time(text, now)
    except ValueError as exc:
        raise cli.CommandError(f"{option} {exc}") from None


def levels_from(level: str) -> list[str]:
    """The log levels at or above `level`."""
    rank = LEVELS.get(level.upper())
    if rank is None:
        raise cli.CommandError(
            f"--level {level!r} is not a level: use one of {', '.join(LEVELS)}")
    return [name for name, r in LEVELS.items() if r >= rank]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{when.microsecond // 1000:03d}Z"


def build_query(f: Filters) -> dict[str, Any]:
    """The bool query for these filters (every one must hold)."""
    clauses: list[dict[str, Any]] = []
    if f.since or f.until:
        bounds: dict[str, str] = {}
        if f.since:
            bounds["gte"] = iso(f.since)
        if f.until:
            bounds["lt"] = iso(f.until)
        clauses.append({"range": {"@timestamp": bounds}})
    if f.request_id:
        clauses.append({"term": {"aws.lambda.request_id": f.request_id}})
    if f.functions:
        clauses.append({"terms": {"faas.name": list(f.functions)}})
    if f.regions:
        clauses.append({"terms": {"cloud.region": list(f.regions)}})
    if f.level:
        wanted = levels_from(f.level)
        either: list[dict[str, Any]] = [{"terms": {"log.level": wanted}}]
        if LEVELS[f.level.upper()] <= _ERROR_RANK:
            # Every line of a CloudFront Lambda@Edge error log is an error report, though
            # it carries no level field.
            either.append({"exists": {"field": "aws.cloudfront.distribution_id"}})
        clauses.append({"bool": {"should": either, "minimum_should_match": 1}})
    must: list[dict[str, Any]] = []
    if f.text.strip():
        # simple_query_string never fails on syntax: "a phrase", -word, a | b.
        must.append({"simple_query_string": {"query": f.text, "fields": ["message"],
                                             "default_operator": "and"}})
    if not clauses and not must:
        return {"match_all": {}}
    return {"bool": {"filter": clauses, "must": must}}


def with_clause(query: dict[str, Any], clause: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": [query, clause]}}


def sort_spec(descending: bool = False) -> list[dict[str, Any]]:
    order = "desc" if descending else "asc"
    # unmapped_type: an index under the pattern without these fields sorts, never fails.
    return [{name: {"order": order, "unmapped_type": kind}} for name, kind in _SORT_FIELDS]


def index_pattern(prefix: str) -> str:
    """The day indices `<prefix>-YYYY.MM.DD` only: never `<prefix>-errors-*`, nor another
    stack's `<prefix>-<name>-*` (index names cannot start a character class)."""
    return f"{prefix}-1*,{prefix}-2*"


def invocation_members(stream_hits: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """The lines of one log stream, in order, that belong to the invocation `request_id`.

    An execution environment (one log stream) runs one invocation at a time, so everything
    between its first and its last line that names no other request is part of it (a
    timeout notice, a Python traceback); so are the lines just before START that name no
    request (INIT_START and the init phase of a cold start).

    One log stream per execution environment, for its lifetime:
    https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html
    One request at a time per environment ("a separate instance of your execution
    environment" for each concurrent request):
    https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
    """
    rid = [_source(h).get("aws.lambda.request_id") for h in stream_hits]
    mine = [i for i, r in enumerate(rid) if r == request_id]
    if not mine:
        return []
    first, last = mine[0], mine[-1]
    start = first
    while start > 0 and not rid[start - 1]:
        start -= 1
    return [h for i, h in enumerate(stream_hits[start:last + 1], start)
            if rid[i] in (None, "", request_id)]


# ---------------------------------------------------------------------------------------
# Lines (pure)

# The prefix of Lambda's text format repeats what the columns show.
_NODE_PREFIX = re.compile(r"\d{4}-\d\d-\d\dT[^\t]*\t[^\t]*\t[A-Z]+\t")
_PYTHON_PREFIX = re.compile(r"\[[A-Z]+\]\t[^\t]*\t[^\t]*\t")
# Log lines are written by code that handles requests: a header or URL can put terminal
# escape sequences in them. Control characters (C0, DEL, C1) and the bidirectional
# overrides are shown escaped, never sent to the terminal.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_COLORS = {"time": "2", "region": "36", "function": "35", "rid": "2", "ERROR": "31;1",
           "FATAL": "31;1", "CRITICAL": "31;1", "WARN": "33", "WARNING": "33",
           "INFO": "32", "DEBUG": "2", "TRACE": "2"}


def safe(text: str) -> str:
    """One terminal-safe line: newlines shown as \\n, tabs as spaces, controls escaped."""
    text = text.replace("\r\n", "\n").replace("\n", "\\n").replace("\t", " ")
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                       else f"\\u{ord(m[0]):04x}", text)


def message_text(message: Any) -> str:
    text = message if isinstance(message, str) else json.dumps(message)
    text = text.rstrip()
    m = _NODE_PREFIX.match(text) or _PYTHON_PREFIX.match(text)
    return safe(text[m.end():] if m else text)


def function_label(src: dict[str, Any]) -> str:
    name = src.get("faas.name")
    if name:
        version = src.get("faas.version")
        return f"{name}:{version}" if version else str(name)
    if src.get("aws.cloudfront.distribution_id"):
        return f"cloudfront/{src['aws.cloudfront.distribution_id']}"
    return str(src.get("log.group") or "-")


def _paint(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def format_line(src: dict[str, Any], color: bool = False) -> str:
    """time region function:version level request-id message, one line."""
    level = safe(str(src.get("log.level") or "-"))
    fields = [
        _paint(safe(str(src.get("@timestamp") or "-")), _COLORS["time"], color),
        _paint(safe(str(src.get("cloud.region") or "-")).ljust(14), _COLORS["region"], color),
        _paint(safe(function_label(src)).ljust(22), _COLORS["function"], color),
        _paint(level.ljust(5), _COLORS.get(level), color),
        _paint(safe(str(src.get("aws.lambda.request_id") or "-")).ljust(36), _COLORS["rid"],
               color),
        message_text(src.get("message", "")),
    ]
    return " ".join(fields)


def format_json(src: dict[str, Any]) -> str:
    # ensure_ascii: every control character and non-ASCII character arrives escaped.
    return json.dumps(src, separators=(",", ":"))


def use_color(out: TextIO, env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Colour on a terminal only; never when piped, with NO_COLOR (no-color.org) or
    TERM=dumb."""
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


# ---------------------------------------------------------------------------------------
# Talking to the domain


def _source(hit: dict[str, Any]) -> dict[str, Any]:
    return hit.get("_source") or {}


def _ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except ValueError:
        return None


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


@dataclass
class Newest:
    hits: list[dict[str, Any]]
    total: int  # lines that match
    exact: bool  # total is exact (else a lower bound)
    indices: bool  # some index has the prefix at all


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


def invocation(searcher: Searcher, f: Filters) -> list[dict[str, Any]]:
    """The invocation `f.request_id` whole, from whichever region and stream served it."""
    assert f.request_id
    located = list(searcher.scan(build_query(replace(f, level=None, text="")),
                                 limit=MAX_INVOCATION_LINES, source=_SHOWN))
    streams: dict[tuple[str, str, str], tuple[int, int]] = {}
    for hit in located:
        src = _source(hit)
        key = (src.get("cloud.region", ""), src.get("log.group", ""), src.get("log.stream", ""))
        ts = _ms(src.get("@timestamp")) or 0
        low, high = streams.get(key, (ts, ts))
        streams[key] = (min(low, ts), max(high, ts))
    members: list[dict[str, Any]] = []
    for (region, group, stream_name), (low, high) in streams.items():
        window = {"bool": {"filter": [
            {"term": {"cloud.region": region}},
            {"term": {"log.group": group}},
            {"term": {"log.stream": stream_name}},
            {"range": {"@timestamp": {"gte": low - INIT_LOOKBACK_MS, "lte": high,
                                      "format": "epoch_millis"}}},
        ]}}
        members += invocation_members(
            list(searcher.scan(window, limit=MAX_INVOCATION_LINES, source=_SHOWN)),
            f.request_id)
    if f.level or f.text.strip():
        # The level and the words narrow the lines shown, on the node's own terms.
        ids = {"ids": {"values": [h["_id"] for h in members]}}
        keep = {h["_id"] for h in searcher.scan(
            with_clause(build_query(Filters(level=f.level, text=f.text)), ids), source=False)}
        members = [h for h in members if h["_id"] in keep]
    return sorted(members, key=lambda h: h.get("sort") or [])


class Follower:
    """Prints each line that matches, once, as it becomes searchable.

    A new line is not always newer than the last one printed: regions deliver seconds to
    minutes apart, and a replayed failure queue brings lines hours old. So each poll asks
    for the lines the forwarders built (`event.ingested`) since shortly before the newest
    one seen, pages through them in time order with search_after, and prints those whose
    _id it has not printed. A line that becomes searchable more than LATENESS_MS after it
    was built is missed (only a forwarder retrying through an outage is that slow).
    """

    def __init__(self, searcher: Searcher, query: dict[str, Any], source: Any,
                 lateness_ms: int = LATENESS_MS) -> None:
        self.searcher = searcher
        self.query = query
        self.source = source
        self.lateness_ms = lateness_ms
        self.seen: dict[str, int] = {}
        self.watermark: int | None = None

    def prime(self) -> None:
        """Remember what is searchable now, so that only later lines are printed."""
        newest_first = [{"event.ingested": {"order": "desc", "unmapped_type": "date"}},
                        *sort_spec(descending=True)]
        after = None
        while True:
            body: dict[str, Any] = {"query": self.query, "sort": newest_first, "size": PAGE,
                                    "_source": ["event.ingested"], "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            hits = self.searcher.search(body)["hits"]["hits"]
            for hit in hits:
                ingested = _ms(_source(hit).get("event.ingested")) or 0
                if self.watermark is None:
                    self.watermark = ingested
                if ingested < self.watermark - self.lateness_ms:
                    return
                self.seen[hit["_id"]] = ingested
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def mark(self, hit: dict[str, Any]) -> None:
        ingested = _ms(_source(hit).get("event.ingested")) or 0
        self.seen[hit["_id"]] = ingested
        if self.watermark is None or ingested > self.watermark:
            self.watermark = ingested

    def poll(self) -> list[dict[str, Any]]:
        query = self.query
        if self.watermark is not None:
            query = with_clause(query, {"range": {"event.ingested": {
                "gte": self.watermark - self.lateness_ms, "format": "epoch_millis"}}})
        fresh = [h for h in self.searcher.scan(query, source=self.source)
                 if h["_id"] not in self.seen]
        for hit in fresh:
            self.mark(hit)
        if self.watermark is not None:
            floor = self.watermark - self.lateness_ms
            self.seen = {k: v for k, v in self.seen.items() if v >= floor}
        return fresh


# ---------------------------------------------------------------------------------------
# The command


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search the Lambda@Edge log lines of every region, in time order.",
        epilog=(
            "Each line: time (UTC), region, function:version, level, request id, message.\n"
            "Exit code: 0 lines found (or --follow), 1 none, 2 a mistake.\n\n"
            "examples:\n"
            "  search --since 2h --level ERROR\n"
            "  search --request-id 8f5e0c2a-4f0e-4d3c-9d55-0c1f6a1c2b3d\n"
            "  search --function viewer-auth --region eu-west-1 --since 30m '\"token expired\"'\n"
            "  search --follow --level WARN"
        ),
    )
    parser.add_argument("query", nargs="*", metavar="QUERY",
                        help="words every line must contain; \"a phrase\", a | b for either, "
                             "-word to exclude (inside one quoted QUERY: 'timeout -origin')")
    parser.add_argument("--endpoint", help="OpenSearch endpoint, https://host; default: stack "
                                           "output domainEndpoint")
    parser.add_argument("--domain-region", help="the region requests are signed for; default: "
                                                "stack output domainRegion, else the region in "
                                                "the endpoint's host name")
    parser.add_argument("--service", default="es", choices=["es", "aoss"],
                        help="SigV4 service (default es)")
    parser.add_argument("--index-prefix", help="default: stack output indexPrefix when the "
                                               "endpoint comes from the stack, else "
                                               f"{DEFAULT_INDEX_PREFIX}")
    parser.add_argument("--since", help=f"15m, 2h, 3d, 1w ago, an ISO time (UTC unless it "
                                        f"says) or epoch ms; default {DEFAULT_SINCE}, or all "
                                        "kept days with --request-id")
    parser.add_argument("--until", help="as --since; default now")
    parser.add_argument("--request-id", help="show that invocation whole, START to REPORT, "
                                             "from whichever region served it")
    parser.add_argument("--function", action="append", default=[], metavar="NAME",
                        help="edge function name (repeatable)")
    parser.add_argument("--region", action="append", default=[], metavar="REGION",
                        help="region that served the request (repeatable)")
    parser.add_argument("--level", help="this level and above: TRACE DEBUG INFO WARN ERROR "
                                        "FATAL (from ERROR down it includes CloudFront's "
                                        "Lambda@Edge error logs)")
    parser.add_argument("--json", action="store_true", help="one JSON document per line")
    parser.add_argument("--follow", action="store_true", help="keep printing new lines")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=f"show the newest this many lines (default {DEFAULT_LIMIT})")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between --follow polls (default 2)")
    parser.add_argument("--max-polls", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.limit <= MAX_LIMIT:
        parser.error(f"--limit must be between 1 and {MAX_LIMIT}")
    if args.interval <= 0:
        parser.error("--interval must be more than 0")
    if args.follow and args.until:
        parser.error("--follow shows new lines; it cannot have --until")
    if args.endpoint is not None and not args.endpoint.strip():
        parser.error("--endpoint is empty")
    return args


def filters_from(args: argparse.Namespace, now: datetime) -> Filters:
    default_since = None if args.request_id else DEFAULT_SINCE
    since_text = args.since or default_since
    since = parse_time(since_text, now, "--since") if since_text else None
    until = parse_time(args.until, now, "--until") if args.until else None
    if since and until and since >= until:
        raise cli.CommandError(f"--since ({iso(since)}) must be before --until ({iso(until)})")
    if args.level:
        levels_from(args.level)
    return Filters(since=since, until=until, request_id=args.request_id or None,
                   functions=tuple(args.function), regions=tuple(args.region),
                   level=args.level.upper() if args.level else None,
                   text=" ".join(args.query))


def connection(args: argparse.Namespace,
               runner: Callable[..., Any] = subprocess.run) -> tuple[Settings, list[str]]:
    """The forwarder's Settings for the domain the user means, and notes for stderr."""
    notes: list[str] = []
    endpoint = args.endpoint
    from_stack = endpoint is None
    if from_stack:
        endpoint = stack.string_output("domainEndpoint", "--endpoint", PROG, runner)
    domain_region = args.domain_region
    if domain_region is None and from_stack:
        try:
            domain_region = stack.string_output("domainRegion", "--domain-region", PROG, runner)
        except stack.StackOutputError:
            domain_region = None  # an older stack: the endpoint's host names the region
    prefix = args.index_prefix
    if prefix is None:
        prefix = DEFAULT_INDEX_PREFIX
        if from_stack:
            try:
                prefix = stack.string_output("indexPrefix", "--index-prefix", PROG, runner)
            except stack.StackOutputError:
                notes.append(f"{PROG}: the stack has no indexPrefix output; searching the "
                             f"default prefix {DEFAULT_INDEX_PREFIX} (pass --index-prefix "
                             "if edgelogs:indexPrefix is set)")
    env = {
        "OPENSEARCH_ENDPOINT": endpoint,
        "OPENSEARCH_SERVICE": args.service,
        "INDEX_PREFIX": prefix,
        # The forwarder's own region; meaningless for a search, but Settings wants one.
        "AWS_REGION": domain_region or region_of_endpoint(endpoint) or "us-east-1",
    }
    if domain_region:
        env["OPENSEARCH_REGION"] = domain_region
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        message = str(exc)
        for name, flag in (("OPENSEARCH_ENDPOINT", "--endpoint"),
                           ("OPENSEARCH_REGION", "--domain-region"),
                           ("INDEX_PREFIX", "--index-prefix")):
            message = message.replace(name, flag)
        raise cli.CommandError(message) from None
    return settings, notes


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


def main(argv: Sequence[str] | None = None, *, searcher: Searcher | None = None,
         out: TextIO | None = None, now: datetime | None = None,
         sleep: Callable[[float], None] = time.sleep) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    filters = filters_from(args, now or datetime.now(UTC))
    if searcher is None:
        settings, notes = connection(args)
        for note in notes:
            sys.stderr.write(note + "\n")
        searcher = make_searcher(settings)
    color = not args.json and use_color(out)
    source: Any = True if args.json else _SHOWN

    def show(hits: list[dict[str, Any]]) -> None:
        for hit in hits:
            src = _source(hit)
            out.write((format_json(src) if args.json else format_line(src, color)) + "\n")
        out.flush()

    try:
        follower = None
        if args.follow:
            # Before the first search: whatever becomes searchable after this is printed.
            follower = Follower(searcher, build_query(filters), source)
            follower.prime()
        if filters.request_id:
            hits = invocation(searcher, filters)
            if not hits and not args.follow:
                where = f" since {iso(filters.since)}" if filters.since else ""
                sys.stderr.write(f"{PROG}: no lines of request {filters.request_id}{where}\n")
                return 1
        else:
            newest = searcher.last(build_query(filters), args.limit, source)
            hits = newest.hits
            if newest.total > len(hits):
                more = "" if newest.exact else "more than "
                sys.stderr.write(f"{PROG}: showing the newest {len(hits)} of {more}"
                                 f"{newest.total} matching lines (raise --limit, or narrow "
                                 "the search)\n")
            if not newest.indices:
                # Not one shard searched: no index has this prefix (a typo, another stack).
                prefix = searcher.settings.index_prefix
                sys.stderr.write(f"{PROG}: {searcher.settings.endpoint} has no {prefix}-YYYY.MM.DD "
                                 "indices; is --index-prefix right?\n")
            elif not hits and not args.follow:
                sys.stderr.write(f"{PROG}: no matching lines{_range(filters)}\n")
            if not hits and not args.follow:
                return 1
        show(hits)
        if follower is None:
            return 0
        for hit in hits:
            follower.mark(hit)
        polls = 0
        while args.max_polls is None or polls < args.max_polls:
            sleep(args.interval)
            show(follower.poll())
            polls += 1
        return 0
    except KeyboardInterrupt:
        return 0  # how --follow ends
    except BrokenPipeError:
        # `search ... | head`: the reader has all it wants. Point stdout at /dev/null so
        # the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _range(f: Filters) -> str:
    since = f" since {iso(f.since)}" if f.since else ""
    until = f" until {iso(f.until)}" if f.until else ""
    return since + until
