"""`edgelogs demo` (scripts/demo): the whole data path on one machine, before any AWS account.

    edgelogs demo            # start a local node, send the traffic, print searches to try
    edgelogs demo --url      # the running demo node's URL
    edgelogs demo --stop     # stop it (its data stays in .cache for the next start)

It starts a local OpenSearch node (ops.node, node name `demo`, a free port, files in this
checkout's .cache) and sends five minutes of Lambda@Edge traffic from the 13 default regions
(ops/demo_traffic.py) through the forwarder's own code: per region,
`forwarder.handler.process` with that region's Settings (its own AWS_REGION), as each
region's forwarder would. Then it prints `edgelogs search` commands that find those lines.

Repeatable: the traffic is the five minutes before the start of the current UTC hour (or
before `--at`), and everything in it (request ids, log streams, CloudWatch event ids, hence
the documents' ids) follows from that time. A second run in the same hour stores nothing
new; a run in a later hour adds that hour's five minutes, so the data stays recent enough
for `--since 2h`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import contract

from ops import cli, node, times
from ops.exit_codes import Exit

PROG = "edgelogs demo"
DEFAULT_NODE = "demo"
DEFAULT_PREFIX = contract.DEFAULT_INDEX_PREFIX
DEFAULT_RETENTION_DAYS = contract.DEFAULT_INDEX_RETENTION_DAYS  # the stack's default
# The data is within --since 2h right after a run; later, the commands name the window.
RECENT = timedelta(minutes=110)
# The demo stack's edgelogs:redact (as in Pulumi.dev.yaml): the secrets viewer-auth logs
# are stored as [REDACTED].
REDACT = ["ipv4", "ipv6", "email", "bearer"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run edgelogs on this machine: a local OpenSearch node, five minutes of "
                    "Lambda@Edge traffic from 13 regions through the real forwarder, and "
                    "edgelogs search commands to try on it.",
        epilog="Needs Java 17 and Maven for the node (fetched once through Maven), and "
               "edgelogs installed (pip install -e .; scripts/demo does that itself). "
               + cli.EXIT_STATUSES,
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--stop", action="store_true", help="stop the demo node")
    action.add_argument("--url", action="store_true", help="print the demo node's URL")
    parser.add_argument("--endpoint", help="send to this node (http://127.0.0.1:PORT) instead "
                                           "of starting one")
    parser.add_argument("--index-prefix", default=DEFAULT_PREFIX,
                        help=f"index prefix (default {DEFAULT_PREFIX})")
    parser.add_argument("--at", help="end of the traffic window: an ISO time, epoch ms, or a "
                                     "time ago like 2h (default: the start of the current "
                                     "UTC hour)")
    parser.add_argument("--syslog", action="store_true",
                        help="also send every line to a local rsyslog over TLS: a syslog "
                             "destination beside the domain (needs rsyslog, rsyslog-gnutls)")
    parser.add_argument("--node", default=DEFAULT_NODE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.endpoint is not None and (args.stop or args.url):
        parser.error("--endpoint is a node of your own: --stop and --url are for the demo node")
    return args


# ---------------------------------------------------------------------------------------
# The local node (ops.node, as `edgelogs node` runs it)


def start_node(name: str) -> str:
    sys.stderr.write(f"{PROG}: starting the local OpenSearch node {name!r} (the first start "
                     "fetches OpenSearch through Maven; later ones take half a minute)\n")
    try:
        return node.start(name, 0, node.DEFAULT_HEAP, {}, node.VERSION)
    except (node.NodeError, OSError, subprocess.SubprocessError) as exc:
        raise cli.CommandError(f"the local OpenSearch node did not start: {exc}") from None


def node_url(name: str) -> str | None:
    return node.url_if_up(name)


def stop_node(name: str) -> None:
    try:
        node.stop(name)
    except OSError as exc:
        raise cli.CommandError(f"could not stop the demo node: {exc}") from None


# ---------------------------------------------------------------------------------------
# Sending the traffic through each region's forwarder


@dataclass
class Sent:
    batches: int = 0
    events: int = 0
    stored: int = 0
    already: int = 0


def send(traffic: Any, endpoint: str, prefix: str, others: Sequence[Any] = ()) -> Sent:
    # What `pulumi up` does on a domain before any forwarder writes: the index templates and
    # the retention policy (the forwarder only writes documents).
    from domain_setup.http import caller
    from domain_setup.setup import Desired, apply_indices
    from forwarder.client import make_client
    from forwarder.handler import process
    from forwarder.settings import Settings

    from ops.demo_traffic import batches, subscription_event

    apply_indices(caller(endpoint, "us-east-1"), Desired(prefix, DEFAULT_RETENTION_DAYS))

    sent = Sent()
    forwarders: dict[str, tuple[Any, Any]] = {}
    for region, message in batches(traffic):
        if region not in forwarders:
            # Each region's forwarder: its own AWS_REGION (cloud.region and the document
            # ids), one client per container.
            settings = Settings.from_env({contract.ENV_ENDPOINT: endpoint, "AWS_REGION": region,
                                          contract.ENV_INDEX_PREFIX: prefix,
                                          contract.ENV_REDACT: json.dumps(REDACT)})
            forwarders[region] = (settings, make_client(settings))
        settings, client = forwarders[region]
        # The forwarder writes one JSON line per invocation to stdout (for CloudWatch);
        # here it would bury the demo's own output.
        with contextlib.redirect_stdout(io.StringIO()):
            summary = process(subscription_event(message), settings, client,
                              time.monotonic() + 120, None, others)
        sent.batches += 1
        sent.events += summary.events_in
        sent.stored += summary.stored
        sent.already += summary.already_present
    if forwarders:
        settings, client = next(iter(forwarders.values()))
        # Searchable now, not after the index's refresh interval.
        client.indices.refresh(index=f"{prefix}-*")
    return sent


# ---------------------------------------------------------------------------------------
# A syslog destination beside the domain (--syslog)


def start_syslog() -> Any:
    """A local rsyslog with TLS (ops/demo_syslog.py), or a one-line error naming the
    packages to install."""
    from ops import demo_syslog

    try:
        receiver = demo_syslog.start_for_demo()
    except demo_syslog.ReceiverMissing as exc:
        raise cli.CommandError(f"--syslog: {exc}") from None
    sys.stderr.write(f"{PROG}: rsyslog listening with TLS on 127.0.0.1:{receiver.tls_port} "
                     "(files in .cache/demo-syslog)\n")
    return receiver


def syslog_report(receiver: Any, expected: int) -> list[str]:
    from ops import demo_syslog

    return demo_syslog.report(receiver, expected)


# ---------------------------------------------------------------------------------------
# What to try


def showcase_invocation(traffic: Any) -> Any:
    """The request id worth showing: a failed origin-side invocation (its traceback or
    timeout line names no request, yet belongs to it), a cold start if there is one."""
    ranked = sorted(traffic.invocations, key=lambda i: (
        not i.error, i.function != "origin-router", not i.cold, i.start_ms))
    return ranked[0]


def commands(traffic: Any, endpoint: str, prefix: str, now: datetime) -> list[str]:
    base = f"edgelogs search --endpoint {endpoint}"
    if prefix != DEFAULT_PREFIX:
        base += f" --index-prefix {shlex.quote(prefix)}"
    start = times.from_epoch_ms(traffic.start_ms)
    if now - start < RECENT:
        window = "--since 2h"
    else:
        window = (f"--since {times.iso_ms(traffic.start_ms)} "
                  f"--until {times.iso_ms(traffic.end_ms + 60_000)}")
    resized = next((i for i in traffic.invocations if i.function == "image-resize"),
                   traffic.invocations[0])
    shown = showcase_invocation(traffic)
    return [
        f"{base} {window}",
        f"{base} {window} --level ERROR",
        f"{base} --request-id {shown.request_id}",
        f"{base} {window} --function {resized.function} --region {resized.region}",
        f"{base} {window} {shlex.quote(chr(34) + 'Init Duration' + chr(34))}",
        f"{base} {window} --json --level WARN --limit 3",
    ]


def main(argv: Sequence[str] | None = None, now: datetime | None = None) -> int:
    args = parse_args(argv)
    if args.stop:
        stop_node(args.node)  # ops.node says on stderr whether it was running
        return Exit.OK
    if args.url:
        url = node_url(args.node)
        if url is None:
            sys.stderr.write(f"{PROG}: the demo node is not running; start it with "
                             "`edgelogs demo` (or scripts/demo)\n")
            return Exit.NOTHING_FOUND
        print(url)
        return Exit.OK

    now = now or datetime.now(UTC)
    if args.at:
        from ops.search.query import parse_time

        end = parse_time(args.at, now, "--at")
    else:
        end = now.replace(minute=0, second=0, microsecond=0)
    # Imported here: --help, --url and --stop need none of the forwarder's packages.
    from forwarder.errors import SettingsError
    from forwarder.settings import Settings

    from ops.demo_traffic import generate

    endpoint = args.endpoint
    if endpoint is not None:
        try:
            Settings.from_env({contract.ENV_ENDPOINT: endpoint, "AWS_REGION": "us-east-1",
                               contract.ENV_INDEX_PREFIX: args.index_prefix})
        except SettingsError as exc:
            raise cli.UsageError(str(exc).replace(contract.ENV_ENDPOINT, "--endpoint")
                                   .replace(contract.ENV_INDEX_PREFIX, "--index-prefix")) from None
    else:
        endpoint = start_node(args.node)
        print(f"{PROG}: OpenSearch node {args.node!r} at {endpoint} (files in "
              f".cache/opensearch/nodes/{args.node})")

    traffic = generate(int(end.timestamp() * 1000))
    receiver = start_syslog() if args.syslog else None
    try:
        sent = send(traffic, endpoint, args.index_prefix,
                    [receiver.shipper()] if receiver else [])
        syslog_lines = syslog_report(receiver, traffic.events) if receiver else []
    except Exception as exc:
        if type(exc).__module__.startswith("opensearchpy") or type(exc).__name__ == \
                "DeliveryError":
            raise cli.CommandError(f"could not store the demo traffic at {endpoint}: "
                                   f"{' '.join(str(exc).split())[:200]}") from None
        raise
    finally:
        if receiver is not None:
            receiver.stop()
    invocations = traffic.invocations
    regions = {i.region for i in invocations}
    functions = {i.function for i in invocations}
    print(f"{PROG}: five minutes of traffic, {times.iso_ms(traffic.start_ms)} to "
          f"{times.iso_ms(traffic.end_ms)}: {len(invocations)} invocations of {len(functions)} "
          f"functions in {len(regions)} regions ({sum(i.cold for i in invocations)} cold "
          f"starts, {sum(i.error for i in invocations)} errors), {traffic.events} log lines")
    print(f"{PROG}: {len(regions)} regional forwarders stored {sent.stored} new documents; "
          f"{sent.already} were already there")
    for line in syslog_lines:
        print(f"{PROG}: {line}")
    print("\nTry:")
    activate = Path(sys.prefix) / "bin" / "activate"
    if shutil.which("edgelogs") is None and activate.is_file():
        print(f"  . {activate}   # first: puts edgelogs on your PATH")
    for command in commands(traffic, endpoint, args.index_prefix, now):
        print(f"  {command}")
    print("\nAdd --follow to keep watching; `edgelogs demo --stop` stops the node.")
    return Exit.OK
