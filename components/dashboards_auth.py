"""DashboardsAuth: Amazon Cognito sign-in for OpenSearch Dashboards, in the home region.

What AWS requires, from "Configuring Amazon Cognito authentication for OpenSearch Dashboards"
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cognito-auth.html):
a user pool with a domain, an identity pool in the same region, a role OpenSearch Service
assumes to configure both (trusting opensearchservice.amazonaws.com, with the AWS managed
policy AmazonOpenSearchServiceCognitoAccess), and an authenticated role that Cognito hands to
signed-in users. That role gets NO identity policy: the domain's access policy names it, and
the domain setup maps it (as a backend role) to the reader role, so signed-in users search and
keep Dashboards saved objects, never write logs (lambda_src/domain_setup/roles.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.trust_policy import service_trust_policy

TOKEN = "edgelogs:index:DashboardsAuth"

# The service role's trust and policy, as the developer guide gives them (section "About the
# CognitoAccessForAmazonOpenSearch role"). Policy JSON:
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonOpenSearchServiceCognitoAccess.html
OPENSEARCH_SERVICE_PRINCIPAL = "opensearchservice.amazonaws.com"
COGNITO_ACCESS_POLICY = "AmazonOpenSearchServiceCognitoAccess"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"

# The stack output dashboardsSignIn, per edgelogs:dashboards.auth.
SIGN_IN: dict[str, str] = {
    "cognito": "Amazon Cognito: invited users (edgelogs:dashboardUsers) sign in at dashboardsUrl",
    "none": "no sign-in: Dashboards needs a SigV4 signing proxy (README: Signing in to Dashboards)",
}

# Sign-in needs a second factor: every Dashboards user can read every log line, and the pool
# holds only invited people, so setting up an authenticator app once is a small price. TOTP
# (software token), not SMS: no SNS spend, no SIM-swap risk.
MFA = "ON"
# Threat protection (user_pool_add_ons.advanced_security_mode) blocks sign-ins Cognito judges
# risky (compromised credentials, unusual sign-in); "To activate this setting, your user pool
# must be on the Plus tier" (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/
# APIReference/API_UserPoolAddOnsType.html). Plus is billed per monthly active user; a pool of
# a few invited operators costs little, so the pool is on Plus and threat protection ENFORCED.
FEATURE_PLAN = "PLUS"
THREAT_PROTECTION = "ENFORCED"

PASSWORD_MIN_LENGTH = 14
TEMPORARY_PASSWORD_DAYS = 7  # an invitation not used within a week must be re-sent

# Cognito prefix domains: ^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$ (CreateUserPoolDomain,
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolDomain.html),
# unique per region across all accounts (prefix.auth.<region>.amazoncognito.com, see
# https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html),
# and, in the Cognito console's words for that field, "You can't use the text aws, amazon, or
# cognito in the domain prefix" (the API reference does not list the rule; we keep to it).
DOMAIN_PREFIX_MAX = 63
RESERVED_IN_DOMAIN_PREFIX: tuple[str, ...] = ("aws", "amazon", "cognito")


def authenticated_role_name(stack: str) -> str:
    """The role every signed-in Dashboards user gets (fixed, so the ARN is known up front)."""
    return f"{naming.resource_prefix(stack)}-dashboards"


def authenticated_role_arn(stack: str, account_id: str, partition: str = "aws") -> str:
    """ARN of the authenticated role: what the domain access policy names for Dashboards users."""
    return f"arn:{partition}:iam::{account_id}:role/{authenticated_role_name(stack)}"


def service_role_name(stack: str) -> str:
    """The role OpenSearch Service assumes to configure the user and identity pools."""
    return f"{naming.resource_prefix(stack)}-cognito-config"


def user_pool_name(stack: str) -> str:
    return f"{naming.resource_prefix(stack)}-dashboards"


def user_pool_domain_prefix(stack: str, user_pool_id: str) -> str:
    """`edgelogs-<stack>-<8 hex of the pool id>`: readable, valid, and unique in the region.

    The hash of the user pool's id (unique across accounts) keeps two stacks of the same name
    in different accounts from colliding on the region-wide prefix namespace.
    """
    base = naming.resource_prefix(stack)
    while any(word in base for word in RESERVED_IN_DOMAIN_PREFIX):
        for word in RESERVED_IN_DOMAIN_PREFIX:
            base = base.replace(word, "")
    base = re.sub(r"-+", "-", base).strip("-") or "edgelogs"
    digest = hashlib.sha256(user_pool_id.encode()).hexdigest()[:8]
    return f"{base[: DOMAIN_PREFIX_MAX - 9].rstrip('-')}-{digest}"


def authenticated_role_trust_policy(identity_pool_id: str) -> dict[str, Any]:
    """Only identities of this pool, and only signed-in ones (the guide's exact conditions)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SignedInUsersOfThisIdentityPool",
                "Effect": "Allow",
                "Principal": {"Federated": COGNITO_IDENTITY},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{COGNITO_IDENTITY}:aud": identity_pool_id},
                    "ForAnyValue:StringLike": {f"{COGNITO_IDENTITY}:amr": "authenticated"},
                },
            }
        ],
    }


