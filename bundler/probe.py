"""Imports a function from its unpacked bundle the way Lambda would, and times it.

A fresh interpreter (this one's executable) run with `-I -S -B`: no user or system
site-packages, so nothing installed on this machine can hide a dependency missing from the
bundle, and no bytecode written (Lambda's /var/task is read-only: a cold start compiles the
sources it imports). Only the stdlib, the bundle, and boto3/botocore (with their own
dependencies that the Lambda runtime also ships) are visible.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# What the Lambda Python runtime provides besides the stdlib. Their other dependencies
# (urllib3, python-dateutil, six) are deliberately absent: the bundle must carry its own.
RUNTIME_PROVIDED = ("boto3", "botocore", "jmespath", "s3transfer")

# The program that imports and times a module, run as a file by the fresh interpreter.
IMPORT_TIMER = Path(__file__).with_name("import_timer.py")


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


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # A minimal environment like Lambda's: -I already ignores PYTHON* variables.
    return {"PATH": os.environ.get("PATH", ""), "AWS_REGION": "us-east-1", **(extra or {})}


def import_in_clean_interpreter(
    bundle_dir: Path, shim_dir: Path, module: str = "forwarder.handler"
) -> dict:
    """Imports `module` in a fresh `-I -S -B` interpreter; returns import_timer.py's report."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(IMPORT_TIMER),
         json.dumps([str(bundle_dir), str(shim_dir)]), module],
        capture_output=True, text=True, env=_clean_env(), timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise ImportError(f"importing {module} from {bundle_dir} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_in_clean_interpreter(
    bundle_dir: Path, shim_dir: Path, code: str, env: dict[str, str] | None = None
) -> str:
    """Runs `code` in a fresh `-I -S -B` interpreter that sees only bundle, shim and stdlib."""
    prelude = f"import sys; sys.path[:0] = {[str(bundle_dir), str(shim_dir)]!r}\n"
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", prelude + code],
        capture_output=True, text=True, env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"code failed in the clean interpreter:\n{result.stderr}")
    return result.stdout


def cold_import_ms(
    bundle_dir: Path, shim_dir: Path, module: str = "forwarder.handler", runs: int = 5
) -> float:
    """Median over `runs` fresh interpreters (the machine is shared; one run is noise)."""
    return statistics.median(
        import_in_clean_interpreter(bundle_dir, shim_dir, module)["ms"] for _ in range(runs)
    )
