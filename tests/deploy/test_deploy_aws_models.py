"""The whole program, in five stack shapes, against AWS's API models and documented quotas.

Pulumi's mocks accept any value, so without this a value AWS refuses (a StatementId with a
dot, a managed policy over 6,144 characters) only shows on a real `pulumi up`. Each shape runs
once per module; every input of every registered resource is validated with
tests/deploy/aws_models.py and the graph's sizes with tests/deploy/aws_quotas.py. The checkers
are tested first, on values AWS refuses, written out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import aws_models, aws_quotas
from tests.deploy.harness import (
    REPO,
    ProgramRun,
    RecordingMocks,
    Registered,
    fake_bundle,
    run_program,
)
from tests.deploy.tokens import (
    ALARM,
    DOMAIN,
    DOMAIN_SETUP,
    FUNCTION,
    IAM_POLICY,
    INVOCATION,
    INVOKE_CONFIG,
    LOG_GROUP,
    PERMISSION,
    QUEUE,
    REGIONAL_FORWARDER,
    ROLE,
    ROLE_POLICY,
    SUBSCRIPTION_FILTER,
    USER_POOL,
    USER_POOL_DOMAIN,
)

DEFAULT_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1",
    "eu-west-2", "sa-east-1",
]  # fmt: skip


def _example() -> dict[str, Any]:
    config = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
    return {k: v for k, v in config.items() if k.startswith("edgelogs:")}


def _sixty_char_functions(count: int) -> list[str]:
    names = [f"edge-{i:02d}-" + "x" * 52 for i in range(count)]
    assert all(len(n) == 60 for n in names)
    return names


SHAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "example": ("dev", _example()),
    "13-regions-20-long-functions": ("dev", {
        "edgeFunctions": _sixty_char_functions(20),
        "distributionIds": ["E2QWRUHAPOMQZL", "E1ABCDEFGHIJKL"],
        "adminPrincipals": ["arn:aws:iam::111122223333:role/log-readers"],
        "alarmEmail": "oncall@example.com",
        "dashboardUsers": ["alice@example.com", "bob@example.com"],
    }),
    "custom-log-groups": ("dev", {
        "regions": ["us-east-1", "eu-west-1", "ap-southeast-2"],
        "edgeFunctions": [
            "viewer-request-auth",
            {"name": "origin-response-headers", "logGroup": "/edge/app"},
            {"name": "image-resize", "logGroup": "/edge/app"},
            {"name": "geo-redirect", "logGroup": "/custom/" + "g" * 200},
        ],
        "existingLogGroups": {"eu-west-1": ["/edge/app"]},
    }),
    "dashboards-auth-none": ("dev", {
        "edgeFunctions": ["viewer-request-auth"],
        "dashboards": {"auth": "none"},
        "homeRegion": "eu-central-1",
        "regions": ["us-east-1", "eu-west-1"],
        "forwarderConcurrency": 0,
        "coverageCheck": False,
    }),
    "40-char-stack-name": ("production-edge-logs-eu-and-us-east-2026", {
        "edgeFunctions": ["viewer-request-auth", "origin-response-headers"],
        "distributionIds": ["E2QWRUHAPOMQZL"],
        "domain": {"instanceType": "r6g.large.search", "instanceCount": 4,
                   "zoneAwareness": True, "dedicatedMasterType": "m6g.large.search",
                   "dedicatedMasterCount": 3},
    }),
}
assert len(SHAPES["40-char-stack-name"][0]) == 40


class _Runs(dict[str, ProgramRun]):
    """Each shape run once, on first use (a shape that fails to run fails only its tests)."""

    def __init__(self, bundle_dir: Path) -> None:
        super().__init__()
        self.bundle = fake_bundle(bundle_dir)

    def __missing__(self, shape: str) -> ProgramRun:
        stack, config = SHAPES[shape]
        self[shape] = run_program(config, bundle=self.bundle, stack=stack)
        return self[shape]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> _Runs:
    return _Runs(Path(tmp_path_factory.mktemp("bundle")))


# --- the checkers, on values AWS refuses -------------------------------------------------


def test_a_statement_id_with_a_dot_is_refused() -> None:
    problems = aws_models.check_resource(
        PERMISSION, "eu-west-1-invoke",
        {"statementId": "group-aws-lambda-us-east-1.viewer-auth-def3d5aa"})
    assert problems == [
        "aws:lambda/permission:Permission eu-west-1-invoke: statementId: "
        "'group-aws-lambda-us-east-1.viewer-auth-def3d5aa' does not match the pattern "
        "([a-zA-Z0-9-_]+) [lambda AddPermission StatementId]"
    ]
    assert aws_models.check_resource(
        PERMISSION, "ok",
        {"statementId": "group-aws-lambda-us-east-1-viewer-auth-def3d5aa"}) == []


@pytest.mark.parametrize(
    ("typ", "inputs", "message"),
    [
        (DOMAIN, {"domainName": "edgelogs-production-edge-logs"},
         "domainName: 29 characters, more than 28"),
        (DOMAIN, {"domainName": "Edgelogs"},
         "domainName: 'Edgelogs' does not match the pattern [a-z][a-z0-9\\-]+"),
        (ALARM, {"treatMissingData": 7},
         "treatMissingData: 7 is not a string"),
        (ALARM, {"comparisonOperator": "Above"},
         "comparisonOperator: 'Above' is not one of"),
        (FUNCTION, {"memorySize": 64.0},
         "memorySize: 64 is below the minimum 128"),
        (FUNCTION, {"reservedConcurrentExecutions": -2},
         "reservedConcurrentExecutions: -2 is below the minimum 0"),
        (FUNCTION, {"environment": {"variables": {"1BAD": "x"}}},
         "environment.variables key: '1BAD' does not match the pattern"),
        (INVOKE_CONFIG,
         {"maximumEventAgeInSeconds": 21601}, "21601 is above the maximum 21600"),
        (USER_POOL_DOMAIN, {"domain": "edgelogs-dev-"},
         "does not match the pattern"),
        (LOG_GROUP, {"name": "/aws/lambda/us-east-1.a b"},
         "does not match the pattern"),
        (LOG_GROUP, {"tags": {"team": "edge;platform"}},
         "tags['team']: 'edge;platform' does not match the pattern"),
        (LOG_GROUP, {"retentionInDays": 2},
         "retentionInDays: 2 is not one of"),
        (QUEUE, {"messageRetentionSeconds": 1_209_601},
         "1209601 is outside 60-1209600"),
        (ROLE, {"name": "r" * 65}, "name: 65 characters, more than 64"),
        (ROLE, {"tags": {"k": "v" * 257}},
         "tags[0].Value: 257 characters, more than 256"),
        (DOMAIN, {"cognitoOptions": {"userPoolId": "pool 1"}},
         "cognitoOptions.userPoolId: 'pool 1' does not match the pattern"),
        # IAM policy documents: tab, LF, CR and U+0020-U+00FF only; the euro sign is U+20AC.
        (IAM_POLICY, {"policy": '{"Sid": "cost in \u20ac"}'},
         "policy: '{\"Sid\": \"cost in \u20ac\"}' does not match the pattern"),
        (USER_POOL, {"userPoolTier": "FREE"},
         "userPoolTier: 'FREE' is not one of ['LITE', 'ESSENTIALS', 'PLUS']"),
        (USER_POOL, {"userPoolAddOns": {"advancedSecurityMode": "ON"}},
         "userPoolAddOns.advancedSecurityMode: 'ON' is not one of ['OFF', 'AUDIT', 'ENFORCED']"),
        (USER_POOL, {"mfaConfiguration": "REQUIRED"},
         "mfaConfiguration: 'REQUIRED' is not one of ['OFF', 'ON', 'OPTIONAL']"),
        (DOMAIN,
         {"advancedSecurityOptions": {"masterUserOptions": {"masterUserArn": "arn:aws:iam::1"}}},
         "advancedSecurityOptions.masterUserOptions.masterUserArn: 'arn:aws:iam::1' is shorter "
         "than 20"),
        (DOMAIN, {"advancedSecurityOptions": {"enabled": "true"}},
         "advancedSecurityOptions.enabled: 'true' is not a boolean"),
        (INVOCATION, {"functionName": "edgelogs dev setup"},
         "functionName: 'edgelogs dev setup' does not match the pattern"),
        (INVOCATION, {"input": "{'endpoint': 'x'}"},
         "input: not JSON (Expecting property name enclosed in double quotes"),
        (INVOCATION, {"input": '["a list"]'},
         "input: JSON list, not an object"),
        # 6 MB is 6,291,456 bytes; this object is 6,291,457.
        (INVOCATION, {"input": '{"a":"%s"}' % ("x" * 6_291_449)},
         "input: 6,291,457 bytes, more than 6,291,456"),
        (FUNCTION, {"frobnicate": True},
         "argument frobnicate has no row in aws_models.TABLE"),
        ("aws:s3/bucket:Bucket", {"bucket": "b"},
         "no row in tests/deploy/aws_models.TABLE for this resource type"),
    ],
)
def test_the_model_checker_refuses_what_aws_refuses(typ: str, inputs: dict[str, Any],
                                                     message: str) -> None:
    problems = aws_models.check_resource(typ, "r", inputs)
    assert len(problems) == 1 and message in problems[0], problems


def test_every_model_row_names_a_real_member() -> None:
    for typ, row in aws_models.TABLE.items():
        for path, rule in row.items():
            if isinstance(rule, aws_models.Model):
                aws_models.member_shape(rule)  # raises KeyError for a wrong path
            else:
                assert rule.how, (typ, path)


def test_the_quota_counter_counts_as_iam_does() -> None:
    # IAM does not count white space.
    assert aws_quotas.iam_policy_chars('{ "a" :\n\t"b c" }') == 10  # {"a":"bc"}
    assert aws_quotas.MANAGED_POLICY_CHARS == 6144
    assert aws_quotas.ROLE_INLINE_POLICIES_CHARS == 10240
    assert aws_quotas.ROLE_TRUST_POLICY_CHARS == 2048
    assert aws_quotas.FUNCTION_POLICY_BYTES == 20480
    assert aws_quotas.ENVIRONMENT_BYTES == 4096


# --- the program, in every shape ----------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_input_is_one_aws_accepts(runs: dict[str, ProgramRun], shape: str) -> None:
    run = runs[shape]
    problems = [p for r in run.resources if not r.read
                for p in aws_models.check_resource(r.typ, r.name, r.inputs)]
    shown = list(dict.fromkeys(problems))[:8]
    assert not problems, f"{len(problems)} inputs AWS would refuse, the first {len(shown)}:\n" \
        + "\n".join(shown)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_quota_holds(runs: dict[str, ProgramRun], shape: str) -> None:
    problems = aws_quotas.quota_problems(runs[shape])
    assert not problems, "\n".join(problems)


# The domain setup's resources in each shape, as the quota checker must see them: the
# function's and role's name (limit 64), the role's trust policy (2,048) and its one inline
# policy (10,240), in IAM's characters. Written out: a shape that stops registering one of
# them, or a component that grows one past its quota, fails here.
SETUP_SIZES: dict[str, tuple[str, int, int]] = {
    "example": ("edgelogs-dev-domain-setup", 149, 461),
    "13-regions-20-long-functions": ("edgelogs-dev-domain-setup", 149, 461),
    "custom-log-groups": ("edgelogs-dev-domain-setup", 149, 461),
    # eu-central-1 is three characters longer than us-east-1, twice in the policy.
    "dashboards-auth-none": ("edgelogs-dev-domain-setup", 149, 467),
    # The stack name is cut and hashed by naming.resource_prefix.
    "40-char-stack-name": ("edgelogs-production-edge-logs-eu-cd7084-domain-setup", 149, 504),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_quotas_cover_the_domain_setup(runs: dict[str, ProgramRun], shape: str) -> None:
    run = runs[shape]
    setup = DOMAIN_SETUP
    (function,) = run.of_type(FUNCTION, parent=setup)
    (role,) = run.of_type(ROLE, parent=setup)
    (policy,) = run.of_type(ROLE_POLICY, parent=setup)
    name, trust, inline = SETUP_SIZES[shape]
    assert (function.inputs["name"], role.inputs["name"]) == (name, name)
    assert len(name) <= 64
    assert aws_quotas.iam_policy_chars(role.inputs["assumeRolePolicy"]) == trust
    assert aws_quotas.iam_policy_chars(policy.inputs["policy"]) == inline
    assert policy.inputs["role"] == f"{role.name}-id"  # the mocks' id: the setup role's
    # The same graph with the setup just over each quota: the checker reports all three.
    padding = '{"Sid":"%s"}'
    grown = {
        function.name: {**function.inputs, "name": "f" * 65},
        role.name: {**role.inputs, "name": "r" * 65,
                    "assumeRolePolicy": padding % ("t" * (2049 - 10))},
        policy.name: {**policy.inputs, "policy": padding % ("i" * (10241 - 10))},
    }
    mocks = RecordingMocks()
    mocks.resources = [
        replace(r, inputs=grown[r.name]) if r.parent_type == setup and r.name in grown else r
        for r in run.resources
    ]
    problems = aws_quotas.quota_problems(ProgramRun(mocks, {}))
    iam = aws_quotas.IAM_QUOTAS
    assert [p for p in problems if "f" * 65 in p or "r" * 65 in p or policy.inputs["role"]
            in p] == [
        f"trust policy of role {'r' * 65}: 2,049 > 2,048 ({iam})",
        f"aws:iam/role:Role {role.name} name {'r' * 65!r}: 65 > 64 ({iam})",
        f"aws:lambda/function:Function {function.name} name {'f' * 65!r}: 65 > 64 "
        "(https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html)",
        f"inline policies of role {policy.inputs['role']}: 10,241 > 10,240 ({iam})",
    ], problems


def test_the_shapes_register_every_type_in_the_table(runs: dict[str, ProgramRun]) -> None:
    """Each row is exercised by at least one shape, so no row is dead."""
    registered = {r.typ for shape in SHAPES for r in runs[shape].resources if not r.read}
    assert registered == set(aws_models.TABLE), (
        sorted(registered - set(aws_models.TABLE)), sorted(set(aws_models.TABLE) - registered))


def test_the_long_shape_is_as_large_as_promised(runs: dict[str, ProgramRun]) -> None:
    run = runs["13-regions-20-long-functions"]
    forwarders = run.of_type(FUNCTION,
                             parent=REGIONAL_FORWARDER)
    assert sorted(f.region for f in forwarders) == sorted(DEFAULT_REGIONS)
    filters = run.of_type(SUBSCRIPTION_FILTER)
    assert len(filters) == 13 * 22


def _registered(typ: str, logical: str, region: str | None = "eu-west-1",
                **inputs: Any) -> Registered:
    return Registered(typ=typ, name=logical, inputs=inputs, provider_id="p", region=region,
                      read=False)


def test_the_quota_checker_refuses_what_aws_refuses() -> None:
    """Each quota, just over, on a hand-built graph: every one is reported, with its limit."""
    statement = '{"Effect":"Allow","Action":"s3:GetObject","Resource":"%s"}'
    # 6,145 characters without white space; the spaces IAM does not count.
    policy = '{"Version":"2012-10-17","Statement":[%s]}' % (statement % ("x" * 6050))
    assert len(policy) == 6145
    trust = '{"Statement":[%s]}' % (statement % ("t" * 1977))
    assert len(trust) == 2049
    inline = '{"Statement":[%s]}' % (statement % ("i" * 5050))  # 5,122 each, 10,244 together
    assert len(inline) == 5122
    permissions = [
        _registered(PERMISSION, f"p{i}", statementId="s" * 100,
                    action="lambda:InvokeFunction", function="fwd",
                    principal="logs.eu-west-1.amazonaws.com", sourceAccount="123456789012",
                    sourceArn=f"arn:aws:logs:eu-west-1:123456789012:log-group:{'g' * 150}{i}:*")
        for i in range(36)  # 35 fit in 20,480 bytes, 36 do not
    ]
    filters = [_registered(SUBSCRIPTION_FILTER,
                           f"f{i}", name=f"f{i}", logGroup="/g") for i in range(3)]
    mocks = RecordingMocks()
    mocks.resources = [
        _registered(IAM_POLICY, "op", region=None, name="operator",
                    policy=policy.replace(",", ", ")),
        _registered(ROLE, "r", region=None, name="r" * 65,
                    assumeRolePolicy=trust),
        _registered(ROLE_POLICY, "a", region=None, name="a", role="r1",
                    policy=inline),
        _registered(ROLE_POLICY, "b", region=None, name="b", role="r1",
                    policy=inline),
        _registered(FUNCTION, "fn", name="fwd",
                    environment={"variables": {"BIG": "v" * 4087}}),
        _registered(QUEUE, "q", name="q" * 81),
        *permissions, *filters,
    ]
    problems = aws_quotas.quota_problems(ProgramRun(mocks, {}))
    iam, lam = aws_quotas.IAM_QUOTAS, aws_quotas.LAMBDA_QUOTAS
    assert problems == [
        f"managed policy operator: 6,145 > 6,144 ({iam})",
        f"trust policy of role {'r' * 65}: 2,049 > 2,048 ({iam})",
        f"aws:iam/role:Role r name {'r' * 65!r}: 65 > 64 ({iam})",
        f"environment of eu-west-1 function fwd: 4,097 > 4,096 ({lam})",
        "aws:sqs/queue:Queue q name " + repr("q" * 81) + ": 81 > 80 (https://docs.aws.amazon"
        ".com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html)",
        f"inline policies of role r1: 10,244 > 10,240 ({iam})",
        f"resource policy of eu-west-1 function fwd: 20,815 > 20,480 ({lam})",
        "subscription filters on eu-west-1 /g: 3 > 2 (PutSubscriptionFilter)",
    ]
    # One statement fewer fits: nothing about the resource policy is reported.
    mocks.resources = [r for r in mocks.resources if r.name != "p35"]
    assert not [p for p in aws_quotas.quota_problems(ProgramRun(mocks, {}))
                if "resource policy" in p]
