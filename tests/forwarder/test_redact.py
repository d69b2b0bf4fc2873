"""Redaction and exclusion: the built-ins on written-out lines, the one pattern check, the
parsed fields that must survive, and what the handler writes (documents, errors index, its
own log line) with redaction on."""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
from typing import Any

import contract
import pytest
from forwarder import documents, lines
from forwarder.decode import Payload
from forwarder.errors import SettingsError
from forwarder.handler import process
from forwarder.redact import Excluder, Redactor, builtin, luhn_ok
from forwarder.settings import Settings
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.forwarder.fakes import FakeClient
from tests.forwarder.payloads import encode, payload

TEXT_BUILTINS = ["ipv4", "ipv6", "email", "bearer"]
ALL = Redactor.from_config([*TEXT_BUILTINS, "card"])
RID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ENV = {"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9200", "AWS_REGION": "eu-west-1"}


def one(name: str, text: str) -> str:
    return Redactor.from_config([name]).text(text)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("ipv4", "viewer request from 203.0.113.7", "viewer request from [REDACTED]"),
    ("ipv4", "x-forwarded-for: 10.0.0.1, 192.168.1.254.", "x-forwarded-for: [REDACTED], "
     "[REDACTED]."),
    ("ipv4", '{"ip":"198.51.100.23"}', '{"ip":"[REDACTED]"}'),
    ("ipv4", "...10.1.2.3", "...[REDACTED]"),
    ("ipv4", "version 1.2.3.4", "version [REDACTED]"),  # four dotted numbers: an address
    ("ipv6", "from 2001:db8::1 ok", "from [REDACTED] ok"),
    ("ipv6", "[2001:db8:85a3::8a2e:370:7334]:443", "[[REDACTED]]:443"),
    ("ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[REDACTED]"),
    ("ipv6", "peer fe80::1%eth0 up", "peer [REDACTED] up"),
    ("ipv6", "::1", "[REDACTED]"),
    ("ipv6", "mapped ::ffff:192.0.2.128", "mapped [REDACTED]"),
    ("ipv6", "a 1:2::3:4 b", "a [REDACTED] b"),
    ("email", "user alice.o'neil+tag@mail.example.co.uk logged in",
     "user [REDACTED] logged in"),
    ("email", '{"to":"bob@example.com"}', '{"to":"[REDACTED]"}'),
    ("email", "user=bob@example.com", "user=[REDACTED]"),
    ("bearer", "Authorization: Bearer abc.DEF-123_x~+/=", "Authorization: Bearer [REDACTED]"),
    ("bearer", "authorization: bearer\tsecrettoken", "authorization: bearer\t[REDACTED]"),
    ("bearer", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nat_ure end",
     "token [REDACTED] end"),
    ("card", "card 4111 1111 1111 1111 charged", "card [REDACTED] charged"),
    ("card", "pan=5500-0000-0000-0004;", "pan=[REDACTED];"),
    ("card", "amex 378282246310005", "amex [REDACTED]"),
])
def test_builtins_redact(name: str, text: str, expected: str) -> None:
    assert one(name, text) == expected


@pytest.mark.parametrize(("name", "text"), [
    ("ipv4", "REPORT RequestId: x\tDuration: 12.34 ms\tBilled Duration: 13 ms"),
    ("ipv4", "release 1.2.3.4.5"),  # five parts: not an address
    ("ipv4", "999.1.1.1 and 256.0.0.1"),
    ("ipv4", "2025-11-24T16:00:00.000Z"),
    ("ipv6", f"START RequestId: {RID} Version: 7"),
    ("ipv6", "at 2025-11-24T16:00:00.000Z 12:34:56"),
    ("ipv6", "std::vector<int> and Foo::Bar"),
    ("ipv6", "mac 00:1a:2b:3c:4d:5e"),
    ("email", "npm i left-pad@1.3.0 and @scope/pkg"),
    ("email", "a@b"),
    ("bearer", "the Bearer? no"),
    ("bearer", "eyJust a word"),
    ("card", "4111 1111 1111 1112"),  # fails the Luhn check
    ("card", "ts 1764000000000 ms"),  # epoch ms: starts with 1
    ("card", "12345678-1234-1234-1234-123456789012"),  # an all-digit UUID
    ("card", "id 37858720935062452458458735678239657387432345678234569"),  # too long
])
def test_builtins_leave_alone(name: str, text: str) -> None:
    assert one(name, text) == text


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("4111-1111-1111-1111")
    assert not luhn_ok("4111111111111112")


