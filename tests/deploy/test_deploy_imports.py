"""The deploy side imports `contract` and nothing else from lambda_src, and finds it when the
Pulumi CLI runs the program (not only under pytest, whose pythonpath has lambda_src)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAMBDA_SRC = REPO / "lambda_src"


def _lambda_src_names() -> set[str]:
    """Every top-level module and package of lambda_src."""
    modules = {p.stem for p in LAMBDA_SRC.glob("*.py")}
    return modules | {p.parent.name for p in LAMBDA_SRC.glob("*/__init__.py")}


def _imports(path: Path) -> set[str]:
    """The top-level names `path` imports absolutely, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _deploy_side_files() -> list[Path]:
    return [REPO / "__main__.py", *sorted((REPO / "components").glob("*.py")),
            *sorted((REPO / "bundler").glob("*.py"))]  # fmt: skip


def test_lambda_src_holds_the_functions_and_the_contract() -> None:
    assert {"contract", "forwarder", "edge_coverage"} <= _lambda_src_names()


def test_the_deploy_side_imports_only_the_contract_from_lambda_src() -> None:
    lambda_src = _lambda_src_names()
    for path in _deploy_side_files():
        allowed = set() if path.parent.name == "bundler" else {"contract"}
        wrong = (_imports(path) & lambda_src) - allowed
        assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)} from lambda_src"


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import contract\nimport forwarder.settings as s\n"
                      "from edge_coverage.audit import x\nfrom . import local\n"
                      "def f():\n    from forwarder import handler\n")
    assert _imports(source) == {"contract", "forwarder", "edge_coverage"}


# What the Pulumi CLI does: its language host runs
# `runpy.run_path(<project folder>, run_name="__main__")` (pulumi/pulumi,
# sdk/python/cmd/pulumi-language-python-exec), which puts only the project folder on sys.path.
_AS_PULUMI_RUNS_IT = """
import json, runpy, sys
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
    code = 0
except SystemExit as exc:
    code = exc.code
tops = {name.split(".")[0] for name in sys.modules}
print(json.dumps({"code": code, "loaded": sorted(tops & set(json.loads(sys.argv[2])))}))
"""


def test_the_program_finds_the_contract_when_pulumi_runs_it(tmp_path: Path) -> None:
    # -I: no PYTHONPATH, no current folder, no user site; run from elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = subprocess.run(
        [sys.executable, "-I", "-c", _AS_PULUMI_RUNS_IT, str(REPO),
         json.dumps(sorted(_lambda_src_names()))],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert "Error" not in out.stderr.replace("edgelogs: ", ""), out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # Every import of the program succeeded; it then stops because no engine runs it.
    assert result["code"] == 2
    assert "this is a Pulumi program; run it with `pulumi preview`" in out.stderr
    # And of lambda_src, only the contract was loaded.
    assert result["loaded"] == ["contract"]


def test_the_contract_needs_only_the_standard_library() -> None:
    # Both sides import it: the functions' bundles and the program, with nothing else.
    imported = _imports(LAMBDA_SRC / "contract.py")
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
