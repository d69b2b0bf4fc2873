"""The config model: defaults, the catalogs it checks against, and every kind of bad value.

Invalid configurations go through the whole program (config set with set_all_config, the
program run under mocks), so what is tested is what `pulumi up` would do: stop before
creating anything, with a message naming the key and what is allowed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components import aws_catalog
from components.config import DEFAULT_REGIONS, ConfigError, parse_config
from tests.deploy.harness import RecordingMocks

FN = ["site-auth"]


def test_defaults_from_one_required_key() -> None:
    cfg = parse_config({"edgeFunctions": '["site-auth", "img_resize"]'}, stack="dev")
    assert cfg.home_region == "us-east-1"
    assert cfg.regions == DEFAULT_REGIONS and len(cfg.regions) == 13
    assert cfg.edge_functions == ("site-auth", "img_resize")
    assert cfg.log_retention_days == 30
    assert cfg.filter_pattern == ""
    assert cfg.index_prefix == "lambda-edge"
    assert cfg.domain.engine_version == "OpenSearch_2.19"
    assert cfg.domain.instance_type == "t3.small.search"
    assert (cfg.domain.instance_count, cfg.domain.volume_size_gb) == (1, 10)
    assert cfg.admin_principals == () and cfg.distribution_ids == ()
    assert cfg.existing_log_groups == {} and cfg.alarm_email is None
    assert cfg.all_tags == {"app": "edgelogs", "edgelogs:stack": "dev"}
    assert cfg.index_retention_days == 14 and cfg.forwarder_concurrency == 5
    assert cfg.domain.protect is True


def test_engine_versions_accepted_are_exactly_those_the_template_runs_on() -> None:
    allowed = aws_catalog.allowed_engine_versions()
    assert allowed == ("OpenSearch_2.13", "OpenSearch_2.15", "OpenSearch_2.17",
                       "OpenSearch_2.19", "OpenSearch_3.1", "OpenSearch_3.3")
    assert "OpenSearch_2.11" not in allowed and "OpenSearch_1.3" not in allowed
    # 2.11 sorts after 2.9 as a number, not as text
    assert aws_catalog.engine_version_key("OpenSearch_2.11") > (2, 9)
    assert aws_catalog.DEFAULT_ENGINE_VERSION in allowed


def test_home_region_defaults_to_aws_region() -> None:
    cfg = parse_config({"edgeFunctions": '["a"]'}, stack="dev", aws_region="eu-west-1")
    assert cfg.home_region == "eu-west-1"
    explicit = parse_config(
        {"edgeFunctions": '["a"]', "homeRegion": "ap-south-1"}, stack="dev", aws_region="eu-west-1"
    )
    assert explicit.home_region == "ap-south-1"


def test_every_default_region_is_in_botocore() -> None:
    known = aws_catalog.region_partitions()
    assert all(known[r] == "aws" for r in DEFAULT_REGIONS)


def test_retention_list_matches_botocore_documentation() -> None:
    assert aws_catalog.retention_days_in_botocore_docs() == aws_catalog.LOG_RETENTION_DAYS


def test_instance_types_come_from_botocore_plus_reviewed_families() -> None:
    types = aws_catalog.opensearch_instance_types()
    assert "t3.small.search" in types and "r6g.large.search" in types  # botocore enum
    assert "r7g.large.search" in types and "or2.xlarge.search" in types  # reviewed additions
    assert not any(t.startswith(("t2.", "ultrawarm1.")) for t in types)


def test_tls_policies_offered_are_tls12_or_newer() -> None:
    policies = aws_catalog.tls_security_policies()
    assert "Policy-Min-TLS-1-2-PFS-2023-10" in policies
    assert all("TLS-1-0" not in p for p in policies)


def test_full_custom_config_parses() -> None:
    cfg = parse_config(
        {
            "homeRegion": "eu-central-1",
            "regions": '["eu-west-1", "us-east-1"]',
            "edgeFunctions": '["auth", "rewrite"]',
            "logRetentionDays": "90",
            "filterPattern": "?ERROR ?REPORT",
            "indexPrefix": "edge.logs",
            "domain": '{"instanceType": "r7g.large.search", "instanceCount": 2, '
            '"zoneAwareness": true, "volumeSizeGb": 100, "engineVersion": "OpenSearch_2.17", '
            '"dedicatedMasterType": "m6g.large.search", "dedicatedMasterCount": 3, '
            '"protect": false}',
            "adminPrincipals": '["arn:aws:iam::111122223333:role/ops"]',
            "existingLogGroups": '{"eu-west-1": ["/aws/lambda/us-east-1.auth"]}',
            "distributionIds": '["E2QWRUHAPOMQZL"]',
            "alarmEmail": "ops@example.com",
            "tags": '{"team": "edge"}',
            "indexRetentionDays": "30",
            "forwarderConcurrency": "10",
        },
        stack="prod",
    )
    assert (cfg.index_retention_days, cfg.forwarder_concurrency) == (30, 10)
    assert cfg.domain.zone_awareness and cfg.domain.dedicated_master_count == 3
    assert cfg.domain.protect is False
    assert cfg.existing_log_groups == {"eu-west-1": ("/aws/lambda/us-east-1.auth",)}
    assert cfg.log_group_names() == (
        "/aws/lambda/us-east-1.auth",
        "/aws/lambda/us-east-1.rewrite",
        "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL",
    )
    assert cfg.all_tags == {"app": "edgelogs", "team": "edge", "edgelogs:stack": "prod"}


# (case id, config, key named in the error, a fragment of what is allowed)
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown-region", {"edgeFunctions": FN, "regions": ["us-east-1", "mars-north-1"]},
     "edgelogs:regions", "botocore"),
    ("duplicate-region", {"edgeFunctions": FN, "regions": ["us-east-1", "us-east-1"]},
     "edgelogs:regions", "list each once"),
    ("empty-regions", {"edgeFunctions": FN, "regions": []}, "edgelogs:regions", "not be empty"),
    ("regions-not-a-list", {"edgeFunctions": FN, "regions": "us-east-1"},
     "edgelogs:regions", "list of strings"),
    ("unknown-home-region", {"edgeFunctions": FN, "homeRegion": "us-east-9"},
     "edgelogs:homeRegion", "us-east-1"),
    ("mixed-partitions", {"edgeFunctions": FN, "regions": ["us-east-1", "cn-north-1"]},
     "edgelogs:regions", "one partition"),
    ("missing-edge-functions", {}, "edgelogs:edgeFunctions", "non-empty list"),
    ("empty-edge-functions", {"edgeFunctions": []}, "edgelogs:edgeFunctions", "not be empty"),
    ("duplicate-edge-function", {"edgeFunctions": ["a", "a"]},
     "edgelogs:edgeFunctions", "list each once"),
    ("edge-function-with-space", {"edgeFunctions": ["site auth"]},
     "edgelogs:edgeFunctions", "1-64 letters, digits, - or _"),
    ("edge-function-arn", {"edgeFunctions": ["arn:aws:lambda:us-east-1:1:function:x"]},
     "edgelogs:edgeFunctions", "not an ARN"),
    ("edge-function-too-long", {"edgeFunctions": ["f" * 65]},
     "edgelogs:edgeFunctions", "1-64"),
    ("retention-not-offered", {"edgeFunctions": FN, "logRetentionDays": 31},
     "edgelogs:logRetentionDays", "1, 3, 5, 7, 14, 30"),
    ("retention-not-int", {"edgeFunctions": FN, "logRetentionDays": "month"},
     "edgelogs:logRetentionDays", "integer"),
    ("index-prefix-uppercase", {"edgeFunctions": FN, "indexPrefix": "Edge"},
     "edgelogs:indexPrefix", "a-z 0-9 . _ -"),
    ("index-prefix-leading-underscore", {"edgeFunctions": FN, "indexPrefix": "_edge"},
     "edgelogs:indexPrefix", "starting with a letter or digit"),
    ("index-prefix-illegal-char", {"edgeFunctions": FN, "indexPrefix": "edge*logs"},
     "edgelogs:indexPrefix", "a-z 0-9 . _ -"),
    # Accepted by OpenSearch's index-name rules but not by the forwarder: refused here, not at
    # every forwarder's cold start (issue 12).
    ("index-prefix-plus", {"edgeFunctions": FN, "indexPrefix": "edge+logs"},
     "edgelogs:indexPrefix", "a-z 0-9 . _ -"),
    ("index-prefix-too-long", {"edgeFunctions": FN, "indexPrefix": "e" * 201},
     "edgelogs:indexPrefix", "1-200"),
    ("existing-region-not-collected",
     {"edgeFunctions": FN, "regions": ["us-east-1"],
      "existingLogGroups": {"eu-west-1": ["/aws/lambda/us-east-1.site-auth"]}},
     "edgelogs:existingLogGroups", "not in edgelogs:regions"),
    ("existing-group-not-ours",
     {"edgeFunctions": FN, "regions": ["us-east-1"],
      "existingLogGroups": {"us-east-1": ["/aws/lambda/other"]}},
     "edgelogs:existingLogGroups.us-east-1", "/aws/lambda/us-east-1.site-auth"),
    ("unknown-instance-type", {"edgeFunctions": FN, "domain": {"instanceType": "x9.huge.search"}},
     "edgelogs:domain.instanceType", "family one of"),
    ("t2-cannot-encrypt", {"edgeFunctions": FN, "domain": {"instanceType": "t2.small.search"}},
     "edgelogs:domain.instanceType", "encrypt data at rest"),
    ("unknown-engine-version", {"edgeFunctions": FN, "domain": {"engineVersion": "OpenSearch_2.4"}},
     "edgelogs:domain.engineVersion", "OpenSearch_2.19"),
    ("elasticsearch-engine",
     {"edgeFunctions": FN, "domain": {"engineVersion": "Elasticsearch_7.10"}},
     "edgelogs:domain.engineVersion", "OpenSearch_2.13, OpenSearch_2.15"),
    ("engine-without-flat-object",
     {"edgeFunctions": FN, "domain": {"engineVersion": "OpenSearch_2.5"}},
     "edgelogs:domain.engineVersion", "older than OpenSearch_2.13"),
    ("engine-without-rfc3339-lenient",
     {"edgeFunctions": FN, "domain": {"engineVersion": "OpenSearch_2.11"}},
     "edgelogs:domain.engineVersion", "older than OpenSearch_2.13"),
    ("engine-1x", {"edgeFunctions": FN, "domain": {"engineVersion": "OpenSearch_1.3"}},
     "edgelogs:domain.engineVersion", "flat_object"),
    ("protect-not-a-bool", {"edgeFunctions": FN, "domain": {"protect": "no"}},
     "edgelogs:domain.protect", "true or false"),
    ("index-retention-zero", {"edgeFunctions": FN, "indexRetentionDays": 0},
     "edgelogs:indexRetentionDays", "allowed: an integer 1-3650"),
    ("index-retention-too-long", {"edgeFunctions": FN, "indexRetentionDays": 3651},
     "edgelogs:indexRetentionDays", "1-3650"),
    ("index-retention-not-int", {"edgeFunctions": FN, "indexRetentionDays": "2w"},
     "edgelogs:indexRetentionDays", "allowed: an integer 1-3650"),
    ("concurrency-negative", {"edgeFunctions": FN, "forwarderConcurrency": -1},
     "edgelogs:forwarderConcurrency", "allowed: an integer 0-50"),
    ("concurrency-too-high", {"edgeFunctions": FN, "forwarderConcurrency": 51},
     "edgelogs:forwarderConcurrency", "0-50"),
    ("concurrency-bool", {"edgeFunctions": FN, "forwarderConcurrency": True},
     "edgelogs:forwarderConcurrency", "must be an integer"),
    ("unknown-domain-key", {"edgeFunctions": FN, "domain": {"instanceTyp": "t3.small.search"}},
     "edgelogs:domain", "instanceType"),
    ("zone-awareness-odd-count",
     {"edgeFunctions": FN, "domain": {"zoneAwareness": True, "instanceCount": 3}},
     "edgelogs:domain.instanceCount", "even"),
    # OpenSearch Service allows at most 10 data nodes of T2/T3 types, 80 of the others.
    ("eleven-t3-data-nodes",
     {"edgeFunctions": FN, "domain": {"instanceType": "t3.medium.search", "instanceCount": 11}},
     "edgelogs:domain.instanceCount",
     "11 data nodes of t3.medium.search; allowed: 1-10 (OpenSearch Service allows at most 10"),
    ("eighty-one-r7g-data-nodes",
     {"edgeFunctions": FN, "domain": {"instanceType": "r7g.large.search", "instanceCount": 81}},
     "edgelogs:domain.instanceCount", "81 data nodes of r7g.large.search; allowed: 1-80"),
    ("no-data-nodes", {"edgeFunctions": FN, "domain": {"instanceCount": 0}},
     "edgelogs:domain.instanceCount", "0 data nodes of t3.small.search; allowed: 1-10"),
    ("volume-too-small", {"edgeFunctions": FN, "domain": {"volumeSizeGb": 5}},
     "edgelogs:domain.volumeSizeGb", "10-"),
    ("daily-gb-zero", {"edgeFunctions": FN, "domain": {"expectedDailyGb": 0}},
     "edgelogs:domain.expectedDailyGb", "more than 0 and at most 30000"),
    ("daily-gb-text", {"edgeFunctions": FN, "domain": {"expectedDailyGb": "100GB"}},
     "edgelogs:domain.expectedDailyGb", "must be a number of GB a day"),
    ("daily-gb-bool", {"edgeFunctions": FN, "domain": {"expectedDailyGb": True}},
     "edgelogs:domain.expectedDailyGb", "got True"),
    ("daily-gb-huge", {"edgeFunctions": FN, "domain": {"expectedDailyGb": 30001}},
     "edgelogs:domain.expectedDailyGb", "at most 30000"),
    ("masters-without-type", {"edgeFunctions": FN, "domain": {"dedicatedMasterCount": 3}},
     "edgelogs:domain.dedicatedMasterType", "required"),
    ("masters-count-two",
     {"edgeFunctions": FN,
      "domain": {"dedicatedMasterCount": 2, "dedicatedMasterType": "m6g.large.search"}},
     "edgelogs:domain.dedicatedMasterCount", "3 or 5"),
    ("anonymous-admin", {"edgeFunctions": FN, "adminPrincipals": ["*"]},
     "edgelogs:adminPrincipals", "never '*'"),
    ("admin-not-iam-arn", {"edgeFunctions": FN, "adminPrincipals": ["arn:aws:s3:::bucket"]},
     "edgelogs:adminPrincipals", "role/<name>"),
    ("anonymous-operator", {"edgeFunctions": FN, "operatorPrincipals": ["*"]},
     "edgelogs:operatorPrincipals", "never '*'"),
    ("bad-distribution-id", {"edgeFunctions": FN, "distributionIds": ["e2-lower"]},
     "edgelogs:distributionIds", "uppercase letters"),
    ("bad-alarm-email", {"edgeFunctions": FN, "alarmEmail": "ops-at-example"},
     "edgelogs:alarmEmail", "name@example.com"),
    ("aws-tag-prefix", {"edgeFunctions": FN, "tags": {"aws:owner": "me"}},
     "edgelogs:tags", "not starting with 'aws:'"),
    ("filter-pattern-too-long", {"edgeFunctions": FN, "filterPattern": "x" * 1025},
     "edgelogs:filterPattern", "1024"),
    ("home-region-not-a-string", {"edgeFunctions": FN, "homeRegion": ["us-east-1"]},
     "edgelogs:homeRegion", "region name"),
    ("domain-not-an-object", {"edgeFunctions": FN, "domain": "large"},
     "edgelogs:domain", "engineVersion, instanceType"),
    ("instance-type-not-a-string", {"edgeFunctions": FN, "domain": {"instanceType": ["t3"]}},
     "edgelogs:domain.instanceType", "family one of"),
    ("tags-not-a-map", {"edgeFunctions": FN, "tags": ["team=edge"]},
     "edgelogs:tags", "string -> string"),
    ("existing-not-a-list",
     {"edgeFunctions": FN, "existingLogGroups": {"us-east-1": "/aws/lambda/us-east-1.site-auth"}},
     "edgelogs:existingLogGroups.us-east-1", "list of strings"),
    ("misspelt-key", {"edgeFunctions": FN, "region": ["us-east-1"]},
     "edgelogs:region", "allowed: homeRegion, regions"),
    ("custom-group-aws-prefix", {"edgeFunctions": ["a", {"name": "b", "logGroup": "aws/edge"}]},
     "edgelogs:edgeFunctions[1].logGroup", "not starting with aws/"),
    ("custom-group-space", {"edgeFunctions": [{"name": "b", "logGroup": "/edge logs"}]},
     "edgelogs:edgeFunctions[0].logGroup", "1-512 characters of a-z A-Z 0-9 _ - / . #"),
    ("custom-group-colon", {"edgeFunctions": [{"name": "b", "logGroup": "/edge:logs"}]},
     "edgelogs:edgeFunctions[0].logGroup", "1-512 characters"),
    ("custom-group-too-long", {"edgeFunctions": [{"name": "b", "logGroup": "/" + "x" * 512}]},
     "edgelogs:edgeFunctions[0].logGroup", "1-512 characters"),
    ("custom-group-empty", {"edgeFunctions": [{"name": "b", "logGroup": ""}]},
     "edgelogs:edgeFunctions[0].logGroup", "1-512 characters"),
    ("custom-group-not-a-string", {"edgeFunctions": [{"name": "b", "logGroup": ["/x"]}]},
     "edgelogs:edgeFunctions[0].logGroup", "1-512 characters"),
    ("custom-group-is-the-default", {"edgeFunctions": [{"name": "b", "logGroup": "/aws/lambda/b"}]},
     "edgelogs:edgeFunctions[0].logGroup", "list 'b' as a plain name"),
    ("custom-entry-missing-group", {"edgeFunctions": ["a", "c", {"name": "b"}]},
     "edgelogs:edgeFunctions[2]", "missing keys ['logGroup']"),
    ("custom-entry-unknown-key",
     {"edgeFunctions": [{"name": "b", "logGroup": "/edge", "region": "us-east-1"}]},
     "edgelogs:edgeFunctions[0]", "unknown keys ['region']"),
    ("custom-entry-bad-name", {"edgeFunctions": [{"name": "b c", "logGroup": "/edge"}]},
     "edgelogs:edgeFunctions[0].name", "1-64 letters, digits, - or _"),
    ("edge-function-entry-a-number", {"edgeFunctions": ["a", 7]},
     "edgelogs:edgeFunctions[1]", "function name or {name, logGroup}"),
    ("edge-function-twice-two-forms", {"edgeFunctions": ["a", {"name": "a", "logGroup": "/e"}]},
     "edgelogs:edgeFunctions", "list each once"),
    ("edge-functions-an-object", {"edgeFunctions": {"name": "a", "logGroup": "/e"}},
     "edgelogs:edgeFunctions", "non-empty list"),
    ("coverage-check-not-bool", {"edgeFunctions": FN, "coverageCheck": "daily"},
     "edgelogs:coverageCheck", "true or false"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "key", "allowed"),
    [pytest.param(c, k, a, id=i) for i, c, k, a in INVALID],
)
def test_invalid_config_stops_the_program(run, config, key, allowed) -> None:
    with pytest.raises(ConfigError) as info:
        run(config)
    message = str(info.value)
    assert re.search(rf"^\s*{re.escape(key)}: ", message, re.M), message
    assert allowed in message, message


def test_invalid_config_creates_nothing(run) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ConfigError):
        run({"edgeFunctions": FN, "logRetentionDays": 31}, mocks=mocks)
    assert mocks.resources == [] and mocks.invokes == []


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            {"edgeFunctions": '["bad name"]', "logRetentionDays": "2", "indexPrefix": "UP"},
            stack="dev",
        )
    lines = [ln for ln in str(info.value).splitlines() if ln.strip().startswith("edgelogs:")]
    assert len(lines) == 3


def test_custom_log_groups_shared_and_plain() -> None:
    cfg = parse_config(
        {
            "edgeFunctions": '["auth", {"name": "rewrite", "logGroup": "/edge/shared"},'
            ' {"name": "headers", "logGroup": "/edge/shared"},'
            ' {"name": "img", "logGroup": "edge.img#1"}]',
            "distributionIds": '["E2QWRUHAPOMQZL"]',
            "regions": '["us-east-1", "eu-west-1"]',
            "existingLogGroups": '{"eu-west-1": ["/edge/shared"]}',
        },
        stack="dev",
    )
    assert cfg.edge_functions == ("auth", "rewrite", "headers", "img")
    assert cfg.custom_log_groups == {
        "rewrite": "/edge/shared", "headers": "/edge/shared", "img": "edge.img#1",
    }
    # The shared group once: one group and one filter per region.
    assert cfg.log_group_names() == (
        "/aws/lambda/us-east-1.auth",
        "/edge/shared",
        "edge.img#1",
        "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL",
    )
    assert cfg.existing_log_groups == {"eu-west-1": ("/edge/shared",)}


def test_custom_log_group_name_limits() -> None:
    longest = "/" + "a" * 511
    cfg = parse_config(
        {"edgeFunctions": json.dumps([{"name": "a", "logGroup": longest},
                                      {"name": "b", "logGroup": "/aws/edge-b"}])},
        stack="dev",
    )  # fmt: skip
    # "/aws/..." is not "aws/...": only the latter is reserved.
    assert cfg.log_group_names() == (longest, "/aws/edge-b")


def test_coverage_check_default_and_off() -> None:
    assert parse_config({"edgeFunctions": '["a"]'}, stack="s").coverage_check is True
    off = parse_config({"edgeFunctions": '["a"]', "coverageCheck": "false"}, stack="s")
    assert off.coverage_check is False


def test_existing_custom_group_must_be_collected() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            {"edgeFunctions": '[{"name": "a", "logGroup": "/edge/a"}]',
             "regions": '["us-east-1"]',
             "existingLogGroups": '{"us-east-1": ["/edge/b"]}'},
            stack="s",
        )  # fmt: skip
    assert "edgelogs:existingLogGroups.us-east-1: '/edge/b' is not a log group" in str(info.value)
    assert "'/edge/a'" in str(info.value)


def test_ten_t3_data_nodes_and_eighty_others_are_accepted() -> None:
    ten = parse_config({"edgeFunctions": '["a"]', "domain": json.dumps(
        {"instanceType": "t3.medium.search", "instanceCount": 10})}, stack="dev")
    eighty = parse_config({"edgeFunctions": '["a"]', "domain": json.dumps(
        {"instanceType": "r7g.large.search", "instanceCount": 80})}, stack="dev")
    assert (ten.domain.instance_count, eighty.domain.instance_count) == (10, 80)


@pytest.mark.parametrize(("domain", "shards", "replicas"), [
    ({}, 1, 0),  # the default: 1 GB a day on one node
    ({"expectedDailyGb": 0.5}, 1, 0),
    ({"expectedDailyGb": 30}, 1, 0),
    ({"expectedDailyGb": 30.5}, 2, 0),
    ({"expectedDailyGb": 100, "instanceCount": 2}, 4, 1),
    ({"expectedDailyGb": 1000, "instanceCount": 6}, 34, 1),
])
def test_expected_daily_gb_sets_shards_of_at_most_30_gb(domain: dict, shards: int,
                                                        replicas: int) -> None:
    cfg = parse_config({"edgeFunctions": '["a"]', "domain": json.dumps(domain)}, stack="s")
    assert (cfg.domain.index_shards, cfg.domain.index_replicas) == (shards, replicas)
