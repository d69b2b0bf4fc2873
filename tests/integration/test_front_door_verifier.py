"""The front door's checks on their own (no node): SigV4 recomputed, IAM evaluated."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import time
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from moto.iam.access_control import PermissionResult
from requests_aws4auth import AWS4Auth

from tests.support.front_door import (
    FrontDoor,
    Identity,
    Refused,
    assumed_role_session,
    principal_matches,
)
from tests.support.http_stub import Request, stub_server

ACCOUNT = "123456789012"
REGION = "eu-central-1"
DOMAIN = f"arn:aws:es:{REGION}:{ACCOUNT}:domain/d"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/writer"
HOST = "127.0.0.1:9"

WRITER = Identity("writer", "ASIAWRITER", "s3cr3t", assumed_role_session(ROLE, "fn"), ACCOUNT,
                  {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": "es:ESHttpPost",
                       "Resource": f"{DOMAIN}/logs-*/_bulk"}]},
                  token="tok", both_policies=True)
READER = Identity("reader", "AKIAREADER", "r34d", f"arn:aws:iam::{ACCOUNT}:user/reader",
                  ACCOUNT)
OUTSIDER = Identity("outsider", "AKIAOUT", "0ut", "arn:aws:iam::210987654321:user/x",
                    "210987654321", {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "es:*", "Resource": "*"}]})
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "es:ESHttpPost",
     "Resource": f"{DOMAIN}/logs-*/_bulk"},
    {"Effect": "Allow", "Principal": {"AWS": [READER.principal_arn]},
     "Action": ["es:ESHttpGet"], "Resource": f"{DOMAIN}/*"},
    {"Effect": "Deny", "Principal": {"AWS": READER.principal_arn}, "Action": "es:ESHttpGet",
     "Resource": f"{DOMAIN}/secret*"},
]}


def door(clock: float | None = None) -> FrontDoor:
    return FrontDoor("http://127.0.0.1:9", REGION, ACCOUNT, "d", POLICY,
                     [WRITER, READER, OUTSIDER],
                     clock=(lambda: clock) if clock is not None else time.time)


def signed(identity: Identity, method: str, path: str, body: bytes = b"",
           region: str = REGION, service: str = "es",
           extra: dict[str, str] | None = None) -> dict[str, str]:
    req = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body,
                     headers={"content-type": "application/json", **(extra or {})})
    SigV4Auth(identity.credentials(), service, region).add_auth(req)
    headers = {k.lower(): v for k, v in req.headers.items()}
    headers["host"] = HOST
    return headers


def refusal(fd: FrontDoor, method: str, path: str, headers: dict[str, str],
            body: bytes = b"") -> tuple[int, dict[str, Any]]:
    with pytest.raises(Refused) as info:
        fd.admit(method, path, headers, body)
    return info.value.status, info.value.body


def test_a_correctly_signed_allowed_call_is_admitted() -> None:
    fd = door()
    body = b'{"create":{"_id":"1"}}\n{"m":1}\n'
    decision = fd.admit("POST", "/logs-2025.11.24/_bulk",
                        signed(WRITER, "POST", "/logs-2025.11.24/_bulk", body), body)
    assert decision.admitted and decision.caller == "writer"
    assert decision.resource == f"{DOMAIN}/logs-2025.11.24/_bulk"
    assert decision.resource_policy is PermissionResult.PERMITTED
    assert decision.identity_policy is PermissionResult.PERMITTED


def test_the_forwarders_own_signer_gzip_body_and_query_verify() -> None:
    """requests_aws4auth (what forwarder.client uses) over a gzip body, with a query."""
    body = gzip.compress(b'{"create":{"_id":"1"}}\n{"m":1}\n')
    auth = AWS4Auth(WRITER.access_key, WRITER.secret_key, REGION, "es",
                    session_token=WRITER.token)
    prepared = requests.Request(
        "POST", f"http://{HOST}/logs-2025.11.24/_bulk?filter_path=errors,items.*.status",
        data=body, headers={"content-encoding": "gzip"}, auth=auth).prepare()
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    headers["host"] = HOST
    target = prepared.path_url
    assert door().admit("POST", target, headers, body).admitted
    # The same signature over the uncompressed bytes is not the same request.
    status, reply = refusal(door(), "POST", target, headers, gzip.decompress(body))
    assert status == 400 and "x-amz-content-sha256" in reply["message"]
    tampered = dict(headers, **{"x-amz-content-sha256": hashlib.sha256(b"x").hexdigest()})
    assert refusal(door(), "POST", target, tampered, b"x") == (403, {"message": (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.")})


def test_a_changed_body_or_path_breaks_the_signature() -> None:
    headers = signed(WRITER, "POST", "/logs-1/_bulk", b"{}")
    status, reply = refusal(door(), "POST", "/logs-1/_bulk", headers, b"{} ")
    assert status == 403 and reply["message"].startswith("The request signature we calculated")
    status, reply = refusal(door(), "POST", "/logs-2/_bulk", headers, b"{}")
    assert status == 403 and reply["message"].startswith("The request signature we calculated")


def test_only_the_domains_region_and_service_es_are_valid_scopes() -> None:
    headers = signed(WRITER, "POST", "/logs-1/_bulk", region="ap-southeast-2")
    assert refusal(door(), "POST", "/logs-1/_bulk", headers) == (403, {
        "message": "Credential should be scoped to a valid region, not 'ap-southeast-2'. "})
    headers = signed(WRITER, "POST", "/logs-1/_bulk", service="execute-api")
    assert refusal(door(), "POST", "/logs-1/_bulk", headers) == (403, {
        "message": "Credential should be scoped to correct service: 'es'. "})


def test_x_amz_date_must_be_within_five_minutes() -> None:
    headers = signed(WRITER, "GET", "/_index_template/logs")
    now = time.time()
    status, reply = refusal(door(now + 301), "GET", "/_index_template/logs", headers)
    assert status == 403 and reply["message"].startswith(
        f"Signature expired: {headers['x-amz-date']} is now earlier than ")
    status, reply = refusal(door(now - 301), "GET", "/_index_template/logs", headers)
    assert status == 403 and reply["message"].startswith("Signature not yet current: ")
    # Within the window either way: authenticated (then refused by policy, not by time).
    status, reply = refusal(door(now + 200), "GET", "/_index_template/logs", headers)
    assert "not authorized" in reply["Message"]


def test_session_keys_need_their_token_and_keys_must_be_known() -> None:
    no_token = Identity("w", WRITER.access_key, WRITER.secret_key, "", ACCOUNT)
    headers = signed(no_token, "POST", "/logs-1/_bulk")
    invalid = (403, {"message": "The security token included in the request is invalid."})
    assert refusal(door(), "POST", "/logs-1/_bulk", headers) == invalid
    wrong = Identity("w", WRITER.access_key, WRITER.secret_key, "", ACCOUNT, token="other")
    assert refusal(door(), "POST", "/logs-1/_bulk", signed(wrong, "POST", "/logs-1/_bulk")) \
        == invalid
    unknown = Identity("u", "AKIAUNKNOWN", "x", "", ACCOUNT)
    assert refusal(door(), "GET", "/", signed(unknown, "GET", "/")) == invalid
    bad_secret = Identity("r", READER.access_key, "not-the-secret", "", ACCOUNT)
    status, reply = refusal(door(), "GET", "/x", signed(bad_secret, "GET", "/x"))
    assert status == 403 and reply["message"].startswith("The request signature we calculated")


def test_unsigned_requests_are_anonymous_and_refused() -> None:
    fd = door()
    assert refusal(fd, "GET", "/logs-1/_search", {"host": HOST}) == (403, {
        "Message": "User: anonymous is not authorized to perform: es:ESHttpGet because no "
                   "resource-based policy allows the es:ESHttpGet action"})
    assert fd.decisions[-1].caller == "anonymous" and fd.decisions[-1].allowed_by_neither


def test_policies_decide_with_principals_matched_and_deny_winning() -> None:
    fd = door()
    # The writer's session may bulk into logs-*, nothing else.
    status, reply = refusal(fd, "POST", "/other/_bulk", signed(WRITER, "POST", "/other/_bulk"))
    assert reply == {"Message": f"User: {WRITER.principal_arn} is not authorized to perform: "
                                "es:ESHttpPost on resource: d"}
    assert fd.decisions[-1].allowed_by_neither
    status, _ = refusal(fd, "DELETE", "/logs-1", signed(WRITER, "DELETE", "/logs-1"))
    assert status == 403 and fd.decisions[-1].allowed_by_neither
    # The reader has no identity policy: the domain policy alone grants it GET ...
    assert fd.admit("GET", "/logs-1/_search", signed(READER, "GET", "/logs-1/_search"),
                    b"").admitted
    # ... except where a Deny statement naming it matches.
    refusal(fd, "GET", "/secret-1/_search", signed(READER, "GET", "/secret-1/_search"))
    assert fd.decisions[-1].resource_policy is PermissionResult.DENIED
    # Another account's user: its own es:* cannot stand in for the domain policy.
    refusal(fd, "GET", "/logs-1/_search", signed(OUTSIDER, "GET", "/logs-1/_search"))
    decision = fd.decisions[-1]
    assert (decision.resource_policy, decision.identity_policy) == (
        PermissionResult.NEUTRAL, PermissionResult.PERMITTED)


def test_same_account_union_and_the_forwarders_stricter_rule() -> None:
    """A same-account caller is admitted by its identity policy alone (AWS's union rule);
    the forwarder role, whose two policies the program writes, needs both."""
    own_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "es:ESHttpPost", "Resource": f"{DOMAIN}/logs-*/_bulk"}]}
    operator = Identity("op", "AKIAOP", "0p", f"arn:aws:iam::{ACCOUNT}:user/op", ACCOUNT,
                        own_policy)
    writer_only_domain = Identity("w2", "ASIAW2", "w2", assumed_role_session(ROLE, "x"),
                                  ACCOUNT, None, token="t", both_policies=True)
    fd = FrontDoor("http://127.0.0.1:9", REGION, ACCOUNT, "d", POLICY,
                   [operator, writer_only_domain])
    assert fd.admit("POST", "/logs-1/_bulk", signed(operator, "POST", "/logs-1/_bulk"),
                    b"").admitted
    refusal(fd, "POST", "/logs-1/_bulk", signed(writer_only_domain, "POST", "/logs-1/_bulk"))
    decision = fd.decisions[-1]
    assert (decision.resource_policy, decision.identity_policy) == (
        PermissionResult.PERMITTED, None)


def test_principal_entries() -> None:
    session = assumed_role_session(ROLE, "fn")
    assert session == f"arn:aws:sts::{ACCOUNT}:assumed-role/writer/fn"
    assert principal_matches(ROLE, session, ACCOUNT)
    assert principal_matches(f"arn:aws:iam::{ACCOUNT}:root", session, ACCOUNT)
    assert principal_matches(ACCOUNT, session, ACCOUNT)
    assert not principal_matches(f"arn:aws:iam::{ACCOUNT}:role/writer2", session, ACCOUNT)
    assert not principal_matches(f"arn:aws:iam::{ACCOUNT}:role/write", session, ACCOUNT)
    assert not principal_matches("arn:aws:iam::210987654321:role/writer",
                                 "arn:aws:sts::210987654321:assumed-role/writerx/fn",
                                 "210987654321")


def test_the_proxy_forwards_chunked_and_fixed_bodies_and_streams_answers() -> None:
    """The HTTP side on its own: a stand-in node echoes what it received."""
    def echo(request: Request) -> tuple[int, dict[str, object]]:
        return 200, {"path": request.path, "n": len(request.body),
                     "auth": request.headers.get("authorization")}

    with stub_server(echo) as (node_url, _):
        _forwards_as_received(node_url)


def _forwards_as_received(node_url: str) -> None:
    fd = FrontDoor(node_url, REGION, ACCOUNT, "d", POLICY, [WRITER]).start()
    try:
        host = fd.url.removeprefix("http://")
        body = b'{"create":{"_id":"1"}}\n{"m":1}\n' * 100
        conn = http.client.HTTPConnection(host)
        for chunked in (False, True):
            headers = signed_for(host, body)
            conn.request("POST", "/logs-1/_bulk", body=iter([body[:7], body[7:]]) if chunked
                         else body, headers=headers, encode_chunked=chunked)
            resp = conn.getresponse()
            reply = json.loads(resp.read())
            # Forwarded as received, without the caller's keys.
            assert (resp.status, reply) == (200, {"path": "/logs-1/_bulk", "n": len(body),
                                                  "auth": None})
    finally:
        fd.stop()


def signed_for(host: str, body: bytes) -> dict[str, str]:
    req = AWSRequest(method="POST", url=f"http://{host}/logs-1/_bulk", data=body,
                     headers={"content-type": "application/x-ndjson"})
    SigV4Auth(WRITER.credentials(), "es", REGION).add_auth(req)
    return dict(req.headers.items())
