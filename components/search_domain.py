"""SearchDomain: the central OpenSearch Service domain, in the home region."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from contract import ROLE_OPERATOR, ROLE_READER, ROLE_WRITER

from components import naming
from components.config import DomainSettings
from components.dashboards_auth import CognitoOptions
from components.domain_setup import DomainSetup, invocation_input
from components.identity import Identity, caller_identity

TOKEN = "edgelogs:index:SearchDomain"

# The newest TLS 1.2 policy with perfect forward secrecy that botocore lists; the FIPS one
# would refuse clients without FIPS cipher suites for no gain here.
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"

# Every HTTP method: with fine-grained access control the security plugin decides, per index
# and per action, what each principal may do (lambda_src/domain_setup/roles.py). IAM path
# patterns cannot say "read-only" (a POST <index>/_doc/_search indexes a document, a
# template's body is invisible to IAM), so the access policy only says WHO may reach the
# domain: the stack's principals, never "*". AWS's own advice for an IAM master user:
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-recommendations
# Listed, not "es:ESHttp*": the program writes no wildcard action anywhere.
ALL_HTTP_ACTIONS: tuple[str, ...] = tuple(
    f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Patch", "Post", "Put"))


@dataclass(frozen=True)
class DomainPrincipals:
    """Who reaches the domain, by role of lambda_src/domain_setup/roles.py."""

    writers: pulumi.Input[Sequence[pulumi.Input[str]]]  # the forwarder role
    operators: pulumi.Input[Sequence[pulumi.Input[str]]]  # operatorPrincipals
    readers: pulumi.Input[Sequence[pulumi.Input[str]]]  # adminPrincipals, Dashboards users


# Cognito off is sent explicitly, never left out: switching a live stack from `cognito` to
# `none` then updates the domain to CognitoOptions {Enabled: false} before Pulumi deletes the
# pools (deletes come last in an update), so no domain is left pointing at a deleted user
# pool. Leaving the block out would show no change to update. The provider's schema requires
# the three ids, but it sends them only when enabled (terraform-provider-aws, internal/service/
# opensearch/flex.go, expandCognitoOptions), so AWS receives Enabled=false alone.
COGNITO_DISABLED = aws.opensearch.DomainCognitoOptionsArgs(
    enabled=False, user_pool_id="", identity_pool_id="", role_arn=""
)


@dataclass
class SearchDomainArgs:
    domain_name: pulumi.Input[str]
    home_region: str
    index_prefix: str
    index_retention_days: int
    settings: DomainSettings
    principals: DomainPrincipals
    setup: DomainSetup  # its role is the master user; invoked once the domain exists
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    cognito: CognitoOptions | None = None  # Dashboards sign-in with Cognito; None: off


def access_policy(*, domain_arn: str, principals: Sequence[str]) -> dict[str, Any]:
    """One statement naming exactly the stack's principals: never an anonymous principal."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "StackPrincipals",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(set(principals))},
            "Action": list(ALL_HTTP_ACTIONS),
            "Resource": f"{domain_arn}/*",
        }],
    }


def cluster_config(s: DomainSettings) -> aws.opensearch.DomainClusterConfigArgs:
    """The data nodes, their zones and the dedicated masters, from domain.* settings."""
    return aws.opensearch.DomainClusterConfigArgs(
        instance_type=s.instance_type,
        instance_count=s.instance_count,
        zone_awareness_enabled=s.zone_awareness,
        zone_awareness_config=(
            aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(availability_zone_count=2)
            if s.zone_awareness
            else None
        ),
        dedicated_master_enabled=s.dedicated_master_count > 0,
        dedicated_master_type=s.dedicated_master_type,
        dedicated_master_count=s.dedicated_master_count or None,
    )


def cognito_options(cognito: CognitoOptions | None) -> aws.opensearch.DomainCognitoOptionsArgs:
    """Dashboards sign-in with Cognito, or off (sent explicitly, see COGNITO_DISABLED)."""
    if cognito is None:
        return COGNITO_DISABLED
    return aws.opensearch.DomainCognitoOptionsArgs(
        enabled=True,
        user_pool_id=cognito.user_pool_id,
        identity_pool_id=cognito.identity_pool_id,
        role_arn=cognito.role_arn,
    )


