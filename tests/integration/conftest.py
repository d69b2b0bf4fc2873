"""A real OpenSearch node for the integration tests.

OPENSEARCH_URL points the tests at a node you run yourself; otherwise one is started from
the integ-test-zip distribution (scripts/opensearch-node) and stopped at the end. These
tests never skip: without a node they fail.
"""

from __future__ import annotations

import contextlib
import os
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.node import start_node, stop_node

SESSION_NODE = "pytest"
# 0: a free port of the node's own (two checkouts can test at once).
SESSION_PORT = int(os.environ.get("EDGELOGS_TEST_PORT", "0"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    if os.environ.get("OPENSEARCH_URL"):
        yield os.environ["OPENSEARCH_URL"].rstrip("/")
        return
    url = start_node(SESSION_NODE, SESSION_PORT)
    try:
        yield url
    finally:
        stop_node(SESSION_NODE)


@pytest.fixture
def index_prefix(opensearch_url: str) -> Iterator[str]:
    """A prefix of this test's own, so tests never see each other's documents."""
    prefix = f"it-{uuid.uuid4().hex[:10]}"
    yield prefix
    # Best effort: a test that stopped its node cleans nothing, and needs not.
    for path in (f"{prefix}*", f"_index_template/{prefix}*"):
        req = urllib.request.Request(f"{opensearch_url}/{path}", method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(req, timeout=30).read()
