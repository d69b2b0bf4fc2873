"""The setup's one way to the domain: signed requests, waiting out a domain that is busy."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.credentials import Credentials
from domain_setup.http import SetupError, caller

from tests.support.http_stub import Request, stub_server


def test_a_busy_domain_is_waited_for_then_answers() -> None:
    answers = iter([(503, {"message": "Not yet initialized"}), (429, {}), (200, {"ok": 1})])
    pauses: list[float] = []
    with stub_server(lambda r: next(answers)) as (url, seen):
        status, body = caller(url, "eu-central-1", sleep=pauses.append)("GET", "/x", None)
    assert (status, body) == (200, {"ok": 1})
    assert [r.method for r in seen] == ["GET", "GET", "GET"] and len(pauses) == 2


def test_a_domain_busy_for_too_long_gives_its_last_answer() -> None:
    with stub_server(lambda r: (503, {"message": "busy"})) as (url, seen):
        status, body = caller(url, "eu-central-1", retry_for_s=0.0)("GET", "/x", None)
    assert (status, body) == (503, {"message": "busy"}) and len(seen) == 1


def test_a_refusal_is_not_retried() -> None:
    with stub_server(lambda r: (403, {"error": {"reason": "no permissions"}})) as (url, seen):
        status, _ = caller(url, "eu-central-1", sleep=lambda s: None)("PUT", "/x", {"a": 1})
    assert status == 403 and len(seen) == 1


def test_requests_are_signed_for_the_domains_region() -> None:
    def answer(r: Request) -> tuple[int, Any]:
        return 200, {}

    creds = Credentials("AKIDEXAMPLE", "secret", "token")
    with stub_server(answer) as (url, seen):
        caller(url, "eu-central-1", creds)("PUT", "/_index_template/le", {"a": 1})
    auth = seen[0].headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-central-1/es/aws4_request" in auth
    assert seen[0].headers["x-amz-security-token"] == "token"


def test_an_unsigned_caller_only_for_a_loopback_http_node() -> None:
    with pytest.raises(SetupError) as err:
        caller("https://d.example", "eu-central-1")
    assert str(err.value) == "no credentials to sign requests to https://d.example"
