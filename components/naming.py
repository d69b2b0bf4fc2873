"""Physical names derived from the stack name, so every region uses the same ones.

Names are fixed (not auto-named) because the forwarder role's policy must name its own log
groups and failure queues in every region before those exist, and because an operator
looking for "the forwarder" in any region should find it under one name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import contract

DOMAIN_NAME_MAX = 28  # OpenSearch Service domain names: 3-28 chars, [a-z][a-z0-9-]*
PREFIX_MAX = 40  # leaves room for "-forwarder" (Lambda: 64) and "-failures" (SQS: 80)


def _slug(stack: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", stack.lower())).strip("-") or "stack"


def _fit(base: str, limit: int, stack: str) -> str:
    if len(base) <= limit:
        return base
    digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
    return f"{base[: limit - 7].rstrip('-')}-{digest}"


def resource_prefix(stack: str) -> str:
    return _fit(f"edgelogs-{_slug(stack)}", PREFIX_MAX, stack)


def domain_name(stack: str) -> str:
    return _fit(f"edgelogs-{_slug(stack)}", DOMAIN_NAME_MAX, stack)


def forwarder_function_name(stack: str) -> str:
    return f"{resource_prefix(stack)}-forwarder"


def failure_queue_name(stack: str) -> str:
    return f"{resource_prefix(stack)}-failures"


def alarm_topic_name(stack: str) -> str:
    return f"{resource_prefix(stack)}-alarms"


def forwarder_log_group_name(stack: str) -> str:
    return f"/aws/lambda/{forwarder_function_name(stack)}"


def domain_arn(partition: str, region: str, account_id: str, domain: str) -> str:
    """The domain's ARN, known before it exists (its name is fixed): both policies use it."""
    return f"arn:{partition}:es:{region}:{account_id}:domain/{domain}"


# Lambda@Edge replicas are named "us-east-1.<function>" wherever they run; CloudFront writes
# a distribution's Lambda@Edge errors under its id.
# (contract.py: the coverage check looks for the same names.)
EDGE_LOG_GROUP_PREFIX = contract.EDGE_LOG_GROUP_PREFIX
DISTRIBUTION_LOG_GROUP_PREFIX = contract.DISTRIBUTION_LOG_GROUP_PREFIX


def edge_log_group_name(function: str) -> str:
    return f"{EDGE_LOG_GROUP_PREFIX}{function}"


def distribution_log_group_name(distribution_id: str) -> str:
    return f"{DISTRIBUTION_LOG_GROUP_PREFIX}{distribution_id}"


def subscription_filter_name(stack: str) -> str:
    """Per stack: a log group takes only two filters, and PutSubscriptionFilter with a name
    already there replaces that filter, so two stacks on one group must never share a name."""
    return resource_prefix(stack)


def collected_log_groups(
    functions: Iterable[str],
    distribution_ids: Iterable[str],
    custom_log_groups: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The log groups collected in every region, edge functions first, each name once.

    A function in `custom_log_groups` logs to that group (Lambda's logging configuration):
    the same name in every region, no `us-east-1.` prefix, possibly shared by several
    functions, which then share one group and one subscription filter.
    """
    custom = custom_log_groups or {}
    names = [custom.get(f) or edge_log_group_name(f) for f in functions]
    names += [distribution_log_group_name(d) for d in distribution_ids]
    return tuple(dict.fromkeys(names))


def coverage_function_name(stack: str) -> str:
    return f"{resource_prefix(stack)}-coverage"


def coverage_log_group_name(stack: str) -> str:
    return f"/aws/lambda/{coverage_function_name(stack)}"


def domain_setup_function_name(stack: str) -> str:
    """The domain setup function, and its role: the domain's master user."""
    return f"{resource_prefix(stack)}-domain-setup"


@dataclass(frozen=True)
class StackNames:
    """Every physical name of one stack, in one value handed to the components.

    Built only by `for_stack`, from the functions above, so the names never drift from what
    earlier deployments created (a changed name would replace the resource).
    """

    stack: str
    resource_prefix: str  # also the alarm name prefix
    domain: str
    forwarder_function: str  # also the forwarder role's name (see __main__.py)
    forwarder_log_group: str
    failure_queue: str
    alarm_topic: str
    subscription_filter: str
    coverage_function: str  # also its role's and its schedule rule's name
    coverage_log_group: str
    operator_policy: str  # the managed policy for scripts/replay and scripts/backfill
    domain_setup_function: str  # also its role's name (the domain's master user)
    domain_setup_log_group: str

    @classmethod
    def for_stack(cls, stack: str) -> StackNames:
        return cls(
            stack=stack,
            resource_prefix=resource_prefix(stack),
            domain=domain_name(stack),
            forwarder_function=forwarder_function_name(stack),
            forwarder_log_group=forwarder_log_group_name(stack),
            failure_queue=failure_queue_name(stack),
            alarm_topic=alarm_topic_name(stack),
            subscription_filter=subscription_filter_name(stack),
            coverage_function=coverage_function_name(stack),
            coverage_log_group=coverage_log_group_name(stack),
            operator_policy=f"{resource_prefix(stack)}-operator",
            domain_setup_function=domain_setup_function_name(stack),
            domain_setup_log_group=f"/aws/lambda/{domain_setup_function_name(stack)}",
        )
