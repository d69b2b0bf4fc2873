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
from components.function_code import FunctionCode
from components.identity import caller_identity
from components.logged_function import FunctionSpec, create_logged_function

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
        names = args.names
        code = args.code or FunctionCode.of_package(PACKAGE)
        self.code_hash = code.source_code_hash

        made = create_logged_function(
            self, name,
            FunctionSpec(
                function_name=names.domain_setup_function,
                log_group_name=names.domain_setup_log_group,
                description="edgelogs: applies the domain's roles, templates and ISM policy",
                role_description="edgelogs domain setup: the search domain's master user",
                policy_name="edgelogs-domain-setup",
                handler=HANDLER, timeout_seconds=TIMEOUT_SECONDS, memory_mb=MEMORY_MB,
            ),
            code=code,
            policy=lambda partition, account_id: permissions_policy(
                partition=partition, account_id=account_id, home_region=args.home_region,
                domain_name=names.domain, log_group_name=names.domain_setup_log_group),
            identity=caller_identity(self, args.provider),
            log_retention_days=args.log_retention_days, provider=args.provider, tags=args.tags,
        )  # fmt: skip
        self.log_group, self.role, self.policy = made.log_group, made.role, made.policy
        self.role_arn, self.function = made.role_arn, made.function
        self.register_outputs({"roleArn": self.role_arn, "functionName": self.function.name})
