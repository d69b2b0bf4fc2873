"""DomainAlarms: the search domain's health alarms, in the home region, to an SNS topic there.

The alarms and thresholds are AWS's recommended ones for OpenSearch Service
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html),
on the domain's `AWS/ES` metrics (dimensions DomainName and ClientId = the account id). A
CloudWatch alarm can only notify a topic in its own region: the home region's forwarder topic
when the home region collects too, else a topic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import alarm_topic
from components.identity import caller_identity

TOKEN = "edgelogs:index:DomainAlarms"

# AWS recommends alarming at 25% of each node's storage (the metric is in MiB, and the
# Minimum statistic is the node with the least free space), rather than its 20 GiB example.
FREE_STORAGE_FRACTION = 0.25


def free_storage_threshold_mib(volume_size_gb: int) -> float:
    """25% of one data node's EBS volume, in MiB (FreeStorageSpace's unit)."""
    return volume_size_gb * 1024 * FREE_STORAGE_FRACTION


@dataclass(frozen=True)
class DomainAlarmSpec:
    key: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    comparison: str
    threshold: float | None  # None: derived from the volume (free storage)
    description: str


DOMAIN_ALARMS: tuple[DomainAlarmSpec, ...] = (
    DomainAlarmSpec(
        "domain-free-storage", "FreeStorageSpace", "Minimum", 60, 1,
        "LessThanOrEqualToThreshold", None,
        "A data node is down to 25% free storage. At 95% used OpenSearch blocks writes and the "
        "forwarders' batches wait in Lambda, then in the failure queues. Lower "
        "edgelogs:indexRetentionDays or raise domain.volumeSizeGb.",
    ),
    DomainAlarmSpec(
        "domain-writes-blocked", "ClusterIndexWritesBlocked", "Maximum", 300, 1,
        "GreaterThanOrEqualToThreshold", 1,
        "The domain is refusing writes (disk full or JVM pressure): nothing is being stored. "
        "Batches are retried, then wait in the failure queues; free space, then replay.",
    ),
    DomainAlarmSpec(
        "domain-cluster-red", "ClusterStatus.red", "Maximum", 60, 1,
        "GreaterThanOrEqualToThreshold", 1,
        "At least one primary shard is unassigned: some indices cannot be written or searched.",
    ),
    DomainAlarmSpec(
        "domain-jvm-pressure", "JVMMemoryPressure", "Maximum", 60, 3,
        "GreaterThanOrEqualToThreshold", 95,
        "JVM heap above 95% for 3 minutes: the domain may block writes or fail with out-of-"
        "memory errors. Use a larger instance type (domain.instanceType).",
    ),
)  # fmt: skip


@dataclass
class DomainAlarmsArgs:
    name_prefix: str
    domain_name: pulumi.Input[str]
    volume_size_gb: int
    topic_arn: pulumi.Input[str] | None  # an existing topic in this region, or None to create
    topic_name: str  # used only when creating
    alarm_email: str | None
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]


class DomainAlarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    topic: aws.sns.Topic | None
    subscription: aws.sns.TopicSubscription | None
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: DomainAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        identity = caller_identity(self, args.provider)

        self.topic = None
        self.subscription = None
        if args.topic_arn is None:
            self.topic, self.subscription = alarm_topic(
                name, args.topic_name, args.alarm_email, args.tags, child
            )
            self.topic_arn = self.topic.arn
        else:
            self.topic_arn = pulumi.Output.from_input(args.topic_arn)

        dimensions = {"DomainName": args.domain_name, "ClientId": identity.account_id}
        self.alarms = {}
        for spec in DOMAIN_ALARMS:
            threshold = (
                free_storage_threshold_mib(args.volume_size_gb)
                if spec.threshold is None
                else spec.threshold
            )
            self.alarms[spec.key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{args.name_prefix}-{spec.key}",
                alarm_description=spec.description,
                namespace="AWS/ES",
                metric_name=spec.metric,
                dimensions=dimensions,
                statistic=spec.statistic,
                period=spec.period,
                evaluation_periods=spec.evaluation_periods,
                comparison_operator=spec.comparison,
                threshold=threshold,
                # A running domain publishes these every minute: no data means the domain
                # itself is not reporting, shown as INSUFFICIENT_DATA rather than OK.
                treat_missing_data="missing",
                alarm_actions=[self.topic_arn],
                ok_actions=[self.topic_arn],
                tags=args.tags,
                opts=child,
            )
        self.register_outputs(
            {"topicArn": self.topic_arn, "alarms": [a.name for a in self.alarms.values()]}
        )
