"""Which log groups may invoke a region's forwarder: one grant per collected log group.

CloudWatch Logs invokes a subscribed function as `logs.<region>.amazonaws.com`, with the log
group's ARN `arn:<partition>:logs:<region>:<account>:log-group:<name>:*` as the source ARN
(the form AWS's own subscription example passes to `add-permission --source-arn`:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample).
So each grant names one group exactly, with the source account too.

Every grant is one statement in the function's resource-based policy, which Lambda limits to
20 KB ("Function resource-based policy: 20 KB",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; over it, AddPermission
fails with "The final policy size is bigger than the limit"). `policy_size` measures the
policy as Lambda stores it (compact JSON, as `get-policy` returns it:
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html). If a
region's exact grants would not fit, the kind with the most groups is folded into one grant
on the longest prefix its groups share, never broader than the kind's own prefix
(`/aws/lambda/us-east-1.` for edge functions, `/aws/cloudfront/LambdaEdge/` for
distributions), until the policy fits. Groups of no known kind always keep exact grants.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components import aws_quotas, naming

POLICY_LIMIT_BYTES = aws_quotas.LAMBDA_RESOURCE_POLICY_BYTES
# Kept free below the limit: for a statement an operator adds by hand in an emergency, and
# in case Lambda's stored form grows a little (a new condition key it adds on its own).
HEADROOM_BYTES = 1024
POLICY_BUDGET_BYTES = POLICY_LIMIT_BYTES - HEADROOM_BYTES
# Every account id is 12 digits, so a placeholder measures exactly like the real one.
_ACCOUNT_PLACEHOLDER = "0" * 12
KIND_PREFIXES: tuple[str, ...] = (
    naming.EDGE_LOG_GROUP_PREFIX,
    naming.DISTRIBUTION_LOG_GROUP_PREFIX,
)
# AddPermission StatementId: 1-100 characters of [a-zA-Z0-9-_] (botocore's lambda model, shape
# StatementId, pattern `([a-zA-Z0-9-_]+)`): no dot, although log group names have them.
_SID_MAX = 100
_NOT_IN_SID = re.compile(r"[^A-Za-z0-9_]+")


class PolicyTooLarge(pulumi.RunError):
    """Even with every kind folded into one prefix grant, the policy would not fit.

    A RunError, so Pulumi prints the message without a traceback."""


@dataclass(frozen=True)
class Grant:
    """One statement: an exact log group, or (prefix=True) every group under `pattern`."""

    pattern: str
    groups: tuple[str, ...]
    prefix: bool = False

    @property
    def key(self) -> str:
        """Stable and unique per grant: the logical-name suffix and the statement id."""
        kind = "prefix" if self.prefix else "group"
        return statement_id(f"{kind}-{self.pattern}")

    def source_arn(self, partition: str, region: str, account: str) -> str:
        tail = f"{self.pattern}*" if self.prefix else f"{self.pattern}:*"
        return f"arn:{partition}:logs:{region}:{account}:log-group:{tail}"


def statement_id(text: str) -> str:
    """A valid, unique StatementId for `text`: readable, with a hash because the slug alone
    could collide (`/`, `.`, `#` and `-` all become `-`) or be too long."""
    slug = _NOT_IN_SID.sub("-", text).strip("-")
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{slug[: _SID_MAX - 9].rstrip('-')}-{digest}"


def statement(
    grant: Grant, *, partition: str, region: str, account: str, function_name: str
) -> dict[str, Any]:
    """The statement as Lambda stores it for AddPermission with SourceArn and SourceAccount."""
    return {
        "Sid": grant.key,
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:{partition}:lambda:{region}:{account}:function:{function_name}",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": account},
            "ArnLike": {"AWS:SourceArn": grant.source_arn(partition, region, account)},
        },
    }


def policy_size(
    grants: Sequence[Grant], *, partition: str, region: str, function_name: str,
    account: str = _ACCOUNT_PLACEHOLDER,
) -> int:
    """Bytes of the whole resource-based policy these grants make, as Lambda stores it."""
    policy = {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [
            statement(g, partition=partition, region=region, account=account,
                      function_name=function_name)
            for g in grants
        ],
    }  # fmt: skip
    return len(json.dumps(policy, separators=(",", ":")).encode())


def _common_prefix(names: Sequence[str]) -> str:
    """Character-wise (a log group prefix need not end at a `/`)."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def _kind(name: str) -> str | None:
    return next((k for k in KIND_PREFIXES if name.startswith(k)), None)


def plan_grants(
    names: Sequence[str], *, partition: str, region: str, function_name: str,
    budget: int = POLICY_BUDGET_BYTES,
) -> list[Grant]:
    """Exact grants for `names`, folding whole kinds into prefixes only if needed to fit."""
    grants = [Grant(n, (n,)) for n in names]

    def size(gs: Sequence[Grant]) -> int:
        return policy_size(gs, partition=partition, region=region, function_name=function_name)

    while size(grants) > budget:
        by_kind: dict[str, list[Grant]] = {}
        for g in grants:
            kind = _kind(g.pattern)
            if not g.prefix and kind is not None:
                by_kind.setdefault(kind, []).append(g)
        foldable = {k: gs for k, gs in by_kind.items() if len(gs) > 1}
        if not foldable:
            raise PolicyTooLarge(
                f"{region}: {len(names)} log groups need a {size(grants)}-byte Lambda resource "
                f"policy even with prefix grants; Lambda allows {POLICY_LIMIT_BYTES}"
            )
        kind = max(foldable, key=lambda k: len(foldable[k]))
        members = foldable[kind]
        common = _common_prefix([g.pattern for g in members])
        folded = Grant(common, tuple(n for g in members for n in g.groups), prefix=True)
        grants = [g for g in grants if g not in members] + [folded]
    return grants


def grant_for(grants: Sequence[Grant], name: str) -> Grant:
    """The grant that lets CloudWatch Logs deliver `name`'s events."""
    return next(g for g in grants if name in g.groups)