def managed_policy_arn(partition: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{COGNITO_ACCESS_POLICY}"


def invitation(stack: str) -> tuple[str, str]:
    """Subject and body of the invitation e-mail ({username} and {####} are Cognito's)."""
    subject = f"Your edgelogs Dashboards sign-in ({stack})"
    body = (
        f"You can now search the Lambda@Edge logs of the edgelogs stack {stack} in "
        "OpenSearch Dashboards.<br>Username: {username}<br>Temporary password: {####}<br>"
        "Open the Dashboards address your administrator gives you (stack output "
        "dashboardsUrl) and sign in; you then choose your own password. The temporary "
        f"password expires after {TEMPORARY_PASSWORD_DAYS} days."
    )
    return subject, body


@dataclass(frozen=True)
class CognitoOptions:
    """What the search domain needs to turn Cognito sign-in on, and what must exist first."""

    user_pool_id: pulumi.Output[str]
    identity_pool_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


@dataclass
class DashboardsAuthArgs:
    stack: str
    users: Sequence[str]
    provider: aws.Provider
    tags: Mapping[str, str]
    # Deletion protection on the user pool makes `pulumi destroy` fail until it is turned off;
    # the pool holds only the invited users, which `pulumi up` re-creates from the config.
    protect: bool = False


class DashboardsAuth(pulumi.ComponentResource):
    user_pool: aws.cognito.UserPool
    user_pool_domain: aws.cognito.UserPoolDomain
    identity_pool: aws.cognito.IdentityPool
    authenticated_role: aws.iam.Role
    service_role: aws.iam.Role
    users: dict[str, aws.cognito.User]
    cognito_options: CognitoOptions
    user_pool_id: pulumi.Output[str]
    authenticated_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DashboardsAuthArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        self._create_user_pool(name, args, child)
        self._create_identity_pool(name, args, child)
        self._create_service_role(name, args, child)
        self._create_users(name, args, child)

        self.cognito_options = CognitoOptions(
            user_pool_id=self.user_pool.id,
            identity_pool_id=self.identity_pool.id,
            role_arn=self.service_role.arn,
            # OpenSearch checks all of these when it enables Cognito on the domain.
            depends_on=(self.service_role_policy, self.user_pool_domain, self.role_attachment),
        )
        self.register_outputs(
            {
                "userPoolId": self.user_pool.id,
                "identityPoolId": self.identity_pool.id,
                "authenticatedRoleArn": self.authenticated_role.arn,
                "serviceRoleArn": self.service_role.arn,
            }
        )

    def _create_user_pool(
        self, name: str, args: DashboardsAuthArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The invite-only user pool, and the domain its sign-in page lives on."""
        stack = args.stack
        subject, body = invitation(stack)
        self.user_pool = aws.cognito.UserPool(
            f"{name}-user-pool",
            name=user_pool_name(stack),
            # Nobody signs themselves up: an administrator invites each user.
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=True,
                invite_message_template=(
                    aws.cognito.UserPoolAdminCreateUserConfigInviteMessageTemplateArgs(
                        email_subject=subject, email_message=body
                    )
                ),
            ),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=TEMPORARY_PASSWORD_DAYS,
            ),
            # Every user sets up an authenticator app at first sign-in (TOTP only).
            mfa_configuration=MFA,
            software_token_mfa_configuration=(
                aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True)
            ),
            user_pool_tier=FEATURE_PLAN,
            user_pool_add_ons=aws.cognito.UserPoolUserPoolAddOnsArgs(
                advanced_security_mode=THREAT_PROTECTION),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[
                    aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                        name="verified_email", priority=1
                    )
                ]
            ),
            auto_verified_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(
                case_sensitive=False
            ),
            deletion_protection="ACTIVE" if args.protect else "INACTIVE",
            tags=dict(args.tags),
            opts=child,
        )
        self.user_pool_id = self.user_pool.id

        # OpenSearch redirects users to this domain's sign-in page ("Your Amazon Cognito user
        # pool must have a domain name", cognito-auth.html).
        self.user_pool_domain = aws.cognito.UserPoolDomain(
            f"{name}-user-pool-domain",
            domain=self.user_pool.id.apply(lambda i: user_pool_domain_prefix(stack, i)),
            user_pool_id=self.user_pool.id,
            opts=child,
        )

    def _create_identity_pool(
        self, name: str, args: DashboardsAuthArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The identity pool, and the role it hands every signed-in user."""
        stack = args.stack
        # OpenSearch adds the user pool (through the app client it creates) to this pool's
        # providers when it enables Cognito; ignoring them keeps the next `pulumi up` from
        # removing that provider and breaking sign-in.
        self.identity_pool = aws.cognito.IdentityPool(
            f"{name}-identity-pool",
            identity_pool_name=user_pool_name(stack),
            allow_unauthenticated_identities=False,
            allow_classic_flow=False,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["cognito_identity_providers"])
            ),
        )

        self.authenticated_role = aws.iam.Role(
            f"{name}-authenticated-role",
            name=authenticated_role_name(stack),
            description="Signed-in Dashboards users: what the domain access policy allows",
            assume_role_policy=self.identity_pool.id.apply(
                lambda i: json.dumps(authenticated_role_trust_policy(i))
            ),
            tags=dict(args.tags),
            opts=child,
        )
        self.authenticated_role_arn = self.authenticated_role.arn

        self.role_attachment = aws.cognito.IdentityPoolRoleAttachment(
            f"{name}-identity-pool-roles",
            identity_pool_id=self.identity_pool.id,
            roles={"authenticated": self.authenticated_role.arn},
            opts=child,
        )

    def _create_service_role(
        self, name: str, args: DashboardsAuthArgs, child: pulumi.ResourceOptions
    ) -> None:
        """The role OpenSearch Service assumes to configure both pools."""
        self.service_role = aws.iam.Role(
            f"{name}-service-role",
            name=service_role_name(args.stack),
            description="OpenSearch Service configures the Dashboards user and identity pools",
            assume_role_policy=json.dumps(
                service_trust_policy(OPENSEARCH_SERVICE_PRINCIPAL, "OpenSearchServiceOnly")),
            tags=dict(args.tags),
            opts=child,
        )
        # The partition is read from the role's own ARN (arn:<partition>:iam::...): no invoke.
        self.service_role_policy = aws.iam.RolePolicyAttachment(
            f"{name}-service-role-policy",
            role=self.service_role.name,
            policy_arn=self.service_role.arn.apply(lambda a: managed_policy_arn(a.split(":")[1])),
            opts=child,
        )

    def _create_users(
        self, name: str, args: DashboardsAuthArgs, child: pulumi.ResourceOptions
    ) -> None:
        """One invited user per edgelogs:dashboardUsers address."""
        # Named by address, so removing one user never touches the others.
        self.users = {
            email: aws.cognito.User(
                f"{name}-user-{email.lower()}",
                user_pool_id=self.user_pool.id,
                username=email,
                attributes={"email": email, "email_verified": "true"},
                desired_delivery_mediums=["EMAIL"],
                opts=child,
            )
            for email in args.users
        }
