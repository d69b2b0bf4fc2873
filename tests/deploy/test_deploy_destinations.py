"""edgelogs:destinations: bad entries stop `pulumi preview` naming the key and the field; a
stack without an opensearch entry has no domain and nothing that exists for it; forwarders
get only what their destinations need, and may read only their destinations' secrets."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.config import ConfigError
from tests.deploy.harness import ProgramRun
from tests.deploy.tokens import (
    COVERAGE_CHECK,
    DASHBOARDS_AUTH,
    DOMAIN,
    DOMAIN_ALARMS,
    FORWARDER_ROLE,
    FUNCTION,
    IDENTITY_POOL,
    QUEUE,
    REGIONAL_FORWARDER,
    ROLE_POLICY,
    SEARCH_DOMAIN,
    TOPIC,
    USER_POOL,
)

FN = ["site-auth"]
SECRET = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:edgelogs/intake"
SECRET_FULL = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:other-intake-AbC123"
HTTP = {"type": "http", "url": "https://logs.example.net/insert/jsonline",
        "headersSecret": SECRET}
SYSLOG = {"type": "syslog", "host": "syslog.example.net", "port": 6514}
FORWARDER_FN = (FUNCTION, REGIONAL_FORWARDER)
DOMAIN_ONLY_TYPES = {
    DOMAIN,
    SEARCH_DOMAIN,
    DOMAIN_ALARMS,
    DASHBOARDS_AUTH,
    USER_POOL,
    IDENTITY_POOL,
}

INVALID = [
    ("unknown-type", [{"type": "kafka"}], "edgelogs:destinations[0].type",
     "unknown type 'kafka'; allowed: opensearch, http, syslog"),
    ("http-plain-url", [{"type": "http", "url": "http://logs.example.net/in"}],
     "edgelogs:destinations[0].url", "must be an https:// URL"),
    ("http-no-url", [{"type": "http"}], "edgelogs:destinations[0].url", "is required"),
    ("http-bad-format", [{"type": "http", "url": "https://a.example/x", "format": "csv"}],
     "edgelogs:destinations[0].format", "allowed: ndjson"),
    ("http-secret-not-arn", [{"type": "http", "url": "https://a.example/x",
                              "headersSecret": "Bearer abc"}],
     "edgelogs:destinations[0].headersSecret", "must be a Secrets Manager secret ARN"),
    ("syslog-port-zero", [{"type": "syslog", "host": "h.example", "port": 0}],
     "edgelogs:destinations[0].port", "from 1 to 65535, got 0"),
    ("syslog-port-too-big", [{"type": "opensearch"},
                             {"type": "syslog", "host": "h.example", "port": 65536}],
     "edgelogs:destinations[1].port", "from 1 to 65535, got 65536"),
    ("syslog-port-a-string", [{"type": "syslog", "host": "h.example", "port": "514"}],
     "edgelogs:destinations[0].port", "got '514'"),
    ("syslog-no-host", [{"type": "syslog", "port": 514}],
     "edgelogs:destinations[0].host", "is required"),
    ("syslog-tls-not-bool", [{"type": "syslog", "host": "h.example", "port": 514,
                              "tls": "yes"}],
     "edgelogs:destinations[0].tls", "true or false"),
    ("unknown-field", [{"type": "syslog", "host": "h.example", "port": 514, "url": "x"}],
     "edgelogs:destinations[0]", "unknown fields ['url']"),
    ("empty", [], "edgelogs:destinations", "non-empty list"),
    ("two-domains", [{"type": "opensearch"}, {"type": "opensearch"}],
     "edgelogs:destinations", "at most one opensearch entry"),
]


@pytest.mark.parametrize(("destinations", "key", "allowed"),
                         [pytest.param(d, k, a, id=i) for i, d, k, a in INVALID])
def test_a_bad_entry_stops_the_program(run, destinations, key, allowed) -> None:
    with pytest.raises(ConfigError) as info:
        run({"edgeFunctions": FN, "destinations": destinations})
    message = str(info.value)
    assert re.search(rf"^\s*{re.escape(key)}: ", message, re.M), message
    assert allowed in message, message


def _forwarders(result: ProgramRun) -> list[Any]:
    return result.of_type(FORWARDER_FN[0], parent=FORWARDER_FN[1])


def _role_policy(result: ProgramRun) -> dict[str, Any]:
    (policy,) = [p for p in result.of_type(ROLE_POLICY)
                 if p.parent_type == FORWARDER_ROLE]
    return json.loads(policy.inputs["policy"])


def _actions(policy: dict[str, Any]) -> list[str]:
    return [a for s in policy["Statement"] for a in s["Action"]]


@pytest.fixture
def no_domain(run) -> ProgramRun:
    return run({"edgeFunctions": FN, "regions": ["us-east-1", "eu-west-1"],
                "destinations": [HTTP, SYSLOG]})


def test_without_an_opensearch_entry_there_is_no_domain(no_domain: ProgramRun) -> None:
    types = {r.typ for r in no_domain.resources}
    assert not types & DOMAIN_ONLY_TYPES, types & DOMAIN_ONLY_TYPES
    assert not any(t.startswith("aws:cognito/") for t in types)
    assert {"domainEndpoint", "dashboardsUrl", "indexPrefix"}.isdisjoint(no_domain.outputs)
    assert no_domain.outputs["destinations"] == [
        {"type": "http", "url": "https://logs.example.net/insert/jsonline",
         "headersSecret": SECRET, "format": "ndjson"},
        {"type": "syslog", "host": "syslog.example.net", "port": 6514, "tls": True},
    ]
    # Every forwarder is still there, with its failure queue and alarms.
    assert sorted(f.region for f in _forwarders(no_domain)) == ["eu-west-1", "us-east-1"]
    assert len(no_domain.of_type(QUEUE)) == 2


def test_forwarders_get_only_what_their_destinations_need(no_domain: ProgramRun) -> None:
    for fn in _forwarders(no_domain):
        variables = fn.inputs["environment"]["variables"]
        assert set(variables) == {"DESTINATIONS"}
        assert json.loads(variables["DESTINATIONS"]) == [
            {"type": "http", "url": "https://logs.example.net/insert/jsonline",
             "headersSecret": SECRET, "format": "ndjson"},
            {"type": "syslog", "host": "syslog.example.net", "port": 6514, "tls": True},
        ]


def test_the_role_reads_only_the_header_secrets_and_has_no_es_grant(
        no_domain: ProgramRun) -> None:
    policy = _role_policy(no_domain)
    assert not [a for a in _actions(policy) if a.startswith("es:")]
    (secrets,) = [s for s in policy["Statement"]
                  if s["Action"] == ["secretsmanager:GetSecretValue"]]
    # A partial ARN (no 6-character suffix) matches its secret only with "-??????".
    assert secrets["Resource"] == [SECRET + "-??????"]
    assert [a for a in _actions(policy) if a.startswith("secretsmanager:")] == [
        "secretsmanager:GetSecretValue"]


def test_the_coverage_check_alarms_to_a_topic_of_its_own(run) -> None:
    result = run({"edgeFunctions": FN, "regions": ["eu-west-1"], "destinations": [SYSLOG]})
    topics = [t for t in result.of_type(TOPIC)]
    assert sorted(t.region for t in topics) == ["eu-west-1", "us-east-1"]
    (home,) = [t for t in topics if t.region == "us-east-1"]
    assert home.parent_type == COVERAGE_CHECK
    assert result.outputs["homeAlarmTopicArn"]


def test_domain_and_http_side_by_side(run) -> None:
    other = {"type": "http", "url": "https://hec.example.org/services/collector/raw",
             "headersSecret": SECRET_FULL}
    result = run({"edgeFunctions": FN, "regions": ["eu-west-1"],
                  "destinations": [{"type": "opensearch"}, other]})
    (fn,) = _forwarders(result)
    variables = fn.inputs["environment"]["variables"]
    assert {"OPENSEARCH_ENDPOINT", "OPENSEARCH_REGION", "DESTINATIONS"} <= set(variables)
    assert json.loads(variables["DESTINATIONS"]) == [{**other, "format": "ndjson"}]
    policy = _role_policy(result)
    assert "es:ESHttpPost" in _actions(policy)
    (secrets,) = [s for s in policy["Statement"]
                  if s["Action"] == ["secretsmanager:GetSecretValue"]]
    assert secrets["Resource"] == [SECRET_FULL]  # complete ARN: exactly it
    assert len(result.of_type(DOMAIN)) == 1


def test_the_default_is_the_domain_alone(run) -> None:
    result = run({"edgeFunctions": FN, "regions": ["eu-west-1"]})
    (fn,) = _forwarders(result)
    assert "DESTINATIONS" not in fn.inputs["environment"]["variables"]
    assert not [a for a in _actions(_role_policy(result)) if a.startswith("secretsmanager:")]
