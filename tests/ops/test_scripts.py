"""Every command in scripts/: --help works, and a bad invocation is one line and exit code 2.

Each command has its own tests of its mistakes; this one holds them all to the same rule, so
a new command cannot forget it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
COMMANDS = sorted(p.name for p in SCRIPTS.iterdir() if p.is_file())


def _run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1"})


def test_every_command_is_covered() -> None:
    assert set(COMMANDS) >= {"audit", "backfill", "bundle", "demo", "opensearch-node",
                             "replay", "search"}


@pytest.mark.parametrize("name", COMMANDS)
def test_help_works(name: str) -> None:
    result = _run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout and not result.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unknown_flag_is_one_line_and_exit_code_2(name: str) -> None:
    result = _run(name, "--no-such-flag")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{name}: ") and "Traceback" not in result.stderr
