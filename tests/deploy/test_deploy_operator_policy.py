"""The operator policy: what scripts/replay and scripts/backfill need, attached to nobody."""

from __future__ import annotations

import json

from tests.deploy.harness import ACCOUNT, ProgramRun

POLICY = "aws:iam/policy:Policy"
CONFIG = {"edgeFunctions": ["auth"], "distributionIds": ["E2QWRUHAPOMQZL"],
          "regions": ["us-east-1", "ap-south-1"], "homeRegion": "eu-central-1",
          "indexPrefix": "edge"}


def test_operator_policy_grants_the_forwarders_writes_the_queues_and_history(run) -> None:
    result: ProgramRun = run(CONFIG)
    (policy,) = result.of_type(POLICY)
    assert policy.parent_type == "edgelogs:index:OperatorPolicy"
    assert policy.region == "eu-central-1" and policy.inputs["name"] == "edgelogs-dev-operator"
    assert result.outputs["operatorPolicyArn"] == (
        f"arn:aws:iam::{ACCOUNT}:policy/edgelogs-dev-operator")
    doc = json.loads(policy.inputs["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert all(s["Effect"] == "Allow" for s in doc["Statement"])
    # The domain writes are the forwarder's own statements, from the same builder.
    (role_policy,) = result.of_type("aws:iam/rolePolicy:RolePolicy",
                                    parent="edgelogs:index:ForwarderRole")
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
    (policy,) = result.of_type(POLICY)
    arn = policy.outputs["arn"]
    for r in result.resources:
        if r.typ.startswith("aws:iam/") and r.typ != POLICY:
            assert arn not in json.dumps(r.inputs, default=str), (r.typ, r.name)
