"""Every alarm of the stack is made from one spec type (components/alarms.py AlarmSpec, turned
into a MetricAlarm by metric_alarm): the forwarders', the domain's and the coverage check's
alarms all carry the same fields, and only the coverage check's errors alarm skips OK mails."""

from __future__ import annotations

from tests.deploy.harness import ProgramRun
from tests.deploy.tokens import ALARM

SPEC_FIELDS = [
    "alarmActions", "alarmDescription", "comparisonOperator", "dimensions",
    "evaluationPeriods", "metricName", "name", "namespace", "okActions", "period", "statistic",
    "tags", "threshold", "treatMissingData",
]  # fmt: skip


def _alarms(stack: ProgramRun) -> dict[tuple[str | None, str], dict]:
    """By (region, name): every region's forwarder alarms have the same names."""
    return {(a.region, a.inputs["name"]): a.inputs for a in stack.of_type(ALARM)}


def test_every_alarm_carries_the_same_fields(run) -> None:
    stack = run({"edgeFunctions": ["a"], "regions": ["us-east-1", "eu-west-1"]})
    alarms = _alarms(stack)
    # 4 per forwarder region, 4 on the domain, 2 for the coverage check
    assert len(alarms) == 14
    for (region, name), inputs in alarms.items():
        expected = [f for f in SPEC_FIELDS
                    if not (f == "okActions" and name == "edgelogs-dev-coverage-check-errors")]
        assert sorted(inputs) == expected, name
        assert inputs["tags"]["app"] == "edgelogs", name
        assert inputs["alarmActions"] == [
            f"arn:aws:sns:{region}:123456789012:edgelogs-dev-alarms"], name


def test_only_the_coverage_check_errors_alarm_notifies_on_alarm_only(run) -> None:
    stack = run({"edgeFunctions": ["a"], "regions": ["us-east-1"]})
    without_ok = sorted(k for k, i in _alarms(stack).items() if "okActions" not in i)
    assert without_ok == [("us-east-1", "edgelogs-dev-coverage-check-errors")]
