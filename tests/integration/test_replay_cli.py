"""The replay command's argument handling and record parsing (no node needed)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from ops import replay
from ops.replay import MalformedRecord, event_of, queue_url_from_stack
from tests.support.cwl import BatchFactory, encode, failure_record


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
    monkeypatch.setattr(replay.shutil, "which", lambda _: None)
    with pytest.raises(SystemExit, match="--queue-url is required"):
        queue_url_from_stack("eu-west-1")


def test_queue_url_from_the_stack_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay.shutil, "which", lambda _: "/usr/bin/pulumi")
    urls = {"eu-west-1": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}
    seen: list[list[str]] = []

    def runner(cmd: list[str], **_: Any) -> Any:
        seen.append(cmd)
        return _done(json.dumps(urls))

    assert queue_url_from_stack("eu-west-1", runner) == urls["eu-west-1"]
    assert seen == [["pulumi", "stack", "output", "failureQueueUrls", "--json"]]
    with pytest.raises(SystemExit, match=r"no failure queue for sa-east-1.*eu-west-1"):
        queue_url_from_stack("sa-east-1", runner)
    with pytest.raises(SystemExit, match="no stack selected"):
        queue_url_from_stack("eu-west-1", lambda *a, **k: _done(code=1, stderr="no stack selected"))


def test_bad_endpoint_fails_before_touching_the_queue() -> None:
    with pytest.raises(ValueError, match="OPENSEARCH_ENDPOINT"):
        replay.main(
            ["--region", "eu-west-1", "--queue-url", "q", "--endpoint", "http://example.com"]
        )
