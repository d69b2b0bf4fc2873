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
from components.forwarder_role import SEARCH_WRITE_ACTIONS
from components.identity import caller_identity

TOKEN = "edgelogs:index:SearchDomain"

# The newest TLS 1.2 policy with perfect forward secrecy that botocore lists; the FIPS one
# would refuse clients without FIPS cipher suites for no gain here.
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"

# What an admin principal needs to search and to use Dashboards. HTTP POST is included
# because _search and _msearch are POSTs; IAM cannot tell a search POST from a bulk POST.
ADMIN_ACTIONS: tuple[str, ...] = ("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost")


@dataclass
class SearchDomainArgs:
    domain_name: pulumi.Input[str]
    home_region: pulumi.Input[str]
    settings: DomainSettings
    forwarder_role_arn: pulumi.Input[str]
    # An Input: the Dashboards users' role ARN (an Output) is one of these readers.
    admin_principals: pulumi.Input[Sequence[pulumi.Input[str]]]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    cognito: CognitoOptions | None = None  # Dashboards sign-in with Cognito; None: off


def access_policy(
    *, domain_arn: str, forwarder_role_arn: str, admin_principals: Sequence[str]
) -> dict[str, Any]:
    """Names only the forwarder role and the admins: never an anonymous principal."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ForwarderWrites",
            "Effect": "Allow",
            "Principal": {"AWS": forwarder_role_arn},
            "Action": list(SEARCH_WRITE_ACTIONS),
            "Resource": f"{domain_arn}/*",
        }
    ]
    if admin_principals:
        statements.append(
            {
                "Sid": "AdminsRead",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(admin_principals)},
                "Action": list(ADMIN_ACTIONS),
                "Resource": f"{domain_arn}/*",
            }
        )
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
                else None
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
        self.arn = self.domain.arn
        self.endpoint = self.domain.endpoint.apply(lambda e: f"https://{e}")
        self.dashboards_url = self.domain.endpoint.apply(lambda e: f"https://{e}/_dashboards")
        self.register_outputs(
            {"arn": self.arn, "endpoint": self.endpoint, "dashboardsUrl": self.dashboards_url}
        )
