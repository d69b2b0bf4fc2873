"""Issue 4's deploy side: failure destinations, the queues, the alarms, and their IAM."""

from __future__ import annotations

import json

import pytest

from components.config import DEFAULT_REGIONS
from tests.deploy.harness import ACCOUNT, ProgramRun
from tests.deploy.tokens import (
    ALARM,
    FORWARDER_ALARMS,
    FORWARDER_ROLE,
    FUNCTION,
    INVOKE_CONFIG,
    QUEUE,
    ROLE_POLICY,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)


@pytest.fixture
def stack(run) -> ProgramRun:
    # The forwarders' failure path only; the coverage check: test_deploy_coverage_check.py.
    return run({"edgeFunctions": ["site-auth"], "coverageCheck": False})


def test_async_invoke_config_per_region(stack: ProgramRun) -> None:
    configs = stack.of_type(INVOKE_CONFIG)
    assert sorted(c.region for c in configs) == sorted(DEFAULT_REGIONS)
    for c in configs:
        assert c.inputs["functionName"] == "edgelogs-dev-forwarder"
        assert c.inputs["maximumRetryAttempts"] == 2
        assert c.inputs["maximumEventAgeInSeconds"] == 21600
        # the failure destination is the queue in the same region, never another region's
        assert c.inputs["destinationConfig"] == {
            "onFailure": {"destination": f"arn:aws:sqs:{c.region}:{ACCOUNT}:edgelogs-dev-failures"}
        }
        assert "onSuccess" not in c.inputs["destinationConfig"]
        deps = stack.depends_on(INVOKE_CONFIG, c.name)
        assert (QUEUE, f"{c.region}-failures-queue") in deps
        assert (FUNCTION, f"{c.region}-forwarder") in deps


def test_failure_queue_encrypted_with_14_day_retention(stack: ProgramRun) -> None:
    queues = stack.of_type(QUEUE)
    assert sorted(q.region for q in queues) == sorted(DEFAULT_REGIONS)
    for q in queues:
        assert q.inputs["name"] == "edgelogs-dev-failures"
        assert q.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
        assert q.inputs["sqsManagedSseEnabled"] is True
        assert q.inputs["maxMessageSize"] == 1024 * 1024  # the SQS maximum
        assert "fifoQueue" not in q.inputs  # Lambda destinations cannot target FIFO queues


def test_role_may_send_to_its_own_queues_only(stack: ProgramRun) -> None:
    (policy,) = stack.of_type(ROLE_POLICY, parent=FORWARDER_ROLE)
    statements = json.loads(policy.inputs["policy"])["Statement"]
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in s["Action"])]
    assert sqs == [
        {
            "Sid": "SendToOwnFailureQueues",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [
                f"arn:aws:sqs:{r}:{ACCOUNT}:edgelogs-dev-failures" for r in DEFAULT_REGIONS
            ],
        }
    ]
    # and those ARNs are exactly the queues the program creates
    created = {q.outputs["arn"] for q in stack.of_type(QUEUE)}
    assert set(sqs[0]["Resource"]) == created


def test_four_alarms_per_region_to_that_regions_topic(stack: ProgramRun) -> None:
    topics = {t.region: t for t in stack.of_type(TOPIC)}
    assert sorted(topics) == sorted(DEFAULT_REGIONS)
    alarms = [a for a in stack.of_type(ALARM) if a.parent_type == FORWARDER_ALARMS]
    assert len(alarms) == 4 * 13
    seen = set()
    for a in alarms:
        topic_arn = f"arn:aws:sns:{a.region}:{ACCOUNT}:edgelogs-dev-alarms"
        assert topics[a.region].outputs["arn"] == topic_arn
        assert a.inputs["alarmActions"] == [topic_arn]
        assert a.inputs["okActions"] == [topic_arn]
        assert a.inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert a.inputs["threshold"] == 0
        assert a.inputs["treatMissingData"] == "notBreaching"
        assert a.inputs["period"] == 300 and a.inputs["evaluationPeriods"] == 1
        assert a.inputs["alarmDescription"]
        seen.add(
            (
                a.region, a.inputs["name"], a.inputs["namespace"], a.inputs["metricName"],
                a.inputs["statistic"], json.dumps(a.inputs["dimensions"], sort_keys=True),
            )
        )
    fn = json.dumps({"FunctionName": "edgelogs-dev-forwarder"})
    queue = json.dumps({"QueueName": "edgelogs-dev-failures"})
    assert seen == {
        row
        for r in DEFAULT_REGIONS
        for row in (
            (r, "edgelogs-dev-errors", "AWS/Lambda", "Errors", "Sum", fn),
            (r, "edgelogs-dev-throttles", "AWS/Lambda", "Throttles", "Sum", fn),
            (r, "edgelogs-dev-delivery-failures", "AWS/Lambda", "DestinationDeliveryFailures",
             "Sum", fn),
            (r, "edgelogs-dev-queue-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
             "Maximum", queue),
        )
    }


def test_no_email_subscription_without_alarm_email(stack: ProgramRun) -> None:
    assert stack.of_type(TOPIC_SUBSCRIPTION) == []


def test_alarm_email_subscribes_in_every_region(run) -> None:
    result = run({"edgeFunctions": ["a"], "alarmEmail": "oncall@example.com",
                  "coverageCheck": False})
    subs = result.of_type(TOPIC_SUBSCRIPTION)
    assert sorted(s.region for s in subs) == sorted(DEFAULT_REGIONS)
    assert {(s.inputs["protocol"], s.inputs["endpoint"]) for s in subs} == {
        ("email", "oncall@example.com")
    }
    for s in subs:
        assert s.inputs["topic"] == f"arn:aws:sns:{s.region}:{ACCOUNT}:edgelogs-dev-alarms"


def test_failure_queue_urls_exported_per_region(stack: ProgramRun) -> None:
    urls = stack.outputs["failureQueueUrls"]
    assert urls == {q.region: q.outputs["url"] for q in stack.of_type(QUEUE)}
    assert set(urls) == set(DEFAULT_REGIONS)
    assert stack.outputs["alarmTopicArns"] == {
        t.region: t.outputs["arn"] for t in stack.of_type(TOPIC)
    }