# Lines whose parsed fields must come through every built-in unchanged.
PLATFORM = [
    f"START RequestId: {RID} Version: 7\n",
    f"END RequestId: {RID}\n",
    f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: "
    "128 MB\tMax Memory Used: 71 MB\tInit Duration: 150.25 ms\t\n",
    f"2025-11-24T16:00:00.000Z\t{RID}\tWARN\tlogin from 203.0.113.9 by eve@example.com "
    "with Authorization: Bearer tok123\n",
    f"[ERROR]\t2025-11-24T16:00:00.000Z\t{RID}\tfailed for 2001:db8::7\n",
    json.dumps({"level": "info", "requestId": RID, "timestamp": "2025-11-24T16:00:00Z",
                "ip": "203.0.113.9"}),
    json.dumps({"time": "2025-11-24T16:00:00.104Z", "type": "platform.report",
                "record": {"requestId": RID, "metrics": {"durationMs": 2.5,
                                                         "billedDurationMs": 3,
                                                         "memorySizeMB": 128,
                                                         "maxMemoryUsedMB": 70}}}),
]


def _docs(messages: list[str], redactor: Redactor | None,
          excluder: Excluder | None = None) -> tuple[list[dict[str, Any]], documents.Batch]:
    events = [{"id": str(i + 1), "timestamp": 1_764_000_000_000 + i, "message": m}
              for i, m in enumerate(messages)]
    batch = documents.build(Payload("DATA_MESSAGE", "123456789012",
                                    "/aws/lambda/us-east-1.fn", "2025/11/24/[7]abc", events),
                            "eu-west-1", "le", 1_764_000_000_000, redactor=redactor,
                            excluder=excluder)
    return [json.loads(line.split("\n")[1]) for line in batch.lines], batch


def test_parsed_fields_survive_every_builtin() -> None:
    plain, _ = _docs(PLATFORM, None)
    redacted, _ = _docs(PLATFORM, ALL)
    keep = ("aws.lambda.request_id", "log.level", "aws.lambda.line_type", "faas.version",
            "aws.lambda.duration_ms", "aws.lambda.billed_duration_ms",
            "aws.lambda.memory_size_mb", "aws.lambda.max_memory_used_mb",
            "aws.lambda.init_duration_ms")
    for before, after in zip(plain, redacted, strict=True):
        assert {k: before[k] for k in keep if k in before} == \
            {k: after[k] for k in keep if k in after}
    assert [d.get("aws.lambda.request_id") for d in redacted] == [RID] * 7
    assert redacted[2]["aws.lambda.init_duration_ms"] == 150.25
    assert redacted[3]["log.level"] == "WARN"
    assert redacted[3]["message"] == (
        f"2025-11-24T16:00:00.000Z\t{RID}\tWARN\tlogin from [REDACTED] by [REDACTED] "
        "with Authorization: Bearer [REDACTED]\n")
    assert redacted[4]["message"].endswith("failed for [REDACTED]\n")
    assert redacted[5]["json"]["ip"] == "[REDACTED]" and "203.0.113" not in redacted[5]["message"]
    assert redacted[6]["aws.lambda.duration_ms"] == 2.5


def test_json_values_keys_and_escapes_are_redacted() -> None:
    message = ('{"level":"INFO","user":{"mail":"carol\\u0040example.com",'
               '"seen":["10.9.8.7",1]},"198.51.100.1":"key"}')
    (doc,), _ = _docs([message], ALL)
    assert doc["json"] == {"level": "INFO", "user": {"mail": "[REDACTED]",
                                                     "seen": ["[REDACTED]", 1]},
                           "[REDACTED]": "key"}
    assert doc["log.level"] == "INFO"
    assert "10.9.8.7" not in doc["message"] and "198.51.100.1" not in doc["message"]


