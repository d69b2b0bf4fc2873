"""Lambda entry point of the domain setup: read the stack's input, apply, log one line.

The function's role is the domain's master user (components/search_domain.py), so its signed
requests may change security, templates and ISM. A failure raises: the invocation then ends
with an error whose message is the engine's reason, and `pulumi up` fails with it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from contract import (
    INDEX_RETENTION_DAYS,
    MAX_INDEX_SHARDS,
    ROLE_KEYS,
    SETUP_ENDPOINT,
    SETUP_INDEX_PREFIX,
    SETUP_PRINCIPALS,
    SETUP_REGION,
    SETUP_REPLICAS,
    SETUP_RETENTION_DAYS,
    SETUP_SHARDS,
)

from domain_setup.http import SetupError, caller
from domain_setup.setup import Desired, apply


def parse(event: Any) -> tuple[str, str, Desired]:
    """(endpoint, region, desired state) from the invocation input; a bad key is named."""
    if not isinstance(event, dict):
        raise SetupError(f"input is a {type(event).__name__}, not a JSON object")
    for key in (SETUP_ENDPOINT, SETUP_REGION, SETUP_INDEX_PREFIX):
        if not isinstance(event.get(key), str) or not event[key]:
            raise SetupError(f"input key {key!r} must be a non-empty string")
    days = event.get(SETUP_RETENTION_DAYS)
    low, high = INDEX_RETENTION_DAYS  # the bounds the stack's indexRetentionDays has
    if not isinstance(days, int) or isinstance(days, bool) or not low <= days <= high:
        raise SetupError(f"input key {SETUP_RETENTION_DAYS!r} must be a whole number of days "
                         f"from {low} to {high}, got {days!r}")
    sizes = []
    for key, default, low, high in ((SETUP_SHARDS, 1, 1, MAX_INDEX_SHARDS),
                                    (SETUP_REPLICAS, 0, 0, 1)):
        value = event.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise SetupError(f"input key {key!r} must be an integer from {low} to {high}")
        sizes.append(value)
    principals = event.get(SETUP_PRINCIPALS, {})
    if not isinstance(principals, dict) or any(
            k not in ROLE_KEYS or not isinstance(v, list)
            or not all(isinstance(a, str) for a in v) for k, v in principals.items()):
        raise SetupError(f"input key {SETUP_PRINCIPALS!r} must map {', '.join(ROLE_KEYS)} "
                         "to lists of IAM ARNs")
    return event[SETUP_ENDPOINT], event[SETUP_REGION], Desired(
        event[SETUP_INDEX_PREFIX], days, principals, *sizes)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.monotonic()
    line: dict[str, Any] = {"msg": "edgelogs domain setup",
                            "aws_request_id": getattr(context, "aws_request_id", None)}
    try:
        endpoint, region, desired = parse(event)
        import botocore.session  # in the Lambda runtime; not bundled

        credentials = botocore.session.get_session().get_credentials()
        line["done"] = apply(caller(endpoint, region, credentials), desired)
        line["outcome"] = "ok"
        return line
    except SetupError as exc:
        line["outcome"], line["reason"] = "failed", str(exc)
        raise
    finally:
        line["ms"] = round((time.monotonic() - started) * 1000)
        sys.stdout.write(json.dumps(line, default=str) + "\n")
        sys.stdout.flush()
