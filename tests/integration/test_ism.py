"""The lifecycle policy against a real node.

The test node is OpenSearch's integ-test-zip distribution, which has no plugins, and the
index-management (ISM) plugin zip is not served by the package registry this machine reaches
(see docs/forwarder.md, "Index lifecycle"). So what the real node can show is the other half
of the contract: on a domain without ISM the forwarder recognises the engine's own answer
(400 "no handler found"), says so once in its log line, and delivers every event. The policy
body and its install/update protocol are tested against the documented ISM API in
tests/forwarder/test_lifecycle.py.
"""

from __future__ import annotations

import json
import time

import pytest
from forwarder import handler, lifecycle
from forwarder.handler import process
from opensearchpy.exceptions import TransportError

from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events
from tests.integration.forwarder_support import call, client_for, count, settings


def test_a_node_without_ism_is_recognised_and_delivery_goes_on(
        opensearch_url: str, index_prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    handler._policy_ready.clear()  # a new container
    s = settings(opensearch_url, index_prefix, INDEX_RETENTION_DAYS="7")
    client = client_for(s)

    # The engine's own answer to the policy API when the plugin is missing.
    with pytest.raises(TransportError) as info:
        client.transport.perform_request(
            "GET", f"/_plugins/_ism/policies/{lifecycle.policy_id(index_prefix)}")
    assert lifecycle.no_ism(info.value)
    assert lifecycle.ensure_policy(client, index_prefix, 7, 10.0) == "unavailable"

    summary = process(encode(payload(realistic_events(200, seed=81))), s, client,
                      time.monotonic() + 60)
    earlier = realistic_events(50, seed=82, base_ms=BASE_MS - 3_600_000)
    again = process(encode(payload(earlier)), s, client, time.monotonic() + 60)
    assert (summary.stored, summary.undelivered, again.stored) == (200, 0, 50)
    assert count(opensearch_url, f"{index_prefix}-2*") == 250
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "no index lifecycle (ISM)" in lines[0]["lifecycle"]
    assert "lifecycle" not in lines[1]  # said once per container
    # The templates are installed all the same.
    names = {t["name"] for t in call(opensearch_url, "GET",
                                     f"_index_template/{index_prefix}*")["index_templates"]}
    assert names == {index_prefix, f"{index_prefix}-errors"}
