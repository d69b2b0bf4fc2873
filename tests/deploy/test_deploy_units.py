"""Small pure pieces of the deploy side, and one component built on its own under mocks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import settings

from components import naming
from components.forwarder_role import permissions_policy
from components.function_code import FunctionCode
from components.regional_forwarder import LogSource, RegionalForwarder, RegionalForwarderArgs
from components.search_domain import access_policy
from tests.deploy.harness import RecordingMocks, fake_bundle
from tests.deploy.tokens import FUNCTION, LOG_GROUP


@pytest.mark.parametrize(
    ("stack", "domain"),
    [
        ("dev", "edgelogs-dev"),
        ("Prod_EU", "edgelogs-prod-eu"),
        ("a-very-long-stack-name-indeed", None),
        ("---", "edgelogs-stack"),
    ],
)
def test_domain_names_follow_opensearch_rules(stack: str, domain: str | None) -> None:
    name = naming.domain_name(stack)
    if domain is not None:
        assert name == domain
    assert 3 <= len(name) <= 28 and name[0].isalpha()
    assert all(c.islower() or c.isdigit() or c == "-" for c in name)


def test_long_stack_names_stay_unique_and_bounded() -> None:
    a, b = "x" * 60 + "-one", "x" * 60 + "-two"
    assert naming.resource_prefix(a) != naming.resource_prefix(b)
    assert naming.domain_name(a) != naming.domain_name(b)
    assert len(naming.forwarder_function_name(a)) <= 64
    assert len(naming.failure_queue_name(a)) <= 80


def test_log_group_names() -> None:
    assert naming.edge_log_group_name("auth") == "/aws/lambda/us-east-1.auth"
    assert naming.distribution_log_group_name("E1") == "/aws/cloudfront/LambdaEdge/E1"


def test_role_policy_follows_partition_and_account() -> None:
    policy = permissions_policy(
        partition="aws-cn",
        account_id="999988887777",
        home_region="cn-north-1",
        domain_name="edgelogs-x",
        index_prefix="logs",
        regions=["cn-north-1", "cn-northwest-1"],
        log_group_name="/aws/lambda/f",
        queue_name="q",
    )
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert all(r.startswith("arn:aws-cn:") and ":999988887777:" in r for r in resources)
    assert len(resources) == 1 + 2 + 2  # bulk; own logs and queues in 2 regions


def test_access_policy_names_each_principal_once_and_only_them() -> None:
    policy = access_policy(domain_arn="arn:aws:es:r:1:domain/d",
                           principals=["R", "M", "R"])  # fmt: skip
    assert policy == {"Version": "2012-10-17", "Statement": [{
        "Sid": "StackPrincipals", "Effect": "Allow", "Principal": {"AWS": ["M", "R"]},
        "Action": ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch",
                   "es:ESHttpPost", "es:ESHttpPut"],
        "Resource": "arn:aws:es:r:1:domain/d/*"}]}


def test_regional_forwarder_alone_takes_the_archive_directly(tmp_path: Path) -> None:
    """The component needs no __main__ and no bundle builder: any archive will do."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = RecordingMocks()
    built: dict[str, RegionalForwarder] = {}
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(mocks, project="edgelogs", stack="unit", preview=False)
        archive = pulumi.FileArchive(str(fake_bundle(tmp_path).path))

        @pulumi.runtime.test
        def program() -> pulumi.Output[str]:
            provider = aws.Provider("aws-sa-east-1", region="sa-east-1")
            built["f"] = RegionalForwarder(
                "sa-east-1",
                RegionalForwarderArgs(
                    region="sa-east-1", provider=provider,
                    names=naming.StackNames.for_stack("unit"),
                    role_arn="arn:aws:iam::123456789012:role/fwd",
                    code=FunctionCode(archive, "aGFzaA==", "python3.14", "arm64"),
                    search_endpoint="https://search.example", search_region="eu-west-1",
                    index_prefix="p",
                    sources=[LogSource("/aws/lambda/us-east-1.a", existing=True)],
                    log_retention_days=7, filter_pattern="",
                    alarm_email=None, tags={"k": "v"},
                ),
            )  # fmt: skip
            return built["f"].function.arn

        program()
    finally:
        settings.ROOT.set(None)
        asyncio.set_event_loop(None)
        loop.close()
    regional = [r for r in mocks.resources if r.typ.startswith("aws:")]
    assert {r.region for r in regional} == {"sa-east-1"}
    assert [r.typ for r in regional if r.read] == [LOG_GROUP]
    (fn,) = [r for r in regional if r.typ == FUNCTION]
    assert fn.inputs["code"].path == str(tmp_path / "forwarder.zip")
    assert built["f"].log_group_names == ["/aws/lambda/us-east-1.a"]
