"""Alarms: the one spec type every alarm of the stack is built from (AlarmSpec, metric_alarm),
the alarm topic, and ForwarderAlarms: a region's alarms on its forwarder and failure queue, to
that region's SNS topic.

CloudWatch alarms can only notify a topic in their own region, hence one topic per region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

TOKEN = "edgelogs:index:ForwarderAlarms"

PERIOD_SECONDS = 300  # Lambda and SQS publish 1-minute metrics; 5 minutes smooths one blip


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm, whichever component owns it: what it watches, when it fires, and
    what it tells the person it wakes. The defaults are the forwarder alarms': any data point
    above 0 in one 5-minute period, no data being healthy, OK sent as well as ALARM."""

    key: str  # the resource's name suffix: <component name>-<key>
    namespace: str
    metric: str
    statistic: str
    description: str
    period: int = PERIOD_SECONDS
    evaluation_periods: int = 1
    comparison: str = "GreaterThanThreshold"
    threshold: float = 0
    missing_data: str = "notBreaching"
    notify_ok: bool = True  # False: only ALARM notifies the topic
    name: str = ""  # the alarm's name suffix, <resource prefix>-<name>; "" means the key


def metric_alarm(
    component: str, spec: AlarmSpec, *, name_prefix: str,
    dimensions: Mapping[str, pulumi.Input[str]], topic_arn: pulumi.Input[str],
    tags: pulumi.Input[dict[str, str]], opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """The one way every alarm of the stack is made from its spec."""
    return aws.cloudwatch.MetricAlarm(
        f"{component}-{spec.key}",
        name=f"{name_prefix}-{spec.name or spec.key}",
        alarm_description=spec.description,
        namespace=spec.namespace,
        metric_name=spec.metric,
        dimensions=dict(dimensions),
        statistic=spec.statistic,
        period=spec.period,
        evaluation_periods=spec.evaluation_periods,
        comparison_operator=spec.comparison,
        threshold=spec.threshold,
        treat_missing_data=spec.missing_data,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn] if spec.notify_ok else None,
        tags=tags,
        opts=opts,
    )


# No data means no invocations / an idle queue: that is healthy (the defaults above).
ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        "errors", "AWS/Lambda", "Errors", "Sum",
        "The forwarder failed invocations: Lambda retries twice, then the batch goes to the "
        "failure queue. Check the forwarder's log group for the cause.",
    ),
    AlarmSpec(
        "throttles", "AWS/Lambda", "Throttles", "Sum",
        "Every slot of the forwarder's reserved concurrency (edgelogs:forwarderConcurrency; "
        "with 0, the region's unreserved pool) was busy: throttled batches wait in Lambda's "
        "queue and are retried for up to 6 hours, "
        "then go to the failure queue. A slow domain (see the errors alarm) or a long burst.",
    ),
    # The one signal of real loss: Lambda could not put a failed batch on the failure queue
    # (queue deleted, policy changed, record too large), so the batch is gone.
    AlarmSpec(
        "delivery-failures", "AWS/Lambda", "DestinationDeliveryFailures", "Sum",
        "Lambda could not send a failed batch to the failure queue: that batch is lost. "
        "Check the queue exists and the forwarder role may send to it.",
    ),
    AlarmSpec(
        "queue-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
        "Batches are waiting in the failure queue: fix the cause, then run scripts/replay "
        "for this region before the 14-day retention expires.",
    ),
)  # fmt: skip


def alarm_topic(
    name: str, topic_name: pulumi.Input[str], alarm_email: str | None,
    tags: pulumi.Input[dict[str, str]], opts: pulumi.ResourceOptions,
) -> tuple[aws.sns.Topic, aws.sns.TopicSubscription | None]:
    """A region's alarm topic, and alarmEmail subscribed to it (each region's subscription
    sends its own confirmation mail: the README's "Reading the alarms")."""
    # No KMS key: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and
    # alarm notifications carry no log content.
    topic = aws.sns.Topic(f"{name}-topic", name=topic_name, tags=tags, opts=opts)
    subscription = None
    if alarm_email:
        subscription = aws.sns.TopicSubscription(
            f"{name}-email", topic=topic.arn, protocol="email", endpoint=alarm_email, opts=opts
        )
    return topic, subscription


def topic_unless_given(
    name: str, existing_arn: pulumi.Input[str] | None, topic_name: pulumi.Input[str],
    alarm_email: str | None, tags: pulumi.Input[dict[str, str]], opts: pulumi.ResourceOptions,
) -> tuple[pulumi.Output[str], aws.sns.Topic | None, aws.sns.TopicSubscription | None]:
    """The home region's alarm topic: the one given (another component's), else a new one
    (alarm_topic). Returns its ARN, and the topic and subscription made here, if any."""
    if existing_arn is not None:
        return pulumi.Output.from_input(existing_arn), None, None
    topic, subscription = alarm_topic(name, topic_name, alarm_email, tags, opts)
    return topic.arn, topic, subscription


@dataclass
class ForwarderAlarmsArgs:
    name_prefix: str
    topic_name: pulumi.Input[str]
    function_name: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    alarm_email: str | None
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]


class ForwarderAlarms(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    subscription: aws.sns.TopicSubscription | None

    def __init__(
        self, name: str, args: ForwarderAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        self.topic, self.subscription = alarm_topic(
            name, args.topic_name, args.alarm_email, args.tags, child
        )

        dimensions = {
            "AWS/Lambda": {"FunctionName": args.function_name},
            "AWS/SQS": {"QueueName": args.queue_name},
        }
        self.alarms = {
            spec.key: metric_alarm(
                name, spec, name_prefix=args.name_prefix, dimensions=dimensions[spec.namespace],
                topic_arn=self.topic.arn, tags=args.tags, opts=child,
            )
            for spec in ALARMS
        }  # fmt: skip
        self.register_outputs(
            {"topicArn": self.topic.arn, "alarms": [a.name for a in self.alarms.values()]}
        )
