"""ForwarderRole: the one IAM role every regional forwarder runs as (IAM is global)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.identity import Identity, caller_identity
from components.trust_policy import service_trust_policy

TOKEN = "edgelogs:index:ForwarderRole"


def search_domain_statements(domain_arn: str, index_prefix: str) -> list[dict[str, Any]]:
    """The one request the forwarder makes on the domain: ``POST /<prefix>-*/_bulk``.

    What it may write is decided by the security plugin (the writer role of
    lambda_src/domain_setup/roles.py: documents into ``<prefix>-*`` only); this grant only
    keeps the role from reaching any other API of the domain. Index templates and the ISM
    policy are the domain setup's (components/domain_setup.py), never the forwarder's.
    Shared by the role's policy and the operator policy.
    """
    return [
        {
            "Sid": "ForwarderBulkIntoOwnIndices",
            "Effect": "Allow",
            "Action": ["es:ESHttpPost"],
            "Resource": [f"{domain_arn}/{index_prefix}-*/_bulk"],
        },
    ]


# A complete secret ARN ends in "-" and the six random characters Secrets Manager adds
# ("The ARN includes the name of the secret followed by six random characters",
# https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/secretsmanager/aws.sdk.kotlin.services.secretsmanager.model/-create-secret-response/arn.html);
# a partial ARN (the name only) matches its secret only with that suffix as "-??????". A name
# that itself ends in "-" and six letters or digits is taken for a complete ARN, by Secrets
# Manager as by this rule (AWS advises against such names): give its complete ARN.
_COMPLETE_SECRET_ARN = re.compile(r".*:secret:.+-[A-Za-z0-9]{6}")


def secret_resources(arns: Sequence[str]) -> list[str]:
    """IAM resources matching exactly the given secrets, complete or partial ARNs."""
    return [arn if _COMPLETE_SECRET_ARN.fullmatch(arn) else f"{arn}-??????" for arn in arns]


def header_secret_statements(arns: Sequence[str]) -> list[dict[str, Any]]:
    """Read the http destinations' header secrets, and no other secret (none: no grant)."""
    if not arns:
        return []
    return [{
        "Sid": "ReadDestinationHeaderSecrets",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": secret_resources(arns),
    }]


@dataclass
class ForwarderRoleArgs:
    role_name: pulumi.Input[str]
    home_region: pulumi.Input[str]
    domain_name: pulumi.Input[str] | None  # None: no opensearch destination, no es:* grant
    index_prefix: str
    regions: Sequence[str]
    forwarder_log_group_name: pulumi.Input[str]
    failure_queue_name: pulumi.Input[str]
    provider: aws.Provider  # IAM is global; the home region's provider answers the invokes
    tags: pulumi.Input[dict[str, str]]
    header_secret_arns: Sequence[str] = ()  # http destinations' headersSecret


def assume_role_policy() -> str:
    return json.dumps(service_trust_policy("lambda.amazonaws.com", "LambdaOnly"))


def permissions_policy(
    *,
    partition: str,
    account_id: str,
    home_region: str,
    domain_name: str | None,
    index_prefix: str,
    regions: Sequence[str],
    log_group_name: str,
    queue_name: str,
    header_secret_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """Every ARN is exact: the names are fixed per stack, so no region or account wildcard.

    The log-group ARNs end in ":*" because CreateLogStream/PutLogEvents act on the streams
    inside the group (ARN "...:log-group:NAME:log-stream:..."); AWS has no narrower form for
    streams Lambda names itself.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            *(search_domain_statements(
                naming.domain_arn(partition, home_region, account_id, domain_name), index_prefix
            ) if domain_name is not None else []),
            *header_secret_statements(header_secret_arns),
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}:*"
                    for region in regions
                ],
            },
            {
                "Sid": "SendToOwnFailureQueues",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [
                    f"arn:{partition}:sqs:{region}:{account_id}:{queue_name}" for region in regions
                ],
            },
        ],
    }


class ForwarderRole(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    arn: pulumi.Output[str]
    """The role's ARN, resolved only once its policy is attached, so that users of it (the
    function, its failure destination) are created after the permissions exist."""

    def __init__(
        self, name: str, args: ForwarderRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        identity = caller_identity(self, args.provider)

        self._create_role(name, args, child)
        self._create_policy(name, args, identity, child)
        self.arn = pulumi.Output.all(self.role.arn, self.policy.id).apply(lambda v: v[0])
        self.register_outputs({"arn": self.role.arn, "policy": self.policy.policy})

    def _create_role(
        self, name: str, args: ForwarderRoleArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The role, which only Lambda may assume."""
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="edgelogs forwarder: sends Lambda@Edge logs to their destinations",
            assume_role_policy=assume_role_policy(),
            tags=args.tags,
            opts=child,
        )

    def _create_policy(
        self, name: str, args: ForwarderRoleArgs, identity: Identity,
        child: pulumi.ResourceOptions,
    ) -> None:
        """Its one inline policy, on every collected region (permissions_policy)."""
        regions = list(args.regions)
        prefix = args.index_prefix
        secrets = list(args.header_secret_arns)
        has_domain = args.domain_name is not None
        policy_json = pulumi.Output.all(
            identity.partition,
            identity.account_id,
            args.home_region,
            args.domain_name if has_domain else "",
            args.forwarder_log_group_name,
            args.failure_queue_name,
        ).apply(
            lambda v: json.dumps(
                permissions_policy(
                    partition=v[0],
                    account_id=v[1],
                    home_region=v[2],
                    domain_name=v[3] if has_domain else None,
                    index_prefix=prefix,
                    regions=regions,
                    log_group_name=v[4],
                    queue_name=v[5],
                    header_secret_arns=secrets,
                )
            )
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="edgelogs-forwarder",
            role=self.role.id,
            policy=policy_json,
            opts=child,
        )
