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
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import aws_quotas, invoke_permissions, naming
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


class OperatorPolicyTooLarge(pulumi.RunError):
    """Even with prefix grants the policy exceeds IAM's managed-policy quota. A RunError, so
    Pulumi prints the message without a traceback."""


def backfill_grants(
    *, partition: str, account_id: str, regions: Sequence[str],
    collected_log_groups: Sequence[str],
) -> list[list[str]]:
    """FilterLogEvents resources for the collected groups, tightest first.

    IAM allows a managed policy 6,144 characters (components/aws_quotas.py), and one ARN per
    region x group does not fit a real estate (13 regions x 8 functions is over 10,000). So,
    in order, the first that fits is used:
    1. every collected group in every collected region, exactly;
    2. every collected group exactly, in any region (`logs:*:`): the same groups, also where
       the stack does not collect them; the account stays fixed;
    3. per kind, the longest prefix its groups share (never broader than the kind's own
       prefix, `/aws/lambda/us-east-1.` or `/aws/cloudfront/LambdaEdge/`), in any region;
       custom groups stay exact. Backfill then may read any edge function's log group, which
       holds the same kind of data the stack already collects.
    Reading log events is all these grant; writing and deleting stay out of reach.
    """
    base = f"arn:{partition}:logs"
    exact = [f"{base}:{r}:{account_id}:log-group:{g}:*"
             for r in regions for g in collected_log_groups]
    any_region = [f"{base}:*:{account_id}:log-group:{g}:*" for g in collected_log_groups]
    prefixed: list[str] = []
    for kind in (naming.EDGE_LOG_GROUP_PREFIX, naming.DISTRIBUTION_LOG_GROUP_PREFIX):
        members = [g for g in collected_log_groups if g.startswith(kind)]
        if len(members) == 1:
            prefixed.append(f"{base}:*:{account_id}:log-group:{members[0]}:*")
        elif members:
            # Character-wise on purpose: a log group prefix need not end at a `/`.
            common = os.path.commonprefix(members)  # noqa: RUF071
            prefixed.append(f"{base}:*:{account_id}:log-group:{common}*")
    prefixed += [f"{base}:*:{account_id}:log-group:{g}:*" for g in collected_log_groups
                 if not g.startswith(invoke_permissions.KIND_PREFIXES)]
    return [exact, any_region, prefixed]


def operator_policy(
    *, partition: str, account_id: str, home_region: str, domain_name: str | None,
    index_prefix: str, regions: Sequence[str], queue_name: str,
    collected_log_groups: Sequence[str], header_secret_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """The forwarder's own requests on the domain (the same builder as its role's and the
    domain policy's), the failure queues, and reading the collected groups' history, with the
    tightest backfill grant that keeps the policy within IAM's quota."""
    writes = []
    if domain_name is not None:  # None: no opensearch destination, no domain
        domain_arn = naming.domain_arn(partition, home_region, account_id, domain_name)
        writes = [{**s, "Sid": s["Sid"].replace("Forwarder", "Operator")}
                  for s in search_domain_statements(domain_arn, index_prefix)]
    writes += header_secret_statements(header_secret_arns)  # replay sends to http too

    def policy(backfill: list[str]) -> dict[str, Any]:
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
                    "Resource": backfill,
                },
            ],
        }

    sizes = []
    for backfill in backfill_grants(partition=partition, account_id=account_id,
                                    regions=regions, collected_log_groups=collected_log_groups):
        document = policy(backfill)
        size = aws_quotas.iam_policy_chars(json.dumps(document))
        if size <= aws_quotas.IAM_MANAGED_POLICY_CHARS:
            return document
        sizes.append(size)
    raise OperatorPolicyTooLarge(
        f"the operator policy needs {min(sizes):,} characters even with prefix grants; IAM "
        f"allows a managed policy {aws_quotas.IAM_MANAGED_POLICY_CHARS:,} "
        f"({aws_quotas.IAM_QUOTAS}): collect fewer regions or custom log groups"
    )


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
