"""edgelogs: Lambda@Edge logs from every region into one OpenSearch domain.

A thin composition: read the config, build the components, export what an operator needs.
"""

from __future__ import annotations

import json
import sys

import pulumi
from pulumi.runtime.settings import get_monitor

from components import coverage_check, naming
from components.config import load_config
from components.coverage_check import CoverageCheck, CoverageCheckArgs
from components.dashboards_auth import SIGN_IN, DashboardsAuth, DashboardsAuthArgs
from components.domain_alarms import DomainAlarms, DomainAlarmsArgs
from components.domain_setup import DomainSetup, DomainSetupArgs
from components.forwarder_role import ForwarderRole, ForwarderRoleArgs
from components.function_code import FunctionCode
from components.operator_policy import OperatorPolicy, OperatorPolicyArgs
from components.providers import regional_providers
from components.regional_forwarder import LogSource, RegionalForwarder, RegionalForwarderArgs
from components.search_domain import DomainPrincipals, SearchDomain, SearchDomainArgs

if get_monitor() is None:
    # Not run by the Pulumi CLI (nor under the tests' mocks): there is no engine to register
    # resources with and no stack config, so any later error would mislead.
    sys.stderr.write("edgelogs: this is a Pulumi program; run it with `pulumi preview` or "
                     "`pulumi up` in this folder (see the README, Deploy)\n")
    sys.exit(2)

config = load_config()
tags = config.all_tags
stack = config.stack
names = naming.StackNames.for_stack(stack)

providers = regional_providers(dict.fromkeys((*config.regions, config.home_region)), tags)
home = providers[config.home_region]

# Built once per run (and cached on disk), shared by every region.
forwarder_code = FunctionCode.of_package("forwarder")

# One role for every region's forwarder (IAM is global), named like the function, so an operator
# finds "the forwarder" under one name in Lambda and in IAM; both allow 64 characters, which
# naming.PREFIX_MAX leaves room for (RoleName: https://docs.aws.amazon.com/IAM/latest/
# APIReference/API_CreateRole.html). The names are fixed by the stack, not generated, because
# the role's policy must name the forwarder's log groups and failure queues in every region
# before those exist (components/naming.py).
role = ForwarderRole(
    "forwarder",
    ForwarderRoleArgs(
        role_name=names.forwarder_function,
        home_region=config.home_region,
        domain_name=names.domain if config.has_domain else None,
        index_prefix=config.index_prefix,
        regions=config.regions,
        forwarder_log_group_name=names.forwarder_log_group,
        failure_queue_name=names.failure_queue,
        provider=home,
        tags=tags,
        header_secret_arns=config.header_secret_arns,
    ),
)

# Dashboards sign-in (on by default): signed-in users get a role the domain policy lets search.
# None of it without an opensearch destination: no domain, so nothing to sign in to.
dashboards = (
    DashboardsAuth(
        "dashboards",
        DashboardsAuthArgs(stack=stack, users=config.dashboards.users, provider=home, tags=tags),
    )
    if config.has_domain and config.dashboards.cognito
    else None
)
# Readers (lambda_src/domain_setup/roles.py): the admins and the Dashboards users.
readers: list[pulumi.Input[str]] = [*config.admin_principals]
if dashboards is not None:
    readers.append(dashboards.authenticated_role_arn)

# The function that applies roles, templates and the ISM policy; its role is the master user.
# Only a stack with an opensearch destination has a domain, and so a setup.
setup = (
    DomainSetup(
        "domain-setup",
        DomainSetupArgs(names=names, home_region=config.home_region,
                        log_retention_days=config.log_retention_days, provider=home, tags=tags),
    )
    if config.has_domain
    else None
)

search = (
    SearchDomain(
        "search",
        SearchDomainArgs(
            domain_name=names.domain,
            home_region=config.home_region,
            index_prefix=config.index_prefix,
            index_retention_days=config.index_retention_days,
            settings=config.domain,
            principals=DomainPrincipals(
                writers=[role.arn], operators=list(config.operator_principals), readers=readers),
            setup=setup,
            provider=home,
            tags=tags,
            cognito=dashboards.cognito_options if dashboards is not None else None,
        ),
    )
    if setup is not None
    else None
)

