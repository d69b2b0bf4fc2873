"""Stack outputs for the operator commands, read through the Pulumi CLI.

Every command (replay, audit, backfill, search) defaults its endpoint, region, prefix and
queue URLs from the selected stack's outputs; a value that cannot be read ends the command
with one line naming the flag to pass instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any


class StackOutputError(SystemExit):
    """A stack output could not be read: the message names the flag to pass instead.

    A SystemExit carrying the message, so a command that does not catch it still ends with
    one line and exit code 2 (see ops.cli.run).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def stack_output(
    name: str, option: str, command: str, runner: Callable[..., Any] = subprocess.run
) -> Any:
    """A stack output, read through the pulumi CLI, or StackOutputError naming `option`."""
    if shutil.which("pulumi") is None:
        raise StackOutputError(
            f"{command}: {option} is required (the pulumi CLI is not installed, so it cannot "
            f"be read from the stack output {name})"
        )
    result = runner(["pulumi", "stack", "output", name, "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        why = (result.stderr.strip() or "pulumi failed").splitlines()[-1]
        raise StackOutputError(f"{command}: could not read stack output {name} ({why}); "
                               f"pass {option}")
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise StackOutputError(
            f"{command}: stack output {name} is not JSON; pass {option}") from None


def string_output(
    name: str, option: str, command: str, runner: Callable[..., Any] = subprocess.run
) -> str:
    value = stack_output(name, option, command, runner)
    if not isinstance(value, str) or not value:
        raise StackOutputError(f"{command}: stack output {name} is empty; pass {option}")
    return value


def regional_output(
    name: str, region: str, option: str, command: str,
    runner: Callable[..., Any] = subprocess.run,
) -> str:
    """One region's value of a region -> value map output (failureQueueUrls, ...)."""
    values = stack_output(name, option, command, runner)
    if not isinstance(values, dict) or not isinstance(values.get(region), str):
        known = ", ".join(sorted(values)) if isinstance(values, dict) else "none"
        raise StackOutputError(
            f"{command}: no {name} entry for {region} in the stack (regions: {known}); "
            f"pass {option}"
        )
    return str(values[region])


# The stack output holding edgelogs:redact and edgelogs:exclude ({"redact": [...],
# "exclude": [...]}), and the environment names the forwarder reads them from
# (lambda_src/contract.py: ENV_REDACT, ENV_EXCLUDE; not imported, so that this module needs
# nothing from lambda_src).
REDACTION_OUTPUT = "redaction"
ENV_REDACT, ENV_EXCLUDE = "REDACT", "EXCLUDE"


def redaction_env(
    redact: str | None, exclude: str | None, command: str, *, stack_endpoint: bool,
    local: bool = False, runner: Callable[..., Any] = subprocess.run,
    warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> dict[str, str]:
    """REDACT / EXCLUDE for the forwarder's Settings: what replay and backfill store is
    redacted (and excluded) exactly as the stack's forwarders do it.

    ``--redact`` / ``--exclude`` (JSON lists) win; else the stack output ``redaction``. With
    the stack's own endpoint that output must be read; with an ``--endpoint`` of the
    operator's a stack that cannot be read means no rules, said on stderr (silently for a
    node on this machine: a test or the demo)."""
    if redact is not None or exclude is not None:
        return {ENV_REDACT: redact or "[]", ENV_EXCLUDE: exclude or "[]"}
    try:
        value = stack_output(REDACTION_OUTPUT, "--redact/--exclude", command, runner)
    except StackOutputError as exc:
        if stack_endpoint:
            raise
        if not local:
            warn(f"{command}: no redaction rules ({exc.message}); pass --redact/--exclude "
                 "to apply the stack's")
        return {}
    if not isinstance(value, dict):
        raise StackOutputError(f"{command}: stack output {REDACTION_OUTPUT} is not an object; "
                               "pass --redact/--exclude")
    return {ENV_REDACT: json.dumps(value.get("redact", [])),
            ENV_EXCLUDE: json.dumps(value.get("exclude", []))}


def add_redaction_flags(parser: Any) -> None:
    """--redact / --exclude, as replay and backfill take them."""
    parser.add_argument("--redact", metavar="JSON",
                        help='edgelogs:redact as a JSON list, e.g. \'["ipv4","email"]\'; '
                             "default: stack output redaction")
    parser.add_argument("--exclude", metavar="JSON",
                        help="edgelogs:exclude as a JSON list of patterns; default: stack "
                             "output redaction")
