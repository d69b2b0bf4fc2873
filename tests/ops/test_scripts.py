"""scripts/: thin wrappers of `edgelogs` (linted like all Python here), scripts/demo and
scripts/test (the README's two set-up commands), and .ci/run calling exactly scripts/test.

Each command has its own tests of its mistakes; this one holds them all to the same rule, so
a new script cannot forget it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


def _shebang(path: Path) -> str:
    return path.read_text().splitlines()[0]


PYTHON_SCRIPTS = sorted(p.name for p in SCRIPTS.iterdir()
                        if p.is_file() and "python" in _shebang(p))
# wrapper -> the edgelogs subcommand it runs
WRAPPERS = {"audit": "audit", "backfill": "backfill", "bundle": "bundle", "replay": "replay",
            "search": "search"}


def _run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1"})


def test_the_scripts_are_the_wrappers_bundle_demo_and_test() -> None:
    assert sorted(p.name for p in SCRIPTS.iterdir()) == [
        "audit", "backfill", "bundle", "demo", "replay", "search", "test"]
    assert PYTHON_SCRIPTS == ["audit", "backfill", "bundle", "replay", "search"]
    for name in ("demo", "test"):
        assert _shebang(SCRIPTS / name) == "#!/usr/bin/env bash"


def test_ruff_lints_every_python_script() -> None:
    # Extension-less files are linted only when pyproject names them.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["ruff"]["extend-include"]
    assert sorted(included) == [f"scripts/{name}" for name in PYTHON_SCRIPTS]
    listed = subprocess.run([sys.executable, "-m", "ruff", "check", "--show-files", "."],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    linted = {Path(line.strip()).resolve() for line in listed.stdout.splitlines()}
    assert {SCRIPTS / name for name in PYTHON_SCRIPTS} <= linted


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_a_wrapper_is_its_edgelogs_command(name: str) -> None:
    text = (SCRIPTS / name).read_text()
    assert f'sys.exit(main(["{WRAPPERS[name]}", *sys.argv[1:]]))' in text
    assert len(text.splitlines()) <= 15
    result = _run(name, "--help")
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert result.stdout.startswith(f"usage: edgelogs {WRAPPERS[name]} ")


@pytest.mark.parametrize("name", PYTHON_SCRIPTS)
def test_an_unknown_flag_is_one_line_and_exit_code_2(name: str) -> None:
    result = _run(name, "--no-such-flag")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    prog = f"edgelogs {WRAPPERS[name]}"
    assert result.stderr.startswith(f"{prog}: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["demo", "test"])
def test_the_bash_scripts_parse(name: str) -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPTS / name)]).returncode == 0


def test_demo_with_an_older_python_is_one_line_before_any_set_up(tmp_path: Path) -> None:
    # A python3 that says it is 3.10, and every real interpreter older than 3.11 on this
    # machine (pyenv has 3.10 here): scripts/demo says so in one line and creates nothing.
    from tests.ops.test_commands import _old_pythons

    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\n"
                    "case \"$*\" in -V) echo 'Python 3.10.13';; *) exit 1;; esac\n")
    fake.chmod(0o755)
    for python in [str(fake), *_old_pythons()]:
        result = subprocess.run([str(SCRIPTS / "demo")], capture_output=True, text=True,
                                timeout=60, env={**os.environ, "PYTHON": python})
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.startswith(
            f"demo: edgelogs needs Python 3.11 or newer; {python} is Python 3."), result.stderr
        assert result.stderr.endswith(" (set PYTHON to a newer one)\n")
        assert result.stderr.count("\n") == 1


def test_demo_sets_up_its_environment_before_it_starts_a_node() -> None:
    text = (SCRIPTS / "demo").read_text()
    set_up = text.index('-m pip install -e "$root"')
    assert text.index('exec "$venv/bin/edgelogs" demo "$@"') > set_up
    # Nothing before the set-up runs edgelogs (which is what starts a node).
    assert "edgelogs demo" not in text[:set_up].replace("`edgelogs demo`", "")


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    commands = [line for line in readme if line.startswith("scripts/test")]
    assert commands and commands[0].split("#")[0].strip() == "scripts/test"
    run = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
           if line and not line.startswith(("#", "set ", "cd "))]
    assert run == ["scripts/test"]
    test = (SCRIPTS / "test").read_text()
    assert "ruff check .\n" in test and 'python -m pytest "$@"\n' in test
