"""What the program must register, as plain data the tests compare against."""

from __future__ import annotations

from collections import Counter

from tests.deploy.tokens import (
    ALARM,
    COGNITO_USER,
    COVERAGE_CHECK,
    DASHBOARDS_AUTH,
    DOMAIN,
    DOMAIN_ALARMS,
    DOMAIN_SETUP,
    EVENT_RULE,
    EVENT_TARGET,
    FAILURE_QUEUE,
    FORWARDER_ALARMS,
    FORWARDER_ROLE,
    FUNCTION,
    IAM_POLICY,
    IDENTITY_POOL,
    IDENTITY_POOL_ROLES,
    INVOCATION,
    INVOKE_CONFIG,
    LOG_GROUP,
    OPERATOR_POLICY,
    PERMISSION,
    PROVIDER,
    QUEUE,
    REGIONAL_FORWARDER,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    SEARCH_DOMAIN,
    SUBSCRIPTION_FILTER,
    TOPIC,
    TOPIC_SUBSCRIPTION,
    USER_POOL,
    USER_POOL_DOMAIN,
)

# Every resource type the program may register, split by whether AWS lets it carry tags.
# A new type must be added to one of the two sets, so the tag test cannot silently miss it.
TAGGABLE = {
    EVENT_RULE,
    LOG_GROUP,
    IDENTITY_POOL,
    USER_POOL,
    ALARM,
    IAM_POLICY,
    ROLE,
    FUNCTION,
    DOMAIN,
    TOPIC,
    QUEUE,
}
NOT_TAGGABLE = {
    EVENT_TARGET,
    COVERAGE_CHECK,
    SUBSCRIPTION_FILTER,
    IDENTITY_POOL_ROLES,
    COGNITO_USER,
    USER_POOL_DOMAIN,
    ROLE_POLICY_ATTACHMENT,
    ROLE_POLICY,
    INVOKE_CONFIG,
    PERMISSION,
    TOPIC_SUBSCRIPTION,
    PROVIDER,  # carries default_tags instead
    SEARCH_DOMAIN,
    FORWARDER_ROLE,
    REGIONAL_FORWARDER,
    FAILURE_QUEUE,
    FORWARDER_ALARMS,
    DASHBOARDS_AUTH,
    DOMAIN_ALARMS,
    OPERATOR_POLICY,
    DOMAIN_SETUP,
    INVOCATION,
}
GLOBAL_TYPES = {
    IAM_POLICY,
    ROLE,
    ROLE_POLICY,
    DOMAIN,
    # Dashboards sign-in lives in the home region, next to the domain
    IDENTITY_POOL,
    IDENTITY_POOL_ROLES,
    COGNITO_USER,
    USER_POOL,
    USER_POOL_DOMAIN,
    ROLE_POLICY_ATTACHMENT,
    # the domain setup: its function, log group and invocation sit beside the domain
    INVOCATION,
}
# What Dashboards sign-in with Cognito (edgelogs:dashboards.auth = cognito) adds.
DASHBOARDS_AUTH_COUNTS = {
    DASHBOARDS_AUTH: 1,
    USER_POOL: 1,
    USER_POOL_DOMAIN: 1,
    IDENTITY_POOL: 1,
    IDENTITY_POOL_ROLES: 1,
    ROLE_POLICY_ATTACHMENT: 1,
}


# The domain setup (components/domain_setup.py): its function, role, policy and log group, and
# the domain's invocation of it. Added to the forwarders' own counts in expected_counts.
DOMAIN_SETUP_COUNTS = {
    DOMAIN_SETUP: 1,
    INVOCATION: 1,
}
DOMAIN_SETUP_ADDS = {
    ROLE: 1,
    ROLE_POLICY: 1,
    FUNCTION: 1,
    LOG_GROUP: 1,
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
            PROVIDER: regions + (1 if home_outside_regions else 0),
            SEARCH_DOMAIN: 1,
            FORWARDER_ROLE: 1,
            DOMAIN: 1,
            ROLE: 1,
            ROLE_POLICY: 1,
            REGIONAL_FORWARDER: regions,
            FAILURE_QUEUE: regions,
            FORWARDER_ALARMS: regions,
            DOMAIN_ALARMS: 1,
            OPERATOR_POLICY: 1,
            IAM_POLICY: 1,
            FUNCTION: regions,
            # one exact grant per collected log group
            PERMISSION: regions * sources,
            INVOKE_CONFIG: regions,
            QUEUE: regions,
            TOPIC: regions + own_topic,
            ALARM: 4 * regions + 4,
            # the forwarder's own group + every collected group not adopted
            LOG_GROUP: regions * (1 + sources) - existing,
            SUBSCRIPTION_FILTER: regions * sources,
            **DOMAIN_SETUP_COUNTS,
            **(
                {TOPIC_SUBSCRIPTION: regions + own_topic}
                if email
                else {}
            ),
        }
    )
    counts.update(DOMAIN_SETUP_ADDS)
    if cognito:
        # + the authenticated role and the OpenSearch service role
        counts.update({**DASHBOARDS_AUTH_COUNTS, ROLE: 2})
        if dashboard_users:
            counts[COGNITO_USER] = dashboard_users
    return counts


def coverage_check_counts() -> Counter[str]:
    """What the daily coverage check adds, all in the home region; it alarms to the home
    alarm topic (DomainAlarms'), so it adds no topic of its own."""
    return Counter(
        {
            COVERAGE_CHECK: 1,
            LOG_GROUP: 1,
            ROLE: 1,
            ROLE_POLICY: 1,
            FUNCTION: 1,
            EVENT_RULE: 1,
            EVENT_TARGET: 1,
            PERMISSION: 1,
            ALARM: 2,
        }
    )
