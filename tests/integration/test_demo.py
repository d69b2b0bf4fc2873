"""scripts/demo (`edgelogs demo`): the whole data path on one machine, repeatable, and its
commands work."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.config import DEFAULT_REGIONS
from ops import demo
from ops.demo_traffic import generate
from ops.search import command as search
from tests.integration.forwarder_support import count

ROOT = Path(__file__).resolve().parents[2]
EDGELOGS = Path(sys.executable).parent / "edgelogs"  # pip install -e . (requirements-dev.txt)
AT = "2025-11-24T17:00:00Z"  # a fixed window: the printed commands name it


def _commands(output: str) -> list[list[str]]:
    return [shlex.split(line.strip())[2:] for line in output.splitlines()
            if line.strip().startswith("edgelogs search ")]


def test_a_second_run_stores_nothing_twice_and_the_printed_searches_find_lines(
        opensearch_url: str, index_prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--endpoint", opensearch_url, "--index-prefix", index_prefix, "--at", AT]
    traffic = generate(int(datetime.fromisoformat(AT).timestamp() * 1000))
    pattern = f"{index_prefix}-*"

    assert demo.main(argv) == 0
    first = capsys.readouterr().out
    stored = count(opensearch_url, pattern)
    assert stored == traffic.events
    assert f"stored {stored} new documents; 0 were already there" in first
    for region in DEFAULT_REGIONS:  # each region's forwarder wrote its own region's lines
        assert count(opensearch_url, pattern, {"term": {"cloud.region": region}}) > 0

    assert demo.main(argv) == 0
    second = capsys.readouterr().out
    assert count(opensearch_url, pattern) == stored
    assert f"stored 0 new documents; {stored} were already there" in second

    commands = _commands(first)
    assert len(commands) == 6 and commands == _commands(second)
    for command in commands:
        out = io.StringIO()
        assert search.main(command, out=out, now=datetime.now(UTC)) == 0, command
        lines = out.getvalue().splitlines()
        assert lines, command
        if "--request-id" in command:
            rid = command[command.index("--request-id") + 1]
            assert "START RequestId: " + rid in lines[0] or "INIT_START" in lines[0]
            assert "REPORT RequestId: " + rid in lines[-1]
            # Its Python traceback or timeout notice names no request in its text; the
            # forwarder gives it the invocation's id, at level ERROR, and it is shown too.
            failures = [line for line in lines
                        if "Traceback" in line or "Task timed out" in line]
            assert failures, lines
            assert all(line.split()[3:5] == ["ERROR", rid] for line in failures), failures
        if "--json" in command:
            assert all(json.loads(line)["log.level"] in ("WARN", "ERROR") or
                       "aws.cloudfront.distribution_id" in json.loads(line) for line in lines)

    # viewer-auth logs the viewer's address, e-mail and token; the demo stack redacts them.
    window = commands[0][commands[0].index("--since"):]
    out = io.StringIO()
    assert search.main([*commands[0][:4], *window, '"token expired"'], out=out,
                       now=datetime.now(UTC)) == 0
    refused = out.getvalue().splitlines()
    assert refused and all(
        "client=[REDACTED] user=[REDACTED] authorization=Bearer [REDACTED]" in line
        for line in refused)
    assert "@example.com" not in out.getvalue() and "198.51.100." not in out.getvalue()


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ))


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    # As the README runs it: scripts/demo, which runs `edgelogs demo` from the checkout's .venv.
    return _run(str(ROOT / "scripts" / "demo"), *args)


def test_the_readme_commands_on_a_node_of_its_own_then_stop_it(opensearch_url: str) -> None:
    node = "demo-it"  # not the user's `demo` node, nor the session's
    started = _demo("--node", node)
    try:
        assert started.returncode == 0, started.stderr
        assert "Try:" in started.stdout
        url = _demo("--node", node, "--url").stdout.strip()
        assert url.startswith("http://127.0.0.1:") and url != opensearch_url
        # The README's second command.
        found = _run(str(EDGELOGS), "search", "--endpoint", url, "--since", "2h", "--level",
                     "ERROR")
        assert found.returncode == 0, found.stderr
        lines = found.stdout.splitlines()
        assert lines and all(" ERROR " in line or "cloudfront/" in line for line in lines)
    finally:
        stopped = _demo("--node", node, "--stop")
    assert stopped.returncode == 0
    assert stopped.stderr.startswith(f"edgelogs node: node '{node}' stopped (pid ")
    gone = _demo("--node", node, "--url")
    assert gone.returncode == 1
    assert gone.stderr == ("edgelogs demo: the demo node is not running; start it with "
                           "`edgelogs demo` (or scripts/demo)\n")
    # The session's node is untouched.
    with urllib.request.urlopen(f"{opensearch_url}/_cluster/health", timeout=30) as resp:
        assert json.load(resp)["status"] in ("green", "yellow")
