"""Dashboards sign-in (edgelogs:dashboards, edgelogs:dashboardUsers) under mocks.

Every Cognito and IAM resource the sign-in needs, the provider it got (the home region's),
every policy, and what the search domain receives, are checked against what AWS documents:
names and ids against botocore's service models, policies against the OpenSearch Service
developer guide (cognito-auth.html), the managed policy by its ARN.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import botocore.session
import pytest

from components import dashboards_auth
from components.config import ConfigError
from tests.deploy.expected import DASHBOARDS_AUTH_COUNTS, expected_counts
from tests.deploy.harness import ACCOUNT, ProgramRun, RecordingMocks
from tests.deploy.tokens import (
    COGNITO_USER,
    DASHBOARDS_AUTH,
    DOMAIN,
    IDENTITY_POOL,
    IDENTITY_POOL_ROLES,
    INVOCATION,
    PROVIDER,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    USER_POOL,
    USER_POOL_DOMAIN,
)

COGNITO_TYPES = {USER_POOL, USER_POOL_DOMAIN, IDENTITY_POOL, IDENTITY_POOL_ROLES, COGNITO_USER,
                 ROLE_POLICY_ATTACHMENT, DASHBOARDS_AUTH}

HOME = "eu-central-1"  # not a collecting region: the sign-in must still land here
USERS = ["alice@example.com", "Bob.Smith@example.org"]
CONFIG: dict[str, Any] = {
    "edgeFunctions": ["site-auth"],
    "regions": ["us-east-1", "ap-south-1"],
    "homeRegion": HOME,
    "adminPrincipals": ["arn:aws:iam::111122223333:role/ops"],
    "dashboardUsers": USERS,
    # The daily coverage check has its own tests (test_deploy_coverage_check.py).
    "coverageCheck": False,
}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-team-a-dashboards"


@cache
def _pattern(service: str, shape: str) -> re.Pattern[str]:
    model = botocore.session.get_session().get_service_model(service)
    return re.compile(model.shape_for(shape).metadata["pattern"])


def _valid(service: str, shape: str, value: str) -> bool:
    return _pattern(service, shape).fullmatch(value) is not None


@pytest.fixture
def stack(run) -> ProgramRun:
    return run(CONFIG, stack="team-a")


def _policy(run: ProgramRun) -> dict[str, Any]:
    (domain,) = run.of_type(DOMAIN)
    return json.loads(domain.inputs["accessPolicies"])


def _statements_naming(policy: dict[str, Any], arn: str) -> list[dict[str, Any]]:
    def principals(st: dict[str, Any]) -> list[str]:
        aws = st.get("Principal", {}).get("AWS", [])
        return aws if isinstance(aws, list) else [aws]

    return [st for st in policy["Statement"] if arn in principals(st)]


# ---- every resource, its parent and its provider -------------------------------------------


def test_sign_in_resources_exactly(stack: ProgramRun) -> None:
    assert stack.counts() == expected_counts(
        regions=2, sources=1, home_outside_regions=True, dashboard_users=2
    )
    mine = {(r.typ, r.name) for r in stack.resources if r.parent_type == DASHBOARDS_AUTH}
    assert mine == {
        (USER_POOL, "dashboards-user-pool"),
        (USER_POOL_DOMAIN, "dashboards-user-pool-domain"),
        (IDENTITY_POOL, "dashboards-identity-pool"),
        (ROLE, "dashboards-authenticated-role"),
        (IDENTITY_POOL_ROLES, "dashboards-identity-pool-roles"),
        (ROLE, "dashboards-service-role"),
        (ROLE_POLICY_ATTACHMENT, "dashboards-service-role-policy"),
        (COGNITO_USER, "dashboards-user-alice@example.com"),
        (COGNITO_USER, "dashboards-user-bob.smith@example.org"),
    }
    assert {r.typ for r in stack.resources if r.typ in COGNITO_TYPES} == COGNITO_TYPES


def test_every_sign_in_resource_uses_the_home_regions_provider(stack: ProgramRun) -> None:
    home = [p for p in stack.of_type(PROVIDER) if p.inputs["region"] == HOME]
    assert len(home) == 1
    children = [r for r in stack.resources if r.parent_type == DASHBOARDS_AUTH]
    assert len(children) == 9
    for r in children:
        assert (r.provider_id, r.region) == (f"{home[0].name}-id", HOME), (r.typ, r.name)
    assert not [i for i in stack.mocks.invokes if i.region is None]


# ---- the user pool, its domain and its users ----------------------------------------------


def test_user_pool_admits_only_invited_users_with_strong_passwords(stack: ProgramRun) -> None:
    (pool,) = stack.of_type(USER_POOL)
    i = pool.inputs
    assert i["name"] == "edgelogs-team-a-dashboards"
    assert _valid("cognito-idp", "UserPoolNameType", i["name"])
    assert i["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True
    assert i["passwordPolicy"] == {
        "minimumLength": 14,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 7,
    }
    # A second factor is required, an authenticator app (TOTP) only.
    assert i["mfaConfiguration"] == "ON"
    assert i["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert "smsConfiguration" not in i and "emailMfaConfiguration" not in i
    # Threat protection, which Cognito allows on the Plus feature plan only.
    assert i["userPoolTier"] == "PLUS"
    assert i["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
    assert i["accountRecoverySetting"] == {
        "recoveryMechanisms": [{"name": "verified_email", "priority": 1}]
    }
    assert i["autoVerifiedAttributes"] == ["email"]
    assert i["usernameConfiguration"] == {"caseSensitive": False}
    assert i["deletionProtection"] == "INACTIVE"
    assert i["tags"] == {"app": "edgelogs", "edgelogs:stack": "team-a"}
    # Cognito's placeholders for the username and the temporary password must both be there
    template = i["adminCreateUserConfig"]["inviteMessageTemplate"]
    assert "{username}" in template["emailMessage"] and "{####}" in template["emailMessage"]
    assert "team-a" in template["emailSubject"]


def test_user_pool_domain_is_a_valid_unique_prefix(stack: ProgramRun) -> None:
    (domain,) = stack.of_type(USER_POOL_DOMAIN)
    pool_id = domain.inputs["userPoolId"]
    assert pool_id.startswith(f"{HOME}_") and stack.outputs["userPoolId"] == pool_id
    prefix = domain.inputs["domain"]
    assert prefix == dashboards_auth.user_pool_domain_prefix("team-a", pool_id)
    assert re.fullmatch(r"edgelogs-team-a-[0-9a-f]{8}", prefix), prefix
    assert _valid("cognito-idp", "DomainType", prefix)


@pytest.mark.parametrize(
    "stack_name",
    ["dev", "aws-prod", "Amazon_Cognito", "awamazons", "x" * 90, "cognito"],
)
def test_domain_prefix_rules_hold_for_any_stack_name(stack_name: str) -> None:
    prefix = dashboards_auth.user_pool_domain_prefix(stack_name, "us-east-1_AbC123xyz")
    assert _valid("cognito-idp", "DomainType", prefix), prefix
    assert not any(w in prefix for w in dashboards_auth.RESERVED_IN_DOMAIN_PREFIX), prefix
    other = dashboards_auth.user_pool_domain_prefix(stack_name, "us-east-1_Other0000")
    assert other != prefix  # another pool (another account) gets another prefix


def test_each_address_is_invited_by_email(stack: ProgramRun) -> None:
    (pool,) = stack.of_type(USER_POOL)
    pool_id = stack.one(USER_POOL_DOMAIN, "dashboards-user-pool-domain").inputs["userPoolId"]
    users = {u.inputs["username"]: u.inputs for u in stack.of_type(COGNITO_USER)}
    assert set(users) == set(USERS)
    for email, i in users.items():
        assert i["userPoolId"] == pool_id
        assert i["attributes"] == {"email": email, "email_verified": "true"}
        assert i["desiredDeliveryMediums"] == ["EMAIL"]
        assert "messageAction" not in i  # the invitation is sent, not suppressed
        assert "password" not in i and "temporaryPassword" not in i  # Cognito generates it
    assert pool.region == HOME


# ---- the identity pool and the two roles ---------------------------------------------------


def test_identity_pool_has_no_unauthenticated_identities(stack: ProgramRun) -> None:
    (pool,) = stack.of_type(IDENTITY_POOL)
    assert pool.inputs["allowUnauthenticatedIdentities"] is False
    assert pool.inputs["allowClassicFlow"] is False
    assert _valid("cognito-identity", "IdentityPoolName", pool.inputs["identityPoolName"])
    # OpenSearch adds its app client as the pool's provider; a later `up` must not remove it
    assert stack.ignore_changes[(IDENTITY_POOL, "dashboards-identity-pool")] == [
        "cognitoIdentityProviders"
    ]


def test_authenticated_role_is_trusted_only_by_signed_in_identities(stack: ProgramRun) -> None:
    identity_pool_id = stack.one(IDENTITY_POOL_ROLES, "dashboards-identity-pool-roles").inputs[
        "identityPoolId"
    ]
    role = stack.one(ROLE, "dashboards-authenticated-role")
    assert role.inputs["name"] == "edgelogs-team-a-dashboards"
    assert (
        role.outputs["arn"] == ROLE_ARN == dashboards_auth.authenticated_role_arn("team-a", ACCOUNT)
    )
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Sid": "SignedInUsersOfThisIdentityPool",
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    ]
    # No identity policy at all: the domain access policy alone says what it may do
    role_id = f"{role.name}-id"
    assert not [p for p in stack.of_type(ROLE_POLICY) if p.inputs["role"] == role_id]
    assert not [a for a in stack.of_type(ROLE_POLICY_ATTACHMENT)
                if a.inputs["role"] == role.inputs["name"]]
    attachment = stack.one(IDENTITY_POOL_ROLES, "dashboards-identity-pool-roles")
    assert attachment.inputs["roles"] == {"authenticated": ROLE_ARN}  # no unauthenticated role
    assert _valid("iam", "roleNameType", role.inputs["name"])


def test_service_role_lets_only_opensearch_configure_cognito(stack: ProgramRun) -> None:
    role = stack.one(ROLE, "dashboards-service-role")
    assert role.inputs["name"] == "edgelogs-team-a-cognito-config"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Sid": "OpenSearchServiceOnly",
            "Effect": "Allow",
            "Principal": {"Service": "opensearchservice.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    (attachment,) = stack.of_type(ROLE_POLICY_ATTACHMENT)
    assert attachment.inputs == {
        "role": "edgelogs-team-a-cognito-config",
        "policyArn": "arn:aws:iam::aws:policy/AmazonOpenSearchServiceCognitoAccess",
    }
    assert not [p for p in stack.of_type(ROLE_POLICY) if p.inputs["role"] == f"{role.name}-id"]


# ---- what the search domain gets -----------------------------------------------------------


def test_domain_turns_cognito_on_after_everything_it_checks(stack: ProgramRun) -> None:
    (domain,) = stack.of_type(DOMAIN)
    options = domain.inputs["cognitoOptions"]
    pool_id = stack.one(USER_POOL_DOMAIN, "dashboards-user-pool-domain").inputs["userPoolId"]
    identity_pool_id = stack.one(IDENTITY_POOL_ROLES, "dashboards-identity-pool-roles").inputs[
        "identityPoolId"
    ]
    assert options == {
        "enabled": True,
        "userPoolId": pool_id,
        "identityPoolId": identity_pool_id,
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/edgelogs-team-a-cognito-config",
    }
    # the ids are of the kinds the CreateDomain API takes, not ARNs or names
    assert _valid("opensearch", "UserPoolId", options["userPoolId"])
    assert _valid("opensearch", "IdentityPoolId", options["identityPoolId"])
    assert _valid("opensearch", "RoleArn", options["roleArn"])
    deps = stack.depends_on(DOMAIN, "search-domain")
    assert {
        # the role can act when it is passed
        (ROLE_POLICY_ATTACHMENT, "dashboards-service-role-policy"),
        (USER_POOL_DOMAIN, "dashboards-user-pool-domain"),  # "Domain needs to be specified"
        (IDENTITY_POOL_ROLES, "dashboards-identity-pool-roles"),  # the authenticated role is set
    } <= deps


def test_access_policy_admits_dashboards_users_and_setup_maps_them_as_readers(
        stack: ProgramRun) -> None:
    """The access policy only says who reaches the domain; the reader role (installed by the
    domain setup, proven in tests/integration/test_access_control.py) says what they do."""
    policy = _policy(stack)
    for st in policy["Statement"]:
        assert st.get("Principal") not in ("*", {"AWS": "*"}), st
        aws = st["Principal"]["AWS"]
        assert "*" not in (aws if isinstance(aws, list) else [aws]), st
    admin = "arn:aws:iam::111122223333:role/ops"
    (statement,) = _statements_naming(policy, ROLE_ARN)
    assert admin in statement["Principal"]["AWS"]
    (invocation,) = stack.of_type(INVOCATION)
    assert json.loads(invocation.inputs["input"])["principals"]["reader"] == [admin, ROLE_ARN]


def test_stack_outputs_name_the_user_pool(stack: ProgramRun) -> None:
    out = stack.outputs
    pool_id = stack.one(USER_POOL_DOMAIN, "dashboards-user-pool-domain").inputs["userPoolId"]
    assert out["userPoolId"] == pool_id
    assert _valid("cognito-idp", "UserPoolIdType", pool_id)
    assert out["dashboardsSignIn"] == dashboards_auth.SIGN_IN["cognito"]
    assert out["dashboardsUrl"].endswith("/_dashboards")


# ---- auth: none ---------------------------------------------------------------------------


def test_auth_none_creates_no_sign_in(run) -> None:
    result = run({**CONFIG, "dashboardUsers": [], "dashboards": {"auth": "none"}}, stack="team-a")
    assert result.counts() == expected_counts(
        regions=2, sources=1, home_outside_regions=True, cognito=False
    )
    assert not {r.typ for r in result.resources} & COGNITO_TYPES
    # Registered concurrently: which role Pulumi records first is not part of the contract.
    assert sorted(r.name for r in result.of_type(ROLE)) == ["domain-setup-role", "forwarder-role"]
    (domain,) = result.of_type(DOMAIN)
    # Sent disabled, explicitly: a stack switched from cognito to none updates the domain
    # (Enabled=false) before its pools are deleted. The empty ids are never sent to AWS.
    assert domain.inputs["cognitoOptions"] == {
        "enabled": False, "userPoolId": "", "identityPoolId": "", "roleArn": ""}
    # and the domain no longer waits for any sign-in resource
    assert not {t for t, _ in result.depends_on(DOMAIN, domain.name)} & COGNITO_TYPES
    policy = _policy(result)
    assert not _statements_naming(policy, ROLE_ARN)
    assert [st["Principal"]["AWS"] for st in policy["Statement"]] == [[
        "arn:aws:iam::111122223333:role/ops",
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-team-a-domain-setup",
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-team-a-forwarder"]]
    assert "userPoolId" not in result.outputs
    assert "proxy" in result.outputs["dashboardsSignIn"]


def test_cognito_is_the_default(run) -> None:
    result = run({"edgeFunctions": ["a"], "regions": ["us-east-1"]})
    assert {t for t, n in DASHBOARDS_AUTH_COUNTS.items() if result.counts()[t] != n} == set()
    assert not result.of_type(COGNITO_USER)
    assert result.of_type(DOMAIN)[0].inputs["cognitoOptions"]["enabled"] is True


# ---- invalid configuration ----------------------------------------------------------------

FN = ["site-auth"]
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("auth-unknown", {"dashboards": {"auth": "saml"}}, "edgelogs:dashboards.auth",
     "cognito, none"),
    ("auth-not-a-string", {"dashboards": {"auth": True}}, "edgelogs:dashboards.auth",
     "cognito, none"),
    ("dashboards-not-an-object", {"dashboards": "cognito"}, "edgelogs:dashboards",
     "keys auth"),
    ("dashboards-unknown-key", {"dashboards": {"auth": "cognito", "mfa": "on"}},
     "edgelogs:dashboards", "allowed: auth"),
    ("user-not-an-email", {"dashboardUsers": ["alice"]}, "edgelogs:dashboardUsers",
     "name@example.com"),
    ("users-not-a-list", {"dashboardUsers": "alice@example.com"}, "edgelogs:dashboardUsers",
     "list of strings"),
    ("user-twice", {"dashboardUsers": ["a@example.com", "a@example.com"]},
     "edgelogs:dashboardUsers", "list each once"),
    ("user-twice-in-other-case", {"dashboardUsers": ["a@example.com", "A@Example.com"]},
     "edgelogs:dashboardUsers", "one user"),
    ("user-too-long", {"dashboardUsers": [f"{'a' * 120}@example.com"]},
     "edgelogs:dashboardUsers", "128"),
    ("users-without-cognito",
     {"dashboards": {"auth": "none"}, "dashboardUsers": ["a@example.com"]},
     "edgelogs:dashboardUsers", "auth cognito"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "key", "allowed"),
    [pytest.param(c, k, a, id=i) for i, c, k, a in INVALID],
)
def test_invalid_dashboards_config_stops_the_program(run, config, key, allowed) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as info:
        run({"edgeFunctions": FN, **config}, mocks=mocks)
    message = str(info.value)
    line = next(m for m in message.splitlines() if m.strip().startswith(f"{key}: "))
    assert allowed in line, message
    assert not [r for r in mocks.resources if r.typ != "pulumi:pulumi:Stack"]