class SearchDomain(pulumi.ComponentResource):
    domain: aws.opensearch.Domain
    endpoint: pulumi.Output[str]
    """https URL of the domain, as the forwarder wants it."""
    dashboards_url: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: SearchDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        identity = caller_identity(self, args.provider)

        self._create_domain(name, args, identity)
        self.arn = self.domain.arn
        self.endpoint = self.domain.endpoint.apply(lambda e: f"https://{e}")
        self._create_setup_invocation(name, args)
        self.dashboards_url = self.domain.endpoint.apply(lambda e: f"https://{e}/_dashboards")
        self.register_outputs(
            {"arn": self.arn, "endpoint": self.endpoint, "dashboardsUrl": self.dashboards_url,
             "setupResult": self.setup.result}
        )

    def _create_domain(self, name: str, args: SearchDomainArgs, identity: Identity) -> None:
        """The domain, its access policy set on create, with fine-grained access control."""
        s = args.settings
        p = args.principals
        master = args.setup.role_arn
        # The domain's own ARN is built from its fixed name so the policy can be set on
        # create, without a second resource that would leave a window with no policy.
        policy = pulumi.Output.all(
            identity.partition, identity.account_id, args.domain_name, master,
            p.writers, p.operators, p.readers,
        ).apply(
            lambda v: json.dumps(access_policy(
                domain_arn=naming.domain_arn(v[0], args.home_region, v[1], v[2]),
                principals=[v[3], *v[4], *v[5], *v[6]],
            ))
        )  # fmt: skip
        cognito = args.cognito

        self.domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            engine_version=s.engine_version,
            cluster_config=cluster_config(s),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_type="gp3", volume_size=s.volume_size_gb
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            access_policies=policy,
            cognito_options=cognito_options(cognito),
            # Fine-grained access control with an IAM master user: the setup function's role.
            # It needs encryption at rest, node-to-node encryption and HTTPS (all on above):
            # https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-enabling
            # No internal users (IAM principals only) and no anonymous access (the
            # 30-day migration period is only for enabling it on an existing domain:
            # https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_AdvancedSecurityOptionsInput.html).
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=True,
                internal_user_database_enabled=False,
                anonymous_auth_enabled=False,
                master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                    master_user_arn=master),
            ),
            tags=args.tags,
            # Protected by default (domain.protect): a `pulumi destroy` cannot delete the logs
            # by accident. Not retain_on_delete: that would orphan a billed domain whose fixed
            # name then blocks re-creating the stack.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                protect=s.protect,
                depends_on=list(cognito.depends_on) if cognito else None,
            ),
        )

    def _create_setup_invocation(self, name: str, args: SearchDomainArgs) -> None:
        """The domain setup, invoked as the master user once the domain exists."""
        s = args.settings
        p = args.principals
        prefix = args.index_prefix
        # The roles, their mappings, the index templates and the ISM policy, applied as the
        # master user as soon as the domain exists, and again whenever the input changes
        # (a principal, the retention, the setup's code: its hash is in the input). A
        # failure fails `pulumi up` with the function's error, the engine's reason.
        setup_input = pulumi.Output.all(self.endpoint, p.writers, p.operators, p.readers,
                                        args.setup.code_hash).apply(
            lambda v: invocation_input(
                endpoint=v[0], region=args.home_region, index_prefix=prefix,
                retention_days=args.index_retention_days,
                principals={ROLE_WRITER: v[1], ROLE_OPERATOR: v[2], ROLE_READER: v[3]},
                code_hash=v[4], shards=s.index_shards, replicas=s.index_replicas))
        self.setup = aws.lambda_.Invocation(
            f"{name}-setup",
            function_name=args.setup.function.name,
            input=setup_input,
            # "Map of arbitrary keys and values that, when changed, will trigger a
            # re-invocation" (https://www.pulumi.com/registry/packages/aws/api-docs/lambda/invocation/):
            # the digest of the whole input, so any change re-invokes whatever the provider
            # does with an updated input under the default CREATE_ONLY lifecycle scope.
            triggers=setup_input.apply(
                lambda i: {"input": hashlib.sha256(i.encode()).hexdigest()}),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider,
                                        depends_on=[self.domain]),
        )
