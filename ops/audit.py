"""Lambda@Edge log groups in every enabled region, and whether this stack collects them.

The logic is ``edge_coverage.audit`` (lambda_src), the same code the daily coverage check runs
in the home region; this module adds the operator's side: where the collected groups come from
(the stack output ``logGroups``, or ``--log-groups-json``), the table or ``--json`` output and
the exit status (ops.exit_codes): 0 all covered, 1 a group with events is not collected (or a
deploy would fail: ops/first_deploy.py), 2 a mistake.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge_coverage import audit  # boto3 is imported only when the audit runs

from ops import cli, stack, times
from ops.exit_codes import Exit

PROG = "edgelogs audit"
# An uncovered group is the audit's "no": the exit status of a search that finds nothing.
UNCOVERED = Exit.NOTHING_FOUND


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = cli.Parser(
        prog=PROG,
        description="Find Lambda@Edge log groups (/aws/lambda/us-east-1.*, "
        "/aws/cloudfront/LambdaEdge/*, the stack's custom groups) in every region enabled for "
        "the account, and say whether this stack collects each. With the stack's "
        "configuration (read through the pulumi CLI, or --config-json), also print the "
        "edgelogs:existingLogGroups entries a deploy needs and the groups with no room for a "
        "subscription filter. Exit status 1 when a group with events is not collected or a "
        "deploy would fail. " + cli.EXIT_STATUSES,
    )
    parser.add_argument(
        "--log-groups-json", metavar="JSON",
        help="what the stack collects, region -> [log group names] as JSON text or @file; "
             "default: the stack output logGroups",
    )  # fmt: skip
    parser.add_argument(
        "--log-group", action="append", default=[], metavar="NAME",
        help="also look for this custom log group in every region (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--region", action="append", default=[], metavar="REGION",
        help="audit only this region (repeatable); default: every region enabled for the "
             "account (EC2 DescribeRegions)",
    )  # fmt: skip
    parser.add_argument(
        "--home-region",
        help="where to ask EC2 for the enabled regions; default: AWS_REGION, "
             "AWS_DEFAULT_REGION, else the stack's first region",
    )  # fmt: skip
    parser.add_argument(
        "--config-json", metavar="JSON",
        help="the stack's configuration as `pulumi config --json` prints it (text or @file), "
             "to check a deploy before it runs: log groups that exist but are not in "
             "edgelogs:existingLogGroups, groups with no room for a subscription filter; "
             "default: read through the pulumi CLI",
    )  # fmt: skip
    parser.add_argument(
        "--stack", metavar="NAME",
        help="the stack's name (names its subscription filter); default: the selected stack",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    return parser.parse_args(argv)


def collected_from_text(text: str) -> audit.Collected:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise cli.UsageError(
                f"--log-groups-json: cannot read {text[1:]} ({exc.strerror})") from None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise cli.UsageError(f"--log-groups-json is not JSON ({exc})") from None
    try:
        return audit.Collected.from_mapping(value, "--log-groups-json")
    except audit.AuditError as exc:
        raise cli.UsageError(str(exc)) from None


def collected_from_stack(runner: Callable[..., Any] = subprocess.run) -> audit.Collected:
    value = stack.stack_output("logGroups", "--log-groups-json", PROG, runner)
    try:
        return audit.Collected.from_mapping(value, "stack output logGroups")
    except audit.AuditError as exc:
        raise cli.UsageError(f"{exc}; pass --log-groups-json") from None


def _home_region(args: Any, collected: audit.Collected) -> str:
    home = (args.home_region or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or min(collected.by_region, default=None))
    if not home:
        raise cli.UsageError("no region to list the enabled regions from; pass --home-region")
    return home


def _iso(ms: int | None) -> str:
    return "-" if ms is None else times.iso_ms(ms)


def table(reports: Sequence[audit.GroupReport]) -> str:
    rows = [("REGION", "LOG GROUP", "STORED BYTES", "LAST EVENT", "COLLECTED")]
    for r in reports:
        state = "yes" if r.subscribed else ("NO  <- uncovered" if r.uncovered else "no (empty)")
        rows.append((r.region, r.name, str(r.stored_bytes), _iso(r.last_event_ms), state))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row))
        for row in rows
    )


def _read_text(value: str, option: str) -> str:
    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text()
    except OSError as exc:
        raise cli.CommandError(f"{option}: cannot read {value[1:]} ({exc.strerror})") from None


def _pulumi(args: list[str], option: str, runner: Callable[..., Any]) -> str | None:
    """stdout of a pulumi CLI command; None when the CLI is not installed."""
    if shutil.which("pulumi") is None:
        return None
    result = runner(["pulumi", *args], capture_output=True, text=True)
    if result.returncode != 0:
        why = (result.stderr.strip() or "pulumi failed").splitlines()[-1]
        raise cli.CommandError(f"could not run pulumi {' '.join(args)} ({why}); pass {option}")
    return str(result.stdout)


def plan_for(args: Any, runner: Callable[..., Any]) -> Any:
    """The stack's plan from --config-json or the pulumi CLI; None when neither is there."""
    from ops import first_deploy  # the program's config code: imported only when needed

    text = (_read_text(args.config_json, "--config-json") if args.config_json
            else _pulumi(["config", "--json"], "--config-json", runner))
    if text is None:
        return None
    name = args.stack or (_pulumi(["stack", "--show-name"], "--stack", runner) or "").strip()
    if not name:
        raise cli.CommandError("no stack name; pass --stack")
    return first_deploy.plan_from_config_json(text, name)


def main(argv: Sequence[str] | None = None, clients: audit.ClientFactory | None = None,
         runner: Callable[..., Any] = subprocess.run) -> int:
    args = parse_args(argv)
    plan = plan_for(args, runner)
    deployed: dict[str, frozenset[str]] = {}
    if args.log_groups_json:
        collected = collected_from_text(args.log_groups_json)
        deployed = dict(collected.by_region)
    else:
        try:
            collected = collected_from_stack(runner)
            deployed = dict(collected.by_region)
        except stack.StackOutputError:
            if plan is None:
                raise
            # Not deployed yet: what the configuration will collect.
            collected = audit.Collected.uniform(plan.regions, plan.groups)
    clients = clients or audit.boto3_clients()
    regions = args.region or audit.enabled_regions(clients, _home_region(args, collected))
    outcome = audit.audit_regions(clients, collected, regions, args.log_group)
    reports = outcome.reports
    missing = audit.uncovered(reports)
    findings = None
    if plan is not None:
        from ops import first_deploy

        findings = first_deploy.check(clients, plan, deployed)
    if args.json:
        print(json.dumps({"regions": list(regions), "groups": [r.as_dict() for r in reports],
                          "uncovered": len(missing), "skippedRegions": outcome.skipped,
                          **({"firstDeploy": findings.as_dict()} if findings else {})},
                         indent=2))
    else:
        if reports:
            print(table(reports))
        print(f"audit: regions={len(regions)} groups={len(reports)} uncovered={len(missing)}")
        for region, reason in sorted(outcome.skipped.items()):
            print(f"audit: {region} skipped: {reason}")
        outside = sorted({r.region for r in missing} - set(collected.by_region))
        if outside:
            print(f"audit: logs in regions this stack does not collect: {', '.join(outside)} "
                  "(add them to edgelogs:regions)")
        if findings is not None:
            from ops import first_deploy

            for line in first_deploy.report(findings, plan.stack):
                print(line)
    return UNCOVERED if missing or (findings and findings.problems) else Exit.OK
