"""Account id and partition of the deploying credentials, from invokes (never literals)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Identity:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]


def caller_identity(parent: pulumi.Resource, provider: aws.Provider) -> Identity:
    opts = pulumi.InvokeOptions(parent=parent, provider=provider)
    return Identity(
        account_id=aws.get_caller_identity_output(opts=opts).account_id,
        partition=aws.get_partition_output(opts=opts).partition,
    )
