"""AWS's documented size and count quotas, checked on everything one program run registered.

Every number is written out here with the page that states it, independently of the
constants the components use (those are tested against these numbers, never the reverse).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tests.deploy.harness import ACCOUNT, PARTITION, ProgramRun
from tests.deploy.tokens import (
    ALARM,
    DOMAIN,
    FUNCTION,
    IAM_POLICY,
    LOG_GROUP,
    PERMISSION,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    SUBSCRIPTION_FILTER,
    TOPIC,
    USER_POOL_DOMAIN,
)

IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"

# IAM: "Managed policy size: 6,144 characters", "Inline policy size ... Role policy size cannot
# exceed 10,240 characters" (all of one role's inline policies together), "Role trust policy
# length: 2,048 characters"; "IAM doesn't count white space when calculating the size of a
# policy against these quotas" (IAM_QUOTAS).
MANAGED_POLICY_CHARS = 6144
ROLE_INLINE_POLICIES_CHARS = 10240
ROLE_TRUST_POLICY_CHARS = 2048
# Lambda: "Function resource-based policy: 20 KB" and "Function environment variables: 4 KB,
# for all environment variables associated with the function, in aggregate" (LAMBDA_QUOTAS).
FUNCTION_POLICY_BYTES = 20 * 1024
ENVIRONMENT_BYTES = 4 * 1024
# CloudWatch Logs: "Each log group can have up to two subscription filters associated with it"
# (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
# API_PutSubscriptionFilter.html).
SUBSCRIPTION_FILTERS_PER_GROUP = 2

# Physical name lengths, per resource type: (input argument, limit, source).
NAME_LIMITS: dict[str, tuple[str, int, str]] = {
    # "Function name - my-function ... If you specify only the function name, it is limited to
    # 64 characters in length" (the model's 140 is for the full ARN).
    FUNCTION: (
        "name", 64, "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"),
    ROLE: ("name", 64, IAM_QUOTAS),
    IAM_POLICY: ("name", 128, IAM_QUOTAS),
    ROLE_POLICY: ("name", 128, IAM_QUOTAS),
    ALARM: (
        "name", 255,
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"),
    # "Queue names are limited to 80 characters" (the model has no max).
    QUEUE: (
        "name", 80,
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"),
    # "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers,
    # underscores, and hyphens, and must be between 1 and 256 characters long."
    TOPIC: (
        "name", 256, "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"),
    DOMAIN: (
        "domainName", 28,
        "https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html"),
    USER_POOL_DOMAIN: (
        "domain", 63,
        "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/"
        "API_CreateUserPoolDomain.html"),
    LOG_GROUP: (
        "name", 512,
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/"
        "API_CreateLogGroup.html"),
}

_WHITESPACE = re.compile(r"\s")


def iam_policy_chars(document: str) -> int:
    """A policy's size as IAM counts it: characters, white space not counted."""
    return len(_WHITESPACE.sub("", document))


def _function_policy(region: str, function: str, permissions: Iterable[dict[str, Any]]) -> int:
    """Bytes of a function's resource-based policy, as Lambda stores it (compact JSON, one
    statement per AddPermission, with SourceAccount/SourceArn as conditions)."""
    statements = []
    for p in permissions:
        condition: dict[str, Any] = {}
        if p.get("sourceAccount"):
            condition["StringEquals"] = {"AWS:SourceAccount": p["sourceAccount"]}
        if p.get("sourceArn"):
            condition["ArnLike"] = {"AWS:SourceArn": p["sourceArn"]}
        statements.append({
            "Sid": p.get("statementId") or "x" * 100,  # a generated id: the longest there is
            "Effect": "Allow",
            "Principal": {"Service": p["principal"]},
            "Action": p["action"],
            "Resource": f"arn:{PARTITION}:lambda:{region}:{ACCOUNT}:function:{function}",
            **({"Condition": condition} if condition else {}),
        })  # fmt: skip
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return len(json.dumps(policy, separators=(",", ":")).encode())


def quota_problems(run: ProgramRun) -> list[str]:
    """Every quota the registered graph breaks, each naming the resource, size and limit."""
    problems: list[str] = []
    created = [r for r in run.resources if not r.read]

    def over(what: str, size: int, limit: int, source: str) -> None:
        if size > limit:
            problems.append(f"{what}: {size:,} > {limit:,} ({source})")

    inline: dict[str, int] = defaultdict(int)
    permissions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    filters: dict[tuple[str, str], int] = defaultdict(int)
    for r in created:
        if r.typ == IAM_POLICY:
            over(f"managed policy {r.inputs['name']}", iam_policy_chars(r.inputs["policy"]),
                 MANAGED_POLICY_CHARS, IAM_QUOTAS)
        elif r.typ == ROLE_POLICY:
            inline[r.inputs["role"]] += iam_policy_chars(r.inputs["policy"])
        elif r.typ == ROLE:
            over(f"trust policy of role {r.inputs['name']}",
                 iam_policy_chars(r.inputs["assumeRolePolicy"]), ROLE_TRUST_POLICY_CHARS,
                 IAM_QUOTAS)
        elif r.typ == PERMISSION:
            permissions[(r.region or "", r.inputs["function"])].append(r.inputs)
        elif r.typ == FUNCTION:
            variables = (r.inputs.get("environment") or {}).get("variables") or {}
            size = len(json.dumps(variables, separators=(",", ":")).encode())
            over(f"environment of {r.region} function {r.inputs['name']}", size,
                 ENVIRONMENT_BYTES, LAMBDA_QUOTAS)
        elif r.typ == SUBSCRIPTION_FILTER:
            filters[(r.region or "", r.inputs["logGroup"])] += 1
        if r.typ in NAME_LIMITS:
            arg, limit, source = NAME_LIMITS[r.typ]
            over(f"{r.typ} {r.name} {arg} {r.inputs[arg]!r}", len(r.inputs[arg]), limit, source)
    for role, size in inline.items():
        over(f"inline policies of role {role}", size, ROLE_INLINE_POLICIES_CHARS, IAM_QUOTAS)
    for (region, function), granted in permissions.items():
        over(f"resource policy of {region} function {function}",
             _function_policy(region, function, granted), FUNCTION_POLICY_BYTES, LAMBDA_QUOTAS)
    for (region, group), count in filters.items():
        over(f"subscription filters on {region} {group}", count,
             SUBSCRIPTION_FILTERS_PER_GROUP, "PutSubscriptionFilter")
    return problems
