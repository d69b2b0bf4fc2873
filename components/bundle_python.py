"""Finds the CPython release that compiles the bundle's bytecode.

Bytecode is specific to a CPython minor version, so the .pyc the bundle ships must come from
the runtime's own version, and its bytes from one pinned release (components/bundle.py,
COMPILER_VERSION). It is only needed when a bundle is built, never on a cache hit.
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


def minor_version(version: str) -> str:
    """'3.13' for '3.13.5' (and for '3.13')."""
    return ".".join(version.split(".")[:2])


def _matches(full: str, version: str) -> bool:
    return full == version if version.count(".") == 2 else minor_version(full) == version


def provided_python(version: str) -> Path:
    """Where .ci/cpython-3.13 installs CPython `version` (a release) when it builds one."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "edgelogs" / f"cpython-{version}" / "bin" / f"python{minor_version(version)}"


def checked_python(exe: str, version: str) -> str:
    """`exe`, once it is shown to be CPython `version`; else BundleError."""
    full = interpreter_version(exe)
    if full is None or not _matches(full, version):
        raise BundleError(f"{exe} is {f'CPython {full}' if full else 'no CPython'}, not {version}")
    return exe


@functools.cache
def target_python(version: str) -> str:
    """The path of a CPython `version`: a release ("3.13.5") or any of a minor ("3.13").

    Looked for in $EDGELOGS_BUNDLE_PYTHON (then it must be one), this interpreter,
    `python3.13` on PATH, pyenv's versions and where .ci/cpython-3.13 installs one, in order.
    """
    named = os.environ.get(PYTHON_ENV, "")
    if named:
        if not Path(named).exists():
            raise BundleError(f"{PYTHON_ENV}={named}: no such file")
        full = interpreter_version(named)
        if full is None:
            raise BundleError(f"{PYTHON_ENV}={named} is not a working CPython")
        if not _matches(full, version):
            raise BundleError(f"{PYTHON_ENV}={named} is CPython {full}, not {version}")
        return named
    minor = minor_version(version)
    candidates = [sys.executable, shutil.which(f"python{minor}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob(f"{pyenv_root}/versions/{minor}.*/bin/python{minor}"))
    candidates.append(str(provided_python(version)))
    for exe in filter(None, candidates):
        full = interpreter_version(exe)
        if full and _matches(full, version):
            return exe
    raise BundleError(
        f"building the forwarder bundle needs CPython {version} to compile its bytecode: "
        f"run .ci/cpython-3.13 (it builds one) or point {PYTHON_ENV} at one"
    )
