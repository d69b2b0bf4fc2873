"""Any CPython 3.11+ builds the same bundle: every one on this machine is tried.

Each interpreter builds the forwarder bundle from scratch (a cache of its own, its own pip),
in a fresh process that sees the checkout and nothing of this test's environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bundler
from tests.bundle.interpreters import candidates, interpreters

REPO = Path(__file__).resolve().parents[2]

_BUILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bundler
b = bundler.build("forwarder", cache_dir=Path(sys.argv[2]))
print(json.dumps({"sha256": b.sha256, "zip_bytes": b.zip_bytes}))
"""


def test_every_interpreter_here_builds_the_same_bytes(
    bundle: bundler.Bundle, tmp_path: Path
) -> None:
    found = interpreters()
    # This interpreter always counts, so the test runs (and can fail) on any machine.
    assert found and found[0].path == sys.executable
    results = {}
    for n, interp in enumerate(found):
        out = subprocess.run(
            [interp.path, "-I", "-c", _BUILD, str(REPO), str(tmp_path / f"cache-{n}")],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert out.returncode == 0, f"{interp} could not build: {out.stderr[-2000:]}"
        results[str(interp)] = json.loads(out.stdout.strip().splitlines()[-1])
    print("built by:", *results, sep="\n  ")
    assert {r["sha256"] for r in results.values()} == {bundle.sha256}, results


def test_the_search_finds_pyenv_versions_and_path_interpreters(tmp_path: Path) -> None:
    # A pyenv root and a PATH folder of stand-ins: only the names are looked at here.
    (tmp_path / "pyenv/versions/3.12.9/bin").mkdir(parents=True)
    pyenv_python = tmp_path / "pyenv/versions/3.12.9/bin/python3"
    on_path = tmp_path / "bin" / "python3.13"
    on_path.parent.mkdir()
    for exe in (pyenv_python, on_path):
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    env = {"PATH": str(tmp_path / "bin"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert candidates(env) == [sys.executable, str(on_path), str(pyenv_python)]
    # Stand-ins that are no CPython are not counted.
    assert [i.path for i in interpreters(env)] == [sys.executable]
