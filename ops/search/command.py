"""`edgelogs search`: its arguments, the domain it means, and `main`.

    edgelogs search --since 2h --level ERROR
    edgelogs search --request-id 8f5e0c2a-...          # that invocation whole, wherever it ran
    edgelogs search --function viewer-auth --follow timeout

Requests are SigV4-signed with the user's own AWS credentials (botocore's chain: AWS_PROFILE,
environment, SSO ...) for the DOMAIN's region, through the forwarder's own Settings and client:
`--domain-region`, else the stack output `domainRegion`, else the region the endpoint's host
names. A plain http endpoint on loopback (the local demo node) is not signed.

Only the standard library and the forwarder's settings module are imported before the
arguments are parsed, so `--help` works with the program's requirements alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import contract
from contract import DEFAULT_INDEX_PREFIX
from forwarder.errors import SettingsError
from forwarder.settings import Settings, region_of_endpoint

from ops import cli, stack, times
from ops.exit_codes import Exit
from ops.search.domain import Searcher, make_searcher, source
from ops.search.follow import Follower
from ops.search.invocation import invocation
from ops.search.paint import SHOWN, format_json, format_line, use_color
from ops.search.query import Filters, build_query, describe_range, levels_from, parse_time

PROG = "edgelogs search"
DEFAULT_SINCE = "1h"
DEFAULT_LIMIT = 200
# One search returns at most index.max_result_window (10,000 by default) hits.
MAX_LIMIT = 10_000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search the Lambda@Edge log lines of every region, in time order.",
        epilog=(
            "Each line: time (UTC), region, function:version, level, request id, message.\n"
            f"{cli.EXIT_STATUSES} (1: no matching line)\n\n"
            "examples:\n"
            f"  {PROG} --since 2h --level ERROR\n"
            f"  {PROG} --request-id 8f5e0c2a-4f0e-4d3c-9d55-0c1f6a1c2b3d\n"
            f"  {PROG} --function viewer-auth --region eu-west-1 --since 30m "
            "'\"token expired\"'\n"
            f"  {PROG} --follow --level WARN"
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
    parser.add_argument("--service", default=contract.DEFAULT_SERVICE, choices=contract.SERVICES,
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
    parser.add_argument("--follow", action="store_true",
                        help="keep printing new lines (until Ctrl-C)")
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
        raise cli.UsageError(
            f"--since ({times.iso(since)}) must be before --until ({times.iso(until)})")
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
        contract.ENV_ENDPOINT: endpoint,
        contract.ENV_SERVICE: args.service,
        contract.ENV_INDEX_PREFIX: prefix,
        # The forwarder's own region; meaningless for a search, but Settings wants one.
        "AWS_REGION": domain_region or region_of_endpoint(endpoint) or "us-east-1",
    }
    if domain_region:
        env[contract.ENV_DOMAIN_REGION] = domain_region
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        message = str(exc)
        for name, flag in ((contract.ENV_ENDPOINT, "--endpoint"),
                           (contract.ENV_DOMAIN_REGION, "--domain-region"),
                           (contract.ENV_INDEX_PREFIX, "--index-prefix")):
            message = message.replace(name, flag)
        raise cli.UsageError(message) from None
    return settings, notes


def main(argv: Sequence[str] | None = None, *, searcher: Searcher | None = None,
         out: TextIO | None = None, now: datetime | None = None,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Prints the matching lines; Exit.NOTHING_FOUND when there are none (without --follow).

    Ctrl-C (how --follow ends) propagates: ops.cli.run makes it exit status 130.
    """
    args = parse_args(argv)
    out = out or sys.stdout
    filters = filters_from(args, now or datetime.now(UTC))
    if searcher is None:
        settings, notes = connection(args)
        for note in notes:
            sys.stderr.write(note + "\n")
        searcher = make_searcher(settings)
    color = not args.json and use_color(out)
    shown: Any = True if args.json else SHOWN

    def show(hits: list[dict[str, Any]]) -> None:
        for hit in hits:
            src = source(hit)
            out.write((format_json(src) if args.json else format_line(src, color)) + "\n")
        out.flush()

    try:
        follower = None
        if args.follow:
            # Before the first search: whatever becomes searchable after this is printed.
            follower = Follower(searcher, build_query(filters), shown)
            follower.prime()
        if filters.request_id:
            hits = invocation(searcher, filters)
            if not hits and not args.follow:
                where = f" since {times.iso(filters.since)}" if filters.since else ""
                sys.stderr.write(f"{PROG}: no lines of request {filters.request_id}{where}\n")
                return Exit.NOTHING_FOUND
        else:
            newest = searcher.last(build_query(filters), args.limit, shown)
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
                sys.stderr.write(f"{PROG}: no matching lines{describe_range(filters)}\n")
            if not hits and not args.follow:
                return Exit.NOTHING_FOUND
        show(hits)
        if follower is None:
            return Exit.OK
        for hit in hits:
            follower.mark(hit)
        polls = 0
        while args.max_polls is None or polls < args.max_polls:
            sleep(args.interval)
            show(follower.poll())
            polls += 1
        return Exit.OK
    except BrokenPipeError:
        # `edgelogs search ... | head`: the reader has all it wants. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return Exit.OK
