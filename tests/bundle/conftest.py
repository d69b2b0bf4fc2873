"""One real build of the forwarder bundle per test session, in a cache folder of its own.

The build compiles bytecode with the pinned CPython release (components/bundle.py). Tests that need
one ask for the `runtime_python` fixture (directly or through `bundle`): without one they are
skipped with the reason on a developer's machine, and fail in CI (CI=true), where .ci/run
provides it. Every other test here runs anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from components.bundle import COMPILER_VERSION, Bundle, build_bundle, unpack
from components.bundle_python import BundleError, target_python


@pytest.fixture(scope="session")
def runtime_python() -> str:
    """The path of the CPython release that compiles the bundle (components/bundle_python.py)."""
    try:
        return target_python(COMPILER_VERSION)
    except BundleError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must provide CPython {COMPILER_VERSION} (.ci/run does): {exc}")
        pytest.skip(f"needs CPython {COMPILER_VERSION}: {exc}")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle-cache")


@pytest.fixture(scope="session")
def bundle(cache_dir: Path, runtime_python: str) -> Bundle:
    return build_bundle(cache_dir=cache_dir, python=runtime_python)


@pytest.fixture(scope="session")
def unpacked(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(bundle, tmp_path_factory.mktemp("unpacked") / "task")
