"""Redaction on the real node: secrets embedded in text and in JSON never reach a stored
document, the errors index (its raw copies included) or the forwarder's own log line."""

from __future__ import annotations

import base64
import gzip
import json
import time
from typing import Any

import boto3
import pytest
from forwarder.handler import process
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from ops import replay
from tests.forwarder.payloads import encode, payload
from tests.integration.forwarder_support import all_docs, call, client_for
from tests.integration.forwarder_support import settings as forwarder_settings
from tests.support.cwl import failure_record

RULES = json.dumps(["ipv4", "ipv6", "email", "bearer", "card",
                    {"pattern": "session=[A-Za-z0-9]+", "replacement": "session=[REDACTED]"}])
DAY_MS = 1_764_000_000_000  # 2025-11-24
RID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _luhn_completed(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str).filter(lambda a: a != "::")  # "::" names no host
# Tokens hold a letter and are long enough never to occur by chance in the rest of what
# is stored (times, ids, counts).
TOKEN = st.text(alphabet=B64 + "._~+/-", min_size=10, max_size=40).filter(
    lambda t: any(c.isalpha() for c in t))
bearer = TOKEN.map(lambda t: "Authorization: Bearer " + t)
jwt = st.tuples(*(st.text(alphabet=B64 + "_-", min_size=4, max_size=30) for _ in range(3))).map(
    lambda p: f"eyJ{p[0]}.{p[1]}.{p[2]}")
card = st.from_regex(r"4[0-9]{14}", fullmatch=True).map(_luhn_completed)
session = st.text(alphabet=B64, min_size=10, max_size=20).filter(
    lambda t: any(c.isalpha() for c in t)).map(lambda t: "session=" + t)
SECRETS = st.one_of(ipv4, ipv6, st.emails(), bearer, jwt, card, session)
WORDS = st.text(alphabet="abcdefghij klmnop", max_size=30)


def _secret_part(secret: str) -> str:
    """What must not be stored: the credentials, not the words around them."""
    for head in ("Authorization: Bearer ", "session="):
        if secret.startswith(head):
            return secret[len(head):]
    return secret


@st.composite
def lines_with_secrets(draw: Any) -> tuple[list[str], list[str]]:
    secrets = draw(st.lists(SECRETS, min_size=1, max_size=4))
    messages = []
    for i, secret in enumerate(secrets):
        shape = draw(st.sampled_from(["text", "tab", "json", "tab-json", "escaped"]))
        before, after = draw(WORDS), draw(WORDS)
        if shape == "text":
            messages.append(f"{before} {secret} {after}")
        elif shape == "tab":
            messages.append(f"2025-11-24T16:00:00.000Z\t{RID}\tINFO\t{before} {secret}\n")
        elif shape == "json":
            messages.append(json.dumps({"level": "WARN", "requestId": RID, "msg": before,
                                        "ctx": {"who": secret, "list": [after, secret]}}))
        elif shape == "tab-json":
            messages.append(f"2025-11-24T16:00:00.000Z\t{RID}\tERROR\t"
                            + json.dumps({"header": secret, "n": i}) + "\n")
        else:  # every character of the secret behind a JSON escape
            escaped = "".join(f"\\u{ord(c):04x}" for c in secret)
            messages.append('{"level":"INFO","value":"' + escaped + '"}')
    return messages, [_secret_part(s) for s in secrets]


def _everything_stored(url: str, prefix: str) -> str:
    return json.dumps([hit["_source"] for hit in all_docs(url, f"{prefix}*")],
                      ensure_ascii=False)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=lines_with_secrets(), bad_utf8=st.booleans())
def test_no_secret_is_stored_or_logged(opensearch_url: str, index_prefix: str,
                                       capsys: pytest.CaptureFixture[str],
                                       case: tuple[list[str], list[str]],
                                       bad_utf8: bool) -> None:
    messages, secrets = case
    assume(all(len(s) >= 3 for s in secrets))
    s = forwarder_settings(opensearch_url, index_prefix, REDACT=RULES)
    # Ids of letters only (hashed into the _id): no digits a secret could be found in.
    run = "".join(chr(97 + int(d)) for d in str(time.time_ns()))
    events = [{"id": f"{run}-{chr(97 + i)}", "timestamp": DAY_MS + i, "message": m}
              for i, m in enumerate(messages)]
    raw = json.dumps(payload(events)).encode()
    if bad_utf8:
        # One byte that is not UTF-8: the errors index keeps a copy of the whole payload.
        raw = raw.replace(b'"timestamp"', b'"\xff": 1, "timestamp"', 1)
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(raw)).decode()}}
    summary = process(event, s, client_for(s), time.monotonic() + 60)
    assert summary.undelivered == 0 and summary.stored + summary.already_present == len(events)
    stored = _everything_stored(opensearch_url, index_prefix)
    logged = capsys.readouterr().out
    assert "[REDACTED]" in stored
    for secret in secrets:
        assert secret not in stored and secret not in logged
    if bad_utf8:
        kept = [json.loads(gzip.decompress(base64.b64decode(h["_source"]["raw.data_base64"]))
                           .decode("utf-8", "replace"))
                for h in all_docs(opensearch_url, f"{index_prefix}-errors-*")
                if h["_source"]["error.type"] == "invalid_utf8"]
        assert kept and all(secret not in json.dumps(k, ensure_ascii=False)
                            for k in kept for secret in secrets)


def test_a_rejected_document_keeps_only_a_redacted_copy(opensearch_url: str,
                                                        index_prefix: str) -> None:
    # Mapping drift makes the engine reject the line; its reason quotes the value.
    call(opensearch_url, "PUT", f"{index_prefix}-2025.11.24",
         {"mappings": {"properties": {"message": {"type": "long"}}}})
    s = forwarder_settings(opensearch_url, index_prefix, REDACT=RULES)
    events = [{"id": "1", "timestamp": DAY_MS, "message": "login by mallory@example.net"}]
    summary = process(encode(payload(events)), s, client_for(s), time.monotonic() + 60)
    assert (summary.stored, summary.errors_indexed) == (0, 1)
    (record,) = all_docs(opensearch_url, f"{index_prefix}-errors-*")
    assert json.loads(record["_source"]["raw.event"])["message"] == "login by [REDACTED]"
    assert "mallory" not in json.dumps(record["_source"])
    assert "mapper_parsing_exception" in record["_source"]["error.message"]


def test_replay_redacts_what_the_failure_queue_kept(opensearch_url: str,
                                                     index_prefix: str) -> None:
    # The queue holds the batch as Lambda delivered it; the replay command redacts it with
    # the rules it is given (the stack's, by default) before storing it.
    events = [{"id": "11", "timestamp": DAY_MS, "message": "viewer 203.0.113.50 ok"},
              {"id": "12", "timestamp": DAY_MS + 1, "message": "DEBUG cache state"}]
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="edgelogs-forwarder-failures")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
            failure_record(encode(payload(events)), "eu-west-1")))
        code = replay.main(["--region", "eu-west-1", "--endpoint", opensearch_url,
                            "--index-prefix", index_prefix, "--queue-url", url,
                            "--wait-seconds", "1", "--redact", '["ipv4"]',
                            "--exclude", '["^DEBUG "]'], sqs=sqs)
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert code == 0 and left["ApproximateNumberOfMessages"] == "0"
    docs = [h["_source"] for h in all_docs(opensearch_url, f"{index_prefix}-2*")]
    assert [d["message"] for d in docs] == ["viewer [REDACTED] ok"]
