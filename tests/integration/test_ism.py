"""The lifecycle policy against a real node, installed by the domain setup.

The test node is OpenSearch's integ-test-zip distribution, which has no plugins, and the
index-management (ISM) plugin zip is not served by the package registry this machine reaches
(see docs/forwarder.md, "Index lifecycle"). So what the real node can show is the other half
of the contract: on a domain without ISM the setup recognises the engine's own answer
(400 "no handler found") and reports the policy "unavailable" while the templates are
installed all the same. The policy body and its install/update protocol are tested against
the documented ISM API in tests/domain_setup/test_lifecycle.py.
"""

from __future__ import annotations

import uuid

from domain_setup import lifecycle
from domain_setup.http import caller

from tests.integration.conftest import set_up_indices
from tests.integration.forwarder_support import call


def test_a_node_without_ism_is_reported_and_templates_are_installed(
        opensearch_url: str) -> None:
    prefix = f"ism-{uuid.uuid4().hex[:8]}"
    status, answer = caller(opensearch_url, "eu-west-1")(
        "GET", f"/_plugins/_ism/policies/{lifecycle.policy_id(prefix)}", None)
    assert lifecycle.no_ism(status, answer)
    assert set_up_indices(opensearch_url, prefix, 7) == {
        f"index_template {prefix}": "created",
        f"index_template {prefix}-errors": "created",
        f"ism_policy {prefix}-retention": "unavailable",
    }
    names = {t["name"] for t in call(opensearch_url, "GET",
                                     f"_index_template/{prefix}*")["index_templates"]}
    assert names == {prefix, f"{prefix}-errors"}
    call(opensearch_url, "DELETE", f"_index_template/{prefix}*")
