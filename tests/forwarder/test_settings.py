from __future__ import annotations

import pytest
from forwarder.errors import SettingsError
from forwarder.settings import Settings

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
    assert Settings.from_env({**BASE, "OPENSEARCH_ENDPOINT": endpoint}).signed is signed


def test_settings_are_frozen() -> None:
    s = Settings.from_env(BASE)
    with pytest.raises(AttributeError):
        s.region = "us-east-1"  # type: ignore[misc]
