"""Role trust policies: who may assume a role the stack creates."""

from __future__ import annotations

from typing import Any


def service_trust_policy(service: str, sid: str) -> dict[str, Any]:
    """A role that only the AWS service ``service`` (a service principal) may assume."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }
