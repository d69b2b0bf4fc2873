"""The operator policy: what scripts/replay and scripts/backfill need, attached to nobody."""

from __future__ import annotations

import json

import pytest

from components.operator_policy import OperatorPolicyTooLarge, operator_policy
from tests.deploy.harness import ACCOUNT, ProgramRun
from tests.deploy.tokens import FORWARDER_ROLE, IAM_POLICY, OPERATOR_POLICY, ROLE_POLICY

CONFIG = {"edgeFunctions": ["auth"], "distributionIds": ["E2QWRUHAPOMQZL"],
          "regions": ["us-east-1", "ap-south-1"], "homeRegion": "eu-central-1",
          "indexPrefix": "edge"}


def test_operator_policy_grants_the_forwarders_writes_the_queues_and_history(run) -> None:
    result: ProgramRun = run(CONFIG)
    (policy,) = result.of_type(IAM_POLICY)
    assert policy.parent_type == OPERATOR_POLICY
    assert policy.region == "eu-central-1" and policy.inputs["name"] == "edgelogs-dev-operator"
    assert result.outputs["operatorPolicyArn"] == (
        f"arn:aws:iam::{ACCOUNT}:policy/edgelogs-dev-operator")
    doc = json.loads(policy.inputs["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert all(s["Effect"] == "Allow" for s in doc["Statement"])
    # The domain writes are the forwarder's own statements, from the same builder.
    (role_policy,) = result.of_type(ROLE_POLICY,
                                    parent=FORWARDER_ROLE)
    forwarder = {s["Sid"]: s for s in json.loads(role_policy.inputs["policy"])["Statement"]}
    for sid in ("BulkIntoOwnIndices",):
        mine, theirs = by_sid[f"Operator{sid}"], forwarder[f"Forwarder{sid}"]
        assert (mine["Action"], mine["Resource"]) == (theirs["Action"], theirs["Resource"])
    assert by_sid["ReplayFailureQueues"]["Action"] == [
        "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
        "sqs:GetQueueAttributes"]
    assert by_sid["ReplayFailureQueues"]["Resource"] == [
        f"arn:aws:sqs:{r}:{ACCOUNT}:edgelogs-dev-failures" for r in ("us-east-1", "ap-south-1")]
    assert by_sid["BackfillReadCollectedGroups"]["Action"] == ["logs:FilterLogEvents"]
    assert sorted(by_sid["BackfillReadCollectedGroups"]["Resource"]) == sorted(
        f"arn:aws:logs:{r}:{ACCOUNT}:log-group:{g}:*" for r in ("us-east-1", "ap-south-1")
        for g in ("/aws/lambda/us-east-1.auth", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"))
    assert set(by_sid) == {"OperatorBulkIntoOwnIndices", "ReplayFailureQueues",
                           "BackfillReadCollectedGroups"}
    for statement in doc["Statement"]:
        assert "*" not in statement["Action"] and "*" not in statement["Resource"]


def test_the_operator_policy_is_attached_to_nobody(run) -> None:
    result: ProgramRun = run(CONFIG)
    (policy,) = result.of_type(IAM_POLICY)
    arn = policy.outputs["arn"]
    for r in result.resources:
        if r.typ.startswith("aws:iam/") and r.typ != IAM_POLICY:
            assert arn not in json.dumps(r.inputs, default=str), (r.typ, r.name)


# --- IAM's 6,144-character managed-policy quota -------------------------------------------

THIRTEEN = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
            "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1",
            "eu-west-2", "sa-east-1"]  # fmt: skip


def _policy(regions: list[str], groups: list[str]) -> dict:
    return operator_policy(
        partition="aws", account_id=ACCOUNT, home_region="us-east-1", domain_name="edgelogs-dev",
        index_prefix="lambda-edge", regions=regions, queue_name="edgelogs-dev-failures",
        collected_log_groups=groups)


def _chars(document: dict) -> int:
    return len("".join(json.dumps(document).split()))


def test_thirteen_regions_and_eight_functions_fit_with_exact_groups_in_any_region() -> None:
    # One ARN per region x group (what main did) would be 11,314 characters here: refused.
    groups = [f"/aws/lambda/us-east-1.fn{i}-{'a' * 14}" for i in range(8)]
    doc = _policy(THIRTEEN, groups)
    backfill = doc["Statement"][-1]
    assert backfill["Resource"] == [f"arn:aws:logs:*:{ACCOUNT}:log-group:{g}:*" for g in groups]
    assert _chars(doc) <= 6144
    # The queues stay exact per region.
    assert len(doc["Statement"][-2]["Resource"]) == 13


def test_too_many_groups_fold_into_one_prefix_per_kind_custom_groups_stay_exact() -> None:
    groups = [f"/aws/lambda/us-east-1.img-{i:02d}-{'r' * 50}" for i in range(60)]
    groups += ["/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL", "/aws/cloudfront/LambdaEdge/E1X",
               "/edge/app"]
    doc = _policy(THIRTEEN, groups)
    assert doc["Statement"][-1]["Resource"] == [
        f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/lambda/us-east-1.img-*",
        f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/cloudfront/LambdaEdge/E*",
        f"arn:aws:logs:*:{ACCOUNT}:log-group:/edge/app:*",
    ]
    assert _chars(doc) <= 6144


def test_a_policy_that_cannot_fit_is_refused_with_the_quota_named() -> None:
    custom = [f"/custom/{i:03d}/{'c' * 400}" for i in range(20)]
    with pytest.raises(OperatorPolicyTooLarge, match=r"IAM allows a managed policy 6,144"):
        _policy(["us-east-1"], custom)


def test_a_small_stack_keeps_one_arn_per_region_and_group() -> None:
    doc = _policy(["us-east-1", "eu-west-1"], ["/aws/lambda/us-east-1.auth"])
    assert doc["Statement"][-1]["Resource"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/us-east-1.auth:*",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/us-east-1.auth:*",
    ]