forwarders: dict[str, RegionalForwarder] = {}
for region in config.regions:
    existing = set(config.existing_log_groups.get(region, ()))
    forwarders[region] = RegionalForwarder(
        region,
        RegionalForwarderArgs(
            region=region,
            provider=providers[region],
            names=names,
            role_arn=role.arn,
            code=forwarder_code,
            search_endpoint=search.endpoint if search is not None else None,
            search_region=config.home_region,
            index_prefix=config.index_prefix,
            sources=[LogSource(n, existing=n in existing) for n in config.log_group_names()],
            log_retention_days=config.log_retention_days,
            filter_pattern=config.filter_pattern,
            alarm_email=config.alarm_email,
            tags=tags,
            reserved_concurrency=config.forwarder_concurrency,
            redact_json=config.redact_json,
            exclude_json=config.exclude_json,
            destinations=config.other_destinations,
        ),
    )

# What replay and backfill need, for an operator's role: created, attached to nobody.
operator = OperatorPolicy(
    "operator",
    OperatorPolicyArgs(
        policy_name=names.operator_policy,
        home_region=config.home_region,
        domain_name=names.domain if config.has_domain else None,
        index_prefix=config.index_prefix,
        regions=config.regions,
        queue_name=names.failure_queue,
        collected_log_groups=config.log_group_names(),
        provider=home,
        tags=tags,
        header_secret_arns=config.header_secret_arns,
    ),
)

# Alarms can only notify a topic in their own region: the home forwarder's, if there is one.
home_forwarder = forwarders.get(config.home_region)
domain_alarms = (
    DomainAlarms(
        "domain-alarms",
        DomainAlarmsArgs(
            name_prefix=names.resource_prefix,
            domain_name=search.domain.domain_name,
            volume_size_gb=config.domain.volume_size_gb,
            topic_arn=home_forwarder.alarms.topic.arn if home_forwarder else None,
            topic_name=names.alarm_topic,
            alarm_email=config.alarm_email,
            provider=home,
            tags=tags,
        ),
    )
    if search is not None
    else None
)
# The home region's alarm topic: the home forwarder's, else the one DomainAlarms made, else
# (no domain, home region not collected) a topic of its own for the coverage check.
home_topic_arn: pulumi.Input[str] | None = (
    home_forwarder.alarms.topic.arn if home_forwarder
    else domain_alarms.topic_arn if domain_alarms is not None
    else None
)

if config.coverage_check:
    coverage = CoverageCheck(
        "coverage",
        CoverageCheckArgs(
            names=names,
            home_region=config.home_region,
            collected_regions=config.regions,
            collected_log_groups=config.log_group_names(),
            code=FunctionCode.of_package(coverage_check.PACKAGE),
            log_retention_days=config.log_retention_days,
            # The home alarm topic: the home forwarder's, or the one DomainAlarms made.
            alarm_topic_arn=home_topic_arn,
            topic_name=names.alarm_topic,
            alarm_email=config.alarm_email,
            provider=home,
            tags=tags,
        ),
    )

if search is not None:
    pulumi.export("domainEndpoint", search.endpoint)
    pulumi.export("domainRegion", config.home_region)
    pulumi.export("indexPrefix", config.index_prefix)
    pulumi.export("dashboardsUrl", search.dashboards_url)
    pulumi.export("dashboardsSignIn", SIGN_IN[config.dashboards.auth])
# The rules replay and backfill apply before they store anything (ops/stack.py).
pulumi.export("redaction", {"redact": json.loads(config.redact_json),
                            "exclude": json.loads(config.exclude_json)})
if dashboards is not None:
    pulumi.export("userPoolId", dashboards.user_pool_id)
# Where events go: the entries as configured (secret ARNs only, never their values).
pulumi.export("destinations", [dict(d) for d in config.destinations])
pulumi.export("forwarderArns", {r: f.function.arn for r, f in forwarders.items()})
pulumi.export("logGroups", {r: f.log_group_names for r, f in forwarders.items()})
pulumi.export("failureQueueUrls", {r: f.failure_queue.url for r, f in forwarders.items()})
pulumi.export("operatorPolicyArn", operator.arn)
pulumi.export("alarmTopicArns", {r: f.alarms.topic.arn for r, f in forwarders.items()})
# The domain alarms and the coverage check notify this topic in the home region.
if home_topic_arn is not None:
    pulumi.export("homeAlarmTopicArn", home_topic_arn)
elif config.coverage_check:
    pulumi.export("homeAlarmTopicArn", coverage.topic_arn)
