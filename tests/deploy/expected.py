"""What the program must register, as plain data the tests compare against."""

from __future__ import annotations

from collections import Counter

from tests.deploy import tokens as t

# Every resource type the program may register, split by whether AWS lets it carry tags.
# A new type must be added to one of the two sets, so the tag test cannot silently miss it.
TAGGABLE = {
    t.EVENT_RULE,
    t.LOG_GROUP,
    t.IDENTITY_POOL,
    t.USER_POOL,
    t.ALARM,
    t.IAM_POLICY,
    t.ROLE,
    t.FUNCTION,
    t.DOMAIN,
    t.TOPIC,
    t.QUEUE,
}
NOT_TAGGABLE = {
    t.EVENT_TARGET,
    t.COVERAGE_CHECK,
    t.SUBSCRIPTION_FILTER,
    t.IDENTITY_POOL_ROLES,
    t.COGNITO_USER,
    t.USER_POOL_DOMAIN,
    t.ROLE_POLICY_ATTACHMENT,
    t.ROLE_POLICY,
    t.INVOKE_CONFIG,
    t.PERMISSION,
    t.TOPIC_SUBSCRIPTION,
    t.PROVIDER,  # carries default_tags instead
    t.SEARCH_DOMAIN,
    t.FORWARDER_ROLE,
    t.REGIONAL_FORWARDER,
    t.FAILURE_QUEUE,
    t.FORWARDER_ALARMS,
    t.DASHBOARDS_AUTH,
    t.DOMAIN_ALARMS,
    t.OPERATOR_POLICY,
    t.DOMAIN_SETUP,
    t.INVOCATION,
}
GLOBAL_TYPES = {
    t.IAM_POLICY,
    t.ROLE,
    t.ROLE_POLICY,
    t.DOMAIN,
    # Dashboards sign-in lives in the home region, next to the domain
    t.IDENTITY_POOL,
    t.IDENTITY_POOL_ROLES,
    t.COGNITO_USER,
    t.USER_POOL,
    t.USER_POOL_DOMAIN,
    t.ROLE_POLICY_ATTACHMENT,
    # the domain setup: its function, log group and invocation sit beside the domain
    t.INVOCATION,
}
# What Dashboards sign-in with Cognito (edgelogs:dashboards.auth = cognito) adds.
DASHBOARDS_AUTH_COUNTS = {
    t.DASHBOARDS_AUTH: 1,
    t.USER_POOL: 1,
    t.USER_POOL_DOMAIN: 1,
    t.IDENTITY_POOL: 1,
    t.IDENTITY_POOL_ROLES: 1,
    t.ROLE_POLICY_ATTACHMENT: 1,
}


# The domain setup (components/domain_setup.py): its function, role, policy and log group, and
# the domain's invocation of it. Added to the forwarders' own counts in expected_counts.
DOMAIN_SETUP_COUNTS = {
    t.DOMAIN_SETUP: 1,
    t.INVOCATION: 1,
}
DOMAIN_SETUP_ADDS = {
    t.ROLE: 1,
    t.ROLE_POLICY: 1,
    t.FUNCTION: 1,
    t.LOG_GROUP: 1,
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
            t.PROVIDER: regions + (1 if home_outside_regions else 0),
            t.SEARCH_DOMAIN: 1,
            t.FORWARDER_ROLE: 1,
            t.DOMAIN: 1,
            t.ROLE: 1,
            t.ROLE_POLICY: 1,
            t.REGIONAL_FORWARDER: regions,
            t.FAILURE_QUEUE: regions,
            t.FORWARDER_ALARMS: regions,
            t.DOMAIN_ALARMS: 1,
            t.OPERATOR_POLICY: 1,
            t.IAM_POLICY: 1,
            t.FUNCTION: regions,
            # one exact grant per collected log group
            t.PERMISSION: regions * sources,
            t.INVOKE_CONFIG: regions,
            t.QUEUE: regions,
            t.TOPIC: regions + own_topic,
            t.ALARM: 4 * regions + 4,
            # the forwarder's own group + every collected group not adopted
            t.LOG_GROUP: regions * (1 + sources) - existing,
            t.SUBSCRIPTION_FILTER: regions * sources,
            **DOMAIN_SETUP_COUNTS,
            **(
                {t.TOPIC_SUBSCRIPTION: regions + own_topic}
                if email
                else {}
            ),
        }
    )
    counts.update(DOMAIN_SETUP_ADDS)
    if cognito:
        # + the authenticated role and the OpenSearch service role
        counts.update({**DASHBOARDS_AUTH_COUNTS, t.ROLE: 2})
        if dashboard_users:
            counts[t.COGNITO_USER] = dashboard_users
    return counts


def coverage_check_counts() -> Counter[str]:
    """What the daily coverage check adds, all in the home region; it alarms to the home
    alarm topic (DomainAlarms'), so it adds no topic of its own."""
    return Counter(
        {
            t.COVERAGE_CHECK: 1,
            t.LOG_GROUP: 1,
            t.ROLE: 1,
            t.ROLE_POLICY: 1,
            t.FUNCTION: 1,
            t.EVENT_RULE: 1,
            t.EVENT_TARGET: 1,
            t.PERMISSION: 1,
            t.ALARM: 2,
        }
    )
