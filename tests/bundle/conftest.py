"""One real build of the forwarder bundle per test session, in a cache folder of its own.

Every test here runs on any machine with CPython 3.11+ and the pinned wheels reachable: the
bundle ships sources only, so no particular interpreter is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bundler
from bundler.archive import unpack


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle-cache")


@pytest.fixture(scope="session")
def bundle(cache_dir: Path) -> bundler.Bundle:
    return bundler.build("forwarder", cache_dir=cache_dir)


@pytest.fixture(scope="session")
def unpacked(bundle: bundler.Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(bundle.path, tmp_path_factory.mktemp("unpacked") / "task")
