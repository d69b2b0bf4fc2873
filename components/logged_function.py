"""A home-region function with its own log group and role: the coverage check's and the domain
setup's (the forwarders are regional and share one role, components/forwarder_role.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.forwarder_role import assume_role_policy
from components.function_code import FunctionCode
from components.identity import Identity


@dataclass(frozen=True)
class FunctionSpec:
    """What tells one such function from the other."""

    function_name: str  # the role's name too
    log_group_name: str
    description: str
    role_description: str
    policy_name: str
    handler: str
    timeout_seconds: int
    memory_mb: int


@dataclass(frozen=True)
class LoggedFunction:
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    role_arn: pulumi.Output[str]
    """The role's ARN once its policy is attached: the function never runs without it."""
    function: aws.lambda_.Function


def create_logged_function(
    parent: pulumi.Resource, name: str, spec: FunctionSpec, *, code: FunctionCode,
    policy: Callable[[str, str], dict[str, Any]], identity: Identity,
    log_retention_days: pulumi.Input[int], provider: aws.Provider,
    tags: pulumi.Input[dict[str, str]], environment: Mapping[str, str] | None = None,
) -> LoggedFunction:
    """Its log group, role, inline policy (``policy(partition, account_id)``) and function,
    children of `parent`, named <name>-logs, -role, -policy and -function."""
    child = pulumi.ResourceOptions(parent=parent, provider=provider)
    # Created before the function so Lambda never creates it first without retention.
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs", name=spec.log_group_name,
        retention_in_days=log_retention_days, tags=tags, opts=child,
    )  # fmt: skip
    role = aws.iam.Role(
        f"{name}-role",
        name=spec.function_name,
        description=spec.role_description,
        assume_role_policy=assume_role_policy(),
        tags=tags,
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-policy",
        name=spec.policy_name,
        role=role.id,
        policy=pulumi.Output.all(identity.partition, identity.account_id).apply(
            lambda v: json.dumps(policy(v[0], v[1]))),
        opts=child,
    )
    role_arn = pulumi.Output.all(role.arn, role_policy.id).apply(lambda v: v[0])
    function = aws.lambda_.Function(
        f"{name}-function",
        name=spec.function_name,
        description=spec.description,
        role=role_arn,
        handler=spec.handler,
        **code.function_args(),
        timeout=spec.timeout_seconds,
        memory_size=spec.memory_mb,
        environment=(aws.lambda_.FunctionEnvironmentArgs(variables=dict(environment))
                     if environment is not None else None),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[log_group]),
    )
    return LoggedFunction(log_group, role, role_policy, role_arn, function)
