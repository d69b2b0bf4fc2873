"""The CPython 3.11+ interpreters on this machine that can build a bundle (they have pip).

Looked for: this interpreter, `python3` and `python3.N` in every PATH folder, and every pyenv
version (PYENV_ROOT, else ~/.pyenv). One per installation (sys.prefix): a venv counts apart from the
interpreter it was made from, since it has its own pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_ASK = (
    "import json, sys, importlib.util as u, importlib.metadata as m; print(json.dumps({"
    "'impl': sys.implementation.name, 'version': list(sys.version_info[:3]), "
    "'executable': sys.executable, 'prefix': sys.prefix, "
    "'pip': m.version('pip') if u.find_spec('pip') else None}))"
)


@dataclass(frozen=True)
class Interpreter:
    path: str  # as found (this interpreter: sys.executable)
    version: tuple[int, int, int]
    prefix: str
    pip: str
    executable: str = ""  # what it says it is (a pyenv shim names the real one)

    def __str__(self) -> str:
        return (f"CPython {'.'.join(map(str, self.version))} with pip {self.pip} "
                f"({self.executable or self.path})")


def candidates(env: dict[str, str] | None = None) -> list[str]:
    env = dict(os.environ if env is None else env)
    found = [sys.executable]
    names = ["python3", *(f"python3.{minor}" for minor in range(11, 20))]
    for folder in filter(None, env.get("PATH", "").split(os.pathsep)):
        found += [exe for name in names if (exe := shutil.which(name, path=folder))]
    pyenv_root = Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found += [str(p) for p in sorted(pyenv_root.glob("versions/*/bin/python3"))]
    return found


def describe(exe: str) -> Interpreter | None:
    """The interpreter at `exe` if it is a CPython 3.11+ with pip, else None."""
    try:
        out = subprocess.run([exe, "-I", "-c", _ASK], capture_output=True, text=True, timeout=60)
        info = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    version = tuple(info["version"])
    if info["impl"] != "cpython" or version < (3, 11) or not info["pip"]:
        return None
    return Interpreter(exe, version, info["prefix"], info["pip"],  # type: ignore[arg-type]
                       info["executable"])


def interpreters(env: dict[str, str] | None = None) -> list[Interpreter]:
    """Every usable interpreter, one per installation, this one first."""
    by_prefix: dict[str, Interpreter] = {}
    for exe in candidates(env):
        interp = describe(exe)
        if interp is not None:
            by_prefix.setdefault(interp.prefix, interp)
    return list(by_prefix.values())
