"""SearchDomain: the central OpenSearch Service domain, in the home region."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.config import DomainSettings
from components.dashboards_auth import CognitoOptions
from components.forwarder_role import search_domain_statements
from components.identity import caller_identity

TOKEN = "edgelogs:index:SearchDomain"

# The newest TLS 1.2 policy with perfect forward secrecy that botocore lists; the FIPS one
# would refuse clients without FIPS cipher suites for no gain here.
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"

# Admins search, read and use Dashboards; they never write or delete. GET/HEAD anywhere
# (reads: documents, mappings, _cat, health); POST only where a POST is a read (search
# APIs take their query in a POST body) and under _dashboards/ (the Dashboards app posts
# its searches and saved objects there). No PUT, no DELETE, no _bulk, no _doc POST.
ADMIN_READ_ACTIONS: tuple[str, ...] = ("es:ESHttpGet", "es:ESHttpHead")
ADMIN_POST_PATHS: tuple[str, ...] = (
    "_search", "*/_search", "_search/scroll", "_msearch", "*/_msearch", "_count", "*/_count",
    "_mget", "*/_mget", "*/_field_caps", "_field_caps", "*/_validate/query",
    "_dashboards/*",
)  # fmt: skip
# Dashboards' Dev Tools console forwards any request (path and method in its query) with
# the Dashboards server's access: IAM only sees POST _dashboards/api/console/proxy, so it is
# denied outright rather than letting admins write or delete through it.
ADMIN_DENIED_PATHS: tuple[str, ...] = ("_dashboards/api/console/proxy*",)
ALL_HTTP_ACTIONS: tuple[str, ...] = tuple(
    f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Patch", "Post", "Put")
)
# The domain refuses an index named in a bulk/mget/msearch body, so that the index in the
# URL, which IAM sees, is the one acted on (see forwarder_role.search_domain_statements).
# Known risk, to verify on a real domain: Dashboards' saved-objects bulk get uses _mget
# with _index in the body (https://github.com/opensearch-project/OpenSearch-Dashboards/issues/4270).
ADVANCED_OPTIONS: dict[str, str] = {"rest.action.multi.allow_explicit_index": "false"}


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
    home_region: pulumi.Input[str]
    index_prefix: str
    settings: DomainSettings
    forwarder_role_arn: pulumi.Input[str]
    # An Input: the Dashboards users' role ARN (an Output) is one of these readers.
    admin_principals: pulumi.Input[Sequence[pulumi.Input[str]]]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    cognito: CognitoOptions | None = None  # Dashboards sign-in with Cognito; None: off


def access_policy(
    *,
    domain_arn: str,
    forwarder_role_arn: str,
    admin_principals: Sequence[str],
    index_prefix: str,
) -> dict[str, Any]:
    """Names only the forwarder role and the admins: never an anonymous principal.

    The forwarder gets exactly what its role's policy grants (the same statements).
    """
    statements: list[dict[str, Any]] = [
        {**s, "Principal": {"AWS": forwarder_role_arn}}
        for s in search_domain_statements(domain_arn, index_prefix)
    ]
    if admin_principals:
        admins = {"AWS": sorted(admin_principals)}
        statements += [
            {
                "Sid": "AdminsRead",
                "Effect": "Allow",
                "Principal": admins,
                "Action": list(ADMIN_READ_ACTIONS),
                "Resource": f"{domain_arn}/*",
            },
            {
                "Sid": "AdminsSearch",
                "Effect": "Allow",
                "Principal": admins,
                "Action": ["es:ESHttpPost"],
                "Resource": [f"{domain_arn}/{p}" for p in ADMIN_POST_PATHS],
            },
            {
                "Sid": "AdminsNoConsoleProxy",
                "Effect": "Deny",
                "Principal": admins,
                "Action": list(ALL_HTTP_ACTIONS),
                "Resource": [f"{domain_arn}/{p}" for p in ADMIN_DENIED_PATHS],
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


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
        s = args.settings
        prefix = args.index_prefix

        # The domain's own ARN is built from its fixed name so the policy can be set on
        # create, without a second resource that would leave a window with no policy.
        policy = pulumi.Output.all(
            identity.partition,
            identity.account_id,
            args.home_region,
            args.domain_name,
            args.forwarder_role_arn,
            args.admin_principals,
        ).apply(
            lambda v: json.dumps(
                access_policy(
                    domain_arn=naming.domain_arn(v[0], v[2], v[1], v[3]),
                    forwarder_role_arn=v[4],
                    admin_principals=v[5],
                    index_prefix=prefix,
                )
            )
        )
        cognito = args.cognito

        self.domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            engine_version=s.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=s.instance_type,
                instance_count=s.instance_count,
                zone_awareness_enabled=s.zone_awareness,
                zone_awareness_config=(
                    aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                        availability_zone_count=2
                    )
                    if s.zone_awareness
                    else None
                ),
                dedicated_master_enabled=s.dedicated_master_count > 0,
                dedicated_master_type=s.dedicated_master_type,
                dedicated_master_count=s.dedicated_master_count or None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_type="gp3", volume_size=s.volume_size_gb
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            access_policies=policy,
            cognito_options=(
                aws.opensearch.DomainCognitoOptionsArgs(
                    enabled=True,
                    user_pool_id=cognito.user_pool_id,
                    identity_pool_id=cognito.identity_pool_id,
                    role_arn=cognito.role_arn,
                )
                if cognito
                else COGNITO_DISABLED
            ),
            advanced_options=ADVANCED_OPTIONS,
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
        self.arn = self.domain.arn
        self.endpoint = self.domain.endpoint.apply(lambda e: f"https://{e}")
        self.dashboards_url = self.domain.endpoint.apply(lambda e: f"https://{e}/_dashboards")
        self.register_outputs(
            {"arn": self.arn, "endpoint": self.endpoint, "dashboardsUrl": self.dashboards_url}
        )
