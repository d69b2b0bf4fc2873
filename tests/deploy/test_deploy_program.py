"""The whole program under mocks: the default 13-region stack and a small custom one.

Assertions are on the whole registered graph: exact counts per type, which provider each
regional resource got, names, targets, policies and tags.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import bundle as bundle_module
from components.config import DEFAULT_REGIONS
from tests.deploy.expected import GLOBAL_TYPES, NOT_TAGGABLE, TAGGABLE, expected_counts
from tests.deploy.harness import ACCOUNT, ProgramRun

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
PERMISSION = "aws:lambda/permission:Permission"
DOMAIN = "aws:opensearch/domain:Domain"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TOPIC_SUB = "aws:sns/topicSubscription:TopicSubscription"

EDGE_FUNCTIONS = ["site-auth", "img-resize"]
# These tests pin down the forwarders' graph; the daily coverage check (on by default) adds its
# own home-region resources, asserted with the whole default graph in
# test_deploy_coverage_check.py.
NO_CHECK = {"coverageCheck": False}
DEFAULT_TAGS = {"app": "edgelogs", "edgelogs:stack": "dev"}

CUSTOM: dict[str, Any] = {
    "homeRegion": "eu-central-1",  # not a collecting region: gets a provider of its own
    "regions": ["us-east-1", "ap-south-1"],
    "edgeFunctions": ["auth"],
    "distributionIds": ["E2QWRUHAPOMQZL"],
    "existingLogGroups": {"us-east-1": ["/aws/lambda/us-east-1.auth"]},
    "logRetentionDays": 90,
    "filterPattern": "?ERROR ?REPORT",
    "indexPrefix": "edge-prod",
    "adminPrincipals": ["arn:aws:iam::111122223333:role/ops", "arn:aws:iam::111122223333:root"],
    "alarmEmail": "ops@example.com",
    "dashboardUsers": ["ops@example.com"],
    "tags": {"team": "edge", "cost-center": "42"},
    "domain": {"instanceType": "m7g.large.search", "instanceCount": 2, "zoneAwareness": True,
               "volumeSizeGb": 50},
    **NO_CHECK,
}  # fmt: skip
CUSTOM_TAGS = {"app": "edgelogs", "team": "edge", "cost-center": "42", "edgelogs:stack": "prod"}


@pytest.fixture
def default_stack(run) -> ProgramRun:
    return run({"edgeFunctions": EDGE_FUNCTIONS, **NO_CHECK})


@pytest.fixture
def custom_stack(run) -> ProgramRun:
    return run(CUSTOM, stack="prod")


def region_of_name(name: str, regions: tuple[str, ...] | list[str]) -> str | None:
    """Regional children are named "<region>-..."; the longest matching region wins."""
    matches = [r for r in regions if name == r or name.startswith(f"{r}-")]
    return max(matches, key=len) if matches else None


# ---- the default stack -------------------------------------------------------------------


def test_default_stack_exact_counts(default_stack: ProgramRun) -> None:
    assert default_stack.counts() == expected_counts(regions=13, sources=2)
    assert not [r for r in default_stack.resources if r.read]


def test_one_explicit_provider_per_region(default_stack: ProgramRun) -> None:
    providers = default_stack.of_type("pulumi:providers:aws")
    assert sorted(p.inputs["region"] for p in providers) == sorted(DEFAULT_REGIONS)
    assert all(p.name == f"aws-{p.inputs['region']}" for p in providers)


def test_every_regional_resource_uses_its_own_regions_provider(
    default_stack: ProgramRun,
) -> None:
    checked = 0
    for r in default_stack.resources:
        if not r.typ.startswith("aws:"):
            continue
        assert r.provider_id is not None, f"{r.typ} {r.name} used the default provider"
        if r.typ in GLOBAL_TYPES or r.parent_type == "edgelogs:index:DomainAlarms":
            assert r.region == "us-east-1", (r.typ, r.name)
        else:
            assert r.region == region_of_name(r.name, DEFAULT_REGIONS), (r.typ, r.name, r.region)
            checked += 1
    # fn, 2 perms, async, own lg, queue, topic, 4 alarms, 2 edge lgs, 2 filters
    per_region = 1 + 2 + 1 + 1 + 1 + 1 + 4 + 2 + 2
    assert checked == 13 * per_region


def test_invokes_are_answered_by_explicit_providers(default_stack: ProgramRun) -> None:
    invokes = default_stack.mocks.invokes
    assert all(i.region is not None for i in invokes)
    identity = [i for i in invokes if i.token == "aws:index/getCallerIdentity:getCallerIdentity"]
    partition = [i for i in invokes if i.token == "aws:index/getPartition:getPartition"]
    # SearchDomain, ForwarderRole, DomainAlarms, OperatorPolicy in the home region; one per
    # RegionalForwarder
    home_twice = ["us-east-1"] * 4
    assert sorted(i.region for i in identity) == sorted([*DEFAULT_REGIONS, *home_twice])
    assert len(partition) == len(identity)


def test_components_parent_their_children(default_stack: ProgramRun) -> None:
    parents = {(r.typ, r.parent_type) for r in default_stack.resources}
    assert (DOMAIN, "edgelogs:index:SearchDomain") in parents
    assert (ROLE, "edgelogs:index:ForwarderRole") in parents
    assert (ROLE_POLICY, "edgelogs:index:ForwarderRole") in parents
    for typ in (FUNCTION, PERMISSION, FILTER, LOG_GROUP,
                "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"):  # fmt: skip
        assert {p for t, p in parents if t == typ} == {"edgelogs:index:RegionalForwarder"}, typ
    assert {p for t, p in parents if t == "aws:sqs/queue:Queue"} == {"edgelogs:index:FailureQueue"}
    assert {p for t, p in parents if t == "aws:sns/topic:Topic"} == {
        "edgelogs:index:ForwarderAlarms"
    }  # the home region collects: the domain alarms reuse its topic
    assert {p for t, p in parents if t == "aws:cloudwatch/metricAlarm:MetricAlarm"} == {
        "edgelogs:index:ForwarderAlarms", "edgelogs:index:DomainAlarms"
    }
    for typ in ("edgelogs:index:FailureQueue", "edgelogs:index:ForwarderAlarms"):
        assert {p for t, p in parents if t == typ} == {"edgelogs:index:RegionalForwarder"}


def test_log_groups_per_region(default_stack: ProgramRun) -> None:
    for region in DEFAULT_REGIONS:
        groups = {
            r.inputs["name"]: r for r in default_stack.of_type(LOG_GROUP) if r.region == region
        }
        assert set(groups) == {
            "/aws/lambda/edgelogs-dev-forwarder",
            "/aws/lambda/us-east-1.site-auth",
            "/aws/lambda/us-east-1.img-resize",
        }
        assert {g.inputs["retentionInDays"] for g in groups.values()} == {30}


def test_forwarder_log_group_is_created_before_the_function(default_stack: ProgramRun) -> None:
    for region in DEFAULT_REGIONS:
        deps = default_stack.depends_on(FUNCTION, f"{region}-forwarder")
        assert (LOG_GROUP, f"{region}-forwarder-logs") in deps
        assert (ROLE_POLICY, "forwarder-policy") in deps  # permissions exist first


def test_subscription_filters_target_their_regions_forwarder(default_stack: ProgramRun) -> None:
    functions = {f.region: f for f in default_stack.of_type(FUNCTION)}
    filters = default_stack.of_type(FILTER)
    assert len(filters) == 26
    for f in filters:
        fn = functions[f.region]
        assert f.inputs["destinationArn"] == fn.outputs["arn"]
        assert f.inputs["destinationArn"] == (
            f"arn:aws:lambda:{f.region}:{ACCOUNT}:function:edgelogs-dev-forwarder"
        )
        assert f.inputs["filterPattern"] == ""
        assert f.inputs["name"] == "edgelogs-dev"  # per stack: never another stack's filter
        deps = default_stack.depends_on(FILTER, f.name)
        assert len([d for d in deps if d[0] == PERMISSION]) == 1
    by_region = {r: sorted(f.inputs["logGroup"] for f in filters if f.region == r)
                 for r in DEFAULT_REGIONS}  # fmt: skip
    assert all(
        v == ["/aws/lambda/us-east-1.img-resize", "/aws/lambda/us-east-1.site-auth"]
        for v in by_region.values()
    )


def test_permissions_let_only_this_regions_logs_service_invoke_for_each_group(
    default_stack: ProgramRun,
) -> None:
    permissions = default_stack.of_type(PERMISSION)
    assert len(permissions) == 13 * 2
    for p in permissions:
        assert p.inputs["action"] == "lambda:InvokeFunction"
        assert p.inputs["function"] == "edgelogs-dev-forwarder"
        assert p.inputs["principal"] == f"logs.{p.region}.amazonaws.com"
        assert p.inputs["sourceAccount"] == ACCOUNT
    for region in DEFAULT_REGIONS:
        assert {p.inputs["sourceArn"] for p in permissions if p.region == region} == {
            f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/us-east-1.{fn}:*"
            for fn in EDGE_FUNCTIONS
        }


def test_forwarder_function_settings(default_stack: ProgramRun, fake_forwarder_bundle) -> None:
    for fn in default_stack.of_type(FUNCTION):
        i = fn.inputs
        assert i["name"] == "edgelogs-dev-forwarder"
        assert i["runtime"] == bundle_module.LAMBDA_RUNTIME
        assert i["architectures"] == ["arm64"]
        assert i["handler"] == "forwarder.handler.lambda_handler"
        assert i["timeout"] == 120 and i["memorySize"] == 256
        assert i["reservedConcurrentExecutions"] == 5
        assert i["role"] == f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder"
        assert i["sourceCodeHash"] == fake_forwarder_bundle.source_code_hash
        assert i["code"].path == str(fake_forwarder_bundle.path)
        assert i["environment"]["variables"] == {
            "OPENSEARCH_ENDPOINT": "https://search-edgelogs-dev-mock.us-east-1.es.amazonaws.com",
            "OPENSEARCH_REGION": "us-east-1",
            "OPENSEARCH_SERVICE": "es",
            "INDEX_PREFIX": "lambda-edge",
            "INDEX_RETENTION_DAYS": "14",
            # domain.expectedDailyGb 1 on one node: one shard, no replica
            "INDEX_SHARDS": "1",
            "INDEX_REPLICAS": "0",
        }


def test_domain_security_settings(default_stack: ProgramRun) -> None:
    (domain,) = default_stack.of_type(DOMAIN)
    i = domain.inputs
    assert domain.region == "us-east-1"
    assert i["domainName"] == "edgelogs-dev"
    assert i["engineVersion"] == "OpenSearch_2.19"
    assert i["encryptAtRest"] == {"enabled": True}
    assert i["nodeToNodeEncryption"] == {"enabled": True}
    assert i["domainEndpointOptions"] == {
        "enforceHttps": True,
        "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    }
    assert i["ebsOptions"] == {"ebsEnabled": True, "volumeType": "gp3", "volumeSize": 10}
    assert i["clusterConfig"]["instanceType"] == "t3.small.search"
    assert i["clusterConfig"]["instanceCount"] == 1
    # The index named in the URL is the one acted on (the forwarder's grant is per path).
    assert i["advancedOptions"] == {"rest.action.multi.allow_explicit_index": "false"}
    policy = json.loads(i["accessPolicies"])
    domain_arn = f"arn:aws:es:us-east-1:{ACCOUNT}:domain/edgelogs-dev"
    forwarder = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder"}
    assert policy["Statement"] == [
        {
            "Sid": "ForwarderBulkIntoOwnIndices",
            "Effect": "Allow",
            "Action": ["es:ESHttpPost"],
            "Resource": [f"{domain_arn}/lambda-edge-*/_bulk"],
            "Principal": forwarder,
        },
        {
            "Sid": "ForwarderOwnTemplatesAndRetention",
            "Effect": "Allow",
            "Action": ["es:ESHttpGet", "es:ESHttpPut"],
            "Resource": [
                f"{domain_arn}/_index_template/lambda-edge",
                f"{domain_arn}/_index_template/lambda-edge-errors",
                f"{domain_arn}/_plugins/_ism/policies/lambda-edge-retention",
            ],
            "Principal": forwarder,
        },
        *ADMIN_STATEMENTS(domain_arn, [f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-dashboards"]),
    ]
    assert (ROLE, "forwarder-role") in default_stack.depends_on(DOMAIN, "search-domain")


def ADMIN_STATEMENTS(domain_arn: str, admins: list[str]) -> list[dict[str, Any]]:
    """The readers' three statements, as the custom-stack test checks them piece by piece."""
    from components.search_domain import ADMIN_DENIED_PATHS, ADMIN_POST_PATHS

    principal = {"AWS": sorted(admins)}
    return [
        {"Sid": "AdminsRead", "Effect": "Allow", "Principal": principal,
         "Action": ["es:ESHttpGet", "es:ESHttpHead"], "Resource": f"{domain_arn}/*"},
        {"Sid": "AdminsSearch", "Effect": "Allow", "Principal": principal,
         "Action": ["es:ESHttpPost"], "Resource": [f"{domain_arn}/{p}" for p in ADMIN_POST_PATHS]},
        {"Sid": "AdminsNoConsoleProxy", "Effect": "Deny", "Principal": principal,
         "Action": [f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Patch", "Post", "Put")],
         "Resource": [f"{domain_arn}/{p}" for p in ADMIN_DENIED_PATHS]},
    ]


def _no_wildcards(policy: dict[str, Any]) -> None:
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        assert all("*" not in a for a in actions), st
        assert all(r != "*" for r in resources), st
        principal = st.get("Principal")
        assert principal != "*" and principal != {"AWS": "*"}, st


def test_forwarder_role_trust_and_permissions(default_stack: ProgramRun) -> None:
    role = default_stack.one(ROLE, "forwarder-role")
    assert role.inputs["name"] == "edgelogs-dev-forwarder"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Sid": "LambdaOnly",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    (policy_res,) = default_stack.of_type(ROLE_POLICY)
    assert policy_res.inputs["role"] == "forwarder-role-id"
    policy = json.loads(policy_res.inputs["policy"])
    _no_wildcards(policy)
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {
        "ForwarderBulkIntoOwnIndices",
        "ForwarderOwnTemplatesAndRetention",
        "WriteOwnLogs",
        "SendToOwnFailureQueues",
    }
    domain_arn = f"arn:aws:es:us-east-1:{ACCOUNT}:domain/edgelogs-dev"
    assert statements["ForwarderBulkIntoOwnIndices"]["Action"] == ["es:ESHttpPost"]
    assert statements["ForwarderBulkIntoOwnIndices"]["Resource"] == [
        f"{domain_arn}/lambda-edge-*/_bulk"
    ]
    assert statements["ForwarderOwnTemplatesAndRetention"]["Action"] == [
        "es:ESHttpGet", "es:ESHttpPut",
    ]  # fmt: skip
    assert statements["ForwarderOwnTemplatesAndRetention"]["Resource"] == [
        f"{domain_arn}/_index_template/lambda-edge",
        f"{domain_arn}/_index_template/lambda-edge-errors",
        f"{domain_arn}/_plugins/_ism/policies/lambda-edge-retention",
    ]
    # The domain access policy grants the role exactly the same.
    (domain,) = default_stack.of_type(DOMAIN)
    granted = json.loads(domain.inputs["accessPolicies"])["Statement"]
    forwarder_arn = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder"
    assert [{k: v for k, v in s.items() if k != "Principal"} for s in granted
            if s["Principal"] == {"AWS": forwarder_arn}] == [
        statements["ForwarderBulkIntoOwnIndices"], statements["ForwarderOwnTemplatesAndRetention"]
    ]
    assert statements["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statements["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:{r}:{ACCOUNT}:log-group:/aws/lambda/edgelogs-dev-forwarder:*"
        for r in DEFAULT_REGIONS
    ]
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_domain_access_policy_never_anonymous(default_stack: ProgramRun) -> None:
    (domain,) = default_stack.of_type(DOMAIN)
    _no_wildcards(json.loads(domain.inputs["accessPolicies"]))


def test_tags_on_every_taggable_resource(default_stack: ProgramRun) -> None:
    seen = {r.typ for r in default_stack.resources}
    assert seen <= TAGGABLE | NOT_TAGGABLE, seen - TAGGABLE - NOT_TAGGABLE
    tagged = [r for r in default_stack.resources if r.typ in TAGGABLE and not r.read]
    assert tagged and all(r.inputs.get("tags") == DEFAULT_TAGS for r in tagged), [
        (r.typ, r.name) for r in tagged if r.inputs.get("tags") != DEFAULT_TAGS
    ]
    for p in default_stack.of_type("pulumi:providers:aws"):
        assert json.loads(p.inputs["defaultTags"]) == {"tags": DEFAULT_TAGS}


def test_stack_outputs(default_stack: ProgramRun) -> None:
    out = default_stack.outputs
    assert set(out) == {
        "domainEndpoint",
        "domainRegion",
        "indexPrefix",
        "dashboardsUrl",
        "dashboardsSignIn",
        "userPoolId",
        "forwarderArns",
        "logGroups",
        "failureQueueUrls",
        "alarmTopicArns",
        "homeAlarmTopicArn",
        "operatorPolicyArn",
    }
    assert out["domainEndpoint"] == "https://search-edgelogs-dev-mock.us-east-1.es.amazonaws.com"
    assert out["dashboardsUrl"] == out["domainEndpoint"] + "/_dashboards"
    assert out["domainRegion"] == "us-east-1"
    assert out["indexPrefix"] == "lambda-edge"
    assert out["forwarderArns"] == {
        r: f"arn:aws:lambda:{r}:{ACCOUNT}:function:edgelogs-dev-forwarder" for r in DEFAULT_REGIONS
    }
    assert out["logGroups"] == {
        r: ["/aws/lambda/us-east-1.site-auth", "/aws/lambda/us-east-1.img-resize"]
        for r in DEFAULT_REGIONS
    }
    assert out["homeAlarmTopicArn"] == out["alarmTopicArns"]["us-east-1"]
    assert out["failureQueueUrls"] == {
        r: f"https://sqs.{r}.amazonaws.com/{ACCOUNT}/edgelogs-dev-failures" for r in DEFAULT_REGIONS
    }


# ---- a small custom stack ----------------------------------------------------------------


def test_custom_stack_exact_counts(custom_stack: ProgramRun) -> None:
    assert custom_stack.counts() == expected_counts(
        regions=2, sources=2, existing=1, email=True, home_outside_regions=True,
        dashboard_users=1,
    )  # fmt: skip
    reads = [r for r in custom_stack.resources if r.read]
    assert [(r.typ, r.region, r.outputs["name"]) for r in reads] == [
        (LOG_GROUP, "us-east-1", "/aws/lambda/us-east-1.auth")
    ]


def test_custom_stack_home_region_holds_the_global_resources(custom_stack: ProgramRun) -> None:
    regions = sorted(p.inputs["region"] for p in custom_stack.of_type("pulumi:providers:aws"))
    assert regions == ["ap-south-1", "eu-central-1", "us-east-1"]
    for typ in GLOBAL_TYPES:
        assert {r.region for r in custom_stack.of_type(typ)} == {"eu-central-1"}
    assert {f.region for f in custom_stack.of_type(FUNCTION)} == {"us-east-1", "ap-south-1"}
    policy = json.loads(custom_stack.of_type(ROLE_POLICY)[0].inputs["policy"])
    search = [r for s in policy["Statement"] for r in s["Resource"] if r.startswith("arn:aws:es")]
    assert search and all(
        r.startswith(f"arn:aws:es:eu-central-1:{ACCOUNT}:domain/edgelogs-prod/") for r in search
    )


def test_existing_log_group_is_referenced_not_created_but_subscribed(
    custom_stack: ProgramRun,
) -> None:
    created = {(r.region, r.inputs["name"]) for r in custom_stack.of_type(LOG_GROUP) if not r.read}
    assert ("us-east-1", "/aws/lambda/us-east-1.auth") not in created
    assert ("ap-south-1", "/aws/lambda/us-east-1.auth") in created  # only adopted in us-east-1
    subscribed = {(f.region, f.inputs["logGroup"]) for f in custom_stack.of_type(FILTER)}
    assert subscribed == {
        ("us-east-1", "/aws/lambda/us-east-1.auth"),
        ("us-east-1", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"),
        ("ap-south-1", "/aws/lambda/us-east-1.auth"),
        ("ap-south-1", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"),
    }
    adopted = next(r for r in custom_stack.resources if r.read)
    assert adopted.provider_id is not None and adopted.region == "us-east-1"


def test_distribution_log_groups_created_with_retention(custom_stack: ProgramRun) -> None:
    groups = [
        r for r in custom_stack.of_type(LOG_GROUP)
        if r.inputs.get("name") == "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"
    ]  # fmt: skip
    assert sorted(g.region for g in groups) == ["ap-south-1", "us-east-1"]
    assert all(g.inputs["retentionInDays"] == 90 for g in groups)


def test_custom_stack_settings_reach_the_resources(custom_stack: ProgramRun) -> None:
    assert {f.inputs["filterPattern"] for f in custom_stack.of_type(FILTER)} == {"?ERROR ?REPORT"}
    for fn in custom_stack.of_type(FUNCTION):
        assert fn.inputs["environment"]["variables"]["INDEX_PREFIX"] == "edge-prod"
        assert fn.inputs["name"] == "edgelogs-prod-forwarder"
    for region in ("us-east-1", "ap-south-1"):
        assert {p.inputs["sourceArn"] for p in custom_stack.of_type(PERMISSION)
                if p.region == region} == {
            f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{g}:*"
            for g in ("/aws/lambda/us-east-1.auth", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL")
        }  # fmt: skip
    assert {f.inputs["name"] for f in custom_stack.of_type(FILTER)} == {"edgelogs-prod"}
    (domain,) = custom_stack.of_type(DOMAIN)
    cluster = domain.inputs["clusterConfig"]
    assert cluster["instanceType"] == "m7g.large.search" and cluster["instanceCount"] == 2
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 2}
    assert domain.inputs["ebsOptions"]["volumeSize"] == 50


def test_custom_stack_admin_principals_in_domain_policy(custom_stack: ProgramRun) -> None:
    (domain,) = custom_stack.of_type(DOMAIN)
    policy = json.loads(domain.inputs["accessPolicies"])
    _no_wildcards(policy)
    principals = [s["Principal"]["AWS"] for s in policy["Statement"]]
    admin_arns = [
        "arn:aws:iam::111122223333:role/ops",
        "arn:aws:iam::111122223333:root",
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-dashboards",  # Dashboards users
    ]
    assert principals == [f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-forwarder"] * 2 + [
        admin_arns
    ] * 3
    domain_arn = f"arn:aws:es:eu-central-1:{ACCOUNT}:domain/edgelogs-prod"
    read, search, no_proxy = policy["Statement"][2:]
    assert (read["Effect"], read["Action"]) == ("Allow", ["es:ESHttpGet", "es:ESHttpHead"])
    assert read["Resource"] == f"{domain_arn}/*"
    # POST only where a POST reads: search APIs and the Dashboards app; never _bulk/_doc.
    assert (search["Effect"], search["Action"]) == ("Allow", ["es:ESHttpPost"])
    assert f"{domain_arn}/*/_search" in search["Resource"]
    assert f"{domain_arn}/_dashboards/*" in search["Resource"]
    assert not any(r.endswith(("/_bulk", "/_doc", "/*")) and not r.endswith("_dashboards/*")
                   for r in search["Resource"])
    assert no_proxy["Effect"] == "Deny"
    assert no_proxy["Resource"] == [f"{domain_arn}/_dashboards/api/console/proxy*"]


def test_custom_stack_tags(custom_stack: ProgramRun) -> None:
    tagged = [r for r in custom_stack.resources if r.typ in TAGGABLE and not r.read]
    assert all(r.inputs.get("tags") == CUSTOM_TAGS for r in tagged)
    for p in custom_stack.of_type("pulumi:providers:aws"):
        assert json.loads(p.inputs["defaultTags"]) == {"tags": CUSTOM_TAGS}


def test_custom_stack_email_subscription_per_region(custom_stack: ProgramRun) -> None:
    subs = custom_stack.of_type(TOPIC_SUB)
    # the home region does not collect: the domain alarms' own topic is subscribed too
    assert sorted(s.region for s in subs) == ["ap-south-1", "eu-central-1", "us-east-1"]
    for s in subs:
        assert s.inputs["protocol"] == "email" and s.inputs["endpoint"] == "ops@example.com"
        assert s.inputs["topic"] == f"arn:aws:sns:{s.region}:{ACCOUNT}:edgelogs-prod-alarms"


def test_long_stack_name_keeps_names_within_aws_limits(run) -> None:
    stack = "a-very-long-stack-name-for-a-team-that-likes-long-names-2026"
    result = run({"edgeFunctions": ["a"], "regions": ["us-east-1"], **NO_CHECK}, stack=stack)
    (domain,) = result.of_type(DOMAIN)
    assert 3 <= len(domain.inputs["domainName"]) <= 28
    (fn,) = result.of_type(FUNCTION)
    assert len(fn.inputs["name"]) <= 64
    (queue,) = result.of_type("aws:sqs/queue:Queue")
    assert len(queue.inputs["name"]) <= 80
    assert all(len(role.inputs["name"]) <= 64 for role in result.of_type(ROLE))
