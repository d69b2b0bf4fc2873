"""FailureQueue: where a region's forwarder sends batches it could not store after retries."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

TOKEN = "edgelogs:index:FailureQueue"

RETENTION_SECONDS = 14 * 24 * 3600  # SQS maximum: two weeks to notice the alarm and replay
# Replay receives a message, stores its events, then deletes it; 5 minutes covers a slow
# domain before the message becomes visible to a second replayer.
VISIBILITY_TIMEOUT_SECONDS = 300
# The SQS maximum (1 MiB), not the 256 KiB default: Lambda's failure record carries the whole
# original event, and a record the queue refuses is dropped (DestinationDeliveryFailures).
MAX_MESSAGE_BYTES = 1024 * 1024


@dataclass
class FailureQueueArgs:
    queue_name: pulumi.Input[str]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]


class FailureQueue(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    arn: pulumi.Output[str]
    url: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: FailureQueueArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            message_retention_seconds=RETENTION_SECONDS,
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_SECONDS,
            max_message_size=MAX_MESSAGE_BYTES,
            # SSE-SQS rather than a KMS key: Lambda's destination sender needs no kms:* grant
            # and it costs nothing.
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.name = self.queue.name
        self.register_outputs({"arn": self.arn, "url": self.url})
