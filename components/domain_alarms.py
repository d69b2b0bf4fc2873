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

from components.alarms import AlarmSpec, metric_alarm, topic_unless_given
from components.identity import caller_identity

TOKEN = "edgelogs:index:DomainAlarms"

# AWS recommends alarming at 25% of each node's storage (the metric is in MiB, and the
# Minimum statistic is the node with the least free space), rather than its 20 GiB example.
FREE_STORAGE_FRACTION = 0.25


def free_storage_threshold_mib(volume_size_gb: int) -> float:
    """25% of one data node's EBS volume, in MiB (FreeStorageSpace's unit)."""
    return volume_size_gb * 1024 * FREE_STORAGE_FRACTION


# A running domain publishes these every minute: no data means the domain itself is not
# reporting, shown as INSUFFICIENT_DATA rather than OK.
MISSING_DATA = "missing"


def domain_alarm_specs(volume_size_gb: int) -> tuple[AlarmSpec, ...]:
    """AWS's four recommended alarms, free storage at 25% of one data node's volume."""
    # key, namespace, metric, statistic, description; period, evaluation periods, comparison,
    # threshold, missing data
    at_least = "GreaterThanOrEqualToThreshold"
    return (
        AlarmSpec(
            "domain-free-storage", "AWS/ES", "FreeStorageSpace", "Minimum",
            "A data node is down to 25% free storage. At 95% used OpenSearch blocks writes and "
            "the forwarders' batches wait in Lambda, then in the failure queues. Lower "
            "edgelogs:indexRetentionDays or raise domain.volumeSizeGb.",
            60, 1, "LessThanOrEqualToThreshold", free_storage_threshold_mib(volume_size_gb),
            MISSING_DATA,
        ),
        AlarmSpec(
            "domain-writes-blocked", "AWS/ES", "ClusterIndexWritesBlocked", "Maximum",
            "The domain is refusing writes (disk full or JVM pressure): nothing is being stored. "
            "Batches are retried, then wait in the failure queues; free space, then replay.",
            300, 1, at_least, 1, MISSING_DATA,
        ),
        AlarmSpec(
            "domain-cluster-red", "AWS/ES", "ClusterStatus.red", "Maximum",
            "At least one primary shard is unassigned: some indices cannot be written or searched.",
            60, 1, at_least, 1, MISSING_DATA,
        ),
        AlarmSpec(
            "domain-jvm-pressure", "AWS/ES", "JVMMemoryPressure", "Maximum",
            "JVM heap above 95% for 3 minutes: the domain may block writes or fail with out-of-"
            "memory errors. Use a larger instance type (domain.instanceType).",
            60, 3, at_least, 95, MISSING_DATA,
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

        self.topic_arn, self.topic, self.subscription = topic_unless_given(
            name, args.topic_arn, args.topic_name, args.alarm_email, args.tags, child
        )

        dimensions = {"DomainName": args.domain_name, "ClientId": identity.account_id}
        self.alarms = {
            spec.key: metric_alarm(
                name, spec, name_prefix=args.name_prefix, dimensions=dimensions,
                topic_arn=self.topic_arn, tags=args.tags, opts=child,
            )
            for spec in domain_alarm_specs(args.volume_size_gb)
        }  # fmt: skip
        self.register_outputs(
            {"topicArn": self.topic_arn, "alarms": [a.name for a in self.alarms.values()]}
        )
