"""The daily check's handler runs the shared audit (moto's EC2 and CloudWatch Logs) and
publishes the number of uncovered groups as edgelogs/UncoveredLogGroups{Stack}."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from edge_coverage import audit, handler

from tests.ops import estate
from tests.ops.estate import AUTH, SHARED

ENV = {
    "AWS_REGION": "us-east-1",
    "STACK_NAME": "prod",
    "METRIC_NAMESPACE": "edgelogs",
    "COLLECTED_REGIONS": ",".join(estate.STACK_REGIONS),
    "COLLECTED_LOG_GROUPS": json.dumps([AUTH, SHARED]),
}


def published(stack: str) -> list[float]:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = dt.datetime.now(dt.UTC)
    points = cw.get_metric_statistics(
        Namespace="edgelogs", MetricName="UncoveredLogGroups",
        Dimensions=[{"Name": "Stack", "Value": stack}],
        StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(hours=1),
        Period=60, Statistics=["Maximum"],
    )["Datapoints"]  # fmt: skip
    return [p["Maximum"] for p in points]


def test_handler_publishes_the_uncovered_count(
        aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    estate.build()
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    summary = handler.lambda_handler({"source": "aws.events"}, None)
    assert summary["uncovered"] == 3 and summary["groups"] == 8
    assert summary["regions"] == len(audit.enabled_regions(audit.boto3_clients(), "us-east-1"))
    assert published("prod") == [3.0]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    found = {(e["uncovered"]["region"], e["uncovered"]["logGroup"]) for e in logged
             if "uncovered" in e}
    assert found == {("eu-west-1", "/aws/lambda/us-east-1.new-fn"), ("ap-south-1", AUTH),
                     ("ap-south-1", "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL")}


def test_all_covered_publishes_zero(aws: None) -> None:
    estate.build()
    everywhere = [AUTH, SHARED, "/aws/lambda/us-east-1.new-fn",
                  "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"]
    regions = audit.enabled_regions(audit.boto3_clients(), "us-east-1")
    env = {**ENV, "STACK_NAME": "all", "COLLECTED_REGIONS": ",".join(regions),
           "COLLECTED_LOG_GROUPS": json.dumps(everywhere)}
    assert handler.run(env, audit.boto3_clients())["uncovered"] == 0
    assert published("all") == [0.0]


def test_the_handler_and_scripts_audit_share_one_module() -> None:
    from ops import audit as audit_cmd

    assert audit_cmd.audit is handler.audit is audit


@pytest.mark.parametrize("bad", ["not json", '{"a": 1}', '["ok", 3]'])
def test_bad_collected_groups_are_refused(bad: str) -> None:
    with pytest.raises(audit.AuditError, match="COLLECTED_LOG_GROUPS"):
        handler.collected_from_env({**ENV, "COLLECTED_LOG_GROUPS": bad})