def test_user_patterns_apply_in_order_on_message_and_values() -> None:
    redactor = Redactor.from_config([
        {"pattern": "session=[A-Za-z0-9]+", "replacement": "session=[REDACTED]"},
        # Sees the first rule's output: the order is the configured one.
        {"pattern": r"session=\[REDACTED\]", "replacement": "[session hidden]"},
        "email"])
    (doc,), _ = _docs(['{"cookie":"a=1; session=s3cr3tx","by":"d@example.org"}'], redactor)
    assert doc["json"] == {"cookie": "a=1; [session hidden]", "by": "[REDACTED]"}
    assert doc["message"] == '{"cookie":"a=1; [session hidden]","by":"[REDACTED]"}'


BUILTIN_TEXT = st.text(alphabet="0123456789abcdefABEF:.@ -_eyJBearer\t[]%xz", max_size=80)


@settings(max_examples=400, deadline=None)
@given(st.lists(BUILTIN_TEXT, min_size=1, max_size=4).map(" ".join))
def test_the_hinted_search_finds_what_the_plain_pattern_finds(text: str) -> None:
    # The hints only skip work: each built-in gives exactly re.sub's result.
    for name in [*TEXT_BUILTINS, "card"]:
        rule = builtin(name)
        plain = re.sub(contract.BUILTIN_PATTERNS[name],
                       lambda m, rule=rule: (rule.replacement if not rule.luhn or
                                             luhn_ok(m.group(0)) else m.group(0))
                       if not m.groupdict().get("scheme") else m.group("scheme")
                       + contract.REDACTED, text)
        assert rule.apply(text) == plain, name


@pytest.mark.parametrize(("pattern", "problem"), [
    (".*", "matches everything"), ("^", "matches everything"),
    ("(?:)", "matches everything"), (".?", "matches everything"),
    ("$", "matches everything"), ("x*", "matches everything"),
    ("", "is empty"), ("(", "not a valid regular expression"), (3, "must be a regular"),
])
def test_patterns_refused_for_both(pattern: Any, problem: str) -> None:
    for redact in (True, False):
        found = contract.pattern_problem(pattern, redact=redact)
        assert found is not None and problem in found


def test_patterns_accepted() -> None:
    assert contract.pattern_problem("^DEBUG ", redact=False) is None
    assert contract.pattern_problem("^DEBUG ", redact=True) is None
    assert contract.pattern_problem("session=[A-Za-z0-9]+", redact=True) is None
    # An empty-message exclusion is fine; as a redaction, an empty match only inserts text.
    assert contract.pattern_problem("^$", redact=False) is None
    assert "empty string" in str(contract.pattern_problem("^$", redact=True))
    assert "empty string" in str(contract.pattern_problem("(?=a)", redact=True))


def test_replacements_checked() -> None:
    assert contract.replacement_problem("session=[A-Za-z0-9]+", "session=[REDACTED]") is None
    assert contract.replacement_problem("(?i)(user)=\\w+", r"\1=[REDACTED]") is None
    assert "matches its own pattern" in str(
        contract.replacement_problem(r"token=\w+", "token=REDACTED"))
    assert "invalid group reference 2" in str(contract.replacement_problem("(a)b", r"\2"))


def test_problems_name_the_key_and_entry() -> None:
    assert contract.redaction_problems(
        ["ipv4", "ipv9", {"pattern": ".*"}, {"pattern": "a", "flags": "i"}], ["^DEBUG ", "^"],
        "edgelogs:redact", "edgelogs:exclude") == [
        "edgelogs:redact[1]: 'ipv9' is not a built-in; allowed: ipv4, ipv6, email, bearer, "
        "card, or {pattern, replacement}",
        "edgelogs:redact[2]: pattern '.*' matches everything (even an empty message)",
        "edgelogs:redact[3]: unknown field(s) ['flags']; allowed: pattern, replacement",
        "edgelogs:exclude[1]: '^' matches everything (even an empty message)",
    ]
    assert contract.redaction_problems("ipv4", {}, "R", "E") == [
        "R must be a list, got 'ipv4'", "E must be a list of regular expressions, got {}"]


@pytest.mark.parametrize(("pattern", "named"), [
    ("^DEBUG ", set()), ("^END ", {"END"}), ("(START|END) RequestId", {"START", "END"}),
    ("BACKEND|^PENDING", set()), (r"platform\.report", {"REPORT"}),
    ("runtimeDone", {"END"}), ("^report:", {"REPORT"}),
])
def test_which_platform_lines_a_pattern_names(pattern: str, named: set[str]) -> None:
    assert contract.names_platform_lines(pattern) == named


