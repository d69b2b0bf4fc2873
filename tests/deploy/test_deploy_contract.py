"""The deploy side and the forwarder agree on every value that crosses between them.

The program hands each regional forwarder its settings as environment variables; the
forwarder's own settings code (lambda_src/forwarder/settings.py) reads them at cold start. So:
1. whatever the stack accepts, the forwarder reads unchanged (and for the index prefix, the
   stack accepts exactly what the forwarder accepts: a property test);
2. the exact environment the program gives each region's forwarder, as registered under
   mocks, is read without error and yields the values the stack configured;
3. the program sets no variable that the forwarder does not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml
from domain_setup import handler as setup_handler
from domain_setup.http import SetupError
from forwarder.errors import SettingsError
from forwarder.settings import Settings
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components import aws_catalog
from components.config import ConfigError, parse_config
from components.domain_setup import invocation_input
from tests.deploy.harness import REPO, ProgramRun
from tests.deploy.tokens import ALARM, COVERAGE_CHECK, FUNCTION, INVOCATION, REGIONAL_FORWARDER

DOMAIN_ENDPOINT = "https://search-edgelogs-dev-mock.us-east-1.es.amazonaws.com"


class ReadRecorder(Mapping[str, str]):
    """The environment, remembering which variables were read."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self.env[key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return self.env.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def stack_accepts_prefix(prefix: str) -> bool:
    try:
        cfg = parse_config({"edgeFunctions": '["a"]', "indexPrefix": prefix}, stack="s")
    except ConfigError:
        return False
    assert cfg.index_prefix == prefix
    return True


def forwarder_reads_prefix(prefix: str) -> bool:
    """True when the forwarder starts with this INDEX_PREFIX and uses exactly it."""
    try:
        s = Settings.from_env({"OPENSEARCH_ENDPOINT": DOMAIN_ENDPOINT, "AWS_REGION": "us-east-1",
                               "INDEX_PREFIX": prefix})
    except SettingsError:
        return False
    return s.index_prefix == prefix


_PREFIX_ALPHABET = st.sampled_from("abcxyz0189._-+=/\\*?\"<>| ,#:ÄéA Z\t")


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(_PREFIX_ALPHABET, max_size=12), st.text(max_size=12),
                 st.text(st.sampled_from("ab-"), min_size=195, max_size=205)))
@example("edge+logs")
@example("a=b")
@example("édge")
@example("lambda-edge")
@example("")
@example(" lambda-edge")
def test_the_stack_accepts_exactly_the_prefixes_the_forwarder_reads(prefix: str) -> None:
    assert stack_accepts_prefix(prefix) == forwarder_reads_prefix(prefix), prefix


@pytest.mark.parametrize("region", sorted(aws_catalog.region_partitions()))
def test_every_region_the_stack_accepts_the_forwarder_reads(region: str) -> None:
    # As the domain's region (OPENSEARCH_REGION) and as a forwarder's own (AWS_REGION).
    s = Settings.from_env({"OPENSEARCH_ENDPOINT": "https://logs.example.com",
                           "OPENSEARCH_REGION": region, "AWS_REGION": region})
    assert (s.domain_region, s.region) == (region, region)


def _example_stack() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"])


STACKS: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (config, home region, index prefix)
    "default": ({"edgeFunctions": ["viewer-auth"]}, "us-east-1", "lambda-edge"),
    "example": (_example_stack(), "us-east-1", "lambda-edge"),
    "custom": ({"edgeFunctions": ["auth", "headers"], "homeRegion": "eu-central-1",
                "regions": ["ap-southeast-2", "sa-east-1", "eu-central-1"],
                "indexPrefix": "edge.logs_2",
                "domain": {"expectedDailyGb": 100, "instanceCount": 2}},
               "eu-central-1", "edge.logs_2"),
}
# name: (primary shards, replicas) of a daily log index, as the domain setup reads them
SHARDS = {"default": (1, 0), "example": (1, 0), "custom": (4, 1)}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_each_forwarder_reads_exactly_what_the_program_gives_it(run, name: str) -> None:
    config, home, prefix = STACKS[name]
    result: ProgramRun = run(config)
    functions = [f for f in result.of_type(FUNCTION) if f.parent_type == REGIONAL_FORWARDER]
    assert functions and len(functions) == len(result.outputs["forwarderArns"])
    endpoint = result.outputs["domainEndpoint"]
    assert endpoint.startswith("https://") and f".{home}.es.amazonaws.com" in endpoint
    for fn in functions:
        variables = fn.inputs["environment"]["variables"]
        # Lambda adds AWS_REGION itself: the region the function runs in.
        env = ReadRecorder({**variables, "AWS_REGION": fn.region})
        s = Settings.from_env(env)
        assert s.endpoint == endpoint
        assert s.domain_region == home, f"{fn.region} must sign for the domain's region"
        assert s.region == fn.region
        assert s.index_prefix == prefix
        assert s.service == "es"
        assert s.signed
        # The example stack redacts and excludes (Pulumi.dev.yaml); the others do not.
        assert (s.redact, s.exclude) == ((("ipv4", "ipv6", "email", "bearer"), ("^DEBUG ",))
                                         if name == "example" else ((), ()))
        ignored = set(variables) - env.read
        assert not ignored, f"the forwarder never reads {sorted(ignored)}"
    assert result.outputs["indexPrefix"] == prefix
    assert result.outputs["domainRegion"] == home
    assert json.dumps(result.outputs["forwarderArns"])  # one per collecting region
    # The domain setup installs the templates: its input, read by its own parser.
    (invocation,) = result.of_type(INVOCATION)
    endpoint, region, desired = setup_handler.parse(json.loads(invocation.inputs["input"]))
    assert (region, desired.index_prefix) == (home, prefix)
    assert (desired.shards, desired.replicas) == SHARDS[name]


