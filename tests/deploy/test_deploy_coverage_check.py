"""The daily coverage check under mocks: its resources in the whole default graph, where it
runs and alarms, its least-privilege policy, and what its code may import."""

from __future__ import annotations

import ast
import json

import pytest

from components import coverage_check
from components.config import DEFAULT_REGIONS
from tests.deploy.expected import NOT_TAGGABLE, TAGGABLE, coverage_check_counts, expected_counts
from tests.deploy.harness import ACCOUNT, REPO, ProgramRun, Registered
from tests.deploy.tokens import (
    ALARM,
    COVERAGE_CHECK,
    DOMAIN_ALARMS,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    PROVIDER,
    ROLE,
    ROLE_POLICY,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)

EDGE_FUNCTIONS = ["site-auth", "img-resize"]
LAMBDA_SRC = REPO / "lambda_src"


def check_children(result: ProgramRun) -> list[Registered]:
    return [r for r in result.resources if r.parent_type == COVERAGE_CHECK]


def one_child(result: ProgramRun, typ: str) -> Registered:
    (found,) = [r for r in check_children(result) if r.typ == typ]
    return found


@pytest.fixture
def default_stack(run) -> ProgramRun:
    return run({"edgeFunctions": EDGE_FUNCTIONS})


def test_default_graph_is_the_forwarders_plus_the_check(default_stack: ProgramRun) -> None:
    assert default_stack.counts() == expected_counts(
        regions=13, sources=2) + coverage_check_counts()
    children = check_children(default_stack)
    assert {r.region for r in children} == {"us-east-1"}
    home_provider = next(p for p in default_stack.of_type(PROVIDER)
                         if p.inputs["region"] == "us-east-1")
    assert {r.provider_id for r in children} == {f"{home_provider.name}-id"}
    for r in children:
        if r.typ in TAGGABLE:
            assert r.inputs["tags"] == {"app": "edgelogs", "edgelogs:stack": "dev"}, r.typ
        else:
            assert r.typ in NOT_TAGGABLE, r.typ


