"""OperatorPolicy: what a person needs to run scripts/replay and scripts/backfill, as one
managed IAM policy that the stack creates and attaches to nobody.

Admin principals only read the domain (components/search_domain.py); replay and backfill
write, exactly as the forwarder does. Rather than widening the domain policy, an operator's
own role gets this policy attached (same-account identity policies are enough for Amazon
OpenSearch Service: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/
ac.html#ac-types-identity). Secure by default: attaching it is a deliberate act.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.forwarder_role import header_secret_statements, search_domain_statements
from components.identity import caller_identity

TOKEN = "edgelogs:index:OperatorPolicy"

# Replay receives a failed batch, keeps it invisible while it works (extending the
# visibility), deletes it once stored, and reports the queue's remaining depth.
REPLAY_QUEUE_ACTIONS: tuple[str, ...] = (
    "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)  # fmt: skip


@dataclass
class OperatorPolicyArgs:
    policy_name: str
    home_region: str
    domain_name: str | None  # None: no opensearch destination
    index_prefix: str
    regions: Sequence[str]
    queue_name: str
    collected_log_groups: Sequence[str]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    header_secret_arns: Sequence[str] = ()  # replay sends to http destinations too


def operator_policy(
    *, partition: str, account_id: str, home_region: str, domain_name: str | None,
    index_prefix: str, regions: Sequence[str], queue_name: str,
    collected_log_groups: Sequence[str], header_secret_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """The forwarder's own requests on the domain (the same builder as its role's and the
    domain policy's), the failure queues, and reading the collected groups' history."""
    writes = []
    if domain_name is not None:
        domain_arn = naming.domain_arn(partition, home_region, account_id, domain_name)
        writes = [{**s, "Sid": s["Sid"].replace("Forwarder", "Operator")}
                  for s in search_domain_statements(domain_arn, index_prefix)]
    writes += header_secret_statements(header_secret_arns)
    return {
        "Version": "2012-10-17",
        "Statement": [
            *writes,
            {
                "Sid": "ReplayFailureQueues",
                "Effect": "Allow",
                "Action": list(REPLAY_QUEUE_ACTIONS),
                "Resource": [f"arn:{partition}:sqs:{r}:{account_id}:{queue_name}"
                             for r in regions],
            },
            {
                "Sid": "BackfillReadCollectedGroups",
                "Effect": "Allow",
                "Action": ["logs:FilterLogEvents"],
                "Resource": [f"arn:{partition}:logs:{r}:{account_id}:log-group:{g}:*"
                             for r in regions for g in collected_log_groups],
            },
        ],
    }


class OperatorPolicy(pulumi.ComponentResource):
    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: OperatorPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        identity = caller_identity(self, args.provider)
        document = pulumi.Output.all(identity.partition, identity.account_id).apply(
            lambda v: json.dumps(operator_policy(
                partition=v[0], account_id=v[1], home_region=args.home_region,
                domain_name=args.domain_name, index_prefix=args.index_prefix,
                regions=list(args.regions), queue_name=args.queue_name,
                collected_log_groups=list(args.collected_log_groups),
                header_secret_arns=list(args.header_secret_arns),
            ))
        )
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=args.policy_name,
            description="edgelogs: run scripts/replay and scripts/backfill (attach to operators)",
            policy=document,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn})
