"""scripts/demo: the whole data path on one machine, before any AWS account.

    scripts/demo            # start a local node, send the traffic, print searches to try
    scripts/demo --url      # the running demo node's URL
    scripts/demo --stop     # stop it (its data stays in .cache for the next start)

It starts a local OpenSearch node (scripts/opensearch-node, node name `demo`, a free port,
files in this checkout's .cache) and sends five minutes of Lambda@Edge traffic from the 13
default regions (ops/demo_traffic.py) through the forwarder's own code: per region,
`forwarder.handler.process` with that region's Settings (its own AWS_REGION), as each
region's forwarder would. Then it prints `scripts/search` commands that find those lines.

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
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops import cli

ROOT = Path(__file__).resolve().parents[1]
NODE_SCRIPT = ROOT / "scripts" / "opensearch-node"
LAMBDA_SRC = ROOT / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

PROG = "demo"
DEFAULT_NODE = "demo"
DEFAULT_PREFIX = "lambda-edge"
# The data is within --since 2h right after a run; later, the commands name the window.
RECENT = timedelta(minutes=110)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run edgelogs on this machine: a local OpenSearch node, five minutes of "
                    "Lambda@Edge traffic from 13 regions through the real forwarder, and "
                    "scripts/search commands to try on it.",
        epilog="Needs Java 17 and Maven for the node (fetched once through Maven), and the "
               "forwarder's dependencies: pip install -r requirements-dev.txt.",
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
# The local node, through scripts/opensearch-node


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(NODE_SCRIPT), *args], capture_output=True,
                          text=True, timeout=900)


def _node_problem(result: subprocess.CompletedProcess[str]) -> str:
    said = [line.removeprefix("opensearch-node: ") for line in result.stderr.splitlines()
            if line.startswith("opensearch-node: ")]
    return said[-1] if said else (result.stderr.strip().splitlines() or ["failed"])[-1]


def start_node(name: str) -> str:
    sys.stderr.write(f"{PROG}: starting the local OpenSearch node {name!r} (the first start "
                     "fetches OpenSearch through Maven; later ones take half a minute)\n")
    result = _node("start", "--name", name)
    if result.returncode != 0:
        raise cli.CommandError(f"the local OpenSearch node did not start: "
                               f"{_node_problem(result)}")
    return result.stdout.strip().splitlines()[-1]


def node_url(name: str) -> str | None:
    result = _node("status", "--name", name)
    text = result.stdout.strip()
    if result.returncode == 0 and " up at " in text:
        return text.rsplit(" up at ", 1)[1]
    return None


def stop_node(name: str) -> str:
    result = _node("stop", "--name", name)
    if result.returncode != 0:
        raise cli.CommandError(f"could not stop the demo node: {_node_problem(result)}")
    return _node_problem(result)


# ---------------------------------------------------------------------------------------
# Sending the traffic through each region's forwarder


@dataclass
class Sent:
    batches: int = 0
    events: int = 0
    stored: int = 0
    already: int = 0


def send(traffic: Any, endpoint: str, prefix: str, others: Sequence[Any] = ()) -> Sent:
    from forwarder.client import make_client
    from forwarder.handler import process
    from forwarder.settings import Settings

    from ops.demo_traffic import batches, subscription_event

    sent = Sent()
    forwarders: dict[str, tuple[Any, Any]] = {}
    for region, message in batches(traffic):
        if region not in forwarders:
            # Each region's forwarder: its own AWS_REGION (cloud.region and the document
            # ids), one client per container.
            settings = Settings.from_env({"OPENSEARCH_ENDPOINT": endpoint, "AWS_REGION": region,
                                          "INDEX_PREFIX": prefix})
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


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def showcase_invocation(traffic: Any) -> Any:
    """The request id worth showing: a failed origin-side invocation (its traceback or
    timeout line names no request, yet belongs to it), a cold start if there is one."""
    ranked = sorted(traffic.invocations, key=lambda i: (
        not i.error, i.function != "origin-router", not i.cold, i.start_ms))
    return ranked[0]


def commands(traffic: Any, endpoint: str, prefix: str, now: datetime) -> list[str]:
    base = f"scripts/search --endpoint {endpoint}"
    if prefix != DEFAULT_PREFIX:
        base += f" --index-prefix {shlex.quote(prefix)}"
    start = datetime.fromtimestamp(traffic.start_ms / 1000, UTC)
    if now - start < RECENT:
        window = "--since 2h"
    else:
        window = f"--since {_iso(traffic.start_ms)} --until {_iso(traffic.end_ms + 60_000)}"
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
        print(f"{PROG}: {stop_node(args.node)}")
        return 0
    if args.url:
        url = node_url(args.node)
        if url is None:
            raise cli.CommandError("the demo node is not running; start it with scripts/demo")
        print(url)
        return 0

    now = now or datetime.now(UTC)
    if args.at:
        from ops.search import parse_time

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
            Settings.from_env({"OPENSEARCH_ENDPOINT": endpoint, "AWS_REGION": "us-east-1",
                               "INDEX_PREFIX": args.index_prefix})
        except SettingsError as exc:
            raise cli.CommandError(str(exc).replace("OPENSEARCH_ENDPOINT", "--endpoint")
                                   .replace("INDEX_PREFIX", "--index-prefix")) from None
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
    print(f"{PROG}: five minutes of traffic, {_iso(traffic.start_ms)} to "
          f"{_iso(traffic.end_ms)}: {len(invocations)} invocations of {len(functions)} "
          f"functions in {len(regions)} regions ({sum(i.cold for i in invocations)} cold "
          f"starts, {sum(i.error for i in invocations)} errors), {traffic.events} log lines")
    print(f"{PROG}: {len(regions)} regional forwarders stored {sent.stored} new documents; "
          f"{sent.already} were already there")
    for line in syslog_lines:
        print(f"{PROG}: {line}")
    print("\nTry:")
    for command in commands(traffic, endpoint, args.index_prefix, now):
        print(f"  {command}")
    print("\nAdd --follow to keep watching; `scripts/demo --stop` stops the node.")
    return 0
