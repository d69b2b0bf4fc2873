"""RegionalForwarder: everything one region needs to ship its Lambda@Edge logs to the domain.

Built with that region's explicit provider: the forwarder function (with reserved concurrency)
and its log group, the permissions for CloudWatch Logs to invoke it (one per collected log
group, see invoke_permissions.py), the async invoke config with its failure queue,
the alarms, and for each edge function / distribution the log group (created, or an existing
one referenced) and its subscription filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import contract
import pulumi
import pulumi_aws as aws

from components import aws_catalog, config, invoke_permissions
from components.alarms import ForwarderAlarms, ForwarderAlarmsArgs
from components.failure_queue import FailureQueue, FailureQueueArgs
from components.function_code import FunctionCode
from components.identity import Identity, caller_identity
from components.naming import StackNames

TOKEN = "edgelogs:index:RegionalForwarder"

HANDLER = "forwarder.handler.lambda_handler"
# Long enough for the forwarder's own backoff to ride out a short domain hiccup (a node
# restart, a 429 burst) before failing the invocation over to Lambda's retries; short enough
# that a dead domain does not pin concurrency for the full 15 minutes.
TIMEOUT_SECONDS = 120
# Decompressing a CloudWatch Logs batch (up to 1 MB gzip) and building the bulk bodies needs
# well under 128 MB; 256 MB buys the proportional CPU that keeps TLS and JSON work fast.
MEMORY_MB = 256
# Lambda's own default, set on purpose: two retries, then the failure destination.
MAX_RETRY_ATTEMPTS = 2
# The longest Lambda allows (6 h): a throttled batch (every reserved slot busy) is retried
# with backoff until this age, without using up the two retries, before it goes to the queue
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
MAX_EVENT_AGE_SECONDS = 6 * 3600


@dataclass
class LogSource:
    """A log group to collect: created here, or (existing=True) referenced by name."""

    name: str
    existing: bool = False


@dataclass
class RegionalForwarderArgs:
    region: str
    provider: aws.Provider
    names: StackNames  # the same physical names in every region
    role_arn: pulumi.Input[str]
    code: FunctionCode
    search_endpoint: pulumi.Input[str] | None  # None: no opensearch destination
    search_region: str  # the domain's region: what the forwarder signs for
    index_prefix: pulumi.Input[str]
    sources: Sequence[LogSource]
    log_retention_days: pulumi.Input[int]
    filter_pattern: pulumi.Input[str]
    alarm_email: str | None
    tags: pulumi.Input[dict[str, str]]
    # Caps the forwarder so it never starves Lambda@Edge (see config.FORWARDER_CONCURRENCY);
    # 0: no reservation at all.
    reserved_concurrency: int = config.DEFAULT_FORWARDER_CONCURRENCY
    # edgelogs:redact / edgelogs:exclude as JSON (config.EdgelogsConfig.redact_json ...).
    redact_json: str = "[]"
    exclude_json: str = "[]"
    # The http and syslog destinations (config.other_destinations), none by default.
    destinations: Sequence[Mapping[str, Any]] = ()


def forwarder_environment(args: RegionalForwarderArgs) -> dict[str, pulumi.Input[str]]:
    """Only what the forwarder's destinations need: the domain's variables when there is one,
    DESTINATIONS (no secrets, only their ARNs) when there are others."""
    variables: dict[str, pulumi.Input[str]] = {}
    if args.search_endpoint is not None:
        variables.update({
            contract.ENV_ENDPOINT: args.search_endpoint,
            # Signed for the domain's region, not this one: the service refuses any other
            # credential scope (forwarder/settings.py reads it).
            contract.ENV_DOMAIN_REGION: args.search_region,
            contract.ENV_SERVICE: contract.DEFAULT_SERVICE,
            contract.ENV_INDEX_PREFIX: args.index_prefix,
        })
    # REDACT / EXCLUDE only when there are rules (checked at preview by the rule the
    # forwarder checks them with; unset means none).
    if args.redact_json != "[]":
        variables[contract.ENV_REDACT] = args.redact_json
    if args.exclude_json != "[]":
        variables[contract.ENV_EXCLUDE] = args.exclude_json
    if args.destinations:
        variables[contract.ENV_DESTINATIONS] = json.dumps(
            [dict(d) for d in args.destinations], separators=(",", ":"), sort_keys=True)
    return variables


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


class RegionalForwarder(pulumi.ComponentResource):
    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup
    permissions: dict[str, aws.lambda_.Permission]  # by grant key
    grants: list[invoke_permissions.Grant]
    invoke_config: aws.lambda_.FunctionEventInvokeConfig
    failure_queue: FailureQueue
    alarms: ForwarderAlarms
    source_log_groups: dict[str, aws.cloudwatch.LogGroup]
    subscriptions: dict[str, aws.cloudwatch.LogSubscriptionFilter]
    log_group_names: list[str]

    def __init__(
        self, name: str, args: RegionalForwarderArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        identity = caller_identity(self, args.provider)
        self.log_group_names = [s.name for s in args.sources]

        self._create_function(args, child)
        self._create_invoke_permissions(args, identity, child)
        self._create_sources(args, child)
        self._create_alarms(args)
        self.register_outputs(
            {
                "functionArn": self.function.arn,
                "failureQueueUrl": self.failure_queue.url,
                "alarmTopicArn": self.alarms.topic.arn,
                "logGroups": self.log_group_names,
            }
        )

    def _create_function(self, args: RegionalForwarderArgs, child: pulumi.ResourceOptions) -> None:
        """The forwarder, its log group, and its async config with the failure queue."""
        r = args.region
        names = args.names
        # Created before the function so Lambda never creates it first without retention.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{r}-forwarder-logs",
            name=names.forwarder_log_group,
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.failure_queue = FailureQueue(
            f"{r}-failures",
            FailureQueueArgs(
                queue_name=names.failure_queue, provider=args.provider, tags=args.tags
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = aws.lambda_.Function(
            f"{r}-forwarder",
            name=names.forwarder_function,
            description="edgelogs: ships this region's Lambda@Edge logs to their destinations",
            role=args.role_arn,
            handler=HANDLER,
            **args.code.function_args(),
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            # 0 (no reservation) is sent as the provider's -1, which removes a reservation
            # an earlier `pulumi up` made; a literal 0 would stop the function.
            reserved_concurrent_executions=args.reserved_concurrency or config.NO_RESERVATION,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=forwarder_environment(args)),
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[self.log_group]
            ),
        )
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{r}-async",
            function_name=self.function.name,
            maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.failure_queue.arn
                )
            ),
            opts=child,
        )

    def _create_invoke_permissions(
        self, args: RegionalForwarderArgs, identity: Identity, child: pulumi.ResourceOptions
    ) -> None:
        """May CloudWatch Logs invoke the forwarder: one exact grant per collected group (a
        prefix per kind only if the 20 KB policy limit forces it; see invoke_permissions.py)."""
        r = args.region
        self.grants = invoke_permissions.plan_grants(
            self.log_group_names,
            partition=aws_catalog.region_partitions().get(r, "aws"),
            region=r,
            function_name=args.names.forwarder_function,
        )
        self.permissions = {
            grant.key: aws.lambda_.Permission(
                f"{r}-invoke-{grant.key}",
                statement_id=grant.key,
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal=f"logs.{r}.amazonaws.com",
                source_account=identity.account_id,
                source_arn=pulumi.Output.all(identity.partition, identity.account_id).apply(
                    lambda v, g=grant: g.source_arn(v[0], r, v[1])
                ),
                opts=child,
            )
            for grant in self.grants
        }

    def _create_sources(self, args: RegionalForwarderArgs, child: pulumi.ResourceOptions) -> None:
        """Each collected log group (created, or an existing one referenced) and the
        subscription filter that sends it to the forwarder."""
        r = args.region
        self.source_log_groups = {}
        self.subscriptions = {}
        for source in args.sources:
            slug = _slug(source.name)
            grant = invoke_permissions.grant_for(self.grants, source.name)
            if source.existing:
                # Adopted, not managed: `get` reads it (and fails early if it is missing)
                # without ever changing or deleting it.
                group = aws.cloudwatch.LogGroup.get(
                    f"{r}-existing-{slug}", id=source.name, opts=child
                )
            else:
                group = aws.cloudwatch.LogGroup(
                    f"{r}-{slug}",
                    name=source.name,
                    retention_in_days=args.log_retention_days,
                    tags=args.tags,
                    opts=child,
                )
            self.source_log_groups[source.name] = group
            self.subscriptions[source.name] = aws.cloudwatch.LogSubscriptionFilter(
                f"{r}-{slug}-subscription",
                name=args.names.subscription_filter,
                log_group=group.name,
                destination_arn=self.function.arn,
                filter_pattern=args.filter_pattern,
                # Its own permission (or CloudWatch Logs cannot invoke), and the async config,
                # so no event is ever delivered while failed batches have nowhere to go.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.provider,
                    depends_on=[
                        self.permissions[grant.key],
                        self.invoke_config,
                    ],
                ),
            )

    def _create_alarms(self, args: RegionalForwarderArgs) -> None:
        """The region's alarms on the forwarder and its failure queue, with their topic."""
        self.alarms = ForwarderAlarms(
            f"{args.region}-alarms",
            ForwarderAlarmsArgs(
                name_prefix=args.names.resource_prefix,
                topic_name=args.names.alarm_topic,
                function_name=self.function.name,
                queue_name=self.failure_queue.name,
                alarm_email=args.alarm_email,
                provider=args.provider,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