@pytest.mark.parametrize("name", sorted(STACKS))
def test_the_coverage_check_reads_exactly_what_the_program_gives_it(run, name: str) -> None:
    from edge_coverage.handler import collected_from_env

    config, home, _ = STACKS[name]
    result: ProgramRun = run(config)
    (fn,) = [f for f in result.of_type(FUNCTION) if f.parent_type == COVERAGE_CHECK]
    assert fn.region == home
    variables = fn.inputs["environment"]["variables"]
    env = ReadRecorder({**variables, "AWS_REGION": fn.region})
    collected = collected_from_env(env)
    # What the check takes as collected is exactly what the stack subscribes, region by region.
    assert {r: sorted(n) for r, n in collected.by_region.items()} == {
        r: sorted(names) for r, names in result.outputs["logGroups"].items()}
    assert env["STACK_NAME"] == "dev"
    (alarm,) = [a for a in result.of_type(ALARM, parent=COVERAGE_CHECK)
                if a.inputs.get("metricName") == "UncoveredLogGroups"]
    assert alarm.inputs["namespace"] == env["METRIC_NAMESPACE"]
    assert alarm.inputs["dimensions"] == {"Stack": env["STACK_NAME"]}
    ignored = set(variables) - env.read
    assert not ignored, f"the coverage check never reads {sorted(ignored)}"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-10, 4000), st.sampled_from([0, 1, 14, 3650, 3651, 10**6])))
def test_the_stack_accepts_exactly_the_retention_days_the_setup_reads(days: int) -> None:
    """indexRetentionDays reaches the domain setup (which installs the lifecycle policy) as
    the JSON integer indexRetentionDays of its invocation input, not the forwarder."""
    try:
        cfg = parse_config({"edgeFunctions": '["a"]', "indexRetentionDays": str(days)},
                           stack="s")
        stack_ok = cfg.index_retention_days == days
    except ConfigError:
        stack_ok = False
    sent = json.loads(invocation_input(
        endpoint=DOMAIN_ENDPOINT, region="us-east-1", index_prefix="lambda-edge",
        retention_days=days, principals={}, code_hash="h"))
    try:
        setup_ok = setup_handler.parse(sent)[2].retention_days == days
    except SetupError:
        setup_ok = False
    assert stack_ok == setup_ok, days




DESTINATION_STACKS: dict[str, tuple[list[dict[str, Any]], bool]] = {
    # name: (destinations, has a domain)
    "no-domain": ([{"type": "syslog", "host": "syslog.example.net", "port": 6514},
                   {"type": "http", "url": "https://logs.example.net/insert/jsonline",
                    "headersSecret": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x/y"}],
                  False),
    "domain-and-syslog": ([{"type": "opensearch"},
                           {"type": "syslog", "host": "10.0.0.7", "port": 514, "tls": False}],
                          True),
}


@pytest.mark.parametrize("name", sorted(DESTINATION_STACKS))
def test_each_forwarder_reads_exactly_the_destinations_it_is_given(run, name: str) -> None:
    destinations, domain = DESTINATION_STACKS[name]
    result: ProgramRun = run({"edgeFunctions": ["a"], "regions": ["eu-west-1", "sa-east-1"],
                              "destinations": destinations})
    functions = [f for f in result.of_type(FUNCTION) if f.parent_type == REGIONAL_FORWARDER]
    assert len(functions) == 2
    others = [d for d in destinations if d["type"] != "opensearch"]
    for fn in functions:
        variables = fn.inputs["environment"]["variables"]
        env = ReadRecorder({**variables, "AWS_REGION": fn.region})
        s = Settings.from_env(env)
        assert s.has_domain is domain
        # Defaults filled in on the way (format ndjson, tls true), nothing else changed.
        assert [{k: v for k, v in d.items() if (k, v) not in {("format", "ndjson"),
                                                                ("tls", True)}}
                for d in s.destinations] == others
        assert s.region == fn.region
        ignored = set(variables) - env.read
        assert not ignored, f"the forwarder never reads {sorted(ignored)}"


_ENTRY = st.fixed_dictionaries(
    {"type": st.sampled_from(["http", "syslog", "ftp"])},
    optional={
        "url": st.sampled_from(["https://a.example/x", "http://127.0.0.1:9/x", "http://a.b/x",
                                "https://", "ftp://a/b", ""]),
        "host": st.sampled_from(["h.example", "127.0.0.1", "", "a b", "[::1]"]),
        "port": st.one_of(st.integers(-2, 70000), st.sampled_from(["514", None, 1.5, True])),
        "tls": st.sampled_from([True, False, "true", 1]),
        "format": st.sampled_from(["ndjson", "json"]),
        "headersSecret": st.sampled_from(
            ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:a", "secret", ""]),
    })


@settings(max_examples=300, deadline=None)
@given(_ENTRY)
def test_the_stack_accepts_exactly_the_destinations_the_forwarder_reads(entry: dict) -> None:
    try:
        parse_config({"edgeFunctions": '["a"]', "destinations": json.dumps([entry])}, stack="s")
        stack_ok = True
    except ConfigError:
        stack_ok = False
    try:
        Settings.from_env({"AWS_REGION": "us-east-1", "DESTINATIONS": json.dumps([entry])})
        forwarder_ok = True
    except SettingsError:
        forwarder_ok = False
    assert stack_ok == forwarder_ok, entry
