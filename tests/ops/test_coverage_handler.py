"""The daily check's handler runs the shared audit (moto's EC2 and CloudWatch Logs) and
publishes the number of uncovered groups as edgelogs/UncoveredLogGroups{Stack}."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
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


def published(stack: str, metric: str = "UncoveredLogGroups") -> list[float]:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = dt.datetime.now(dt.UTC)
    points = cw.get_metric_statistics(
        Namespace="edgelogs", MetricName=metric,
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


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.body


def denied_in(denied: str) -> audit.ClientFactory:
    """moto clients, except that CloudWatch Logs in `denied` answers as an SCP makes it:
    400 AccessDeniedException, parsed by botocore into a ClientError like the real one."""
    clients = audit.boto3_clients()

    def refuse(request: AWSPreparedRequest, **_: object) -> AWSResponse:
        body = json.dumps({
            "__type": "AccessDeniedException",
            "message": "User: arn:aws:sts::123456789012:assumed-role/edgelogs-prod-coverage/x "
                       "is not authorized to perform: logs:DescribeLogGroups with an explicit "
                       "deny in a service control policy",
        }).encode()  # fmt: skip
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "r1"}
        return AWSResponse(request.url, 400, headers, _Raw(body))

    def factory(service: str, region: str) -> object:
        client = clients(service, region)
        if service == "logs" and region == denied:
            client.meta.events.register("before-send.cloudwatch-logs.*", refuse)
        return client

    return factory


def test_a_region_an_scp_denies_is_skipped_and_the_others_still_checked(
        aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    estate.build()
    env = {**ENV, "STACK_NAME": "scp"}
    summary = handler.run(env, denied_in("ap-south-1"))
    # ap-south-1's two uncovered groups are not seen; eu-west-1's still is.
    assert summary["uncovered"] == 1 and summary["skipped"] == 1
    assert published("scp") == [1.0]
    assert published("scp", "SkippedRegions") == [1.0]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    skipped = [e["skipped"] for e in logged if "skipped" in e]
    assert [s["region"] for s in skipped] == ["ap-south-1"]
    assert skipped[0]["reason"].startswith("AccessDeniedException: User: arn:aws:sts::")
    assert [e["uncovered"]["logGroup"] for e in logged if "uncovered" in e] == [
        "/aws/lambda/us-east-1.new-fn"]


def test_every_region_checked_publishes_zero_skipped(aws: None) -> None:
    estate.build()
    handler.run({**ENV, "STACK_NAME": "none-skipped"}, audit.boto3_clients())
    assert published("none-skipped", "SkippedRegions") == [0.0]


def test_an_error_other_than_a_denial_still_fails_the_check(aws: None) -> None:
    clients = audit.boto3_clients()

    def throttled(service: str, region: str) -> object:
        client = clients(service, region)
        if service == "logs" and region == "eu-west-1":
            def fail(**_: object) -> None:
                raise ClientError({"Error": {"Code": "ServiceUnavailableException",
                                             "Message": "try later"}}, "DescribeLogGroups")
            client.meta.events.register("before-call.cloudwatch-logs.DescribeLogGroups", fail)
        return client

    with pytest.raises(ClientError, match="ServiceUnavailableException"):
        audit.audit_regions(throttled, audit.Collected.uniform(["eu-west-1"], [AUTH]),
                            ["us-east-1", "eu-west-1"])
