"""AWS's documented size quotas that the deploy side must stay within, each with its source.

Pulumi's mocks enforce none of them; tests/deploy/aws_quotas.py checks the whole registered
graph against the same numbers, written out there independently.
"""

from __future__ import annotations

import json
import re

IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
# "Managed policy size: 6,144 characters"; "IAM doesn't count white space when calculating the
# size of a policy against these quotas" (IAM_QUOTAS). Over it, CreatePolicy fails with
# LimitExceeded.
IAM_MANAGED_POLICY_CHARS = 6144
# "Function resource-based policy: 20 KB" (https://docs.aws.amazon.com/lambda/latest/dg/
# gettingstarted-limits.html); over it, AddPermission fails with "The final policy size is
# bigger than the limit".
LAMBDA_RESOURCE_POLICY_BYTES = 20 * 1024
# "Function environment variables: 4 KB, for all environment variables associated with the
# function, in aggregate" (same page). Measured here as the variables' compact JSON.
LAMBDA_ENVIRONMENT_BYTES = 4 * 1024

_WHITESPACE = re.compile(r"\s")


def environment_bytes(variables: dict[str, str]) -> int:
    """A function's environment as counted against LAMBDA_ENVIRONMENT_BYTES."""
    return len(json.dumps(variables, separators=(",", ":")).encode())


def iam_policy_chars(document: str) -> int:
    """A policy's size as IAM counts it against its quotas: characters, white space not
    counted."""
    return len(_WHITESPACE.sub("", document))
