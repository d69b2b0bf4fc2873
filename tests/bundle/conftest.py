"""One real build of the forwarder bundle per test session, in a cache folder of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.bundle import Bundle, build_bundle, unpack


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle-cache")


@pytest.fixture(scope="session")
def bundle(cache_dir: Path) -> Bundle:
    return build_bundle(cache_dir=cache_dir)


@pytest.fixture(scope="session")
def unpacked(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(bundle, tmp_path_factory.mktemp("unpacked") / "task")
