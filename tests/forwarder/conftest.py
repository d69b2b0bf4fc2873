from __future__ import annotations

import pytest
from forwarder import handler


@pytest.fixture(autouse=True)
def _fresh_container(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts like a cold Lambda container."""
    monkeypatch.setattr(handler, "_container", None)