def test_function_schedule_and_invoke_permission(default_stack: ProgramRun) -> None:
    fn = one_child(default_stack, FUNCTION)
    assert fn.inputs["name"] == "edgelogs-dev-coverage"
    assert fn.inputs["handler"] == "edge_coverage.handler.lambda_handler"
    assert (fn.inputs["runtime"], fn.inputs["architectures"]) == ("python3.13", ["arm64"])
    assert fn.inputs["timeout"] == 300
    env = fn.inputs["environment"]["variables"]
    assert env["STACK_NAME"] == "dev" and env["METRIC_NAMESPACE"] == "edgelogs"
    assert env["COLLECTED_REGIONS"].split(",") == list(DEFAULT_REGIONS)
    assert json.loads(env["COLLECTED_LOG_GROUPS"]) == [
        "/aws/lambda/us-east-1.site-auth", "/aws/lambda/us-east-1.img-resize"]
    # Lambda's environment is limited to 4 KB in total.
    assert len(json.dumps(env)) < 4096
    own = one_child(default_stack, LOG_GROUP)
    assert own.inputs["name"] == "/aws/lambda/edgelogs-dev-coverage"
    assert own.inputs["retentionInDays"] == 30
    assert (LOG_GROUP, "coverage-logs") in default_stack.depends_on(
        FUNCTION, "coverage-function")

    rule = one_child(default_stack, EVENT_RULE)
    assert rule.inputs["scheduleExpression"] == "rate(1 day)"
    target = one_child(default_stack, EVENT_TARGET)
    assert target.inputs["rule"] == rule.outputs["name"]
    assert target.inputs["arn"] == fn.outputs["arn"]
    perm = one_child(default_stack, PERMISSION)
    assert perm.inputs["principal"] == "events.amazonaws.com"
    assert perm.inputs["action"] == "lambda:InvokeFunction"
    assert rule.outputs["name"] == "edgelogs-dev-coverage"
    assert perm.inputs["sourceArn"] == rule.outputs["arn"] == (
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/edgelogs-dev-coverage")


def test_alarm_on_the_metric_notifies_the_home_forwarders_topic(
        default_stack: ProgramRun) -> None:
    home_topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:edgelogs-dev-alarms"
    assert [t for t in check_children(default_stack) if t.typ == TOPIC] == []
    alarms = {a.name: a for a in check_children(default_stack) if a.typ == ALARM}
    uncovered = alarms["coverage-uncovered"].inputs
    assert (uncovered["namespace"], uncovered["metricName"]) == ("edgelogs", "UncoveredLogGroups")
    assert uncovered["dimensions"] == {"Stack": "dev"}
    assert (uncovered["comparisonOperator"], uncovered["threshold"]) == (
        "GreaterThanThreshold", 0)
    assert uncovered["period"] == 86400 and uncovered["statistic"] == "Maximum"
    assert uncovered["alarmActions"] == [home_topic] == uncovered["okActions"]
    # A day without a data point (the check did not run) keeps the state it had: no OK mail
    # that would say the uncovered groups were fixed. notBreaching would send one.
    assert uncovered["treatMissingData"] == "ignore"
    errors = alarms["coverage-errors"].inputs
    assert (errors["namespace"], errors["metricName"]) == ("AWS/Lambda", "Errors")
    assert errors["dimensions"] == {"FunctionName": "edgelogs-dev-coverage"}
    assert errors["alarmActions"] == [home_topic]
    assert default_stack.outputs["homeAlarmTopicArn"] == home_topic


def test_role_and_least_privilege_policy(run) -> None:
    result = run({"edgeFunctions": ["auth", {"name": "rw", "logGroup": "/edge/shared"}],
                  "regions": ["us-east-1", "eu-west-1"]})
    role = one_child(result, ROLE)
    assert role.inputs["name"] == "edgelogs-dev-coverage"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
    policy = json.loads(one_child(result, ROLE_POLICY).inputs["policy"])
    groups = f"arn:aws:logs:*:{ACCOUNT}:log-group:"
    assert policy["Statement"] == [
        {"Sid": "ListEnabledRegions", "Effect": "Allow", "Action": ["ec2:DescribeRegions"],
         "Resource": "*"},
        {"Sid": "ListLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
         "Resource": "*"},
        {"Sid": "ReadEdgeLogGroupStreams", "Effect": "Allow",
         "Action": ["logs:DescribeLogStreams"],
         "Resource": [groups + "/aws/lambda/us-east-1.*",
                      groups + "/aws/cloudfront/LambdaEdge/*",
                      groups + "/edge/shared", groups + "/edge/shared:*"]},
        {"Sid": "PublishCoverageMetric", "Effect": "Allow",
         "Action": ["cloudwatch:PutMetricData"], "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "edgelogs"}}},
        {"Sid": "WriteOwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:"
                      "/aws/lambda/edgelogs-dev-coverage:*"]},
    ]  # fmt: skip
    # Nothing that writes, deletes or reads log content; no wildcard action.
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert not [a for a in actions if "*" in a or a.startswith(("logs:Get", "logs:Filter"))]
    # The function runs as this role only once the policy is attached.
    fn = one_child(result, FUNCTION)
    assert fn.inputs["role"] == role.outputs["arn"]
    assert (ROLE_POLICY, "coverage-policy") in result.depends_on(FUNCTION, "coverage-function")


def test_home_region_that_collects_nothing_shares_the_domain_alarms_topic(run) -> None:
    result = run({"edgeFunctions": ["auth"], "homeRegion": "eu-central-1",
                  "regions": ["us-east-1", "ap-south-1"], "alarmEmail": "ops@example.com"})
    # One home topic (made by DomainAlarms, counted in expected_counts), not two of one name.
    assert result.counts() == expected_counts(
        regions=2, sources=1, email=True, home_outside_regions=True
    ) + coverage_check_counts()
    (topic,) = [t for t in result.of_type(TOPIC) if t.region == "eu-central-1"]
    assert topic.parent_type == DOMAIN_ALARMS
    assert (topic.region, topic.inputs["name"]) == ("eu-central-1", "edgelogs-dev-alarms")
    (sub,) = [s for s in result.of_type(TOPIC_SUBSCRIPTION) if s.region == "eu-central-1"]
    assert (sub.inputs["endpoint"], sub.inputs["topic"]) == ("ops@example.com",
                                                             topic.outputs["arn"])
    assert result.outputs["homeAlarmTopicArn"] == topic.outputs["arn"]
    for alarm in (a for a in check_children(result) if a.typ == ALARM):
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
    assert {r.region for r in check_children(result)} == {"eu-central-1"}


def test_coverage_check_off_adds_nothing(run) -> None:
    result = run({"edgeFunctions": EDGE_FUNCTIONS, "coverageCheck": False})
    assert result.counts() == expected_counts(regions=13, sources=2)
    assert not [r for r in result.resources if r.parent_type == COVERAGE_CHECK]


# ---- the function's code (its archive: tests/bundle/test_functions.py) -------------------


def _imported_top_levels(source: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_handler_the_function_names_exists() -> None:
    from edge_coverage import handler

    assert coverage_check.HANDLER == "edge_coverage.handler.lambda_handler"
    assert f"{handler.__name__}.lambda_handler" == coverage_check.HANDLER
    assert callable(handler.lambda_handler)


def test_zip_source_never_imports_the_deploy_side() -> None:
    for p in (LAMBDA_SRC / "edge_coverage").glob("*.py"):
        assert not {"components", "pulumi", "ops"} & _imported_top_levels(p.read_text()), p




def _long_functions(count: int) -> list[str]:
    return [f"fn-{i:02d}-{'a' * 58}" for i in range(count)]  # 64 characters, Lambda's longest


def test_an_environment_lambda_would_refuse_is_refused_before_the_deploy(run) -> None:
    # 45 groups of 86 characters: 4,392 bytes of environment; Lambda allows 4 KB.
    with pytest.raises(coverage_check.EnvironmentTooLarge) as info:
        run({"edgeFunctions": _long_functions(45)})
    assert str(info.value) == (
        "edgelogs:coverageCheck: the coverage check's environment would be 4,392 bytes for 45 "
        "log groups; Lambda allows 4,096 (https://docs.aws.amazon.com/lambda/latest/dg/"
        "gettingstarted-limits.html): set edgelogs:coverageCheck false, or collect fewer log "
        "groups")
    # Without the check the same stack deploys; 40 such groups fit (3,932 bytes).
    assert run({"edgeFunctions": _long_functions(45), "coverageCheck": False}).resources
    assert run({"edgeFunctions": _long_functions(40)}).of_type(
        FUNCTION, parent=COVERAGE_CHECK)
