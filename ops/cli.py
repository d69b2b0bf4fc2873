"""The `edgelogs` command, and what every subcommand shares: one line per error, one set of
exit statuses (ops.exit_codes.Exit), never a traceback.

A usage mistake (a bad flag or value, a missing stack output) ends the command with ONE line
on stderr, ``edgelogs <command>: <what is wrong>``, and exit status 2; a runtime failure (an
unreachable or refusing domain, an AWS error) with one line and 3; Ctrl-C with one line and
130. ``--help`` prints and exits 0. Only the program's own requirements are needed to print
help: commands import the forwarder's client and boto3 after parsing their arguments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from ops.exit_codes import Exit

EXIT_STATUSES = ("Exit status: 0 done, 1 nothing found, 2 a usage mistake, 3 a runtime "
                 "failure, 130 interrupted.")

ROOT = Path(__file__).resolve().parents[1]

# subcommand -> (module with main(argv), what it does).
COMMANDS: dict[str, tuple[str, str]] = {
    "search": ("ops.search.command", "search the log lines of every region, in time order"),
    "replay": ("ops.replay", "replay a region's failure queue into OpenSearch"),
    "audit": ("ops.audit", "find Lambda@Edge log groups the stack does not collect"),
    "backfill": ("ops.backfill", "ship a region's log history from CloudWatch Logs"),
    "demo": ("ops.demo", "run edgelogs on this machine: a local node and 13 regions' traffic"),
    "node": ("ops.node", "start, stop or check a local OpenSearch node"),
    "bundle": ("ops.bundle", "build a function's Lambda bundle and report its size and hash"),
}


class CommandError(Exception):
    """The command could not do its work (exit status 3); the message says what failed."""

    exit = Exit.RUNTIME


class UsageError(CommandError):
    """A mistake in the command line the user can fix (exit status 2)."""

    exit = Exit.USAGE


class Parser(argparse.ArgumentParser):
    """argparse, but a bad invocation is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(Exit.USAGE)


def _describe(exc: BaseException) -> tuple[str, Exit]:
    """A short sentence and exit status for the errors users meet, by family."""
    name = type(exc).__name__
    module = type(exc).__module__
    text = " ".join(str(exc).split()) or name
    if isinstance(exc, CommandError):
        return text, exc.exit
    if name == "SettingsError":  # the forwarder's own check of a value the user passed
        return text, Exit.USAGE
    if name == "NoRegionError":
        return "no AWS region (pass --region or set AWS_REGION)", Exit.USAGE
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return ("no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY)"), Exit.RUNTIME
    if module.startswith("opensearchpy"):
        status = getattr(exc, "status_code", None)
        if status == 403:
            return ("the domain refused the request (403): your credentials are not allowed "
                    f"by its access policy, or they are signed for another region "
                    f"({text[:200]})"), Exit.RUNTIME
        if isinstance(status, int):
            return f"the domain answered HTTP {status}: {text[:200]}", Exit.RUNTIME
        return f"cannot reach the domain: {text[:200]}", Exit.RUNTIME
    if module.startswith("botocore"):
        return f"AWS refused or could not be reached: {text[:300]}", Exit.RUNTIME
    if isinstance(exc, ModuleNotFoundError):
        return (f"{text} (install edgelogs with its dependencies: pip install -e .)",
                Exit.RUNTIME)
    return f"{name}: {text[:300]}", Exit.RUNTIME


def run(prog: str, main: Callable[[Sequence[str] | None], int],
        argv: Sequence[str] | None = None) -> int:
    """Runs a command's main; turns every exception into one line and its exit status."""
    try:
        return int(main(argv))
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a message (ops.stack's): one line, a usage mistake
            sys.stderr.write(exc.code.splitlines()[0] + "\n" if exc.code else "\n")
            return Exit.USAGE
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return Exit.INTERRUPTED
    except Exception as exc:
        if os.environ.get("EDGELOGS_DEBUG"):
            traceback.print_exc()
        message, status = _describe(exc)
        sys.stderr.write(f"{prog}: {message}\n")
        return status


def _command_main(name: str) -> Callable[[Sequence[str] | None], int]:
    module = importlib.import_module(COMMANDS[name][0])
    return module.main  # type: ignore[no-any-return]


def _help() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name.ljust(width)}  {what}" for name, (_, what) in COMMANDS.items())
    return (f"usage: edgelogs COMMAND [options]   (edgelogs COMMAND --help for its options)\n\n"
            f"Lambda@Edge logs from every region in one OpenSearch domain: the operator's "
            f"commands.\n\ncommands:\n{rows}\n\n{EXIT_STATUSES}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """`edgelogs COMMAND ...`: the console script (pyproject's [project.scripts])."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(_help())
        return Exit.OK
    if not args or args[0] not in COMMANDS:
        said = f"unknown command {args[0]!r}" if args else "a command is required"
        sys.stderr.write(f"edgelogs: {said}: use one of {', '.join(COMMANDS)} "
                         "(see edgelogs --help)\n")
        return Exit.USAGE
    prog = f"edgelogs {args[0]}"
    return run(prog, lambda rest: _command_main(args[0])(rest), args[1:])
