"""ForwarderAlarms: a region's alarms on its forwarder and failure queue, to that region's SNS.

CloudWatch alarms can only notify a topic in their own region, hence one topic per region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

TOKEN = "edgelogs:index:ForwarderAlarms"

PERIOD_SECONDS = 300  # Lambda and SQS publish 1-minute metrics; 5 minutes smooths one blip


@dataclass(frozen=True)
class AlarmSpec:
    key: str
    namespace: str
    metric: str
    statistic: str
    description: str


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
            spec.key: aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{args.name_prefix}-{spec.key}",
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=dimensions[spec.namespace],
                statistic=spec.statistic,
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                # No data means no invocations / an idle queue: that is healthy.
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                tags=args.tags,
                opts=child,
            )
            for spec in ALARMS
        }
        self.register_outputs(
            {"topicArn": self.topic.arn, "alarms": [a.name for a in self.alarms.values()]}
        )
