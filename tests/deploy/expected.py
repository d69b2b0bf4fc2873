"""What the program must register, as plain data the tests compare against."""

from __future__ import annotations

from collections import Counter

# Every resource type the program may register, split by whether AWS lets it carry tags.
# A new type must be added to one of the two sets, so the tag test cannot silently miss it.
TAGGABLE = {
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cognito/identityPool:IdentityPool",
    "aws:cognito/userPool:UserPool",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:lambda/function:Function",
    "aws:opensearch/domain:Domain",
    "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue",
}
NOT_TAGGABLE = {
    "aws:cloudwatch/eventTarget:EventTarget",
    "edgelogs:index:CoverageCheck",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
    "aws:cognito/user:User",
    "aws:cognito/userPoolDomain:UserPoolDomain",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:lambda/permission:Permission",
    "aws:sns/topicSubscription:TopicSubscription",
    "pulumi:providers:aws",  # carries default_tags instead
    "edgelogs:index:SearchDomain",
    "edgelogs:index:ForwarderRole",
    "edgelogs:index:RegionalForwarder",
    "edgelogs:index:FailureQueue",
    "edgelogs:index:ForwarderAlarms",
    "edgelogs:index:DashboardsAuth",
    "edgelogs:index:DomainAlarms",
    "edgelogs:index:OperatorPolicy",
    "edgelogs:index:DomainSetup",
    "aws:lambda/invocation:Invocation",
}
GLOBAL_TYPES = {
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:opensearch/domain:Domain",
    # Dashboards sign-in lives in the home region, next to the domain
    "aws:cognito/identityPool:IdentityPool",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
    "aws:cognito/user:User",
    "aws:cognito/userPool:UserPool",
    "aws:cognito/userPoolDomain:UserPoolDomain",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    # the domain setup: its function, log group and invocation sit beside the domain
    "aws:lambda/invocation:Invocation",
}
# What Dashboards sign-in with Cognito (edgelogs:dashboards.auth = cognito) adds.
DASHBOARDS_AUTH_COUNTS = {
    "edgelogs:index:DashboardsAuth": 1,
    "aws:cognito/userPool:UserPool": 1,
    "aws:cognito/userPoolDomain:UserPoolDomain": 1,
    "aws:cognito/identityPool:IdentityPool": 1,
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": 1,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
}


# The domain setup (components/domain_setup.py): its function, role, policy and log group, and
# the domain's invocation of it. Added to the forwarders' own counts in expected_counts.
DOMAIN_SETUP_COUNTS = {
    "edgelogs:index:DomainSetup": 1,
    "aws:lambda/invocation:Invocation": 1,
}
DOMAIN_SETUP_ADDS = {
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:lambda/function:Function": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
}


def expected_counts(
    *,
    regions: int,
    sources: int,
    existing: int = 0,
    email: bool = False,
    home_outside_regions: bool = False,
    cognito: bool = True,
    dashboard_users: int = 0,
) -> Counter[str]:
    """Resources created (not read) for a stack of this shape.

    sources: log groups collected per region (edge functions + distribution ids);
    existing: how many of those, summed over regions, are referenced instead of created.
    cognito: Dashboards sign-in (the default); dashboard_users: invited users.
    The domain's four alarms reuse the home region's forwarder topic, or (home region not
    collecting) get a topic and an email subscription of their own.
    """
    own_topic = 1 if home_outside_regions else 0
    counts = Counter(
        {
            "pulumi:providers:aws": regions + (1 if home_outside_regions else 0),
            "edgelogs:index:SearchDomain": 1,
            "edgelogs:index:ForwarderRole": 1,
            "aws:opensearch/domain:Domain": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "edgelogs:index:RegionalForwarder": regions,
            "edgelogs:index:FailureQueue": regions,
            "edgelogs:index:ForwarderAlarms": regions,
            "edgelogs:index:DomainAlarms": 1,
            "edgelogs:index:OperatorPolicy": 1,
            "aws:iam/policy:Policy": 1,
            "aws:lambda/function:Function": regions,
            # one exact grant per collected log group
            "aws:lambda/permission:Permission": regions * sources,
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": regions,
            "aws:sqs/queue:Queue": regions,
            "aws:sns/topic:Topic": regions + own_topic,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 4 * regions + 4,
            # the forwarder's own group + every collected group not adopted
            "aws:cloudwatch/logGroup:LogGroup": regions * (1 + sources) - existing,
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": regions * sources,
            **DOMAIN_SETUP_COUNTS,
            **(
                {"aws:sns/topicSubscription:TopicSubscription": regions + own_topic}
                if email
                else {}
            ),
        }
    )
    counts.update(DOMAIN_SETUP_ADDS)
    if cognito:
        # + the authenticated role and the OpenSearch service role
        counts.update({**DASHBOARDS_AUTH_COUNTS, "aws:iam/role:Role": 2})
        if dashboard_users:
            counts["aws:cognito/user:User"] = dashboard_users
    return counts


def coverage_check_counts() -> Counter[str]:
    """What the daily coverage check adds, all in the home region; it alarms to the home
    alarm topic (DomainAlarms'), so it adds no topic of its own."""
    return Counter(
        {
            "edgelogs:index:CoverageCheck": 1,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "aws:lambda/function:Function": 1,
            "aws:cloudwatch/eventRule:EventRule": 1,
            "aws:cloudwatch/eventTarget:EventTarget": 1,
            "aws:lambda/permission:Permission": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
        }
    )
