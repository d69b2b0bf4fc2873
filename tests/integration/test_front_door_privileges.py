"""Least privilege, proven by calls through the front door (issue 7, item 4).

The forwarder role may write documents into ``<prefix>-*`` (bulk, index in the URL) and
install its own index templates and retention policy; nothing else. Admins may search,
read and use Dashboards; they may not write or delete. Every refusal is checked to be
allowed by NEITHER the domain policy nor the caller's identity policy, so AWS's
same-account union rule refuses it too, and the node is checked to be unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from forwarder.handler import process

from tests.forwarder.payloads import encode
from tests.integration.conftest import EDGE_FUNCTIONS, HOME_REGION
from tests.integration.forwarder_support import count, deployed_settings, signed_client
from tests.support.cwl import BatchFactory
from tests.support.front_door import Deployment, FrontDoor, Identity, send

DAY = "2025.11.24"  # the day of every BatchFactory event


@pytest.fixture
def stored_batch(front_door: FrontDoor, deployment: Deployment, opensearch_url: str,
                 index_prefix: str) -> int:
    """One batch stored by the eu-west-1 forwarder (refreshed); returns how many events."""
    s = deployed_settings(front_door, deployment, "eu-west-1")
    batch = BatchFactory().batch("eu-west-1", EDGE_FUNCTIONS[0], 50)
    summary = process(encode(batch), s, signed_client(front_door, s), time.monotonic() + 60)
    assert summary.stored == summary.events_in == len(batch["logEvents"])
    assert count(opensearch_url, f"{index_prefix}-2*") == summary.stored  # and refreshed
    return summary.stored


def _as(door: FrontDoor, who: Identity, method: str, path: str, body: Any = None,
        ndjson: bool = False) -> tuple[int, Any]:
    return send(door.url, method, path, body, identity=who, region=HOME_REGION, ndjson=ndjson)


def _refused(door: FrontDoor, who: Identity, method: str, path: str, body: Any = None,
             ndjson: bool = False) -> None:
    mark = door.mark()
    status, reply = _as(door, who, method, path, body, ndjson)
    action = f"es:ESHttp{method.capitalize()}"
    assert (status, reply) == (403, {
        "Message": f"User: {who.principal_arn} is not authorized to perform: {action} on "
                   f"resource: {door.domain_name}"}), (method, path)
    (decision,) = door.decisions_since(mark)
    assert decision.allowed_by_neither, decision


def _admitted(door: FrontDoor, who: Identity, method: str, path: str, body: Any = None,
              ndjson: bool = False) -> tuple[int, Any]:
    mark = door.mark()
    status, reply = _as(door, who, method, path, body, ndjson)
    (decision,) = door.decisions_since(mark)
    assert decision.admitted and status != 403, (method, path, status, reply)
    return status, reply


def test_forwarder_role_writes_its_documents_and_nothing_else(
        front_door: FrontDoor, opensearch_url: str, index_prefix: str,
        stored_batch: int) -> None:
    fwd = front_door.identity("forwarder-eu-west-1")
    index = f"{index_prefix}-{DAY}"
    # Allowed: bulk into its own indices (log and errors), its templates and ISM policy.
    status, reply = _admitted(front_door, fwd, "POST", f"{index}/_bulk",
                              [{"create": {"_id": "extra-1"}}, {"message": "m"}], ndjson=True)
    assert status == 200 and not reply["errors"]
    _admitted(front_door, fwd, "POST", f"{index_prefix}-errors-{DAY}/_bulk",
              [{"create": {"_id": "e-1"}}, {"error.type": "t"}], ndjson=True)
    for name in (index_prefix, f"{index_prefix}-errors"):
        status, _ = _admitted(front_door, fwd, "GET", f"_index_template/{name}")
        assert status == 200
    # The integ-test node has no ISM plugin: admitted by IAM, answered by the node.
    _admitted(front_door, fwd, "GET", f"_plugins/_ism/policies/{index_prefix}-retention")

    # Refused: deleting, cluster settings, delete-by-query, other indices, searching,
    # documents outside _bulk, other templates.
    _refused(front_door, fwd, "DELETE", index)
    _refused(front_door, fwd, "DELETE", f"{index}/_doc/extra-1")
    _refused(front_door, fwd, "PUT", "_cluster/settings",
             {"persistent": {"action.destructive_requires_name": False}})
    _refused(front_door, fwd, "POST", f"{index_prefix}-*/_delete_by_query",
             {"query": {"match_all": {}}})
    _refused(front_door, fwd, "POST", f"{index}/_delete_by_query", {"query": {"match_all": {}}})
    _refused(front_door, fwd, "POST", "other-logs/_bulk",
             [{"create": {"_id": "x"}}, {"m": 1}], ndjson=True)
    _refused(front_door, fwd, "POST", "_bulk",
             [{"create": {"_index": index, "_id": "x"}}, {"m": 1}], ndjson=True)
    _refused(front_door, fwd, "GET", f"{index_prefix}-*/_search")
    _refused(front_door, fwd, "GET", "other-logs/_search")
    _refused(front_door, fwd, "POST", f"{index}/_doc", {"m": 1})
    _refused(front_door, fwd, "PUT", f"{index}/_doc/x", {"m": 1})
    _refused(front_door, fwd, "PUT", "_index_template/other", {"index_patterns": ["o-*"]})
    _refused(front_door, fwd, "PUT", f"{index_prefix}-new")

    # An index named in the body cannot redirect an allowed URL: the node refuses it.
    status, reply = _admitted(front_door, fwd, "POST", f"{index}/_bulk",
                              [{"create": {"_index": "other-logs", "_id": "x"}}, {"m": 1}],
                              ndjson=True)
    assert status == 400 and "explicit index in bulk is not allowed" in str(reply)

    assert count(opensearch_url, f"{index_prefix}-2*") == stored_batch + 1
    assert count(opensearch_url, "other-logs") == 0


# An admin principal, and a Dashboards user signed in through Cognito (the authenticated
# role, which the domain policy lists among the readers): the same rights, read-only.
@pytest.mark.parametrize("reader", ["admin", "dashboards-user"])
def test_admins_search_and_read_but_never_write(
        front_door: FrontDoor, opensearch_url: str, index_prefix: str,
        stored_batch: int, reader: str) -> None:
    admin = front_door.identity(reader)
    index = f"{index_prefix}-{DAY}"
    status, reply = _admitted(front_door, admin, "POST", f"{index_prefix}-*/_search",
                              {"query": {"match_all": {}}, "size": 1})
    assert status == 200 and reply["hits"]["total"]["value"] == stored_batch
    status, reply = _admitted(front_door, admin, "GET", f"{index_prefix}-*/_count")
    assert (status, reply["count"]) == (200, stored_batch)
    doc_id = _as(front_door, admin, "POST", f"{index}/_search", {"size": 1})[1]["hits"]["hits"][
        0]["_id"]
    status, reply = _admitted(front_door, admin, "GET", f"{index}/_doc/{doc_id}")
    assert status == 200 and reply["found"]
    _admitted(front_door, admin, "GET", f"{index}/_mapping")
    _admitted(front_door, admin, "GET", "_cat/indices")
    # Dashboards: its pages and its searches (the node has no Dashboards: IAM only).
    _admitted(front_door, admin, "GET", "_dashboards/app/discover")
    _admitted(front_door, admin, "POST", "_dashboards/internal/search/opensearch", {})

    _refused(front_door, admin, "POST", f"{index}/_bulk",
             [{"create": {"_id": "x"}}, {"m": 1}], ndjson=True)
    _refused(front_door, admin, "POST", f"{index}/_doc", {"m": 1})
    _refused(front_door, admin, "PUT", f"{index}/_doc/x", {"m": 1})
    _refused(front_door, admin, "DELETE", index)
    _refused(front_door, admin, "DELETE", f"{index}/_doc/{doc_id}")
    _refused(front_door, admin, "POST", f"{index}/_delete_by_query", {"query": {"match_all": {}}})
    _refused(front_door, admin, "POST", f"{index}/_update/{doc_id}", {"doc": {"m": 2}})
    _refused(front_door, admin, "PUT", "_cluster/settings", {"persistent": {}})
    _refused(front_door, admin, "PUT", f"_index_template/{index_prefix}", {})
    # Dev Tools' console proxy would carry any method to any path: denied outright.
    mark = front_door.mark()
    status, _ = _as(front_door, admin, "POST",
                    f"_dashboards/api/console/proxy?path={index}&method=DELETE")
    (decision,) = front_door.decisions_since(mark)
    assert status == 403 and decision.resource_policy is not None
    assert decision.resource_policy.name == "DENIED"

    assert count(opensearch_url, f"{index_prefix}-2*") == stored_batch


@pytest.mark.parametrize("index", ["{p}-a%2F..%2Fother-logs", "{p}-a,other-logs"])
def test_paths_iam_lets_through_are_refused_by_the_engine(
        front_door: FrontDoor, opensearch_url: str, index_prefix: str, index: str) -> None:
    """``<prefix>-*/_bulk`` matches more than one index name to IAM (``*`` spans ``/`` and
    ``,``): such a URL is admitted, but no such index can exist, so nothing is written."""
    fwd = front_door.identity("forwarder-eu-west-1")
    status, reply = _admitted(front_door, fwd, "POST", f"{index.format(p=index_prefix)}/_bulk",
                              [{"create": {"_id": "x"}}, {"m": 1}], ndjson=True)
    (item,) = reply["items"]
    assert status == 200 and item["create"]["status"] == 400, reply
    assert item["create"]["error"]["type"] == "invalid_index_name_exception"
    assert count(opensearch_url, "other-logs") == 0
