"""Installs a function's pins for the Lambda platform, and drops what says how or where.

pip runs with `--platform`, `--python-version`, `--implementation cp` and `--only-binary`, so
which wheels it picks depends on those flags, not on the interpreter that runs it; `--no-deps`
(see pins.py) and `--no-compile` (no bytecode: the bundle ships sources only). What pip then
writes about the install itself differs between hosts and pip versions, and is dropped:
`*.dist-info/RECORD` (hashes of the install), INSTALLER, REQUESTED and direct_url.json (how
this machine installed it), and `bin/` (console-script launchers whose shebang names this
machine's interpreter). Everything else is the wheels' own files, byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bundler.bundle import BundleError

# Installed files that no function can ever reach, with the reason; never shipped.
PRUNED: dict[str, str] = {
    # opensearch-py imports its asyncio client inside `try/except ImportError`; the client needs
    # aiohttp, which the bundle does not carry, so that import always fails - after compiling
    # part of it on every cold start. Gone, it fails at once. (_async/helpers stays: the sync
    # helpers import it unconditionally.)
    "opensearchpy/_async/client/": "asyncio client (needs aiohttp); the forwarder is sync",
    "opensearchpy/_async/plugins/": "asyncio client's plugin APIs",
    "opensearchpy/_async/http_aiohttp.py": "aiohttp connection",
    "opensearchpy/_async/transport.py": "asyncio transport",
    "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz": "tz database; the forwarder parses no zones",
}

# What pip writes about this install rather than what the wheel holds (see the docstring).
INSTALL_RECORDS = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def pip_install(pins: Sequence[str], target: Path, python_version: str, platform: str) -> None:
    """Installs the pins into `target`: wheels for the platform only, no dependency walk."""
    cmd = [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        "--platform", platform,
        "--only-binary=:all:",
        "--python-version", python_version,
        "--implementation", "cp",
        "--no-compile",
        "--no-deps",
        "--disable-pip-version-check",
        "--no-input",
        "--root-user-action=ignore",
        "--quiet",
        *pins,
    ]  # fmt: skip
    if subprocess.run(cmd).returncode != 0:
        # pip has said why above; this is the line that ends the command.
        raise BundleError(f"pip could not install the pins for {platform}: {' '.join(pins)}")


def excluded(rel: str) -> bool:
    """True for an installed file (posix path under the target) that is never shipped."""
    parts = rel.split("/")
    if any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PRUNED):
        return True
    # No bytecode, whoever wrote it (pip is told not to; a wheel could still carry some).
    if "__pycache__" in parts or rel.endswith((".pyc", ".pyo")):
        return True
    if parts[0] == "bin":
        return True
    return len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] in INSTALL_RECORDS


def installed_files(site: Path) -> Iterable[tuple[str, Path]]:
    """(archive name, file) for every installed file that ships."""
    for path in site.rglob("*"):
        if path.is_file():
            rel = path.relative_to(site).as_posix()
            if not excluded(rel):
                yield rel, path
