"""Every function package gets its own bundle, with the lambda_src modules it imports."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

import bundler
from bundler import functions
from bundler.archive import unpack
from bundler.probe import import_in_clean_interpreter, runtime_shim
from bundler.sources import imported_top_levels

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"


def test_every_package_in_lambda_src_is_a_registered_function() -> None:
    packages = {p.parent.name for p in LAMBDA_SRC.glob("*/__init__.py")}
    assert packages == set(bundler.FUNCTIONS), "add the new package to bundler.FUNCTIONS"
    assert {"forwarder", "edge_coverage"} <= packages


def test_the_coverage_check_zip_is_its_package_and_the_contract(tmp_path: Path) -> None:
    first = bundler.build("edge_coverage", cache_dir=tmp_path / "a")
    second = bundler.build("edge_coverage", cache_dir=tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
    with zipfile.ZipFile(first.path) as zf:
        assert zf.namelist() == ["contract.py", "edge_coverage/__init__.py",
                                 "edge_coverage/audit.py", "edge_coverage/handler.py"]
        for name in zf.namelist():
            assert zf.read(name) == (LAMBDA_SRC / name).read_bytes(), name
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert first.zip_bytes < 20_000
    # It imports from its own zip alone (boto3 is the runtime's).
    task = unpack(first.path, tmp_path / "task")
    origins = import_in_clean_interpreter(
        task, runtime_shim(tmp_path / "runtime"), "edge_coverage.handler"
    )["origins"]
    assert origins["edge_coverage"] == str(task / "edge_coverage" / "__init__.py")
    assert origins["contract"] == str(task / "contract.py")


def test_the_coverage_check_needs_only_the_stdlib_the_runtimes_boto3_and_the_contract() -> None:
    imported: set[str] = set()
    for p in (LAMBDA_SRC / "edge_coverage").glob("*.py"):
        imported |= imported_top_levels(p)
    outside = imported - set(sys.stdlib_module_names) - {"__future__"}
    assert outside <= {"boto3", "botocore", "edge_coverage", "contract"}


def _package(src: Path, name: str, body: str) -> None:
    (src / name).mkdir(parents=True)
    (src / name / "__init__.py").write_text("")
    (src / name / "handler.py").write_text(body)


def test_a_new_function_package_is_one_line_and_gets_what_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    (src).mkdir()
    (src / "contract.py").write_text("from shared_rules import RULE\nNAME = 'X'\n")
    (src / "shared_rules.py").write_text("RULE = 1\n")
    (src / "unused.py").write_text("X = 1\n")
    _package(src, "domain_setup", "def lambda_handler(event, context):\n"
                                  "    from contract import NAME\n    return NAME\n")
    _package(src, "plain", "import json\n")
    # The one line: an entry in FUNCTIONS.
    monkeypatch.setitem(functions.FUNCTIONS, "domain_setup", bundler.Function("domain_setup"))
    monkeypatch.setitem(functions.FUNCTIONS, "plain", bundler.Function("plain"))
    setup = bundler.build("domain_setup", src, tmp_path / "cache")
    with zipfile.ZipFile(setup.path) as zf:
        # contract.py and what it imports in turn; not the module nobody imports.
        assert zf.namelist() == ["contract.py", "domain_setup/__init__.py",
                                 "domain_setup/handler.py", "shared_rules.py"]
    plain = bundler.build("plain", src, tmp_path / "cache")
    with zipfile.ZipFile(plain.path) as zf:
        assert zf.namelist() == ["plain/__init__.py", "plain/handler.py"]


def test_a_changed_contract_is_a_new_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "contract.py").write_text("A = 1\n")
    _package(src, "fn", "import contract\n")
    monkeypatch.setitem(functions.FUNCTIONS, "fn", bundler.Function("fn"))
    before = bundler.build("fn", src, tmp_path / "cache")
    (src / "contract.py").write_text("A = 2\n")
    after = bundler.build("fn", src, tmp_path / "cache")
    assert before.sha256 != after.sha256
    with zipfile.ZipFile(after.path) as zf:
        assert zf.read("contract.py") == b"A = 2\n"


def test_an_unknown_function_is_a_one_line_error() -> None:
    with pytest.raises(bundler.BundleError,
                       match=r"^no function package 'nope' in bundler.FUNCTIONS \(known: "
                             r"domain_setup, edge_coverage, forwarder\)$"):
        bundler.build("nope")
