"""Deploy-side fixtures: a stand-in bundle and a runner for the whole program under mocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bundler import Bundle
from tests.deploy.harness import ProgramRun, RecordingMocks, fake_bundle, run_program


@pytest.fixture
def fake_forwarder_bundle(tmp_path: Path) -> Bundle:
    return fake_bundle(tmp_path)


@pytest.fixture
def run(fake_forwarder_bundle: Bundle) -> Callable[..., ProgramRun]:
    """run(config, stack="dev"): the whole program, fresh loop and fresh mocks each call."""

    def _run(
        config: dict[str, Any], stack: str = "dev", mocks: RecordingMocks | None = None
    ) -> ProgramRun:
        return run_program(config, bundle=fake_forwarder_bundle, stack=stack, mocks=mocks)

    return _run
