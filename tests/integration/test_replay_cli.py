"""The replay command's argument handling and record parsing (no node needed)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops import replay, stack
from ops.replay import MalformedRecord, endpoint_from_stack, event_of, queue_url_from_stack
from tests.forwarder.payloads import encode
from tests.support.cwl import BatchFactory, failure_record


def _done(stdout: str = "", code: int = 0, stderr: str = "") -> Any:
    return subprocess.CompletedProcess(args=[], returncode=code, stdout=stdout, stderr=stderr)


def test_event_of_accepts_destination_records_and_bare_events() -> None:
    event = encode(BatchFactory().batch("eu-west-1", "viewer-auth", 5))
    assert event_of(json.dumps(failure_record(event, "eu-west-1")), "eu-west-1") == event
    # A queue used as a plain dead-letter queue holds the event itself.
    assert event_of(json.dumps(event), "eu-west-1") == event
    with pytest.raises(MalformedRecord, match="--region eu-west-1"):
        event_of(json.dumps(failure_record(event, "eu-west-1")), "us-east-1")


def test_queue_url_needs_pulumi_or_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: None)
    with pytest.raises(SystemExit, match="--queue-url is required"):
        queue_url_from_stack("eu-west-1")


def test_queue_url_from_the_stack_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    urls = {"eu-west-1": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}
    seen: list[list[str]] = []

    def runner(cmd: list[str], **_: Any) -> Any:
        seen.append(cmd)
        return _done(json.dumps(urls))

    assert queue_url_from_stack("eu-west-1", runner) == urls["eu-west-1"]
    assert seen == [["pulumi", "stack", "output", "failureQueueUrls", "--json"]]
    with pytest.raises(SystemExit, match=r"no failureQueueUrls entry for sa-east-1.*eu-west-1"):
        queue_url_from_stack("sa-east-1", runner)
    with pytest.raises(SystemExit, match="no stack selected"):
        queue_url_from_stack("eu-west-1", lambda *a, **k: _done(code=1, stderr="no stack selected"))


def test_endpoint_from_the_stack_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    url = "https://search-edgelogs-dev-abc.eu-central-1.es.amazonaws.com"
    assert endpoint_from_stack(lambda cmd, **_: _done(json.dumps(url))) == url
    with pytest.raises(SystemExit, match="domainEndpoint is empty; pass --endpoint"):
        endpoint_from_stack(lambda cmd, **_: _done(json.dumps("")))
    monkeypatch.setattr(stack.shutil, "which", lambda _: None)
    with pytest.raises(SystemExit, match="--endpoint is required"):
        endpoint_from_stack()


def test_bad_endpoint_fails_before_touching_the_queue() -> None:
    with pytest.raises(ValueError, match="OPENSEARCH_ENDPOINT"):
        replay.main(
            ["--region", "eu-west-1", "--queue-url", "q", "--endpoint", "http://example.com"]
        )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_record_like = st.fixed_dictionaries(
    {},
    optional={
        "requestContext": st.one_of(_json, st.fixed_dictionaries({"functionArn": st.text()})),
        "requestPayload": st.one_of(
            _json,
            st.fixed_dictionaries(
                {"awslogs": st.one_of(_json, st.fixed_dictionaries({"data": _json}))}
            ),
        ),
        "awslogs": _json,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _json.map(json.dumps), _record_like.map(json.dumps)))
def test_any_body_is_an_event_or_a_clear_malformed_record(body: str) -> None:
    # Whatever sits in the queue, replay either gets a CloudWatch Logs event out of it or
    # reports why not; it never crashes the run.
    try:
        event = event_of(body, "eu-west-1")
    except MalformedRecord as exc:
        assert str(exc)
    else:
        assert isinstance(event["awslogs"]["data"], str)


def _script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "replay"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PATH": "/usr/bin:/bin", **(env or {})})


@pytest.mark.parametrize("args, says", [
    (["--region", "eu-west-1", "--queue-url", "q", "--endpoint", "y"], "OPENSEARCH_ENDPOINT"),
    (["--region", "eu-west-1", "--queue-url", "q", "--endpoint", "https://search.example.com"],
     "OPENSEARCH_REGION is required"),
    (["--region", "eu-west-1", "--queue-url", "q"], "--endpoint is required"),
    (["--queue-url", "q"], "--region"),
    (["--region", "eu-west-1", "--max-messages", "x"], "invalid int value"),
    (["--region", "eu-west-1", "--wait-seconds", "21"], "--wait-seconds must be between 1 and 20"),
    (["--region", "eu-west-1", "--seconds-per-message", "0"], "--seconds-per-message must be"),
])
def test_a_bad_invocation_is_one_line_and_exit_code_2(args: list[str], says: str) -> None:
    result = _script(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("edgelogs replay: ") and says in result.stderr


def test_help_works() -> None:
    result = _script("--help")
    assert result.returncode == 0 and "--domain-region" in result.stdout
