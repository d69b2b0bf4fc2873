"""DomainSetup: the function that applies the domain's security roles, role mappings, index
templates and ISM policy, and whose role is the domain's master user.

Its role is created before the domain (the domain names it as the IAM master user,
components/search_domain.py); the domain invokes it once it exists and again whenever what it
applies changes (``invocation_input``), so `pulumi up` needs no network path from the
deployer's machine to the domain and no manual step.

The zip holds lambda_src/domain_setup and contract.py (standard library and the runtime's
botocore only), built by the bundler like every function's; its sha256 is part of the
invocation input, so new roles or templates (a new zip) re-run the setup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import contract
import pulumi
import pulumi_aws as aws

from components import naming
from components.forwarder_role import assume_role_policy
from components.function_code import FunctionCode
from components.identity import caller_identity

TOKEN = "edgelogs:index:DomainSetup"
PACKAGE = "domain_setup"
HANDLER = f"{PACKAGE}.handler.lambda_handler"
# A handful of small requests (one GET, maybe one PUT per item); the domain may still be
# finishing a blue/green change when it is invoked, hence more than a few seconds.
TIMEOUT_SECONDS = 300
MEMORY_MB = 128


def permissions_policy(*, partition: str, account_id: str, home_region: str,
                       domain_name: str, log_group_name: str) -> dict[str, Any]:
    """Every HTTP method on this one domain (it is the master user: the security plugin lets
    it change security, templates and ISM), and its own log group."""
    domain_arn = naming.domain_arn(partition, home_region, account_id, domain_name)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "MasterUserOfTheDomain", "Effect": "Allow",
             "Action": [f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Patch", "Post",
                                                  "Put")],
             "Resource": [f"{domain_arn}/*"]},
            {"Sid": "WriteOwnLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [f"arn:{partition}:logs:{home_region}:{account_id}:log-group:"
                          f"{log_group_name}:*"]},
        ],
    }  # fmt: skip


def invocation_input(*, endpoint: str, region: str, index_prefix: str, retention_days: int,
                     principals: Mapping[str, Sequence[str]], code_hash: str,
                     shards: int = 1, replicas: int = 0) -> str:
    """The JSON the function gets (lambda_src/domain_setup/handler.parse); any change in it
    (a principal, the retention, the code) replaces the Invocation, which invokes again."""
    return json.dumps({
        contract.SETUP_ENDPOINT: endpoint,
        contract.SETUP_REGION: region,
        contract.SETUP_INDEX_PREFIX: index_prefix,
        contract.SETUP_RETENTION_DAYS: retention_days,
        contract.SETUP_SHARDS: shards,
        contract.SETUP_REPLICAS: replicas,
        contract.SETUP_PRINCIPALS: {k: sorted(set(principals.get(k, ())))
                                    for k in contract.ROLE_KEYS},
        contract.SETUP_CODE_HASH: code_hash,
    }, sort_keys=True)


@dataclass
class DomainSetupArgs:
    names: naming.StackNames
    home_region: str
    log_retention_days: pulumi.Input[int]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    code: FunctionCode | None = None  # lambda_src/domain_setup, built by the bundler when None


class DomainSetup(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    function: aws.lambda_.Function
    role_arn: pulumi.Output[str]
    """The master user's ARN, resolved once its policy is attached."""
    code_hash: pulumi.Input[str]

    def __init__(self, name: str, args: DomainSetupArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        names = args.names
        identity = caller_identity(self, args.provider)
        code = args.code or FunctionCode.of_package(PACKAGE)
        self.code_hash = code.source_code_hash

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=names.domain_setup_log_group,
            retention_in_days=args.log_retention_days, tags=args.tags, opts=child,
        )  # fmt: skip
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.domain_setup_function,
            description="edgelogs domain setup: the search domain's master user",
            assume_role_policy=assume_role_policy(),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="edgelogs-domain-setup",
            role=self.role.id,
            policy=pulumi.Output.all(identity.partition, identity.account_id).apply(
                lambda v: json.dumps(permissions_policy(
                    partition=v[0], account_id=v[1], home_region=args.home_region,
                    domain_name=names.domain, log_group_name=names.domain_setup_log_group,
                ))
            ),
            opts=child,
        )  # fmt: skip
        self.role_arn = pulumi.Output.all(self.role.arn, self.policy.id).apply(lambda v: v[0])
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=names.domain_setup_function,
            description="edgelogs: applies the domain's roles, templates and ISM policy",
            role=self.role_arn,
            handler=HANDLER,
            **code.function_args(),
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[self.log_group]),
        )
        self.register_outputs({"roleArn": self.role_arn, "functionName": self.function.name})
