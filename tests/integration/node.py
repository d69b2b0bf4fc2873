"""Start and stop real OpenSearch nodes for tests, through `edgelogs node` (ops/node.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class NodeFailed(RuntimeError):
    pass


def _run(args: list[str]) -> str:
    # `python -m ops` from the checkout: the command as installed, without needing the install.
    result = subprocess.run(
        [sys.executable, "-m", "ops", "node", *args], capture_output=True, text=True,
        timeout=600, cwd=ROOT,
    )
    if result.returncode != 0:
        # The script says what failed in one line, naming a log file: show its end too.
        detail = ""
        for word in result.stderr.split():
            path = Path(word.rstrip(")"))
            if path.is_absolute() and path.is_file():
                detail = "\n" + path.read_text(errors="replace")[-4000:]
        raise NodeFailed(f"edgelogs node {' '.join(args)} failed: {result.stderr}{detail}")
    return result.stdout


def start_node(
    name: str, port: int, settings: dict[str, str] | None = None, heap: str = "512m"
) -> str:
    """Start (or reuse) the named node and return its URL; its data survives stop/start."""
    args = ["start", "--name", name, "--port", str(port), "--heap", heap]
    for key, value in (settings or {}).items():
        args += ["--setting", f"{key}={value}"]
    return _run(args).strip().splitlines()[-1]


def stop_node(name: str, kill: bool = False) -> None:
    """Stop the named node; kill=True sends SIGKILL, as a crash would."""
    _run(["stop", "--name", name, *(["--kill"] if kill else [])])
