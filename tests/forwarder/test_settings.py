from __future__ import annotations

import pytest
from forwarder.errors import SettingsError
from forwarder.settings import Settings, region_of_endpoint

BASE = {"OPENSEARCH_ENDPOINT": "https://search-logs-abc.eu-west-1.es.amazonaws.com",
        "AWS_REGION": "eu-west-1"}


def test_defaults() -> None:
    s = Settings.from_env(BASE)
    assert s.endpoint == BASE["OPENSEARCH_ENDPOINT"]
    assert (s.service, s.index_prefix, s.region) == ("es", "lambda-edge", "eu-west-1")
    assert s.bulk_max_bytes == 5 * 1024 * 1024
    assert s.signed


def test_everything_set() -> None:
    s = Settings.from_env({**BASE, "OPENSEARCH_SERVICE": "aoss", "INDEX_PREFIX": "edge.logs",
                           "BULK_MAX_BYTES": "1048576", "BULK_MAX_DOCS": "500",
                           "SAFETY_MARGIN_MS": "2500", "REQUEST_TIMEOUT_MS": "10000"})
    assert (s.service, s.index_prefix, s.bulk_max_bytes, s.bulk_max_docs) == (
        "aoss", "edge.logs", 1048576, 500)
    assert (s.safety_margin_s, s.request_timeout_s) == (2.5, 10.0)


def test_retention_is_not_the_forwarders_business() -> None:
    """The domain setup installs the lifecycle policy; the forwarder neither reads nor keeps
    the retention, so a stale INDEX_RETENTION_DAYS (an older stack's) is simply ignored."""
    s = Settings.from_env({**BASE, "INDEX_RETENTION_DAYS": "not a number"})
    assert not hasattr(s, "index_retention_days")
    assert s == Settings.from_env(BASE)


@pytest.mark.parametrize(("env", "names"), [
    ({"AWS_REGION": "eu-west-1"}, "OPENSEARCH_ENDPOINT"),
    ({"OPENSEARCH_ENDPOINT": BASE["OPENSEARCH_ENDPOINT"]}, "AWS_REGION"),
    ({**BASE, "AWS_REGION": "Europe"}, "AWS_REGION"),
    ({**BASE, "OPENSEARCH_ENDPOINT": "search-logs.es.amazonaws.com"}, "OPENSEARCH_ENDPOINT"),
    ({**BASE, "OPENSEARCH_ENDPOINT": "http://search-logs.es.amazonaws.com"},
     "OPENSEARCH_ENDPOINT"),
    ({**BASE, "OPENSEARCH_ENDPOINT": "https://x.es.amazonaws.com/path"}, "OPENSEARCH_ENDPOINT"),
    ({**BASE, "OPENSEARCH_SERVICE": "s3"}, "OPENSEARCH_SERVICE"),
    ({**BASE, "INDEX_PREFIX": "Logs"}, "INDEX_PREFIX"),
    ({**BASE, "INDEX_PREFIX": "-logs"}, "INDEX_PREFIX"),
    ({**BASE, "INDEX_PREFIX": "lo gs"}, "INDEX_PREFIX"),
    ({**BASE, "BULK_MAX_BYTES": "lots"}, "BULK_MAX_BYTES"),
    ({**BASE, "BULK_MAX_BYTES": "10"}, "BULK_MAX_BYTES"),
    ({**BASE, "BULK_MAX_DOCS": "0"}, "BULK_MAX_DOCS"),
])
def test_bad_values_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


@pytest.mark.parametrize(("endpoint", "signed"), [
    ("http://127.0.0.1:9200", False),
    ("http://localhost:9200", False),
    ("http://[::1]:9200", False),
    ("https://127.0.0.1:9200", True),  # https is always signed
    ("https://search-x.eu-west-1.es.amazonaws.com", True),
])
def test_only_loopback_http_is_unsigned(endpoint: str, signed: bool) -> None:
    env = {**BASE, "OPENSEARCH_ENDPOINT": endpoint}
    if endpoint.startswith("https://127."):
        env["OPENSEARCH_REGION"] = "eu-west-1"  # its host names no region
    assert Settings.from_env(env).signed is signed


def test_settings_are_frozen() -> None:
    s = Settings.from_env(BASE)
    with pytest.raises(AttributeError):
        s.region = "us-east-1"  # type: ignore[misc]


# Amazon OpenSearch Service accepts only a signature scoped to the domain's own region.
_DOMAIN = "https://search-edgelogs-dev-abc123.eu-central-1.es.amazonaws.com"


def test_requests_are_signed_for_the_domain_region_not_the_forwarders() -> None:
    s = Settings.from_env({"OPENSEARCH_ENDPOINT": _DOMAIN, "AWS_REGION": "ap-southeast-2"})
    assert (s.region, s.domain_region, s.signed) == ("ap-southeast-2", "eu-central-1", True)
    explicit = Settings.from_env({"OPENSEARCH_ENDPOINT": _DOMAIN, "AWS_REGION": "sa-east-1",
                                  "OPENSEARCH_REGION": "eu-central-1"})
    assert explicit.domain_region == "eu-central-1"


@pytest.mark.parametrize("host, region", [
    ("search-a-b.us-east-1.es.amazonaws.com", "us-east-1"),
    ("vpc-logs-x1.ap-southeast-2.es.amazonaws.com", "ap-southeast-2"),
    ("abc123.eu-west-1.aoss.amazonaws.com", "eu-west-1"),
    ("search-a-b.cn-north-1.es.amazonaws.com.cn", "cn-north-1"),
    ("logs.example.com", None),
    ("es.amazonaws.com", None),
])
def test_region_of_endpoint(host: str, region: str | None) -> None:
    assert region_of_endpoint(f"https://{host}") == region


def test_domain_region_is_required_when_the_host_does_not_name_it() -> None:
    with pytest.raises(SettingsError, match="OPENSEARCH_REGION is required"):
        Settings.from_env({"OPENSEARCH_ENDPOINT": "https://logs.example.com",
                           "AWS_REGION": "eu-west-1"})
    s = Settings.from_env({"OPENSEARCH_ENDPOINT": "https://logs.example.com",
                           "AWS_REGION": "eu-west-1", "OPENSEARCH_REGION": "us-west-2"})
    assert s.domain_region == "us-west-2"


def test_an_override_that_contradicts_the_endpoint_is_refused() -> None:
    with pytest.raises(SettingsError, match="signed for the domain's own region"):
        Settings.from_env({"OPENSEARCH_ENDPOINT": _DOMAIN, "AWS_REGION": "eu-west-1",
                           "OPENSEARCH_REGION": "eu-west-1"})
    with pytest.raises(SettingsError, match="OPENSEARCH_REGION is not a region"):
        Settings.from_env({"OPENSEARCH_ENDPOINT": "https://logs.example.com",
                           "AWS_REGION": "eu-west-1", "OPENSEARCH_REGION": "Europe"})


def test_a_local_node_is_unsigned_unless_a_domain_region_is_given() -> None:
    bare = Settings.from_env({"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9200",
                              "AWS_REGION": "eu-west-1"})
    assert (bare.signed, bare.domain_region) == (False, None)
    door = Settings.from_env({"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9200",
                              "AWS_REGION": "eu-west-1", "OPENSEARCH_REGION": "us-east-1"})
    assert (door.signed, door.domain_region) == (True, "us-east-1")
