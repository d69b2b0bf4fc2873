"""A real OpenSearch node for the integration tests, and the AWS front door before it.

OPENSEARCH_URL points the tests at a node you run yourself; otherwise one is started from
the integ-test-zip distribution (`edgelogs node`, ops/node.py) and stopped at the end. These
tests never skip: without a node they fail.

Before a test's forwarder writes, the domain setup's index templates and ISM policy are
installed for its prefix (``set_up_indices``), as `pulumi up` does on the domain: the forwarder
only writes documents. The security plugin's roles are proven on a node of their own
(test_access_control.py). ``front_door`` (tests/support/front_door.py) is the node behind
an emulation of Amazon OpenSearch Service's SigV4 authentication and IAM authorisation, with
the policies the program itself produces for a stack whose index prefix is the test's own.
"""

from __future__ import annotations

import contextlib
import os
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.node import start_node, stop_node
from tests.support.front_door import (
    ADMIN_ROLE,
    Deployment,
    FrontDoor,
    deployment_from_program,
    front_door_for,
)

SESSION_NODE = "pytest-session"  # a name of its own: a node reused by name keeps its settings
SESSION_PORT = int(os.environ.get("EDGELOGS_TEST_PORT", "0"))
# The front door's stack: the domain in eu-central-1, forwarders in the 13 default regions
# (12 of them sign across regions).
HOME_REGION = "eu-central-1"
EDGE_FUNCTIONS = ["edge-auth"]


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
    set_up_indices(opensearch_url, prefix)
    yield prefix
    # Best effort: a test that stopped its node cleans nothing, and needs not.
    for path in (f"{prefix}*", f"_index_template/{prefix}*",
                 f"_plugins/_ism/policies/{prefix}-retention"):
        req = urllib.request.Request(f"{opensearch_url}/{path}", method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(req, timeout=30).read()


def set_up_indices(url: str, prefix: str, retention_days: int = 14) -> dict[str, str]:
    """The domain setup's templates and ISM policy for ``prefix`` on the node at ``url``
    (unsigned: a loopback node), as the stack's setup invocation installs them."""
    from domain_setup.http import caller
    from domain_setup.setup import Desired, apply_indices

    return apply_indices(caller(url, HOME_REGION), Desired(prefix, retention_days))


def stack_config(index_prefix: str) -> dict[str, object]:
    return {"homeRegion": HOME_REGION, "edgeFunctions": EDGE_FUNCTIONS,
            "indexPrefix": index_prefix, "adminPrincipals": [ADMIN_ROLE]}


@contextlib.contextmanager
def front_door_before(url: str, prefix: str) -> Iterator[tuple[FrontDoor, Deployment]]:
    """A front door before the node at ``url`` (a test's own node), for a stack using
    ``prefix``: (door, the program's deployment)."""
    dep = deployment_from_program(stack_config(prefix))
    set_up_indices(url, prefix)
    door = front_door_for(url, dep).start()
    try:
        yield door, dep
    finally:
        door.stop()


@pytest.fixture
def deployment(index_prefix: str) -> Deployment:
    """The program's policies and forwarder environments for a stack using this prefix."""
    return deployment_from_program(stack_config(index_prefix))


@pytest.fixture
def front_door(opensearch_url: str, deployment: Deployment) -> Iterator[FrontDoor]:
    door = front_door_for(opensearch_url, deployment).start()
    try:
        yield door
    finally:
        door.stop()
