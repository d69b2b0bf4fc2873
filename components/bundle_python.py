"""Finds the CPython of the Lambda runtime's version that compiles the bundle's bytecode.

Bytecode is specific to a CPython minor version, so the .pyc the bundle ships must come from
the runtime's own version; it is only needed when a bundle is built, never on a cache hit.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from glob import glob
from pathlib import Path

# The environment variable that names the CPython used to compile the bytecode.
PYTHON_ENV = "EDGELOGS_BUNDLE_PYTHON"


class BundleError(RuntimeError):
    """The bundle cannot be built here; the message (one line) says what is missing."""


def interpreter_version(exe: str) -> str | None:
    """'3.13.0' for a CPython at `exe`, None when it is not a working CPython."""
    try:
        out = subprocess.run(
            [exe, "-I", "-c", "import sys, platform; "
             "print(sys.implementation.name, platform.python_version())"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    impl, _, version = out.stdout.strip().partition(" ")
    return version if out.returncode == 0 and impl == "cpython" else None


def _minor(full: str) -> str:
    return ".".join(full.split(".")[:2])


@functools.cache
def target_python(version: str) -> str:
    """The path of a CPython `version` (e.g. "3.13") to compile the runtime's bytecode with.

    Looked for in $EDGELOGS_BUNDLE_PYTHON (then it must be one), this interpreter,
    `python<version>` on PATH, and pyenv's versions, in that order.
    """
    named = os.environ.get(PYTHON_ENV, "")
    if named:
        if not Path(named).exists():
            raise BundleError(f"{PYTHON_ENV}={named}: no such file")
        full = interpreter_version(named)
        if full is None:
            raise BundleError(f"{PYTHON_ENV}={named} is not a working CPython")
        if _minor(full) != version:
            raise BundleError(f"{PYTHON_ENV}={named} is CPython {full}, not {version}")
        return named
    candidates = [sys.executable, shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for exe in filter(None, candidates):
        full = interpreter_version(exe)
        if full and _minor(full) == version:
            return exe
    raise BundleError(
        f"building the forwarder bundle needs CPython {version}, the Lambda runtime's version, "
        f"to compile its bytecode: install Python {version} or point {PYTHON_ENV} at one"
    )
