"""What every operator command shares: one-line errors, exit code 2, never a traceback.

A mistake (a bad flag, a missing stack output, no AWS credentials, an unreachable or
refusing endpoint) ends the command with ONE line on stderr, ``<prog>: <what is wrong>``, and
exit code 2. ``--help`` prints and exits 0. Only the program's own requirements are needed to
print help: commands import the forwarder and boto3 after parsing their arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

USAGE_ERROR = 2


class CommandError(Exception):
    """A mistake the user can fix; the message says what and how."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad invocation is one line (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(USAGE_ERROR)


def _describe(exc: BaseException) -> str:
    """A short sentence for the errors users meet, by family; the type name otherwise."""
    name = type(exc).__name__
    module = type(exc).__module__
    text = " ".join(str(exc).split()) or name
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and " \
               "AWS_SECRET_ACCESS_KEY)"
    if name == "NoRegionError":
        return "no AWS region (pass --region or set AWS_REGION)"
    if module.startswith("opensearchpy"):
        status = getattr(exc, "status_code", None)
        if status == 403:
            return ("the domain refused the request (403): your credentials are not allowed "
                    f"by its access policy, or they are signed for another region ({text[:200]})")
        if isinstance(status, int):
            return f"the domain answered HTTP {status}: {text[:200]}"
        return f"cannot reach the domain: {text[:200]}"
    if module.startswith("botocore"):
        return f"AWS refused or could not be reached: {text[:300]}"
    if isinstance(exc, CommandError) or name == "SettingsError":
        return text
    return f"{name}: {text[:300]}"


def run(prog: str, main: Callable[[Sequence[str] | None], int],
        argv: Sequence[str] | None = None) -> int:
    """Runs a command's main; turns every exception into one line and exit code 2."""
    try:
        return main(argv)
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a message: one line, exit 2
            sys.stderr.write(exc.code.splitlines()[0] + "\n" if exc.code else "\n")
            return USAGE_ERROR
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("EDGELOGS_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"{prog}: {_describe(exc)}\n")
        return USAGE_ERROR
