"""StackNames: every physical name of a stack, exactly as the stack has always named it."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from components import naming
from components.naming import StackNames


def test_every_name_of_a_short_stack() -> None:
    assert StackNames.for_stack("Prod_EU") == StackNames(
        stack="Prod_EU",
        resource_prefix="edgelogs-prod-eu",
        domain="edgelogs-prod-eu",
        forwarder_function="edgelogs-prod-eu-forwarder",
        forwarder_log_group="/aws/lambda/edgelogs-prod-eu-forwarder",
        failure_queue="edgelogs-prod-eu-failures",
        alarm_topic="edgelogs-prod-eu-alarms",
        subscription_filter="edgelogs-prod-eu",
        coverage_function="edgelogs-prod-eu-coverage",
        coverage_log_group="/aws/lambda/edgelogs-prod-eu-coverage",
        operator_policy="edgelogs-prod-eu-operator",
        domain_setup_function="edgelogs-prod-eu-domain-setup",
        domain_setup_log_group="/aws/lambda/edgelogs-prod-eu-domain-setup",
    )


def test_long_stack_names_are_cut_with_the_hash_suffix() -> None:
    stack = "a-very-long-stack-name-for-the-european-edge"
    tail = hashlib.sha256(stack.encode()).hexdigest()[:6]
    prefix = f"edgelogs-a-very-long-stack-name-f-{tail}"  # cut to 40, hash of the stack last
    assert StackNames.for_stack(stack) == StackNames(
        stack=stack,
        resource_prefix=prefix,
        # Cut to 28, and the dash at the cut is not doubled: 27.
        domain=f"edgelogs-a-very-long-{tail}",
        forwarder_function=f"{prefix}-forwarder",
        forwarder_log_group=f"/aws/lambda/{prefix}-forwarder",
        failure_queue=f"{prefix}-failures",
        alarm_topic=f"{prefix}-alarms",
        subscription_filter=prefix,
        coverage_function=f"{prefix}-coverage",
        coverage_log_group=f"/aws/lambda/{prefix}-coverage",
        operator_policy=f"{prefix}-operator",
        domain_setup_function=f"{prefix}-domain-setup",
        domain_setup_log_group=f"/aws/lambda/{prefix}-domain-setup",
    )
    assert len(prefix) == naming.PREFIX_MAX


def test_the_longest_names_fit_their_services() -> None:
    names = StackNames.for_stack("x" * 200)
    assert len(names.domain) <= naming.DOMAIN_NAME_MAX
    # Lambda function and IAM role names: at most 64; SQS queue names: at most 80.
    assert max(len(names.forwarder_function), len(names.coverage_function)) <= 64
    assert len(names.failure_queue) <= 80


@pytest.mark.parametrize("stack", ["dev", "x" * 60 + "-one", "---"])
def test_stack_names_agree_with_the_naming_functions(stack: str) -> None:
    """The functions stay the one rule (other components and tests call them)."""
    names = StackNames.for_stack(stack)
    assert (names.forwarder_function, names.forwarder_log_group, names.failure_queue) == (
        naming.forwarder_function_name(stack),
        naming.forwarder_log_group_name(stack),
        naming.failure_queue_name(stack),
    )
    assert names.domain == naming.domain_name(stack)


def test_stack_names_are_frozen() -> None:
    names = StackNames.for_stack("dev")
    with pytest.raises(dataclasses.FrozenInstanceError):
        names.domain = "other"  # type: ignore[misc]
