"""CoverageCheck: a daily audit in the home region, with an alarm on uncovered edge log groups.

A small Lambda (lambda_src/edge_coverage, the same audit code as scripts/audit) runs once a day
on an EventBridge schedule, looks for Lambda@Edge log groups in every region enabled for the
account, and publishes how many hold events this stack does not collect (metric
edgelogs/UncoveredLogGroups, dimension Stack). An alarm on that metric (> 0) notifies the home
region's alarm topic; a second one fires when the check itself fails.

The function's zip (bundler.build("edge_coverage")) holds only edge_coverage/ and the
contract module it imports: the runtime provides boto3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import contract
import pulumi
import pulumi_aws as aws

from components import aws_quotas
from components.alarms import AlarmSpec, metric_alarm, topic_unless_given
from components.function_code import FunctionCode
from components.identity import caller_identity
from components.logged_function import FunctionSpec, create_logged_function
from components.naming import StackNames

TOKEN = "edgelogs:index:CoverageCheck"

PACKAGE = "edge_coverage"
HANDLER = f"{PACKAGE}.handler.lambda_handler"
# What edge_coverage/handler.py publishes (contract.py defines it for both sides).
METRIC_NAMESPACE = contract.METRIC_NAMESPACE
METRIC_NAME = contract.COVERAGE_METRIC_NAME
METRIC_DIMENSION = contract.COVERAGE_METRIC_DIMENSION
SCHEDULE = "rate(1 day)"
# A few List calls per enabled region (about 30), sequential per region, 8 regions at once.
TIMEOUT_SECONDS = 300
MEMORY_MB = 256
# One data point a day: the alarm looks at one day, so a finding stays in ALARM until the next
# run says otherwise. No data (the check did not run) is not a finding; the errors alarm is.
# PutMetricAlarm allows Period x EvaluationPeriods up to 7 days for periods of an hour or more
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
ALARM_PERIOD_SECONDS = 86400
# A day without a data point keeps the alarm's state ("ignore: The current alarm state is
# maintained", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
# AlarmThatSendsEmail.html#alarms-and-missing-data): notBreaching would move ALARM to OK and
# send an OK mail saying the uncovered groups were fixed when the check simply did not run.
UNCOVERED_MISSING_DATA = "ignore"
EDGE_LOG_GROUP_PREFIXES: tuple[str, ...] = contract.EDGE_LOG_GROUP_PREFIXES

UNCOVERED_ALARM = AlarmSpec(
    "uncovered", METRIC_NAMESPACE, METRIC_NAME, "Maximum",
    "Lambda@Edge log groups with events that this stack does not collect. The "
    "coverage check's log lists them; run scripts/audit, then add the region to "
    "edgelogs:regions or the function to edgelogs:edgeFunctions.",
    period=ALARM_PERIOD_SECONDS, missing_data=UNCOVERED_MISSING_DATA,
    name="uncovered-log-groups",
)
# Only ALARM notifies: a failed run is the news, not the next one that succeeds.
ERRORS_ALARM = AlarmSpec(
    "errors", "AWS/Lambda", "Errors", "Sum",
    "The daily coverage check failed, so uncovered log groups would go unnoticed. "
    "Check its log group.",
    period=ALARM_PERIOD_SECONDS, notify_ok=False, name="coverage-check-errors",
)


def permissions_policy(
    *, partition: str, account_id: str, home_region: str, log_group_name: str,
    custom_log_groups: Sequence[str],
) -> dict[str, Any]:
    """Least privilege for the audit, with resource-level limits wherever AWS has them.

    Per the Service Authorization Reference: logs:DescribeLogGroups and ec2:DescribeRegions
    have no resource type (Resource must be "*"); logs:DescribeLogStreams acts on log-group*
    (https://docs.aws.amazon.com/service-authorization/latest/reference/
    list_amazoncloudwatchlogs.html); cloudwatch:PutMetricData has none but takes the
    cloudwatch:namespace condition key (https://docs.aws.amazon.com/AmazonCloudWatch/latest/
    monitoring/iam-cw-condition-keys-namespace.html). The audit covers every enabled region,
    hence the region wildcard in the log-group ARNs (account fixed).
    """
    groups = f"arn:{partition}:logs:*:{account_id}:log-group:"
    stream_groups = [groups + p + "*" for p in EDGE_LOG_GROUP_PREFIXES]
    for name in custom_log_groups:
        stream_groups += [groups + name, groups + name + ":*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListEnabledRegions", "Effect": "Allow",
             "Action": ["ec2:DescribeRegions"], "Resource": "*"},
            {"Sid": "ListLogGroups", "Effect": "Allow",
             "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
            {"Sid": "ReadEdgeLogGroupStreams", "Effect": "Allow",
             "Action": ["logs:DescribeLogStreams"], "Resource": stream_groups},
            {"Sid": "PublishCoverageMetric", "Effect": "Allow",
             "Action": ["cloudwatch:PutMetricData"], "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}}},
            {"Sid": "WriteOwnLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [f"arn:{partition}:logs:{home_region}:{account_id}:log-group:"
                          f"{log_group_name}:*"]},
        ],
    }  # fmt: skip


def custom_groups(names: Sequence[str]) -> list[str]:
    return [n for n in names if not n.startswith(EDGE_LOG_GROUP_PREFIXES)]


class EnvironmentTooLarge(pulumi.RunError):
    """The collected groups do not fit the function's environment. A RunError, so Pulumi
    prints the message without a traceback."""


def environment(args: CoverageCheckArgs) -> dict[str, str]:
    """The function's environment: every collected group is listed, so it grows with them;
    refused here, before the deploy, when Lambda would refuse it (4 KB)."""
    variables = {
        contract.ENV_STACK_NAME: args.names.stack,
        contract.ENV_METRIC_NAMESPACE: METRIC_NAMESPACE,
        contract.ENV_COLLECTED_REGIONS: ",".join(args.collected_regions),
        contract.ENV_COLLECTED_LOG_GROUPS: json.dumps(list(args.collected_log_groups)),
    }
    size = aws_quotas.environment_bytes(variables)
    if size > aws_quotas.LAMBDA_ENVIRONMENT_BYTES:
        raise EnvironmentTooLarge(
            f"edgelogs:coverageCheck: the coverage check's environment would be {size:,} bytes "
            f"for {len(args.collected_log_groups)} log groups; Lambda allows "
            f"{aws_quotas.LAMBDA_ENVIRONMENT_BYTES:,} (https://docs.aws.amazon.com/lambda/latest/"
            "dg/gettingstarted-limits.html): set edgelogs:coverageCheck false, or collect fewer "
            "log groups"
        )
    return variables


@dataclass
class CoverageCheckArgs:
    names: StackNames
    home_region: str
    collected_regions: Sequence[str]
    collected_log_groups: Sequence[str]
    code: FunctionCode
    log_retention_days: pulumi.Input[int]
    # The home region's alarm topic (the home forwarder's, or DomainAlarms'); None: no such
    # topic (no domain, home region not collected), the check makes its own.
    alarm_topic_arn: pulumi.Input[str] | None
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    topic_name: str = ""  # used only when creating
    alarm_email: str | None = None


class CoverageCheck(pulumi.ComponentResource):
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    function: aws.lambda_.Function
    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    permission: aws.lambda_.Permission
    topic_arn: pulumi.Output[str]
    topic: aws.sns.Topic | None
    alarm: aws.cloudwatch.MetricAlarm
    errors_alarm: aws.cloudwatch.MetricAlarm

    def __init__(
        self, name: str, args: CoverageCheckArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        self._create_function(name, args)
        self._create_schedule(name, args, child)
        self._create_alarms(name, args, child)
        self.register_outputs({
            "functionArn": self.function.arn,
            "alarmName": self.alarm.name,
            "topicArn": self.topic_arn,
        })  # fmt: skip

    def _create_function(self, name: str, args: CoverageCheckArgs) -> None:
        """The audit function, with its log group and least-privilege role."""
        names = args.names
        customs = custom_groups(args.collected_log_groups)
        made = create_logged_function(
            self, name,
            FunctionSpec(
                function_name=names.coverage_function,
                log_group_name=names.coverage_log_group,
                description="edgelogs: daily audit of Lambda@Edge log groups this stack misses",
                role_description=(
                    "edgelogs coverage check: lists edge log groups, publishes one metric"),
                policy_name="edgelogs-coverage",
                handler=HANDLER, timeout_seconds=TIMEOUT_SECONDS, memory_mb=MEMORY_MB,
            ),
            code=args.code,
            policy=lambda partition, account_id: permissions_policy(
                partition=partition, account_id=account_id, home_region=args.home_region,
                log_group_name=names.coverage_log_group, custom_log_groups=customs),
            identity=caller_identity(self, args.provider),
            log_retention_days=args.log_retention_days, provider=args.provider,
            tags=args.tags, environment=environment(args),
        )  # fmt: skip
        self.log_group, self.role, self.policy = made.log_group, made.role, made.policy
        self.function = made.function

    def _create_schedule(
        self, name: str, args: CoverageCheckArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The daily EventBridge rule that runs the function, and its leave to invoke it."""
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=args.names.coverage_function,
            description="edgelogs: run the coverage check once a day",
            schedule_expression=SCHEDULE,
            tags=args.tags,
            opts=child,
        )
        self.permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            opts=child,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            arn=self.function.arn,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[self.permission]
            ),
        )

    def _create_alarms(
        self, name: str, args: CoverageCheckArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The alarms on the metric and on the check's own failures, and their topic."""
        self.topic_arn, self.topic, _ = topic_unless_given(
            name, args.alarm_topic_arn, args.topic_name, args.alarm_email, args.tags, child
        )
        alarm_args = {"name_prefix": args.names.resource_prefix, "topic_arn": self.topic_arn,
                      "tags": args.tags, "opts": child}
        self.alarm = metric_alarm(
            name, UNCOVERED_ALARM, dimensions={METRIC_DIMENSION: args.names.stack},
            **alarm_args)
        self.errors_alarm = metric_alarm(
            name, ERRORS_ALARM, dimensions={"FunctionName": self.function.name}, **alarm_args)
