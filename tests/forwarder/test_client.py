"""The client on the wire: gzip bodies, SigV4 over the compressed bytes, refreshed keys."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from forwarder import client as client_module
from forwarder.client import make_client
from forwarder.settings import Settings
from requests_aws4auth import AWS4Auth

from tests.support.http_stub import Request, stub_server

# The requests the client sends, as the stub server saw them.
Captured = Request


@pytest.fixture
def server() -> Iterator[tuple[str, list[Captured]]]:
    with stub_server(lambda _: (200, {"errors": False, "items": []})) as (url, seen):
        yield url, seen


class Frozen(NamedTuple):
    access_key: str
    secret_key: str
    token: str


class RotatingCredentials:
    """Stands in for botocore's RefreshableCredentials: a new key set on every call."""

    def __init__(self) -> None:
        self.calls = 0

    def get_frozen_credentials(self) -> Frozen:
        self.calls += 1
        return Frozen(f"AKIDTEST{self.calls}", "secret", f"token{self.calls}")


def test_loopback_http_client_is_unsigned(server: tuple[str, list[Captured]]) -> None:
    url, seen = server
    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": "eu-west-1"})
    make_client(settings).bulk(body=b'{"create":{}}\n{}\n')
    assert "authorization" not in seen[0].headers
    assert seen[0].headers["content-encoding"] == "gzip"


def test_https_endpoint_gets_refreshable_sigv4() -> None:
    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": "https://search-x.eu-west-1.es.amazonaws.com",
                                  "AWS_REGION": "eu-west-1", "OPENSEARCH_SERVICE": "aoss"})
    creds = RotatingCredentials()
    client = make_client(settings, credentials=creds)
    conn = client.transport.connection_pool.connections[0]
    auth = conn.session.auth
    assert isinstance(auth, AWS4Auth)
    assert auth.refreshable_credentials is creds
    assert (auth.region, auth.service) == ("eu-west-1", "aoss")
    assert conn.use_ssl and conn.http_compress


def test_a_forwarder_in_another_region_signs_for_the_domains() -> None:
    settings = Settings.from_env({
        "OPENSEARCH_ENDPOINT": "https://search-x.eu-central-1.es.amazonaws.com",
        "AWS_REGION": "ap-southeast-2", "OPENSEARCH_REGION": "eu-central-1"})
    auth = make_client(settings, credentials=RotatingCredentials()).transport \
        .connection_pool.connections[0].session.auth
    assert (auth.region, auth.service) == ("eu-central-1", "es")


def test_signature_covers_the_compressed_body_and_keys_refresh(
        server: tuple[str, list[Captured]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = server
    # A loopback endpoint with a domain region is signed (as through the tests' front door).
    settings = Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": "eu-west-1",
                                  "OPENSEARCH_REGION": "eu-west-1"})
    client = make_client(settings, credentials=RotatingCredentials())
    body = b"".join(b'{"create":{"_index":"i","_id":"%d"}}\n{"message":"%s"}\n' % (i, b"x" * i)
                    for i in range(200))
    client.bulk(body=body)
    client.bulk(body=body)

    first, second = seen
    assert first.headers["content-encoding"] == "gzip"
    assert gzip.decompress(first.body) == body
    assert len(first.body) < len(body) / 5
    # What AWS checks: the payload hash in the signed request is the hash of the bytes
    # that arrived, i.e. of the compressed body.
    assert first.headers["x-amz-content-sha256"] == hashlib.sha256(first.body).hexdigest()
    auth = first.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST1/")
    assert "/eu-west-1/es/aws4_request" in auth
    assert "x-amz-content-sha256" in auth and "x-amz-security-token" in auth
    assert first.headers["x-amz-security-token"] == "token1"
    # Every request asks the credentials again: expired role keys are never reused.
    assert second.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST2/")


def test_gzip_level_is_the_cheap_one() -> None:
    # The override must keep hooking the method opensearch-py calls.
    from opensearchpy.connection.base import Connection

    assert hasattr(Connection, "_gzip_compress")
    body = json.dumps([{"k": i} for i in range(1000)]).encode()
    conn = client_module._Connection(host="127.0.0.1", port=9, http_compress=True)
    out = conn._gzip_compress(body)
    assert gzip.decompress(out) == body and out[2:3] == b"\x08"