def test_exclude_drops_counts_and_keeps_unnamed_platform_lines() -> None:
    lines_ = ["DEBUG noisy\n", "INFO kept\n", PLATFORM[0], PLATFORM[1], PLATFORM[2],
              PLATFORM[6]]
    docs, batch = _docs(lines_, None, Excluder(["^DEBUG ", "RequestId|platform", "^INFO"]))
    # "RequestId|platform" matches every platform line but names none of them.
    assert [d["message"] for d in docs] == lines_[2:]
    assert batch.excluded == 2 and [e["message"] for e in batch.events] == lines_[2:]
    docs, batch = _docs(lines_, None, Excluder([r"^(START|END) RequestId", r"platform\.report"]))
    assert [d["message"] for d in docs] == [lines_[0], lines_[1], PLATFORM[2]]
    assert batch.excluded == 3


def test_settings_read_and_refuse_the_environment() -> None:
    s = Settings.from_env({**ENV, "REDACT": '["ipv4",{"pattern":"k=\\\\d+"}]',
                           "EXCLUDE": '["^DEBUG "]'})
    assert s.redact == ("ipv4", ("k=\\d+", "[REDACTED]")) and s.exclude == ("^DEBUG ",)
    assert s.redactor.text("k=12 at 10.0.0.1") == "[REDACTED] at [REDACTED]"
    assert s.excluder.drops("DEBUG x") and not s.excluder.drops("INFO x")
    plain = Settings.from_env(ENV)
    assert plain.redactor is None and plain.excluder is None  # off: no per-event work
    with pytest.raises(SettingsError, match=r"^EXCLUDE\[0\]: '\.\*' matches everything"):
        Settings.from_env({**ENV, "EXCLUDE": '[".*"]'})
    with pytest.raises(SettingsError, match=r"^REDACT must be a JSON list"):
        Settings.from_env({**ENV, "REDACT": "ipv4"})
    with pytest.raises(SettingsError, match=r"^REDACT\[0\]: 'ip' is not a built-in"):
        Settings.from_env({**ENV, "REDACT": '["ip"]'})


SECRET_SETTINGS = Settings(endpoint="http://127.0.0.1:9200", service="es", index_prefix="le",
                           region="eu-west-1", safety_margin_s=1.0,
                           redact=("ipv4", "email"), exclude=("^DEBUG ",))


def _run(event: Any, client: FakeClient) -> Any:
    return process(event, SECRET_SETTINGS, client, time.monotonic() + 30)


def test_summary_counts_exclusions_as_a_metric(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "edgelogs-dev-forwarder")
    client = FakeClient()
    events = [{"id": str(i), "timestamp": 1_764_000_000_000, "message": m}
              for i, m in enumerate(["DEBUG a", "DEBUG b", "INFO from 10.0.0.9"])]
    summary = _run(encode(payload(events)), client)
    assert (summary.events_in, summary.excluded, summary.stored) == (3, 2, 1)
    (doc,) = client.stored_in("le-2025").values()
    assert doc["message"] == "INFO from [REDACTED]"
    line = json.loads(capsys.readouterr().out)
    assert line["excluded"] == 2 and line["ExcludedEvents"] == 2
    assert line["FunctionName"] == "edgelogs-dev-forwarder"
    assert line["_aws"]["CloudWatchMetrics"] == [{
        "Namespace": "edgelogs", "Dimensions": [["FunctionName"]],
        "Metrics": [{"Name": "ExcludedEvents", "Unit": "Count"}]}]


def test_no_metric_without_exclude(capsys: pytest.CaptureFixture[str]) -> None:
    process(encode(payload([{"id": "1", "timestamp": 1_764_000_000_000, "message": "x"}])),
            Settings(endpoint="http://127.0.0.1:9200", service="es", index_prefix="le",
                     region="eu-west-1"), FakeClient(), time.monotonic() + 30)
    line = json.loads(capsys.readouterr().out)
    assert "_aws" not in line and line["excluded"] == 0


