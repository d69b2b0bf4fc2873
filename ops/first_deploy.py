"""What `pulumi up` would trip over in the account as it is: checked before the deploy.

Two things only AWS knows, read with the same clients as the audit:
- a log group the stack would create that already exists (any region that has served the
  function's traffic has it): CreateLogGroup then fails with ResourceAlreadyExistsException
  mid-deploy, unless the group is in `edgelogs:existingLogGroups`. The audit prints the
  complete map to set, the entries already there included;
- a group that already has two subscription filters of other owners: "Each log group can
  have up to two subscription filters associated with it"
  (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
  API_PutSubscriptionFilter.html), so this stack's filter cannot be added.

The plan (regions, groups, existingLogGroups) comes from the stack's configuration as
`pulumi config --json` prints it, parsed by the program's own config code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import config, naming
from ops import cli

SUBSCRIPTION_FILTERS_PER_GROUP = 2
_PREFIX = f"{config.NAMESPACE}:"


@dataclass(frozen=True)
class Plan:
    """What the stack's configuration will collect, and what it already adopts."""

    stack: str
    regions: tuple[str, ...]
    groups: tuple[str, ...]
    existing: Mapping[str, tuple[str, ...]]

    @property
    def filter_name(self) -> str:
        return naming.subscription_filter_name(self.stack)


def plan_from_config_json(text: str, stack: str) -> Plan:
    """The plan from `pulumi config --json` output ({key: {"value": text, ...}})."""
    try:
        entries = json.loads(text)
    except ValueError as exc:
        raise cli.CommandError(f"--config-json is not JSON ({exc})") from None
    if not isinstance(entries, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in entries.values()):
        raise cli.CommandError(
            "--config-json must be what `pulumi config --json` prints: "
            '{"<key>": {"value": "<text>"}, ...}')
    # A secret prints as "[secret]" unless --show-secrets; none of the keys the plan needs is
    # one, so secret entries are left out rather than misread.
    raw = {k[len(_PREFIX):]: v["value"] for k, v in entries.items()
           if k.startswith(_PREFIX) and not v.get("secret")}
    aws_region = entries.get("aws:region", {}).get("value")
    try:
        parsed = config.parse_config(raw, stack=stack, aws_region=aws_region)
    except config.ConfigError as exc:
        # One line: the first problem (the program itself lists them all).
        problems = [ln.strip() for ln in str(exc).splitlines()[1:]]
        raise cli.UsageError(f"the stack's configuration is invalid: {problems[0]}") from None
    return Plan(stack, parsed.regions, parsed.log_group_names(),
                {r: tuple(g) for r, g in parsed.existing_log_groups.items()})


@dataclass(frozen=True)
class Findings:
    # region -> groups that exist, will be collected, and neither the stack's deployment nor
    # existingLogGroups accounts for
    to_adopt: Mapping[str, tuple[str, ...]]
    # (region, group, names of the other filters) for groups with no room for this stack's
    full: tuple[tuple[str, str, tuple[str, ...]], ...]
    existing_log_groups: Mapping[str, list[str]]  # the complete map to set

    @property
    def problems(self) -> int:
        return sum(len(g) for g in self.to_adopt.values()) + len(self.full)

    def as_dict(self) -> dict[str, Any]:
        return {
            "missingExistingLogGroups": {r: list(g) for r, g in self.to_adopt.items()},
            "existingLogGroups": self.existing_log_groups,
            "fullSubscriptionFilters": [
                {"region": r, "logGroup": g, "filters": list(f)} for r, g, f in self.full],
        }


def _groups_present(logs: Any, names: Sequence[str]) -> set[str]:
    """Which of `names` exist in this region (one prefix listing per name, exact match)."""
    present = set()
    paginator = logs.get_paginator("describe_log_groups")
    for name in names:
        for page in paginator.paginate(logGroupNamePrefix=name):
            if any(g["logGroupName"] == name for g in page.get("logGroups", [])):
                present.add(name)
                break
    return present


def check(clients: Any, plan: Plan, deployed: Mapping[str, Sequence[str]]) -> Findings:
    """`deployed`: region -> groups the stack already collects (its output logGroups; empty
    before the first deploy). Those, and existingLogGroups, need nothing more."""
    to_adopt: dict[str, tuple[str, ...]] = {}
    full: list[tuple[str, str, tuple[str, ...]]] = []
    for region in plan.regions:
        logs = clients("logs", region)
        present = _groups_present(logs, plan.groups)
        known = set(plan.existing.get(region, ())) | set(deployed.get(region, ()))
        missing = tuple(g for g in plan.groups if g in present and g not in known)
        if missing:
            to_adopt[region] = missing
        for group in (g for g in plan.groups if g in present):
            filters = logs.describe_subscription_filters(logGroupName=group).get(
                "subscriptionFilters", [])
            others = tuple(sorted(f["filterName"] for f in filters
                                  if f["filterName"] != plan.filter_name))
            if len(others) >= SUBSCRIPTION_FILTERS_PER_GROUP:
                full.append((region, group, others))
    merged = {r: list(plan.existing.get(r, ())) + [g for g in to_adopt.get(r, ())
                                                   if g not in plan.existing.get(r, ())]
              for r in plan.regions if plan.existing.get(r) or to_adopt.get(r)}
    return Findings(to_adopt, tuple(full), merged)


def report(findings: Findings, stack: str) -> list[str]:
    """Lines for the operator: the entries ready to set or paste, and the full groups."""
    lines: list[str] = []
    count = sum(len(g) for g in findings.to_adopt.values())
    if count:
        lines += [
            f"audit: {count} log group(s) already exist that this stack would create, so "
            "`pulumi up` would fail with ResourceAlreadyExistsException. Set the whole map "
            "(entries already listed included):",
            "pulumi config set edgelogs:existingLogGroups "
            f"'{json.dumps(findings.existing_log_groups, separators=(',', ':'))}'",
            f"audit: or paste into Pulumi.{stack}.yaml, under config:",
            "  edgelogs:existingLogGroups:",
        ]
        for region, groups in findings.existing_log_groups.items():
            lines.append(f"    {region}:")
            lines += [f"      - {g}" for g in groups]
    for region, group, others in findings.full:
        lines.append(
            f"audit: {region} {group} already has {len(others)} subscription filters "
            f"({', '.join(others)}); CloudWatch Logs allows {SUBSCRIPTION_FILTERS_PER_GROUP} "
            "per log group, so this stack's cannot be added: remove one before `pulumi up`")
    return lines
