"""The daily coverage check: run the audit, log what is uncovered, publish the count.

Configured by environment (set by components/coverage_check.py):
STACK_NAME, METRIC_NAMESPACE, COLLECTED_REGIONS (comma-separated), COLLECTED_LOG_GROUPS (a JSON
list: the groups the stack subscribes in each of those regions). AWS_REGION is Lambda's own.
The alarm on the metric (UncoveredLogGroups > 0) notifies the home region's alarm topic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from contract import (
    COVERAGE_METRIC_DIMENSION,
    COVERAGE_METRIC_NAME,
    ENV_COLLECTED_LOG_GROUPS,
    ENV_COLLECTED_REGIONS,
    ENV_METRIC_NAMESPACE,
    ENV_STACK_NAME,
    METRIC_NAMESPACE,
)

from edge_coverage import audit

METRIC_NAME = COVERAGE_METRIC_NAME
DIMENSION = COVERAGE_METRIC_DIMENSION
# Regions the check could not look into (access denied, e.g. by a service control policy).
SKIPPED_METRIC_NAME = "SkippedRegions"


def collected_from_env(env: Mapping[str, str]) -> audit.Collected:
    regions = [r for r in env.get(ENV_COLLECTED_REGIONS, "").split(",") if r]
    try:
        names = json.loads(env.get(ENV_COLLECTED_LOG_GROUPS, "[]"))
    except ValueError as exc:
        raise audit.AuditError(f"{ENV_COLLECTED_LOG_GROUPS} is not JSON: {exc}") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise audit.AuditError(
            f"{ENV_COLLECTED_LOG_GROUPS} must be a JSON list of log group names"
        )
    return audit.Collected.uniform(regions, names)


def run(env: Mapping[str, str], clients: audit.ClientFactory) -> dict[str, Any]:
    home = env["AWS_REGION"]
    stack = env[ENV_STACK_NAME]
    namespace = env.get(ENV_METRIC_NAMESPACE, METRIC_NAMESPACE)
    collected = collected_from_env(env)
    regions = audit.enabled_regions(clients, home)
    outcome = audit.audit_regions(clients, collected, regions)
    reports = outcome.reports
    missing = audit.uncovered(reports)
    for report in missing:
        # One line per group, for the operator who follows the alarm to this log.
        print(json.dumps({"uncovered": report.as_dict()}))
    for region, reason in sorted(outcome.skipped.items()):
        print(json.dumps({"skipped": {"region": region, "reason": reason}}))
    dimensions = [{"Name": DIMENSION, "Value": stack}]
    clients("cloudwatch", home).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": METRIC_NAME, "Dimensions": dimensions,
             "Value": float(len(missing)), "Unit": "Count"},
            {"MetricName": SKIPPED_METRIC_NAME, "Dimensions": dimensions,
             "Value": float(len(outcome.skipped)), "Unit": "Count"},
        ],
    )  # fmt: skip
    summary = {"regions": len(regions), "groups": len(reports), "uncovered": len(missing),
               "skipped": len(outcome.skipped)}
    print(json.dumps({"summary": summary}))
    return summary


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return run(os.environ, audit.boto3_clients())