def test_rejected_documents_keep_a_redacted_copy_and_reason() -> None:
    client = FakeClient(rule=lambda attempt, meta, src: (
        400 if meta["_index"].startswith("le-2") else 201))
    events = [{"id": "7", "timestamp": 1_764_000_000_000, "message": "bad 10.1.1.1 x@ex.com"}]
    summary = _run(encode(payload(events)), client)
    assert summary.errors_indexed == 1
    (record,) = client.stored_in("le-errors-").values()
    assert json.loads(record["raw.event"]) == {"id": "7", "timestamp": 1_764_000_000_000,
                                               "message": "bad [REDACTED] [REDACTED]"}


def test_invalid_utf8_copy_is_redacted_and_keeps_the_bad_bytes() -> None:
    text = json.dumps(payload([{"id": "1", "timestamp": 1_764_000_000_000,
                                "message": "caf@ from 10.2.3.4"}])).encode()
    text = text.replace(b"caf@", b"caf\xe9")
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(text)).decode()}}
    client = FakeClient()
    _run(event, client)
    (record,) = client.stored_in("le-errors-").values()
    kept = gzip.decompress(base64.b64decode(record["raw.data_base64"]))
    assert b"caf\xe9 from [REDACTED]" in kept and b"10.2.3.4" not in kept


def test_undecodable_payload_keeps_only_redacted_readable_text(
        capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    broken = gzip.compress(b'{"messageType": "from ops@example.com at 10.3.3.3"}')
    summary = _run({"awslogs": {"data": base64.b64encode(broken).decode()}}, client)
    assert summary.outcome == "undecodable_kept"
    (record,) = client.stored_in("le-errors-").values()
    assert record["raw.text"] == '{"messageType": "from [REDACTED] at [REDACTED]"}'
    assert "raw.data_base64" not in record and record["raw.unreadable_bytes"] == 0
    # The decoder's reason quotes the messageType: redacted in the record and the log line.
    assert "[REDACTED]" in record["error.message"] and "example" not in record["error.message"]
    out = capsys.readouterr().out
    assert "ops@example.com" not in out and "10.3.3.3" not in out and "[REDACTED]" in out
    # Decodable JSON whose messageType is wrong: every field but the names is redacted.
    client = FakeClient()
    odd = payload([{"id": "1", "timestamp": 1, "message": "m 10.4.4.4"}])
    odd["messageType"] = "sent by ops@example.com"
    _run(encode(odd), client)
    (record,) = client.stored_in("le-errors-").values()
    kept = json.loads(gzip.decompress(base64.b64decode(record["raw.data_base64"])))
    assert kept["messageType"] == "sent by [REDACTED]"
    assert kept["logEvents"] == [{"id": "1", "timestamp": 1, "message": "m [REDACTED]"}]
    assert kept["logGroup"] == odd["logGroup"]
    truncated = broken[:-12]
    client = FakeClient()
    _run({"awslogs": {"data": base64.b64encode(truncated).decode()}}, client)
    (record,) = client.stored_in("le-errors-").values()
    assert "10.3.3.3" not in json.dumps(record) and "ops@" not in json.dumps(record)


def test_lines_module_unchanged_by_redaction() -> None:
    # Fields are parsed from the raw line: the same members with and without a redactor
    # for a line no rule touches.
    text, tags = lines.fields(PLATFORM[2])
    assert ALL.event(PLATFORM[2], text, tags) == (PLATFORM[2], text, tags)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(BUILTIN_TEXT, st.sampled_from(PLATFORM)), min_size=1, max_size=8))
def test_the_batch_pass_redacts_each_message_like_text(messages: list[str]) -> None:
    # candidates() finds the lines to look at in one pass over the batch; every message
    # still comes out exactly as Redactor.text makes it.
    redactor = Redactor.from_config([*TEXT_BUILTINS, "card"])
    docs, _ = _docs(messages, redactor)
    assert [d["message"] for d in docs] == [redactor.text(m) for m in messages]


def test_a_hint_never_spans_two_messages_of_the_batch() -> None:
    # Joined without a separator, "a." + "1.2.3.4" would give the hint ".1.2." to the first
    # line and hide the second line's address from the batch pass.
    docs, _ = _docs(["a.", "1.2.3.4", "x:", ":1 y", "bob@", "example.com"], ALL)
    assert [d["message"] for d in docs] == ["a.", "[REDACTED]", "x:", ":1 y", "bob@",
                                            "example.com"]
