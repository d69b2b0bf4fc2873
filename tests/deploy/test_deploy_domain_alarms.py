"""Issue 7 items 8-10 on the deploy side: domain alarms, reserved concurrency, retention,
and the domain's protection from deletion."""

from __future__ import annotations

import json

from components.config import DEFAULT_REGIONS
from components.domain_alarms import free_storage_threshold_mib
from tests.deploy.harness import ACCOUNT, ProgramRun, Registered
from tests.deploy.tokens import (
    ALARM,
    DOMAIN,
    DOMAIN_ALARMS,
    FUNCTION,
    INVOCATION,
    REGIONAL_FORWARDER,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)


def _domain_alarms(stack: ProgramRun) -> dict[str, Registered]:
    return {a.inputs["name"]: a for a in stack.of_type(ALARM) if a.parent_type == DOMAIN_ALARMS}


def test_four_recommended_domain_alarms_in_the_home_region(run) -> None:
    stack = run({"edgeFunctions": ["a"], "domain": {"volumeSizeGb": 100}})
    alarms = _domain_alarms(stack)
    rows = {
        name: (
            a.inputs["metricName"], a.inputs["statistic"], a.inputs["period"],
            a.inputs["evaluationPeriods"], a.inputs["comparisonOperator"], a.inputs["threshold"],
        )
        for name, a in alarms.items()
    }  # fmt: skip
    # AWS's recommended alarms for OpenSearch Service; free storage at 25% of a node's volume
    assert rows == {
        "edgelogs-dev-domain-free-storage": (
            "FreeStorageSpace", "Minimum", 60, 1, "LessThanOrEqualToThreshold", 25600
        ),
        "edgelogs-dev-domain-writes-blocked": (
            "ClusterIndexWritesBlocked", "Maximum", 300, 1, "GreaterThanOrEqualToThreshold", 1
        ),
        "edgelogs-dev-domain-cluster-red": (
            "ClusterStatus.red", "Maximum", 60, 1, "GreaterThanOrEqualToThreshold", 1
        ),
        "edgelogs-dev-domain-jvm-pressure": (
            "JVMMemoryPressure", "Maximum", 60, 3, "GreaterThanOrEqualToThreshold", 95
        ),
    }  # fmt: skip
    for a in alarms.values():
        assert a.region == "us-east-1"
        assert a.inputs["namespace"] == "AWS/ES"
        assert a.inputs["dimensions"] == {"DomainName": "edgelogs-dev", "ClientId": ACCOUNT}
        assert a.inputs["treatMissingData"] == "missing"
        assert a.inputs["alarmDescription"]
        topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:edgelogs-dev-alarms"
        assert a.inputs["alarmActions"] == [topic] and a.inputs["okActions"] == [topic]
    # the home region collects, so its forwarder topic is reused: no second topic there
    assert sorted(t.region for t in stack.of_type(TOPIC)) == sorted(DEFAULT_REGIONS)


def test_free_storage_threshold_follows_the_volume() -> None:
    assert free_storage_threshold_mib(10) == 2560
    assert free_storage_threshold_mib(24576) == 24576 * 256


def test_home_region_not_collecting_gets_its_own_topic_and_email(run) -> None:
    stack = run({"edgeFunctions": ["a"], "homeRegion": "eu-central-1",
                 "regions": ["us-east-1"], "alarmEmail": "ops@example.com"})  # fmt: skip
    topics = {t.region: t for t in stack.of_type(TOPIC)}
    assert sorted(topics) == ["eu-central-1", "us-east-1"]
    own = topics["eu-central-1"]
    assert own.parent_type == DOMAIN_ALARMS and own.inputs["name"] == "edgelogs-dev-alarms"
    subs = {s.region: s for s in stack.of_type(TOPIC_SUBSCRIPTION)}
    assert subs["eu-central-1"].inputs["endpoint"] == "ops@example.com"
    assert subs["eu-central-1"].inputs["topic"] == own.outputs["arn"]
    for a in _domain_alarms(stack).values():
        assert a.region == "eu-central-1"
        assert a.inputs["alarmActions"] == [own.outputs["arn"]]
    assert stack.outputs["homeAlarmTopicArn"] == own.outputs["arn"]


def test_concurrency_reaches_every_forwarder_and_retention_the_setup(run) -> None:
    stack = run({"edgeFunctions": ["a"], "regions": ["us-east-1", "sa-east-1"],
                 "forwarderConcurrency": 3, "indexRetentionDays": 90})  # fmt: skip
    functions = stack.of_type(FUNCTION, parent=REGIONAL_FORWARDER)
    assert sorted(f.region for f in functions) == ["sa-east-1", "us-east-1"]
    for f in functions:
        assert f.inputs["reservedConcurrentExecutions"] == 3
        assert "INDEX_RETENTION_DAYS" not in f.inputs["environment"]["variables"]
    # The lifecycle policy is the domain setup's: the retention is in its input only.
    (setup,) = stack.of_type(INVOCATION)
    assert json.loads(setup.inputs["input"])["indexRetentionDays"] == 90


def _protected(run_: ProgramRun) -> bool:
    """The domain's `protect` option, as the engine was asked to register it."""
    (domain,) = run_.of_type(DOMAIN)
    return run_.protect[(DOMAIN, domain.name)]


def test_domain_is_protected_by_default_and_can_be_unprotected(run) -> None:
    assert _protected(run({"edgeFunctions": ["a"], "regions": ["us-east-1"]})) is True
    lifted = run({"edgeFunctions": ["a"], "regions": ["us-east-1"],
                  "domain": {"protect": False}})  # fmt: skip
    assert _protected(lifted) is False
    # nothing else is protected: tearing down the rest never needs a second step
    assert [k for k, v in lifted.protect.items() if v] == []


def test_the_lowest_concurrency_is_accepted(run) -> None:
    stack = run({"edgeFunctions": ["a"], "regions": ["us-east-1"], "forwarderConcurrency": 1})
    (fn,) = stack.of_type(FUNCTION, parent=REGIONAL_FORWARDER)
    assert fn.inputs["reservedConcurrentExecutions"] == 1


def test_concurrency_zero_means_no_reservation(run) -> None:
    # Sent as the provider's -1 ("removes any concurrency limitations"), never as 0, which
    # would stop the function; the same value on every region's forwarder.
    stack = run({"edgeFunctions": ["a"], "regions": ["us-east-1", "eu-west-1"],
                 "forwarderConcurrency": 0})  # fmt: skip
    forwarders = stack.of_type(FUNCTION, parent=REGIONAL_FORWARDER)
    assert [f.inputs["reservedConcurrentExecutions"] for f in forwarders] == [-1, -1]
