"""Custom log groups (edgeFunctions entries {name, logGroup}) through the whole program.

A custom group has the same name in every region and may be shared: it must be created (or
adopted) and subscribed exactly once per region, and exported with the region's groups.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.deploy.harness import ProgramRun
from tests.deploy.tokens import (
    DOMAIN_SETUP,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    REGIONAL_FORWARDER,
    SUBSCRIPTION_FILTER,
)

REGIONS = ["us-east-1", "eu-west-1"]
CONFIG: dict[str, Any] = {
    "regions": REGIONS,
    "edgeFunctions": [
        "auth",
        {"name": "rewrite", "logGroup": "/edge/shared"},
        {"name": "headers", "logGroup": "/edge/shared"},
    ],
    # Adopted in eu-west-1 (the function already ran there), created in us-east-1.
    "existingLogGroups": {"eu-west-1": ["/edge/shared"]},
    "coverageCheck": False,
}
EXPECTED_GROUPS = ["/aws/lambda/us-east-1.auth", "/edge/shared"]


def _group_name(r: Any) -> str:
    return r.outputs.get("name") or r.inputs.get("name")


def test_shared_custom_group_is_one_group_and_one_filter_per_region(run) -> None:
    result: ProgramRun = run(CONFIG)
    created = [r for r in result.of_type(LOG_GROUP) if not r.read
               and r.parent_type != DOMAIN_SETUP]
    adopted = [r for r in result.of_type(LOG_GROUP) if r.read]
    collected = Counter(
        (r.region, _group_name(r)) for r in created + adopted
        if not _group_name(r).endswith("-forwarder")
    )
    assert collected == Counter({(region, name): 1 for region in REGIONS
                                 for name in EXPECTED_GROUPS})  # fmt: skip
    assert [(r.region, _group_name(r)) for r in adopted] == [("eu-west-1", "/edge/shared")]
    custom_created = [r for r in created if _group_name(r) == "/edge/shared"]
    assert [r.region for r in custom_created] == ["us-east-1"]
    assert custom_created[0].inputs["retentionInDays"] == 30

    filters = Counter((f.region, f.inputs["logGroup"]) for f in result.of_type(SUBSCRIPTION_FILTER))
    assert filters == Counter({(region, name): 1 for region in REGIONS
                               for name in EXPECTED_GROUPS})  # fmt: skip
    forwarders = {f.region: f.outputs["arn"] for f in result.of_type(
        FUNCTION)}  # fmt: skip
    for f in result.of_type(SUBSCRIPTION_FILTER):
        assert f.inputs["destinationArn"] == forwarders[f.region]

    assert result.outputs["logGroups"] == {region: EXPECTED_GROUPS for region in REGIONS}


def test_every_collected_group_has_its_own_exact_invoke_permission(run) -> None:
    result: ProgramRun = run(CONFIG)
    perms = [p for p in result.of_type(PERMISSION)
             if p.parent_type == REGIONAL_FORWARDER]
    by_region: dict[str, set[str]] = {}
    for perm in perms:
        arn = perm.inputs["sourceArn"]
        assert arn.endswith(":*") and perm.inputs["sourceAccount"]
        by_region.setdefault(perm.region, set()).add(arn.split(":log-group:", 1)[1][:-2])
    assert by_region and all(groups == set(EXPECTED_GROUPS) for groups in by_region.values())
