"""Every region end to end through the AWS front door (issue 7, item 3).

Thirteen forwarders (the default regions), each with its own AWS_REGION and the
environment the program gives it, sign for the domain's region (eu-central-1) and store
one realistic batch each; an admin searches them; a stranger, a forwarder signing for its
own region and an unsigned request are refused with the service's answers.
"""

from __future__ import annotations

import time

import pytest
from forwarder.errors import DeliveryError
from forwarder.handler import process

from components.config import DEFAULT_REGIONS
from tests.forwarder.payloads import encode
from tests.integration.conftest import EDGE_FUNCTIONS, HOME_REGION
from tests.integration.forwarder_support import count, deployed_settings, signed_client
from tests.support.cwl import BatchFactory
from tests.support.front_door import Deployment, FrontDoor, send
from tests.support.store import marker_set, stored

EVENTS_PER_REGION = 200


def test_every_region_stores_once_through_the_front_door(
        front_door: FrontDoor, deployment: Deployment, opensearch_url: str,
        index_prefix: str) -> None:
    regions = sorted(deployment.forwarder_env)
    assert regions == sorted(DEFAULT_REGIONS) and HOME_REGION in regions
    assert deployment.region == HOME_REGION
    factory = BatchFactory()
    sent = []
    for region in regions:
        batch = factory.batch(region, EDGE_FUNCTIONS[0], EVENTS_PER_REGION)
        s = deployed_settings(front_door, deployment, region)
        summary = process(encode(batch), s, signed_client(front_door, s), time.monotonic() + 120)
        assert summary.stored == summary.events_in == len(batch["logEvents"]), region
        sent.append(batch)

    # Counted on the node itself: every event once, none twice, nothing else.
    total = sum(len(b["logEvents"]) for b in sent)
    ids, markers = stored(opensearch_url, f"{index_prefix}-2*")
    assert sum(ids.values()) == len(ids) == total
    assert set(markers) == marker_set(sent) and set(markers.values()) == {1}

    # Through the front door every forwarder call was admitted for the forwarder role.
    forwarder_calls = [d for d in front_door.decisions if d.caller.startswith("forwarder-")]
    assert {d.caller for d in forwarder_calls} == {f"forwarder-{r}" for r in regions}
    assert all(d.admitted for d in forwarder_calls)

    # An admin searches them: each region's documents carry their own cloud.region.
    admin = front_door.identity("admin")
    status, reply = send(front_door.url, "POST", f"{index_prefix}-*/_search",
                         {"size": 0, "aggs": {"r": {"terms": {"field": "cloud.region",
                                                                "size": 50}}}},
                         identity=admin, region=HOME_REGION)
    assert status == 200, reply
    by_region = {b["key"]: b["doc_count"] for b in reply["aggregations"]["r"]["buckets"]}
    assert by_region == {b["logStream"].split("[")[0][11:]: len(b["logEvents"]) for b in sent}


def _search(door: FrontDoor, prefix: str, **kw: object) -> tuple[int, object]:
    return send(door.url, "POST", f"{prefix}-*/_search", {"query": {"match_all": {}}},
                **kw)  # type: ignore[arg-type]


def test_strangers_wrong_regions_and_unsigned_calls_are_refused(
        front_door: FrontDoor, deployment: Deployment, opensearch_url: str,
        index_prefix: str) -> None:
    domain = deployment.domain_name
    stranger = front_door.identity("stranger")
    assert _search(front_door, index_prefix, identity=stranger, region=HOME_REGION) == (403, {
        "Message": f"User: {stranger.principal_arn} is not authorized to perform: "
                   f"es:ESHttpPost on resource: {domain}"})
    assert front_door.decisions[-1].resource_policy.name == "NEUTRAL"

    nobody = front_door.identity("nobody")
    status, _ = _search(front_door, index_prefix, identity=nobody, region=HOME_REGION)
    assert status == 403 and front_door.decisions[-1].allowed_by_neither

    assert _search(front_door, index_prefix) == (403, {
        "Message": "User: anonymous is not authorized to perform: es:ESHttpPost because no "
                   "resource-based policy allows the es:ESHttpPost action"})

    # The forwarder of ap-southeast-2 signing for its own region, as before the fix.
    region = "ap-southeast-2"
    s = deployed_settings(front_door, deployment, region, OPENSEARCH_REGION=region)
    batch = BatchFactory().batch(region, EDGE_FUNCTIONS[0], 20)
    with pytest.raises(DeliveryError) as info:
        process(encode(batch), s, signed_client(front_door, s), time.monotonic() + 30)
    assert "403" in str(info.value) and "Credential should be scoped to a valid region" in str(
        info.value)
    refused = [d for d in front_door.decisions if d.caller == ""]  # not authenticated
    assert refused and {(d.status, d.message) for d in refused} == {
        (403, "Credential should be scoped to a valid region, not 'ap-southeast-2'. ")}
    assert count(opensearch_url, f"{index_prefix}-2*") == 0  # nothing got in
