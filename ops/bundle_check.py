"""Imports the handler from an unpacked bundle the way Lambda would, and times it.

The interpreter is the CPython release that compiles the bundle (components/bundle_python.py),
so the bytecode the bundle ships is what it loads. It runs with `-I -S`: no user or system
site-packages, so nothing installed on this machine can hide a dependency missing from the
bundle. Only the stdlib, the bundle, and boto3/botocore (with their own dependencies that the
Lambda runtime also ships) are visible.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

from components.bundle import COMPILER_VERSION
from components.bundle_python import target_python

# What the Lambda Python runtime provides besides the stdlib. Their other dependencies
# (urllib3, python-dateutil, six) are deliberately absent: the bundle must carry its own.
RUNTIME_PROVIDED = ("boto3", "botocore", "jmespath", "s3transfer")

# The program that imports and times the handler, run as a file by the runtime's CPython.
PROBE_SCRIPT = Path(__file__).with_name("bundle_probe.py")


def runtime_shim(dest: Path) -> Path:
    """A folder that exposes only the runtime-provided packages, as symlinks to this machine's."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{name} is not installed here; it stands in for Lambda's copy")
        link = dest / name
        if not link.exists():
            link.symlink_to(Path(next(iter(spec.submodule_search_locations))))
    return dest


def import_in_clean_interpreter(
    bundle_dir: Path, shim_dir: Path, module: str = "forwarder.handler", bytecode: bool = True
) -> dict:
    """Imports `module` in a fresh `-I -S` interpreter; returns ops/bundle_probe.py's report.

    It always runs with -B: Lambda's /var/task is read-only, so a cold start loads the .pyc the
    bundle ships and compiles (without keeping) whatever else it imports. bytecode=False
    hides the shipped .pyc too, to show what a bundle without them would cost.
    """
    args = [target_python(COMPILER_VERSION), "-I", "-S", "-B"]
    if not bytecode:
        bundle_dir = _without_bytecode(bundle_dir)
    # A minimal environment like Lambda's: -I already ignores PYTHON* variables.
    env = {"PATH": os.environ.get("PATH", ""), "AWS_REGION": "us-east-1"}
    result = subprocess.run(
        [*args, str(PROBE_SCRIPT), json.dumps([str(bundle_dir), str(shim_dir)]), module],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if result.returncode != 0:
        raise ImportError(f"importing {module} from {bundle_dir} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _without_bytecode(bundle_dir: Path) -> Path:
    """A copy of the unpacked bundle without its __pycache__ folders (made once)."""
    copy = bundle_dir.with_name(bundle_dir.name + "-sources-only")
    if not copy.exists():
        shutil.copytree(bundle_dir, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def run_in_clean_interpreter(
    bundle_dir: Path, shim_dir: Path, code: str, env: dict[str, str] | None = None
) -> str:
    """Runs `code` in a fresh `-I -S -B` interpreter that sees only bundle, shim and stdlib."""
    prelude = f"import sys; sys.path[:0] = {[str(bundle_dir), str(shim_dir)]!r}\n"
    result = subprocess.run(
        [target_python(COMPILER_VERSION), "-I", "-S", "-B", "-c", prelude + code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"code failed in the clean interpreter:\n{result.stderr}")
    return result.stdout


def cold_import_ms(
    bundle_dir: Path, shim_dir: Path, runs: int = 5, bytecode: bool = True
) -> float:
    """Median over `runs` fresh interpreters (the machine is shared; one run is noise)."""
    return statistics.median(
        import_in_clean_interpreter(bundle_dir, shim_dir, bytecode=bytecode)["ms"]
        for _ in range(runs)
    )
