"""The whole program under mocks: the default 13-region stack and a small custom one.

Assertions are on the whole registered graph: exact counts per type, which provider each
regional resource got, names, targets, policies and tags.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from components.config import DEFAULT_REGIONS
from tests.deploy.expected import GLOBAL_TYPES, NOT_TAGGABLE, TAGGABLE, expected_counts
from tests.deploy.harness import ACCOUNT, ProgramRun
from tests.deploy.tokens import (
    ALARM,
    DOMAIN,
    DOMAIN_ALARMS,
    DOMAIN_SETUP,
    FAILURE_QUEUE,
    FORWARDER_ALARMS,
    FORWARDER_ROLE,
    FUNCTION,
    GET_CALLER_IDENTITY,
    GET_PARTITION,
    INVOCATION,
    INVOKE_CONFIG,
    LOG_GROUP,
    PERMISSION,
    PROVIDER,
    QUEUE,
    REGIONAL_FORWARDER,
    ROLE,
    ROLE_POLICY,
    SEARCH_DOMAIN,
    SUBSCRIPTION_FILTER,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)

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
    providers = default_stack.of_type(PROVIDER)
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
        if r.typ in GLOBAL_TYPES or r.parent_type in (DOMAIN_ALARMS,
                                                      DOMAIN_SETUP):
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
    identity = [i for i in invokes if i.token == GET_CALLER_IDENTITY]
    partition = [i for i in invokes if i.token == GET_PARTITION]
    # SearchDomain, ForwarderRole, DomainAlarms, OperatorPolicy, DomainSetup in the home
    # region; one per RegionalForwarder
    home_twice = ["us-east-1"] * 5
    assert sorted(i.region for i in identity) == sorted([*DEFAULT_REGIONS, *home_twice])
    assert len(partition) == len(identity)


def test_components_parent_their_children(default_stack: ProgramRun) -> None:
    parents = {(r.typ, r.parent_type) for r in default_stack.resources}
    assert (DOMAIN, SEARCH_DOMAIN) in parents
    assert (ROLE, FORWARDER_ROLE) in parents
    assert (ROLE_POLICY, FORWARDER_ROLE) in parents
    for typ in (PERMISSION, SUBSCRIPTION_FILTER,
                INVOKE_CONFIG):  # fmt: skip
        assert {p for t, p in parents if t == typ} == {REGIONAL_FORWARDER}, typ
    # The domain setup has a function and a log group of its own; the domain invokes it.
    for typ in (FUNCTION, LOG_GROUP):
        assert {p for t, p in parents if t == typ} == {
            REGIONAL_FORWARDER, DOMAIN_SETUP}, typ
    assert {p for t, p in parents if t == INVOCATION} == {
        SEARCH_DOMAIN}
    assert {p for t, p in parents if t == QUEUE} == {FAILURE_QUEUE}
    assert {p for t, p in parents if t == TOPIC} == {
        FORWARDER_ALARMS
    }  # the home region collects: the domain alarms reuse its topic
    assert {p for t, p in parents if t == ALARM} == {
        FORWARDER_ALARMS, DOMAIN_ALARMS
    }
    for typ in (FAILURE_QUEUE, FORWARDER_ALARMS):
        assert {p for t, p in parents if t == typ} == {REGIONAL_FORWARDER}


def test_log_groups_per_region(default_stack: ProgramRun) -> None:
    for region in DEFAULT_REGIONS:
        groups = {
            r.inputs["name"]: r for r in default_stack.of_type(LOG_GROUP) if r.region == region
            and r.parent_type != DOMAIN_SETUP
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
    filters = default_stack.of_type(SUBSCRIPTION_FILTER)
    assert len(filters) == 26
    for f in filters:
        fn = functions[f.region]
        assert f.inputs["destinationArn"] == fn.outputs["arn"]
        assert f.inputs["destinationArn"] == (
            f"arn:aws:lambda:{f.region}:{ACCOUNT}:function:edgelogs-dev-forwarder"
        )
        assert f.inputs["filterPattern"] == ""
        assert f.inputs["name"] == "edgelogs-dev"  # per stack: never another stack's filter
        deps = default_stack.depends_on(SUBSCRIPTION_FILTER, f.name)
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
    for fn in default_stack.of_type(FUNCTION, parent=REGIONAL_FORWARDER):
        i = fn.inputs
        assert i["name"] == "edgelogs-dev-forwarder"
        assert i["runtime"] == "python3.13"
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
    # Fine-grained access control with an IAM master user (the domain setup's role), no
    # internal users, no anonymous access; allow_explicit_index back to its default.
    assert i["advancedSecurityOptions"] == {
        "enabled": True, "internalUserDatabaseEnabled": False, "anonymousAuthEnabled": False,
        "masterUserOptions": {
            "masterUserArn": f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-domain-setup"},
    }
    assert "advancedOptions" not in i
    policy = json.loads(i["accessPolicies"])
    domain_arn = f"arn:aws:es:us-east-1:{ACCOUNT}:domain/edgelogs-dev"
    assert policy["Statement"] == [{
        "Sid": "StackPrincipals",
        "Effect": "Allow",
        "Principal": {"AWS": [
            f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-dashboards",
            f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-domain-setup",
            f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder",
        ]},
        "Action": ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch",
                   "es:ESHttpPost", "es:ESHttpPut"],
        "Resource": f"{domain_arn}/*",
    }]
    assert (ROLE_POLICY, "domain-setup-policy") in default_stack.depends_on(
        DOMAIN, "search-domain")
    assert (ROLE, "forwarder-role") in default_stack.depends_on(DOMAIN, "search-domain")


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
    (policy_res,) = default_stack.of_type(ROLE_POLICY, parent=FORWARDER_ROLE)
    assert policy_res.inputs["role"] == "forwarder-role-id"
    policy = json.loads(policy_res.inputs["policy"])
    _no_wildcards(policy)
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {
        "ForwarderBulkIntoOwnIndices",
        "WriteOwnLogs",
        "SendToOwnFailureQueues",
    }
    domain_arn = f"arn:aws:es:us-east-1:{ACCOUNT}:domain/edgelogs-dev"
    assert statements["ForwarderBulkIntoOwnIndices"]["Action"] == ["es:ESHttpPost"]
    assert statements["ForwarderBulkIntoOwnIndices"]["Resource"] == [
        f"{domain_arn}/lambda-edge-*/_bulk"
    ]
    # Templates and the ISM policy are the domain setup's: the forwarder has no grant for them.
    # The domain access policy names the role among the stack's principals.
    (domain,) = default_stack.of_type(DOMAIN)
    (granted,) = json.loads(domain.inputs["accessPolicies"])["Statement"]
    assert f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder" in granted["Principal"]["AWS"]
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
    for p in default_stack.of_type(PROVIDER):
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
        "redaction",
        "destinations",
    }
    assert out["destinations"] == [{"type": "opensearch"}]
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
    regions = sorted(p.inputs["region"] for p in custom_stack.of_type(PROVIDER))
    assert regions == ["ap-south-1", "eu-central-1", "us-east-1"]
    for typ in GLOBAL_TYPES:
        assert {r.region for r in custom_stack.of_type(typ)} == {"eu-central-1"}
    assert {f.region for f in custom_stack.of_type(
        FUNCTION, parent=REGIONAL_FORWARDER)} == {"us-east-1", "ap-south-1"}
    assert {f.region for f in custom_stack.of_type(
        FUNCTION, parent=DOMAIN_SETUP)} == {"eu-central-1"}
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
    subscribed = {(f.region, f.inputs["logGroup"])
                  for f in custom_stack.of_type(SUBSCRIPTION_FILTER)}
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
    filters = custom_stack.of_type(SUBSCRIPTION_FILTER)
    assert {f.inputs["filterPattern"] for f in filters} == {"?ERROR ?REPORT"}
    for fn in custom_stack.of_type(FUNCTION, parent=REGIONAL_FORWARDER):
        assert fn.inputs["environment"]["variables"]["INDEX_PREFIX"] == "edge-prod"
        assert fn.inputs["name"] == "edgelogs-prod-forwarder"
    for region in ("us-east-1", "ap-south-1"):
        assert {p.inputs["sourceArn"] for p in custom_stack.of_type(PERMISSION)
                if p.region == region} == {
            f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{g}:*"
            for g in ("/aws/lambda/us-east-1.auth", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL")
        }  # fmt: skip
    assert {f.inputs["name"] for f in filters} == {"edgelogs-prod"}
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
    (statement,) = policy["Statement"]
    assert statement["Principal"]["AWS"] == [
        "arn:aws:iam::111122223333:role/ops",
        "arn:aws:iam::111122223333:root",
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-dashboards",  # Dashboards users
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-domain-setup",  # the master user
        f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-forwarder",
    ]
    assert statement["Resource"] == f"arn:aws:es:eu-central-1:{ACCOUNT}:domain/edgelogs-prod/*"


def test_custom_stack_setup_input_maps_each_principal_to_its_role(
        custom_stack: ProgramRun) -> None:
    (invocation,) = custom_stack.of_type(INVOCATION)
    (setup_fn,) = custom_stack.of_type(FUNCTION, parent=DOMAIN_SETUP)
    assert invocation.region == "eu-central-1"
    assert invocation.inputs["functionName"] == setup_fn.outputs["name"]
    assert setup_fn.inputs["handler"] == "domain_setup.handler.lambda_handler"
    assert setup_fn.inputs["role"] == f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-domain-setup"
    given = json.loads(invocation.inputs["input"])
    code = given.pop("codeHash")
    # The deployed zip's hash (base64 sha256): new roles or templates change it.
    assert code == setup_fn.inputs["sourceCodeHash"] and len(code) == 44
    # Any change of the input re-invokes: its digest is the trigger.
    assert invocation.inputs["triggers"] == {
        "input": hashlib.sha256(invocation.inputs["input"].encode()).hexdigest()}
    assert given == {
        "endpoint": "https://search-edgelogs-prod-mock.eu-central-1.es.amazonaws.com",
        "region": "eu-central-1",
        "indexPrefix": "edge-prod",
        "indexRetentionDays": 14,
        # 1 GB a day (the default) fits one shard; two data nodes: one replica.
        "indexShards": 1,
        "indexReplicas": 1,
        "principals": {
            "writer": [f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-forwarder"],
            "operator": [],
            "reader": ["arn:aws:iam::111122223333:role/ops", "arn:aws:iam::111122223333:root",
                       f"arn:aws:iam::{ACCOUNT}:role/edgelogs-prod-dashboards"],
        },
    }
    # The domain exists before it is set up.
    assert (DOMAIN, "search-domain") in custom_stack.depends_on(
        INVOCATION, "search-setup")


def test_custom_stack_tags(custom_stack: ProgramRun) -> None:
    tagged = [r for r in custom_stack.resources if r.typ in TAGGABLE and not r.read]
    assert all(r.inputs.get("tags") == CUSTOM_TAGS for r in tagged)
    for p in custom_stack.of_type(PROVIDER):
        assert json.loads(p.inputs["defaultTags"]) == {"tags": CUSTOM_TAGS}


def test_custom_stack_email_subscription_per_region(custom_stack: ProgramRun) -> None:
    subs = custom_stack.of_type(TOPIC_SUBSCRIPTION)
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
    functions = result.of_type(FUNCTION)
    assert len(functions) == 2 and all(len(fn.inputs["name"]) <= 64 for fn in functions)
    (queue,) = result.of_type(QUEUE)
    assert len(queue.inputs["name"]) <= 80
    assert all(len(role.inputs["name"]) <= 64 for role in result.of_type(ROLE))
